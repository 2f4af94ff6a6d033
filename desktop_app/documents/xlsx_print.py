"""Print setup shared by every sheet of every .xlsx the app writes.

A4; fitted to the page width (and as many pages tall as it takes: ``fitToHeight 0``);
landscape when the printed columns are wider than a portrait page; the header rows
repeated on every page; "Trang 2/5" in the footer; a title block (unit, report, period)
above each sheet's table. Works on normal and write-only sheets: a write-only sheet takes
its properties and column widths before its first row (see ``openpyxl`` WorksheetWriter).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

FONT_NAME = "Times New Roman"  # as the .docx; Liberation Serif has the same widths
BODY = Font(name=FONT_NAME, size=12)
BOLD = Font(name=FONT_NAME, size=12, bold=True)
ITALIC = Font(name=FONT_NAME, size=12, italic=True)
TITLE = Font(name=FONT_NAME, size=14, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")

FOOTER = "Trang &P/&N"
# Column-width units (one "0" of the workbook's default font, Times New Roman 12: 8 px) across
# A4 between the margins below, at 100 %: a sheet wider than PORTRAIT_WIDTH prints landscape.
PORTRAIT_WIDTH = 85
LANDSCAPE_WIDTH = 125
MARGINS = PageMargins(left=0.6, right=0.4, top=0.6, bottom=0.7, header=0.3, footer=0.3)  # inches
LINE_HEIGHT = 15.4  # points, one more line of wrapped 12 pt Times (Excel about 15, LibreOffice 15.4)
MAX_ROW_HEIGHT = 409  # Excel's limit for one row


@dataclass(frozen=True)
class TitleBlock:
    """What stands above every sheet: who reports, what, for which period."""

    unit: str
    report: str
    period: str
    note: str | None = None  # a fourth line (e.g. which units a consolidation covers)

    def lines(self) -> list[tuple[str, Font, Alignment]]:
        lines = [(self.unit, BOLD, Alignment(horizontal="left", vertical="top")),
                 (self.report, TITLE, Alignment(horizontal="center", vertical="center", wrap_text=True)),
                 (f"Kỳ báo cáo: {self.period}", ITALIC, Alignment(horizontal="center", vertical="top"))]
        if self.note:
            lines.append((self.note, ITALIC, Alignment(horizontal="left", vertical="top", wrap_text=True)))
        return lines


def use_default_font(book) -> None:
    """Times New Roman 12 as the workbook's default font, before any cell is written: column
    widths are counted in its "0", so Excel and LibreOffice (Liberation Serif has the same
    widths) lay the page out alike, and a cell with no font of its own looks like the rest."""
    book._fonts = IndexedList([BODY])  # the default font is font 0 (openpyxl has no public setter)
    book._named_styles["Normal"].font = BODY


def orientation_for(total_width: float) -> str:
    return "landscape" if total_width > PORTRAIT_WIDTH else "portrait"


def set_up_printing(sheet, *, total_width: float, header_rows: tuple[int, int] | None,
                    pages_wide: int = 1, title_columns: str | None = None) -> None:
    """A4, fit to ``pages_wide`` pages across, header rows on every page, page numbers in the footer."""
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = orientation_for(total_width)
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = pages_wide
    sheet.page_setup.fitToHeight = 0  # as many pages tall as the rows need
    sheet.page_margins = MARGINS
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = FOOTER
    sheet.oddFooter.center.font = FONT_NAME
    sheet.oddFooter.center.size = 10
    if header_rows:
        sheet.print_title_rows = f"{header_rows[0]}:{header_rows[1]}"
    if title_columns:
        sheet.print_title_cols = title_columns


def pages_across(total_width: float, repeated_width: float = 0, least_scale: float = 0.6) -> int:
    """Landscape pages across so the print is not shrunk below ``least_scale``; each page also
    carries the ``repeated_width`` of the title columns."""
    per_page = LANDSCAPE_WIDTH / least_scale - repeated_width
    return max(1, math.ceil((total_width - repeated_width) / per_page))


def chars_per_line(width: float) -> int:
    """Characters of a line in a column ``width`` wide: 12 pt Times holds 1.1–1.2 characters of
    Vietnamese text per width unit."""
    return max(1, int(width * 1.12))


def lines_needed(text: object, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` wide (an estimate on the safe side)."""
    if text is None:
        return 1
    per_line = chars_per_line(width)
    return max(1, sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n")))


def row_height(lines: int) -> float:
    return min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + 3)


def write_title_block(sheet, block: TitleBlock, first_column: int, last_column: int, width: float,
                      first_row: int = 1) -> int:
    """The title block from ``first_row`` of a normal sheet, each line merged across the table; returns its last row."""
    row = first_row
    for row, (text, font, alignment) in enumerate(block.lines(), start=first_row):
        cell = sheet.cell(row, first_column, text)
        cell.font, cell.alignment = font, alignment
        if last_column > first_column:
            sheet.merge_cells(start_row=row, start_column=first_column, end_row=row, end_column=last_column)
        size = 1.3 if font is TITLE else 1.0
        sheet.row_dimensions[row].height = row_height(lines_needed(text, width / size)) * (1.15 if size > 1 else 1)
    return row


def style_header_row(sheet, row: int, first_column: int, last_column: int) -> None:
    for column in range(first_column, last_column + 1):
        cell = sheet.cell(row, column)
        cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEADER_FILL, HEADER_ALIGN, GRID


# --- page breaks: a heading never ends a page -------------------------------------------------
A4_HEIGHT = {"portrait": 841.9, "landscape": 595.3}  # points
SINGLE_LINE = 16.5  # a row of 12 pt text without a set height (Excel 15.75, LibreOffice a little more)
PAGE_SAFETY = 0.92  # break a little early: a page this model overfills would get a break of its own


def heading_page_breaks(sheet, first_row: int, last_row: int, headings: set[int], header_height: float) -> list[int]:
    """Manual page breaks so that no heading row is the last on its page: the rows of every page
    are laid out here (the model breaks at most as late as Excel or LibreOffice would) and a page
    that would end with a heading ends just above it. Returns the rows after which a page ends."""
    orientation = sheet.page_setup.orientation or "portrait"
    body = (A4_HEIGHT[orientation] - 72 * (MARGINS.top + MARGINS.bottom) - header_height) * PAGE_SAFETY
    breaks: list[int] = []
    # The first page also holds what stands above the header row (the title block).
    used = sum(sheet.row_dimensions[r].height or SINGLE_LINE for r in range(1, first_row - 1))
    row = first_row
    while row <= last_row:
        height = sheet.row_dimensions[row].height or SINGLE_LINE
        if sheet.row_dimensions[row].hidden:
            height = 0
        if used + height > body and used > 0:
            end = row - 1
            while end in headings and end - 1 > (breaks[-1] if breaks else first_row - 1):
                end -= 1  # the heading goes over to the next page with what it heads
            breaks.append(end)
            row, used = end + 1, 0.0
            continue
        used += height
        row += 1
    for end in breaks:
        sheet.row_breaks.append(Break(id=end))
    return breaks
