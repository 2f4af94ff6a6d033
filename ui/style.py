"""A calm, readable look for office PCs: large enough text, clear focus, no tiny controls."""

from __future__ import annotations

from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication

from desktop_app.paths import resource

ERROR_COLOUR = "#b3261e"
WARNING_COLOUR = "#8a5a00"
DONE_COLOUR = "#1b6e3a"
MUTED_COLOUR = "#5f6368"

STYLESHEET = f"""
QWidget {{ font-size: 10pt; }}
QLineEdit, QPlainTextEdit, QTableWidget {{
    padding: 3px; border: 1px solid #9aa5b1; border-radius: 3px; background: #ffffff;
}}
QLineEdit:focus, QPlainTextEdit:focus, QTableWidget:focus {{ border: 2px solid #1f5f99; }}
QComboBox QAbstractItemView {{
    background: #ffffff; color: #000000; selection-background-color: #d2e3fc; selection-color: #000000;
}}
QLineEdit:disabled, QPlainTextEdit:disabled, QComboBox:disabled {{ background: #f1f3f4; color: #3c4043; }}
QPushButton {{ padding: 5px 14px; min-height: 22px; }}
QPushButton:focus {{ border: 2px solid #1f5f99; border-radius: 3px; }}
QLabel[role="help"] {{ color: {MUTED_COLOUR}; }}
QLabel[role="error"] {{ color: {ERROR_COLOUR}; }}
QLabel[role="warning"] {{ color: {WARNING_COLOUR}; }}
QLabel[role="hint"] {{ color: {MUTED_COLOUR}; font-style: italic; }}
QLabel[role="computed"] {{ font-weight: bold; color: #1f5f99; }}
QLabel[role="title"] {{ font-size: 14pt; font-weight: bold; }}
QLabel[role="banner"] {{ background: #fff4ce; border: 1px solid #e0c060; padding: 6px; }}
QListWidget#sections {{ font-size: 10pt; }}
QListWidget#sections::item {{ padding: 6px 4px; }}
QListWidget#sections::item:selected {{ background: #d2e3fc; color: #000000; }}
"""


def app_icon() -> QIcon:
    # the PNG: an SVG icon loads Qt's SVG engine at every start (~1 MiB more) for a 256-pixel image
    return QIcon(str(resource("icons", "baocaoxa.png")))


def apply(app: QApplication) -> None:
    font = QFont(app.font())
    # Segoe UI (Windows) and DejaVu Sans (Linux) both carry every Vietnamese glyph.
    font.setFamilies(["Segoe UI", "DejaVu Sans", "Noto Sans", "Arial"])
    font.setPointSize(10)
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)
    app.setWindowIcon(app_icon())
    from ui import qt_vietnamese, screen_fit

    qt_vietnamese.install(app)
    screen_fit.install(app)
