"""The window's side of authenticity: a held bundle shown in the summary and decided in the
senders dialog, and names from bundles shown as plain text, never rich text."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from desktop_app.domain import units
from desktop_app.services import Workspace
from tests.conftest import EXAMPLES
from tests.ui.helpers import focused, press
from ui import senders_dialog
from ui.bundle_actions import ImportSummaryDialog
from ui.senders_dialog import SendersDialog

QUANG_NGAI = units.communes("51")


def _bundle(tmp_path, folder: str, name: str):
    ws = Workspace(tmp_path / folder)
    try:
        ws.set_unit(QUANG_NGAI[0].code)
        doc = json.loads((EXAMPLES / "ntm-tieu-chi-8.json").read_text(encoding="utf-8"))
        doc["unit"], doc["period"] = QUANG_NGAI[0].as_profile().to_json(), "2025"
        ws.import_document(doc)
        ws.export_bundle(tmp_path / name)
        return tmp_path / name, ws.signing_key().fingerprint
    finally:
        ws.close()


@pytest.fixture
def province(tmp_path):
    ws = Workspace(tmp_path / "tinh")
    ws.set_unit("51")
    yield ws
    ws.close()


def test_a_held_bundle_is_shown_and_accepted_from_the_window(qtbot, tmp_path, province, monkeypatch):
    first, old = _bundle(tmp_path, "may-cu", "1.zip")
    second, new = _bundle(tmp_path, "may-moi", "2.zip")
    province.import_bundles([first])
    summary = province.import_bundles([second])
    dialog = ImportSummaryDialog(summary, None)
    qtbot.addWidget(dialog)
    texts = [w.text() for w in dialog.findChildren(QLabel)]
    assert any("khóa khác: máy mới hay giả mạo?" in t for t in texts)
    monkeypatch.setattr(senders_dialog, "confirm", lambda *a, **k: True)
    monkeypatch.setattr(ImportSummaryDialog, "exec", lambda self: 0)
    senders = SendersDialog(province, None)
    qtbot.addWidget(senders)
    assert senders.held.count() == 1 and new in senders.held.item(0).text()
    assert province.signing_key().fingerprint in " ".join(w.text() for w in senders.findChildren(QLabel))
    senders.accept_button.click()
    assert senders.held.count() == 0 and len(senders.summaries[0].new) == 1
    states = {senders.table.item(r, 2).text(): senders.table.item(r, 3).text() for r in range(senders.table.rowCount())}
    assert states == {old: "Thôi dùng", new: "Tin cậy"}


def test_the_unsigned_setting_is_a_checkbox(qtbot, province):
    dialog = SendersDialog(province, None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    assert province.setting("allow_unsigned_bundles") is not True
    dialog.allow_unsigned.setFocus()
    assert focused() is dialog.allow_unsigned
    press(Qt.Key.Key_Space)
    assert province.setting("allow_unsigned_bundles") is True


def test_names_are_shown_as_plain_text(qtbot):
    from ui.common import label

    widget = label("<img src=x><b>Xã Giả</b>")
    qtbot.addWidget(widget)
    assert widget.textFormat() == Qt.TextFormat.PlainText
    seen = []
    import ui.common as common

    original = QMessageBox.exec
    try:
        QMessageBox.exec = lambda self: seen.append(self.textFormat()) or 0
        common.info(None, "Tiêu đề", "<b>Xã Giả</b>")
        common.confirm(None, "Tiêu đề", "<b>Xã Giả</b>")
        common.show_error(None, ValueError("<b>x</b>"))
    finally:
        QMessageBox.exec = original
    assert seen == [Qt.TextFormat.PlainText] * 3
