"""The .xlsx appendix and reading it back (round trip).

Layout: a cover sheet ("Thông tin chung"); one sheet per section with a row per value
(column A, hidden, holds the field key so the file reads back); each repeating table on a
sheet of its own as a real Excel table, with a hidden row of column ids above the header;
a hidden "_baocaoxa" sheet names the template. Numbers are stored as numbers with display
formats; computed values are shown but never read back.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from desktop_app.atomic import write_atomic
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
MAX_XLSX_BYTES = 20_000_000
HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
COMPUTED_FONT = Font(italic=True, color="1F5F99")


def _sheet_title(text: str, used: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "-", text)[:31].strip() or "Phan"
    base, n = title, 2
    while title in used:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(title)
    return title


def _number_format(spec: Field | Column) -> str | None:
    return kind_spec(spec.kind).spreadsheet_format(spec)


def _cell_value(kind: FieldKind, value: Any) -> Any:
    return None if value is None else kind_spec(kind).cell(value)


# --- writing -------------------------------------------------------------------------

def build_workbook(ws: Workspace, report_id: int) -> Workbook:
    record, template = ws.report(report_id)
    validator = ws.validator(template)
    result = validator.validate(record.values, evaluation_context(record.unit))
    book = Workbook()
    cover = book.active
    cover.title = "Thông tin chung"
    used = {cover.title, META_SHEET}
    unit = record.unit
    rows = [
        ("Báo cáo", template.title), ("Đơn vị", unit.name or None), ("Mã đơn vị", unit.code or None),
        ("Tỉnh, thành phố", unit.province_name or None), ("Huyện (trước 01/7/2025)", unit.district_name or None),
        ("Kỳ báo cáo", record.period.label),
        ("Mẫu báo cáo", f"{template.id} phiên bản {template.version}"),
        ("Trạng thái", STATUS_LABELS.get(record.status, record.status)),
        ("Số lỗi còn lại", len(result.errors)), ("Xuất lúc", dt.datetime.now().strftime("%d/%m/%Y %H:%M")),
    ]
    for row in rows:
        cover.append(row)
    for cell in cover["A"]:
        cell.font = Font(bold=True)
    cover.column_dimensions["A"].width = 26
    cover.column_dimensions["B"].width = 90

    meta = book.create_sheet(META_SHEET)
    meta.append(["format", FORMAT])
    meta.append(["template", template.id])
    meta.append(["template_version", template.version])
    meta.append(["period", record.period.spec])
    meta.append(["unit_code", unit.code or None])
    meta.sheet_state = "hidden"

    for number, section in enumerate(template.sections, start=1):
        sheet = book.create_sheet(_sheet_title(f"{number}. {section.title}", used))
        sheet.append(["Mã", "Chỉ tiêu", "Giá trị", "Đơn vị"])
        for cell in sheet[1]:
            cell.font, cell.fill = Font(bold=True), HEADER_FILL
        for f in section.fields:
            if f.kind == FieldKind.TABLE:
                table_sheet = _write_table(book, used, f, validator, record.values.get(f.id) or [])
                sheet.append([f"table:{f.id}", f.label, f"→ xem trang «{table_sheet}»", None])
                continue
            _write_field(sheet, f, record.values.get(f.id), result.computed.get(f.id))
        sheet.column_dimensions["A"].hidden = True
        sheet.column_dimensions["B"].width = 70
        sheet.column_dimensions["C"].width = 28
        sheet.column_dimensions["D"].width = 14
        for row in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
            row[0].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "B2"
    text_everywhere(book)  # a value such as "=HYPERLINK(…)" stays text
    return book


def _write_field(sheet, f: Field, value: Any, computed: Any) -> None:
    if f.kind == FieldKind.COMPUTED:
        percent = f.display and f.display.value == "percent"
        shown = None if computed is None else (computed / 100 if percent else computed)
        sheet.append([f"computed:{f.id}", f"{f.label} (tự tính)", shown, f.unit])
        cell = sheet.cell(sheet.max_row, 3)
        cell.font = COMPUTED_FONT
        cell.number_format = "0.00%" if percent else "#,##0.##"
        return
    kind = kind_spec(f.kind)
    if kind.parts:
        for part in kind.parts:
            part_kind = kind_spec(part.kind)
            sheet.append([f"{f.id}.{part.key}", f"{f.label} — {part.label}",
                          _cell_value(part.kind, (value or {}).get(part.key)), f.unit if part_kind.numeric else None])
            cell = sheet.cell(sheet.max_row, 3)
            cell.number_format = part_kind.spreadsheet_format(f) or "General"
        if f.kind == FieldKind.RATIO:
            num, den = (value or {}).get("num"), (value or {}).get("den")
            share = num / den if num is not None and den else None
            sheet.append([f"computed:{f.id}", f"{f.label} — tỷ lệ (tự tính)", share, "%"])
            sheet.cell(sheet.max_row, 3).number_format = "0.00%"
            sheet.cell(sheet.max_row, 3).font = COMPUTED_FONT
        return
    sheet.append([f.id, f.label + (" *" if f.required else ""), _cell_value(f.kind, value), f.unit])
    cell = sheet.cell(sheet.max_row, 3)
    fmt = _number_format(f)
    if fmt:
        cell.number_format = fmt
    if kind.multiline:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if kind.choices is not None:
        options = kind.choices(f)
        listed = ",".join(o.replace(",", " ") for o in options)
        if len(listed) < 250:
            validation = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True)
            sheet.add_data_validation(validation)
            validation.add(cell)


def _write_table(book, used: set[str], f: Field, validator, rows: list[dict]) -> str:
    sheet = book.create_sheet(_sheet_title(f.label, used))
    columns = list(f.columns or [])
    sheet.append([f"table:{f.id}"] + [c.id for c in columns])  # hidden key row
    sheet.append(["TT"] + [c.label + (f" ({c.unit})" if c.unit else "") for c in columns])
    full = validator.table_rows_with_computed(f.id, rows)
    for index, row in enumerate(full, start=1):
        sheet.append([index] + [_cell_value(c.kind, row.get(c.id)) for c in columns])
        for offset, c in enumerate(columns, start=2):
            fmt = _number_format(c)
            if fmt:
                sheet.cell(sheet.max_row, offset).number_format = fmt
    last = sheet.max_row if full else 3
    if not full:
        sheet.append([None] * (len(columns) + 1))
    ref = f"A2:{get_column_letter(len(columns) + 1)}{last}"
    table = Table(displayName=f"Bang_{f.id}"[:250], ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    sheet.add_table(table)
    totals = validator.column_totals(f.id, rows)
    if totals:
        sheet.append(["Tổng cộng"] + [totals.get(c.id) for c in columns])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
            cell.number_format = "#,##0.##"
    sheet.row_dimensions[1].hidden = True
    sheet.column_dimensions["A"].width = 10
    for offset, c in enumerate(columns, start=2):
        sheet.column_dimensions[get_column_letter(offset)].width = max(12, min(60, (c.width or 15) * 1.2))
    sheet.freeze_panes = "B3"
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
        for row in sheet.iter_rows(min_row=2):
            key = row[0].value
            if not isinstance(key, str) or key.startswith(("computed:", "table:")) or len(row) < 3:
                continue
            cell = row[2]
            field_id, _, part = key.partition(".")
            f = fields.get(field_id)
            if f is None:
                problems.append(f"Trang «{sheet.title}», ô {cell.coordinate}: mẫu không có chỉ tiêu «{field_id}».")
                continue
            value = _from_cell(cell.value)
            place = f"Trang «{sheet.title}», ô {cell.coordinate}"
            if part:
                try:  # a ratio or document part is checked on its own, so the right cell is named
                    coerce(f, {part: value})
                except ValueProblem as exc:
                    problems.append(f"{place}: {exc}")
                raw.setdefault(field_id, {})[part] = value
            else:
                raw[field_id] = value
                where[field_id] = place
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


def _read_table(sheet, field_id: str, fields: dict[str, Field], raw: dict, where: dict, problems: list[str]) -> None:
    f = fields.get(field_id)
    if f is None or f.kind != FieldKind.TABLE:
        problems.append(f"Trang «{sheet.title}»: mẫu không có bảng «{field_id}».")
        return
    ids = [c.value for c in sheet[1]][1:]
    columns = {c.id: c for c in f.columns or []}
    rows: list[dict] = []
    for row in sheet.iter_rows(min_row=3):
        if row[0].value == "Tổng cộng":
            break
        entry: dict[str, Any] = {}
        for cell, column_id in zip(row[1:], ids):
            col = columns.get(column_id)
            if col is None or col.kind == FieldKind.COMPUTED:
                continue
            try:
                entry[column_id] = coerce(col, _from_cell(cell.value))
            except ValueProblem as exc:
                problems.append(f"Trang «{sheet.title}», ô {cell.coordinate}: {exc}")
        if not is_empty(entry):
            rows.append(entry)
    raw[field_id] = rows or None
    where[field_id] = f"Trang «{sheet.title}»"
