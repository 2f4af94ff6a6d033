"""Every window and dialog opens within the screen, whatever the text scaling.

At 150 % on a 1366×768 screen only about 910×500 logical pixels are available; a window
asking for more would put its buttons off-screen. One application-wide filter clamps each
top-level window as it is first shown (dialogs Qt makes itself included): smaller when it
fits, maximised when even its minimum size does not.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QMainWindow, QWidget

FRAME_ALLOWANCE = (16, 48)  # room for the window manager's borders and title bar (logical pixels)


def available(widget: QWidget) -> QRect | None:
    screen = widget.screen() or QApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else None


def fit_window(widget: QWidget) -> None:
    room = available(widget)
    if room is None:
        return
    max_w, max_h = room.width() - FRAME_ALLOWANCE[0], room.height() - FRAME_ALLOWANCE[1]
    minimum = widget.minimumSize()
    if minimum.width() > max_w or minimum.height() > max_h:
        widget.setMinimumSize(min(minimum.width(), max_w), min(minimum.height(), max_h))
    size = widget.size()
    if isinstance(widget, QMainWindow) and (size.width() > max_w or size.height() > max_h):
        widget.setWindowState(widget.windowState() | Qt.WindowState.WindowMaximized)
        return
    width, height = min(size.width(), max_w), min(size.height(), max_h)
    if (width, height) != (size.width(), size.height()):
        widget.resize(width, height)
    frame = widget.frameGeometry()
    x = min(max(frame.x(), room.x()), room.right() - width - FRAME_ALLOWANCE[0] + 1)
    y = min(max(frame.y(), room.y()), room.bottom() - height - FRAME_ALLOWANCE[1] + 1)
    if (x, y) != (frame.x(), frame.y()):
        widget.move(x, y)


_POPUPS = (Qt.WindowType.Popup, Qt.WindowType.ToolTip, Qt.WindowType.SplashScreen)


class _Filter(QObject):
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind == QEvent.Type.Show and isinstance(obj, QWidget) and obj.isWindow() \
                and not obj.property("_baocaoxa_fitted") and obj.windowType() not in _POPUPS:
            obj.setProperty("_baocaoxa_fitted", True)
            fit_window(obj)
        elif kind == QEvent.Type.Wheel and isinstance(obj, (QComboBox, QAbstractSpinBox)):
            # The wheel never changes an answer (Đạt → Chưa đạt by scrolling the page): hand it
            # to the page underneath instead.
            parent = obj.parentWidget()
            if parent is not None:
                QApplication.sendEvent(parent, event)
            return True
        return False


def install(app: QApplication) -> None:
    flt = _Filter(app)
    app.installEventFilter(flt)
    flt.setObjectName("baocaoxa_screen_fit")  # parented to the application: lives as long as it
