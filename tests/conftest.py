"""Shared fixtures: a fresh temporary data folder per test (as Vorta does)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# the cache of checked template texts goes to a folder of this run, not the user's cache folder
os.environ.setdefault("BAOCAOXA_CACHE_DIR", tempfile.mkdtemp(prefix="baocaoxa-test-cache-"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "resources" / "examples"
TEMPLATES = ROOT / "resources" / "templates"


# Run against SQLite and against the throwaway PostgreSQL server (skipped, with the reason, when
# none is running): the store, bundle, conflict and consolidation tests.
BOTH_STORES = {"tests.test_store", "tests.test_bundles", "tests.test_bundle_trust", "tests.test_consolidation",
               "tests.test_previous_period", "tests.test_query_count"}


def pytest_generate_tests(metafunc):
    """Every test of those modules, and elsewhere a test that names ``store_backend`` itself."""
    import inspect

    named = "store_backend" in inspect.signature(metafunc.function).parameters
    if "store_backend" in metafunc.fixturenames and (named or metafunc.module.__name__ in BOTH_STORES):
        metafunc.parametrize("store_backend", ["sqlite", "postgresql"], indirect=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: about the SQLite file itself (copies, damage, locks)")


@pytest.fixture(autouse=True)
def store_backend(request, monkeypatch):
    """Which store every Workspace/Store of the test opens: ``sqlite`` (the data folder's file)
    or ``postgresql`` (a fresh schema on the test server for each data folder)."""
    monkeypatch.delenv("BAOCAOXA_DATABASE", raising=False)
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield backend
        return
    from tests import pg

    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("about the SQLite file itself")
    if not pg.server_url():
        pytest.skip(pg.SKIP_REASON)
    from db import server

    schemas = pg.Schemas()
    monkeypatch.setattr(server, "configured_url", schemas.url_for)
    yield backend
    import gc

    gc.collect()  # engines of stores a test forgot to close let go of their connections
    schemas.drop_all()


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


@contextlib.contextmanager
def statements_sent(store) -> Iterator[list[str]]:
    """Every SQL statement ``store`` sends while the block runs, in order."""
    statements: list[str] = []
    store.db.listeners.append(statements.append)
    try:
        yield statements
    finally:
        store.db.listeners.remove(statements.append)


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.json"))


def load_example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ntm_template(tmp_path_factory):
    """The installed NTM criterion-8 template (its newest version)."""
    from desktop_app.services import Workspace

    ws = Workspace(tmp_path_factory.mktemp("mau"))
    try:
        return ws.template("ntm-tieu-chi-8")
    finally:
        ws.close()
