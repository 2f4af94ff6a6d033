"""The operations layer: the only API the CLI and the UI use to read and change data.

Like Anki's collection operations, every change goes through here, so validation,
NFC normalisation, the audit log and "committed at once" hold for every front end. The
workspace is made of parts with one job each (``desktop_app/workspace/``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app.domain.entities import UnitProfile
from desktop_app.domain.periods import Period, read_period
from desktop_app.errors import UserError
from desktop_app.templating.registry import TemplateNotFound
from desktop_app.workspace.base import (  # noqa: F401 - the records callers import from here
    STATUS_LABELS, ConflictSummary, DamagedDatabase, ReceivedPeriod, ReportSummary, _operation,
)
from desktop_app.workspace.exchange import ExchangeOperations


class Workspace(ExchangeOperations):
    """One data folder: its store, the templates it knows, and the operations on them.

    The parts, each a class of its own: ``DataSafety`` → ``WorkspaceCore`` → ``ReportOperations``
    → ``ExchangeOperations`` → this class (the receiving office and what needs the whole).
    """

    def received(self) -> list[ReceivedPeriod]:
        """Each template and period with reports from other units: what can be consolidated.

        One period written two ways (``2025-09``, ``2025-09-01..2025-09-30``) is one entry."""
        own = (self.profile() or UnitProfile()).code
        groups: dict[tuple, tuple[Any, set[str]]] = {}
        for template_id, period, unit_code in self.store.units_by_period():
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
            out.append(ReceivedPeriod(template_id, template.display_title, period,
                                      period.label, len(unit_codes), period.end))
        return sorted(out, key=lambda r: (r.end, r.title), reverse=True)

    def receipts(self, template_id: str, period: Period | str):
        """Who has sent this template and period (final / draft), who has not, what is odd
        (:class:`desktop_app.office.receipts.Receipts`). Values are not read: it stays quick."""
        from desktop_app.office.receipts import receipts

        period = read_period(period)
        receiver = self.profile()
        if receiver is None:
            raise UserError("Chưa khai báo đơn vị nhận báo cáo. Hãy khai báo đơn vị (Đơn vị → Thông tin đơn vị).")
        template = self.template(template_id)
        records = [r for r in self.store.list_reports(template_id=template_id)
                   if r.period.same_span(period)]
        return receipts(template_id, template.display_title, period, records, receiver)

    def consolidate(self, template_id: str, period: Period | str):
        from desktop_app.office import consolidation

        return consolidation.gather(self, template_id, period)

    def startup_facts(self) -> dict[str, str]:
        """What the start-up log line and the support bundle say about this installation."""
        from desktop_app.support.bundle import startup_facts

        return startup_facts(self)

    @_operation
    def write_support_bundle(self, target: str | Path, extra: dict[str, str] | None = None) -> Path:
        """A zip for support: logs, the database check, the start-up facts; no report data."""
        from desktop_app.support.bundle import write_support_bundle

        return write_support_bundle(target, self.data_dir, self, extra=extra)
