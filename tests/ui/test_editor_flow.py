"""Fill a report through the UI as a person would, then check the stored values in the core."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence

from desktop_app.services import Workspace
from tests.conftest import ROOT
from tests.test_fields_and_validation import ALL_KINDS
from tests.ui.helpers import APP_WITH_A_REPORT, arrow_to, clear_and_type, kill_when_ready, focused, keys, leave, \
    press, select_all_and_type, type_text
from ui.dialogs import NewReportDialog
from ui.main_window import MainWindow


def _install_all_kinds(data_dir):
    folder = data_dir / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "moi-kieu.yaml").write_text(ALL_KINDS, encoding="utf-8")


def _open_new_report(qtbot, ws, template_id="moi-kieu", year=2024):
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.resize(1366, 728)
    window.show()
    dialog = NewReportDialog(ws, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    box = dialog.template_box
    arrow_to(box, lambda text: text == box.itemText(box.findData(template_id)))
    dialog.period.year.setFocus()
    select_all_and_type(str(year))
    press(Qt.Key.Key_Return)  # the dialog's «Tạo báo cáo»
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.period.year.value() == year
    window.open_report(dialog.report_id)
    return window, dialog.report_id


def test_fill_every_field_kind_through_the_editor(qtbot, data_dir, message_boxes):
    _install_all_kinds(data_dir)
    ws = Workspace(data_dir, who="cán bộ văn hóa")
    ws.set_unit("21073", scheme="truoc-2025", villages=["Thôn An Điềm", "Thôn Phước Hòa"])
    window, rid = _open_new_report(qtbot, ws)
    editor = window.editor
    editor.show_page(1)
    page = editor.pages[1]
    w = page.widgets

    # an invalid value shows an error beside the field as it is typed, and stores nothing
    type_text(w["so_nguyen"].edit, "12,5x")
    assert w["so_nguyen"].message.text() and "✗" in w["so_nguyen"].message.text()
    leave(w["so_nguyen"].edit)
    assert "so_nguyen" not in ws.report(rid)[0].values
    # a value out of range is stored but flagged; then fixed
    clear_and_type(w["so_nguyen"].edit, "5000")
    leave(w["so_nguyen"].edit)
    assert "không được lớn hơn 1.000" in w["so_nguyen"].message.text()
    clear_and_type(w["so_nguyen"].edit, "999")
    leave(w["so_nguyen"].edit)
    assert not w["so_nguyen"].message.text()

    for field_id, text in [("thap_phan", "1.234,5"), ("tien", "2.318.000"), ("phan_tram", "98,95"),
                           ("ngan", "Thôn Phước Hòa"), ("ngay", "07/06/2023"), ("dung_han", "19.643"),
                           ("tre_han", "209"), ("da_giai_quyet", "19.852")]:
        type_text(w[field_id].edit, text)
        leave(w[field_id].edit)
    assert w["tien"].edit.text() == "2.318.000"
    assert w["ty_le_dung_han"].value.text() == "98,95%"  # computed value updated live

    type_text(w["ty_le"].num, "302")
    type_text(w["ty_le"].den, "310")
    assert w["ty_le"].percent.text() == "97,42%"
    leave(w["ty_le"].den)

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    arrow_to(w["co_khong"].box, lambda text: text == "Có")
    arrow_to(w["lua_chon"].box, lambda text: text == "Đang triển khai")

    type_text(w["dai"].edit, "Còn thiếu máy tính.\nĐường truyền chưa ổn định.")
    leave(w["dai"].edit)
    w["dai"].flush()

    parts = w["vb"].parts
    type_text(parts["number"], "66/KH-UBND")
    type_text(parts["date"], "31/8/2023")
    type_text(parts["issuer"], "UBND xã Bình Phước")
    type_text(parts["summary"], "về Cao điểm ba mươi ngày")
    leave(parts["summary"])

    # the per-village table starts with the profile's villages; type into cells, paste from Excel
    table = w["thon"]
    assert [table.grid.item(r, 0).text() for r in range(table.grid.rowCount())] == ["Thôn An Điềm", "Thôn Phước Hòa"]
    table.grid.setFocus()
    table.grid.setCurrentCell(0, 1)
    assert focused() is table.grid
    keys("3")  # typing starts editing the cell; Tab commits it and moves right
    press(Qt.Key.Key_Tab)
    assert table.grid.currentColumn() == 2
    keys("6")
    press(Qt.Key.Key_Return)
    assert (table.grid.item(0, 1).text(), table.grid.item(0, 2).text()) == ("3", "6")
    table.add.click()
    assert table.grid.rowCount() == 3
    QGuiApplication.clipboard().setText("4\t8\n")
    table.grid.setCurrentCell(1, 1)
    qtbot.keySequence(table.grid, QKeySequence.StandardKey.Paste)
    table.grid.setCurrentCell(2, 0)
    QGuiApplication.clipboard().setText("Thôn Mỹ Long\t2\t4")
    qtbot.keySequence(table.grid, QKeySequence.StandardKey.Paste)
    assert "Cụm loa: 9" in table.totals.text() and "Loa: 18" in table.totals.text()
    assert table.grid.item(0, 3).text() == "2"  # computed column loa/cụm
    table.grid.setCurrentCell(0, 1)
    QGuiApplication.clipboard().setText("nhiều\t1")
    qtbot.keySequence(table.grid, QKeySequence.StandardKey.Paste)  # a bad block: nothing changes, reason shown
    assert message_boxes and "Dòng 1" in message_boxes[-1]
    assert "Cụm loa: 9" in table.totals.text()

    type_text(w["so_thon"].edit, "3")
    type_text(w["to_cns"].edit, "3")
    type_text(w["thanh_vien"].edit, "12")
    for field_id in ("so_thon", "to_cns", "thanh_vien"):
        leave(w[field_id].edit)
    assert editor.saved_label.text().startswith("Đã lưu lúc")

    # review page and finalise
    editor.show_page(editor.page_count - 1)
    assert editor.review.finalise.isEnabled(), editor.review.summary.text()
    editor.review.finalise.click()
    assert editor.session.read_only and editor.banner.isVisible()

    record, _ = ws.report(rid)
    assert record.status == "final"
    assert record.values == {
        "so_nguyen": 999, "thap_phan": 1234.5, "tien": 2318000, "phan_tram": 98.95, "ngan": "Thôn Phước Hòa",
        "ngay": "2023-06-07", "dung_han": 19643, "tre_han": 209, "da_giai_quyet": 19852,
        "ty_le": {"num": 302, "den": 310}, "co_khong": True, "lua_chon": "Đang triển khai",
        "dai": "Còn thiếu máy tính.\nĐường truyền chưa ổn định.",
        "vb": {"number": "66/KH-UBND", "date": "2023-08-31", "issuer": "UBND xã Bình Phước",
               "summary": "về Cao điểm ba mươi ngày"},
        "thon": [{"ten": "Thôn An Điềm", "cum_loa": 3, "loa": 6}, {"ten": "Thôn Phước Hòa", "cum_loa": 4, "loa": 8},
                 {"ten": "Thôn Mỹ Long", "cum_loa": 2, "loa": 4}],
        "so_thon": 3, "to_cns": 3, "thanh_vien": 12,
    }
    window.close()
    ws.close()


def test_review_lists_errors_and_jumps_to_the_field(qtbot, data_dir):
    _install_all_kinds(data_dir)
    ws = Workspace(data_dir)
    ws.set_unit("21073", scheme="truoc-2025")
    window, rid = _open_new_report(qtbot, ws)
    editor = window.editor
    ws.set_values(rid, {"dung_han": 1, "tre_han": 1, "da_giai_quyet": 5})
    window.open_report(rid)
    editor = window.editor
    editor.show_page(editor.page_count - 1)
    review = editor.review
    messages = [review.list.item(i).text() for i in range(review.list.count())]
    assert any("Đúng hạn + trễ hạn phải bằng đã giải quyết." in m for m in messages)
    assert any("Chưa nhập «Số nguyên»" in m for m in messages)
    assert not review.finalise.isEnabled()
    target = next(i for i in range(review.list.count()) if "Đúng hạn" in review.list.item(i).text())
    review.list.itemActivated.emit(review.list.item(target))
    assert editor.stack.currentIndex() == 1
    window.close()
    ws.close()


def test_closing_the_window_mid_edit_loses_nothing(qtbot, data_dir):
    _install_all_kinds(data_dir)
    ws = Workspace(data_dir)
    ws.set_unit("21073", scheme="truoc-2025")
    window, rid = _open_new_report(qtbot, ws)
    page = window.editor.pages[1]
    type_text(page.widgets["ngan"].edit, "Đang gõ dở")   # no pause, no focus change: still pending
    type_text(page.widgets["so_thon"].edit, "7")
    assert page.widgets["ngan"].pending
    window.close()                                      # the person closes the window right away
    record, _ = ws.report(rid)
    assert record.values["ngan"] == "Đang gõ dở" and record.values["so_thon"] == 7
    ws.close()


def test_reopening_returns_to_the_last_section(qtbot, data_dir):
    ws = Workspace(data_dir)
    ws.set_unit("21448", scheme="truoc-2025")
    window, rid = _open_new_report(qtbot, ws, "ntm-tieu-chi-8", 2023)
    window.editor.show_page(5)
    window.close_editor()
    window.open_report(rid)
    assert window.editor.stack.currentIndex() == 5
    window.close()
    ws.close()


def test_keyboard_next_and_previous_section(qtbot, data_dir):
    ws = Workspace(data_dir)
    ws.set_unit("21448", scheme="truoc-2025")
    window, rid = _open_new_report(qtbot, ws, "ntm-tieu-chi-8", 2023)
    editor = window.editor
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    editor.show_page(1)
    qtbot.keyClick(editor, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert editor.stack.currentIndex() == 2
    qtbot.keyClick(editor, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert editor.stack.currentIndex() == 1
    first = editor.pages[1].widgets[next(iter(editor.pages[1].widgets))]
    assert editor.back.text() == "◀ Quay lại" and editor.next.text() == "Tiếp theo ▶"
    assert first is not None
    window.close()
    ws.close()


KILL_SCRIPT = APP_WITH_A_REPORT + textwrap.dedent("""
    from tests.ui.helpers import type_text
    editor.show_page(4)
    widget = editor.pages[4].widgets["so_thon"]
    type_text(widget.edit, "7")
    deadline = time.time() + 10
    while editor.session.saved_at is None and time.time() < deadline:  # acknowledged as saved
        app.processEvents(); time.sleep(0.05)
    print("SAVED", rid, flush=True)
    type_text(widget.edit, "0")  # 70, still being typed when the process dies
    while True:
        app.processEvents(); time.sleep(0.05)
""")


@pytest.mark.slow  # kills the app after saved edits
def test_killed_process_keeps_every_saved_edit(tmp_path):
    rid = kill_when_ready(KILL_SCRIPT, [str(tmp_path / "d")], "SAVED", 0.1)
    ws = Workspace(tmp_path / "d")
    try:
        assert ws.report(rid)[0].values["so_thon"] in (7, 70)  # what was shown as saved is there
        assert ws.store.integrity_check() == ["ok"]
    finally:
        ws.close()


def test_selftest_exits_zero_offscreen():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "desktop_app", "--selftest"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Cửa sổ đầu tiên sau" in proc.stdout and "ĐẠT" in proc.stdout
    import re

    painted, opened = (float(x) for x in re.search(r"sau ([\d.]+) giây; báo cáo mẫu mở sau ([\d.]+)",
                                                   proc.stdout).groups())
    assert painted < opened  # the window first, as at a real start


def _example_open_in_the_editor(qtbot, data_dir):
    """A commune's data folder with the cao-diem-dvctt example, open in the window's editor."""
    import json

    from tests.conftest import EXAMPLES

    ws = Workspace(data_dir)
    ws.set_unit("21073", scheme="truoc-2025")
    rid, _ = ws.import_document(json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8")))
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.show()
    window.open_report(rid)
    return ws, window, rid


def test_export_and_excel_import_from_the_editor(qtbot, data_dir, tmp_path, monkeypatch, message_boxes):
    from PySide6.QtWidgets import QFileDialog

    ws, window, rid = _example_open_in_the_editor(qtbot, data_dir)
    usb = tmp_path / "usb"
    usb.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(usb / "bao-cao"), ""))
    window.editor.export_docx.click()
    qtbot.waitUntil(lambda: (usb / "bao-cao.docx").exists(), timeout=10000)
    window.editor.export_xlsx.click()
    qtbot.waitUntil(lambda: (usb / "bao-cao.xlsx").exists(), timeout=10000)
    assert ws.setting("last_folder") == str(usb)  # the next dialog opens on the USB stick

    new = ws.new_report("cao-diem-dvctt", "2023-10")
    window.open_report(new)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(usb / "bao-cao.xlsx"), ""))
    window.editor.import_xlsx.click()
    qtbot.waitUntil(lambda: ws.report(new)[0].values == ws.report(rid)[0].values, timeout=10000)
    qtbot.waitUntil(lambda: window.editor is not None and window.editor.session.values == ws.report(rid)[0].values,
                    timeout=10000)
    window.close()
    ws.close()


def test_export_pdf_from_the_editor_explains_a_missing_office_suite(qtbot, data_dir, tmp_path, monkeypatch,
                                                                     message_boxes):
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setenv("BAOCAOXA_SOFFICE", "")  # a PC without LibreOffice
    ws, window, rid = _example_open_in_the_editor(qtbot, data_dir)
    usb = tmp_path / "usb"
    usb.mkdir()
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: asked.append(a) or (str(usb / "bao-cao"), ""))
    menu = window.findChild(type(window.menuBar().actions()[0]), "menu_export_pdf")
    assert menu is not None and menu.shortcut().toString() == "Ctrl+Shift+P" and menu.text() == "Xuất PDF…"
    assert "Xuất PDF" in window.editor.export_docx.toolTip()
    menu.trigger()
    qtbot.waitUntil(lambda: any("LibreOffice" in m for m in message_boxes), timeout=10000)
    assert any("Không tìm thấy bộ phần mềm văn phòng" in m for m in message_boxes)
    assert "(*.pdf)" in " ".join(str(x) for x in asked[0])
    assert list(usb.iterdir()) == []
    window.close()
    ws.close()
