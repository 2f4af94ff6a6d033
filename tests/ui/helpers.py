"""Typing as a person would, with Vietnamese text (qtbot.keyClicks aborts on non-ASCII)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget


def type_text(widget: QWidget, text: str) -> None:
    widget.setFocus()
    for ch in text:
        key = Qt.Key.Key_Return if ch == "\n" else 0
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))


def clear_and_type(widget: QWidget, text: str) -> None:
    widget.selectAll()
    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Backspace, Qt.KeyboardModifier.NoModifier))
    type_text(widget, text)


def leave(widget: QWidget) -> None:
    """Focus moves on: editors commit what was typed."""
    QApplication.sendEvent(widget, QEvent(QEvent.Type.FocusOut))
    if hasattr(widget, "editingFinished"):
        widget.editingFinished.emit()
