"""The one place that knows where files live: bundled resources and the data folder.

Resources are found next to the source tree, or inside a PyInstaller bundle
(``sys._MEIPASS``); nothing else in the code checks for a frozen build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_DIR_NAME = "BaoCaoXa"
DATA_DIR_ENV = "BAOCAOXA_DATA_DIR"
PORTABLE_MARKER = "portable.txt"
PORTABLE_DATA = "data"


def resource_root() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return resource_root().joinpath(*parts)


def app_dir() -> Path:
    """The folder the program runs from: beside the executable when packaged."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return resource_root().parent


def portable_data_dir(folder: Path | None = None) -> Path | None:
    """Portable mode (run from a USB stick): ``portable.txt`` or a ``data/`` folder beside the program."""
    folder = folder or app_dir()
    if (folder / PORTABLE_MARKER).exists() or (folder / PORTABLE_DATA).is_dir():
        return folder / PORTABLE_DATA
    return None


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """``--data-dir``, then ``BAOCAOXA_DATA_DIR``, then portable mode, then the user data folder."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    portable = portable_data_dir()
    if portable is not None:
        return portable
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False, roaming=False))
