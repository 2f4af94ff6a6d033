"""Many bundles dropped on the window: checked by forked worker processes while the window's
operation thread applies them (the fork happens in a process with Qt and several threads)."""

from __future__ import annotations

import os

import pytest

from desktop_app.exchange import bundle_checks, bundle_import
from desktop_app.services import Workspace
from tests.test_bulk_import import workers_forced_and_traced
from tests.test_office_at_scale import office_bundles
from tests.ui.test_province_role import _drop
from ui.bundle_actions import ImportSummaryDialog
from ui.main_window import MainWindow


def test_bundles_dropped_on_the_window_are_checked_by_workers_and_all_applied(qtbot, tmp_path, monkeypatch):
    if not bundle_checks._can_fork():
        pytest.skip("worker processes are forked: POSIX only")
    paths = office_bundles(tmp_path / "goi", communes=24, edited_twice=2)
    monkeypatch.setattr(bundle_import, "CHUNK_BUNDLES", 5)
    monkeypatch.setattr(bundle_checks, "POOL_MIN_FILES", 10)
    checked_in = workers_forced_and_traced(monkeypatch)
    summaries: list[ImportSummaryDialog] = []
    monkeypatch.setattr(ImportSummaryDialog, "exec", lambda dialog: summaries.append(dialog) or 0)

    ws = Workspace(tmp_path / "tinh")
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.show()
    _drop(window, paths)
    qtbot.waitUntil(lambda: bool(summaries), timeout=60000)

    assert len(ws.store.reports_of_period(ws.reports()[0].template_id, [ws.reports()[0].period])) == 24
    assert len(ws.conflicts()) == 2  # the second of each pair of revision-2 bundles
    assert checked_in and os.getpid() not in checked_in  # every file was checked by a worker
