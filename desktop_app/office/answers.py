"""Consolidating answers, not only numbers: how many units gave each answer.

A choice or yes/no field cannot be added up; what the receiving office needs is the count of
units per option («Đạt: 45/96 xã»). The same holds for a value each unit computes from its
own answers (a commune's «27/30» indicators met): recomputing it on consolidated inputs is
meaningless, so its distribution over the units is given instead. A table whose rows the
template declares (an indicator list) is consolidated row by row: each declared row keeps
its code and title, and each answer column carries the count per option.

Everything here works on plain values (``Submission.values`` / ``.computed``), so it does not
depend on how reports are stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

from desktop_app.domain import units
from desktop_app.domain.fieldkinds import kind_spec
from desktop_app.domain.values import format_value, is_empty
from desktop_app.domain.vnformat import format_number
from desktop_app.templating.model import Column, Field, FieldKind

UNANSWERED = "Chưa trả lời"


class Answered(Protocol):
    """One unit's report as consolidation reads it (``consolidation.Submission``)."""

    unit_name: str
    values: dict[str, Any]
    computed: dict[str, Any]


def is_tallied(spec: Field | Column) -> bool:
    """Answers picked from a list (choice, yes/no): counted per option when consolidated."""
    return kind_spec(spec.kind).consolidation == "tally"


def options(spec: Field | Column) -> list[str]:
    choices = kind_spec(spec.kind).choices
    return list(choices(spec)) if choices else []


def count_answers(spec: Field | Column, answers: Sequence[Any]) -> dict[str, int]:
    """Option → number of units, every option listed (zeros too) in the template's order, then
    answers outside the list (an older version's), then the units that left it empty."""
    counts = Counter(format_value(spec, a) for a in answers if not is_empty(a))
    out = {option: counts.pop(option, 0) for option in options(spec)}
    out.update(sorted(counts.items()))
    unanswered = sum(1 for a in answers if is_empty(a))
    if unanswered:
        out[UNANSWERED] = unanswered
    return out


def distribution(values: Sequence[Any]) -> dict[Any, int]:
    """A per-unit computed value → number of units, highest value first (27/30 before 26/30)."""
    counts = Counter(v for v in values if v is not None and not isinstance(v, bool))
    numbers = sorted((k for k in counts if isinstance(k, (int, float))), reverse=True)
    texts = sorted((k for k in counts if not isinstance(k, (int, float))), key=str)
    out: dict[Any, int] = {k: counts[k] for k in numbers + texts}
    missing = sum(1 for v in values if v is None)
    if missing:
        out[UNANSWERED] = missing
    return out


def unit_word(names: Sequence[str]) -> str:
    """«xã» when every unit is a commune, «phường» when every one is a ward, else «đơn vị»."""
    kinds = {units.split_kind(name)[0].lower() for name in names}
    return kinds.pop() if len(kinds) == 1 and kinds <= {"xã", "phường", "đặc khu"} else "đơn vị"


def counts_text(counts: dict[Any, int], total: int, word: str = "") -> str:
    """``Đạt: 2/3 xã; Chưa đạt: 1/3 xã`` — options no unit gave are left out."""
    suffix = f" {word}" if word else ""
    return "; ".join(f"{_key_text(k)}: {format_number(n)}/{format_number(total)}{suffix}"
                     for k, n in counts.items() if n)


def _key_text(key: Any) -> str:
    if isinstance(key, float) and not key.is_integer():
        return format_number(round(key, 2))
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return format_number(int(key))
    return str(key)


# --- tables whose rows the template declares --------------------------------------------------
def declared_table(f: Field, subs: Sequence[Answered]) -> tuple[list[dict[str, Any]], list[dict[str, dict]]]:
    """The consolidated rows of an indicator list, and per row the counts of each answer column.

    Each declared row keeps its fixed cells; a choice or yes/no column holds «Đạt: 2/3; …»,
    a number column the sum over the units that gave it, a text column the units' texts with
    their names («Xã A: …; Xã B: …»)."""
    rows: list[dict[str, Any]] = []
    counts: list[dict[str, dict]] = []
    total = len(subs)
    for index, fixed in enumerate(f.rows or []):
        row: dict[str, Any] = dict(fixed)
        row_counts: dict[str, dict] = {}
        for col in f.columns or []:
            if col.id in fixed or col.kind == FieldKind.COMPUTED:
                continue
            cells = [_cell(s, f.id, index, col.id) for s in subs]
            if is_tallied(col):
                row_counts[col.id] = count_answers(col, cells)
                row[col.id] = counts_text(row_counts[col.id], total) or None
            elif kind_spec(col.kind).summable:
                present = [c for c in cells if not is_empty(c)]
                row[col.id] = sum(present) if present else None
            else:
                given = [(s.unit_name, format_value(col, c)) for s, c in zip(subs, cells) if not is_empty(c)]
                row[col.id] = "; ".join(f"{name}: {text}" for name, text in given) or None
        rows.append(row)
        counts.append(row_counts)
    return rows, counts


def _cell(sub: Answered, table_id: str, index: int, column: str) -> Any:
    rows = sub.values.get(table_id)
    if not isinstance(rows, list) or index >= len(rows) or not isinstance(rows[index], dict):
        return None
    return rows[index].get(column)
