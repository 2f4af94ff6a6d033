"""Bundles, signing keys, senders, held bundles and conflicts: exchange with other units."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from db.engine import StoreError
from desktop_app.errors import UserError
from desktop_app.templating.model import FieldKind
from desktop_app.domain.vnformat import local_time
from desktop_app.workspace.base import ConflictSummary, SIGNING_SEED, STATUS_LABELS, _operation, _readable
from desktop_app.workspace.reports import ReportOperations


class ExchangeOperations(ReportOperations):
    """Bundles, signing keys, senders, held bundles and conflicts: exchange with other units."""

    def conflicts(self):
        return self.store.open_conflicts()

    @_operation
    def resolve_conflict(self, conflict_id: int, keep: str) -> None:
        if keep not in ("local", "incoming"):
            raise UserError("Chọn giữ bản «local» (trên máy này) hoặc «incoming» (bản nhận được).")
        try:
            self.store.resolve_conflict(conflict_id, keep, who=self.who)
        except StoreError as exc:
            raise UserError(str(exc)) from exc

    @_operation
    def export_bundle(self, target: str | Path, report_ids: list[int] | None = None,
                      split_size: int | None = None) -> dict[str, Any]:
        from desktop_app.exchange import bundles

        return bundles.export_bundle(self, target, report_ids, split_size=split_size)

    @_operation
    def import_bundles(self, paths: list[str | Path], progress=None, allow_unsigned: bool | None = None):
        from desktop_app.exchange import bundle_import

        return bundle_import.import_bundles(self, paths, progress, allow_unsigned=allow_unsigned)

    def signing_key(self):
        """This installation's key pair (:class:`desktop_app.exchange.signing.SigningKey`)."""
        if self._signing_key is None:
            from desktop_app.exchange.signing import SigningKey, new_seed

            seed = self.store.get_setting(SIGNING_SEED)
            if not seed:  # a backup restored from before keys existed: a new key, as on a new machine
                seed = new_seed()
                self.store.set_setting(SIGNING_SEED, seed)
            self._signing_key = SigningKey(seed)
        return self._signing_key

    @_operation
    def export_enrolment(self, target: str | Path) -> dict[str, Any]:
        """A file for the office above: registers this installation's key before the first bundle."""
        from desktop_app.exchange.signing import write_enrolment

        profile = self.profile()
        if profile is None:
            raise UserError("Chưa khai báo đơn vị: tệp đăng ký khóa mang mã đơn vị. Hãy khai báo đơn vị trước.")
        try:
            return write_enrolment(Path(target), self.signing_key(), profile)
        except OSError as exc:
            raise UserError(f"Không ghi được tệp «{target}»: {exc.strerror}.") from None

    @_operation
    def register_sender(self, enrolment_file: str | Path, replace: bool = False,
                        alongside: bool = False) -> tuple[dict[str, str], str]:
        from desktop_app.exchange.signing import read_enrolment

        key = read_enrolment(Path(enrolment_file))
        try:
            return key, self.store.register_sender(key, "enrolment", replace=replace, alongside=alongside)
        except StoreError as exc:
            raise UserError(f"{exc} Nếu đơn vị đã thay máy, dùng thêm «--replace»; nếu đó là máy thứ hai của "
                            "cùng đơn vị, dùng «--also».") from None

    def senders(self):
        return self.store.sender_keys()

    def held_bundles(self):
        return self.store.held_bundles()

    @_operation
    def accept_held(self, held_id: int, keep_old: bool = False):
        """Trust the new key of a held bundle's unit, then import the bundle. The old key is
        retired (a new computer), or with ``keep_old`` stays trusted too (a second computer)."""
        from desktop_app.exchange.bundle_import import import_bundles

        held = self._held(held_id)
        key = {"unit_code": held.unit_code, "unit_name": held.unit_name, "public_key": held.public_key,
               "fingerprint": held.fingerprint}
        self.store.register_sender(key, "accepted-change", replace=not keep_old, alongside=keep_old)
        self.store.decide_held(held_id, "accepted")
        path = self.data_dir / "held" / held.kept_as
        try:
            return import_bundles(self, [path])
        finally:
            path.unlink(missing_ok=True)

    @_operation
    def reject_held(self, held_id: int) -> None:
        """Refuse a held bundle and its key for that unit (later bundles signed by it are refused)."""
        held = self._held(held_id)
        self.store.reject_sender_key({"unit_code": held.unit_code, "unit_name": held.unit_name,
                                      "public_key": held.public_key, "fingerprint": held.fingerprint})
        self.store.decide_held(held_id, "rejected")
        (self.data_dir / "held" / held.kept_as).unlink(missing_ok=True)

    def _held(self, held_id: int):
        held = next((h for h in self.store.held_bundles() if h.id == held_id), None)
        if held is None:
            raise UserError(f"Không có gói số {held_id} đang được giữ lại chờ quyết định.")
        return held

    def conflict_list(self) -> list[ConflictSummary]:
        """Open conflicts as a person reads them (a deleted report's conflict is still listed)."""
        out = []
        for conflict in self.conflicts():
            record = self.store.get_report(conflict.report_id)
            if record is None:
                continue
            out.append(ConflictSummary(
                id=conflict.id, report_id=record.id, unit_name=record.unit.name or record.unit_code,
                title=self._title_of(record), period_label=record.period.label,
                received_at=local_time(conflict.received_at), deleted=record.deleted_at is not None))
        return out

    def conflict_differences(self, conflict_id: int) -> list[tuple[str, str, str, str]]:
        """(section, field, value here, value received) for each field the two versions disagree on."""
        conflict = next((c for c in self.conflicts() if c.id == conflict_id), None)
        if conflict is None:
            raise UserError(f"Không có xung đột số {conflict_id} đang chờ xử lý.")
        record = self.store.get_report(conflict.report_id)
        template = self.template(record.template_id, record.template_version)
        theirs_report = conflict.incoming.report
        incoming = theirs_report.values
        rows = [("", "Trạng thái", STATUS_LABELS.get(record.status, record.status),
                 STATUS_LABELS.get(theirs_report.status, theirs_report.status))]
        for section in template.sections:
            for f in section.fields:
                ours, theirs = record.values.get(f.id), incoming.get(f.id)
                if f.kind != FieldKind.COMPUTED and ours != theirs:
                    rows.append((section.title, f.label, _readable(f, ours), _readable(f, theirs)))
        return rows
