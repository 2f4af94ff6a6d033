"""Creating, editing, checking, finalising and deleting this unit's reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from db.engine import StoreError
from desktop_app.domain import drafts, lineage, units
from desktop_app.domain.declared_rows import initial_rows
from desktop_app.domain.entities import DocumentHeader, Report, UnitProfile
from desktop_app.errors import ReportExists, UserError
from desktop_app.domain.periods import PERIOD_KIND_LABELS, Period, read_period
from desktop_app.domain.reportdoc import ReportDocumentError, coerce_values, parse_document
from desktop_app.templating.model import FieldKind, Template
from desktop_app.templating.registry import TemplateNotFound
from desktop_app.domain.text import nfc
from desktop_app.domain.validation import ValidationResult, evaluation_context
from desktop_app.office.predecessors import CombinedPrevious, combine
from desktop_app.domain.vnformat import local_time
from desktop_app.workspace.base import DeletedReport, ReportSummary, STATUS_LABELS, _operation
from desktop_app.workspace.core import WorkspaceCore


class ReportOperations(WorkspaceCore):
    """Creating, editing, checking, finalising and deleting this unit's reports."""

    @_operation
    def new_report(self, template_id: str, period_spec: str, version: str | None = None) -> int:
        template = self.template(template_id, version)  # an unknown type or version is refused first
        period = read_period(period_spec)
        profile = self.profile()
        if profile is None:
            raise UserError("Chưa khai báo đơn vị. Dùng «baocaoxa unit set --code MÃ» trước.")
        if version is None:  # the version in effect for this period and made for this unit's level
            try:
                template = self.templates.for_period(template_id, period.start, period.end, profile.level)
            except TemplateNotFound as exc:
                raise UserError(str(exc)) from None
        if period.kind not in template.period_kinds:
            allowed = ", ".join(PERIOD_KIND_LABELS[k].lower() for k in template.period_kinds)
            raise UserError(f"Mẫu «{template.title}» không dùng kỳ «{period.label}». Các loại kỳ được dùng: {allowed}.")
        self._refuse_duplicate(profile.code, template, period)
        document = DocumentHeader(
            place=profile.short_name, signer=profile.signer_name,
            signing_authority=template.document.signing.authority,
            signer_title=profile.signer_title or template.document.signing.title,
            recipients=tuple(template.document.recipients))
        values = self._prefill(template, profile)
        return self.store.create_report(
            unit=profile, template_id=template.id, template_version=template.version, period=period,
            document=document, values=values, origin=self.origin, who=self.who)

    def _refuse_duplicate(self, unit_code: str | None, template: Template, period) -> None:
        existing = self.store.find_report(unit_code=unit_code, template_id=template.id, period=period)
        if existing is not None:
            raise UserError(f"Đã có báo cáo «{template.display_title}» {period.label} "
                            f"(số {existing.id}). Hãy mở báo cáo đó thay vì tạo mới.")

    @staticmethod
    def _prefill(template: Template, profile: UnitProfile) -> dict[str, Any]:
        """Tables with declared rows start with them; per-village tables start with one row per
        village of the profile; a village count
        (e.g. «Tổng số thôn») starts as the number of villages entered at setup."""
        values: dict[str, Any] = {}
        villages = list(profile.villages)
        for f in template.all_fields():
            if f.kind == FieldKind.TABLE and f.rows:
                values[f.id] = initial_rows(f)  # the template's own rows (an indicator list)
            elif f.kind == FieldKind.TABLE and f.prefill == "villages" and villages and f.columns:
                first = next(c for c in f.columns if c.kind == FieldKind.TEXT)
                values[f.id] = [{first.id: v} for v in villages]
            elif f.prefill == "village_count" and villages:
                values[f.id] = len(villages)
        return values

    def reports(self, include_received: bool = True) -> list[ReportSummary]:
        """Reports with their state. The window's list leaves out the reports other units sent
        in bundles (the consolidation view shows those); a report imported from a JSON file
        stays, whatever its unit."""
        out = []
        own = (self.profile() or UnitProfile()).code
        records = [r for r in self.store.list_reports()
                   if include_received or not self.is_received(r, own)]  # values only for what is shown
        for record in self.store.with_values(records):
            try:
                template = self.templates.get(record.template_id, record.template_version)
                validator = self.validator(template)
                result = validator.validate(record.values, evaluation_context(record.unit))
                title, completeness, errors = template.display_title, \
                    validator.completeness(record.values), len(result.errors)
            except TemplateNotFound:
                title, completeness, errors = f"{record.template_id} (chưa có mẫu)", 0.0, 0
            out.append(ReportSummary(
                id=record.id, template_id=record.template_id, template_title=title, period=record.period,
                period_label=record.period.label, status=record.status,
                status_label=(STATUS_LABELS.get(record.status, record.status)
                              + (" (chưa ký)" if record.unsigned else "")),
                completeness=completeness,
                errors=errors, updated_at=local_time(record.updated_at), unit_name=record.unit.name))
        return out

    def validate(self, report_id: int) -> ValidationResult:
        """Every error and warning, unreadable typed text (drafts) included."""
        record, template = self.report(report_id)
        validator = self.validator(template)
        result = validator.validate(record.values, self._context(record))
        return drafts.apply(result, template, self.store.drafts(report_id), validator.section_of)

    def drafts(self, report_id: int) -> dict[str, str]:
        return self.store.drafts(report_id)

    def _context(self, record: Report) -> dict[str, Any]:
        return evaluation_context(record.unit, self.previous_values(record))

    def previous_report(self, record: Report) -> Report | None:
        """Last period's report of the same unit and template: the period just before, or else the
        latest earlier one of the same kind."""
        scheme = record.unit.scheme or units.CURRENT
        # an old commune that had this number before 2025 is not this unit
        return self._latest_before(
            record.unit_code, record.template_id, record.period,
            lambda other: other.id != record.id and (other.unit.scheme or units.CURRENT) == scheme)

    def _latest_before(self, unit_code: str, template_id: str, period: Period,
                       keep: Callable[[Report], bool]) -> Report | None:
        """The unit's report for the period just before ``period``, else its latest earlier one of
        the same kind (only the chosen one's values are read)."""
        candidates = []
        for other in self.store.list_reports(unit_code=unit_code, template_id=template_id):
            other_period = other.period
            if keep(other) and other_period.kind == period.kind and other_period.end < period.start:
                candidates.append((other_period.spec == period.previous().spec, other_period.end, other))
        if not candidates:
            return None
        return self.store.get_report(max(candidates, key=lambda c: (c[0], c[1]))[2].id)

    def previous_values(self, record: Report) -> dict[str, Any]:
        return self.previous_period_of(record)[1]

    def previous_period_of(self, record: Report) -> tuple[Period | None, dict[str, Any]]:
        """Last period and its values, as expressions and the editor see them: the unit's own
        report, else (a commune formed in 2025) its predecessors' reports combined."""
        previous = self.previous_report(record)
        if previous is not None:
            return previous.period, dict(previous.values)
        combined = self.previous_from_predecessors(record)
        return (record.period.previous(), combined.values) if combined is not None else (None, {})

    def previous_from_predecessors(self, record: Report) -> CombinedPrevious | None:
        """A commune formed in July 2025 has no report of its own for last period: its previous period
        is built from its predecessors' reports (old codes) for that period, when this machine has them."""
        unit = record.unit
        if (unit.scheme or units.CURRENT) != units.CURRENT or unit.level != "xa":
            return None
        predecessors = lineage.predecessors(record.unit_code)
        if not predecessors:
            return None
        template = self.template(record.template_id, record.template_version)
        period = record.period
        found, missing = [], []
        for predecessor in predecessors:
            # the same number on the current list is another commune
            report = self._latest_before(predecessor.unit.code, record.template_id, period,
                                         lambda other: other.unit.scheme == units.LEGACY)
            (found.append((predecessor, report)) if report is not None else missing.append(predecessor))
        if not found:
            return None
        return combine(template, period.previous(), found, missing)

    @_operation
    def set_values(self, report_id: int, raw: dict[str, Any]) -> ValidationResult:
        """Merge values from a JSON object: all accepted, or nothing written."""
        record, template = self.report(report_id)
        self._editable(record)
        values, problems = coerce_values(template, raw)
        if problems:
            raise UserError("Không lưu gì vì có giá trị không hợp lệ:", problems)
        changes = {k: values.get(k) for k in raw if k in values}
        self.store.set_values(report_id, changes, who=self.who)
        return self.validate(report_id)

    @_operation
    def replace_values(self, report_id: int, values: dict[str, Any], action: str) -> int:
        """Replace every value of a report at once (a checked import); returns how many changed."""
        record = self._record(report_id)
        self._editable(record)
        self._backup_before_import()
        return self.store.set_values(report_id, values, who=self.who, action=action, replace_all=True)

    @_operation
    def store_value(self, report_id: int, field_id: str, stored: Any,
                    draft_changes: dict[str, str | None] | None = None) -> None:
        """Commit one already-checked value (the editing session's autosave), and in the same
        transaction the unreadable text typed into it (``draft_changes``: key → text or None)."""
        record = self._record(report_id)
        self._editable(record)
        try:
            self.store.set_values(report_id, {field_id: stored}, who=self.who, drafts=draft_changes)
        except StoreError as exc:
            raise UserError(str(exc)) from exc

    @_operation
    def set_drafts(self, report_id: int, changes: dict[str, str | None]) -> None:
        """Keep (or clear) unreadable typed text that belongs to no value, e.g. the signing date."""
        self._editable(self._record(report_id))
        try:
            self.store.set_values(report_id, {}, who=self.who, drafts=changes)
        except StoreError as exc:
            raise UserError(str(exc)) from exc

    @_operation
    def set_document(self, report_id: int, **changes: Any) -> None:
        record = self._record(report_id)
        self._editable(record)
        try:
            document = record.document.with_changes(
                **{k: (nfc(v) if isinstance(v, str) else v) for k, v in changes.items()})
        except (TypeError, ValueError) as exc:
            raise UserError(f"Chi tiết văn bản không hợp lệ: {exc}") from None
        self.store.update_report(report_id, who=self.who, action="document", document=document)

    @_operation
    def remember_section(self, report_id: int, section_id: str) -> None:
        try:
            self.store.update_report(report_id, last_section=section_id)
        except StoreError:
            pass  # only a convenience: never block moving between pages

    @_operation
    def import_document(self, data: Any, replace: bool = False) -> tuple[int, bool]:
        """Create a report from a report JSON document; returns (id, created).

        A report already here for the same unit, template and period (or with the same uid) is
        replaced only with ``replace``: otherwise :class:`ReportExists`, nothing changed."""
        try:
            doc, template = parse_document(data, self.templates)
        except ReportDocumentError as exc:
            raise UserError("Tệp báo cáo không hợp lệ, không nhập gì:", exc.problems) from None
        unit = doc.unit if doc.unit != UnitProfile() else (self.profile() or UnitProfile())
        if not unit.code:
            raise UserError("Tệp báo cáo không ghi đơn vị («unit.code») và máy này chưa khai báo đơn vị.")
        uid = doc.uid or None
        existing = self.store.find_report(uid=uid, include_deleted=True) if uid else None
        if existing is not None and existing.deleted_at is not None:
            raise UserError(f"Báo cáo trong tệp là báo cáo số {existing.id} đã bị xóa trên máy này. Hãy khôi phục nó "
                            f"(«baocaoxa report restore {existing.id}» hoặc Báo cáo → Báo cáo đã xóa…) rồi nhập lại.")
        if existing is None:
            existing = self.store.find_report(unit_code=unit.code, template_id=template.id, period=doc.period)
        if existing is not None:
            self._editable(existing)
            document = existing.document if doc.document.blank else doc.document
            if existing.values == doc.values and existing.document == document and existing.unit == unit:
                return existing.id, False  # the same content again (e.g. what «report show --json» printed)
            if not replace:
                title = template.display_title
                raise ReportExists(f"báo cáo «{title}» {existing.period.label} "
                                   f"của {existing.unit.name or existing.unit_code} (số {existing.id})", existing.id)
            self._backup_before_import()
            self.store.set_values(existing.id, doc.values, who=self.who, action="import", replace_all=True)
            self.store.update_report(existing.id, who=self.who, action="import", unit=unit, document=document)
            return existing.id, False
        self._backup_before_import()
        report_id = self.store.create_report(
            unit=unit, template_id=template.id, template_version=template.version, period=doc.period,
            document=doc.document, values=doc.values, origin=self.origin, uid=uid, who=self.who,
            action="import")
        return report_id, True

    @_operation
    def duplicate_report(self, report_id: int, period_spec: str, *, carry_forward_only: bool = False) -> int:
        """A new draft for another period, starting from this report's values.

        With ``carry_forward_only`` only the fields the template marks ``carry_forward``
        (inventories: villages, loudspeakers, postal points…) are copied.
        """
        record, template = self.report(report_id)
        period = read_period(period_spec)
        if period.kind not in template.period_kinds:
            raise UserError(f"Mẫu này không dùng kỳ «{period.label}».")
        if period == record.period:
            raise UserError("Hãy chọn một kỳ báo cáo khác với kỳ của báo cáo gốc.")
        self._refuse_duplicate((self.profile() or record.unit).code, template, period)
        keep = {f.id for f in template.all_fields() if f.carry_forward} if carry_forward_only else set(record.values)
        values = {k: v for k, v in record.values.items() if k in keep}
        document = record.document.with_changes(number="", date=None)
        return self.store.create_report(
            unit=self.profile() or record.unit, template_id=template.id, template_version=template.version,
            period=period, document=document, values=values, origin=self.origin, who=self.who,
            action="duplicate", note=f"từ báo cáo số {report_id} ({record.period.spec})")

    @_operation
    def finalise(self, report_id: int) -> ValidationResult:
        record = self._record(report_id)
        self._own(record)
        result = self.validate(report_id)
        if result.errors:
            raise UserError(f"Chưa hoàn tất được: báo cáo còn {len(result.errors)} lỗi cần sửa.",
                            [i.message for i in result.errors[:20]])
        if record.status != "final":
            self.store.update_report(report_id, who=self.who, action="finalise", status="final")
        return result

    @_operation
    def reopen(self, report_id: int, reason: str) -> None:
        record = self._record(report_id)
        self._own(record)
        if not reason or not reason.strip():
            raise UserError("Cần ghi lý do mở lại báo cáo đã hoàn tất.")
        if record.status == "final":
            self.store.update_report(report_id, who=self.who, action="reopen", note=nfc(reason.strip()),
                                     status="draft")

    @_operation
    def delete_report(self, report_id: int) -> None:
        self._record(report_id)
        self.store.delete_report(report_id, who=self.who)

    @_operation
    def restore_report(self, report_id: int) -> None:
        self.store.restore_report(report_id, who=self.who)

    def deleted_reports(self) -> list[DeletedReport]:
        """Deleted reports as the person reads them: title, period and when (local time)."""
        out = []
        for record in self.store.list_reports(include_deleted=True):
            if record.deleted_at is None:
                continue
            out.append(DeletedReport(record.id, record.template_id, self._title_of(record), record.period.label,
                                     local_time(record.deleted_at)))
        return out
