"""Text is text in every .xlsx the app writes: never a formula, never an error value.

openpyxl turns a ``str`` that starts with ``=`` into a formula cell (``data_type 'f'``) and
``#DIV/0!`` and friends into error cells. A commune's text such as ``=HYPERLINK(…)`` or
``=cmd|' /C calc'!A0`` would then run in the province's Excel. Every text cell is written as
a string (``data_type 's'``, an inline string in the file), which Excel and LibreOffice show
as it is, whatever its first character (``=``, ``+``, ``-``, ``@``, tab, CR); reading the
file back gives the same text.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell

TEXT = "s"


def as_text(cell):
    """``cell`` (normal or write-only) as a string cell when it holds text."""
    if isinstance(cell.value, str) and cell.data_type != TEXT:
        cell.data_type = TEXT
    return cell


def text_row(sheet, values: list[Any]) -> list[Any]:
    """A row for a write-only sheet: text values become string cells, cells are checked."""
    row = []
    for value in values:
        if isinstance(value, Cell):  # what WriteOnlyCell() makes
            row.append(as_text(value))
        elif isinstance(value, str):
            row.append(as_text(WriteOnlyCell(sheet, value=value)))
        else:
            row.append(value)
    return row


def text_everywhere(book) -> None:
    """Every text cell of a (normal) workbook as a string cell; call after filling it."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                as_text(cell)
