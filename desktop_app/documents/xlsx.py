"""The .xlsx appendix and reading it back (round trip).

Layout, for printing as an appendix and for reading back:
- "Thông tin chung": the title block (unit, report, period) and the report's details;
- "Mục lục": every section and table with its full name and a link to where it is;
- "Chỉ tiêu": every section's values, a section heading row each, label beside value (a
  long text under its label, across the sheet);
  column A (hidden) holds each row's key (``field``, ``field.part``, ``computed:field``,
  ``+field`` / ``>field`` for a long text's next paragraph / the rest of a long paragraph)
  so the file reads back;
- one sheet per repeating table ("Bảng 1. …"), a real Excel table, with a hidden row of
  column ids at the top and the column totals below it (only when it has rows);
- "_baocaoxa" (very hidden) names the template.
Every sheet prints on A4, fitted to the page width, header rows repeated, page numbers in
the footer (see xlsx_print). Numbers are stored as numbers with display formats
(xlsx_formats); computed values are shown but never read back.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableStyleInfo

from desktop_app.atomic import write_atomic
from desktop_app.documents import xlsx_print as pr
from desktop_app.documents.xlsx_formats import from_percent_cell, number_format, percent_format, shown_as_percent, \
    to_cell, total_format
from desktop_app.documents.xlsx_guard import check_xlsx_file
from desktop_app.documents.xlsx_text import text_everywhere
from desktop_app.errors import UserError
from desktop_app.domain.fieldkinds import kind_spec
from desktop_app.domain.validation import evaluation_context
from desktop_app.domain.reportdoc import coerce_values
from desktop_app.services import STATUS_LABELS, Workspace
from desktop_app.templating.model import Column, Field, FieldKind
from desktop_app.domain.values import ValueProblem, coerce, is_empty

FORMAT = "baocaoxa.xlsx/1"
META_SHEET = "_baocaoxa"
COVER_SHEET = "Thông tin chung"
CONTENTS_SHEET = "Mục lục"
DATA_SHEET = "Chỉ tiêu"
KEY_HEADER = "Mã"  # column A of the values sheet (hidden): what reads back
NUMBER_HEADER = "TT"  # column A of a table sheet
TOTALS_LABEL = "Tổng cộng"
NEXT_PARAGRAPH = "+"  # key prefix: the next paragraph of the long text above
SAME_PARAGRAPH = ">"  # key prefix: the paragraph above goes on (it was too long for one row)
CHUNK_CHARS = 1200  # a row of wrapped text at most about 25 lines: Excel's rows stop at 409 pt
MAX_XLSX_BYTES = 20_000_000
HEADER_SCAN_ROWS = 15  # the header row is looked for this far down (title block above it)
COMPUTED_FONT = Font(name=pr.FONT_NAME, size=12, italic=True, color="1F5F99")
LINK_FONT = Font(name=pr.FONT_NAME, size=12, color="1F5F99", underline="single")
EMPTY_TABLE_NOTE = "(Chưa có dòng nào.)"

# The values sheet: key (hidden), label, value, unit; printed width fits A4 portrait.
LABEL_WIDTH, VALUE_WIDTH, UNIT_WIDTH = 42, 31, 11
TABLE_NUMBER_WIDTH = 9


def _sheet_title(text: str, used: set[str]) -> str:
    """Excel's sheet names: at most 31 characters, none of []:*?/\\ (the full name is in «Mục lục»)."""
    title = re.sub(r"[\[\]:*?/\\]", "-", text)[:31].strip() or "Phan"
    base, n = title, 2
    while title in used:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(title)
    return title


def _unit_shown(spec: Field | Column, unit: str | None) -> str | None:
    """The unit column stays empty where the cell's own format already says "%"."""
    return None if unit and unit.strip() == "%" and shown_as_percent(spec) else unit


def _link(cell, sheet: str, coordinate: str = "A1") -> None:
    quoted = sheet.replace("'", "''")  # Excel doubles an apostrophe inside a quoted sheet name
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{quoted}'!{coordinate}")
    cell.font = LINK_FONT


class _ValuesSheet:
    """Writes the "Chỉ tiêu" sheet row by row: label beside value, heights that show the text."""

    def __init__(self, sheet, block: pr.TitleBlock) -> None:
        self.sheet = sheet
        printed = LABEL_WIDTH + VALUE_WIDTH + UNIT_WIDTH
        last = pr.write_title_block(sheet, block, 2, 4, printed)
        self.header_row = last + 2
        for column, text in enumerate((KEY_HEADER, "Chỉ tiêu", "Giá trị", "Đơn vị tính"), start=1):
            sheet.cell(self.header_row, column, text)
        pr.style_header_row(sheet, self.header_row, 1, 4)
        self.row = self.header_row
        self.headings: set[int] = set()
        for letter, width in zip("ABCD", (14, LABEL_WIDTH, VALUE_WIDTH, UNIT_WIDTH)):
            sheet.column_dimensions[letter].width = width
        sheet.column_dimensions["A"].hidden = True
        sheet.freeze_panes = sheet.cell(self.header_row + 1, 2).coordinate
        pr.set_up_printing(sheet, total_width=printed, header_rows=(self.header_row, self.header_row))

    def heading(self, text: str) -> int:
        self.row += 1
        self.headings.add(self.row)
        cell = self.sheet.cell(self.row, 2, text)
        cell.font, cell.fill, cell.alignment = pr.BOLD, pr.SECTION_FILL, pr.WRAP_TOP
        self.sheet.merge_cells(start_row=self.row, start_column=2, end_row=self.row, end_column=4)
        self.sheet.row_dimensions[self.row].height = pr.row_height(
            pr.lines_needed(text, LABEL_WIDTH + VALUE_WIDTH + UNIT_WIDTH))
        return self.row

    def text(self, key: str, text: str | None) -> None:
        """A piece of a long text under its label, across label, value and unit columns."""
        self.row += 1
        sheet, row = self.sheet, self.row
        sheet.cell(row, 1, key)
        cell = sheet.cell(row, 2, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="justify")
        sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
        lines = pr.lines_needed(text, LABEL_WIDTH + VALUE_WIDTH + UNIT_WIDTH)
        if lines > 1:
            sheet.row_dimensions[row].height = pr.row_height(lines)

    def line(self, key: str | None, label: str | None, value: Any, unit: str | None = None,
             fmt: str | None = None, font: Font = pr.BODY, wide_value: bool = False):
        """One row; ``wide_value`` spans the value over the unit column (long text). Returns the value cell."""
        self.row += 1
        sheet, row = self.sheet, self.row
        sheet.cell(row, 1, key).font = pr.BODY
        label_cell = sheet.cell(row, 2, label)
        label_cell.font, label_cell.alignment = pr.BODY, pr.WRAP_TOP
        cell = sheet.cell(row, 3, value)
        cell.font = font
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        cell.alignment = Alignment(wrap_text=True, vertical="top",
                                   horizontal="justify" if wide_value else None if number else "left")
        if fmt:
            cell.number_format = fmt
        sheet.cell(row, 4, unit).font = pr.BODY
        sheet.cell(row, 4).alignment = pr.WRAP_TOP
        if wide_value:
            sheet.merge_cells(start_row=row, start_column=3, end_row=row, end_column=4)
        shown = value if isinstance(value, str) else None
        lines = max(pr.lines_needed(label, LABEL_WIDTH),
                    pr.lines_needed(shown, VALUE_WIDTH + (UNIT_WIDTH if wide_value else 0)))
        if lines > 1:
            sheet.row_dimensions[row].height = pr.row_height(lines)
        return cell


def _cover_rows(record, template, errors: int) -> list[tuple[str, Any]]:
    unit = record.unit
    return [
        ("Báo cáo", template.title), ("Đơn vị", unit.name or None), ("Mã đơn vị", unit.code or None),
        ("Tỉnh, thành phố", unit.province_name or None), ("Huyện (trước 01/7/2025)", unit.district_name or None),
        ("Kỳ báo cáo", record.period.label),
        ("Mẫu báo cáo", f"{template.id} phiên bản {template.version}"),
        ("Trạng thái", STATUS_LABELS.get(record.status, record.status)),
        ("Số lỗi còn lại", errors), ("Xuất lúc", dt.datetime.now().strftime("%d/%m/%Y %H:%M")),
    ]


def _write_cover(sheet, block: pr.TitleBlock, rows: list[tuple[str, Any]]) -> None:
    widths = (26, 57)
    last = pr.write_title_block(sheet, block, 1, 2, sum(widths))
    header = last + 2
    sheet.cell(header, 1, "Thông tin")
    sheet.cell(header, 2, "Nội dung")
    pr.style_header_row(sheet, header, 1, 2)
    for offset, (label, value) in enumerate(rows, start=1):
        label_cell, value_cell = sheet.cell(header + offset, 1, label), sheet.cell(header + offset, 2, value)
        label_cell.font, value_cell.font = pr.BOLD, pr.BODY
        label_cell.alignment = value_cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
        lines = pr.lines_needed(value if isinstance(value, str) else None, widths[1])
        if lines > 1:
            sheet.row_dimensions[header + offset].height = pr.row_height(lines)
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = widths
    pr.set_up_printing(sheet, total_width=sum(widths), header_rows=(header, header))


def _write_contents(sheet, block: pr.TitleBlock, entries: list[tuple[str, str, str, str, str]]) -> None:
    """``entries``: (number, full name, sheet, cell, where it reads) — a link each."""
    widths = (8, 53, 23)
    last = pr.write_title_block(sheet, block, 1, 3, sum(widths))
    header = last + 2
    for column, text in enumerate(("TT", "Nội dung", "Xem tại"), start=1):
        sheet.cell(header, column, text)
    pr.style_header_row(sheet, header, 1, 3)
    for offset, (number, name, target, coordinate, where) in enumerate(entries, start=1):
        row = header + offset
        sheet.cell(row, 1, number).font = pr.BODY
        name_cell = sheet.cell(row, 2, name)
        name_cell.font = pr.BOLD if number[:1].isdigit() else pr.BODY
        name_cell.alignment = pr.WRAP_TOP
        link = sheet.cell(row, 3, where)
        _link(link, target, coordinate)
        link.alignment = pr.WRAP_TOP
        sheet.cell(row, 1).alignment = pr.WRAP_TOP
        lines = max(pr.lines_needed(name, widths[1]), pr.lines_needed(where, widths[2]))
        if lines > 1:
            sheet.row_dimensions[row].height = pr.row_height(lines)
    for letter, width in zip("ABC", widths):
        sheet.column_dimensions[letter].width = width
    pr.set_up_printing(sheet, total_width=sum(widths), header_rows=(header, header))


def build_workbook(ws: Workspace, report_id: int) -> Workbook:
    record, template = ws.report(report_id)
    validator = ws.validator(template)
    result = validator.validate(record.values, evaluation_context(record.unit))
    block = pr.TitleBlock(unit=record.unit.name, report=template.title, period=record.period.label)
    book = Workbook()
    pr.use_default_font(book)
    cover = book.active
    cover.title = COVER_SHEET
    contents = book.create_sheet(CONTENTS_SHEET)
    values = _ValuesSheet(book.create_sheet(DATA_SHEET), block)
    used = {COVER_SHEET, CONTENTS_SHEET, DATA_SHEET, META_SHEET}
    entries: list[tuple[str, str, str, str, str]] = []
    tables = 0
    for number, section in enumerate(template.sections, start=1):
        row = values.heading(f"{number}. {section.title}")
        entries.append((str(number), section.title, DATA_SHEET, f"B{row}", f"«{DATA_SHEET}», dòng {row}"))
        for f in section.fields:
            if f.kind == FieldKind.TABLE:
                tables += 1
                name = f"Bảng {tables}. {f.label}"
                table_sheet = _write_table(book, used, name, block, f, validator, record.values.get(f.id) or [])
                link = values.line(None, f.label, f"→ Bảng {tables}")  # a link cell does not wrap: short
                _link(link, table_sheet)
                entries.append((f"Bảng {tables}", f.label, table_sheet, "A1", f"«{table_sheet}»"))
                continue
            _write_field(values, f, record.values.get(f.id), result.computed.get(f.id))
    pr.heading_page_breaks(values.sheet, values.header_row + 1, values.row, values.headings, pr.SINGLE_LINE)
    _write_cover(cover, block, _cover_rows(record, template, len(result.errors)))
    _write_contents(contents, block, entries)

    meta = book.create_sheet(META_SHEET)
    for meta_row in (["format", FORMAT], ["template", template.id], ["template_version", template.version],
                     ["period", record.period.spec], ["unit_code", record.unit.code or None]):
        meta.append(meta_row)
    meta.sheet_state = "veryHidden"  # not even listed under "Unhide…"
    pr.set_up_printing(meta, total_width=20, header_rows=None)
    text_everywhere(book)  # a value such as "=HYPERLINK(…)" stays text
    return book


def _write_field(values: _ValuesSheet, f: Field, value: Any, computed: Any) -> None:
    if f.kind == FieldKind.COMPUTED:
        values.line(f"computed:{f.id}", f"{f.label} (tự tính)", to_cell(f, computed), _unit_shown(f, f.unit),
                    number_format(f, computed), font=COMPUTED_FONT)
        return
    kind = kind_spec(f.kind)
    if kind.parts:
        for part in kind.parts:
            part_kind = kind_spec(part.kind)
            part_value = (value or {}).get(part.key)
            shown = None if part_value is None else part_kind.cell(part_value)
            fmt = part_kind.spreadsheet_format(f) if part_value is not None else None
            values.line(f"{f.id}.{part.key}", f"{f.label} — {part.label}", shown,
                        f.unit if part_kind.numeric else None, fmt)
        if f.kind == FieldKind.RATIO:
            num, den = (value or {}).get("num"), (value or {}).get("den")
            share = num / den if num is not None and den else None
            values.line(f"computed:{f.id}", f"{f.label} — tỷ lệ (tự tính)", share, None,
                        percent_format(share), font=COMPUTED_FONT)
        return
    if kind.multiline and isinstance(value, str):
        # The label on its own row, kept on the page with the text below it at full width.
        values.headings.add(values.line(None, f.label, None).row)
        for index, paragraph in enumerate(value.split("\n")):
            for part_index, chunk in enumerate(_chunks(paragraph)):
                key = f.id if index == part_index == 0 else \
                    f"{SAME_PARAGRAPH if part_index else NEXT_PARAGRAPH}{f.id}"
                values.text(key, chunk or None)
        return
    cell = values.line(f.id, f.label, to_cell(f, value), _unit_shown(f, f.unit), number_format(f, value),
                       wide_value=kind.multiline)
    if kind.choices is not None:
        options = kind.choices(f)
        listed = ",".join(o.replace(",", " ") for o in options)
        if len(listed) < 250:
            validation = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True)
            values.sheet.add_data_validation(validation)
            validation.add(cell)


def _default_width(c: Column) -> float:
    """A column's width when the template gives none (in width units: one "0")."""
    spec = kind_spec(c.kind)
    if spec.multiline:
        return 28
    if spec.textual:
        return 17
    return 12 if spec.choices is not None else 11


def _chunks(paragraph: str) -> list[str]:
    """``paragraph`` in pieces of at most CHUNK_CHARS, cut before a space (which starts the next piece)."""
    pieces = []
    while len(paragraph) > CHUNK_CHARS:
        cut = paragraph.rfind(" ", CHUNK_CHARS // 2, CHUNK_CHARS)
        while cut > 0 and paragraph[cut - 1].isspace():  # the piece must not end in a space (cells are trimmed)
            cut -= 1
        if cut <= 0:
            cut = CHUNK_CHARS
        pieces.append(paragraph[:cut])
        paragraph = paragraph[cut:]
    return pieces + [paragraph]


def _column_widths(columns: list[Column]) -> list[float]:
    """The template's ``width`` is a share of the table's width in the .docx (percent): the same share
    of a portrait page (a landscape one for more than five columns); never narrower than the header's
    longest word, so a header does not break inside a word."""
    page = pr.LANDSCAPE_WIDTH - 15 if len(columns) > 5 else pr.PORTRAIT_WIDTH - 10
    wanted = [page * c.width / 100 if c.width else _default_width(c) for c in columns]
    # Many columns: narrower, down to the header's words, so the print is not shrunk as much.
    shrink = min(1.0, (pr.LANDSCAPE_WIDTH - 8) / sum(wanted)) if wanted else 1.0
    widths = []
    for c, width in zip(columns, wanted):
        label = c.label + (f" ({c.unit})" if c.unit else "")
        longest_word = max((len(w) for w in label.split()), default=4)
        widths.append(round(max(width * shrink, longest_word + 2, 8), 1))
    return widths


def _write_table(book, used: set[str], name: str, block: pr.TitleBlock, f: Field, validator,
                 rows: list[dict]) -> str:
    sheet = book.create_sheet(_sheet_title(name, used))
    columns = list(f.columns or [])
    totalled_first = bool(columns) and columns[0].total  # "Tổng cộng" then needs the whole first column
    widths = [TABLE_NUMBER_WIDTH if totalled_first else 5] + _column_widths(columns)
    last_column = len(columns) + 1
    total_width = sum(widths)
    for offset, c in enumerate([None, *columns], start=1):  # hidden key row: what reads back
        sheet.cell(1, offset, f"table:{f.id}" if c is None else c.id)
    sheet.row_dimensions[1].hidden = True
    title_end = pr.write_title_block(sheet, block, 1, last_column, total_width, first_row=2)
    heading_row = title_end + 1
    heading = sheet.cell(heading_row, 1, name)
    heading.font, heading.alignment = pr.BOLD, pr.WRAP_TOP
    sheet.merge_cells(start_row=heading_row, start_column=1, end_row=heading_row, end_column=last_column)
    header = heading_row + 1
    for offset, text in enumerate([NUMBER_HEADER] + [c.label + (f" ({c.unit})" if c.unit else "")
                                                     for c in columns], start=1):
        sheet.cell(header, offset, text)
    pr.style_header_row(sheet, header, 1, last_column)
    sheet.row_dimensions[header].height = pr.row_height(max(
        pr.lines_needed(sheet.cell(header, i + 1).value, w) for i, w in enumerate(widths)))

    full = validator.table_rows_with_computed(f.id, rows)
    row = header
    for index, entry in enumerate(full, start=1):
        row += 1
        sheet.cell(row, 1, index)
        lines = 1
        for offset, c in enumerate(columns, start=2):
            value = entry.get(c.id)
            cell = sheet.cell(row, offset, to_cell(c, value))
            fmt = number_format(c, value)
            if fmt:
                cell.number_format = fmt
            if isinstance(cell.value, str):
                lines = max(lines, pr.lines_needed(cell.value, widths[offset - 1]))
        if lines > 1:
            sheet.row_dimensions[row].height = pr.row_height(lines)
    for r in range(header + 1, row + 1):
        for column in range(1, last_column + 1):
            cell = sheet.cell(r, column)
            cell.border = pr.GRID
            if cell.font is None or cell.font.name != pr.FONT_NAME:
                cell.font = pr.BODY
            cell.alignment = Alignment(wrap_text=r > header and column > 1 or None, vertical="top")
    if full:
        table = Table(displayName=f"Bang_{f.id}"[:250], ref=f"A{header}:{get_column_letter(last_column)}{row}")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
        sheet.add_table(table)
    else:  # no rows, no totals: one line says so (an Excel table needs a row and allows no merged cells)
        row += 1
        note = sheet.cell(row, 1, EMPTY_TABLE_NOTE)
        note.font, note.alignment, note.border = pr.ITALIC, Alignment(horizontal="center"), pr.GRID
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column)
    totals = validator.column_totals(f.id, rows) if full else {}
    if totals:
        row += 1
        sheet.cell(row, 1, TOTALS_LABEL).font = pr.BOLD
        for offset, c in enumerate(columns, start=2):
            if c.id in totals:
                cell = sheet.cell(row, offset, to_cell(c, totals[c.id]))
                cell.font, cell.number_format, cell.border = pr.BOLD, total_format(c, totals[c.id]), pr.GRID
        sheet.cell(row, 1).border = pr.GRID
    for offset, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(offset)].width = width
    sheet.freeze_panes = sheet.cell(header + 1, 2).coordinate
    pr.set_up_printing(sheet, total_width=total_width, header_rows=(header, header))
    return sheet.title


def write_xlsx(ws: Workspace, report_id: int, target: str | Path) -> Path:
    buffer = io.BytesIO()
    build_workbook(ws, report_id).save(buffer)
    data = buffer.getvalue()
    return write_atomic(target, lambda handle: handle.write(data))


# --- reading back ----------------------------------------------------------------------

def _from_cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip() or None
    return value


def read_xlsx(ws: Workspace, report_id: int, source: str | Path) -> int:
    """Load values from a workbook in this layout; every rejected cell is listed, nothing half-written."""
    _record, template = ws.report(report_id)
    path = Path(source)
    check_xlsx_file(path, MAX_XLSX_BYTES)  # sizes, rows and cells bounded before openpyxl loads it
    try:
        book = load_workbook(path, data_only=True)
    except FileNotFoundError:
        raise UserError(f"Không tìm thấy tệp «{source}».") from None
    except UserError:
        raise
    except Exception:  # noqa: BLE001 - zipfile, XML (defusedxml) and openpyxl errors alike
        raise UserError(f"Tệp «{path.name}» không phải tệp Excel (.xlsx) hợp lệ hoặc đã bị hỏng.") from None
    if META_SHEET not in book.sheetnames:
        raise UserError(f"Tệp «{path.name}» không phải tệp Excel do BaoCaoXa xuất ra (thiếu trang {META_SHEET}).")
    meta = {row[0]: row[1] for row in book[META_SHEET].iter_rows(values_only=True) if row and row[0]}
    if meta.get("format") != FORMAT:
        raise UserError(f"Tệp Excel có định dạng «{meta.get('format')}» chưa được hỗ trợ.")
    if meta.get("template") != template.id:
        raise UserError(f"Tệp Excel là của mẫu «{meta.get('template')}», "
                        f"không phải mẫu «{template.id}» của báo cáo này.")

    raw: dict[str, Any] = {}
    where: dict[str, str] = {}
    problems: list[str] = []
    fields = {f.id: f for f in template.all_fields()}
    for sheet in book.worksheets:
        if sheet.title == META_SHEET:
            continue
        first = sheet.cell(1, 1).value
        if isinstance(first, str) and first.startswith("table:"):
            _read_table(sheet, first.removeprefix("table:"), fields, raw, where, problems)
            continue
        header = _header_row(sheet, KEY_HEADER)
        if header is None:
            continue  # the cover, the contents: nothing to read
        _read_values(sheet, header, fields, raw, where, problems)
    # Check each value on its own so every bad cell is reported with its place.
    for field_id, value in raw.items():
        if isinstance(value, (list, dict)):
            continue  # tables and composite values were checked cell by cell
        _, cell_problems = coerce_values(template, {field_id: value})
        problems += [f"{where.get(field_id, field_id)}: {p}" for p in cell_problems]
    if problems:
        raise UserError("Không nạp gì vì có ô không hợp lệ:", problems)
    values, more = coerce_values(template, raw)
    if more:
        raise UserError("Không nạp gì vì có ô không hợp lệ:", more)
    return ws.replace_values(report_id, {k: v for k, v in values.items() if v is not None}, action="import-xlsx")


def _header_row(sheet, first_cell: str, start: int = 1) -> int | None:
    """The row whose column A reads ``first_cell``, near the top (below the title block)."""
    for row in range(start, HEADER_SCAN_ROWS + 1):
        if sheet.cell(row, 1).value == first_cell:
            return row
    return None


def _cell_value(f: Field | Column, cell) -> Any:
    """What a cell holds as the app reads it: a percent cell (0.9881 shown "98,81%") as 98.81."""
    value = cell.value
    if shown_as_percent(f):
        value = from_percent_cell(value, cell.number_format)
    return _from_cell(value)


def _read_values(sheet, header: int, fields: dict[str, Field], raw: dict, where: dict, problems: list[str]) -> None:
    """The rows below ``header`` keyed in column A: ``field``, ``field.part``, and for a long
    text ``+field`` (its next paragraph) and ``>field`` (its paragraph goes on)."""
    previous = None  # the field of the row above: a long text's next rows must follow it
    for row in sheet.iter_rows(min_row=header + 1, max_col=3):
        key = row[0].value
        if not isinstance(key, str) or key.startswith(("computed:", "table:")) or len(row) < 3:
            continue
        cell = row[1] if isinstance(row[2], MergedCell) else row[2]  # a long text spans B:D
        joiner = {NEXT_PARAGRAPH: "\n", SAME_PARAGRAPH: ""}.get(key[:1])
        field_id, _, part = (key[1:] if joiner is not None else key).partition(".")
        f = fields.get(field_id)
        place = f"Trang «{sheet.title}», ô {cell.coordinate}"
        if f is None:
            problems.append(f"{place}: mẫu không có chỉ tiêu «{field_id}».")
            continue
        if joiner is not None:
            earlier = raw.get(field_id)
            if previous != field_id or not isinstance(earlier, (str, type(None))):
                problems.append(f"{place}: dòng tiếp theo của «{f.label}» không đứng ngay dưới chỉ tiêu đó.")
                continue
            piece = cell.value if isinstance(cell.value, str) else _from_cell(cell.value)  # as written: not trimmed
            raw[field_id] = f"{earlier or ''}{joiner}{'' if piece is None else piece}"
            continue
        previous = field_id
        multiline = kind_spec(f.kind).multiline and isinstance(cell.value, str)
        value = cell.value if multiline else _cell_value(f, cell)  # a long text is trimmed whole, not row by row
        if part:
            try:  # a ratio or document part is checked on its own, so the right cell is named
                coerce(f, {part: value})
            except ValueProblem as exc:
                problems.append(f"{place}: {exc}")
            raw.setdefault(field_id, {})[part] = value
        else:
            raw[field_id] = value
            where[field_id] = place


def _read_table(sheet, field_id: str, fields: dict[str, Field], raw: dict, where: dict, problems: list[str]) -> None:
    f = fields.get(field_id)
    if f is None or f.kind != FieldKind.TABLE:
        problems.append(f"Trang «{sheet.title}»: mẫu không có bảng «{field_id}».")
        return
    ids = [c.value for c in sheet[1]][1:]
    columns = {c.id: c for c in f.columns or []}
    rows: list[dict] = []
    header = _header_row(sheet, NUMBER_HEADER, start=2) or 2
    for row in sheet.iter_rows(min_row=header + 1):
        if row[0].value == TOTALS_LABEL:
            break
        entry: dict[str, Any] = {}
        for cell, column_id in zip(row[1:], ids):
            col = columns.get(column_id)
            if col is None or col.kind == FieldKind.COMPUTED:
                continue
            try:
                entry[column_id] = coerce(col, _cell_value(col, cell))
            except ValueProblem as exc:
                problems.append(f"Trang «{sheet.title}», ô {cell.coordinate}: {exc}")
        if not is_empty(entry):
            rows.append(entry)
    raw[field_id] = rows or None
    where[field_id] = f"Trang «{sheet.title}»"
