"""Choosing the province office's shared PostgreSQL database (or this PC's own SQLite file).

The choice takes effect at the next start: the open window keeps the store it opened with.
The password is never shown back (the address is displayed with ***). The staff member's name,
recorded in the audit log of whatever this PC does, is kept per PC and takes effect at once."""

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
        # No default button: Enter acts on the field it is typed in (the address, or the name),
        # never on both.
        connect.clicked.connect(self.accept)
        local = QPushButton("Dùng tệp SQLite của máy này")
        local.setObjectName("database_local")
        local.clicked.connect(self.use_local)
        cancel = QPushButton("Đóng")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(local)
        buttons.addStretch(1)
        buttons.addWidget(connect)
        layout = QVBoxLayout(self)
        layout.addWidget(label(now))
        layout.addWidget(label("Văn phòng có nhiều cán bộ cùng nhập và tổng hợp báo cáo thì dùng chung một cơ sở dữ "
                               "liệu PostgreSQL. Nhập địa chỉ do người quản trị cung cấp; nên để mật khẩu trong tệp "
                               "mật khẩu pgpass của máy, không ghi trong địa chỉ."))
        layout.addWidget(self.url)
        layout.addLayout(buttons)
        layout.addWidget(label("Tên cán bộ làm việc trên máy này (ghi vào nhật ký thay đổi; để trống thì ghi tên "
                               "người dùng của máy):"))
        self.staff = QLineEdit(workspace.who if workspace.who != actions.computer_user() else "")
        self.staff.setObjectName("staff_name")
        self.staff.setPlaceholderText(actions.computer_user() or "Nguyễn Thị Hoa")
        self.staff.returnPressed.connect(self.save_staff)
        save_staff = QPushButton("Lưu tên cán bộ")
        save_staff.setObjectName("staff_save")
        save_staff.setAutoDefault(False)
        save_staff.clicked.connect(self.save_staff)
        staff_row = QHBoxLayout()
        staff_row.addWidget(self.staff, 1)
        staff_row.addWidget(save_staff)
        layout.addLayout(staff_row)
        closing = QHBoxLayout()
        closing.addStretch(1)
        closing.addWidget(cancel)
        layout.addLayout(closing)
        for button in (connect, local, cancel):
            button.setAutoDefault(False)
        self.url.setFocus()
        self.message = ""

    def save_staff(self) -> None:
        try:
            name = self.workspace.set_staff_name(self.staff.text())
        except Exception as exc:  # noqa: BLE001 - a person gets a sentence
            show_error(self, exc, "Không lưu được tên cán bộ")
            self.staff.setFocus()
            return
        info(self, "Tên cán bộ", f"Từ nay nhật ký ghi tên «{name}» cho việc làm trên máy này." if name
             else "Từ nay nhật ký ghi tên người dùng của máy.")

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
