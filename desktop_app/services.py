"""The operations layer: the only API the CLI and the UI use to read and change data.

Like Anki's collection operations, every change goes through here, so validation,
NFC normalisation, the audit log and "committed at once" hold for every front end.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db import backups
from db.engine import StoreError
from db.store import DatabaseDamaged, ReportRecord, Store
from desktop_app import drafts, paths, units
from desktop_app.support import logs
from desktop_app.errors import ReportLocked, UserError
from desktop_app.periods import PERIOD_KIND_LABELS, PeriodError, parse_period
from desktop_app.reportdoc import ReportDocument, ReportDocumentError, coerce_values, parse_document
from desktop_app.templating.model import FieldKind, Template
from desktop_app.templating.registry import TemplateNotFound, TemplateRegistry
from desktop_app.text import clean_deep, distinct_names, nfc
from desktop_app.validation import ValidationResult, Validator
from desktop_app.values import ValueProblem, coerce
from desktop_app.vnformat import local_time

STATUS_LABELS = {"draft": "Đang soạn", "final": "Đã hoàn tất"}
SIGNING_SEED = "signing_seed"  # setting: this installation's Ed25519 private key (kept in the database)


class DamagedDatabase(UserError):
    """The database fails its check; ``backup`` is the latest good backup, if any."""

    def __init__(self, message: str, backup: Path | None):
        hint = f" Bản sao lưu tốt gần nhất: {backup}" if backup else " Không tìm thấy bản sao lưu nào còn tốt."
        super().__init__(message + hint)
        self.backup = backup


@dataclass
class ReportSummary:
    id: int
    template_id: str
    template_title: str
    period: str
    period_label: str
    status: str
    status_label: str
    completeness: float
    errors: int
    updated_at: dt.datetime
    unit_name: str


@dataclass(frozen=True)
class ConflictSummary:
    id: int
    report_id: int
    unit_name: str
    title: str
    period_label: str
    received_at: dt.datetime
    deleted: bool


@dataclass(frozen=True)
class ReceivedPeriod:
    template_id: str
    title: str
    period: str
    period_label: str
    units: int
    end: dt.date


def _readable(f, value: Any) -> str:
    """A value as a person compares it: tables row by row, empty shown as such."""
    from desktop_app.values import format_value, is_empty

    if is_empty(value):
        return "(trống)"
    if f.kind == FieldKind.TABLE:
        lines = []
        for row in value:
            cells = [format_value(c, row.get(c.id)) for c in f.columns or [] if not is_empty(row.get(c.id))]
            lines.append(" | ".join(cells))
        return "\n".join(lines)
    return format_value(f, value)


def _operation(fn):
    """A mutating operation: logged (name, report, duration, outcome; never values), and a store
    failure reaches the person as a :class:`UserError` with the store's Vietnamese message."""
    logged = logs.logged(fn)

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return logged(*args, **kwargs)
        except StoreError as exc:
            if isinstance(exc, UserError):
                raise
            raise UserError(str(exc)) from exc

    return run


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some Windows setups
        return ""


class Workspace:
    """One data folder: its store, the templates it knows, and the operations on them."""

    def __init__(self, data_dir: str | Path | None = None, who: str | None = None):
        self.data_dir = paths.data_dir(data_dir)
        try:
            self.store = Store(self.data_dir, clean=clean_deep)
        except DatabaseDamaged as exc:
            raise DamagedDatabase(str(exc), self.latest_good_backup()) from exc
        except StoreError as exc:
            raise UserError(str(exc)) from exc
        self.templates = TemplateRegistry([paths.resource("templates"), self.data_dir / "templates"])
        self.who = who if who is not None else _who()
        self.origin = self.store.install_id()
        self._validators: dict[tuple[str, str], Validator] = {}
        self._signing_key = None
        if not self.store.get_setting(SIGNING_SEED):
            # First start: this installation's own signing key (32 random bytes; no crypto import).
            from desktop_app.signing import new_seed

            self.store.set_setting(SIGNING_SEED, new_seed())
        self._daily_backup()

    def close(self) -> None:
        self.store.close()

    def setting(self, key: str, default: Any = None) -> Any:
        return self.store.get_setting(key, default)

    @_operation
    def set_setting(self, key: str, value: Any) -> None:
        self.store.set_setting(key, value)

    def has_safe_repairs(self) -> bool:
        return bool(self.store.orphan_values())

    # --- backups and checks ----------------------------------------------------------
    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    def _daily_backup(self) -> None:
        """Once a day, at start-up, when there is something worth keeping."""
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
        try:
            path = backups.create(self.store.path, self.backup_dir, reason)
        except StoreError as exc:
            raise UserError(str(exc)) from exc
        backups.prune(self.backup_dir)
        return path

    def backups(self) -> list[backups.Backup]:
        return backups.list_backups(self.backup_dir)

    def latest_good_backup(self) -> Path | None:
        for backup in backups.list_backups(self.backup_dir):
            if not backups.check_file(backup.path):
                return backup.path
        return None

    @_operation
    def restore_backup(self, source: str | Path) -> Path | None:
        """Replace the data with a backup; the current state is backed up first."""
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
            self.store = Store(self.data_dir, clean=clean_deep)
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
            findings += [f"Kiểm tra toàn vẹn SQLite: {line}" for line in integrity[:20]]
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
            self.backup("truoc-sua-chua")
            removed = self.store.delete_orphan_values()
            findings.append(f"Đã xóa {removed} giá trị không thuộc báo cáo nào (đã sao lưu trước).")
        return findings

    # --- support ---------------------------------------------------------------------
    def startup_facts(self) -> dict[str, str]:
        """What the start-up log line and the support bundle say about this installation."""
        from desktop_app.support.bundle import startup_facts

        return startup_facts(self)

    @_operation
    def write_support_bundle(self, target: str | Path, extra: dict[str, str] | None = None) -> Path:
        """A zip for support: logs, the database check, the start-up facts; no report data."""
        from desktop_app.support.bundle import write_support_bundle

        return write_support_bundle(target, self.data_dir, self, extra=extra)

    # --- templates -----------------------------------------------------------------
    def template(self, template_id: str, version: str | None = None) -> Template:
        try:
            return self.templates.get(template_id, version)
        except TemplateNotFound as exc:
            raise UserError(str(exc)) from None

    def validator(self, template: Template) -> Validator:
        key = template.key
        if key not in self._validators:
            self._validators[key] = Validator(template)
        return self._validators[key]

    # --- unit profile ----------------------------------------------------------------
    def profile(self) -> dict[str, Any] | None:
        return self.store.get_profile()

    @_operation
    def set_unit(self, code: str, *, scheme: str = units.CURRENT, villages: list[str] | None = None,
                 signer_name: str | None = None, signer_title: str | None = None) -> dict[str, Any]:
        try:
            unit = units.find(code, scheme)
        except units.UnitNotFound as exc:
            raise UserError(str(exc)) from None
        old = self.profile() or {}
        profile = unit.as_profile()
        same_unit = old.get("code") == profile["code"] and old.get("scheme") == profile["scheme"]
        profile["villages"] = distinct_names(villages) if villages is not None \
            else (old.get("villages", []) if same_unit else [])
        profile["signer_name"] = nfc(signer_name).strip() if signer_name is not None else old.get("signer_name", "")
        profile["signer_title"] = nfc(signer_title).strip() if signer_title is not None else old.get("signer_title", "")
        self.store.set_profile(profile, who=self.who)
        return profile

    @_operation
    def update_profile(self, **changes: Any) -> dict[str, Any]:
        profile = self.profile()
        if profile is None:
            raise UserError("Chưa khai báo đơn vị. Hãy chọn đơn vị trước.")
        profile.update({k: v for k, v in changes.items() if k in ("villages", "signer_name", "signer_title")})
        self.store.set_profile(profile, who=self.who)
        return profile

    # --- reports -------------------------------------------------------------------
    def _record(self, report_id: int) -> ReportRecord:
        record = self.store.get_report(report_id)
        if record is None or record.deleted_at is not None:
            raise UserError(f"Không có báo cáo số {report_id}.")
        return record

    @_operation
    def new_report(self, template_id: str, period_spec: str, version: str | None = None) -> int:
        template = self.template(template_id, version)
        try:
            period = parse_period(period_spec)
        except PeriodError as exc:
            raise UserError(str(exc)) from None
        if period.kind not in template.period_kinds:
            allowed = ", ".join(PERIOD_KIND_LABELS[k].lower() for k in template.period_kinds)
            raise UserError(f"Mẫu «{template.title}» không dùng kỳ «{period.label}». Các loại kỳ được dùng: {allowed}.")
        profile = self.profile()
        if profile is None:
            raise UserError("Chưa khai báo đơn vị. Dùng «baocaoxa unit set --code MÃ» trước.")
        self._refuse_duplicate(profile.get("code"), template, period)
        document = {
            "number": "", "date": None, "place": profile.get("short_name"),
            "signer": profile.get("signer_name", ""),
            "signing_authority": template.document.signing.authority,
            "signer_title": profile.get("signer_title") or template.document.signing.title,
            "recipients": list(template.document.recipients),
        }
        values = self._prefill(template, profile)
        return self.store.create_report(
            unit=profile, template_id=template.id, template_version=template.version, period=period.spec,
            document=document, values=values, origin=self.origin, who=self.who)

    def _refuse_duplicate(self, unit_code: str | None, template: Template, period) -> None:
        existing = self.store.find_report(unit_code=unit_code, template_id=template.id, period=period.spec)
        if existing is not None:
            raise UserError(f"Đã có báo cáo «{template.short_title or template.title}» {period.label} "
                            f"(số {existing.id}). Hãy mở báo cáo đó thay vì tạo mới.")

    @staticmethod
    def _prefill(template: Template, profile: dict[str, Any]) -> dict[str, Any]:
        """Per-village tables start with one row per village of the profile; a village count
        (e.g. «Tổng số thôn») starts as the number of villages entered at setup."""
        values: dict[str, Any] = {}
        villages = profile.get("villages") or []
        for f in template.all_fields():
            if f.kind == FieldKind.TABLE and f.prefill == "villages" and villages and f.columns:
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
        own = (self.profile() or {}).get("code")
        records = [r for r in self.store.list_reports()
                   if include_received or not self.is_received(r, own)]  # values only for what is shown
        for record in self.store.with_values(records):
            try:
                template = self.templates.get(record.template_id, record.template_version)
                validator = self.validator(template)
                result = validator.validate(record.values, {"villages": record.unit.get("villages")})
                title, completeness, errors = template.short_title or template.title, \
                    validator.completeness(record.values), len(result.errors)
            except TemplateNotFound:
                title, completeness, errors = f"{record.template_id} (chưa có mẫu)", 0.0, 0
            out.append(ReportSummary(
                id=record.id, template_id=record.template_id, template_title=title, period=record.period,
                period_label=parse_period(record.period).label, status=record.status,
                status_label=(STATUS_LABELS.get(record.status, record.status)
                              + (" (chưa ký)" if record.unsigned else "")),
                completeness=completeness,
                errors=errors, updated_at=local_time(record.updated_at), unit_name=record.unit.get("name", "")))
        return out

    def report(self, report_id: int) -> tuple[ReportRecord, Template]:
        record = self._record(report_id)
        return record, self.template(record.template_id, record.template_version)

    def document(self, report_id: int) -> ReportDocument:
        record = self._record(report_id)
        return ReportDocument(
            template_id=record.template_id, template_version=record.template_version, period=record.period,
            unit=record.unit, document=record.document, values=record.values,
            extra={"uid": record.uid, "revision": record.revision, "origin": record.origin,
                   "status": record.status})

    def validate(self, report_id: int) -> ValidationResult:
        """Every error and warning, unreadable typed text (drafts) included."""
        record, template = self.report(report_id)
        validator = self.validator(template)
        result = validator.validate(record.values, self._context(record))
        return drafts.apply(result, template, self.store.drafts(report_id), validator.section_of)

    def drafts(self, report_id: int) -> dict[str, str]:
        return self.store.drafts(report_id)

    def _context(self, record: ReportRecord) -> dict[str, Any]:
        return {"villages": record.unit.get("villages"), "previous": self.previous_values(record)}

    def previous_report(self, record: ReportRecord) -> ReportRecord | None:
        """Last period's report of the same unit and template: the period just before, or else the
        latest earlier one of the same kind."""
        period = parse_period(record.period)
        candidates = []
        for other in self.store.list_reports(unit_code=record.unit_code, template_id=record.template_id):
            if other.id == record.id:
                continue
            try:
                other_period = parse_period(other.period)
            except PeriodError:
                continue
            if other_period.kind == period.kind and other_period.end < period.start:
                candidates.append((other_period.spec == period.previous().spec, other_period.end, other))
        if not candidates:
            return None
        chosen = max(candidates, key=lambda c: (c[0], c[1]))[2]
        return self.store.get_report(chosen.id)  # only the chosen one's values are read

    def previous_values(self, record: ReportRecord) -> dict[str, Any]:
        previous = self.previous_report(record)
        return dict(previous.values) if previous else {}

    def is_received(self, record: ReportRecord, own_code: str | None = None) -> bool:
        """Another unit's report that came in a bundle: the receiving office reads it, the sender edits it."""
        own = own_code or (self.profile() or {}).get("code")
        return bool(own and record.unit_code != own and record.origin and record.origin != self.origin)

    def _editable(self, record: ReportRecord) -> None:
        if self.is_received(record):
            raise ReportLocked(f"Báo cáo này nhận từ {record.unit.get('name') or record.unit_code} qua gói dữ liệu "
                               "nên chỉ để xem. Đơn vị gửi sửa trên máy của mình rồi gửi lại gói mới.")
        if record.status == "final":
            raise ReportLocked("Báo cáo đã hoàn tất nên không sửa được. Hãy mở lại báo cáo (ghi rõ lý do) để sửa.")

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

    def _backup_before_import(self) -> None:
        if self.store.list_reports(include_deleted=True):
            self.backup("truoc-nhap")

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
        document = dict(record.document)
        document.update({k: (nfc(v) if isinstance(v, str) else v) for k, v in changes.items()})
        self.store.update_report(report_id, who=self.who, action="document", document=document)

    @_operation
    def remember_section(self, report_id: int, section_id: str) -> None:
        try:
            self.store.update_report(report_id, last_section=section_id)
        except StoreError:
            pass  # only a convenience: never block moving between pages

    @_operation
    def import_document(self, data: Any) -> tuple[int, bool]:
        """Create or update a report from a report JSON document; returns (id, created)."""
        try:
            doc, template = parse_document(data, self.templates)
        except ReportDocumentError as exc:
            raise UserError("Tệp báo cáo không hợp lệ, không nhập gì:", exc.problems) from None
        self._backup_before_import()
        unit = doc.unit or self.profile() or {}
        if not unit.get("code"):
            raise UserError("Tệp báo cáo không ghi đơn vị («unit.code») và máy này chưa khai báo đơn vị.")
        uid = doc.extra.get("uid")
        if uid is not None and not (isinstance(uid, str) and re.fullmatch(r"[0-9a-f][0-9a-f-]{7,35}", uid)):
            raise UserError("Tệp báo cáo có mã «uid» không hợp lệ (cần 8–36 chữ số thập lục phân), không nhập gì.")
        existing = self.store.find_report(uid=uid, include_deleted=True) if uid else None
        if existing is not None and existing.deleted_at is not None:
            raise UserError(f"Báo cáo trong tệp là báo cáo số {existing.id} đã bị xóa trên máy này. Hãy khôi phục nó "
                            f"(«baocaoxa report restore {existing.id}» hoặc Báo cáo → Báo cáo đã xóa…) rồi nhập lại.")
        if existing is None:
            existing = self.store.find_report(unit_code=unit["code"], template_id=template.id, period=doc.period)
        if existing is not None:
            self._editable(existing)
            self.store.set_values(existing.id, doc.values, who=self.who, action="import", replace_all=True)
            self.store.update_report(existing.id, who=self.who, action="import", unit=unit,
                                     document=doc.document or existing.document)
            return existing.id, False
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
        try:
            period = parse_period(period_spec)
        except PeriodError as exc:
            raise UserError(str(exc)) from None
        if period.kind not in template.period_kinds:
            raise UserError(f"Mẫu này không dùng kỳ «{period.label}».")
        if period.spec == record.period:
            raise UserError("Hãy chọn một kỳ báo cáo khác với kỳ của báo cáo gốc.")
        self._refuse_duplicate((self.profile() or record.unit).get("code"), template, period)
        keep = {f.id for f in template.all_fields() if f.carry_forward} if carry_forward_only else set(record.values)
        values = {k: v for k, v in record.values.items() if k in keep}
        document = dict(record.document, number="", date=None)
        return self.store.create_report(
            unit=self.profile() or record.unit, template_id=template.id, template_version=template.version,
            period=period.spec, document=document, values=values, origin=self.origin, who=self.who,
            action="duplicate", note=f"từ báo cáo số {report_id} ({record.period})")

    @_operation
    def finalise(self, report_id: int) -> ValidationResult:
        record = self._record(report_id)
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

    def deleted_reports(self) -> list[ReportRecord]:
        return [r for r in self.store.list_reports(include_deleted=True) if r.deleted_at is not None]

    # --- sync bundles and the receiving office ----------------------------------------
    @_operation
    def export_bundle(self, target: str | Path, report_ids: list[int] | None = None,
                      split_size: int | None = None) -> dict[str, Any]:
        from desktop_app import bundles

        return bundles.export_bundle(self, target, report_ids, split_size=split_size)

    @_operation
    def import_bundles(self, paths: list[str | Path], progress=None, allow_unsigned: bool | None = None):
        from desktop_app import bundle_import

        return bundle_import.import_bundles(self, paths, progress, allow_unsigned=allow_unsigned)

    # --- keys and senders ---------------------------------------------------------------
    def signing_key(self):
        """This installation's key pair (:class:`desktop_app.signing.SigningKey`)."""
        if self._signing_key is None:
            from desktop_app.signing import SigningKey, new_seed

            seed = self.store.get_setting(SIGNING_SEED)
            if not seed:  # a backup restored from before keys existed: a new key, as on a new machine
                seed = new_seed()
                self.store.set_setting(SIGNING_SEED, seed)
            self._signing_key = SigningKey(seed)
        return self._signing_key

    @_operation
    def export_enrolment(self, target: str | Path) -> dict[str, Any]:
        """A file for the office above: registers this installation's key before the first bundle."""
        from desktop_app.signing import write_enrolment

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
        from desktop_app.signing import read_enrolment

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
        from desktop_app.bundle_import import import_bundles

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

    def received(self) -> list[ReceivedPeriod]:
        """Each template and period with reports from other units: what can be consolidated.

        One period written two ways (``2025-09``, ``2025-09-01..2025-09-30``) is one entry."""
        own = (self.profile() or {}).get("code")
        groups: dict[tuple, tuple[Any, set[str]]] = {}
        for template_id, spec, unit_code in self.store.units_by_period():
            try:
                period = parse_period(spec)
            except PeriodError:
                continue
            key = (template_id, period.start, period.end)
            _first, unit_codes = groups.setdefault(key, (period, set()))
            if unit_code != own:
                unit_codes.add(unit_code)
        out = []
        for (template_id, _start, _end), (period, unit_codes) in groups.items():
            if not unit_codes:
                continue
            try:
                template = self.templates.get(template_id)
            except TemplateNotFound:
                continue
            out.append(ReceivedPeriod(template_id, template.short_title or template.title, period.spec,
                                      period.label, len(unit_codes), period.end))
        return sorted(out, key=lambda r: (r.end, r.title), reverse=True)

    def consolidate(self, template_id: str, period: str):
        from desktop_app import consolidation

        return consolidation.gather(self, template_id, period)

    def conflict_list(self) -> list[ConflictSummary]:
        """Open conflicts as a person reads them (a deleted report's conflict is still listed)."""
        out = []
        for conflict in self.conflicts():
            record = self.store.get_report(conflict.report_id)
            if record is None:
                continue
            try:
                template = self.templates.get(record.template_id, record.template_version)
                title = template.short_title or template.title
            except TemplateNotFound:
                title = record.template_id
            out.append(ConflictSummary(
                id=conflict.id, report_id=record.id, unit_name=record.unit.get("name") or record.unit_code,
                title=title, period_label=parse_period(record.period).label,
                received_at=local_time(conflict.received_at), deleted=record.deleted_at is not None))
        return out

    def conflict_differences(self, conflict_id: int) -> list[tuple[str, str, str, str]]:
        """(section, field, value here, value received) for each field the two versions disagree on."""
        conflict = next((c for c in self.conflicts() if c.id == conflict_id), None)
        if conflict is None:
            raise UserError(f"Không có xung đột số {conflict_id} đang chờ xử lý.")
        record = self.store.get_report(conflict.report_id)
        template = self.template(record.template_id, record.template_version)
        incoming = conflict.incoming.get("values") or {}
        rows = [("", "Trạng thái", STATUS_LABELS.get(record.status, record.status),
                 STATUS_LABELS.get(conflict.incoming.get("status"), conflict.incoming.get("status") or ""))]
        for section in template.sections:
            for f in section.fields:
                ours, theirs = record.values.get(f.id), incoming.get(f.id)
                if f.kind != FieldKind.COMPUTED and ours != theirs:
                    rows.append((section.title, f.label, _readable(f, ours), _readable(f, theirs)))
        return rows
