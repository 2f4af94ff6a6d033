"""The receiving office's exports of a consolidation: the report (.docx) and the unit table (.xlsx).

The .docx is the template's own document written from the consolidated values, in the
name of the receiving unit, so its sentences carry the totals ("99 Tổ … gồm 615 thành
viên"); a coverage sentence after the opening says which units it covers. The .xlsx
has one row per unit and a totals row, plus a sheet of who has and has not reported.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from desktop_app.atomic import write_bytes_atomic
from desktop_app.office.consolidation import Consolidation, Indicator, indicators
from desktop_app.documents.content import DocumentBuilder, DocumentContent, Paragraph
from desktop_app.documents.docx_writer import write_docx
from desktop_app.documents.xlsx_text import as_text, text_row

HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
TOTAL_FONT = Font(bold=True)
XLSX_TEXT_LIMIT = 32_000  # Excel keeps at most 32,767 characters in a cell


def consolidated_content(cons: Consolidation) -> DocumentContent:
    notes = [Paragraph(cons.coverage_sentence())]
    return DocumentBuilder(cons.template).build(cons.as_report(), preface=notes)


def write_consolidated_docx(cons: Consolidation, target: str | Path) -> Path:
    return write_docx(consolidated_content(cons), target)


def _number_format(ind: Indicator, value: int | float) -> str:
    """Excel formats: whole numbers without a dangling decimal point, percentages with two decimals."""
    if ind.display == "percent" or ind.field.kind.value == "percentage":
        return '0.00"%"'
    if isinstance(value, float) and not value.is_integer():
        return "#,##0.00"
    return "#,##0"


def _cell(sheet, value: Any, ind: Indicator | None = None, bold: bool = False) -> WriteOnlyCell:
    if isinstance(value, str) and len(value) > XLSX_TEXT_LIMIT:
        value = value[:XLSX_TEXT_LIMIT] + "…"
    cell = as_text(WriteOnlyCell(sheet, value=value))
    if ind is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.number_format = _number_format(ind, value)
    if bold:
        cell.font = TOTAL_FONT
    return cell


def _header(sheet, labels: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for label in labels:
        cell = as_text(WriteOnlyCell(sheet, value=label))
        cell.font = TOTAL_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cells.append(cell)
    return cells


def build_consolidated_workbook(cons: Consolidation) -> Workbook:
    book = Workbook(write_only=True)  # thousands of rows: streamed, not held cell by cell
    columns = indicators(cons.template)
    sheet = book.create_sheet("Tổng hợp")
    sheet.freeze_panes = "D4"
    sheet.column_dimensions["C"].width = 28
    title = f"{cons.template.short_title or cons.template.title} — {cons.period.label}"
    # Every row goes through text_row: a unit's name or text such as "=HYPERLINK(…)" stays text.
    sheet.append(text_row(sheet, [title]))
    sheet.append(text_row(sheet, [cons.coverage_sentence()]))
    sheet.append(_header(sheet, ["TT", "Mã đơn vị", "Đơn vị", "Tình trạng"] + [c.label for c in columns]))
    for index, sub in enumerate(cons.submissions, start=1):
        sheet.append(text_row(sheet, [index, sub.unit_code, sub.unit_name, sub.status_text]
                              + [_cell(sheet, c.value(sub), c) for c in columns]))
    sheet.append(text_row(sheet, [None, None, _cell(sheet, "Tổng cộng", bold=True), None]
                          + [_cell(sheet, c.value(cons), c, bold=True) for c in columns]))

    status = book.create_sheet("Tình hình gửi báo cáo")
    status.column_dimensions["C"].width = 32
    status.column_dimensions["D"].width = 30
    status.append(_header(status, ["TT", "Mã đơn vị", "Đơn vị", "Tình trạng", "Cập nhật lúc"]))
    for index, (code, name, text, updated) in enumerate(cons.status_rows(), start=1):
        status.append(text_row(status, [index, code, name, text, f"{updated:%d/%m/%Y %H:%M}" if updated else None]))
    if cons.notes:
        status.append([])
        for note in cons.notes:
            status.append(text_row(status, [None, None, note]))
    return book


def write_consolidated_xlsx(cons: Consolidation, target: str | Path) -> Path:
    buffer = io.BytesIO()  # built whole first: a bad target then fails cleanly, with nothing half-made
    build_consolidated_workbook(cons).save(buffer)
    return write_bytes_atomic(target, buffer.getvalue())
