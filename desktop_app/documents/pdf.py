"""The report as a PDF, made by the office suite installed on the PC.

A commune signs the PDF with the Ban Cơ yếu signing tools, so the PDF must be the .docx
exactly as an office suite lays it out. On Windows with Microsoft Word, Word makes it
(``pdf_word``); if Word fails, LibreOffice does when it is there; elsewhere LibreOffice
does. ``BAOCAOXA_PDF_CONVERTER`` (``word`` or ``libreoffice``) pins one, nothing else tried.
LibreOffice is found automatically (on the PATH, or where its installers put it on Windows
and macOS; ``BAOCAOXA_SOFFICE`` names it explicitly) and run headless with a throwaway
profile, so a LibreOffice window the person has open does not block the conversion.
Each converter runs with a time limit, after which it is stopped with what it started.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from desktop_app.atomic import write_atomic
from desktop_app.documents import pdf_word
from desktop_app.documents.office_process import run_limited
from desktop_app.errors import UserError

TIMEOUT_SECONDS = 180  # the six-monthly report converts in a few seconds; a first start takes longer
ENVIRONMENT_VARIABLE = "BAOCAOXA_SOFFICE"
CONVERTER_VARIABLE = "BAOCAOXA_PDF_CONVERTER"
WORD, LIBREOFFICE = "word", "libreoffice"
NOT_FOUND = ("Không tìm thấy bộ phần mềm văn phòng để tạo tệp PDF (Microsoft Word trên Windows, hoặc "
             "LibreOffice). Hãy cài LibreOffice (miễn phí, "
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


def converter_order() -> list[str]:
    """The converters to try, in order: Word first on Windows when it is installed."""
    chosen = os.environ.get(CONVERTER_VARIABLE, "").strip()
    if chosen.lower() == LIBREOFFICE:
        return [LIBREOFFICE]
    if chosen.lower() == WORD:
        if not pdf_word.on_windows():
            raise UserError(f"Biến môi trường {CONVERTER_VARIABLE} chọn «word», nhưng Microsoft Word chỉ điều khiển "
                            "được trên Windows. Hãy bỏ biến đó (hoặc đặt «libreoffice») để dùng LibreOffice.")
        if not pdf_word.word_installed():
            raise UserError(f"Biến môi trường {CONVERTER_VARIABLE} chọn «word», nhưng không tìm thấy Microsoft Word "
                            "trên máy này. Hãy cài Word, hoặc bỏ biến đó (hay đặt «libreoffice») để dùng LibreOffice.")
        return [WORD]
    if chosen:
        raise UserError(f"Biến môi trường {CONVERTER_VARIABLE} = «{chosen[:40]}» không hợp lệ: hãy đặt «word» hoặc "
                        "«libreoffice», hoặc bỏ biến đó để phần mềm tự chọn.")
    return [WORD, LIBREOFFICE] if pdf_word.word_installed() else [LIBREOFFICE]


def docx_to_pdf(data: bytes, target: str | Path, timeout: float = TIMEOUT_SECONDS) -> Path:
    """A .docx given as bytes, as a PDF at ``target``."""
    with tempfile.TemporaryDirectory(prefix="baocaoxa-docx-", ignore_cleanup_errors=True) as work:
        source = Path(work) / "bao-cao.docx"
        source.write_bytes(data)
        return convert_docx(source, target, timeout)


def convert_docx(source: Path, target: str | Path, timeout: float = TIMEOUT_SECONDS) -> Path:
    """``source`` (.docx) as a PDF at ``target``, written atomically; UserError (Vietnamese) on failure."""
    order = converter_order()
    with tempfile.TemporaryDirectory(prefix="baocaoxa-pdf-", ignore_cleanup_errors=True) as work:
        data = _pdf_bytes(source, Path(work), order, timeout)
    return write_atomic(target, lambda handle: handle.write(data))


def _pdf_bytes(source: Path, folder: Path, order: list[str], timeout: float) -> bytes:
    word_failure = None
    if WORD in order:
        made = folder / "word" / (source.stem + ".pdf")
        made.parent.mkdir()
        try:
            pdf_word.convert(source, made, timeout)
            return made.read_bytes()
        except pdf_word.WordTimedOut:
            raise  # trying LibreOffice now would make the person wait as long again
        except UserError as exc:
            if LIBREOFFICE not in order or find_office() is None:
                raise
            word_failure = exc
    try:
        return _with_libreoffice(source, folder, timeout)
    except UserError as exc:
        if word_failure is None:
            raise
        raise UserError(exc.message, details=[word_failure.message]) from None


def _with_libreoffice(source: Path, folder: Path, timeout: float) -> bytes:
    office = find_office()
    if office is None:
        raise UserError(NOT_FOUND)
    profile = (folder / "profile").as_uri()
    command = [str(office), f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(folder / "out"), str(source)]
    try:
        result = run_limited(command, timeout)
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
    return made.read_bytes()
