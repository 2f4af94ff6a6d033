"""The list of units that have not sent a report, to chase by phone: .xlsx or .csv, Vietnamese
headers. The names come from the official list; every cell is still written as plain text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from desktop_app.atomic import write_bytes_atomic
from desktop_app.errors import UserError
from desktop_app.office.receipts import Receipts
from desktop_app.documents.xlsx_text import text_row

HEADERS = ["TT", "Mã đơn vị", "Tên đơn vị", "Tỉnh, thành phố", "Loại báo cáo", "Kỳ báo cáo", "Ghi chú"]


def missing_rows(rec: Receipts) -> list[list[object]]:
    return [[index, u.code, u.name, u.province_name, rec.title, rec.period.label, ""]
            for index, u in enumerate(rec.missing, start=1)]


def _csv_cell(value: object) -> object:
    """A spreadsheet opening the .csv must never read a cell as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_bytes(rec: Receipts) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in missing_rows(rec):
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")  # the BOM: Excel on Windows then reads Vietnamese right


def xlsx_bytes(rec: Receipts) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Chưa gửi báo cáo")
    sheet.column_dimensions["C"].width = 30
    sheet.column_dimensions["D"].width = 22
    sheet.column_dimensions["E"].width = 40
    sheet.append(text_row(sheet, [f"Các đơn vị chưa gửi báo cáo {rec.title} — {rec.period.label}"]))
    sheet.append(text_row(sheet, [rec.summary()]))
    header = text_row(sheet, HEADERS)
    for cell in header:
        cell.font = Font(bold=True)
    sheet.append(header)
    for row in missing_rows(rec):
        sheet.append(text_row(sheet, row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_missing_list(rec: Receipts, target: str | Path) -> Path:
    target = Path(target)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UserError("Danh sách đơn vị chưa gửi được ghi ra tệp .xlsx hoặc .csv; hãy đặt tên tệp có đuôi đó.")
    return write_bytes_atomic(target, csv_bytes(rec) if suffix == ".csv" else xlsx_bytes(rec))
