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


def resource_root() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return resource_root().joinpath(*parts)


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """``--data-dir`` wins, then ``BAOCAOXA_DATA_DIR``, then the platform's user data folder."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False, roaming=False))
