"""Tables whose rows the template declares (an indicator list: fixed codes and titles).

A table field with ``rows`` always has exactly those rows, in that order. The template fixes
the cells it gives (``ma``, ``ten``, ``nhom``…); the unit answers the other columns. The fixed
cells are stored with the answers, so documents, spreadsheets and expressions read one
table like any other; this module puts them back wherever rows come in (a new report, a
JSON file, a cell typed in the window) and refuses a row that contradicts the template.
"""

from __future__ import annotations

from typing import Any

from desktop_app.templating.model import Field


class DeclaredRowError(ValueError):
    """Rows that do not fit the template's declared rows; the message is Vietnamese."""


def initial_rows(f: Field) -> list[dict[str, Any]]:
    """A new report's rows: the fixed cells, answers empty."""
    return [dict(row) for row in f.rows or []]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def with_fixed_cells(f: Field, rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """``rows`` (stored form) matched to the declared rows by position, fixed cells filled in.

    A row may leave a fixed cell empty (a JSON file with only the answers); one that gives a
    different value, or more rows than declared, is refused: the answer would land on another
    indicator."""
    declared = f.rows or []
    rows = list(rows or [])
    if len(rows) > len(declared):
        raise DeclaredRowError(f"«{f.label}» có đúng {len(declared)} dòng do mẫu quy định; "
                               f"dữ liệu có {len(rows)} dòng.")
    labels = {c.id: c.label for c in f.columns or []}
    out = []
    for index, fixed in enumerate(declared):
        row = dict(rows[index]) if index < len(rows) and isinstance(rows[index], dict) else {}
        for column, value in fixed.items():
            given = row.get(column)
            if given is not None and given != "" and not _same(given, value):
                raise DeclaredRowError(
                    f"«{f.label}», dòng {index + 1}: «{labels.get(column, column)}» là «{given}», "
                    f"nhưng mẫu quy định «{value}» (các dòng của bảng này do mẫu quy định, không đổi được).")
            row[column] = value
        out.append(row)
    return out


def check_fixed_cells(f: Field, rows: Any) -> list[str]:
    """Problems of stored rows against the declared ones (Vietnamese), for the validator: stored
    data that did not come through :func:`with_fixed_cells` (an older file, a hand-made one)."""
    if not isinstance(rows, list):
        return []
    declared = f.rows or []
    if len(rows) != len(declared):
        return [f"«{f.label}» phải có đúng {len(declared)} dòng do mẫu quy định (đang có {len(rows)} dòng)."]
    wrong = [index for index, (row, fixed) in enumerate(zip(rows, declared), start=1)
             if not isinstance(row, dict) or any(not _same(row.get(k), v) for k, v in fixed.items())]
    if not wrong:
        return []
    shown = ", ".join(str(i) for i in wrong[:10]) + ("…" if len(wrong) > 10 else "")
    return [f"«{f.label}»: ô do mẫu quy định bị thiếu hoặc khác mẫu ở dòng {shown}."]
