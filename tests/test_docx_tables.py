"""Tables in the .docx: group rows, widths from the header words, amounts with totals, padding (issue 15 item 5)."""

from __future__ import annotations

import io
import json

import pytest
from docx import Document

from desktop_app.documents.content import DocumentBuilder, Table, TableCell, roman
from desktop_app.documents.docx_writer import CELL_PADDING_TWIPS, TABLE_PT, docx_bytes
from desktop_app.domain.entities import Report
from desktop_app.documents.textwidth import text_width_pt, wrapped_lines
from desktop_app.templating.loader import parse_template_text
from tests.conftest import EXAMPLES
from tests.test_docx_word import W

SIX_MONTHLY = "quan-ly-tttt-6-thang.json"


def _content(workspace, name=SIX_MONTHLY):
    rid, _ = workspace.import_document(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))
    _record, template = workspace.report(rid)
    return DocumentBuilder(template, workspace.validator(template)).build(workspace.report(rid)[0])


def _project_table(content) -> Table:
    return next(t for t in content.body if isinstance(t, Table) and "Tổng mức đầu tư" in t.headers)


def test_project_table_has_group_rows_not_a_group_column(workspace):
    table = _project_table(_content(workspace))
    assert "Nhóm" not in table.headers
    assert [(g.start, g.number, g.title) for g in table.groups] == [
        (0, "I", "Dự án đã được thực hiện đầu tư"), (2, "II", "Dự kiến các Dự án thực hiện trong thời gian tới")]
    assert [row[0].text for row in table.rows] == ["1", "2", "1", "2", "3", "4"]  # numbered afresh per group
    lines = table.lines()
    assert lines[1] == ["I", "Dự án đã được thực hiện đầu tư"] and lines[4][0] == "II"


def test_group_rows_in_the_docx_span_the_table_in_bold(workspace):
    content = _content(workspace)
    doc = Document(io.BytesIO(docx_bytes(content)))
    table = next(t for t in doc.tables if "Tổng mức đầu tư" in [c.text for c in t.rows[0].cells])
    group = table.rows[1]
    tcs = group._tr.findall(f"{W}tc")
    assert len(tcs) == 2 and tcs[1].find(f"{W}tcPr/{W}gridSpan").get(f"{W}val") == str(len(table.columns) - 1)
    assert [c.text for c in group.cells][:2] == ["I", "Dự án đã được thực hiện đầu tư"]
    assert all(r.bold for c in (group.cells[0], group.cells[1]) for r in c.paragraphs[0].runs)
    assert group.cells[1].paragraphs[0].paragraph_format.keep_with_next


def test_amounts_are_amounts_with_a_total(workspace):
    table = _project_table(_content(workspace))
    column = table.headers.index("Tổng mức đầu tư")
    assert [r[column].text for r in table.rows] == [
        "6,1 tỷ đồng", "", "1,5 tỷ đồng", "4,5 tỷ đồng", "130 triệu đồng", ""]
    assert all(r[column].numeric for r in table.rows)
    assert table.totals and table.totals[column].text == "hơn 12,2 tỷ đồng"  # 12.230.000.000 đồng
    assert "Tổng cộng" in [c.text for c in table.totals]


def test_no_header_word_is_wider_than_its_column_and_cells_have_padding(workspace):
    content = _content(workspace)
    doc = Document(io.BytesIO(docx_bytes(content)))
    padding_cm = (CELL_PADDING_TWIPS["left"] + CELL_PADDING_TWIPS["right"]) / 567
    for table in doc.tables[1:-1]:
        margins = table._tbl.tblPr.find(f"{W}tblCellMar")
        assert {m.tag.split("}")[1]: int(m.get(f"{W}w")) for m in margins} == CELL_PADDING_TWIPS
        for cell, column in zip(table.rows[0].cells, table.columns):
            room_cm = column.width / 360000 - padding_cm
            widest = max(text_width_pt(w, TABLE_PT, True) for w in cell.text.split()) / 72 * 2.54
            assert widest <= room_cm, (cell.text, widest, room_cm)
            assert len(wrapped_lines(cell.text, TABLE_PT, room_cm * 72 / 2.54, True)) <= 3, cell.text
        assert abs(sum(c.width for c in table.columns) / 360000 - 16.5) < 0.05


def test_a_narrow_column_is_widened_to_its_header_word():
    table = Table("Bảng", ["TT", "Nội dung", "Kinh phí"], [[TableCell("1", True), TableCell("Mua máy"),
                                                           TableCell("1.000.000.000", True)]],
                  widths=[2, 95, 3])
    doc = Document(io.BytesIO(docx_bytes(_document_with(table))))
    widths = [c.width / 360000 for c in doc.tables[1].columns]
    assert widths[2] * 28.35 >= text_width_pt("1.000.000.000", TABLE_PT) and widths[0] * 28.35 >= text_width_pt("TT", TABLE_PT, True)
    assert widths[1] > 10  # the wide column gave up the room


def _document_with(table):
    from desktop_app.documents.content import DocumentContent

    return DocumentContent("ỦY BAN NHÂN DÂN", "XÃ BA TƠ", "Số: 01/BC-UBND", "Ba Tơ, ngày 01 tháng 3 năm 2024",
                           "BÁO CÁO", "Kết quả", [table])


def test_roman_numbers():
    assert [roman(n) for n in (1, 2, 3, 4, 5, 9, 10, 14)] == ["I", "II", "III", "IV", "V", "IX", "X", "XIV"]


GROUPED = """\
format: 1
id: thu-nhom
version: "1.0"
title: "Mẫu thử nhóm"
effective_from: 2024-01-01
unit_levels: [xa]
period_kinds: [quarter]
document:
  summary: "Báo cáo {{ ky_bao_cao }}"
sections:
  - id: chung
    title: "Chung"
    fields:
      - id: du_an
        kind: table
        label: "Dự án"
        columns:
          - {id: nhom, kind: choice, label: "Nhóm", options: ["Đã làm", "Sẽ làm"]}
          - {id: ten, kind: text, label: "Tên"}
    body:
      - table: du_an
        group_by: GROUP
"""


@pytest.mark.parametrize("group, complaint", [("ten", "lựa chọn"), ("khong_co", "không có cột")])
def test_group_by_must_be_a_choice_column(group, complaint):
    template, problems = parse_template_text(GROUPED.replace("GROUP", group), "thu.yaml")
    assert template is None and any(complaint in p.message for p in problems), problems


def test_rows_without_a_group_come_last_under_no_group_row():
    template, problems = parse_template_text(GROUPED.replace("GROUP", "nhom"), "thu.yaml")
    assert not problems
    report = {"template": "thu-nhom", "period": "2024-Q1", "unit": {"name": "Xã Ba Tơ", "kind": "Xã"},
              "values": {"du_an": [{"nhom": "Sẽ làm", "ten": "B"}, {"nhom": None, "ten": "C"},
                                   {"nhom": "Đã làm", "ten": "A"}]}}
    (table,) = [t for t in DocumentBuilder(template).build(Report.from_json(report)).body if isinstance(t, Table)]
    assert [r[1].text for r in table.rows] == ["A", "B", "C"]
    assert [(g.start, g.title) for g in table.groups] == [(0, "Đã làm"), (1, "Sẽ làm")]
