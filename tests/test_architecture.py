"""The layers stay apart: core and storage never import Qt; the UI never speaks SQL."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import ROOT


def test_import_linter_contracts_hold():
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_core_runs_with_qt_unavailable(tmp_path):
    """Run real CLI commands in a process where importing PySide6 fails."""
    script = textwrap.dedent(f"""
        import sys
        sys.modules["PySide6"] = None  # any 'import PySide6' now raises ImportError
        sys.modules["shiboken6"] = None
        from desktop_app.cli import main
        codes = [
            main(["--data-dir", {str(tmp_path)!r}, "templates", "list"]),
            main(["--data-dir", {str(tmp_path)!r}, "unit", "set", "--code", "21073", "--legacy"]),
            main(["--data-dir", {str(tmp_path)!r}, "report", "new", "--template", "cao-diem-dvctt",
                  "--period", "2023-09"]),
            main(["--data-dir", {str(tmp_path)!r}, "report", "validate", "1"]),
        ]
        import desktop_app.documents.content, desktop_app.services, db.store  # noqa: F401
        assert not any(m.startswith("PySide6") and sys.modules[m] is not None for m in sys.modules)
        print("codes", codes)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "codes [0, 0, 0, 1]" in proc.stdout
