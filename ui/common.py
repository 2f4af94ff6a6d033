"""Small Qt helpers shared by the windows: Vietnamese dialogs, showing errors."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from pathlib import Path

from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QLabel, QMessageBox, QWidget

from desktop_app.errors import UserError


class _EnterClicks(QObject):
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            obj.click()
            return True
        return False


_ENTER = None


def enter_clicks(button) -> None:
    """Enter presses a focused button, as people expect (Qt only does this in dialogs)."""
    global _ENTER
    if _ENTER is None:
        _ENTER = _EnterClicks()
    button.installEventFilter(_ENTER)


def label(text: str, role: str | None = None, wrap: bool = True) -> QLabel:
    widget = QLabel(text)
    widget.setTextFormat(Qt.TextFormat.PlainText)  # names come from bundles and files: never rich text
    widget.setWordWrap(wrap)
    if role:
        widget.setProperty("role", role)
    return widget


def set_role(widget: QLabel, role: str) -> None:
    widget.setProperty("role", role)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def show_error(parent: QWidget | None, error: Exception, title: str = "Không thực hiện được") -> None:
    if isinstance(error, UserError):
        text, details = error.message, "\n".join(f"• {d}" for d in error.details)
    else:
        from desktop_app.support import logs

        logs.log_exception("unexpected error shown to the person", error)  # the traceback is for support
        text, details = f"Đã xảy ra lỗi không mong muốn: {error}", ""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.button(QMessageBox.StandardButton.Ok).setText("Đóng")
    if details:
        box.setInformativeText(details)
    box.exec()


def confirm(parent: QWidget | None, title: str, text: str, yes: str = "Đồng ý", no: str = "Hủy") -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button


def ask_text(parent: QWidget | None, title: str, prompt: str) -> str | None:
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(prompt)
    dialog.setOkButtonText("Đồng ý")
    dialog.setCancelButtonText("Hủy")
    if dialog.exec():
        return dialog.textValue().strip()
    return None


def info(parent: QWidget | None, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.button(QMessageBox.StandardButton.Ok).setText("Đóng")
    box.exec()


def resize_within_screen(widget: QWidget, width: int, height: int) -> None:
    """Ask for a size but never more than the screen has (1366×768 at 150% is only 910×512)."""
    screen = widget.screen() or QApplication.primaryScreen()
    if screen is not None:
        room = screen.availableGeometry()
        width, height = min(width, room.width() - 20), min(height, room.height() - 40)
    widget.resize(width, height)


def ask_save_path(parent: QWidget | None, title: str, start: str, name_filter: str, suffix: str) -> str | None:
    """Where to save; the suffix is added when the person left it out, and a file that already
    has that name is only replaced after a clear question (the dialog asked about the name typed)."""
    path, _ = QFileDialog.getSaveFileName(parent, title, start, name_filter)
    if not path:
        return None
    if not path.lower().endswith(suffix):
        path += suffix
        if Path(path).exists() and not confirm(parent, title, f"Tệp «{Path(path).name}» đã có trong thư mục này.\n"
                                                "Ghi đè lên tệp đó?", yes="Ghi đè", no="Không"):
            return None
    return path
