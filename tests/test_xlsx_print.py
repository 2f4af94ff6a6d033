"""The .xlsx appendix and the consolidated .xlsx print as an appendix: A4 fitted to the width,
landscape only when wide, header rows on every page, page numbers, a title block; the keys
that read back are there but hidden; percentages, years and empty tables look right; the
full names of cut sheet names are in «Mục lục»; nothing is a formula."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from desktop_app.documents import xlsx_print
from desktop_app.documents.consolidated import write_consolidated_xlsx
from desktop_app.documents.export import export_xlsx, import_xlsx
from desktop_app.documents.xlsx import CONTENTS_SHEET, DATA_SHEET, EMPTY_TABLE_NOTE, META_SHEET, TOTALS_LABEL
from desktop_app.domain.periods import parse_period
from desktop_app.errors import UserError
from desktop_app.office.consolidation import gather
from tests.conftest import EXAMPLES, example_paths

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# Pages of the appendix before it was laid out for printing (LibreOffice 7, this machine).
PAGES_BEFORE = {"cao-diem-dvctt": 20, "chuyen-doi-so-quy": 27, "ntm-tieu-chi-8": 38, "quan-ly-tttt-6-thang": 52}
NEXT_PERIOD = {"cao-diem-dvctt": "2023-10", "ntm-tieu-chi-8": "2024-9M", "quan-ly-tttt-6-thang": "2022-H2",
               "chuyen-doi-so-quy": "2024-Q2"}


def _export(workspace, tmp_path, stem: str):
    data = json.loads((EXAMPLES / f"{stem}.json").read_text(encoding="utf-8"))
    if workspace.profile() is None:
        workspace.set_unit(data["unit"]["code"], scheme=data["unit"]["scheme"])
    rid, _ = workspace.import_document(data)
    target = tmp_path / f"{stem}.xlsx"
    export_xlsx(workspace, rid, target)
    return rid, data, target


def _printed_width(sheet) -> float:
    """The widths of the columns that print (visible, up to the last used one)."""
    total = 0.0
    for index in range(1, sheet.max_column + 1):
        dim = sheet.column_dimensions[get_column_letter(index)]
        if not dim.hidden:
            total += dim.width or 13
    return total


def assert_print_setup(sheet, pages_wide: int | None = 1) -> None:
    setup = sheet.page_setup
    assert setup.paperSize == 9, sheet.title  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
    if pages_wide is not None:
        assert setup.fitToWidth == pages_wide, sheet.title
    assert setup.fitToHeight == 0, sheet.title
    expected = "landscape" if _printed_width(sheet) > xlsx_print.PORTRAIT_WIDTH else "portrait"
    assert setup.orientation == expected, (sheet.title, _printed_width(sheet))
    assert sheet.print_title_rows and re.fullmatch(r"\$?\d+:\$?\d+", sheet.print_title_rows), sheet.title
    first = int(re.match(r"\$?(\d+)", sheet.print_title_rows).group(1))
    header = [c.value for c in sheet[first] if c.value is not None]
    assert header and all(c.font.b for c in sheet[first] if c.value is not None), (sheet.title, header)
    assert sheet.oddFooter.center.text == "Trang &P/&N", sheet.title


def assert_no_formulas(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name)
                assert b"<f>" not in xml and b"<f " not in xml, name


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_every_printed_sheet_is_set_up_for_a4_with_a_title_block(workspace, tmp_path, path):
    rid, data, target = _export(workspace, tmp_path, path.stem)
    book = load_workbook(target)
    visible = [s for s in book.worksheets if s.sheet_state == "visible"]
    assert [s.title for s in book.worksheets if s.sheet_state != "visible"] == [META_SHEET]
    assert book[META_SHEET].sheet_state == "veryHidden"
    template_title = workspace.report(rid)[1].title
    period = parse_period(data["period"]).label
    for sheet in visible:
        assert_print_setup(sheet)
        top = [c.value for row in sheet.iter_rows(max_row=5) for c in row if isinstance(c.value, str)]
        assert data["unit"]["name"] in top and template_title in top and f"Kỳ báo cáo: {period}" in top, sheet.title
    assert_no_formulas(target)


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_keys_are_hidden_and_still_read_back(workspace, tmp_path, path):
    rid, data, target = _export(workspace, tmp_path, path.stem)
    book = load_workbook(target)
    values = book[DATA_SHEET]
    assert values.column_dimensions["A"].hidden
    keys = [c.value for c in values["A"] if isinstance(c.value, str)]
    assert any(k.startswith("computed:") for k in keys) or path.stem == "cao-diem-dvctt"
    assert any("." in k for k in keys)  # a document reference's parts
    for sheet in book.worksheets:
        if isinstance(sheet["A1"].value, str) and sheet["A1"].value.startswith("table:"):
            assert sheet.row_dimensions[1].hidden, sheet.title
    book.save(target)  # saved again by a spreadsheet program: still hidden, still read
    fresh = workspace.new_report(data["template"], NEXT_PERIOD[path.stem])
    import_xlsx(workspace, fresh, target)
    assert workspace.report(fresh)[0].values == workspace.report(rid)[0].values


def _row_of(sheet, key: str):
    return next(row for row in sheet.iter_rows() if row[0].value == key)


def test_percentages_are_percentages_and_years_have_no_separator(workspace, tmp_path):
    _rid, _data, target = _export(workspace, tmp_path, "ntm-tieu-chi-8")
    row = _row_of(load_workbook(target)[DATA_SHEET], "ty_le_dap_ung_nhu_cau_vt")
    assert row[2].value == 1 and row[2].number_format == "0%" and row[3].value is None  # "100%", no "%" twice
    workspace.close()

    from desktop_app.services import Workspace

    other = Workspace(tmp_path / "khac", who="kiểm thử")
    try:
        _rid, _data, target = _export(other, tmp_path, "quan-ly-tttt-6-thang")
        year = _row_of(load_workbook(target)[DATA_SHEET], "du_an_tu_nam")[2]
        assert year.value == 2020 and year.number_format == "0"
    finally:
        other.close()


def test_a_percentage_with_decimals_reads_back_as_typed(workspace, tmp_path):
    rid, data, target = _export(workspace, tmp_path, "ntm-tieu-chi-8")
    workspace.set_values(rid, {"ty_le_dap_ung_nhu_cau_vt": 98.81})
    export_xlsx(workspace, rid, target)
    cell = _row_of(load_workbook(target)[DATA_SHEET], "ty_le_dap_ung_nhu_cau_vt")[2]
    assert cell.value == pytest.approx(0.9881) and cell.number_format == "0.00%"
    fresh = workspace.new_report(data["template"], "2024-9M")
    import_xlsx(workspace, fresh, target)
    assert workspace.report(fresh)[0].values["ty_le_dap_ung_nhu_cau_vt"] == 98.81


def test_a_percentage_from_an_older_appendix_reads_as_it_was(workspace, tmp_path):
    """Before: 98.81 with the format 0.00"%" (a quoted sign) — not a fraction."""
    rid, data, target = _export(workspace, tmp_path, "ntm-tieu-chi-8")
    book = load_workbook(target)
    cell = _row_of(book[DATA_SHEET], "ty_le_dap_ung_nhu_cau_vt")[2]
    cell.value, cell.number_format = 98.81, '0.00"%"'
    book.save(target)
    fresh = workspace.new_report(data["template"], "2024-9M")
    import_xlsx(workspace, fresh, target)
    assert workspace.report(fresh)[0].values["ty_le_dap_ung_nhu_cau_vt"] == 98.81


def test_an_empty_table_has_no_totals_row_and_says_it_is_empty(workspace, tmp_path):
    _rid, data, target = _export(workspace, tmp_path, "ntm-tieu-chi-8")
    assert not data["values"].get("loa_theo_thon")
    book = load_workbook(target)
    empty = next(s for s in book.worksheets if s["A1"].value == "table:loa_theo_thon")
    texts = [c.value for row in empty.iter_rows() for c in row if c.value is not None]
    assert TOTALS_LABEL not in texts and EMPTY_TABLE_NOTE in texts and not empty.tables
    filled = next(s for s in book.worksheets if s["A1"].value == "table:to_cong_nghe_so")
    last = [c.value for c in list(filled.iter_rows())[-1]]
    assert last[0] == TOTALS_LABEL and 99 in last and 615 in last and filled.tables


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_contents_lists_full_names_with_links(workspace, tmp_path, path):
    rid, _data, target = _export(workspace, tmp_path, path.stem)
    book = load_workbook(target)
    contents = book[CONTENTS_SHEET]
    _record, template = workspace.report(rid)
    names = [c.value for c in contents["B"]]
    for section in template.sections:
        assert section.title in names
        for f in section.fields:
            if f.kind.value == "table":
                assert f.label in names
    links = [c.hyperlink for c in contents["C"] if c.hyperlink is not None]
    assert len(links) == len([n for n in names if n]) - 1  # every entry but the header
    for link in links:
        sheet, _, cell = link.location.rpartition("!")
        assert sheet.strip("'") in book.sheetnames and cell
    assert all(len(name) <= 31 for name in book.sheetnames)


def test_a_long_text_is_one_row_per_paragraph_and_reads_back_whole(workspace, tmp_path):
    rid, data, target = _export(workspace, tmp_path, "cao-diem-dvctt")
    text = data["values"]["chi_dao_dieu_hanh"]
    assert text.count("\n") == 2
    sheet = load_workbook(target)[DATA_SHEET]
    rows = [r for r in sheet.iter_rows() if r[0].value in ("chi_dao_dieu_hanh", "+chi_dao_dieu_hanh")]
    assert [r[1].value for r in rows] == text.split("\n")  # under the label, across the sheet
    label = sheet.cell(rows[0][0].row - 1, 2).value
    assert label == next(f.label for f in workspace.report(rid)[1].all_fields() if f.id == "chi_dao_dieu_hanh")
    assert all(sheet.row_dimensions[r[0].row].height <= xlsx_print.MAX_ROW_HEIGHT for r in rows)


def test_a_very_long_paragraph_is_cut_into_rows_that_fit_and_joins_back_exactly(workspace, tmp_path):
    rid, data, target = _export(workspace, tmp_path, "cao-diem-dvctt")
    sentence = "Tổ công nghệ số cộng đồng hướng dẫn người dân cài đặt  VNeID, nộp hồ sơ trực tuyến. "
    text = "Đoạn đầu có dấu cách cuối \n" + sentence * 60 + "\n\n" + "x" * 3000 + "\nĐoạn cuối."
    workspace.set_values(rid, {"chi_dao_dieu_hanh": text})
    assert workspace.report(rid)[0].values["chi_dao_dieu_hanh"] == text
    export_xlsx(workspace, rid, target)
    sheet = load_workbook(target)[DATA_SHEET]
    keys = [r[0].value for r in sheet.iter_rows() if isinstance(r[0].value, str)
            and r[0].value.lstrip("+>") == "chi_dao_dieu_hanh"]
    assert keys.count("chi_dao_dieu_hanh") == 1 and ">chi_dao_dieu_hanh" in keys
    pieces = [r[1].value for r in sheet.iter_rows() if r[0].value in keys]
    assert all(len(p or "") <= 1200 for p in pieces)
    fresh = workspace.new_report(data["template"], "2023-10")
    import_xlsx(workspace, fresh, target)
    assert workspace.report(fresh)[0].values["chi_dao_dieu_hanh"] == text


def test_a_stray_continuation_row_is_refused_with_its_place(workspace, tmp_path):
    rid, data, target = _export(workspace, tmp_path, "cao-diem-dvctt")
    book = load_workbook(target)
    sheet = book[DATA_SHEET]
    row = _row_of(sheet, "tiep_nhan_truc_tiep")
    row[0].value = "+kien_nghi"  # a paragraph of a text that comes later
    book.save(target)
    fresh = workspace.new_report(data["template"], "2023-10")
    with pytest.raises(UserError) as info:
        import_xlsx(workspace, fresh, target)
    assert f"ô {row[2].coordinate}" in "\n".join(info.value.details)


@pytest.fixture
def consolidated(tmp_path):
    from desktop_app.domain import units
    from desktop_app.exchange import bundles
    from desktop_app.services import Workspace
    from tests.test_consolidation import COMMUNES, _send

    paths = [_send(tmp_path, spec, f"xa{i}") for i, spec in enumerate(COMMUNES)]
    ws = Workspace(tmp_path / "huyen", who="huyen")
    ws.set_unit("534", scheme=units.LEGACY)
    bundles.import_bundles(ws, paths)
    cons = gather(ws, "ntm-tieu-chi-8", "2023-9M")
    yield cons, write_consolidated_xlsx(cons, tmp_path / "tong-hop.xlsx")
    ws.close()


def test_consolidated_xlsx_prints_like_the_appendix(consolidated):
    cons, path = consolidated
    book = load_workbook(path)
    table, status = book["Tổng hợp"], book["Tình hình gửi báo cáo"]
    assert_print_setup(table, pages_wide=None)
    assert table.page_setup.orientation == "landscape" and table.page_setup.fitToWidth > 1
    assert table.print_title_cols == "$A:$C"  # the units' names on every page across
    assert_print_setup(status)
    for sheet in (table, status):
        top = [c.value for row in sheet.iter_rows(max_row=4) for c in row if isinstance(c.value, str)]
        assert cons.receiver.name in top and f"Kỳ báo cáo: {cons.period.label}" in top
    header_row = int(table.print_title_rows.split(":")[0].strip("$"))
    header = [c.value for c in table[header_row]]
    pct = header.index("Cán bộ, công chức được trang bị máy tính / tổng số cán bộ, công chức xã (%)")
    cells = [row[pct] for row in table.iter_rows(min_row=header_row + 1)]
    assert [c.value for c in cells] == [1, 0.5, 1, 0.8] and cells[-1].number_format == "0%"
    assert all(c.number_format.endswith("%") and '"' not in c.number_format for c in cells)
    assert_no_formulas(path)


def _pdf_pages(path: Path, tmp_path: Path) -> list[tuple[float, float]]:
    if not SOFFICE:
        pytest.skip("LibreOffice is not installed (./test.sh installs it)")
    out = tmp_path / "pdf"
    proc = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(out), str(path)],
                          capture_output=True, text=True, timeout=300)
    pdf = out / path.with_suffix(".pdf").name
    if not pdf.exists() and "could not be loaded" in proc.stdout + proc.stderr:
        pytest.skip("LibreOffice Calc is not installed (only Writer): ./test.sh installs it")
    assert pdf.exists(), proc.stdout + proc.stderr
    if not shutil.which("pdfinfo"):
        pytest.skip("pdfinfo (poppler-utils) is not installed (./test.sh installs it)")
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], capture_output=True, text=True,
                          timeout=60).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


@pytest.mark.slow  # LibreOffice prints every appendix
@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_each_appendix_prints_on_a_few_a4_pages(workspace, tmp_path, path):
    """Before: 20–52 pages (here), the labels on one page and the values on another."""
    _rid, _data, target = _export(workspace, tmp_path, path.stem)
    pages = _pdf_pages(target, tmp_path)
    assert 4 <= len(pages) <= PAGES_BEFORE[path.stem] / 2, len(pages)
    for width, height in pages:  # A4, either way round: 595 × 842 pt
        assert sorted((round(width), round(height))) == [595, 842]


@pytest.mark.parametrize("stem", ["chuyen-doi-so-quy", "quan-ly-tttt-6-thang"])
def test_an_appendix_in_the_earlier_layout_still_reads_back(workspace, tmp_path, stem):
    """Written by the layout before this one (a sheet per section, keys in row 1 of each
    table sheet, percentages as 0-100 with a quoted "%"), from the same example."""
    rid, data, _target = _export(workspace, tmp_path, stem)
    old = Path(__file__).parent / "fixtures" / "xlsx" / f"appendix-2025-11-{stem}.xlsx"
    assert "Chỉ tiêu" not in load_workbook(old).sheetnames
    fresh = workspace.new_report(data["template"], NEXT_PERIOD[stem])
    import_xlsx(workspace, fresh, old)
    assert workspace.report(fresh)[0].values == workspace.report(rid)[0].values


def test_a_link_to_a_sheet_with_an_apostrophe_in_its_name_is_quoted():
    from openpyxl import Workbook

    from desktop_app.documents.xlsx import _link

    book = Workbook()
    cell = book.active["C3"]
    _link(cell, "Bảng 1. Thôn 'Mới'")
    assert cell.hyperlink.location == "'Bảng 1. Thôn ''Mới'''!A1" and cell.hyperlink.ref == "C3"


def test_a_heading_never_ends_a_page(workspace, tmp_path):
    from openpyxl.cell.cell import MergedCell

    _rid, _data, target = _export(workspace, tmp_path, "quan-ly-tttt-6-thang")
    sheet = load_workbook(target)[DATA_SHEET]
    ends = [b.id for b in sheet.row_breaks.brk]
    assert len(ends) >= 5  # the sheet runs over several pages
    for end in ends:
        key, text = sheet.cell(end, 1).value, sheet.cell(end, 2)
        section = key is None and text.font.b
        label_of_long_text = key is None and isinstance(sheet.cell(end + 1, 3), MergedCell)
        assert not section and not label_of_long_text, (end, text.value)


def _sheet_of_rows(count: int, height: float):
    from openpyxl import Workbook

    sheet = Workbook().active
    sheet.page_setup.orientation = "portrait"
    for row in range(1, count + 1):
        sheet.row_dimensions[row].height = height
    return sheet


def test_page_breaks_move_a_heading_over_and_leave_other_rows_alone():
    plain = xlsx_print.heading_page_breaks(_sheet_of_rows(200, 20), 2, 200, set(), header_height=20)
    assert len(plain) >= 4 and all(b - a == plain[1] - plain[0] for a, b in zip(plain, plain[1:]))
    heading = plain[1]  # would end the second page
    ends = xlsx_print.heading_page_breaks(_sheet_of_rows(200, 20), 2, 200, {heading}, header_height=20)
    assert ends[0] == plain[0] and ends[1] == heading - 1 and heading not in ends
