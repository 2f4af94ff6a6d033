"""Behaviours a first user review asked for: nothing unreadable finalised, failures shown, no stray edits."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from desktop_app.errors import UserError
from desktop_app.services import Workspace
from tests.ui.helpers import clear_and_type, leave, type_text
from tests.ui.test_editor_flow import _install_all_kinds, _open_new_report


def _ready(qtbot, data_dir):
    _install_all_kinds(data_dir)
    ws = Workspace(data_dir)
    ws.set_unit("21073", scheme="truoc-2025")
    window, rid = _open_new_report(qtbot, ws)
    return ws, window, rid


def test_unreadable_input_blocks_finalising_and_is_listed(qtbot, data_dir):
    ws, window, rid = _ready(qtbot, data_dir)
    page = window.editor.pages[1]
    type_text(page.widgets["so_nguyen"].edit, "7")
    leave(page.widgets["so_nguyen"].edit)
    clear_and_type(page.widgets["so_nguyen"].edit, "7 thôn")
    leave(page.widgets["so_nguyen"].edit)
    editor = window.editor
    editor.show_page(editor.page_count - 1)
    texts = [editor.review.list.item(i).text() for i in range(editor.review.list.count())]
    assert any(t.startswith("✗") and "Số nguyên" in t and "7 thôn" in t for t in texts)
    assert not editor.review.finalise.isEnabled()
    editor.finalise()
    assert ws.report(rid)[0].status == "draft"
    window.close()
    ws.close()


def test_a_failed_save_is_shown_beside_the_field(qtbot, data_dir, monkeypatch):
    ws, window, rid = _ready(qtbot, data_dir)

    def disk_full(*_a, **_k):
        raise UserError("Không ghi được vào cơ sở dữ liệu (ổ đĩa đầy, tệp bị khóa hoặc hỏng).")

    monkeypatch.setattr(ws, "store_value", disk_full)
    widget = window.editor.pages[1].widgets["ngan"]
    type_text(widget.edit, "Thôn Mỹ Long")
    leave(widget.edit)
    assert widget.message.text() and "ổ đĩa đầy" in widget.message.text()
    assert "ngan" not in window.editor.session.values  # memory never claims what the disk did not take
    window.close()
    ws.close()


def test_document_details_are_saved_on_close(qtbot, data_dir):
    ws, window, rid = _ready(qtbot, data_dir)
    window.editor.show_page(0)
    page = window.editor.document_page
    type_text(page.edits["number"], "255")
    page.recipients.selectAll()  # typed over the default recipients, key by key
    type_text(page.recipients, "Sở Khoa học và Công nghệ\nLưu: VT")
    window.close()
    document = ws.report(rid)[0].document
    assert document.number == "255" and document.recipients == ("Sở Khoa học và Công nghệ", "Lưu: VT")
    ws.close()


def test_wheel_over_an_unfocused_choice_changes_nothing(qtbot, data_dir):
    ws, window, rid = _ready(qtbot, data_dir)
    box = window.editor.pages[1].widgets["lua_chon"].box
    window.editor.pages[1].widgets["ngan"].edit.setFocus()
    event = QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(box, event)
    assert box.currentIndex() == 0 and "lua_chon" not in ws.report(rid)[0].values
    window.close()
    ws.close()


def test_same_report_period_twice_is_refused(workspace):
    workspace.set_unit("21073", scheme="truoc-2025")
    workspace.new_report("cao-diem-dvctt", "2023-09")
    try:
        workspace.new_report("cao-diem-dvctt", "2023-09")
    except UserError as exc:
        assert "Đã có báo cáo" in exc.message
    else:
        raise AssertionError("a second report for the same period was created")


def test_qt_own_strings_are_vietnamese(qtbot):
    from ui import qt_vietnamese

    qt_vietnamese.install(QApplication.instance())
    assert QCoreApplication.translate("QLineEdit", "&Copy") == "&Sao chép"
    assert QCoreApplication.translate("QWidgetTextControl", "Select All") == "Chọn tất cả"


def test_data_menu_backup_restore_and_check(qtbot, data_dir, message_boxes):
    import json

    from tests.conftest import EXAMPLES
    from ui.dialogs import RestoreDialog
    from ui.main_window import MainWindow

    ws = Workspace(data_dir)
    rid, _ = ws.import_document(json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8")))
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.backup_now()  # on the operations worker: the window never freezes
    qtbot.waitUntil(lambda: bool(message_boxes) and "Đã tạo bản sao lưu" in message_boxes[-1], timeout=10000)
    ws.set_values(rid, {"rut_ho_so": 9})
    dialog = RestoreDialog(ws, window)
    qtbot.addWidget(dialog)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    row = next(i for i, t in enumerate(texts) if "do người dùng tạo" in t)
    dialog.list.setCurrentRow(row)
    dialog.accept()
    assert ws.report(rid)[0].values["rut_ho_so"] == 3
    window.check_database()
    qtbot.waitUntil(lambda: "không phát hiện lỗi" in message_boxes[-1], timeout=10000)
    window.close()
    ws.close()
