"""The window's side of support logging: crashes reach the log and a Vietnamese dialog while
the window stays open; «Trợ giúp → Tạo gói hỗ trợ…» writes the zip; Qt's messages are logged."""

from __future__ import annotations

import threading
import zipfile

import pytest
from PySide6.QtCore import QTimer, qWarning
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.support import logs
from ui import crash_dialog
from ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, workspace, data_dir):
    workspace.set_unit("21073", scheme="truoc-2025", villages=["Thôn 1"])
    logs.setup(data_dir)
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.show()
    reporter = crash_dialog.install(lambda parent: crash_dialog.save_support_bundle(parent, workspace))
    yield win, reporter
    crash_dialog.uninstall()
    for box in crash_boxes():
        box.done(0)
        box.deleteLater()
    logs.close()


def crash_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "crash_dialog" and w.isVisible()]


def log_text(data_dir) -> str:
    logs.flush()
    return (data_dir / "logs" / "baocaoxa.log").read_text(encoding="utf-8")


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_is_logged_shown_and_the_window_lives_on(qtbot, window, data_dir):
    win, reporter = window
    secret = "-".join(["ZQX", "bí", "mật"])

    def broken_slot():
        raise RuntimeError(f"value {secret!r}")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: bool(crash_boxes()), timeout=5000)
    [box] = crash_boxes()
    assert "không phải do bạn" in box.text() and "vẫn được lưu" in box.text()
    assert "RuntimeError" in box.informativeText() and "baocaoxa.log" in box.informativeText()
    assert {b.text() for b in box.buttons()} == {"Tạo gói hỗ trợ…", "Mở thư mục nhật ký", "Làm việc tiếp"}
    text = log_text(data_dir)
    assert "uncaught exception in thread MainThread" in text and "in broken_slot" in text and "RuntimeError" in text
    assert "ZQX" not in text
    QTimer.singleShot(0, broken_slot)  # a second fault while the dialog is open: counted, not a second dialog
    qtbot.waitUntil(lambda: reporter.repeats == 1, timeout=5000)
    assert len(crash_boxes()) == 1 and "thêm 1 lần" in box.informativeText()
    box.findChild(type(box.buttons()[0]), "crash_continue").click()
    qtbot.waitUntil(lambda: not crash_boxes(), timeout=5000)
    assert win.isVisible()  # the window is still there and works
    win.refresh()


@pytest.mark.qt_no_exception_capture
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # pytest's hook is chained
def test_an_exception_in_a_thread_reaches_the_log_and_the_dialog(qtbot, window, data_dir):
    def work():
        raise OSError(28, "No space left on device")

    thread = threading.Thread(target=work, name="xuat-bao-cao")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: bool(crash_boxes()), timeout=5000)
    assert "Ổ đĩa đã đầy" in crash_boxes()[0].text()
    assert "uncaught exception in thread xuat-bao-cao" in log_text(data_dir)


def test_qt_messages_go_to_the_log_and_repeats_are_capped(window, data_dir):
    for _ in range(crash_dialog.QT_REPEATS + 10):
        qWarning("QPainter::begin: Paint device returned engine == 0")
    text = log_text(data_dir)
    assert text.count("qt: QPainter::begin") == crash_dialog.QT_REPEATS
    assert "further repeats not logged" in text


def test_help_menu_writes_a_support_bundle(qtbot, window, tmp_path, monkeypatch, message_boxes):
    win, _reporter = window
    target = tmp_path / "ho-tro"
    monkeypatch.setattr(crash_dialog, "ask_save_path", lambda *a: str(target) + ".zip")
    [act] = [a for a in win.findChildren(type(win.menuBar().actions()[0])) if a.objectName() == "support_bundle"]
    assert act.text() == "Tạo gói hỗ trợ…"
    assert act in win.menuBar().actions()[-1].menu().actions()  # under «Trợ giúp»
    act.trigger()
    with zipfile.ZipFile(str(target) + ".zip") as archive:
        names = archive.namelist()
        assert "kiem-tra-co-so-du-lieu.txt" in names and "logs/baocaoxa.log" in names
        facts = archive.read("thong-tin.json").decode("utf-8")
    assert '"schema": "0004"' in facts
    assert any("Đã ghi gói hỗ trợ" in m and "không có số liệu báo cáo" in m for m in message_boxes)


def test_plain_words_for_common_faults():
    assert "bộ nhớ" in crash_dialog.plain_words(MemoryError())
    assert "quyền" in crash_dialog.plain_words(PermissionError(13, "denied"))
    assert "lỗi của phần mềm" in crash_dialog.plain_words(KeyError("x"))


@pytest.mark.qt_no_exception_capture
def test_the_crash_dialog_makes_the_support_bundle(qtbot, window, tmp_path, monkeypatch, message_boxes):
    target = tmp_path / "sau-su-co.zip"
    monkeypatch.setattr(crash_dialog, "ask_save_path", lambda *a: str(target))

    def broken():
        raise KeyError("truong")

    QTimer.singleShot(0, broken)
    qtbot.waitUntil(lambda: bool(crash_boxes()), timeout=5000)
    [box] = crash_boxes()
    next(b for b in box.buttons() if b.objectName() == "crash_support_bundle").click()
    qtbot.waitUntil(lambda: target.exists(), timeout=5000)
    with zipfile.ZipFile(target) as archive:
        assert "KeyError" in archive.read("logs/baocaoxa.log").decode("utf-8")
