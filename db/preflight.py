"""Before the store is opened for writing: tell apart why it cannot be.

A read-only folder, a file another program holds locked, a file made by a newer version of
BaoCaoXa and a damaged file each get their own Vietnamese message; none of them is written
to, and none leaves a backup behind (so trying again does not pile up copies).
"""

from __future__ import annotations

import errno
import sqlite3
import tempfile
from pathlib import Path

from db.engine import StoreError, StoreTooNew, connect, is_newer_schema, too_new_message

_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_READ_ONLY = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
LOCK_WAIT_SECONDS = 3


class StoreReadOnly(StoreError):
    """The data folder or the database file cannot be written."""


class StoreLocked(StoreError):
    """Another program holds the database locked."""


def read_only_message(where: Path) -> str:
    return (f"Không ghi được vào {where}: thư mục dữ liệu (hoặc tệp cơ sở dữ liệu) chỉ cho đọc. Dữ liệu không "
            "hỏng. Hãy chép thư mục dữ liệu sang ổ đĩa ghi được (hoặc bỏ chế độ chỉ đọc của USB) rồi mở lại, "
            "hoặc chọn thư mục khác bằng --data-dir.")


def locked_message(path: Path) -> str:
    return (f"Cơ sở dữ liệu {path} đang bị một chương trình khác khóa (có thể là một cửa sổ BaoCaoXa khác hoặc "
            "một công cụ mở tệp SQLite). Dữ liệu không hỏng. Hãy đóng chương trình đó rồi thử lại.")


def damaged_message(path: Path, findings: list[str]) -> str:
    return (f"Cơ sở dữ liệu {path} bị hỏng ({'; '.join(findings[:3])}). Chương trình không ghi vào tệp này. "
            "Hãy khôi phục bản sao lưu gần nhất.")


def _code(exc: sqlite3.Error) -> int:
    return (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def _check_writable(folder: Path, db_path: Path) -> None:
    for where, probe in ((folder, lambda: tempfile.TemporaryFile(dir=folder)),
                         (db_path, lambda: db_path.open("r+b") if db_path.exists() else None)):
        try:
            handle = probe()
        except OSError as exc:
            if exc.errno in _READ_ONLY_ERRNOS:
                raise StoreReadOnly(read_only_message(where)) from exc
            raise StoreError(f"Không ghi được vào {where}: {exc.strerror}") from exc
        if handle is not None:
            handle.close()


def _quick_check(path: Path) -> tuple[list[str], str | None]:
    """(quick_check findings, schema revision) from a read-only connection."""
    con = connect(path, "ro", timeout=LOCK_WAIT_SECONDS)
    try:
        findings = [row[0] for row in con.execute("PRAGMA quick_check")]
        if findings != ["ok"]:
            return findings, None
        has_version = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone()
        row = con.execute("SELECT version_num FROM alembic_version").fetchone() if has_version else None
        return findings, row[0] if row else None
    finally:
        con.close()


def _check_not_locked(path: Path) -> None:
    """A write lock held by another program (not just a moment's write) is reported, not waited on."""
    con = connect(path, "rw", timeout=LOCK_WAIT_SECONDS, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
    finally:
        con.close()


def check_before_open(path: Path, damaged: type[StoreError] = StoreError) -> None:
    """Raise StoreReadOnly, StoreLocked, StoreTooNew or ``damaged`` (each with its Vietnamese
    message) when ``path`` must not be opened for writing; return when it may."""
    path = Path(path)
    _check_writable(path.parent, path)
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        findings, revision = _quick_check(path)
        if findings != ["ok"]:
            raise damaged(damaged_message(path, findings))
        if is_newer_schema(revision):
            raise StoreTooNew(too_new_message(path, revision))
        _check_not_locked(path)
    except sqlite3.Error as exc:
        code = _code(exc)
        if code in _BUSY:
            raise StoreLocked(locked_message(path)) from exc
        if code in _READ_ONLY:
            raise StoreReadOnly(read_only_message(path)) from exc
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            raise damaged(damaged_message(path, [str(exc)])) from exc
        raise StoreError(f"Không mở được cơ sở dữ liệu {path}: {exc}") from exc
