"""The window asks before an imported JSON file replaces a report already here."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QFileDialog

from tests.conftest import EXAMPLES
from ui.main_window import MainWindow


def test_import_json_over_existing_asks_and_keeps_on_no(qtbot, workspace, monkeypatch, tmp_path):
    from ui import main_window as mw

    example = json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8"))
    rid, _ = workspace.import_document(example)
    changed = tmp_path / "khac.json"
    changed.write_text(json.dumps(dict(example, values={**example["values"], "tiep_nhan_truc_tiep": 7}),
                                  ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(changed), ""))
    questions, answers, shown = [], [False, True], []
    monkeypatch.setattr(mw, "confirm", lambda _p, title, text, **k: questions.append(text) or answers.pop(0))
    monkeypatch.setattr(mw, "info", lambda _p, title, text: shown.append(text))
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.import_json()
    qtbot.waitUntil(lambda: len(questions) == 1, timeout=10000)
    assert f"số {rid}" in questions[0] and "Thay toàn bộ nội dung" in questions[0]
    assert workspace.store.get_report(rid).values["tiep_nhan_truc_tiep"] != 7  # «Không nhập»: nothing changed
    window.import_json()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert shown == [f"Đã thay nội dung báo cáo số {rid}."]
    assert workspace.store.get_report(rid).values["tiep_nhan_truc_tiep"] == 7
