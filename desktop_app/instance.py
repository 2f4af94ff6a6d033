"""One desktop window per data folder: a lock file held with an OS lock while the app runs.

The OS releases the lock when the process ends, even after a crash or a power cut, so a
stale lock file never keeps anyone out.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import BinaryIO

from desktop_app.errors import UserError

LOCK_NAME = ".baocaoxa.lock"


class InstanceLock:
    def __init__(self, folder: Path):
        self.path = Path(folder) / LOCK_NAME
        self._handle: BinaryIO | None = None

    def acquire(self) -> bool:
        """True when held; False when another process holds it; UserError when the folder
        cannot be written (a read-only stick or CD: said so, not a crash)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+b")  # noqa: SIM115 - held open for the life of the app
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                from db.preflight import read_only_message  # imports SQLAlchemy: only when needed

                raise UserError(read_only_message(self.path.parent)) from exc
            raise UserError(f"Không ghi được vào thư mục dữ liệu {self.path.parent}: {exc.strerror}") from exc
        try:
            if sys.platform == "win32":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file releases the OS lock
            self._handle = None
