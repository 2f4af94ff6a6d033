"""Opening a data folder; settings, templates, the unit profile, and reading one report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from db.engine import StoreError
from db.store import DatabaseDamaged, Store
from desktop_app import paths
from desktop_app.domain import roles, units
from desktop_app.errors import ReportLocked, UserError
from desktop_app.domain.entities import Report, UnitProfile
from desktop_app.templating.model import Template
from desktop_app.templating.registry import Installed, TemplateNotFound, TemplateRefused, TemplateRegistry
from desktop_app.domain.text import clean_deep, distinct_names, nfc
from desktop_app.domain.validation import Validator
from desktop_app.workspace.base import (
    DamagedDatabase, SIGNING_SEED, TemplateTypeInfo, TemplateVersionInfo, _operation,
)
from desktop_app.workspace import staff
from desktop_app.workspace.safety import DataSafety


class WorkspaceCore(DataSafety):
    """Opening a data folder; settings, templates, the unit profile, and reading one report."""

    def __init__(self, data_dir: str | Path | None = None, who: str | None = None, database: str | None = None):
        """``database``: a shared PostgreSQL store (``postgresql://…``) instead of the data folder's
        SQLite file (default: the folder's setting, see :mod:`db.server`). ``who``: the staff
        member the audit log names (default: the name chosen on this PC, else the OS user)."""
        self.data_dir = paths.data_dir(data_dir)
        try:
            self.store = Store(self.data_dir, clean=clean_deep, database=database)
        except DatabaseDamaged as exc:
            raise DamagedDatabase(str(exc), self.latest_good_backup()) from exc
        except StoreError as exc:
            raise UserError(str(exc)) from exc
        self.templates = TemplateRegistry([paths.resource("templates"), self.data_dir / "templates"])
        self.who = staff.recorded_name(self.data_dir, who)
        self.origin = self.store.install_id()
        self._validators: dict[tuple[str, str], Validator] = {}
        self._signing_key = None
        if not self.store.get_setting(SIGNING_SEED):
            # First start: this installation's own signing key (32 random bytes; no crypto import).
            from desktop_app.exchange.signing import new_seed

            self.store.set_setting(SIGNING_SEED, new_seed())
        self._daily_backup()

    def close(self) -> None:
        self.store.close()

    def set_staff_name(self, name: str) -> str:
        """Name ``name`` in this PC's audit entries from now on (empty: the OS user again)."""
        saved = staff.save_name(self.data_dir, name)
        self.who = staff.recorded_name(self.data_dir, None)
        return saved

    def setting(self, key: str, default: Any = None) -> Any:
        return self.store.get_setting(key, default)

    @_operation
    def set_setting(self, key: str, value: Any) -> None:
        self.store.set_setting(key, value)

    def template(self, template_id: str, version: str | None = None) -> Template:
        try:
            return self.templates.get(template_id, version)
        except TemplateNotFound as exc:
            raise UserError(str(exc)) from None

    @_operation
    def install_template(self, source: str | Path) -> Installed:
        """Check a template file and install it in the data folder (see ``TemplateRegistry.install``)."""
        try:
            return self.templates.install(Path(source), self.data_dir / "templates")
        except TemplateRefused as exc:
            raise UserError(exc.message, exc.problems) from None
        except OSError as exc:
            raise UserError(f"Không ghi được mẫu vào thư mục dữ liệu: {exc.strerror or exc}.") from None

    def template_types(self) -> list[TemplateTypeInfo]:
        """Every report type with its versions, legal basis, issuing province and dates."""
        from desktop_app.domain.vnformat import format_date

        by_id: dict[str, list[Template]] = {}
        for t in self.templates.all():
            by_id.setdefault(t.id, []).append(t)
        out = []
        for versions in by_id.values():
            newest = versions[-1]
            rows = []
            for t in reversed(versions):
                effective = f"từ {format_date(t.effective_from)}" + (
                    f" đến {format_date(t.effective_to)}" if t.effective_to else "")
                where = ("có sẵn trong chương trình" if self.templates.is_bundled(t)
                         else f"đã cài: {self.templates.sources[t.key].name}")
                rows.append(TemplateVersionInfo(t.version, effective, where))
            out.append(TemplateTypeInfo(newest.id, newest.display_title, list(newest.legal_basis),
                                        _province_label(newest.province), rows))
        return out

    def validator(self, template: Template) -> Validator:
        key = template.key
        if key not in self._validators:
            self._validators[key] = Validator(template)
        return self._validators[key]

    def profile(self) -> UnitProfile | None:
        return self.store.get_profile()

    @_operation
    def set_unit(self, code: str, *, scheme: str = units.CURRENT, villages: list[str] | None = None,
                 signer_name: str | None = None, signer_title: str | None = None, role: str | None = None,
                 body_name: str | None = None) -> UnitProfile:
        """The unit this installation speaks for, and its role (``desktop_app.domain.roles``):
        without ``role``, the unit's own (a commune writes, a province receives), or the role it
        had when the unit stays the same."""
        try:
            unit = units.find(code, scheme)
        except units.UnitNotFound as exc:
            raise UserError(str(exc)) from None
        old = self.profile() or UnitProfile()
        official = unit.as_profile()
        same_unit = old.code == official.code and old.scheme == official.scheme
        if role is None:
            role = roles.role_of(old) if same_unit else roles.role_of(official)
            body_name = old.body_name if body_name is None and same_unit else body_name
        try:
            body_name = roles.check_role(role, unit.level, body_name)
        except roles.RoleError as exc:
            raise UserError(str(exc)) from None
        if role in roles.RECEIVING and unit.level != "huyen":
            villages = []  # a provincial office has no villages of its own
        profile = official.with_changes(
            villages=distinct_names(villages) if villages is not None else (old.villages if same_unit else ()),
            signer_name=nfc(signer_name).strip() if signer_name is not None else old.signer_name,
            signer_title=nfc(signer_title).strip() if signer_title is not None else old.signer_title,
            role=role, body_name=body_name)
        self.store.set_profile(profile, who=self.who)
        return profile

    @_operation
    def update_profile(self, **changes: Any) -> UnitProfile:
        profile = self.profile()
        if profile is None:
            raise UserError("Chưa khai báo đơn vị. Hãy chọn đơn vị trước.")
        profile = profile.with_changes(**{k: v for k, v in changes.items()
                                          if k in ("villages", "signer_name", "signer_title")})
        self.store.set_profile(profile, who=self.who)
        return profile

    def _record(self, report_id: int) -> Report:
        record = self.store.get_report(report_id)
        if record is None or record.deleted_at is not None:
            raise UserError(f"Không có báo cáo số {report_id}.")
        return record

    def report(self, report_id: int) -> tuple[Report, Template]:
        record = self._record(report_id)
        return record, self.template(record.template_id, record.template_version)

    def is_received(self, record: Report, own_code: str | None = None) -> bool:
        """Another unit's report that came in a bundle: the receiving office reads it, the sender edits it."""
        own = own_code or (self.profile() or UnitProfile()).code
        return bool(own and record.unit_code != own and record.origin and record.origin != self.origin)

    def _own(self, record: Report) -> None:
        """Another unit's report received in a bundle is the sender's: nothing here changes it
        (a finalise or an edit would raise its revision and turn the sender's next bundle into
        a false conflict)."""
        if self.is_received(record):
            raise ReportLocked(f"Báo cáo này nhận từ {record.unit.name or record.unit_code} qua gói dữ liệu "
                               "nên chỉ để xem: nơi nhận không sửa, hoàn tất hay mở lại được. Đơn vị gửi sửa trên "
                               "máy của mình rồi gửi lại gói mới.")

    def refuse_if_received(self, report_id: int) -> None:
        """:class:`ReportLocked` when the report is another unit's, received in a bundle."""
        self._own(self._record(report_id))

    def _editable(self, record: Report) -> None:
        self._own(record)
        if record.status == "final":
            raise ReportLocked("Báo cáo đã hoàn tất nên không sửa được. Hãy mở lại báo cáo (ghi rõ lý do) để sửa.")


def _province_label(code: str | None) -> str:
    if not code:
        return "dùng chung toàn quốc"
    for scheme in (units.CURRENT, units.LEGACY):
        try:
            return f"{units.find(code, scheme).name} ({code})"
        except units.UnitNotFound:
            continue
    return f"mã tỉnh {code}"
