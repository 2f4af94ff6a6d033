"""Shared fixtures: a fresh temporary data folder per test (as Vorta does)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "resources" / "examples"
TEMPLATES = ROOT / "resources" / "templates"


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("BAOCAOXA_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def workspace(data_dir):
    from desktop_app.services import Workspace

    ws = Workspace(data_dir, who="kiểm thử")
    yield ws
    ws.close()


@pytest.fixture
def cli(data_dir, capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""
    from desktop_app.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.json"))


def load_example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
