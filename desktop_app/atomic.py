"""Atomic file writes: a file under its final name is always complete.

Write to a temporary file in the same folder, flush and fsync it, then rename over the
target (atomic on one file system). A pulled USB stick or a full disk leaves at most a
temporary file behind — never a half-written report — and the person gets a Vietnamese
message saying what happened.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from desktop_app.errors import UserError


def _message(exc: OSError, target: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"Không lưu được «{target.name}»: ổ đĩa hoặc USB đã đầy. Hãy xóa bớt tệp hoặc chọn nơi lưu khác."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Không có quyền ghi vào «{target.parent}». Hãy chọn thư mục khác (USB có thể đang khóa ghi)."
    if exc.errno == errno.EISDIR or target.is_dir():
        return f"«{target}» là một thư mục. Hãy ghi rõ tên tệp, ví dụ «{target / 'bao-cao'}»."
    if exc.errno == errno.ENOENT and not target.parent.exists():
        return (f"Thư mục «{target.parent}» không có (hoặc USB vừa bị rút). Hãy chọn một thư mục có sẵn, "
                "hoặc cắm lại USB và thử lại.")
    if exc.errno in (errno.ENOENT, errno.ENODEV, errno.EIO, errno.ENXIO):
        return f"Không ghi được vào «{target.parent}»: thư mục không còn (USB đã bị rút?). Hãy cắm lại và thử lại."
    return f"Không lưu được «{target.name}»: {exc.strerror or exc}."


def write_atomic(target: str | os.PathLike, produce: Callable[[BinaryIO], object]) -> Path:
    """Call ``produce(file)`` to write the content, then move it into place atomically."""
    target = Path(target)
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            produce(handle)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); an exported report is an ordinary file.
        os.chmod(tmp_name, stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644)
        os.replace(tmp_name, target)
        tmp_name = None
        _fsync_folder(target.parent)
    except OSError as exc:
        raise UserError(_message(exc, target)) from exc
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass  # the stick is gone; nothing more we can do
    return target


def write_bytes_atomic(target: str | os.PathLike, data: bytes) -> Path:
    return write_atomic(target, lambda handle: handle.write(data))


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows has no directory handles for this."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
