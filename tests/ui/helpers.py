"""Typing as a person would, with Vietnamese text (qtbot.keyClicks aborts on non-ASCII)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QComboBox, QWidget


def type_text(widget: QWidget, text: str) -> None:
    widget.setFocus()
    for ch in text:
        key = Qt.Key.Key_Return if ch == "\n" else 0
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))


def clear_and_type(widget: QWidget, text: str) -> None:
    widget.selectAll()
    backspace = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Backspace, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, backspace)
    type_text(widget, text)


def leave(widget: QWidget) -> None:
    """Focus moves on: editors commit what was typed."""
    QApplication.sendEvent(widget, QEvent(QEvent.Type.FocusOut))
    if hasattr(widget, "editingFinished"):
        widget.editingFinished.emit()


# --- the keyboard as a person has it: every key goes to whatever has the focus -------------
def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def keys(text: str) -> None:
    """Type into the focused widget, one character at a time (the focus is read per key)."""
    for ch in text:
        key = Qt.Key.Key_Return if ch == "\n" else (Qt.Key.Key_Space if ch == " " else 0)
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(focused(), QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))
        QApplication.processEvents()  # the event loop runs between two keys, as it does for a person


def press(key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A named key (Tab, Enter, Ctrl+PgDown…) pressed on the focused widget, shortcuts included."""
    from PySide6.QtTest import QTest

    QTest.keyClick(focused(), key, modifiers)
    QApplication.processEvents()


def arrow_to(combo: QComboBox, wanted: Callable[[str], bool]) -> None:
    """Give ``combo`` the focus and walk it with the arrow keys, from the top, until its current
    text satisfies ``wanted`` (a predicate on the text): a person choosing from a closed combo box."""
    combo.setFocus()
    assert focused() is combo, "the combo box did not take the keyboard focus"
    press(Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if wanted(combo.currentText()):
            return
        press(Qt.Key.Key_Down)
    raise AssertionError(f"no item of the combo box is the one wanted: {combo.currentText()!r}")


def select_all_and_type(text: str) -> None:
    from PySide6.QtTest import QTest

    QTest.keyClick(focused(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(focused(), Qt.Key.Key_Backspace)
    keys(text)


# The start of a child process that shows a new NTM report in the real main window (kill tests).
APP_WITH_A_REPORT = """
import sys, time
from PySide6.QtWidgets import QApplication
from desktop_app.services import Workspace
from ui.app import _application
from ui.main_window import MainWindow
app = _application()
ws = Workspace(sys.argv[1])
ws.set_unit("21448", scheme="truoc-2025")
rid = ws.new_report("ntm-tieu-chi-8", "2023-9M")
window = MainWindow(ws); window.show(); window.activateWindow(); window.open_report(rid)
editor = window.editor
"""


def kill_when_ready(script: str, args: list[str], marker: str, delay: float) -> int:
    """Run ``script`` in a child with ``args``; when it prints ``marker <report id>``, wait
    ``delay`` seconds and SIGKILL it (a power cut, as far as the app can tell). The report id."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith(marker), proc.stderr.read()
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        return int(line.split()[1])
    finally:
        if proc.poll() is None:
            proc.kill()
