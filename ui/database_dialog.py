"""Choosing the province office's shared PostgreSQL database (or this PC's own SQLite file).

The choice takes effect at the next start: the open window keeps the store it opened with.
The password is never shown back (the address is displayed with ***)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout

from desktop_app import actions
from desktop_app.services import Workspace
from ui.common import info, label, show_error


class DatabaseDialog(QDialog):
    def __init__(self, workspace: Workspace, parent=None):
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Cơ sở dữ liệu dùng chung")
        self.setMinimumWidth(620)
        current = actions.shared_database(workspace)
        now = (f"Đang dùng cơ sở dữ liệu dùng chung: {current}" if current
               else "Đang dùng tệp dữ liệu SQLite trên máy này.")
        self.url = QLineEdit()
        self.url.setObjectName("database_url")
        self.url.setPlaceholderText("postgresql://canbo@may-chu/baocaoxa")
        self.url.returnPressed.connect(self.accept)
        connect = QPushButton("Kết nối và dùng")
        connect.setObjectName("database_connect")
        connect.setDefault(True)
        connect.clicked.connect(self.accept)
        local = QPushButton("Dùng tệp SQLite của máy này")
        local.setObjectName("database_local")
        local.clicked.connect(self.use_local)
        cancel = QPushButton("Đóng")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(local)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(connect)
        layout = QVBoxLayout(self)
        layout.addWidget(label(now))
        layout.addWidget(label("Văn phòng có nhiều cán bộ cùng nhập và tổng hợp báo cáo thì dùng chung một cơ sở dữ "
                               "liệu PostgreSQL. Nhập địa chỉ do người quản trị cung cấp; nên để mật khẩu trong tệp "
                               "mật khẩu pgpass của máy, không ghi trong địa chỉ."))
        layout.addWidget(self.url)
        layout.addLayout(buttons)
        self.url.setFocus()
        self.message = ""

    def accept(self) -> None:
        text = self.url.text().strip()
        if not text:
            self.url.setFocus()
            return
        try:
            self.message = actions.choose_database(self.workspace.data_dir, text)
        except Exception as exc:  # noqa: BLE001 - a person gets a sentence
            show_error(self, exc, "Không kết nối được")
            self.url.setFocus()
            return
        info(self, "Cơ sở dữ liệu dùng chung", self.message)
        super().accept()

    def use_local(self) -> None:
        self.message = actions.choose_database(self.workspace.data_dir, None)
        info(self, "Cơ sở dữ liệu", self.message)
        super().accept()
