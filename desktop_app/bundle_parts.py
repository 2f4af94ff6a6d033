"""Bundles split into parts for weak links: each part checks itself and names its bundle.

A part is a small zip with ``part.json`` (bundle id, part number, part count, SHA-256 of the
whole bundle and of this chunk) and ``chunk.bin``. Parts may arrive in any order, twice, or
on different days: they wait in the data folder until all are there, then the bundle is
assembled, verified like any bundle, and imported.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from desktop_app.atomic import write_bytes_atomic
from desktop_app.errors import UserError

PART_FORMAT = "baocaoxa.bundle-part"
PART_META = "part.json"
PART_CHUNK = "chunk.bin"
MAX_PARTS = 999


def parse_size(text: str) -> int:
    """``200KB``, ``1MB``, ``1,5MB`` or plain bytes → bytes (at least 1 KB)."""
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*(B|KB|K|MB|M|GB|G)?\s*", text.upper())
    if not match:
        raise UserError(f"Không hiểu cỡ «{text}». Ví dụ đúng: 200KB, 1MB.")
    number = float(match.group(1).replace(",", "."))
    unit = {"B": 1, None: 1, "K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2, "G": 1024**3, "GB": 1024**3}
    size = int(number * unit[match.group(2)])
    if size < 1024:
        raise UserError("Mỗi phần phải lớn ít nhất 1KB.")
    return size


def split(data: bytes, bundle_id: str, size: int, label: str | None = None) -> list[bytes]:
    """``label`` (file name and sending unit) lets the receiver say whose parts are still missing."""
    chunk_size = max(size - 1024, 512)  # room for the part's own small header
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] or [b""]
    if len(chunks) > MAX_PARTS:
        raise UserError(f"Cỡ mỗi phần quá nhỏ: gói sẽ thành {len(chunks)} phần (tối đa {MAX_PARTS}).")
    whole = hashlib.sha256(data).hexdigest()
    parts = []
    for index, chunk in enumerate(chunks, start=1):
        meta = {"format": PART_FORMAT, "bundle_id": bundle_id, "index": index, "count": len(chunks),
                "bundle_sha256": whole, "chunk_sha256": hashlib.sha256(chunk).hexdigest(), "label": label}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(PART_META, json.dumps(meta))
            archive.writestr(PART_CHUNK, chunk)
        parts.append(buffer.getvalue())
    return parts


def write_parts(target: Path, parts: list[bytes]) -> list[Path]:
    paths = []
    for index, data in enumerate(parts, start=1):
        path = target.with_name(f"{target.stem}.phan-{index:03d}-tren-{len(parts):03d}{target.suffix or '.zip'}")
        write_bytes_atomic(path, data)
        paths.append(path)
    return paths


@dataclass
class Part:
    bundle_id: str
    index: int
    count: int
    bundle_sha256: str
    chunk: bytes
    label: str = ""

    @property
    def name(self) -> str:
        return f"«{self.label}»" if self.label else f"gói {self.bundle_id[:8]}…"


def read_part(path: Path) -> Part | None:
    """A verified part, or None when the file is not a part (maybe a whole bundle). Raises on a bad part."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = archive.namelist()
            if names != [PART_META, PART_CHUNK]:
                return None
            meta = json.loads(archive.read(PART_META).decode("utf-8"))
            chunk = archive.read(PART_CHUNK)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, zlib.error, UnicodeDecodeError):
        raise UserError(f"Phần gói «{path.name}» bị hỏng.") from None
    ok = (isinstance(meta, dict) and meta.get("format") == PART_FORMAT and isinstance(meta.get("bundle_id"), str)
          and re.fullmatch(r"[0-9a-f]{32}", meta["bundle_id"]) and isinstance(meta.get("index"), int)
          and isinstance(meta.get("count"), int) and 1 <= meta["index"] <= meta["count"] <= MAX_PARTS)
    if not ok:
        raise UserError(f"Phần gói «{path.name}» có phần mô tả không hợp lệ.")
    if hashlib.sha256(chunk).hexdigest() != meta.get("chunk_sha256"):
        raise UserError(f"Phần gói «{path.name}» không khớp mã kiểm tra (bị hỏng khi truyền). Hãy nhận lại phần này.")
    label = meta.get("label") if isinstance(meta.get("label"), str) else ""
    label = "".join(ch for ch in label if ch.isprintable())[:120]  # shown to the person: nothing odd
    return Part(meta["bundle_id"], meta["index"], meta["count"], str(meta.get("bundle_sha256")), chunk, label)


class PartStore:
    """Parts waiting in the data folder (``parts/<bundle id>/NNN.bin``) until the bundle is whole."""

    def __init__(self, data_dir: Path):
        self.root = data_dir / "parts"

    def keep(self, part: Part) -> None:
        folder = self.root / part.bundle_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "count").write_text(f"{part.count} {part.bundle_sha256}", encoding="ascii")
        (folder / "label").write_text(part.name, encoding="utf-8")
        target = folder / f"{part.index:03d}.bin"
        if not target.exists():  # the same part twice: keep the first
            write_bytes_atomic(target, part.chunk)

    def missing(self, bundle_id: str) -> tuple[list[int], int]:
        folder = self.root / bundle_id
        count = int((folder / "count").read_text(encoding="ascii").split()[0])
        have = {int(p.stem) for p in folder.glob("*.bin")}
        return [i for i in range(1, count + 1) if i not in have], count

    def name(self, bundle_id: str) -> str:
        try:
            return (self.root / bundle_id / "label").read_text(encoding="utf-8")
        except OSError:
            return f"gói {bundle_id[:8]}…"

    def assemble(self, bundle_id: str) -> Path:
        folder = self.root / bundle_id
        count_text, expected = (folder / "count").read_text(encoding="ascii").split()
        data = b"".join((folder / f"{i:03d}.bin").read_bytes() for i in range(1, int(count_text) + 1))
        if hashlib.sha256(data).hexdigest() != expected:
            raise UserError(f"Các phần của gói {bundle_id[:8]}… ghép lại không khớp mã kiểm tra. Hãy nhận lại các phần.")
        path = self.root / f"{bundle_id}.zip"
        write_bytes_atomic(path, data)
        return path

    def forget(self, bundle_id: str) -> None:
        folder = self.root / bundle_id
        for path in folder.glob("*"):
            path.unlink(missing_ok=True)
        folder.rmdir()
        (self.root / f"{bundle_id}.zip").unlink(missing_ok=True)
