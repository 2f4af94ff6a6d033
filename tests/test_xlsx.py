"""The .xlsx appendix: numbers as numbers, real tables, and a round trip that is all or nothing."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from desktop_app.documents.export import export_xlsx, import_xlsx
from desktop_app.errors import UserError
from tests.conftest import EXAMPLES, example_paths

NEXT_PERIOD = {"cao-diem-dvctt": "2023-10", "ntm-tieu-chi-8": "2024-9M", "quan-ly-tttt-6-thang": "2022-H2",
               "chuyen-doi-so-quy": "2024-Q2"}


def _load(workspace, path):
    data = json.loads(path.read_text(encoding="utf-8"))
    if workspace.profile() is None:
        workspace.set_unit(data["unit"]["code"], scheme=data["unit"]["scheme"])
    rid, _ = workspace.import_document(data)
    return rid, data


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_round_trip_into_a_new_report(workspace, tmp_path, path):
    rid, data = _load(workspace, path)
    target = tmp_path / f"{path.stem}.xlsx"
    export_xlsx(workspace, rid, target)
    fresh = workspace.new_report(data["template"], NEXT_PERIOD[path.stem])
    import_xlsx(workspace, fresh, target)
    assert workspace.report(fresh)[0].values == workspace.report(rid)[0].values


def test_layout_numbers_tables_and_computed(workspace, tmp_path):
    rid, _ = _load(workspace, EXAMPLES / "ntm-tieu-chi-8.json")
    target = tmp_path / "ntm.xlsx"
    export_xlsx(workspace, rid, target)
    book = load_workbook(target)
    assert book.sheetnames[:3] == ["Thông tin chung", "Mục lục", "Chỉ tiêu"]
    cover = {row[0]: row[1] for row in book["Thông tin chung"].iter_rows(values_only=True)}
    assert cover["Kỳ báo cáo"] == "9 tháng đầu năm 2023" and cover["Đơn vị"] == "Thị xã Đức Phổ"
    numbers = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
               if c.column == 3 and isinstance(c.value, (int, float))]
    assert any(c.value == 22040 and c.number_format == "#,##0" for c in numbers)  # a number, not text
    computed = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
                if c.column == 3 and c.number_format == "0.00%" and isinstance(c.value, float)]
    assert computed  # computed percentages are shown
    tables = [(ws, t) for ws in book.worksheets for t in ws.tables.values()]
    # Each table starts at its header row, below the hidden ids and the title block.
    assert tables and all(ws.cell(int(t.ref.split(":")[0][1:]), 1).value == "TT" for ws, t in tables)
    team_sheet = next(ws for ws in book.worksheets if ws.cell(1, 1).value == "table:to_cong_nghe_so")
    values = list(team_sheet.iter_rows(values_only=True))
    assert values[-1][0] == "Tổng cộng" and 99 in values[-1] and 615 in values[-1]


def test_damaged_workbook_rejected_cell_by_cell_and_nothing_written(workspace, tmp_path):
    rid, data = _load(workspace, EXAMPLES / "cao-diem-dvctt.json")
    target = tmp_path / "bc.xlsx"
    export_xlsx(workspace, rid, target)
    book = load_workbook(target)
    bad_cells = []
    for ws in book.worksheets:
        for row in ws.iter_rows(min_row=2):
            if row[0].value == "tiep_nhan_truc_tiep":
                row[2].value = "nhiều lắm"
                bad_cells.append(f"«{ws.title}», ô {row[2].coordinate}")
            if row[0].value == "ke_hoach_cap_tren.date":
                row[2].value = "31/02/2023"
                bad_cells.append(f"«{ws.title}», ô {row[2].coordinate}")
            if row[0].value == "giai_quyet_truoc_han":
                row[2].value = 300  # a valid change that must NOT be applied while others fail
    book.save(target)
    fresh = workspace.new_report(data["template"], "2023-10")
    before = workspace.report(fresh)[0].values
    with pytest.raises(UserError) as info:
        import_xlsx(workspace, fresh, target)
    listed = "\n".join(info.value.details)
    for place in bad_cells:
        assert place in listed
    assert workspace.report(fresh)[0].values == before


@pytest.mark.parametrize("content,reason", [
    (b"not a zip at all", "không phải tệp Excel"),
    (b"PK\x03\x04" + b"\x00" * 40, "không phải tệp Excel"),
])
def test_corrupt_files_rejected(workspace, tmp_path, content, reason):
    rid, _ = _load(workspace, EXAMPLES / "cao-diem-dvctt.json")
    target = tmp_path / "hong.xlsx"
    target.write_bytes(content)
    with pytest.raises(UserError, match=reason):
        import_xlsx(workspace, rid, target)


def test_other_template_and_foreign_workbooks_rejected(workspace, tmp_path):
    rid, _ = _load(workspace, EXAMPLES / "cao-diem-dvctt.json")
    other, _ = _load(workspace, EXAMPLES / "chuyen-doi-so-quy.json")
    target = tmp_path / "khac.xlsx"
    export_xlsx(workspace, other, target)
    with pytest.raises(UserError, match="không phải mẫu"):
        import_xlsx(workspace, rid, target)
    from openpyxl import Workbook

    Workbook().save(tmp_path / "trong.xlsx")
    with pytest.raises(UserError, match="không phải tệp Excel do BaoCaoXa"):
        import_xlsx(workspace, rid, tmp_path / "trong.xlsx")


def test_cli_xlsx(cli, tmp_path):
    assert cli("unit", "set", "--code", "21073", "--legacy")[0] == 0
    rid = cli("report", "import-json", str(EXAMPLES / "cao-diem-dvctt.json"))[1].strip()
    assert cli("report", "export", rid, "--xlsx", str(tmp_path / "a.xlsx"), "--docx", str(tmp_path / "a.docx"))[0] == 0
    assert (tmp_path / "a.docx").exists()
    new = cli("report", "new", "--template", "cao-diem-dvctt", "--period", "2023-10")[1].strip()
    code, out, err = cli("report", "import-xlsx", new, str(tmp_path / "a.xlsx"))
    assert code == 0, err
    assert "Đã nạp" in out
