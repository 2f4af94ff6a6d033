"""When a widget has really been painted: the start path waits for it before loading the
data, and the benchmark's start probe times it.

A Paint event reaching the widget (or a child of it) means its window is being drawn; the
callback runs on the next turn of the event loop, when that paint and its flush to the
screen are done. A window that is never painted (started minimised) still gets its
callback after ``fallback_ms``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

FALLBACK_MS = 1000

_pending: set[_FirstPaint] = set()  # kept alive until they fire


class _FirstPaint(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], None], fallback_ms: int):
        super().__init__()
        self._widget = widget
        self._callback = callback
        self._done = False
        self._queued = False
        self._fallback = QTimer(self)
        self._fallback.setSingleShot(True)
        self._fallback.timeout.connect(self._fire)
        self._fallback.start(fallback_ms)
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if (not self._queued and event.type() == QEvent.Type.Paint and isinstance(obj, QWidget)
                and (obj is self._widget or self._widget.isAncestorOf(obj))):
            self._queued = True
            QTimer.singleShot(0, self._fire)  # after this paint (and its window's flush) is done
        return False

    def _fire(self) -> None:
        if self._done:
            return
        self._done = True
        self._fallback.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        QTimer.singleShot(0, self._release)  # not now: its own fallback timer may be what is firing
        self._callback()

    def _release(self) -> None:
        _pending.discard(self)


def after_first_paint(widget: QWidget, callback: Callable[[], None], fallback_ms: int = FALLBACK_MS) -> None:
    """Run ``callback`` once ``widget`` has been painted (or after ``fallback_ms`` at the latest)."""
    _pending.add(_FirstPaint(widget, callback, fallback_ms))
