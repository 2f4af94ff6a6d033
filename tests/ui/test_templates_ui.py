"""«Cài mẫu báo cáo…» in the window: checked first, every problem shown, the list updated."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog

from tests.test_expressions_and_templates import MINIMAL
from ui.templates_dialog import TemplatesDialog


def test_install_from_the_window_shows_problems_then_installs(qtbot, workspace, monkeypatch, tmp_path):
    from ui import common, templates_dialog

    bad = tmp_path / "hong.yaml"
    bad.write_text(MINIMAL.replace("a + b", "a +").replace('"a >= b"', '"a >= zz"'), encoding="utf-8")
    good = tmp_path / "mau.yaml"
    good.write_text(MINIMAL, encoding="utf-8")
    chosen = [str(bad), str(good), str(good)]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (chosen.pop(0), ""))
    errors, infos = [], []
    monkeypatch.setattr(common, "show_error", lambda _p, error, **k: errors.append(error))
    monkeypatch.setattr(templates_dialog, "info", lambda _p, _t, text: infos.append(text))
    dialog = TemplatesDialog(workspace)
    qtbot.addWidget(dialog)
    dialog.show()
    titles = [dialog.tree.topLevelItem(i).text(0) for i in range(dialog.tree.topLevelItemCount())]
    assert "Báo cáo thử nghiệm (thu-nghiem)" not in titles
    dialog.install_button.click()
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert "có 2 vấn đề nên chưa cài" in errors[0].message and len(errors[0].details) == 2
    assert "không có trường nào tên «zz»" in errors[0].details[1]
    assert not (workspace.data_dir / "templates").exists()
    dialog.install_button.click()
    qtbot.waitUntil(lambda: bool(infos), timeout=10000)
    assert infos[0].startswith("Đã cài mẫu «Báo cáo thử nghiệm» phiên bản 1.0")
    titles = [dialog.tree.topLevelItem(i).text(0) for i in range(dialog.tree.topLevelItemCount())]
    assert "Báo cáo thử nghiệm (thu-nghiem)" in titles
    dialog.install_button.click()
    qtbot.waitUntil(lambda: len(infos) == 2, timeout=10000)
    assert "không thay đổi gì" in infos[1]
