"""One report being edited: the wizard's flow and every edit, without any GUI.

The Qt editor only displays an :class:`EditSession` and forwards what the person types;
section order, completion marks, inline issues, autosave and finalising live here, so
the whole flow is tested headless.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from desktop_app.domain import drafts as typed_drafts
from desktop_app.domain.drafts import cell_key, field_key, part_key
from desktop_app.domain.entities import DocumentHeader, UnitProfile
from desktop_app.domain.periods import Period
from desktop_app.errors import UserError
from desktop_app.services import Workspace
from desktop_app.templating.model import Column, Field, FieldKind, Section
from desktop_app.domain.validation import ERROR, Issue, ValidationResult, evaluation_context
from desktop_app.domain.fieldkinds import kind_spec
from desktop_app.domain.values import ValueProblem, coerce, is_empty
from desktop_app.domain.vnformat import local_time

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
        self.report = record  # the entity as read; values, header and status below follow the edits
        self.validator = workspace.validator(self.template)
        self.values: dict[str, Any] = dict(record.values)
        self.document: DocumentHeader = record.document
        self.status = record.status
        self.received = workspace.is_received(record)  # another unit's report: shown, never edited here
        self.updated_at = local_time(record.updated_at)
        # the unit's own last report, or (a commune formed in 2025) its predecessors' combined
        self.previous_period, self.previous_values = workspace.previous_period_of(record)
        self.context = evaluation_context(record.unit, self.previous_values)
        self.drafts: dict[str, str] = workspace.drafts(report_id)  # unreadable text, kept as typed
        self.result: ValidationResult = self._with_drafts(self.validator.validate(self.values, self.context))
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

    def back(self) -> Section:
        return self.go(self.index - 1)

    def section_index_of(self, field_id: str) -> int:
        return next(i for i, s in enumerate(self.sections) if any(f.id == field_id for f in s.fields))

    # --- state -----------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return self.status == "final" or self.received

    @property
    def unit(self) -> UnitProfile:
        return self.report.unit

    @property
    def period(self) -> Period:
        return self.report.period

    @property
    def title(self) -> str:
        return f"{self.template.display_title} — {self.period.label}"

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
        """✗ any error (unreadable text too), ○ nothing typed, ◐ required input missing, ! warnings, ✓."""
        out = []
        for status, section in zip(self.validator.section_status(self.values, self.result), self.sections):
            issues = [i for i in self.result.issues if i.section_id == section.id]
            errors = sum(1 for i in issues if i.severity == ERROR and i.code != "required")
            touched = status.filled or any(i.code == "unreadable" for i in issues)
            if errors:
                mark = MARK_ERROR
            elif not touched:
                mark = MARK_EMPTY
            elif status.completeness < 1:
                mark = MARK_PARTIAL
            elif status.warnings:
                mark = MARK_WARNING
            else:
                mark = MARK_DONE
            out.append(SectionMark(section, mark, status.completeness, errors, status.warnings))
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

    def _with_drafts(self, result: ValidationResult) -> ValidationResult:
        return typed_drafts.apply(result, self.template, self.drafts, self.validator.section_of)

    def _store(self, field_id: str, stored: Any, draft_changes: dict[str, str | None] | None = None
               ) -> ValidationResult:
        self._check_editable()
        draft_changes = {k: v for k, v in (draft_changes or {}).items() if self.drafts.get(k) != v}
        if self.values.get(field_id) == stored and not draft_changes:
            return self.result
        self.ws.store_value(self.report_id, field_id, stored, draft_changes)  # on disk first; memory follows
        if stored is None:
            self.values.pop(field_id, None)
        else:
            self.values[field_id] = stored
        for key, text in draft_changes.items():
            if text is None:
                self.drafts.pop(key, None)
            else:
                self.drafts[key] = text
        self.saved_at = dt.datetime.now()
        self.result = self._with_drafts(self.validator.revalidate(self.result, self.values, field_id, self.context))
        return self.result

    def read(self, field_id: str, raw: Any) -> tuple[Any, dict[str, str | None]]:
        """What typed input stores: (the value, draft changes). Parts that do not read are kept as
        drafts and left empty in the value; the parts that read are stored (one bad date never
        loses the issuer and summary typed beside it)."""
        f = self.template.field(field_id)
        old: dict[str, str | None] = {k: None for k in typed_drafts.for_field(self.drafts, field_id)}
        parts = [p.key for p in kind_spec(f.kind).parts]
        if parts and isinstance(raw, dict):
            good: dict[str, Any] = {}
            for part in parts:
                text = raw.get(part)
                try:
                    good[part] = coerce(f, {part: text})[part] if not _blank(text) else None
                except ValueProblem:
                    good[part] = None
                    old[part_key(field_id, part)] = text.strip() if isinstance(text, str) else str(text)
            stored = None if all(v is None for v in good.values()) else good
            return stored, old
        try:
            return coerce(f, raw), old
        except ValueProblem:
            if not isinstance(raw, str):
                raise
            old[field_key(field_id)] = raw
            return None, old

    def set_field(self, field_id: str, raw: Any) -> ValidationResult:
        """What the person typed (vi-VN text, or a dict of parts for composite kinds).

        Text that does not read as the field's kind is stored as typed (a draft) with its error;
        it blocks finalising and never becomes a value.
        """
        try:
            stored, draft_changes = self.read(field_id, raw)
        except ValueProblem as exc:
            raise UserError(str(exc)) from None
        return self._store(field_id, stored, draft_changes)

    def preview(self, field_id: str, raw: Any) -> list[Issue]:
        """The issues of one field if ``raw`` were stored: shown on every keystroke, stores nothing."""
        try:
            stored, draft_changes = self.read(field_id, raw)
        except ValueProblem as exc:
            return [Issue(ERROR, field_id, self.template.section_of(field_id).id, str(exc), "type")]
        values = dict(self.values)
        if stored is None:
            values.pop(field_id, None)
        else:
            values[field_id] = stored
        drafts = {k: v for k, v in {**self.drafts, **draft_changes}.items() if v is not None}
        result = self.validator.revalidate(self.result, values, field_id, self.context)
        result = typed_drafts.apply(result, self.template, drafts, self.validator.section_of)
        return result.for_field(field_id)

    def stored_form(self, field_id: str, raw: Any) -> Any:
        try:
            return self.read(field_id, raw)[0]
        except ValueProblem:
            return None

    def drafts_for(self, field_id: str) -> dict[str, str]:
        return typed_drafts.for_field(self.drafts, field_id)

    def _column(self, f: Field, column_id: str) -> Column:
        return next(c for c in f.columns or [] if c.id == column_id)

    def set_cell(self, field_id: str, row: int, column_id: str, raw: Any) -> ValidationResult:
        """One table cell; text that does not read is kept as typed in that cell (a draft)."""
        f = self.template.field(field_id)
        col = self._column(f, column_id)
        if f.fixed_cell(row, column_id):
            raise UserError(f"«{col.label}» do mẫu báo cáo quy định, không sửa được.")
        if f.rows and not 0 <= row < len(f.rows):
            raise UserError(f"«{f.label}» có đúng {len(f.rows)} dòng do mẫu quy định.")
        key = cell_key(field_id, row, column_id)
        try:
            value, draft = coerce(col, raw), None
        except ValueProblem:
            if not isinstance(raw, str):
                raise UserError(f"Dòng {row + 1}: «{col.label}» không đọc được.") from None
            value, draft = None, raw
        rows = [dict(r) for r in self.values.get(field_id) or []]
        while len(rows) <= row:
            rows.append({})
        rows[row][column_id] = value
        return self._store(field_id, rows, {key: draft})

    def add_row(self, field_id: str) -> ValidationResult:
        rows = [dict(r) for r in self.values.get(field_id) or []]
        f = self.template.field(field_id)
        if f.rows:
            raise UserError(f"«{f.label}» có đúng {len(f.rows)} dòng do mẫu quy định: không thêm, bớt dòng được.")
        if f.max_rows and len(rows) >= f.max_rows:
            raise UserError(f"«{f.label}» có nhiều nhất {f.max_rows} dòng.")
        rows.append({})
        return self._store(field_id, rows)

    def remove_row(self, field_id: str, row: int) -> ValidationResult:
        f = self.template.field(field_id)
        if f.rows:
            raise UserError(f"«{f.label}» có đúng {len(f.rows)} dòng do mẫu quy định: không thêm, bớt dòng được.")
        rows = [dict(r) for r in self.values.get(field_id) or []]
        if 0 <= row < len(rows):
            del rows[row]
        return self._store(field_id, rows or None, typed_drafts.shift_rows(self.drafts, field_id, row))

    def paste_block(self, field_id: str, top: int, left: int, text: str) -> ValidationResult:
        """A block copied from Excel (tab-separated lines) pasted at (top, left).

        Every cell is read first; if any cannot be read nothing changes and every problem
        is listed.
        """
        f = self.template.field(field_id)
        editable = [c for c in f.columns or [] if c.kind != FieldKind.COMPUTED]
        rows = [dict(r) for r in self.values.get(field_id) or []]
        limit = len(f.rows) if f.rows else f.max_rows
        problems: list[str] = []
        lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
        while lines and not lines[-1].strip():
            lines.pop()
        for r, line in enumerate(lines):
            target = top + r
            if limit and target >= limit:
                problems.append(f"«{f.label}» có nhiều nhất {limit} dòng.")
                break
            while len(rows) <= target:
                rows.append({})
            for c, cell in enumerate(line.split("\t")):
                if left + c >= len(editable):
                    break
                col = editable[left + c]
                if f.fixed_cell(target, col.id):
                    if cell.strip() and not _same_text(col, rows[target].get(col.id), cell):
                        problems.append(f"Dòng {target + 1}: «{col.label}» do mẫu báo cáo quy định, không sửa được.")
                    continue
                try:
                    rows[target][col.id] = coerce(col, cell)
                except ValueProblem as exc:
                    problems.append(f"Dòng {target + 1}: {exc}")
        if problems:
            raise UserError("Không dán được vì có ô không đọc được:", problems)
        pasted: dict[str, str | None] = {cell_key(field_id, top + r, editable[left + c].id): None
                  for r, line in enumerate(lines) for c in range(len(line.split("\t"))) if left + c < len(editable)}
        return self._store(field_id, rows or None, pasted)

    def keep_document_draft(self, key: str, text: str | None) -> None:
        """A document detail typed but unreadable (the signing date): kept as typed until fixed."""
        draft_key = part_key(typed_drafts.DOCUMENT, key)
        if self.drafts.get(draft_key) == text:
            return
        self._check_editable()
        self.ws.set_drafts(self.report_id, {draft_key: text})
        if text is None:
            self.drafts.pop(draft_key, None)
        else:
            self.drafts[draft_key] = text
        self.result = self._with_drafts(self.result)

    def set_document(self, **changes: Any) -> None:
        self._check_editable()
        self.ws.set_document(self.report_id, **changes)
        self.document = self.document.with_changes(**changes)
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


def _blank(text: Any) -> bool:
    return text is None or (isinstance(text, str) and not text.strip())


def _same_text(col: Column, stored: Any, pasted: str) -> bool:
    """A pasted cell that repeats a fixed cell (a whole indicator list copied back) is fine."""
    try:
        return coerce(col, pasted) == stored
    except ValueProblem:
        return False
