"""A commune DTI indicator template written only from docs/templates.md (tests/fixtures/templates):
30 indicators in 4 groups with fixed codes and titles, each Đạt / Chưa đạt / Đang triển khai with
evidence; group counts and the overall count computed from the answers.

Three communes of Quảng Ngãi fill it, export it, and send it to the province, which
consolidates it. Every count below is worked out by hand from ANSWERS.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from desktop_app.documents.consolidated import consolidated_content, write_consolidated_docx, \
    write_consolidated_xlsx
from desktop_app.documents.export import document_content, export_docx, export_xlsx
from desktop_app.domain import units
from desktop_app.errors import UserError
from desktop_app.exchange import bundles
from desktop_app.office.consolidation import gather
from desktop_app.services import Workspace
from desktop_app.templating.loader import load_template

FIXTURE = Path(__file__).parent / "fixtures" / "templates" / "dti-xa-thu.yaml"
COMMUNES = [u for u in units.communes("51") if u.name.startswith("Xã ")][:3]

# Indicators not met, per commune (every other one is «Đạt»).
# A: 27/30 — groups I 11/11, II 5/6, III 7/8, IV 4/5.
# B: 30/30.
# C: 27/30 — groups I 10/11, II 5/6, III 7/8, IV 5/5.
ANSWERS = [
    {"2.2": "Chưa đạt", "3.1": "Đang triển khai", "4.3": "Chưa đạt"},
    {},
    {"1.5": "Chưa đạt", "2.2": "Đang triển khai", "3.8": "Chưa đạt"},
]


@pytest.fixture(scope="module")
def template():
    loaded, problems = load_template(FIXTURE)
    assert not problems, problems
    return loaded


def _codes(template) -> list[str]:
    return [row["ma"] for row in template.field("chi_tieu").rows]


def _values(template, misses: dict[str, str]) -> dict:
    """Only the answer columns, row by row, as a person would give them in a JSON file."""
    return {"chi_tieu": [{"danh_gia": misses.get(code, "Đạt"), "minh_chung": f"Văn bản số {i + 1}/UBND"}
                         for i, code in enumerate(_codes(template))]}


def _workspace(path: Path, **kwargs) -> Workspace:
    (path / "templates").mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE, path / "templates" / FIXTURE.name)
    return Workspace(path, **kwargs)


def test_the_template_has_30_indicators_in_4_groups(template):
    table = template.field("chi_tieu")
    assert len(table.rows) == 30
    groups = [row["nhom"] for row in table.rows]
    assert [groups.count(g) for g in ("I", "II", "III", "IV")] == [11, 6, 8, 5]


def test_a_commune_fills_the_indicators_and_exports(tmp_path, template):
    ws = _workspace(tmp_path / "xa", who="xa")
    try:
        ws.set_unit(COMMUNES[0].code)
        report_id = ws.new_report("dti-xa-thu", "2025")
        record, _ = ws.report(report_id)
        # A new report starts with the 30 declared rows, answers empty.
        assert [r["ma"] for r in record.values["chi_tieu"]] == _codes(template)
        assert all(r.get("danh_gia") is None for r in record.values["chi_tieu"])
        result = ws.validate(report_id)
        assert sum(1 for e in result.errors if e.field_id == "chi_tieu") == 30  # each assessment required
        result = ws.set_values(report_id, _values(template, ANSWERS[0]))
        assert not result.errors, [e.message for e in result.errors]
        c = result.computed
        assert (c["so_dat"], c["so_chi_tieu"], c["so_dang_trien_khai"]) == (27, 30, 1)
        assert [(c[f"nhom_{g}_dat"], c[f"nhom_{g}_tong"]) for g in range(1, 5)] == [(11, 11), (5, 6), (7, 8), (4, 5)]
        text = document_content(ws, report_id).plain_text()
        assert "Kết quả tự đánh giá: đạt 27/30 chỉ tiêu, đang triển khai 1 chỉ tiêu." in text
        assert "- Nhóm I (Nhận thức số và thể chế số): đạt 11/11 chỉ tiêu." in text
        assert "- Nhóm II (Hạ tầng số): đạt 5/6 chỉ tiêu." in text
        assert "- 2.2. Tỷ lệ hộ gia đình có cáp quang đạt từ 80% trở lên: Chưa đạt (Văn bản số 13/UBND)." in text
        assert "Số xã đạt đủ" not in text  # the consolidation sentence stays out of a commune's report
        docx = Document(str(export_docx(ws, report_id, tmp_path / "dti.docx")))
        assert any("đạt 27/30 chỉ tiêu" in p.text for p in docx.paragraphs)
        table = next(t for t in docx.tables if "Tự đánh giá" in [c.text for c in t.rows[0].cells])
        assert len(table.rows) == 31  # header + 30 indicators
        book = load_workbook(export_xlsx(ws, report_id, tmp_path / "dti.xlsx"))
        cells = [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value]
        assert "Đang triển khai" in cells and "3.1" in cells
        assert ws.finalise(report_id).errors == []
    finally:
        ws.close()


def test_fixed_cells_and_rows_cannot_be_changed(tmp_path, template):
    ws = _workspace(tmp_path / "xa", who="xa")
    try:
        ws.set_unit(COMMUNES[0].code)
        report_id = ws.new_report("dti-xa-thu", "2025")
        before = ws.report(report_id)[0].values
        too_many = _values(template, {})
        too_many["chi_tieu"].append({"danh_gia": "Đạt"})
        with pytest.raises(UserError) as info:
            ws.set_values(report_id, too_many)
        assert "đúng 30 dòng do mẫu quy định" in " ".join([str(info.value), *info.value.details])
        moved = _values(template, {})
        moved["chi_tieu"][1]["ma"] = "1.3"  # an answer that would land on another indicator
        with pytest.raises(UserError) as info:
            ws.set_values(report_id, moved)
        assert "dòng 2" in " ".join([str(info.value), *info.value.details]) and "mẫu quy định «1.2»" in \
            " ".join([str(info.value), *info.value.details])
        assert ws.report(report_id)[0].values == before  # nothing written on refusal
        from desktop_app.editing import EditSession

        session = EditSession(ws, report_id)
        with pytest.raises(UserError, match="do mẫu báo cáo quy định"):
            session.set_cell("chi_tieu", 0, "ten", "Chỉ tiêu khác")
        with pytest.raises(UserError, match="không thêm, bớt dòng"):
            session.add_row("chi_tieu")
        with pytest.raises(UserError, match="không thêm, bớt dòng"):
            session.remove_row("chi_tieu", 0)
        session.set_cell("chi_tieu", 0, "danh_gia", "Đạt")
        assert ws.report(report_id)[0].values["chi_tieu"][0] == {**before["chi_tieu"][0], "danh_gia": "Đạt"}
    finally:
        ws.close()


@pytest.fixture
def province(tmp_path, template):
    paths = []
    for i, (unit, misses) in enumerate(zip(COMMUNES, ANSWERS)):
        ws = _workspace(tmp_path / f"xa{i}", who=f"xa{i}")
        try:
            ws.set_unit(unit.code)
            report_id = ws.new_report("dti-xa-thu", "2025")
            ws.set_values(report_id, _values(template, misses))
            assert not ws.finalise(report_id).errors
            bundles.export_bundle(ws, tmp_path / f"xa{i}.zip")
            paths.append(tmp_path / f"xa{i}.zip")
        finally:
            ws.close()
    office = _workspace(tmp_path / "tinh", who="tinh")
    office.set_unit("51")
    summary = bundles.import_bundles(office, paths)
    assert len(summary.new) == 3 and not summary.rejected
    yield office
    office.close()


def test_three_communes_consolidate_with_per_option_counts(province, tmp_path):
    cons = gather(province, "dti-xa-thu", "2025")
    assert len(cons.submissions) == 3
    rows = cons.totals["chi_tieu"]
    assert len(rows) == 30  # no indicator dropped
    by_code = {r["ma"]: r for r in rows}
    assert by_code["1.1"]["danh_gia"] == "Đạt: 3/3"
    assert by_code["1.5"]["danh_gia"] == "Đạt: 2/3; Chưa đạt: 1/3"
    # The disputed indicator: one commune each way.
    assert by_code["2.2"]["danh_gia"] == "Đạt: 1/3; Chưa đạt: 1/3; Đang triển khai: 1/3"
    assert cons.table_answers["chi_tieu"][_index("2.2", rows)]["danh_gia"] == \
        {"Đạt": 1, "Chưa đạt": 1, "Đang triển khai": 1}
    assert cons.table_answers["chi_tieu"][_index("3.8", rows)]["danh_gia"] == \
        {"Đạt": 2, "Chưa đạt": 1, "Đang triển khai": 0}
    # Evidence gathered with the communes' names.
    assert by_code["1.1"]["minh_chung"].startswith(f"{cons.submissions[0].unit_name}: Văn bản số 1/UBND; ")
    # A commune's 27/30 is its own: the province gets the distribution, not a recomputed count.
    assert cons.answers["so_dat"] == {30: 1, 27: 2}
    assert cons.computed["so_dat"] is None
    assert cons.computed["nhom_1_tong"] == 11 and cons.computed["so_chi_tieu"] == 30
    assert cons.answers["nhom_1_dat"] == {11: 2, 10: 1}
    assert any(n.startswith("«Số chỉ tiêu đạt» được tính riêng cho từng đơn vị") and "30: 1/3 xã; 27: 2/3 xã" in n
               for n in cons.field_notes)

    text = consolidated_content(cons).plain_text()
    assert "Số xã đạt đủ 30/30 chỉ tiêu: 1/3 xã; kết quả của các xã: 30: 1/3 xã; 27: 2/3 xã." in text
    assert "- 2.2. Tỷ lệ hộ gia đình có cáp quang đạt từ 80% trở lên: Đạt: 1/3; Chưa đạt: 1/3; " \
           "Đang triển khai: 1/3" in text
    assert sum(1 for line in text.splitlines() if line.startswith("- ") and ". " in line[:8]) >= 30
    assert "Số liệu không cộng được giữa các đơn vị:" in text
    # A sentence that needs a per-unit count is left out rather than written wrong.
    assert "Kết quả tự đánh giá: đạt" not in text
    write_consolidated_docx(cons, tmp_path / "tong-hop.docx")

    book = load_workbook(write_consolidated_xlsx(cons, tmp_path / "tong-hop.xlsx"), read_only=True)
    sheet = list(book["Tổng hợp"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(sheet) if r[0] == "TT")  # below the title block
    header, body = sheet[at], sheet[at + 1:]
    column = next(i for i, h in enumerate(header) if h and h.startswith("2.2 ") and h.endswith(": Tự đánh giá"))
    assert [r[column] for r in body] == ["Chưa đạt", "Đạt", "Đang triển khai",
                                         "Đạt: 1/3; Chưa đạt: 1/3; Đang triển khai: 1/3"]
    overall = header.index("Số chỉ tiêu đạt")
    assert [r[overall] for r in body] == [27, 30, 27, "30: 1/3; 27: 2/3"]


def _index(code: str, rows: list[dict]) -> int:
    return next(i for i, r in enumerate(rows) if r["ma"] == code)
