"""PDF through Microsoft Word on Windows (issue 15 item 7): the PowerShell command, the choice of
converter, the failure messages. Word itself runs only on Windows (the last two tests)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from desktop_app.documents import office_process, pdf, pdf_word
from desktop_app.errors import UserError
from tests.conftest import EXAMPLES

# Quotes, $, backtick, #, ; and & mean something to PowerShell or cmd; Windows allows all but ".
HOSTILE = "Báo cáo #1 'xã' $env:PATH `; & Đắk Lắk" + ('' if sys.platform == "win32" else ' "quoted"')


@pytest.fixture(autouse=True)
def _no_choice(monkeypatch):
    monkeypatch.delenv(pdf.CONVERTER_VARIABLE, raising=False)


def _hostile_source(tmp_path):
    folder = tmp_path / HOSTILE
    folder.mkdir()
    source = folder / "bao-cao.docx"
    source.write_bytes(b"PK")
    (folder / "word").mkdir()
    return source, folder / "word" / "bao-cao.pdf"


def test_the_command_line_carries_no_file_name_and_decodes_to_the_script(tmp_path):
    source, made = _hostile_source(tmp_path)
    command = pdf_word.command("powershell.exe")
    assert command[:4] == ["powershell.exe", "-NoProfile", "-NonInteractive", "-EncodedCommand"]
    assert len(command) == 5 and re.fullmatch(r"[A-Za-z0-9+/]+=*", command[4])
    script = base64.b64decode(command[4]).decode("utf-16-le")
    assert script == pdf_word.SCRIPT
    line = subprocess.list2cmdline(command)
    for text in (line, script):
        assert HOSTILE not in text and "Báo cáo" not in text and str(tmp_path) not in text
    env = pdf_word.environment(source, made, made.parent / "pids.txt")
    assert env[pdf_word.SOURCE_VARIABLE] == str(source) and env[pdf_word.TARGET_VARIABLE] == str(made)
    assert env[pdf_word.PIDS_VARIABLE] == str(made.parent / "pids.txt") and env.get("PATH")  # the rest is kept


def test_the_script_opens_read_only_exports_pdf_and_always_quits_word():
    script = pdf_word.SCRIPT
    assert script.isascii()
    assert "New-Object -ComObject Word.Application" in script
    assert "$word.Visible = $false" in script and "$word.DisplayAlerts = 0" in script
    assert "$word.Documents.Open($env:BAOCAOXA_WORD_SOURCE, $false, $true, $false)" in script
    assert "$document.ExportAsFixedFormat($env:BAOCAOXA_WORD_TARGET, 17)" in script
    assert "Set-Content -LiteralPath $env:BAOCAOXA_WORD_PIDS" in script
    finally_block = script[script.index("} finally {"):]
    assert "$document.Close(0)" in finally_block and "$word.Quit(0)" in finally_block
    # a Word the person started meanwhile may be this one: never quit it with their documents open
    assert "if ($word.Documents.Count -eq 0) { $word.Quit(0) } else { $word.Visible = $true }" in finally_block
    assert script.index("exit 3") < script.index("} finally {")  # the failure exit still runs the finally block


def _runner(monkeypatch, result=None, raised=None, pids_text=None):
    calls = []

    def run(command, timeout, env=None, encoding=None):
        calls.append((command, timeout, env, encoding))
        if pids_text is not None:
            Path(env[pdf_word.PIDS_VARIABLE]).write_text(pids_text, encoding="ascii")
        if raised is not None:
            raise raised
        return result

    monkeypatch.setattr(pdf_word, "run_limited", run)
    return calls


def test_word_failure_is_explained_in_vietnamese_with_words_reason(tmp_path, monkeypatch):
    source, made = _hostile_source(tmp_path)
    failed = subprocess.CompletedProcess([], 3, "", "\nWord experienced an error trying to open the file.\nTry: …\n")
    calls = _runner(monkeypatch, result=failed)
    with pytest.raises(UserError, match=r"^Microsoft Word không tạo được tệp PDF \(Word experienced an error trying "
                                        r"to open the file\.\)\. Hãy mở tệp Word .*LibreOffice"):
        pdf_word.convert(source, made, timeout=7)
    command, timeout, env, encoding = calls[0]
    assert timeout == 7 and encoding == "utf-8" and HOSTILE not in " ".join(command)
    assert env[pdf_word.SOURCE_VARIABLE] == str(source.resolve())
    assert env[pdf_word.TARGET_VARIABLE] == str(made.resolve())
    # exit code 0 but no PDF is a failure too
    _runner(monkeypatch, result=subprocess.CompletedProcess([], 0, "", ""))
    with pytest.raises(UserError, match=r"^Microsoft Word không tạo được tệp PDF\. Hãy mở"):
        pdf_word.convert(source, made, timeout=7)


def test_a_hanging_word_is_stopped_with_the_word_process_it_started(tmp_path, monkeypatch):
    source, made = _hostile_source(tmp_path)
    _runner(monkeypatch, raised=subprocess.TimeoutExpired("powershell", 5), pids_text="4242 4343\r\n")
    stopped = []
    monkeypatch.setattr(pdf_word, "stop_tree", stopped.append)
    with pytest.raises(pdf_word.WordTimedOut, match="Microsoft Word chưa tạo xong tệp PDF sau 5 giây"):
        pdf_word.convert(source, made, timeout=5)
    assert stopped == [4242, 4343]


def test_powershell_that_cannot_start_is_explained(tmp_path, monkeypatch):
    source, made = _hostile_source(tmp_path)
    _runner(monkeypatch, raised=FileNotFoundError(2, "No such file"))
    with pytest.raises(UserError, match="Không chạy được PowerShell để điều khiển Microsoft Word: No such file"):
        pdf_word.convert(source, made, timeout=5)


def test_the_process_tree_is_stopped_with_taskkill_on_windows(monkeypatch):
    ran = []
    monkeypatch.setattr(office_process.subprocess, "run", lambda command, **kw: ran.append(command))
    with monkeypatch.context() as windows:
        windows.setattr(office_process.os, "name", "nt")
        office_process.stop_tree(1234)
    assert ran == [["taskkill", "/T", "/F", "/PID", "1234"]]


def _platform(monkeypatch, windows, word):
    monkeypatch.setattr(pdf_word, "on_windows", lambda: windows)
    monkeypatch.setattr(pdf_word, "word_installed", lambda: windows and word)


@pytest.mark.parametrize("windows, word, expected", [
    (True, True, [pdf.WORD, pdf.LIBREOFFICE]), (True, False, [pdf.LIBREOFFICE]), (False, False, [pdf.LIBREOFFICE])])
def test_word_comes_first_on_windows_where_it_is_installed(monkeypatch, windows, word, expected):
    _platform(monkeypatch, windows, word)
    assert pdf.converter_order() == expected


def test_word_is_never_looked_for_off_windows(monkeypatch):
    monkeypatch.setattr(pdf_word, "on_windows", lambda: False)
    monkeypatch.setitem(sys.modules, "winreg", None)  # importing it would fail
    assert pdf_word.word_installed() is False
    assert pdf.converter_order() == [pdf.LIBREOFFICE]


def test_the_environment_variable_pins_a_converter(monkeypatch):
    _platform(monkeypatch, True, True)
    monkeypatch.setenv(pdf.CONVERTER_VARIABLE, "libreoffice")
    assert pdf.converter_order() == [pdf.LIBREOFFICE]
    monkeypatch.setenv(pdf.CONVERTER_VARIABLE, " Word ")
    assert pdf.converter_order() == [pdf.WORD]
    monkeypatch.setenv(pdf.CONVERTER_VARIABLE, "excel")
    with pytest.raises(UserError, match="BAOCAOXA_PDF_CONVERTER = «excel» không hợp lệ"):
        pdf.converter_order()
    monkeypatch.setenv(pdf.CONVERTER_VARIABLE, "word")
    _platform(monkeypatch, True, False)
    with pytest.raises(UserError, match="chọn «word», nhưng không tìm thấy Microsoft Word trên máy này"):
        pdf.converter_order()
    _platform(monkeypatch, False, False)
    with pytest.raises(UserError, match="Microsoft Word chỉ điều khiển được trên Windows"):
        pdf.converter_order()


def test_word_is_detected_by_its_automation_key_in_the_registry(monkeypatch):
    asked = []

    class Key:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def open_key(root, path):
        asked.append((root, path))
        if registered is None:
            raise FileNotFoundError(2, "not found")
        return Key()

    fake = types.SimpleNamespace(HKEY_CLASSES_ROOT="HKCR", OpenKey=open_key,
                                 QueryValueEx=lambda key, name: (registered, 1))
    monkeypatch.setitem(sys.modules, "winreg", fake)
    monkeypatch.setattr(pdf_word, "on_windows", lambda: True)
    registered = "{000209FF-0000-0000-C000-000000000046}"
    assert pdf_word.word_installed() is True
    assert asked == [("HKCR", "Word.Application\\CLSID")]
    registered = ""
    assert pdf_word.word_installed() is False
    registered = None
    assert pdf_word.word_installed() is False


def _fake_soffice(tmp_path, monkeypatch):
    """A LibreOffice that leaves a mark and fails: shows whether (and after what) it was tried."""
    mark = tmp_path / "soffice-ran"
    script = tmp_path / "soffice"
    script.write_text(f"#!/bin/sh\ntouch '{mark}'\necho 'Error: source file could not be loaded' >&2\nexit 1\n")
    script.chmod(0o755)
    monkeypatch.setenv(pdf.ENVIRONMENT_VARIABLE, str(script))
    return mark


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for LibreOffice")
def test_when_word_fails_libreoffice_is_tried_and_both_reasons_are_given(tmp_path, monkeypatch):
    _platform(monkeypatch, True, True)
    mark = _fake_soffice(tmp_path, monkeypatch)
    _runner(monkeypatch, result=subprocess.CompletedProcess([], 3, "", "Command failed"))
    source = tmp_path / "bc.docx"
    source.write_bytes(b"PK")
    with pytest.raises(UserError) as raised:
        pdf.convert_docx(source, tmp_path / "bc.pdf")
    assert mark.exists()
    assert raised.value.message.startswith("LibreOffice không tạo được tệp PDF (Error: source file could not")
    assert raised.value.details == [f"{pdf_word.FAILED} (Command failed). {pdf_word.ADVICE}"]
    assert not (tmp_path / "bc.pdf").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for LibreOffice")
def test_a_hanging_word_is_not_followed_by_libreoffice(tmp_path, monkeypatch):
    _platform(monkeypatch, True, True)
    mark = _fake_soffice(tmp_path, monkeypatch)
    _runner(monkeypatch, raised=subprocess.TimeoutExpired("powershell", 1))
    source = tmp_path / "bc.docx"
    source.write_bytes(b"PK")
    with pytest.raises(UserError, match="Microsoft Word chưa tạo xong"):
        pdf.convert_docx(source, tmp_path / "bc.pdf", timeout=1)
    assert not mark.exists() and not (tmp_path / "bc.pdf").exists()


def test_word_failing_without_libreoffice_gives_words_reason(tmp_path, monkeypatch):
    _platform(monkeypatch, True, True)
    monkeypatch.setenv(pdf.ENVIRONMENT_VARIABLE, "")  # no LibreOffice
    _runner(monkeypatch, result=subprocess.CompletedProcess([], 3, "", "This command is not available."))
    source = tmp_path / "bc.docx"
    source.write_bytes(b"PK")
    with pytest.raises(UserError, match=r"^Microsoft Word không tạo được tệp PDF \(This command is not available"):
        pdf.convert_docx(source, tmp_path / "bc.pdf")


def test_windows_without_word_or_libreoffice_says_so(tmp_path, monkeypatch):
    _platform(monkeypatch, True, False)
    monkeypatch.setenv(pdf.ENVIRONMENT_VARIABLE, "")
    calls = _runner(monkeypatch, result=None)
    source = tmp_path / "bc.docx"
    source.write_bytes(b"PK")
    with pytest.raises(UserError, match=r"Không tìm thấy bộ phần mềm văn phòng .*Microsoft Word.*LibreOffice"):
        pdf.convert_docx(source, tmp_path / "bc.pdf")
    assert calls == []  # Word was not tried


# --- On real Windows (the workflow .github/workflows/windows.yml runs these) ---------------------------

needs_windows = pytest.mark.skipif(sys.platform != "win32", reason="PowerShell and Word's COM exist only on Windows")


@needs_windows
@pytest.mark.skipif(pdf_word.word_installed(), reason="Word is installed: the conversion test runs instead")
def test_powershell_runs_the_script_and_reports_the_missing_word(tmp_path):
    """Without Word (a hosted runner) the script still parses, runs and fails at New-Object."""
    source, made = _hostile_source(tmp_path)
    with pytest.raises(UserError) as raised:
        pdf_word.convert(source, made, timeout=120)
    message = raised.value.message
    assert message.startswith(f"{pdf_word.FAILED} (") and "ParserError" not in message, message
    assert "80040154" in message or "COM" in message, message


@needs_windows
@pytest.mark.skipif(not pdf_word.word_installed(), reason="Microsoft Word is not installed")
def test_word_makes_the_pdf(workspace, tmp_path, monkeypatch):
    from desktop_app.documents.export import export_pdf

    rid, _ = workspace.import_document(json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8")))
    monkeypatch.setenv(pdf.CONVERTER_VARIABLE, "word")  # Word or nothing: no LibreOffice fallback
    folder = tmp_path / HOSTILE
    folder.mkdir()
    target = export_pdf(workspace, rid, folder / "bao-cao.pdf")
    assert target.read_bytes()[:5] == b"%PDF-"
    assert [p.name for p in folder.iterdir()] == ["bao-cao.pdf"]
