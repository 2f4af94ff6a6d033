"""The receiving office's exports of a consolidation: the report (.docx) and the unit table (.xlsx).

The .docx is the template's own document written from the consolidated values, in the
name of the receiving unit, so its sentences carry the totals ("99 Tổ … gồm 615 thành
viên"); a coverage sentence after the opening says which units it covers. The .xlsx
has one row per unit and a totals row, plus a sheet of who has and has not reported; both
sheets carry the title block and the print setup of the appendix (xlsx_print): A4
landscape, as many pages across as keep it legible with the units' columns repeated on
each, the header row on every page, page numbers.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from desktop_app.atomic import write_bytes_atomic
from desktop_app.domain import roles
from desktop_app.office.consolidation import Consolidation, Indicator, indicators
from desktop_app.documents.content import DocumentBuilder, DocumentContent, Paragraph
from desktop_app.documents.docx_writer import write_docx
from desktop_app.documents import xlsx_print as pr
from desktop_app.documents.xlsx_formats import is_year, percent_format
from desktop_app.documents.xlsx_rows import CellStyle, FastRows
from desktop_app.documents.xlsx_text import as_text
from desktop_app.domain.fieldkinds import kind_spec
from desktop_app.domain.validation import ValidationResult

TABLE_BODY = Font(name=pr.FONT_NAME, size=11)  # the unit table is dense: a point smaller than the appendix
TABLE_BOLD = Font(name=pr.FONT_NAME, size=11, bold=True)
TOTALS_LABEL = "Tổng cộng"
XLSX_TEXT_LIMIT = 32_000  # Excel keeps at most 32,767 characters in a cell


def consolidated_content(cons: Consolidation) -> DocumentContent:
    """Headed and signed in the receiving office's name: its role gives the header (a department
    under its People's Committee) and the signing lines (KT. GIÁM ĐỐC, TM. ỦY BAN NHÂN DÂN…)."""
    notes = [Paragraph(cons.coverage_sentence())]
    if cons.field_notes:  # nothing silently dropped: what could not be added up is named
        notes.append(Paragraph("Số liệu không cộng được giữa các đơn vị:"))
        notes += [Paragraph(f"- {note}") for note in cons.field_notes]
    # The consolidation's own computed values: ratios over the units that gave both parts, and
    # values computed unit by unit (from answers) never recomputed on the totals.
    content = DocumentBuilder(cons.template).build(cons.as_report(), ValidationResult(computed=dict(cons.computed)),
                                                   preface=notes, consolidation=cons.text_names())
    return _signed_as_receiver(content, cons)


def _signed_as_receiver(content: DocumentContent, cons: Consolidation) -> DocumentContent:
    """The template's signing lines are a commune's; the office's own report of that type and
    period (its «Thông tin văn bản») wins where it says otherwise."""
    profile, own = cons.receiver, cons.receiver_document
    default = cons.template.document.signing
    title = own.signer_title or profile.signer_title or roles.signer_titles(profile)[-1]
    authority = roles.signing_authority(profile, title)
    if own.signing_authority and own.signing_authority != default.authority:
        authority = own.signing_authority  # written by the person: kept
    recipients = list(own.recipients) or roles.receiver_recipients(profile)  # not the commune's own bodies
    return replace(content, signer_title=title, signing_authority=authority or "",
                   signer_name=own.signer or profile.signer_name or "", recipients=recipients)


def write_consolidated_docx(cons: Consolidation, target: str | Path) -> Path:
    return write_docx(consolidated_content(cons), target)


def _number_format(ind: Indicator, value: int | float) -> str:
    """Excel formats: whole numbers without a dangling decimal point, percentages as percentages, years plain."""
    if ind.part is None and is_year(ind.field):
        return "0"
    if _is_percent(ind):
        return percent_format(value / 100)
    if isinstance(value, float) and not value.is_integer():
        return "#,##0.00"
    return "#,##0"


def _is_percent(ind: Indicator) -> bool:
    return ind.display == "percent" or (ind.part is None and ind.field.kind.value == "percentage")


def _column_width(ind: Indicator) -> float:
    if ind.numeric:
        return max(10, min(16, max((len(w) for w in ind.label.split()), default=8) + 2))
    return 48 if kind_spec(ind.field.kind).multiline else 24  # long texts wide, so their rows stay low


class _BodyCells:
    """The body cells of one sheet: each kind's style made once (openpyxl hashes a font, a border
    and an alignment every time one is assigned, which for thousands of rows × a hundred
    indicators costs more than writing the file), rows written as text (:mod:`xlsx_rows`)."""

    def __init__(self, sheet) -> None:
        self.rows = FastRows(sheet)
        self._sheet = sheet
        self._styles: dict[tuple[bool, str | None], CellStyle] = {}
        self._widths: list[float] = []
        self._chars: list[int] = []

    def style(self, bold: bool, number_format: str | None) -> CellStyle:
        key = (bold, number_format)
        made = self._styles.get(key)
        if made is None:
            proto = WriteOnlyCell(self._sheet)
            proto.font = TABLE_BOLD if bold else TABLE_BODY
            proto.border = pr.GRID
            proto.alignment = pr.WRAP_TOP
            if number_format:
                proto.number_format = number_format
            made = self._styles[key] = self.rows.style(proto._style)
        return made

    def cell(self, value: Any, ind: Indicator | None = None, bold: bool = False) -> tuple[Any, CellStyle]:
        """A value as the sheet holds it (long text cut, a percentage as a fraction) with its style."""
        if isinstance(value, str) and len(value) > XLSX_TEXT_LIMIT:
            value = value[:XLSX_TEXT_LIMIT] + "…"
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        fmt = _number_format(ind, value) if ind is not None and number else None
        if fmt is not None and ind is not None and _is_percent(ind):
            value = value / 100  # a fraction shown "80%": Excel computes with it
        return value, self.style(bold, fmt)

    def maker(self, ind: Indicator, bold: bool = False) -> Callable[[Any], tuple[Any, CellStyle]]:
        """:meth:`cell` for one indicator's column, what depends only on the column decided once
        (styles are still made when first used: the stylesheet lists them in the same order)."""
        if _is_percent(ind):
            return lambda value: self.cell(value, ind, bold)  # its format follows the value's decimals
        year = ind.part is None and is_year(ind.field)
        style = self.style

        def make(value: Any) -> tuple[Any, CellStyle]:
            kind = type(value)
            if kind is str:
                return (value if len(value) <= XLSX_TEXT_LIMIT else value[:XLSX_TEXT_LIMIT] + "…"), style(bold, None)
            if value is None:
                return None, style(bold, None)
            if kind is int or kind is float:
                if year:
                    return value, style(bold, "0")
                return value, style(bold, "#,##0.00" if kind is float and not value.is_integer() else "#,##0")
            return self.cell(value, ind, bold)
        return make

    def append(self, row: int, widths: list[float], cells: list[tuple[Any, CellStyle]]) -> None:
        """A body row, as tall as its longest wrapped text (neither Excel nor a height set later can fix it)."""
        lines = 1
        for (value, _style), per_line, width in zip(cells, self._per_line(widths), widths):
            # pr.lines_needed, asked only of a text that may take more than one line
            if isinstance(value, str) and (len(value) > per_line or "\n" in value):
                lines = max(lines, pr.lines_needed(value, width))
        if lines > 1:
            self._sheet.row_dimensions[row].height = pr.row_height(lines)
        self.rows.append(cells)

    def _per_line(self, widths: list[float]) -> list[int]:
        """Characters per line of each column, as pr.lines_needed counts them."""
        if self._widths != widths:
            self._widths, self._chars = list(widths), [pr.chars_per_line(w) for w in widths]
        return self._chars


def _plain(sheet, value: Any, font=None, alignment=None) -> WriteOnlyCell:
    """A cell of the title block or a note: text stays text."""
    cell = as_text(WriteOnlyCell(sheet, value=value))
    cell.font = font or TABLE_BODY
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _header(sheet, labels: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for label in labels:
        cell = as_text(WriteOnlyCell(sheet, value=label))
        cell.font = TABLE_BOLD
        cell.fill = pr.HEADER_FILL
        cell.alignment = pr.HEADER_ALIGN
        cell.border = pr.GRID
        cells.append(cell)
    return cells


def _title_block(sheet, block: pr.TitleBlock) -> int:
    """The title block in the first rows of a write-only sheet (no merged cells there); returns its last row."""
    lines = block.lines()
    for text, font, _alignment in lines:
        sheet.append([_plain(sheet, text, font, Alignment(vertical="top"))])
    return len(lines)


def _prepare(sheet, widths: list[float], header_row: int, header_lines: int, *, pages_wide: int = 1,
             title_columns: str | None = None) -> None:
    """What a write-only sheet must know before its first row: widths, the header row's height, print setup."""
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[header_row].height = pr.row_height(header_lines)
    pr.set_up_printing(sheet, total_width=sum(widths), header_rows=(header_row, header_row),
                       pages_wide=pages_wide, title_columns=title_columns)


def build_consolidated_workbook(cons: Consolidation) -> Workbook:
    book = Workbook(write_only=True)  # thousands of rows: streamed, not held cell by cell
    pr.use_default_font(book)
    columns = indicators(cons.template)
    receiver = cons.receiver.name
    name = cons.template.display_title
    title = f"Tổng hợp: {name}"
    sheet = book.create_sheet("Tổng hợp")
    block = pr.TitleBlock(unit=receiver, report=title, period=cons.period.label, note=cons.coverage_short())
    header_row = len(block.lines()) + 1
    labels = ["TT", "Mã đơn vị", "Đơn vị", "Tình trạng"] + [c.label for c in columns]
    widths: list[float] = [5, 9, 24, 14] + [_column_width(c) for c in columns]
    header_lines = max(pr.lines_needed(text, width) for text, width in zip(labels, widths))
    # Wide: as many landscape pages across as keep the print legible, the units' names on each.
    _prepare(sheet, widths, header_row, header_lines, pages_wide=pr.pages_across(sum(widths), sum(widths[:3])),
             title_columns="A:C")
    sheet.freeze_panes = f"E{header_row + 1}"
    body = _BodyCells(sheet)
    _title_block(sheet, block)
    # Every row is built of text-safe cells: a unit's name or text such as "=HYPERLINK(…)" stays text.
    sheet.append(_header(sheet, labels))
    row = header_row
    cell = body.cell
    readers = [(c.unit_reader(), body.maker(c)) for c in columns]
    for index, sub in enumerate(cons.submissions, start=1):
        row += 1
        body.append(row, widths, [cell(index), cell(sub.unit_code), cell(sub.unit_name), cell(sub.status_text)]
                    + [make(read(sub)) for read, make in readers])
    body.append(row + 1, widths, [cell(None), cell(None), cell(TOTALS_LABEL, bold=True), cell(None)]
                + [cell(c.value(cons), c, bold=True) for c in columns])

    status = book.create_sheet("Tình hình gửi báo cáo")
    block = pr.TitleBlock(unit=receiver, report=f"Tình hình gửi báo cáo: {name}", period=cons.period.label,
                          note=cons.coverage_sentence())
    header_row = len(block.lines()) + 1
    status_widths: list[float] = [5, 9, 30, 24, 14]
    _prepare(status, status_widths, header_row, 1)
    status.row_dimensions[header_row - 1].height = pr.row_height(pr.lines_needed(block.note, sum(status_widths)))
    status.freeze_panes = f"A{header_row + 1}"
    listed = _BodyCells(status)
    _title_block(status, block)
    status.append(_header(status, ["TT", "Mã đơn vị", "Đơn vị", "Tình trạng", "Cập nhật lúc"]))
    cell = listed.cell
    for index, (code, name, text, updated) in enumerate(cons.status_rows(), start=1):
        listed.append(header_row + index, status_widths,
                      [cell(index), cell(code), cell(name), cell(text),
                       cell(f"{updated:%d/%m/%Y %H:%M}" if updated else None)])
    if cons.notes:
        status.append([])
        for note in cons.notes:
            status.append([None, None, _plain(status, note)])
    return book


def write_consolidated_xlsx(cons: Consolidation, target: str | Path) -> Path:
    buffer = io.BytesIO()  # built whole first: a bad target then fails cleanly, with nothing half-made
    build_consolidated_workbook(cons).save(buffer)
    return write_bytes_atomic(target, buffer.getvalue())
