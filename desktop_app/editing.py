"""One report being edited: the wizard's flow and every edit, without any GUI.

The Qt editor only displays an :class:`EditSession` and forwards what the person types;
section order, completion marks, inline issues, autosave and finalising live here, so
the whole flow is tested headless.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from desktop_app.errors import UserError
from desktop_app.services import Workspace
from desktop_app.templating.model import Column, Field, FieldKind, Section
from desktop_app.validation import ERROR, Issue, ValidationResult
from desktop_app.values import ValueProblem, coerce, is_empty
from desktop_app.vnformat import local_time

# Section marks shown in the side list.
MARK_EMPTY, MARK_PARTIAL, MARK_DONE, MARK_WARNING, MARK_ERROR = "empty", "partial", "done", "warning", "error"


@dataclass(frozen=True)
class SectionMark:
    section: Section
    mark: str
    completeness: float
    errors: int
    warnings: int


class EditSession:
    def __init__(self, workspace: Workspace, report_id: int):
        self.ws = workspace
        self.report_id = report_id
        record, self.template = workspace.report(report_id)
        self.validator = workspace.validator(self.template)
        self.values: dict[str, Any] = dict(record.values)
        self.unit = record.unit
        self.document = dict(record.document)
        self.status = record.status
        self.received = workspace.is_received(record)  # another unit's report: shown, never edited here
        self.period = record.period
        self.updated_at = local_time(record.updated_at)
        previous = workspace.previous_report(record)
        self.previous_period = previous.period if previous else None
        self.previous = dict(previous.values) if previous else {}
        self.context = {"villages": record.unit.get("villages"), "previous": self.previous}
        self.result: ValidationResult = self.validator.validate(self.values, self.context)
        self.sections: list[Section] = list(self.template.sections)
        ids = [s.id for s in self.sections]
        self.index = ids.index(record.last_section) if record.last_section in ids else 0
        self.saved_at: dt.datetime | None = None

    # --- navigation ------------------------------------------------------------------
    @property
    def section(self) -> Section:
        return self.sections[self.index]

    @property
    def at_first(self) -> bool:
        return self.index == 0

    @property
    def at_last(self) -> bool:
        return self.index == len(self.sections) - 1

    def go(self, index: int) -> Section:
        self.index = max(0, min(index, len(self.sections) - 1))
        self.ws.remember_section(self.report_id, self.section.id)  # reopening returns here
        return self.section

    def next(self) -> Section:
        return self.go(self.index + 1)

    def previous(self) -> Section:
        return self.go(self.index - 1)

    def section_index_of(self, field_id: str) -> int:
        return next(i for i, s in enumerate(self.sections) if any(f.id == field_id for f in s.fields))

    # --- state -----------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return self.status == "final" or self.received

    @property
    def title(self) -> str:
        from desktop_app.periods import parse_period

        return f"{self.template.short_title or self.template.title} — {parse_period(self.period).label}"

    def value(self, field_id: str) -> Any:
        f = self.template.field(field_id)
        if f.kind == FieldKind.COMPUTED:
            return self.result.computed.get(field_id)
        return self.values.get(field_id)

    def table_rows(self, field_id: str) -> list[dict[str, Any]]:
        return self.validator.table_rows_with_computed(field_id, self.values.get(field_id) or [])

    def table_totals(self, field_id: str) -> dict[str, Any]:
        return self.validator.column_totals(field_id, self.values.get(field_id) or [])

    def issues_for(self, field_id: str) -> list[Issue]:
        return self.result.for_field(field_id)

    def marks(self) -> list[SectionMark]:
        out = []
        for status, section in zip(self.validator.section_status(self.values, self.result), self.sections):
            if status.errors and status.filled:
                mark = MARK_ERROR
            elif status.filled == 0:
                mark = MARK_EMPTY
            elif status.completeness < 1:
                mark = MARK_PARTIAL
            elif status.warnings:
                mark = MARK_WARNING
            else:
                mark = MARK_DONE
            out.append(SectionMark(section, mark, status.completeness, status.errors, status.warnings))
        return out

    def completeness(self) -> float:
        return self.validator.completeness(self.values)

    def review(self) -> list[Issue]:
        """Every error and warning, errors first, in section order."""
        order = {s.id: i for i, s in enumerate(self.sections)}
        return sorted(self.result.issues, key=lambda i: (i.severity != ERROR, order.get(i.section_id, 0)))

    @property
    def can_finalise(self) -> bool:
        return not self.result.errors

    # --- edits (each committed at once) ----------------------------------------------
    def _check_editable(self) -> None:
        if self.read_only:
            raise UserError("Báo cáo đã hoàn tất nên không sửa được. Hãy mở lại báo cáo (ghi rõ lý do) để sửa.")

    def _store(self, field_id: str, stored: Any) -> ValidationResult:
        self._check_editable()
        self.ws.store_value(self.report_id, field_id, stored)  # on disk first; memory follows
        if stored is None:
            self.values.pop(field_id, None)
        else:
            self.values[field_id] = stored
        self.saved_at = dt.datetime.now()
        self.result = self.validator.revalidate(self.result, self.values, field_id, self.context)
        return self.result

    def set_field(self, field_id: str, raw: Any) -> ValidationResult:
        """What the person typed (vi-VN text, or a dict/rows for composite kinds).

        Unreadable input raises :class:`UserError` and stores nothing; the message goes
        beside the field.
        """
        f = self.template.field(field_id)
        try:
            stored = coerce(f, raw)
        except ValueProblem as exc:
            raise UserError(str(exc)) from None
        if self.values.get(field_id) == stored:
            return self.result
        return self._store(field_id, stored)

    def _column(self, f: Field, column_id: str) -> Column:
        return next(c for c in f.columns or [] if c.id == column_id)

    def set_cell(self, field_id: str, row: int, column_id: str, raw: Any) -> ValidationResult:
        f = self.template.field(field_id)
        col = self._column(f, column_id)
        try:
            value = coerce(col, raw)
        except ValueProblem as exc:
            raise UserError(f"Dòng {row + 1}: {exc}") from None
        rows = [dict(r) for r in self.values.get(field_id) or []]
        while len(rows) <= row:
            rows.append({})
        if rows[row].get(column_id) == value:
            return self.result
        rows[row][column_id] = value
        return self._store(field_id, rows)

    def add_row(self, field_id: str) -> ValidationResult:
        rows = [dict(r) for r in self.values.get(field_id) or []]
        f = self.template.field(field_id)
        if f.max_rows and len(rows) >= f.max_rows:
            raise UserError(f"«{f.label}» có nhiều nhất {f.max_rows} dòng.")
        rows.append({})
        return self._store(field_id, rows)

    def remove_row(self, field_id: str, row: int) -> ValidationResult:
        rows = [dict(r) for r in self.values.get(field_id) or []]
        if 0 <= row < len(rows):
            del rows[row]
        return self._store(field_id, rows or None)

    def paste_block(self, field_id: str, top: int, left: int, text: str) -> ValidationResult:
        """A block copied from Excel (tab-separated lines) pasted at (top, left).

        Every cell is read first; if any cannot be read nothing changes and every problem
        is listed.
        """
        f = self.template.field(field_id)
        editable = [c for c in f.columns or [] if c.kind != FieldKind.COMPUTED]
        rows = [dict(r) for r in self.values.get(field_id) or []]
        problems: list[str] = []
        lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
        while lines and not lines[-1].strip():
            lines.pop()
        for r, line in enumerate(lines):
            target = top + r
            if f.max_rows and target >= f.max_rows:
                problems.append(f"«{f.label}» có nhiều nhất {f.max_rows} dòng.")
                break
            while len(rows) <= target:
                rows.append({})
            for c, cell in enumerate(line.split("\t")):
                if left + c >= len(editable):
                    break
                col = editable[left + c]
                try:
                    rows[target][col.id] = coerce(col, cell)
                except ValueProblem as exc:
                    problems.append(f"Dòng {target + 1}: {exc}")
        if problems:
            raise UserError("Không dán được vì có ô không đọc được:", problems)
        return self._store(field_id, [r for r in rows] or None)

    def set_document(self, **changes: Any) -> None:
        self._check_editable()
        self.ws.set_document(self.report_id, **changes)
        self.document.update(changes)
        self.saved_at = dt.datetime.now()

    # --- finalising ------------------------------------------------------------------
    def finalise(self) -> None:
        self.ws.finalise(self.report_id)
        self.status = "final"

    def reopen(self, reason: str) -> None:
        self.ws.reopen(self.report_id, reason)
        self.status = "draft"

    def filled_count(self) -> int:
        return sum(1 for v in self.values.values() if not is_empty(v))
