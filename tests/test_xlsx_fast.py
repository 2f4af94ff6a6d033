"""Rows written as text (xlsx_rows.FastRows) make the same worksheet as openpyxl's cells (issue 16 item 3).

The reference is openpyxl's write-only path, cell by cell, as the consolidated .xlsx was
written before. The files may differ in bytes (UTF-8 text instead of character references,
``<c/>`` instead of ``<c></c>``), never in their XML: every part is compared canonicalised.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import zipfile
from copy import copy

import pytest
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils.exceptions import IllegalCharacterError

from desktop_app.documents import consolidated
from desktop_app.documents.xlsx_rows import CellStyle, FastRows
from desktop_app.documents.xlsx_text import as_text
from desktop_app.domain.entities import UnitProfile
from desktop_app.domain.periods import parse_period
from desktop_app.office.consolidation import consolidate
from tests.consolidation_data import commune_reports


class _CellByCell:
    """FastRows' interface the way openpyxl writes it: a write-only cell per value."""

    def __init__(self, sheet) -> None:
        self._sheet = sheet

    def style(self, array) -> CellStyle:
        return CellStyle(self._sheet.parent._cell_styles.add(array), array)

    def append(self, cells) -> None:
        row = []
        for value, style in cells:
            cell = as_text(WriteOnlyCell(self._sheet, value=value))
            cell._style = copy(style.array)
            row.append(cell)
        self._sheet.append(row)


def _canonical_parts(data: bytes) -> dict[str, str]:
    parts = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name == "docProps/core.xml":  # its time stamps
                continue
            parts[name] = etree.canonicalize(archive.read(name).decode("utf-8"))
    return parts


def _rows_workbook(rows_class, rows: list[list], heights: dict[int, float]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Thử")
    sheet.column_dimensions["A"].width = 12
    writer = rows_class(sheet)
    plain = WriteOnlyCell(sheet)
    plain.font = Font(name="Times New Roman", size=11)
    bold = copy(plain)
    bold.font = Font(name="Times New Roman", size=11, bold=True)
    styles = [writer.style(copy(plain._style)), writer.style(copy(bold._style))]
    for number, row in enumerate(rows, start=1):
        if number in heights:
            sheet.row_dimensions[number].height = heights[number]
        if row and row[0] == "ordinary":  # an ordinary openpyxl row between prepared ones
            sheet.append([as_text(WriteOnlyCell(sheet, value=v)) for v in row])
            continue
        writer.append([(value, styles[index % 2]) for index, value in enumerate(row)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


TRICKY_ROWS = [
    ["Tiêu đề", None, ""],
    ["ordinary", "=1+1", 3],
    [1, -2, 10**15, 0.1, 1 / 3, 1e20, -0.0, 12345678.9],
    ["  khoảng trắng  ", "A & B < C > D \"E\" 'F'", "dòng một\ndòng hai", "cũ\r\nmới", "có\ttab", "😀 ngoài BMP"],
    ["=HYPERLINK(\"http://x\")", "#DIV/0!", "+1", "@SUM(A1)", "-1", "\u00a0"],
    [True, "có giá trị đúng/sai: qua openpyxl"],
    [dt.datetime(2025, 1, 2, 3, 4), "ngày giờ: qua openpyxl"],
    [float("nan"), float("inf"), "không hữu hạn: qua openpyxl"],
    ["x" * 40_000, "dài hơn openpyxl giữ: qua openpyxl"],
    ["ordinary", "ghi chú"],
    [],
    ["sau dòng trống", 7],
]


def test_prepared_rows_make_the_same_sheet_as_openpyxl_cells():
    heights = {1: 30, 4: 45.5, 12: 15}
    rows = TRICKY_ROWS + [[n, f"Đơn vị {n}", n * 1.5] for n in range(500)]  # more than one batch
    fast, slow = _rows_workbook(FastRows, rows, heights), _rows_workbook(_CellByCell, rows, heights)
    assert _canonical_parts(fast) == _canonical_parts(slow)
    sheet = load_workbook(io.BytesIO(fast)).active
    assert sheet["B4"].value == "A & B < C > D \"E\" 'F'" and sheet["C4"].value == "dòng một\ndòng hai"
    assert sheet["D4"].value == "cũ\r\nmới" and sheet["A5"].data_type == "s"
    assert sheet.row_dimensions[4].height == 45.5


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the sheets left unsaved
@pytest.mark.parametrize("bad", ["mã \x01 lạ", "mã \x1f lạ"])
def test_a_character_a_worksheet_cannot_hold_is_refused_as_before(bad):
    for rows_class in (FastRows, _CellByCell):
        with pytest.raises(IllegalCharacterError):
            _rows_workbook(rows_class, [["tốt"], [bad]], {})
    gc.collect()  # the unsaved sheets' streams complain here, not in a later test


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_rows_cannot_be_taken_over_after_the_first():
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Thử")
    sheet.append(["đầu"])
    with pytest.raises(ValueError):
        FastRows(sheet)
    del book, sheet
    gc.collect()


def _values(index: int) -> dict:
    return {"so_thon": 5 + index, "so_thon_co_loa": index % 6,
            "may_tinh_cbcc": {"num": index, "den": index + 3},
            "ty_le_dap_ung_nhu_cau_vt": (index * 7) % 101 + 0.25 * (index % 2),
            "ton_tai_han_che": "Thiếu máy tính & mạng <yếu>.\nCần thêm." if index % 3 else None,
            "danh_gia_8_1": "Đạt" if index % 2 else "Chưa đạt",
            "loa_theo_thon": [{"ten_thon": f"Thôn {index}", "cum_loa": index % 4 + 1, "loa": 2 * index + 1}]}


def test_the_consolidated_workbook_is_the_one_written_cell_by_cell(monkeypatch, ntm_template, tmp_path):
    cons = consolidate(ntm_template, parse_period("2025"), commune_reports(ntm_template, 250, _values),
                       UnitProfile(code="00", name="Cả nước"))
    fast = consolidated.write_consolidated_xlsx(cons, tmp_path / "nhanh.xlsx").read_bytes()
    monkeypatch.setattr(consolidated, "FastRows", _CellByCell)
    slow = consolidated.write_consolidated_xlsx(cons, tmp_path / "cham.xlsx").read_bytes()
    assert _canonical_parts(fast) == _canonical_parts(slow)
    sheet = load_workbook(io.BytesIO(fast))["Tổng hợp"]
    assert sheet.max_row > 250 and any(isinstance(c.value, float) for c in sheet[sheet.max_row])
