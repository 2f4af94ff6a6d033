"""Backups of the store: SQLite's online backup API (never a plain copy of a file in use),
rotation (recent ones kept, older ones thinned to one a day, then one a week), and restore."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from db.engine import HEAD_REVISION, StoreError, backup_copy, connect, is_newer_schema

PATTERN = re.compile(r"^baocaoxa-(\d{8}-\d{6})-([a-z0-9-]+)\.sqlite3$")
KEEP_RECENT = 10
KEEP_DAILY_DAYS = 14
KEEP_WEEKLY_WEEKS = 12

REASONS = {
    "hang-ngay": "tự động hằng ngày", "truoc-nhap": "trước khi nhập dữ liệu", "truoc-nang-cap": "trước khi nâng cấp",
    "truoc-khoi-phuc": "trước khi khôi phục", "thu-cong": "do người dùng tạo", "truoc-sua-chua": "trước khi sửa lỗi",
}


@dataclass(frozen=True)
class Backup:
    path: Path
    made_at: dt.datetime
    reason: str

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason, self.reason)


def backup_name(reason: str, now: dt.datetime | None = None) -> str:
    return f"baocaoxa-{(now or dt.datetime.now()):%Y%m%d-%H%M%S}-{reason}.sqlite3"


def create(db_path: Path, folder: Path, reason: str, now: dt.datetime | None = None) -> Path:
    target = folder / backup_name(reason, now)
    n = 1
    while target.exists():  # two backups in the same second
        target = folder / backup_name(f"{reason}-{n}", now)
        n += 1
    try:
        return backup_copy(db_path, target)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"Không tạo được bản sao lưu trong {folder}: {exc}") from exc


def list_backups(folder: Path) -> list[Backup]:
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = PATTERN.match(path.name)
            if match:
                made = dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")
                reason = re.sub(r"-\d+$", "", match.group(2))
                found.append(Backup(path, made, reason))
    return sorted(found, key=lambda b: b.made_at, reverse=True)


def plan_rotation(backups: list[Backup], now: dt.datetime) -> tuple[list[Backup], list[Backup]]:
    """(keep, delete): the newest few, then the newest of each day, then of each week."""
    keep: list[Backup] = []
    days: set[dt.date] = set()
    weeks: set[tuple[int, int]] = set()
    for index, backup in enumerate(sorted(backups, key=lambda b: b.made_at, reverse=True)):
        age = now - backup.made_at
        day, week = backup.made_at.date(), backup.made_at.isocalendar()[:2]
        if index < KEEP_RECENT:
            keep.append(backup)
        elif age <= dt.timedelta(days=KEEP_DAILY_DAYS) and day not in days:
            keep.append(backup)
        elif age <= dt.timedelta(weeks=KEEP_WEEKLY_WEEKS) and week not in weeks and day not in days:
            keep.append(backup)
        else:
            continue
        days.add(day)
        weeks.add(week)
    kept = {b.path for b in keep}
    return keep, [b for b in backups if b.path not in kept]


def prune(folder: Path, now: dt.datetime | None = None) -> list[Path]:
    _keep, delete = plan_rotation(list_backups(folder), now or dt.datetime.now())
    removed = []
    for backup in delete:
        try:
            backup.path.unlink()
            removed.append(backup.path)
        except OSError:
            pass  # a backup we cannot delete is harmless
    return removed


def check_file(path: Path) -> list[str]:
    """Problems that make a file unusable as a BaoCaoXa database (empty list: it is good)."""
    try:
        con = connect(path, "ro")
    except sqlite3.Error as exc:
        return [f"không mở được: {exc}"]
    try:
        result = [row[0] for row in con.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            return result[:20]
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"reports", "report_values", "alembic_version"} <= tables:
            return ["không phải cơ sở dữ liệu của BaoCaoXa"]
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        if is_newer_schema(row[0] if row else None):
            return [f"được tạo bởi phiên bản BaoCaoXa mới hơn (lược đồ «{row[0]}», phiên bản này chỉ biết đến "
                    f"«{HEAD_REVISION}»); khôi phục bản này sẽ làm chương trình không mở được dữ liệu"]
        return []
    except sqlite3.DatabaseError as exc:
        return [f"tệp hỏng hoặc không phải cơ sở dữ liệu: {exc}"]
    finally:
        con.close()


def restore_into(backup: Path, db_path: Path) -> None:
    """Replace the (closed) live database with a verified backup, page by page, in one go."""
    problems = check_file(backup)
    if problems:
        raise StoreError(f"Bản sao lưu «{backup.name}» không dùng được: {'; '.join(problems)}")
    for suffix in ("-wal", "-shm"):
        stale = Path(f"{db_path}{suffix}")
        if stale.exists() and not db_path.exists():
            stale.unlink()
    src = connect(backup, "ro")
    try:
        dst = sqlite3.connect(db_path)
        try:
            src.backup(dst)
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            dst.close()
    finally:
        src.close()
