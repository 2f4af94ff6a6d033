"""Opening the SQLite store: durable settings, real transactions, migrations after a backup.

pysqlite's default transaction handling does not wrap DDL, so migrations would not be
atomic; following SQLAlchemy's documented recipe we turn it off and issue BEGIN
ourselves. WAL with synchronous=FULL makes every committed edit survive a power cut.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import URL, Engine, create_engine, event

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest migration. Kept here so a normal start needs no Alembic (a third of a second on
# an old PC); tests/test_store.py checks it against the migration scripts.
HEAD_REVISION = "0004"


class StoreError(Exception):
    """The store cannot be opened or used; the message is Vietnamese."""


def write_failure_message(exc: Exception) -> str:
    """What a failed write says to the person: the likely cause first, SQLite's words last."""
    detail = str(getattr(exc, "orig", None) or exc)
    lowered = detail.lower()
    if "full" in lowered:
        cause = "ổ đĩa đã đầy. Hãy xóa bớt tệp để giải phóng ổ đĩa rồi thử lại"
    elif "readonly" in lowered or "read-only" in lowered:
        cause = "tệp hoặc thư mục dữ liệu chỉ cho đọc. Hãy chép thư mục dữ liệu vào ổ đĩa ghi được rồi mở lại"
    elif "locked" in lowered or "busy" in lowered:
        cause = "tệp đang bị một chương trình khác khóa. Hãy đóng chương trình đó rồi thử lại"
    elif "malformed" in lowered or "not a database" in lowered or "disk i/o" in lowered:
        cause = ("tệp cơ sở dữ liệu bị hỏng hoặc ổ đĩa bị lỗi. Hãy dùng «Kiểm tra cơ sở dữ liệu» "
                 "hoặc khôi phục bản sao lưu")
    else:
        cause = "ổ đĩa đầy, tệp bị khóa hoặc hỏng. Hãy kiểm tra ổ đĩa rồi thử lại"
    return f"Không ghi được vào cơ sở dữ liệu: {cause}. Thay đổi vừa rồi chưa được lưu. Chi tiết: {detail}"


def maps_write_errors(fn):
    """Decorator for a store write: a database error becomes a :class:`StoreError` whose message
    is Vietnamese (the transaction was rolled back, so nothing of the write is stored)."""
    import functools

    from sqlalchemy.exc import DatabaseError

    @functools.wraps(fn)
    def write(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DatabaseError as exc:  # OperationalError, IntegrityError… are DatabaseErrors
            raise StoreError(write_failure_message(exc)) from exc

    return write


class StoreTooNew(StoreError):
    """The file was written by a newer version of BaoCaoXa (an unknown schema revision)."""


def too_new_message(path: Path, revision: str | None) -> str:
    return (f"Cơ sở dữ liệu {path} được tạo bởi phiên bản BaoCaoXa mới hơn (lược đồ «{revision}», phiên bản "
            f"này chỉ biết đến «{HEAD_REVISION}»). Hãy dùng phiên bản BaoCaoXa mới hơn; chương trình không "
            "thay đổi tệp này.")


# One encoder for every value written (json.dumps with options builds a new one per call).
_json_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def file_uri(path: Path) -> str:
    """``path`` as a percent-encoded ``file:`` URI: a folder named ``Xa A #1``, ``a?b`` or
    ``100%25`` is that folder, not a query string, a fragment or an escape.

    The authority is always empty, as SQLite requires: ``file:///home/…``, ``file:///C:/…``,
    and a Windows share ``\\\\may-chu\\du-lieu`` becomes ``file:////may-chu/du-lieu``."""
    return uri_from_posix(Path(path).absolute().as_posix())


def uri_from_posix(text: str) -> str:
    """``/home/x`` → ``file:///home/x``; ``C:/x`` → ``file:///C:/x``; ``//may-chu/x`` → ``file:////may-chu/x``."""
    if not text.startswith("/"):
        text = "/" + text  # a drive letter
    return "file://" + quote(text, safe="/:")


def connect(path: Path, mode: str = "ro", **kwargs) -> sqlite3.Connection:
    """A plain sqlite3 connection through a properly encoded URI (``mode``: ro, rw, rwc)."""
    return sqlite3.connect(f"{file_uri(path)}?mode={mode}", uri=True, **kwargs)


def make_engine(path: Path, *, read_only: bool = False) -> Engine:
    # URL.create keeps the database text as given; a URL string would be percent-decoded first.
    url = URL.create("sqlite", database=file_uri(path), query={"mode": "ro" if read_only else "rwc", "uri": "true"})
    engine = create_engine(url, json_serializer=_json_dumps, connect_args={"timeout": 10})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    return HEAD_REVISION


_REVISION_LINE = re.compile(r"""^revision\s*(?::\s*str\s*)?=\s*["']([^"']+)["']""", re.MULTILINE)


def known_revisions() -> set[str]:
    """Every schema revision this version of the program has a migration for (read from the
    scripts, without Alembic; only needed when a file is not at HEAD_REVISION)."""
    found = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        match = _REVISION_LINE.search(script.read_text(encoding="utf-8"))
        if match:
            found.add(match.group(1))
    return found | {HEAD_REVISION}


def is_newer_schema(revision: str | None) -> bool:
    """A revision this program does not know: the file was written by a newer BaoCaoXa."""
    return revision is not None and revision != HEAD_REVISION and revision not in known_revisions()


def scripts_head_revision() -> str:
    """The head as Alembic reads it from the migration scripts (for the test of HEAD_REVISION)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def current_revision(engine: Engine) -> str | None:
    """The schema revision stamped in the store (None for a new, empty one)."""
    with engine.connect() as conn:
        if is_sqlite(engine):
            exists = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").first()
        else:  # the first schema of the search path, as Alembic itself uses
            exists = conn.exec_driver_sql("SELECT to_regclass('alembic_version')").scalar()
        if not exists:
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None


def backup_copy(source: Path, target: Path) -> Path:
    """Copy a live database with SQLite's online backup API (never a plain file copy)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    src = connect(source, "ro")
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file: no -wal/-shm beside it
        finally:
            dst.close()
    finally:
        src.close()
    tmp.replace(target)
    return target


def migrate(engine: Engine, db_path: Path, backup_dir: Path) -> Path | None:
    """Bring the schema to head in one transaction; back the file up first if it has data.

    On PostgreSQL the DDL is transactional too, and an advisory lock makes a second PC that
    starts at the same moment wait and then find the schema already at head (no file to copy:
    the server's own backups cover it)."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return None
    if is_newer_schema(current):  # never back up and fail again on every start
        raise StoreTooNew(too_new_message(db_path, current))
    if not is_sqlite(engine):
        _migrate_server(engine)
        return None
    backup = None
    if current is not None and db_path.exists():
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = backup_copy(db_path, backup_dir / f"baocaoxa-{stamp}-truoc-nang-cap.sqlite3")
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return backup


MIGRATION_LOCK = 7_301_202_602  # pg_advisory_xact_lock key: one migration at a time per database


def _migrate_server(engine: Engine) -> None:
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")  # reads the revision again, under the lock


def in_chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """``items`` in slices of ``size``: SQLite caps the parameters of one statement."""
    return [items[i:i + size] for i in range(0, len(items), size)]
