"""Values of report fields: reading them from JSON or typed vi-VN text, and writing them.

What each kind does lives in :mod:`desktop_app.domain.fieldkinds` (the registry); this module is the
entry point the rest of the app uses. The stored form of each kind is described there.
"""

from __future__ import annotations

from typing import Any

from desktop_app.domain.fieldkinds import (
    DOCREF_KEYS, MAX_LONG_TEXT, MAX_TEXT, Spec, ValueProblem, format_computed, format_text, kind_spec, parse,
)

SOURCE_KEY = "_don_vi"  # in a consolidated table's rows: the unit the row came from

__all__ = [
    "DOCREF_KEYS", "MAX_LONG_TEXT", "MAX_TEXT", "SOURCE_KEY", "ValueProblem",
    "coerce", "format_computed", "format_value", "is_empty", "parse_input",
]


def is_empty(value: Any) -> bool:
    """Nothing typed: None, "", a composite with only empty parts, a table with only empty rows."""
    if value is None or value == "":
        return True
    if isinstance(value, dict):
        return all(is_empty(v) for v in value.values())
    if isinstance(value, list):
        return all(is_empty(row) for row in value)
    return False


def coerce(spec: Spec, raw: Any) -> Any:
    """Turn a JSON value (or vi-VN text) into the stored form; None means empty."""
    return parse(spec, raw)


def parse_input(spec: Spec, text: str) -> Any:
    """What the person typed in a UI cell or box (vi-VN text) → stored form."""
    typed = kind_spec(spec.kind).typed
    if typed is not None and isinstance(text, str):
        text = typed(text)
    return coerce(spec, text)


def format_value(spec: Spec, value: Any, decimals: int | None = None) -> str:
    """The stored form as the person reads it in the UI (vi-VN)."""
    return format_text(spec, value, decimals)
