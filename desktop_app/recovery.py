"""Recovering from a damaged database: keep the damaged file aside, put a good backup in place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from db import backups
from db.store import DB_FILENAME
from desktop_app.errors import UserError


def replace_damaged_database(data_dir: Path, backup: Path) -> Path:
    """Move the damaged file (and its WAL) aside, never deleting it, then restore ``backup``."""
    problems = backups.check_file(backup)
    if problems:
        raise UserError(f"Bản sao lưu «{backup.name}» không dùng được:", problems)
    db_path = data_dir / DB_FILENAME
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = data_dir / f"baocaoxa-hong-{stamp}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{db_path}{suffix}")
        if source.exists():
            source.replace(Path(f"{kept}{suffix}"))
    backups.restore_into(backup, db_path)
    return kept
