"""The report as a PDF, made by the office suite installed on the PC (LibreOffice).

A commune signs the PDF with the Ban Cơ yếu signing tools, so the PDF must be the .docx
exactly as an office suite lays it out. LibreOffice is found automatically (on the PATH,
or where its installers put it on Windows and macOS; ``BAOCAOXA_SOFFICE`` names it
explicitly) and run headless with a throwaway profile, so a LibreOffice window the
person has open does not block the conversion, and with a time limit.
Microsoft Word is not driven yet: on a PC with only Word the person is told to install
LibreOffice (free) or to save the .docx as PDF from Word.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from desktop_app.atomic import write_atomic
from desktop_app.errors import UserError

TIMEOUT_SECONDS = 180  # the six-monthly report converts in a few seconds; a first start takes longer
ENVIRONMENT_VARIABLE = "BAOCAOXA_SOFFICE"
NOT_FOUND = ("Không tìm thấy bộ phần mềm văn phòng để tạo tệp PDF. Hãy cài LibreOffice (miễn phí, "
             "https://vi.libreoffice.org) rồi thử lại, hoặc xuất Word (.docx), mở bằng Word và chọn "
             "«Lưu thành PDF».")


def _install_places() -> list[Path]:
    """Where the LibreOffice installers put ``soffice`` when it is not on the PATH."""
    if sys.platform == "win32":
        roots = [os.environ.get(name) for name in ("ProgramFiles", "ProgramFiles(x86)", "ProgramW6432")]
        return [Path(root) / "LibreOffice" / "program" / "soffice.exe" for root in roots if root]
    if sys.platform == "darwin":
        return [Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")]
    return [Path("/usr/bin/soffice"), Path("/usr/lib/libreoffice/program/soffice"),
            Path("/opt/libreoffice/program/soffice"), Path("/snap/bin/libreoffice")]


def find_office() -> Path | None:
    """The LibreOffice program to convert with, or None when there is none on this PC."""
    named = os.environ.get(ENVIRONMENT_VARIABLE)
    if named is not None:  # set (even empty): the person's choice, nothing else is tried
        return Path(named) if named and Path(named).is_file() else None
    for command in ("soffice", "libreoffice"):
        found = shutil.which(command)
        if found:
            return Path(found)
    return next((place for place in _install_places() if place.is_file()), None)


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run ``command``; on the time limit, stop it and everything it started."""
    posix = os.name == "posix"
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               errors="replace", start_new_session=posix)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if posix:
            os.killpg(process.pid, signal.SIGKILL)  # soffice starts soffice.bin: stop the whole group
        else:
            process.kill()
        process.communicate()
        raise
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def docx_to_pdf(data: bytes, target: str | Path, timeout: float = TIMEOUT_SECONDS) -> Path:
    """A .docx given as bytes, as a PDF at ``target``."""
    with tempfile.TemporaryDirectory(prefix="baocaoxa-docx-", ignore_cleanup_errors=True) as work:
        source = Path(work) / "bao-cao.docx"
        source.write_bytes(data)
        return convert_docx(source, target, timeout)


def convert_docx(source: Path, target: str | Path, timeout: float = TIMEOUT_SECONDS) -> Path:
    """``source`` (.docx) as a PDF at ``target``, written atomically; UserError (Vietnamese) on failure."""
    office = find_office()
    if office is None:
        raise UserError(NOT_FOUND)
    with tempfile.TemporaryDirectory(prefix="baocaoxa-pdf-", ignore_cleanup_errors=True) as work:
        folder = Path(work)
        profile = (folder / "profile").as_uri()
        command = [str(office), f"-env:UserInstallation={profile}", "--headless", "--norestore",
                   "--convert-to", "pdf", "--outdir", str(folder / "out"), str(source)]
        try:
            result = _run(command, timeout)
        except subprocess.TimeoutExpired:
            raise UserError(f"LibreOffice chưa tạo xong tệp PDF sau {int(timeout)} giây nên đã dừng. Hãy đóng "
                            "bớt chương trình rồi thử lại, hoặc xuất Word (.docx) rồi lưu thành PDF.") from None
        except OSError as exc:
            raise UserError(f"Không chạy được LibreOffice ({office}): {exc.strerror or exc}.") from exc
        made = folder / "out" / (source.stem + ".pdf")
        if result.returncode != 0 or not made.is_file() or made.stat().st_size == 0:
            detail = (result.stderr or result.stdout or "").strip().splitlines()[-1:] or [""]
            raise UserError("LibreOffice không tạo được tệp PDF" + (f" ({detail[0][:200]})" if detail[0] else "")
                            + ". Hãy xuất Word (.docx) rồi mở và lưu thành PDF.")
        data = made.read_bytes()
    return write_atomic(target, lambda handle: handle.write(data))
