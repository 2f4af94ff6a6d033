"""A merged commune's previous period, built from the reports of the communes it was formed from.

Last period's figures of the old communes (July 2025 arrangement, see domain/lineage.py) are
combined the way a consolidation combines units: numbers that add up are added, ratios part by
part, texts gathered with each old commune's name; a value kept only when all agree stays so.
Only old communes that went whole into the new one are added up: a part of a divided commune
cannot be separated from its figures, so it is named in the notes and left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from desktop_app.domain.entities import Report
from desktop_app.domain.lineage import Predecessor
from desktop_app.domain.periods import Period
from desktop_app.domain.values import format_value, is_empty
from desktop_app.domain.fieldkinds import kind_spec
from desktop_app.templating.model import FieldKind, Template


@dataclass
class CombinedPrevious:
    values: dict[str, Any]
    sources: list[str]  # «Xã A (năm 2024)», the reports combined
    notes: list[str] = field(default_factory=list)


def combine(template: Template, period: Period, found: list[tuple[Predecessor, Report]],
            missing: list[Predecessor]) -> CombinedPrevious:
    """``found``: (predecessor, its report record with values) for last period; ``missing``: the
    old communes whose report for that period is not on this machine."""
    whole = [(p, r) for p, r in found if p.whole]
    notes = [f"{p.unit.name}: chỉ một phần nhập vào đơn vị này, số liệu không cộng vào kỳ trước."
             for p, _r in found if not p.whole]
    notes += [f"Chưa có báo cáo kỳ trước của {p.unit.name}." for p in missing if p.whole]
    if not whole:
        return CombinedPrevious({}, [], notes)
    # Only merged communes need it: not imported on every start through the workspace.
    from desktop_app.office.consolidation import aggregate_mode, consolidate

    cons = consolidate(template, period, [r for _p, r in whole], None)
    values = dict(cons.totals)
    for f in template.all_fields():
        # A short text differs between the old communes: each one's own, with its name.
        if f.kind != FieldKind.TABLE and aggregate_mode(f) == "gather" and not kind_spec(f.kind).multiline:
            given = [(s.unit_name, s.values.get(f.id)) for s in cons.submissions if not is_empty(s.values.get(f.id))]
            if len({v for _n, v in given}) > 1:
                values[f.id] = "; ".join(f"{name}: {format_value(f, v)}" for name, v in given)
    notes += [n for n in cons.notes if "phiên bản" in n]  # an old commune's report on another version
    sources = [s.unit_name for s in cons.submissions]
    return CombinedPrevious(values, sources, notes)
