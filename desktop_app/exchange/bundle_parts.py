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
from collections.abc import Callable
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


MAX_PART_FILE = 110 * 1024 * 1024  # a part is at most a whole bundle (100 MB) plus its small header
MAX_META_BYTES = 4096
MAX_COPIES_BYTES = 200 * 1024 * 1024  # the parts (and extra copies) kept for one bundle
MAX_WAITING_BYTES = 2 * 1024 * 1024 * 1024  # every part waiting in the data folder
MAX_ASSEMBLY_TRIES = 16  # combinations of different copies of the same parts tried when assembling


def read_part(path: Path, on_other: Callable[[zipfile.ZipFile], None] | None = None) -> Part | None:
    """A verified part, or None when the file is not a part (maybe a whole bundle). Raises on a bad part.

    The size is taken from the filesystem before anything is read (a huge or sparse file is
    never read whole), and the chunk's declared size and compression ratio are bounded before
    it is unpacked (a chunk that would unpack to 1 GiB is refused at once)."""
    from desktop_app.exchange.bundle_reader import MAX_BUNDLE_BYTES, MAX_RATIO
    from desktop_app.exchange.bundle_schema import PartMeta, SchemaError, check
    from desktop_app.domain.text import terminal_safe

    shown = terminal_safe(path.name)
    try:
        if not path.is_file():
            return None
        size = path.stat().st_size
    except OSError:
        return None
    if size > MAX_PART_FILE:
        # Neither a part nor a bundle can be this large: let the bundle reader refuse it by its size.
        return None
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
                if on_other is not None and size <= MAX_BUNDLE_BYTES:
                    on_other(archive)  # a whole bundle, maybe: read what it claims while it is open
                return None
            meta_info, chunk_info = archive.getinfo(PART_META), archive.getinfo(PART_CHUNK)
            if meta_info.file_size > MAX_META_BYTES:
                raise UserError(f"Phần gói «{shown}» có phần mô tả quá lớn.")
            if chunk_info.file_size > MAX_BUNDLE_BYTES or (
                    chunk_info.compress_size and chunk_info.file_size / chunk_info.compress_size > MAX_RATIO
                    and chunk_info.file_size > 1024 * 1024):
                raise UserError(f"Phần gói «{shown}» chứa dữ liệu nén bất thường hoặc quá lớn (nghi «bom zip»), "
                                "bị từ chối.")
            with archive.open(PART_META) as member:
                meta_raw = member.read(MAX_META_BYTES + 1)
            with archive.open(PART_CHUNK) as member:
                chunk = member.read(MAX_BUNDLE_BYTES + 1)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, zlib.error, NotImplementedError,
            RuntimeError):
        raise UserError(f"Phần gói «{shown}» bị hỏng.") from None
    if len(meta_raw) > MAX_META_BYTES or len(chunk) > MAX_BUNDLE_BYTES:
        raise UserError(f"Phần gói «{shown}» lớn hơn kích thước nó ghi (bị từ chối).")
    try:
        meta = check(PartMeta, meta_raw)
    except SchemaError as exc:
        raise UserError(f"Phần gói «{shown}» có phần mô tả không hợp lệ: {exc}.") from None
    if meta.index > meta.count:
        raise UserError(f"Phần gói «{shown}» có phần mô tả không hợp lệ.")
    if hashlib.sha256(chunk).hexdigest() != meta.chunk_sha256:
        raise UserError(f"Phần gói «{shown}» không khớp mã kiểm tra (bị hỏng khi truyền). Hãy nhận lại phần này.")
    label = terminal_safe(meta.label or "")[:120]  # shown to the person: nothing odd
    return Part(meta.bundle_id, meta.index, meta.count, meta.bundle_sha256, chunk, label)


class PartStore:
    """Parts waiting in the data folder until the bundle is whole.

    One folder per bundle id, whole-bundle SHA-256 and part count (``parts/<id>-<sha>-<count>/``),
    so a forged part claiming another's bundle id, digest or count waits in a folder of its own.
    Every different copy of a part is kept (``NNN-<chunk sha>.bin``); assembling tries the newest copies first, so a bad
    copy that arrived first is replaced by the next copy that arrives."""

    def __init__(self, data_dir: Path):
        self.root = data_dir / "parts"
        self._waiting: int | None = None  # bytes of every kept part

    @staticmethod
    def key(part: Part) -> str:
        # Everything a part claims about its whole bundle names the folder: part.json is not
        # signed, so a copy claiming another digest or count waits apart instead of rewriting
        # what the genuine parts expect.
        return f"{part.bundle_id}-{part.bundle_sha256}-{part.count}"

    @staticmethod
    def _bytes(folder: Path, pattern: str) -> int:
        return sum(p.stat().st_size for p in folder.glob(pattern)) if folder.exists() else 0

    def _waiting_bytes(self) -> int:
        """Every kept part, counted once per import (then kept up to date by :meth:`keep`)."""
        if self._waiting is None:
            self._waiting = self._bytes(self.root, "*/*.bin")
        return self._waiting

    def keep(self, part: Part) -> str:
        """Keep a checked part; refuses one that would make the waiting parts take more disk than a
        bundle could need (chunks unpack up to 100 times their size: 999 small files could
        otherwise fill the office's disk)."""
        from desktop_app.exchange.bundle_reader import MAX_BUNDLE_BYTES

        key = self.key(part)
        folder = self.root / key
        if self._bytes(folder, "*.bin") + len(part.chunk) > MAX_COPIES_BYTES or \
                self._waiting_bytes() + len(part.chunk) > MAX_WAITING_BYTES:
            raise UserError(f"Phần gói {part.name}: các phần đang chờ ghép đã chiếm quá nhiều chỗ trên đĩa "
                            f"(mỗi gói tối đa {MAX_BUNDLE_BYTES // (1024 * 1024)} MB); phần này không được giữ lại.")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "count").write_text(f"{part.count} {part.bundle_sha256}", encoding="ascii")
        (folder / "label").write_text(part.name, encoding="utf-8")
        target = folder / f"{part.index:03d}-{hashlib.sha256(part.chunk).hexdigest()[:16]}.bin"
        if not target.exists():  # the same copy twice: kept once
            write_bytes_atomic(target, part.chunk)
            self._waiting = self._waiting_bytes() + len(part.chunk)
        else:
            target.touch()  # the copy that came last is tried first
        return key

    def _copies(self, folder: Path, index: int) -> list[Path]:
        return sorted(folder.glob(f"{index:03d}-*.bin"), key=lambda p: p.stat().st_mtime_ns, reverse=True)

    def missing(self, key: str) -> tuple[list[int], int]:
        folder = self.root / key
        count = int((folder / "count").read_text(encoding="ascii").split()[0])
        return [i for i in range(1, count + 1) if not self._copies(folder, i)], count

    def name(self, key: str) -> str:
        try:
            return (self.root / key / "label").read_text(encoding="utf-8")
        except OSError:
            return f"gói {key[:8]}…"

    def assemble(self, key: str) -> Path:
        import itertools

        from desktop_app.exchange.bundle_reader import MAX_BUNDLE_BYTES

        folder = self.root / key
        count_text, expected = (folder / "count").read_text(encoding="ascii").split()
        copies = [self._copies(folder, i) for i in range(1, int(count_text) + 1)]
        for choice in itertools.islice(itertools.product(*copies), MAX_ASSEMBLY_TRIES):
            if sum(p.stat().st_size for p in choice) > MAX_BUNDLE_BYTES:
                continue  # sizes from the filesystem: never assembled beyond a bundle's limit
            data = b"".join(p.read_bytes() for p in choice)
            if hashlib.sha256(data).hexdigest() == expected:
                path = self.root / f"{key}.zip"
                write_bytes_atomic(path, data)
                return path
        raise UserError(f"Các phần của {self.name(key)} ghép lại không khớp mã kiểm tra (có phần bị hỏng hoặc bị "
                        "giả). Các phần được giữ lại: hãy nhận lại những phần này, bản đến sau sẽ được dùng thay.")

    def forget(self, key: str) -> None:
        """Remove the kept parts of this bundle, and any other folder claiming the same bundle id."""
        bundle_id = key.split("-", 1)[0]
        for folder in list(self.root.glob(f"{bundle_id}-*")):
            if folder.is_dir():
                for path in folder.glob("*"):
                    path.unlink(missing_ok=True)
                folder.rmdir()
            else:
                folder.unlink(missing_ok=True)
