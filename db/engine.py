"""The store's file and schema: its URI, the schema revision, migrations after a backup.

The store itself talks to its database through :mod:`db.sql`. Migrations run through Alembic
on a SQLAlchemy engine made only for them (:func:`make_engine`): pysqlite's default
transaction handling does not wrap DDL, so migrations would not be atomic; following
SQLAlchemy's documented recipe we turn it off and issue BEGIN ourselves.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from db.sql import Database, DatabaseError, json_dumps, wrapped_error

if TYPE_CHECKING:
    from sqlalchemy import Engine

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
    """A SQLAlchemy engine on the file, for Alembic (the store itself uses :mod:`db.sql`)."""
    from sqlalchemy import URL, create_engine, event

    # URL.create keeps the database text as given; a URL string would be percent-decoded first.
    url = URL.create("sqlite", database=file_uri(path), query={"mode": "ro" if read_only else "rwc", "uri": "true"})
    engine = create_engine(url, json_serializer=json_dumps, connect_args={"timeout": 10})

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


def current_revision(database: Database) -> str | None:
    """The schema revision stamped in the store (None for a new, empty one)."""
    with database.connection() as conn:
        if database.is_sqlite:
            exists = conn.first("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'")
        else:  # the first schema of the search path, as Alembic itself uses
            exists = conn.scalar("SELECT to_regclass('alembic_version')")
        if not exists:
            return None
        row = conn.first("SELECT version_num FROM alembic_version")
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


def migrate(database: Database, db_path: Path, backup_dir: Path,
            alembic_engine: Callable[[], Engine] | None = None) -> Path | None:
    """Bring the schema to head in one transaction; back the file up first if it has data.

    A store at head (every start but the first after an update) needs neither SQLAlchemy nor
    Alembic; otherwise ``alembic_engine`` makes the engine they run on (default: one on the file).

    On PostgreSQL the DDL is transactional too, and an advisory lock makes a second PC that
    starts at the same moment wait and then find the schema already at head (no file to copy:
    the server's own backups cover it)."""
    current = current_revision(database)
    if current == head_revision():
        return None
    if is_newer_schema(current):  # never back up and fail again on every start
        raise StoreTooNew(too_new_message(db_path, current))
    from sqlalchemy.exc import DBAPIError

    engine = alembic_engine() if alembic_engine is not None else make_engine(db_path)
    try:
        return _upgrade(engine, current, db_path, backup_dir)
    except DBAPIError as exc:  # the driver's error, as the store's own statements raise it
        raise wrapped_error(exc.orig) from exc
    finally:
        engine.dispose()


def _upgrade(engine: Engine, current: str | None, db_path: Path, backup_dir: Path) -> Path | None:
    if engine.dialect.name != "sqlite":
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
