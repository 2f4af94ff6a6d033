"""An .xlsx from outside is checked before openpyxl loads it: cheap, bounded, in Vietnamese.

openpyxl builds every cell in memory, so a sheet of a million rows or a cell of 10 MB would
cost gigabytes before anything could be judged. Here the zip directory is read first (what
kind of file it is, declared sizes, compression ratios), then every XML member is streamed
once through defusedxml (no entity expansion, no external entities) counting rows and
cells and measuring texts, stopping at the first limit.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from desktop_app.errors import UserError
from desktop_app.domain.vnformat import format_number

MAX_UNCOMPRESSED_BYTES = 100_000_000
MAX_RATIO = 100                # uncompressed / compressed, for members over 1 MB
MAX_ROWS_PER_SHEET = 10_000
MAX_CELLS = 200_000
MAX_CELL_CHARS = 32_767        # Excel's own limit for one cell
MAX_XML_ELEMENTS = 2_000_000


def _refuse(name: str, reason: str) -> UserError:
    return UserError(f"Không nạp tệp «{name}»: {reason}")


def _kind_of_zip(names: set[str], name: str) -> None:
    if "word/document.xml" in names:
        raise _refuse(name, "đây là tệp Word (.docx) bị đổi tên, không phải tệp Excel (.xlsx).")
    if "ppt/presentation.xml" in names:
        raise _refuse(name, "đây là tệp PowerPoint (.pptx) bị đổi tên, không phải tệp Excel (.xlsx).")
    if "content.xml" in names and "mimetype" in names:
        raise _refuse(name, "đây là tệp OpenDocument (LibreOffice); hãy lưu lại dưới dạng Excel (.xlsx).")
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise _refuse(name, "đây là tệp nén (zip) nhưng không phải tệp Excel (.xlsx).")


def _check_directory(archive: zipfile.ZipFile, name: str) -> None:
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(name, f"phần «{info.filename}» nén bất thường (có thể là «bom nén»).")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _refuse(name, f"nội dung giải nén quá lớn ({format_number(total)} byte; tối đa "
                            f"{format_number(MAX_UNCOMPRESSED_BYTES)} byte).")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _scan_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, counts: dict[str, int]) -> None:
    rows = 0
    with archive.open(info) as stream:
        for event, element in iterparse(stream, events=("start", "end")):
            if event == "start":
                counts["elements"] += 1
                if counts["elements"] > MAX_XML_ELEMENTS:
                    raise _refuse(name, "tệp có quá nhiều phần tử.")
                tag = _local(element.tag)
                if tag == "row":
                    rows += 1
                    if rows > MAX_ROWS_PER_SHEET:
                        raise _refuse(name, f"một trang có quá {format_number(MAX_ROWS_PER_SHEET)} dòng.")
                elif tag == "c":
                    counts["cells"] += 1
                    if counts["cells"] > MAX_CELLS:
                        raise _refuse(name, f"tệp có quá {format_number(MAX_CELLS)} ô.")
                continue
            if element.text is not None and len(element.text) > MAX_CELL_CHARS:
                raise _refuse(name, f"có ô dài quá {format_number(MAX_CELL_CHARS)} ký tự "
                                    f"(trong phần «{info.filename}»).")
            element.clear()


def check_xlsx_file(path: Path, max_bytes: int) -> None:
    """Raise UserError (Vietnamese) unless ``path`` is an .xlsx within every limit."""
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UserError(f"Không tìm thấy tệp «{path}».") from None
    except OSError as exc:
        raise UserError(f"Không đọc được tệp «{name}»: {exc.strerror or exc}.") from None
    if size > max_bytes:
        raise _refuse(name, f"tệp quá lớn ({format_number(size)} byte; tối đa {format_number(max_bytes)} byte).")
    try:
        with zipfile.ZipFile(path) as archive:
            _kind_of_zip(set(archive.namelist()), name)
            _check_directory(archive, name)
            counts = {"elements": 0, "cells": 0}
            for info in archive.infolist():
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    _scan_xml(archive, info, name, counts)
    except UserError:
        raise
    except DefusedXmlException:
        raise _refuse(name, "tệp chứa khai báo thực thể XML (DTD/ENTITY) không được phép.") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ParseError, EOFError, ValueError, NotImplementedError):
        raise _refuse(name, "đây không phải tệp Excel (.xlsx) hợp lệ, hoặc tệp đã bị hỏng "
                            "(có thể là tệp khác bị đổi tên thành .xlsx).") from None
    except OSError as exc:
        raise UserError(f"Không đọc được tệp «{name}»: {exc.strerror or exc}.") from None
