"""Backups, restore, database checks and the support bundle: keeping the data safe."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from db import backups, server
from db.engine import StoreError
from db.store import Store
from desktop_app.errors import UserError
from desktop_app.templating.registry import TemplateNotFound
from desktop_app.domain.text import clean_deep
from desktop_app.domain.values import ValueProblem, coerce
from desktop_app.workspace.base import WorkspaceState, _operation


class BackupByServer(UserError):
    """A shared PostgreSQL store is backed up by the server's own tools; the message says how."""


class DataSafety(WorkspaceState):
    """Backups, restore, database checks and the support bundle: keeping the data safe.

    With a shared PostgreSQL store (:mod:`db.server`) there is no file here to copy: the backup
    commands explain ``pg_dump`` / ``pg_restore`` instead, and the automatic copies (daily,
    before an import, before a repair) are left to the server's scheduled dumps."""

    def has_safe_repairs(self) -> bool:
        return bool(self.store.orphan_values())

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    def _daily_backup(self) -> None:
        """Once a day, at start-up, when there is something worth keeping."""
        if self.store.is_shared:
            return
        today = dt.date.today()
        if any(b.made_at.date() == today for b in backups.list_backups(self.backup_dir)):
            return
        if not self.store.list_reports(include_deleted=True):
            return
        try:
            self.backup("hang-ngay")
        except UserError:
            pass  # a full disk must not stop the person from working; the next start tries again

    @_operation
    def backup(self, reason: str = "thu-cong") -> Path:
        if self.store.server_url is not None:
            raise BackupByServer(server.backup_explanation(self.store.server_url))
        try:
            path = backups.create(self.store.path, self.backup_dir, reason)
        except StoreError as exc:
            raise UserError(str(exc)) from exc
        backups.prune(self.backup_dir)
        return path

    def backups(self) -> list[backups.Backup]:
        if self.store.is_shared:
            return []
        return backups.list_backups(self.backup_dir)

    def latest_good_backup(self) -> Path | None:
        if getattr(self, "store", None) is not None and self.store.is_shared:
            return None
        for backup in backups.list_backups(self.backup_dir):
            if not backups.check_file(backup.path):
                return backup.path
        return None

    @_operation
    def restore_backup(self, source: str | Path) -> Path | None:
        """Replace the data with a backup; the current state is backed up first."""
        if self.store.server_url is not None:
            raise BackupByServer(server.backup_explanation(self.store.server_url))
        source = Path(source)
        if not source.is_file():
            raise UserError(f"Không tìm thấy bản sao lưu «{source}».")
        problems = backups.check_file(source)
        if problems:
            raise UserError(f"Bản sao lưu «{source.name}» không dùng được:", problems)
        safety = None
        if self.store.integrity_check() == ["ok"]:  # a damaged current file cannot be copied safely
            safety = self.backup("truoc-khoi-phuc")
        self.store.close()
        try:
            backups.restore_into(source, self.store.path)
        except StoreError as exc:
            raise UserError(str(exc)) from exc
        finally:
            self.store = Store(self.data_dir, clean=clean_deep)  # restore is SQLite only (see backup())
            self._validators.clear()
            self._signing_key = None
        return safety

    @_operation
    def check(self, repair: bool = False, private: bool = False) -> list[str]:
        """The integrity check and the app's own checks; repairs only what is safe, after a backup.

        ``private`` (the support bundle): a value that does not read is named by report and
        field only, never quoted."""
        findings: list[str] = []
        integrity = self.store.integrity_check()
        if integrity != ["ok"]:
            what = "PostgreSQL" if self.store.is_shared else "SQLite"
            findings += [f"Kiểm tra toàn vẹn {what}: {line}" for line in integrity[:20]]
        orphans = self.store.orphan_values()
        if orphans:
            findings.append(f"{orphans} giá trị không thuộc báo cáo nào (có thể xóa an toàn).")
        for record in self.store.list_reports(include_deleted=True, with_values=True):
            try:
                template = self.templates.get(record.template_id, record.template_version)
            except TemplateNotFound:
                findings.append(f"Báo cáo số {record.id}: chưa có mẫu «{record.template_id}» phiên bản "
                                f"{record.template_version} (số liệu vẫn được giữ nguyên).")
                continue
            known = {f.id: f for f in template.all_fields()}
            for field_id, value in record.values.items():
                f = known.get(field_id)
                if f is None:
                    findings.append(f"Báo cáo số {record.id}: có giá trị của trường «{field_id}» mà mẫu không còn "
                                    "(được giữ nguyên).")
                    continue
                try:
                    coerce(f, value)
                except ValueProblem as exc:
                    findings.append(f"Báo cáo số {record.id}: giá trị của trường «{field_id}» không hợp lệ "
                                    f"(kiểu {f.kind.value})." if private
                                    else f"Báo cáo số {record.id}: giá trị không hợp lệ — {exc}")
        if repair and orphans:
            if not self.store.is_shared:  # on the server, one transaction; its dumps are the backup
                self.backup("truoc-sua-chua")
            removed = self.store.delete_orphan_values()
            findings.append(f"Đã xóa {removed} giá trị không thuộc báo cáo nào (đã sao lưu trước).")
        return findings

    def _backup_before_import(self) -> None:
        if not self.store.is_shared and self.store.list_reports(include_deleted=True):
            self.backup("truoc-nhap")
