"""First run and the report list, driven as a person would."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from desktop_app.services import Workspace
from tests.ui.helpers import arrow_to, focused, keys, press, select_all_and_type
from ui.main_window import MainWindow
from ui.setup_wizard import SetupWizard


def test_first_run_setup_wizard(qtbot, data_dir):
    ws = Workspace(data_dir, who="kiểm thử")
    wizard = SetupWizard(ws)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.activateWindow()
    assert wizard.button(wizard.WizardButton.NextButton).text() == "Tiếp theo >"
    qtbot.waitUntil(lambda: QApplication.focusWidget() is wizard.role_page.commune, timeout=5000)
    press(Qt.Key.Key_Return)  # a commune: the report's author
    page = wizard.unit_page
    assert wizard.currentPage() is page and focused() is page.search
    page.legacy.setFocus()
    press(Qt.Key.Key_Space)  # the list from before 1 July 2025, with districts
    assert page.legacy.isChecked()
    page.province.setFocus()
    keys("quang ngai")
    assert page.province.currentData() == "51"
    page.search.setFocus()
    keys("Bình Phước")  # Vietnamese typed key by key
    assert page.results.count() == 1 and page.selected_unit().code == "21073"
    assert "mã 21073" in page.chosen.text()
    select_all_and_type("binh phuoc")  # without diacritics finds the same commune
    assert page.selected_unit().code == "21073"
    press(Qt.Key.Key_Return)
    people = wizard.people_page
    assert wizard.currentPage() is people
    QGuiApplication.clipboard().setText("Thôn An Điềm\nThôn Phước Hòa; Thôn Mỹ Long\n")
    people.villages.setFocus()
    press(Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)  # a pasted list
    press(Qt.Key.Key_Tab)
    assert focused() is people.signer
    keys("Ngô Văn Vương")
    press(Qt.Key.Key_Tab)
    assert focused() is people.signer_title
    select_all_and_type("CHỦ TỊCH")
    assert people.signer_title.currentText() == "CHỦ TỊCH"
    press(Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    press(Qt.Key.Key_Return)  # «Hoàn tất»
    assert not wizard.isVisible()
    profile = ws.profile()
    assert profile.name == "Xã Bình Phước" and profile.district_name == "Huyện Bình Sơn"
    assert profile.villages == ("Thôn An Điềm", "Thôn Phước Hòa", "Thôn Mỹ Long")
    assert profile.signer_name == "Ngô Văn Vương" and profile.signer_title == "CHỦ TỊCH"
    # editable later: the wizard opens pre-filled
    again = SetupWizard(ws)
    qtbot.addWidget(again)
    assert again.unit_page.selected_unit().code == "21073"
    assert again.people_page.signer.text() == "Ngô Văn Vương"
    ws.close()


def _show(qtbot, dialog) -> None:
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)


def _month(period, year: int, month: int) -> None:
    """A monthly period chosen with the keyboard: kind, year typed, month by the arrow keys."""
    arrow_to(period.kind, lambda text: text == "Tháng")
    period.year.setFocus()
    select_all_and_type(str(year))
    assert period.year.value() == year
    arrow_to(period.part, lambda text: text == f"Tháng {month}")


def test_report_list_new_duplicate_delete_restore(qtbot, workspace, monkeypatch):
    from ui import main_window as mw
    from ui.dialogs import DeletedReportsDialog, DuplicateDialog, NewReportDialog

    workspace.set_unit("21073", scheme="truoc-2025", villages=["Thôn 1", "Thôn 2"])
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    assert window.table.rowCount() == 0 and window.empty_hint.isVisible()

    dialog = NewReportDialog(workspace, window)
    qtbot.addWidget(dialog)
    _show(qtbot, dialog)
    box = dialog.template_box
    arrow_to(box, lambda text: text == box.itemText(box.findData("cao-diem-dvctt")))
    kinds = [dialog.period.kind.itemText(i) for i in range(dialog.period.kind.count())]
    assert kinds == ["Khoảng thời gian (từ ngày … đến ngày …)", "Tháng"]
    _month(dialog.period, 2023, 9)
    assert dialog.period.preview.text() == "Kỳ báo cáo: tháng 9 năm 2023"
    dialog.accept()
    window.refresh()
    assert window.table.rowCount() == 1
    assert window.table.item(0, 2).text() == "tháng 9 năm 2023"
    assert window.table.item(0, 3).text().startswith("Đang soạn")

    window.table.selectRow(0)
    duplicate = DuplicateDialog(workspace, window.selected_id(), window)
    qtbot.addWidget(duplicate)
    _show(qtbot, duplicate)
    _month(duplicate.period, 2023, 10)
    duplicate.accept()
    window.refresh()
    assert window.table.rowCount() == 2

    monkeypatch.setattr(mw, "confirm", lambda *a, **k: True)
    window.table.selectRow(0)
    window.delete_selected()
    assert window.table.rowCount() == 1
    deleted = DeletedReportsDialog(workspace, window)
    qtbot.addWidget(deleted)
    deleted.list.setCurrentRow(0)
    deleted.accept()
    window.refresh()
    assert window.table.rowCount() == 2


def test_window_titles_are_vietnamese(qtbot, workspace):
    workspace.set_unit("21073", scheme="truoc-2025")
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    # Qt adds the application name («… — BaoCaoXa») itself: the title must not carry it twice
    assert window.windowTitle().startswith("Báo cáo CNTT và chuyển đổi số — Xã Bình Phước")
    assert "BaoCaoXa" not in window.windowTitle()
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["Tệp", "Báo cáo", "Dữ liệu", "Đơn vị", "Trợ giúp"]
    assert window.table.horizontalHeaderItem(1).text() == "Loại báo cáo"
    assert Qt  # imported for readers: no English UI strings are expected anywhere


def test_wizard_pages_keep_qt_title_method(qtbot, data_dir):
    """An attribute named ``title`` hid QWizardPage.title() (issue 13)."""
    ws = Workspace(data_dir)
    wizard = SetupWizard(ws)
    qtbot.addWidget(wizard)
    for page_id in wizard.pageIds():
        assert isinstance(wizard.page(page_id).title(), str)
    ws.close()


def test_deleted_reports_show_local_time(qtbot, data_dir, monkeypatch):
    import datetime as dt
    import time

    from ui.dialogs import DeletedReportsDialog

    monkeypatch.setenv("TZ", "Asia/Ho_Chi_Minh")
    time.tzset()
    try:
        ws = Workspace(data_dir)
        ws.set_unit("21073", scheme="truoc-2025")
        rid = ws.new_report("ntm-tieu-chi-8", "2023-9M")
        ws.delete_report(rid)
        deleted_utc = ws.store.list_reports(include_deleted=True)[0].deleted_at  # stored in UTC
        dialog = DeletedReportsDialog(ws)
        qtbot.addWidget(dialog)
        local = deleted_utc + dt.timedelta(hours=7)
        assert ws.deleted_reports()[0].deleted_at == local  # the display record carries local time
        assert f"xóa lúc {local:%d/%m/%Y %H:%M}" in dialog.list.item(0).text()
        ws.close()
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_province_is_found_by_typing_without_diacritics(qtbot, data_dir):
    """Every province starts with «Tỉnh»/«Thành phố»: Qt's own type-to-find never reached one."""
    from tests.ui.helpers import focused, keys

    ws = Workspace(data_dir)
    wizard = SetupWizard(ws)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow, timeout=3000)
    box = wizard.unit_page.province
    box.setFocus()
    assert focused() is box
    keys("quang ng")
    assert box.currentText() == "Tỉnh Quảng Ngãi"
    qtbot.wait(1300)  # a pause starts a new search
    keys("ha noi")
    assert box.currentText() == "Thành phố Hà Nội"
    ws.close()
