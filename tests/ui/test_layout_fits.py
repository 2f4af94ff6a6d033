"""Usable at 1366×768 with 100%, 125% and 150% text scaling: no page needs horizontal scrolling."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

SCRIPT = textwrap.dedent("""
    import json, sys, tempfile
    from desktop_app.paths import resource
    from desktop_app.services import Workspace
    from ui.app import _application
    from ui.main_window import MainWindow
    app = _application()
    scale = float(sys.argv[1])
    width, height = int(1366 / scale), int(728 / scale)
    problems = []
    with tempfile.TemporaryDirectory() as folder:
        ws = Workspace(folder)
        ws.set_unit("21448", scheme="truoc-2025", villages=["Thôn An Thạch", "Thôn Hiệp An"])
        window = MainWindow(ws)
        window.resize(width, height)
        window.show()
        app.processEvents()
        if window.minimumSizeHint().width() > width or window.minimumSizeHint().height() > height:
            problems.append(f"main window needs {window.minimumSizeHint().toTuple()} > {(width, height)}")
        from ui.setup_wizard import SetupWizard
        wizard = SetupWizard(ws, window)
        if wizard.minimumSize().height() > height or wizard.minimumSizeHint().height() > height:
            problems.append(f"setup wizard needs height {max(wizard.minimumSize().height(), wizard.minimumSizeHint().height())} > {height}")
        if wizard.minimumSizeHint().width() > width:
            problems.append(f"setup wizard needs width {wizard.minimumSizeHint().width()} > {width}")
        for path in sorted(resource("examples").glob("*.json")):
            rid, _ = ws.import_document(json.loads(path.read_text(encoding="utf-8")))
            window.open_report(rid)
            editor = window.editor
            for index in range(editor.page_count):
                editor.show_page(index)
                app.processEvents()
                if window.minimumSizeHint().height() > height:
                    problems.append(f"{path.name} page {index}: window needs height {window.minimumSizeHint().height()} > {height}")
                if window.width() > width or window.minimumSizeHint().width() > width:
                    problems.append(f"{path.name} page {index}: window needs {window.minimumSizeHint().width()} > {width}")
                page = editor.pages.get(index)
                if page is not None and page.widget().minimumSizeHint().width() > page.viewport().width():
                    problems.append(f"{path.name} page {index}: content {page.widget().minimumSizeHint().width()} "
                                    f"> viewport {page.viewport().width()}")
            window.close_editor()
        from desktop_app.exchange.bundles import ImportSummary
        from ui.bundle_actions import ExportBundleDialog, ImportSummaryDialog
        from ui.conflicts_dialog import ConflictsDialog
        from ui.consolidation_view import ConsolidationDialog
        summary = ImportSummary(new=["Xã A — Tiêu chí 8 — năm 2025"] * 40, conflicts=["Xã B"], rejected=["hong.zip"])
        for name, dialog in (("consolidation", ConsolidationDialog(ws, window)), ("conflicts", ConflictsDialog(ws, window)),
                             ("export bundle", ExportBundleDialog("Tiêu chí 8 NTM — năm 2025", window)),
                             ("import summary", ImportSummaryDialog(summary, window))):
            hint = dialog.minimumSizeHint()
            if hint.width() > width or hint.height() > height:
                problems.append(f"{name} dialog needs {hint.toTuple()} > {(width, height)}")
        window.close()
        ws.close()
    print("\\n".join(problems) or "OK")
""")


@pytest.mark.slow  # renders every page and dialog in a child process, at three scales
@pytest.mark.parametrize("scale", ["1", "1.25", "1.5"])
def test_every_page_fits_1366x768(scale):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=scale)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, scale], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "OK", proc.stdout
