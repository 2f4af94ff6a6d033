"""The staff member this PC's audit entries name.

Several staff of a province office may share one PostgreSQL database, each from their own PC,
so the name is kept per data folder (``can-bo.txt``), not in the store. It is chosen in the
window ("Cơ sở dữ liệu dùng chung…") or with ``baocaoxa database staff "Tên"``; ``--staff``
overrides it for one run; with neither, the computer's user name is recorded.
"""

from __future__ import annotations

import getpass
import unicodedata
from pathlib import Path

from desktop_app.domain.text import nfc
from desktop_app.errors import UserError

STAFF_FILE = "can-bo.txt"
MAX_NAME = 128


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some Windows setups
        return ""


def clean_name(text: str) -> str:
    """A name as it is recorded: NFC, single spaces; refused when too long or not printable."""
    name = " ".join(nfc(str(text)).split())
    if len(name) > MAX_NAME:
        raise UserError(f"Tên cán bộ dài quá {MAX_NAME} ký tự.")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise UserError("Tên cán bộ có ký tự không in được.")
    return name


def saved_name(data_dir: Path) -> str:
    """The name chosen on this PC ('' when none, or when the file cannot be read)."""
    try:
        text = (Path(data_dir) / STAFF_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    try:
        return clean_name(text.splitlines()[0] if text.strip() else "")
    except UserError:
        return ""  # a hand-edited file with junk: fall back rather than refuse to start


def save_name(data_dir: Path, text: str) -> str:
    """Keep ``text`` as this PC's staff name (empty: forget it). Returns the cleaned name."""
    name = clean_name(text)
    path = Path(data_dir) / STAFF_FILE
    if not name:
        path.unlink(missing_ok=True)
        return ""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(name + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise UserError(f"Không ghi được tên cán bộ vào thư mục dữ liệu {data_dir}: {exc.strerror or exc}.") from None
    return name


def recorded_name(data_dir: Path, given: str | None) -> str:
    """Who the audit log names: ``given`` (``--staff``), else this PC's chosen name, else the OS user."""
    if given is not None:
        return " ".join(nfc(given).split())[:MAX_NAME]
    return saved_name(data_dir) or os_user()[:MAX_NAME]
