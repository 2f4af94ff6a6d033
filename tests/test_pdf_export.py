"""PDF export through the office suite on the PC (issue 15 item 7)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from desktop_app.documents import pdf
from desktop_app.documents.export import export_pdf
from desktop_app.errors import UserError
from tests.conftest import EXAMPLES, example_paths
from tests.test_examples import SEED_FIGURES

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_office = pytest.mark.skipif(not SOFFICE and not os.environ.get("CI"), reason="LibreOffice not installed")


@pytest.fixture(autouse=True)
def _libreoffice(monkeypatch):
    """These tests are about LibreOffice: Word (tests/test_pdf_word.py) is not chosen even on Windows."""
    monkeypatch.setenv(pdf.CONVERTER_VARIABLE, pdf.LIBREOFFICE)


def _import(workspace, name):
    rid, _ = workspace.import_document(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))
    return rid


def test_no_office_suite_is_said_in_vietnamese_and_nothing_is_written(workspace, tmp_path, monkeypatch):
    monkeypatch.setenv(pdf.ENVIRONMENT_VARIABLE, "")
    rid = _import(workspace, "cao-diem-dvctt.json")
    usb = tmp_path / "usb"
    usb.mkdir()
    with pytest.raises(UserError, match="Không tìm thấy bộ phần mềm văn phòng.*LibreOffice"):
        export_pdf(workspace, rid, usb / "bc.pdf")
    assert list(usb.iterdir()) == []


def test_office_is_found_on_the_path_or_where_installers_put_it(tmp_path, monkeypatch):
    monkeypatch.delenv(pdf.ENVIRONMENT_VARIABLE, raising=False)
    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    assert pdf.find_office() == fake
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    monkeypatch.setattr(pdf, "_install_places", lambda: [tmp_path / "none", fake])
    assert pdf.find_office() == fake
    monkeypatch.setattr(pdf, "_install_places", lambda: [tmp_path / "none"])
    assert pdf.find_office() is None


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for LibreOffice")
def test_a_hanging_office_is_stopped_at_the_time_limit(tmp_path, monkeypatch):
    hanging = tmp_path / "soffice"
    child_pid = tmp_path / "child.pid"
    hanging.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {child_pid}\nwait\n")
    hanging.chmod(0o755)
    monkeypatch.setenv(pdf.ENVIRONMENT_VARIABLE, str(hanging))
    source = tmp_path / "bc.docx"
    source.write_bytes(b"PK")
    started = time.monotonic()
    with pytest.raises(UserError, match="sau 1 giây"):
        pdf.convert_docx(source, tmp_path / "bc.pdf", timeout=1)
    assert time.monotonic() - started < 60
    pid = int(child_pid.read_text())
    for _ in range(50):  # the child it started is gone too (the whole process group was stopped)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the office's child process was left running")
    assert not (tmp_path / "bc.pdf").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for LibreOffice")
def test_an_office_that_makes_no_pdf_is_explained(tmp_path, monkeypatch):
    failing = tmp_path / "soffice"
    failing.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv(pdf.ENVIRONMENT_VARIABLE, str(failing))
    source = tmp_path / "bc.docx"
    source.write_bytes(b"PK")
    with pytest.raises(UserError, match="không tạo được tệp PDF.*could not be loaded"):
        pdf.convert_docx(source, tmp_path / "bc.pdf")


def test_cli_export_pdf_without_office(cli, tmp_path, monkeypatch):
    monkeypatch.setenv(pdf.ENVIRONMENT_VARIABLE, "")
    rid = cli("report", "import-json", str(EXAMPLES / "chuyen-doi-so-quy.json"))[1].strip()
    code, _out, err = cli("report", "export", rid, "--pdf", str(tmp_path / "bc.pdf"))
    assert code == 2 and "LibreOffice" in err and "Traceback" not in err
    code, _out, err = cli("report", "export", rid)
    assert code == 2 and "--pdf" in err


def _pdf_text(path) -> str:
    modes = (["-layout"], [], ["-raw"])
    return "".join("".join(subprocess.run(["pdftotext", *mode, str(path), "-"], capture_output=True, text=True,
                                          check=True).stdout.split()) for mode in modes)


@pytest.mark.slow  # runs LibreOffice
@needs_office
@pytest.mark.parametrize("name", [p.name for p in example_paths()])
def test_pdf_is_a4_and_carries_every_figure(workspace, tmp_path, name, monkeypatch):
    monkeypatch.delenv(pdf.ENVIRONMENT_VARIABLE, raising=False)
    rid = _import(workspace, name)
    usb = tmp_path / "usb"
    usb.mkdir()
    target = export_pdf(workspace, rid, usb / "bao-cao.pdf")
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True, check=True).stdout
    assert "595.3" in info and "841.89" in info  # A4 in points, every page
    flat = _pdf_text(target)
    missing = [f for f in SEED_FIGURES[name] if "".join(f.split()) not in flat]
    assert not missing, missing
    assert [p.name for p in usb.iterdir()] == ["bao-cao.pdf"]  # no temporary files left


@pytest.mark.slow
@needs_office
def test_cli_export_pdf(cli, tmp_path, monkeypatch):
    monkeypatch.delenv(pdf.ENVIRONMENT_VARIABLE, raising=False)
    rid = cli("report", "import-json", str(EXAMPLES / "cao-diem-dvctt.json"))[1].strip()
    code, out, err = cli("report", "export", rid, "--pdf", str(tmp_path / "bc.pdf"),
                         "--docx", str(tmp_path / "bc.docx"))
    assert code == 0, err
    assert (tmp_path / "bc.pdf").read_bytes()[:5] == b"%PDF-" and (tmp_path / "bc.docx").exists()
