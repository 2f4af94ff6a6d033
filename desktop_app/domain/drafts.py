"""Typed text that does not read as its field's kind: kept as typed, never used as a value.

A person who types ``hai`` into a number or ``32/01/2023`` into a date must find it again
after a page change or a restart, see why it is wrong, and be unable to finalise — so the
text is stored as a *draft* beside the report's values (the store's ``draft_inputs``).
Drafts never reach a document or a bundle: those read values only.

Keys name where the text was typed:
``field`` — a whole field; ``field.part`` — one part of a document reference or ratio;
``field[row].column`` — one table cell (row counted from 0).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from desktop_app.domain.fieldkinds import kind_spec
from desktop_app.templating.model import Column, Field, Template
from desktop_app.domain.validation import ERROR, Issue, ValidationResult
from desktop_app.domain.values import ValueProblem, coerce

_KEY = re.compile(r"^(?P<field>[A-Za-z0-9_]+)(?:\.(?P<part>[a-z]+)|\[(?P<row>\d{1,5})\]\.(?P<column>[A-Za-z0-9_]+))?$")
DOCUMENT = "_document"  # the document details page (số, ngày ký…), not a template field
DOCUMENT_DATE_KEY = f"{DOCUMENT}.date"


@dataclass(frozen=True)
class DraftKey:
    field_id: str
    part: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        if self.part:
            return f"{self.field_id}.{self.part}"
        if self.column is not None:
            return f"{self.field_id}[{self.row}].{self.column}"
        return self.field_id

    @classmethod
    def parse(cls, key: str) -> DraftKey | None:
        match = _KEY.match(key)
        if not match:
            return None
        row = match["row"]
        return cls(match["field"], match["part"], int(row) if row is not None else None, match["column"])


def field_key(field_id: str) -> str:
    return field_id


def part_key(field_id: str, part: str) -> str:
    return f"{field_id}.{part}"


def cell_key(field_id: str, row: int, column: str) -> str:
    return f"{field_id}[{row}].{column}"


def _spec(template: Template, key: DraftKey) -> Field | Column | None:
    try:
        f = template.field(key.field_id)
    except KeyError:
        return None
    if key.column is not None:
        return next((c for c in f.columns or [] if c.id == key.column), None)
    if key.part is not None:
        part = next((p for p in kind_spec(f.kind).parts if p.key == key.part), None)
        if part is None:
            return None
        return replace(f, kind=part.kind, label=f"{f.label} ({part.label})")
    return f


def problem(template: Template, key: str, text: str) -> str:
    """Why the text cannot be read, in Vietnamese (the same message shown while typing)."""
    parsed = DraftKey.parse(key)
    spec = _spec(template, parsed) if parsed else None
    if spec is None:
        return f"Không đọc được «{text}»."
    try:
        coerce(spec, text)
    except ValueProblem as exc:
        message = str(exc)
    else:
        message = f"«{spec.label}»: chưa lưu được «{text}»."
    if parsed and parsed.row is not None:
        return f"Dòng {parsed.row + 1}: {message}"
    return message


def issues(template: Template, drafts: Mapping[str, str], section_of: Mapping[str, str]) -> list[Issue]:
    """One error per draft: it blocks finalising and shows on the review page."""
    out = []
    for key, text in sorted(drafts.items()):
        parsed = DraftKey.parse(key)
        if key == DOCUMENT_DATE_KEY:
            out.append(Issue(ERROR, DOCUMENT, "", f"Ngày ký «{text}» không đọc được (ghi ngày/tháng/năm).",
                             "unreadable"))
            continue
        if parsed is None or parsed.field_id not in section_of:
            continue  # a field the template no longer has: nothing to show it beside
        out.append(Issue(ERROR, parsed.field_id, section_of[parsed.field_id], problem(template, key, text),
                         "unreadable", None if parsed.row is None else parsed.row + 1, parsed.column))
    return out


def for_field(drafts: Mapping[str, str], field_id: str) -> dict[str, str]:
    """The drafts typed into one field, by key."""
    return {k: v for k, v in drafts.items() if (p := DraftKey.parse(k)) is not None and p.field_id == field_id}


def shift_rows(drafts: Mapping[str, str], field_id: str, removed_row: int) -> dict[str, str | None]:
    """Changes to a table's cell drafts when a row is removed: its drafts go, later rows move up."""
    changes: dict[str, str | None] = {}
    moved: dict[str, str] = {}
    for key, text in drafts.items():
        parsed = DraftKey.parse(key)
        if parsed is None or parsed.field_id != field_id or parsed.row is None or parsed.row < removed_row:
            continue
        changes[key] = None
        if parsed.row > removed_row:
            moved[cell_key(field_id, parsed.row - 1, parsed.column or "")] = text
    changes.update(moved)
    return changes


def apply(result: ValidationResult, template: Template, drafts: Mapping[str, str],
          section_of: Mapping[str, str]) -> ValidationResult:
    """``result`` with the drafts' errors in place of any earlier ones; a field with typed text
    is not also reported as missing."""
    by_source = {k: v for k, v in result.by_source.items() if k[0] != "draft"}
    for issue in issues(template, drafts, section_of):
        by_source.setdefault(("draft", issue.field_id), []).append(issue)
        own = ("field", issue.field_id)
        if own in by_source:
            by_source[own] = [i for i in by_source[own] if i.code != "required"]
    return ValidationResult(computed=result.computed, by_source=by_source)
