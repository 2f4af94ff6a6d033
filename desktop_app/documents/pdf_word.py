"""The .docx as a PDF made by Microsoft Word on Windows, through Word's COM automation.

No extra package: PowerShell (part of every Windows) drives ``Word.Application``. The
script is fixed text sent with ``-EncodedCommand``; the file names reach it only through
environment variables, so a folder named with quotes, ``#``, ``$`` or Vietnamese letters
cannot change what it does. Word is started by COM, not as a child of PowerShell, so the
script writes the id of the Word process it started to a file: on the time limit both
PowerShell's tree and that Word are stopped.
"""

from __future__ import annotations

import base64
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from desktop_app.documents.office_process import run_limited, stop_tree
from desktop_app.errors import UserError

SOURCE_VARIABLE = "BAOCAOXA_WORD_SOURCE"
TARGET_VARIABLE = "BAOCAOXA_WORD_TARGET"
PIDS_VARIABLE = "BAOCAOXA_WORD_PIDS"

# Documents.Open(FileName, ConfirmConversions, ReadOnly, AddToRecentFiles); 17 = wdExportFormatPDF;
# Close(0) / Quit(0) = wdDoNotSaveChanges. A finally block also runs after `exit` in a catch block.
# The messages are written as UTF-8 (a Vietnamese Word gives Vietnamese ones).
SCRIPT = r"""
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { }
$word = $null
$document = $null
try {
    $before = @(Get-Process -Name WINWORD -ErrorAction SilentlyContinue | ForEach-Object { $_.Id })
    $word = New-Object -ComObject Word.Application
    $started = @(Get-Process -Name WINWORD -ErrorAction SilentlyContinue |
        Where-Object { $before -notcontains $_.Id } | ForEach-Object { $_.Id })
    Set-Content -LiteralPath $env:BAOCAOXA_WORD_PIDS -Value ($started -join ' ') -Encoding Ascii
    $word.Visible = $false
    $word.DisplayAlerts = 0
    $document = $word.Documents.Open($env:BAOCAOXA_WORD_SOURCE, $false, $true, $false)
    $document.ExportAsFixedFormat($env:BAOCAOXA_WORD_TARGET, 17)
} catch {
    [Console]::Error.WriteLine($_.Exception.Message)
    exit 3
} finally {
    if ($null -ne $document) { try { $document.Close(0) } catch { } }
    if ($null -ne $word) {
        # Someone starting Word meanwhile may be handed this hidden instance (Microsoft KB 188546):
        # quit it only when nothing is open in it, else show it to them.
        try { if ($word.Documents.Count -eq 0) { $word.Quit(0) } else { $word.Visible = $true } } catch { }
        [void][System.Runtime.InteropServices.Marshal]::ReleaseComObject($word)
    }
}
exit 0
"""

FAILED = "Microsoft Word không tạo được tệp PDF"
ADVICE = "Hãy mở tệp Word (.docx) đã xuất bằng Word và chọn «Lưu thành PDF», hoặc cài LibreOffice rồi thử lại."


class WordTimedOut(UserError):
    """Word hung: trying another converter now would make the person wait as long again."""


def on_windows() -> bool:
    return sys.platform == "win32"


def word_installed() -> bool:
    """Whether Word's automation is registered (``HKEY_CLASSES_ROOT\\Word.Application``)."""
    if not on_windows():
        return False
    winreg = importlib.import_module("winreg")  # exists only on Windows
    # The ProgID key is shared by 32- and 64-bit programs (HKCR\CLSID is not): it finds a
    # 32-bit Office from this 64-bit app too.
    try:
        with winreg.OpenKey(winreg.HKEY_CLASSES_ROOT, r"Word.Application\CLSID") as key:
            clsid, _kind = winreg.QueryValueEx(key, "")
    except OSError:
        return False
    return bool(str(clsid).strip())


def powershell() -> str:
    """Windows PowerShell: where Windows keeps it, else whatever the PATH offers."""
    system = Path(os.environ.get("SystemRoot", r"C:\Windows")) / "System32" / "WindowsPowerShell" / "v1.0"
    fixed = system / "powershell.exe"
    return str(fixed) if fixed.is_file() else (shutil.which("powershell") or "powershell.exe")


def command(program: str) -> list[str]:
    """The PowerShell command line: fixed options and the script as UTF-16LE base64, no file names."""
    encoded = base64.b64encode(SCRIPT.encode("utf-16-le")).decode("ascii")
    return [program, "-NoProfile", "-NonInteractive", "-EncodedCommand", encoded]


def environment(source: Path, target: Path, pids: Path) -> dict[str, str]:
    """This process's environment plus the three file names the script reads."""
    return {**os.environ, SOURCE_VARIABLE: str(source), TARGET_VARIABLE: str(target), PIDS_VARIABLE: str(pids)}


def _stop_started_word(pids: Path) -> None:
    try:
        started = pids.read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return  # Word had not started yet
    for pid in started:
        if pid.isdigit():
            stop_tree(int(pid))


def convert(source: Path, made: Path, timeout: float) -> None:
    """Word writes ``source`` (.docx) as the PDF ``made``; UserError (Vietnamese) on failure."""
    pids = made.parent / "word-pids.txt"
    try:
        result = run_limited(command(powershell()), timeout,
                             env=environment(source.resolve(), made.resolve(), pids.resolve()), encoding="utf-8")
    except subprocess.TimeoutExpired:
        _stop_started_word(pids)
        raise WordTimedOut(f"Microsoft Word chưa tạo xong tệp PDF sau {int(timeout)} giây nên đã dừng. Hãy đóng "
                           "bớt chương trình rồi thử lại, hoặc xuất Word (.docx) rồi lưu thành PDF.") from None
    except OSError as exc:
        raise UserError(f"Không chạy được PowerShell để điều khiển Microsoft Word: {exc.strerror or exc}. "
                        + ADVICE) from exc
    if result.returncode != 0 or not made.is_file() or made.stat().st_size == 0:
        lines = [line.strip() for line in (result.stderr or result.stdout or "").splitlines() if line.strip()]
        detail = f" ({lines[0][:200]})" if lines else ""
        raise UserError(f"{FAILED}{detail}. {ADVICE}")
