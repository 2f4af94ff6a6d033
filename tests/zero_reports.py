"""A report with 0 in every numeric field and every optional field left empty (issue 15's worst case)."""

from __future__ import annotations

import copy
import json
from typing import Any

from desktop_app.domain.entities import Report
from desktop_app.templating.model import Field, FieldKind, Template
from tests.conftest import EXAMPLES

_NUMERIC = {FieldKind.INTEGER, FieldKind.DECIMAL, FieldKind.AMOUNT, FieldKind.PERCENTAGE}


def _zero(kind: FieldKind, required: bool, current: Any) -> Any:
    if kind in _NUMERIC:
        return 0
    if kind == FieldKind.RATIO:
        return {"num": 0, "den": 0}
    return current if required else None


def _zero_row(field: Field, row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for column in field.columns or []:
        if column.kind != FieldKind.COMPUTED:
            out[column.id] = _zero(column.kind, column.required, row.get(column.id))
    return out


def zero_document(name: str, template: Template) -> Report:
    """The example ``name`` with every number 0 and every optional text, date or choice empty."""
    document = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    values = copy.deepcopy(document["values"])
    for field in template.all_fields():
        if field.kind == FieldKind.COMPUTED:
            continue
        if field.kind == FieldKind.TABLE:
            rows = values.get(field.id) or []
            values[field.id] = [_zero_row(field, row) for row in rows[:1]] if rows else None
        else:
            values[field.id] = _zero(field.kind, field.required, values.get(field.id))
    document["values"] = values
    return Report.from_json(document)
