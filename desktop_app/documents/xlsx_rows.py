"""Rows of a write-only openpyxl sheet written as XML text, for sheets of thousands of rows.

openpyxl writes a write-only cell through a cell object, a type check and four nested XML
writer calls: about 20 µs a cell, 8 s for the 3,321 communes × 120 indicators of a national
consolidation. A row of plain values (text, whole or decimal numbers, empty cells, each with
a style made once) is formatted here as the XML openpyxl writes for it (inline strings,
``t="n"`` numbers as ``%.16g``, the row's height from ``row_dimensions``) and put in the
sheet's file where openpyxl's stream would have written it (UTF-8 text rather than
character references: the same XML). A row holding anything else (a formula, a date, a
boolean, a character a worksheet cannot hold) goes through openpyxl's cells as before, so it
fails or succeeds as before. tests/test_xlsx_fast.py compares the two ways.
"""

from __future__ import annotations

import math
import re
import tempfile
from copy import copy
from pathlib import Path
from dataclasses import dataclass
from xml.sax.saxutils import escape
from typing import Any, Iterable

from lxml import etree
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

from desktop_app.documents.xlsx_text import as_text

BATCH_ROWS = 200  # rows encoded and written at once: few calls, little text held
OPENPYXL_TEXT_LIMIT = 32_767  # openpyxl cuts longer text (check_string): left to it
# Characters XML 1.0 cannot carry: openpyxl's own path raises on them, so such a row takes it.
_SPECIAL = re.compile('[&<>"\r]')  # what _escape changes
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class CellStyle:
    """A style made once per workbook: its index in the stylesheet and the array a cell copies."""

    id: int
    array: StyleArray


class FastRows:
    """Takes over a write-only sheet's row stream before its first row.

    ``sheet.append`` keeps working (an ordinary row, openpyxl's way); :meth:`append` takes
    ``(value, CellStyle)`` pairs. Call :meth:`style` for each kind of cell first. Prepared rows
    go to a temporary file as UTF-8 text; openpyxl's stream gets a marker where each run of
    them starts, and closing the sheet (saving the workbook does it) puts them in its place."""

    def __init__(self, sheet) -> None:
        if sheet._rows is not None:
            raise ValueError("FastRows must take over a sheet before its first row")
        sheet._get_writer()
        self._sheet = sheet
        self._row = 0
        self._pending: list[str] = []
        self._letters: list[str] = []
        self._text = tempfile.TemporaryFile()  # the prepared rows: thousands of rows need not be held
        self._runs: list[tuple[int, int]] = []  # (start, end) in self._text of each run of prepared rows
        self._open = False  # the last row was a prepared one: the next extends its run
        stream = self._stream()
        next(stream)
        sheet._rows = stream  # what sheet.append sends to and sheet.close closes
        sheet.close = self._close  # the workbook's save closes the sheet: the runs go in then

    def style(self, array: StyleArray) -> CellStyle:
        """The stylesheet index of ``array`` (openpyxl's ``cell.style_id``: added when new)."""
        return CellStyle(self._sheet.parent._cell_styles.add(array), array)

    def append(self, cells: Iterable[tuple[Any, CellStyle]]) -> None:
        cells = list(cells)
        index = self._row + 1
        text = self._row_xml(index, cells)
        if text is None:  # not a plain row: openpyxl's cells, as before
            self._sheet.append([self._cell(value, style) for value, style in cells])
            return
        if not self._open:
            self._sheet._rows.send(_RUN_STARTS)
        self._row = index
        self._pending.append(text)
        if len(self._pending) >= BATCH_ROWS:
            self._write_pending()

    def _cell(self, value: Any, style: CellStyle) -> WriteOnlyCell:
        cell = as_text(WriteOnlyCell(self._sheet, value=value))
        cell._style = copy(style.array)
        return cell

    def _row_xml(self, index: int, cells: list[tuple[Any, CellStyle]]) -> str | None:
        attrs = {"r": f"{index}"}
        attrs.update(self._sheet.row_dimensions.get(index, {}))  # as openpyxl's write_row does
        parts = ["<row" + "".join(f' {key}="{_escape(str(value))}"' for key, value in attrs.items()) + ">"]
        for letter, (value, style) in zip(self._letters_for(len(cells)), cells):
            kind = type(value)
            if value is None:
                parts.append(f'<c r="{letter}{index}" s="{style.id}" t="n"/>')
            elif kind is str:
                # _NOT_XML holds openpyxl's ILLEGAL_CHARACTERS_RE: such text is openpyxl's to refuse
                if len(value) > OPENPYXL_TEXT_LIMIT or _NOT_XML.search(value):
                    return None
                if not value:
                    parts.append(f'<c r="{letter}{index}" s="{style.id}" t="inlineStr"/>')
                    continue
                space = ' xml:space="preserve"' if value != value.strip() else ""
                text = _escape(value) if _SPECIAL.search(value) else value
                parts.append(f'<c r="{letter}{index}" s="{style.id}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif (kind is int or kind is float) and math.isfinite(value):
                parts.append(f'<c r="{letter}{index}" s="{style.id}" t="n"><v>{"%.16g" % value}</v></c>')
            else:
                return None
        parts.append("</row>")
        return "".join(parts)

    def _letters_for(self, count: int) -> list[str]:
        while len(self._letters) < count:
            self._letters.append(get_column_letter(len(self._letters) + 1))
        return self._letters  # zip with the row's cells takes as many as it has

    def _write_pending(self) -> None:
        if self._pending:
            self._text.write("".join(self._pending).encode("utf-8"))
            self._pending.clear()
            start, _end = self._runs[-1]
            self._runs[-1] = (start, self._text.tell())

    def _end_run(self) -> None:
        self._write_pending()
        self._open = False

    def _stream(self):
        """openpyxl's ``_write_rows``, with a marker where each run of prepared rows goes."""
        sheet = self._sheet
        xf = sheet._writer.xf.send(True)
        with xf.element("sheetData"):
            try:
                while True:
                    item = yield
                    if item is _RUN_STARTS:
                        xf.write(etree.Comment(_marker(len(self._runs))))
                        self._runs.append((self._text.tell(), self._text.tell()))
                        self._open = True
                        continue
                    self._end_run()
                    self._row += 1
                    row = sheet._values_to_row(item, self._row)
                    sheet._writer.write_row(xf, row, self._row)
            except GeneratorExit:
                self._end_run()
        sheet._writer.xf.send(None)

    def _close(self) -> None:
        """The sheet closed by openpyxl, then each marker in its file replaced by its run of rows."""
        type(self._sheet).close(self._sheet)
        path = Path(self._sheet._writer.out)
        written = path.read_bytes()  # the title block, the header and the page setup: small
        with path.open("wb") as out:
            for number, (start, end) in enumerate(self._runs):
                marker = f"<!--{_marker(number)}-->".encode("ascii")
                before, written = written.split(marker, 1)
                out.write(before)
                self._text.seek(start)
                _copy_bytes(self._text, out, end - start)
            out.write(written)
        self._text.close()


_RUN_STARTS = object()


def _marker(number: int) -> str:
    return f"baocaoxa-rows-{number}"


def _copy_bytes(source, target, count: int, chunk: int = 1 << 20) -> None:
    while count > 0:
        data = source.read(min(chunk, count))
        if not data:
            raise OSError("the prepared rows of a worksheet were cut short")
        target.write(data)
        count -= len(data)


_ATTRIBUTE_SAFE = {'"': "&quot;", "\r": "&#13;"}  # a carriage return as a reference, so parsing keeps it


def _escape(text: str) -> str:
    """Text as XML text or attribute value."""
    return escape(text, _ATTRIBUTE_SAFE)
