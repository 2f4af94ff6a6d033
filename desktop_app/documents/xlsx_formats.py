"""How a value is stored and shown in a spreadsheet cell of the appendix.

Number formats are written in Excel's own (locale-neutral) syntax: ``#,##0`` shows
"22.040" and ``0.00%`` shows "98,81%" on a Vietnamese Windows, as every number in Excel
does. A percentage is stored as a fraction with a percent format (98,81 % is 0.9881 shown
"98,81%"), so Excel computes with it and no "%" is written twice; a year is shown without
a thousands separator ("2020", not "2.020"); a whole number never ends in a dangling
decimal point.
"""

from __future__ import annotations

import re
from typing import Any

from desktop_app.domain.fieldkinds import kind_spec
from desktop_app.templating.model import Column, Display, Field, FieldKind

Spec = Field | Column
YEAR_RANGE = (1900, 2100)
_QUOTED = re.compile(r'"[^"]*"')


def is_year(spec: Spec) -> bool:
    """A whole number the template bounds to calendar years (``min: 2000``, ``max: 2100``)."""
    if spec.kind != FieldKind.INTEGER or spec.min is None or spec.max is None:
        return False
    return YEAR_RANGE[0] <= spec.min and spec.max <= YEAR_RANGE[1]


def shown_as_percent(spec: Spec) -> bool:
    """The cell holds a fraction shown with a percent format."""
    return spec.kind == FieldKind.PERCENTAGE or spec.display == Display.PERCENT


def percent_format(fraction: float | int | None, decimals: int | None = None) -> str:
    """As the app writes a percentage (vnformat.format_percent): "100%", "97,40%" (``decimals``, 2 by default)."""
    places = 2 if decimals is None else decimals
    if fraction is None or places == 0 or float(round(fraction * 100, places)).is_integer():
        return "0%"
    return "0." + "0" * places + "%"


def number_format(spec: Spec, value: Any) -> str | None:
    """The display format of ``value`` (as stored by the app) in a cell; None: General."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return kind_spec(spec.kind).spreadsheet_format(spec) if spec.kind == FieldKind.DATE else None
    if is_year(spec):
        return "0"
    if shown_as_percent(spec):
        return percent_format(value / 100, spec.decimals)
    if spec.display == Display.AMOUNT or spec.kind == FieldKind.AMOUNT:
        return "#,##0"
    if spec.kind in (FieldKind.DECIMAL, FieldKind.COMPUTED) or spec.display is not None:
        decimals = spec.decimals if spec.decimals is not None else _decimals_needed(value)
        return "#,##0" if decimals == 0 else "#,##0." + "0" * decimals
    return kind_spec(spec.kind).spreadsheet_format(spec)


def total_format(spec: Spec, value: Any) -> str:
    """A column total: the column's own format (a year is never totalled)."""
    return number_format(spec, value) or "#,##0"


def to_cell(spec: Spec, value: Any) -> Any:
    """A stored value as the cell holds it (None stays empty)."""
    if value is None:
        return None
    cell = kind_spec(spec.kind).cell(value)
    if shown_as_percent(spec) and isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return cell / 100
    return cell


def is_percent_format(number_format: str | None) -> bool:
    """A real percent format (``0.00%``), not a quoted percent sign (``0.00"%"``, older files)."""
    return bool(number_format) and "%" in _QUOTED.sub("", number_format or "")


def from_percent_cell(value: Any, number_format: str | None) -> Any:
    """What a person sees in a percent cell (0.9881 shown "98,81%") as the app stores it (98.81)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not is_percent_format(number_format):
        return value
    shown = round(value * 100, 10)
    return int(shown) if float(shown).is_integer() else shown


def _decimals_needed(value: float | int | None) -> int:
    if value is None or isinstance(value, int) or float(value).is_integer():
        return 0
    text = f"{round(value, 2):.2f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0
