"""What every part of the workspace shares: its state, the records it returns, and how a
mutating operation is wrapped (logged; a store failure becomes a Vietnamese UserError)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.engine import StoreError
from db.store import Store
from desktop_app.support import logs
from desktop_app.errors import UserError
from desktop_app.domain.entities import Report
from desktop_app.domain.periods import Period
from desktop_app.templating.model import FieldKind
from desktop_app.templating.registry import TemplateNotFound, TemplateRegistry
from desktop_app.domain.validation import Validator

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
    """A report as the list shows it; ``updated_at`` is local time."""

    id: int
    template_id: str
    template_title: str
    period: Period
    period_label: str
    status: str
    status_label: str
    completeness: float
    errors: int
    updated_at: dt.datetime
    unit_name: str


@dataclass(frozen=True)
class DeletedReport:
    """A deleted report as the «Báo cáo đã xóa» dialog lists it; ``deleted_at`` is local time."""

    id: int
    template_id: str
    title: str
    period_label: str
    deleted_at: dt.datetime


@dataclass(frozen=True)
class ConflictSummary:
    """An open conflict as a person reads it; ``received_at`` is local time."""

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
    period: Period
    period_label: str
    units: int
    end: dt.date


@dataclass(frozen=True)
class TemplateVersionInfo:
    version: str
    effective: str  # «từ 01/01/2023» / «từ 01/7/2025 đến 31/12/2025»
    where: str  # «có sẵn trong chương trình» / «đã cài: ntm-2025.1.yaml»


@dataclass(frozen=True)
class TemplateTypeInfo:
    """One report type as the templates list shows it (the newest version's facts first)."""
    id: str
    title: str
    legal_basis: list[str]
    province: str  # «Tỉnh Quảng Ngãi (51)» or «dùng chung toàn quốc»
    versions: list[TemplateVersionInfo]


def _readable(f, value: Any) -> str:
    """A value as a person compares it: tables row by row, empty shown as such."""
    from desktop_app.domain.values import format_value, is_empty

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


class WorkspaceState:
    """The state every part of :class:`desktop_app.services.Workspace` works on."""

    data_dir: Path
    store: Store
    templates: TemplateRegistry
    who: str
    origin: str
    _validators: dict[tuple[str, str], Validator]
    _signing_key: Any

    def _title_of(self, report: Report) -> str:
        """The report's type as a person reads it; its template id when the template is not installed."""
        try:
            return self.templates.get(report.template_id, report.template_version).display_title
        except TemplateNotFound:
            return report.template_id
