"""The .docx writer's fast paths write the same file as python-docx cell by cell did (issue 16 item 3).

Runs and cell paragraphs are copied from prototypes, long tables' rows are kept as text and
put in place when saved (docx_prototypes, docx_splice). The reference below is the writer as
it was before: every run, paragraph property and row through python-docx. Both write every
part of the package byte for byte the same.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from hypothesis import given, settings, strategies as st
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from desktop_app.documents import docx_writer as dw
from desktop_app.documents.consolidated import consolidated_content
from desktop_app.documents.content import (
    DocumentBuilder, DocumentContent, Heading, Paragraph, Table, TableCell, TableGroup,
)
from desktop_app.domain.entities import UnitProfile
from desktop_app.domain.markup import plain
from desktop_app.domain.periods import parse_period
from desktop_app.documents.textwidth import wrapped_lines
from desktop_app.office.consolidation import consolidate
from tests.conftest import EXAMPLES
from tests.consolidation_data import commune_reports

MOMENT = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)


# --- the writer before the fast paths (python-docx all the way) ---------------------------

def _old_add_lines(paragraph, text, size, bold, italic):
    lines = text.split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        dw._font(run, size, bold, italic)
        if i < len(lines) - 1:
            run.add_break()
    return paragraph


def _old_styled(doc, style, text):
    paragraph = doc.add_paragraph(style=doc.styles[style])
    dw._add_spans(paragraph, text, dw.BODY_PT)
    lines = len(wrapped_lines(plain(text), dw.BODY_PT, dw.TEXT_WIDTH_CM * dw.PT_PER_CM - 28))
    if lines <= dw.KEEP_TOGETHER_LINES:
        paragraph.paragraph_format.keep_together = True
    return paragraph


def _old_write_in(paragraph, text, size, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER, after=0):
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(0)
    fmt.first_line_indent = Cm(0)
    return dw._add_lines(paragraph, text, size, bold, italic)


def _old_body_table(doc, item):
    columns = len(item.headers)
    widths = dw._table_widths(item)
    table = doc.add_table(rows=1, cols=columns)
    table.style = doc.styles["Table Grid"]
    dw._cell_margins(table, dw.CELL_PADDING_TWIPS)
    for cell, header in zip(table.rows[0].cells, item.headers):
        paragraph = dw._cell_paragraph(cell)
        dw._write_in(paragraph, header, dw.TABLE_PT, bold=True)
        paragraph.paragraph_format.keep_with_next = True
    dw._row_properties(table.rows[0], header=True)
    body_rows = item.rows + ([item.totals] if item.totals else [])
    keep_whole = len(body_rows) + len(item.groups) <= dw.KEEP_TOGETHER_ROWS
    groups = {group.start: group for group in item.groups}
    for number, row in enumerate(body_rows, start=1):
        if number - 1 in groups:
            dw._group_row(table, groups[number - 1].number, groups[number - 1].title, widths)
        docx_row = table.add_row()
        dw._row_properties(docx_row)
        is_total = row is item.totals
        for index, (cell, value) in enumerate(zip(docx_row.cells, row)):
            align = WD_ALIGN_PARAGRAPH.RIGHT if value.numeric and index else (
                WD_ALIGN_PARAGRAPH.CENTER if index == 0 else WD_ALIGN_PARAGRAPH.LEFT)
            paragraph = dw._write_in(dw._cell_paragraph(cell), value.text, dw.TABLE_PT, bold=is_total, align=align)
            cell.width = Cm(widths[index])
            if keep_whole and number < len(body_rows):
                paragraph.paragraph_format.keep_with_next = True
    for cell, width in zip(table.rows[0].cells, widths):
        cell.width = Cm(width)
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)
    dw._para(doc, "", after=0)


def _old_body(doc, content):
    for item in content.body:
        if isinstance(item, Heading):
            dw._styled(doc, dw.HEADING_STYLES[min(item.level, max(dw.HEADING_STYLES))], item.text)
        elif isinstance(item, Paragraph):
            dw._styled(doc, dw.LIST_STYLES.get(item.bullet, dw.BODY_STYLE), item.text)
        elif isinstance(item, Table):
            dw._body_table(doc, item)


def _old_bytes(monkeypatch, content) -> bytes:
    with monkeypatch.context() as patch:
        for name, old in (("_add_lines", _old_add_lines), ("_styled", _old_styled), ("_write_in", _old_write_in),
                          ("_body_table", _old_body_table), ("_body", _old_body)):
            patch.setattr(dw, name, old)
        return dw.docx_bytes(content, MOMENT)


def _assert_same_package(old: bytes, new: bytes) -> None:
    before, after = zipfile.ZipFile(io.BytesIO(old)), zipfile.ZipFile(io.BytesIO(new))
    assert before.namelist() == after.namelist()
    for name in before.namelist():
        assert before.read(name) == after.read(name), name


# --- contents --------------------------------------------------------------------------

def _cells(*texts, numeric=False):
    return [TableCell(t, numeric and i > 0) for i, t in enumerate(texts)]


def _tricky_content() -> DocumentContent:
    """Long and short tables, groups, totals, a short row, texts XML and python-docx treat apart."""
    rows = [_cells(str(n), f"Thôn {n}", f"{n * 7:,}".replace(",", "."), numeric=True) for n in range(1, 31)]
    rows[3] = _cells("4", "  Khoảng trắng ở đầu và cuối  ", "12")
    rows[4] = _cells("5", "Dòng một\nDòng hai\n", "1.200", numeric=True)
    rows[5] = _cells("6", "Cột\tcó tab", "")
    rows[6] = _cells("7", "A & B < C > D \"E\" 'F' «G» —\u00a0H 😀", "0", numeric=True)
    rows[7] = _cells("8", "")  # fewer cells than columns
    rows[8] = _cells("9", "Xuống dòng kiểu cũ\r\nở đây", "3")
    long_table = Table("Bảng dài", ["TT", "Tên thôn", "Số loa"], rows,
                       totals=_cells("", "Tổng cộng", "1.234", numeric=True),
                       groups=[TableGroup(0, "I", "Nhóm đầu"), TableGroup(15, "II", "Nhóm sau")])
    short_table = Table("Bảng ngắn", ["TT", "Nội dung", "Kinh phí", "Ghi chú"],
                        [_cells("1", "Mua máy", "1.000.000 đồng", "", numeric=True), _cells("2", "Sửa mạng")],
                        totals=_cells("", "Tổng cộng", "1.000.000 đồng", "", numeric=True), widths=[1, 6, 3, 3])
    body = [Heading("I. KẾT QUẢ", 1), Heading("1. Hạ tầng", 2), Heading("a) Chi tiết", 3), Heading("Mục nhỏ", 4),
            Paragraph("Đoạn có **chữ đậm** và *chữ nghiêng* và cả hai."), Paragraph("Một ý", "-"),
            Paragraph("Ý con", "+"), Paragraph("Rất dài " * 120), long_table, short_table,
            Paragraph("Kết thúc\tcó tab và  hai dấu cách.")]
    return DocumentContent("ỦY BAN NHÂN DÂN", "XÃ BA TƠ", "Số: 01/BC-UBND", "Ba Tơ, ngày 01 tháng 3 năm 2024",
                           "BÁO CÁO", "Kết quả", body, recipients=["Như trên", "Lưu: VT"],
                           signer_title="CHỦ TỊCH", signer_name="Nguyễn Văn A")


def _values(index: int) -> dict:
    return {"so_thon": 5 + index, "ton_tai_han_che": f"Thiếu máy tính & mạng <{index % 3}>.",
            "loa_theo_thon": [{"ten_thon": f"Thôn {index}", "cum_loa": index % 4 + 1, "loa": 2 * index + 1}]}


def test_example_reports_are_written_byte_for_byte_as_before(monkeypatch, workspace):
    for name in ("ntm-tieu-chi-8.json", "quan-ly-tttt-6-thang.json"):
        rid, _ = workspace.import_document(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))
        record, template = workspace.report(rid)
        content = DocumentBuilder(template, workspace.validator(template)).build(record)
        _assert_same_package(_old_bytes(monkeypatch, content), dw.docx_bytes(content, MOMENT))


def test_tricky_tables_and_paragraphs_are_written_byte_for_byte_as_before(monkeypatch):
    content = _tricky_content()
    new = dw.docx_bytes(content, MOMENT)
    _assert_same_package(_old_bytes(monkeypatch, content), new)
    assert b"baocaoxa-rows" not in zipfile.ZipFile(io.BytesIO(new)).read("word/document.xml")


def test_a_consolidation_of_many_units_is_written_byte_for_byte_as_before(monkeypatch, ntm_template):
    cons = consolidate(ntm_template, parse_period("2025"), commune_reports(ntm_template, 60, _values),
                       UnitProfile(code="00", name="Cả nước"))
    content = consolidated_content(cons)
    assert any(isinstance(item, Table) and len(item.rows) >= 60 for item in content.body)
    _assert_same_package(_old_bytes(monkeypatch, content), dw.docx_bytes(content, MOMENT))


@pytest.mark.parametrize("where", ["cell", "paragraph"])
def test_a_character_xml_cannot_hold_is_refused_as_before(monkeypatch, where):
    bad = "Mã lạ \x01 ở đây"
    table = Table("Bảng", ["TT", "Nội dung"], [_cells(str(n), bad if n == 20 else "x") for n in range(1, 30)])
    body = [table] if where == "cell" else [Paragraph(bad)]
    content = DocumentContent("ỦY BAN NHÂN DÂN", "XÃ BA TƠ", "Số: 01", "Ba Tơ", "BÁO CÁO", "Kết quả", body)
    with pytest.raises(ValueError) as old:
        _old_bytes(monkeypatch, content)
    with pytest.raises(ValueError) as new:
        dw.docx_bytes(content, MOMENT)
    assert type(new.value) is type(old.value)


# --- text widths: measured per character once, lines grown word by word -------------------

def _old_text_width_pt(text, size_pt, bold=False):
    from desktop_app.documents import textwidth as tw

    table = tw._BOLD if bold else tw._REGULAR
    fallback = table[ord("n") - tw._FIRST]
    units = 0
    for char in text:
        code = ord(tw._base(char)) - tw._FIRST
        units += table[code] if 0 <= code < len(table) else fallback
    return units * size_pt / 1000


def _old_wrapped_lines(text, size_pt, width_pt, bold=False):
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and _old_text_width_pt(candidate, size_pt, bold) > width_pt:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyàảãạằẦẤĐ WMil.,;-()0123456789\u00a0\t\n😀")),
               max_size=160),
       st.floats(4, 400), st.booleans(), st.sampled_from([11, 12, 13, 14]))
def test_text_widths_and_wrapping_are_as_measured_before(text, width, bold, size):
    from desktop_app.documents.textwidth import text_width_pt, wrapped_lines

    assert text_width_pt(text, size, bold) == _old_text_width_pt(text, size, bold)
    assert wrapped_lines(text, size, width, bold) == _old_wrapped_lines(text, size, width, bold)
