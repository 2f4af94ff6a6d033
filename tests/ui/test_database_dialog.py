"""Choosing the shared PostgreSQL database from the window (typed into the focused field)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests import pg
from tests.ui.helpers import focused, keys, press


@pytest.fixture
def dialog(qtbot, workspace):
    from ui.database_dialog import DatabaseDialog

    box = DatabaseDialog(workspace)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    box.activateWindow()
    box.url.setFocus()
    return box


def test_an_unreachable_server_is_said_and_nothing_is_saved(dialog, data_dir, message_boxes):
    assert focused().objectName() == "database_url"
    keys("postgresql://canbo:MatKhau-77@127.0.0.1:9/baocaoxa")
    press(Qt.Key.Key_Return)
    assert any("không kết nối được máy chủ" in m for m in message_boxes)
    assert not any("MatKhau-77" in m for m in message_boxes)
    assert not (data_dir / "co-so-du-lieu.txt").exists()
    assert dialog.isVisible()  # the person can correct the address


def test_a_reachable_database_is_used_from_the_next_start(dialog, data_dir, message_boxes):
    if not pg.server_url():
        pytest.skip(pg.SKIP_REASON)
    from desktop_app.services import Workspace

    url = pg.fresh_database()
    try:
        keys(url)
        press(Qt.Key.Key_Return)
        assert any("Đã kết nối cơ sở dữ liệu dùng chung" in m and "mở lại" in m for m in message_boxes)
        assert (data_dir / "co-so-du-lieu.txt").read_text(encoding="utf-8").strip() == url
        ws = Workspace(data_dir)
        try:
            assert ws.store.is_shared
        finally:
            ws.close()
    finally:
        pg.drop_database(url)


def test_back_to_this_pcs_file(dialog, data_dir, message_boxes):
    (data_dir / "co-so-du-lieu.txt").write_text("postgresql://canbo@may-chu/baocaoxa\n", encoding="utf-8")
    from PySide6.QtWidgets import QPushButton

    button = dialog.findChild(QPushButton, "database_local")
    button.setFocus()
    press(Qt.Key.Key_Space)
    assert not (data_dir / "co-so-du-lieu.txt").exists()
    assert any("SQLite" in m for m in message_boxes)


def test_the_staff_name_typed_here_is_recorded_from_now_on(dialog, workspace, data_dir, message_boxes):
    keys("postgresql://canbo@127.0.0.1:9/baocaoxa")  # typed, not confirmed: Enter in the name must not connect
    for _ in range(8):  # Tab along the dialog to the name field, as a person does
        if focused().objectName() == "staff_name":
            break
        press(Qt.Key.Key_Tab)
    assert focused().objectName() == "staff_name"
    keys("Nguyễn Thị Hoa")
    press(Qt.Key.Key_Return)
    assert (data_dir / "can-bo.txt").read_text(encoding="utf-8").strip() == "Nguyễn Thị Hoa"
    assert any("«Nguyễn Thị Hoa»" in m for m in message_boxes)
    assert not any("kết nối" in m.lower() for m in message_boxes)  # Enter did not also press "Kết nối và dùng"
    assert not (data_dir / "co-so-du-lieu.txt").exists()
    assert workspace.who == "Nguyễn Thị Hoa"
    import json

    from tests.conftest import EXAMPLES

    workspace.import_document(json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8")))
    assert {entry.who for entry in workspace.store.audit()} == {"Nguyễn Thị Hoa"}
