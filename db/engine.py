"""Opening the SQLite store: durable settings, real transactions, migrations after a backup.

pysqlite's default transaction handling does not wrap DDL, so migrations would not be
atomic; following SQLAlchemy's documented recipe we turn it off and issue BEGIN
ourselves. WAL with synchronous=FULL makes every committed edit survive a power cut.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest migration. Kept here so a normal start needs no Alembic (a third of a second on
# an old PC); tests/test_store.py checks it against the migration scripts.
HEAD_REVISION = "0003"


class StoreError(Exception):
    """The store cannot be opened or used; the message is Vietnamese."""


def _json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_engine(path: Path, *, read_only: bool = False) -> Engine:
    url = f"sqlite:///file:{path}?mode={'ro' if read_only else 'rwc'}&uri=true"
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


def scripts_head_revision() -> str:
    """The head as Alembic reads it from the migration scripts (for the test of HEAD_REVISION)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The schema revision stamped in the file (None for a new, empty file)."""
    with engine.connect() as conn:
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").first()
        if not exists:
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None


def backup_copy(source: Path, target: Path) -> Path:
    """Copy a live database with SQLite's online backup API (never a plain file copy)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
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
    """Bring the schema to head in one transaction; back the file up first if it has data."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
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
