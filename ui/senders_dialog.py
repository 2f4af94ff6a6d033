"""Senders and keys: this installation's fingerprint, the units whose keys are registered,
and the bundles held aside because another key signed them ("máy mới hay giả mạo?"),
each accepted (new key trusted, bundle imported) or rejected by an explicit choice."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QDialog, QHBoxLayout, QHeaderView, QListWidget, QListWidgetItem, QPushButton,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from desktop_app.exchange.bundle_import import ALLOW_UNSIGNED, KEY_CHANGED
from desktop_app.errors import UserError
from desktop_app.services import Workspace
from ui.common import confirm, label, resize_within_screen, show_error

STATES = {"trusted": "Tin cậy", "retired": "Thôi dùng", "rejected": "Đã từ chối"}
HOWS = {"first-bundle": "Gói đầu tiên", "enrolment": "Tệp đăng ký", "accepted-change": "Nhận khóa mới",
        "decision": "Quyết định"}


class SendersDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.summaries: list = []  # what accepting held bundles imported (the caller refreshes)
        self.setWindowTitle("Đơn vị gửi và khóa ký")
        resize_within_screen(self, 900, 560)
        layout = QVBoxLayout(self)
        own = workspace.signing_key().fingerprint
        layout.addWidget(label(f"Dấu khóa của máy này: {own} — đọc dấu khóa này cho nơi nhận khi họ gọi điện "
                               "xác nhận.", "title"))
        layout.addWidget(label("Khóa ký chứng minh gói do máy nào gửi, không chứng minh số liệu là đúng."))
        self.held = QListWidget()
        self.held.setObjectName("held_bundles")
        self.held.setWordWrap(True)
        layout.addWidget(label(f"Gói đang giữ lại chờ quyết định ({KEY_CHANGED})", "warning"))
        layout.addWidget(self.held, 1)
        row = QHBoxLayout()
        self.accept_button = QPushButton("Nhận khóa mới và nhập gói")
        self.accept_button.setObjectName("accept_held")
        self.also_button = QPushButton("Máy thứ hai của đơn vị: nhận thêm khóa")
        self.also_button.setObjectName("accept_held_also")
        self.also_button.clicked.connect(lambda: self._decide(True, keep_old=True))
        self.reject_button = QPushButton("Từ chối gói và khóa này")
        self.reject_button.setObjectName("reject_held")
        self.accept_button.clicked.connect(lambda: self._decide(True))
        self.reject_button.clicked.connect(lambda: self._decide(False))
        row.addWidget(self.accept_button)
        row.addWidget(self.also_button)
        row.addWidget(self.reject_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(label("Khóa đã đăng ký của các đơn vị gửi", "title"))
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("sender_keys")
        self.table.setHorizontalHeaderLabels(["Mã", "Đơn vị", "Dấu khóa", "Trạng thái", "Đăng ký từ"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 2)
        self.allow_unsigned = QCheckBox("Nhận cả gói chưa ký (từ BaoCaoXa phiên bản cũ); báo cáo được đánh dấu "
                                        "«chưa ký»")
        self.allow_unsigned.setObjectName("allow_unsigned")
        self.allow_unsigned.setChecked(bool(workspace.setting(ALLOW_UNSIGNED, False)))
        self.allow_unsigned.toggled.connect(lambda on: workspace.set_setting(ALLOW_UNSIGNED, on))
        layout.addWidget(self.allow_unsigned)
        close = QPushButton("Đóng")
        close.clicked.connect(self.accept)
        layout.addWidget(close)
        self._fill()

    def _fill(self) -> None:
        self.held.clear()
        for held in self.workspace.held_bundles():
            item = QListWidgetItem(f"{held.unit_name} ({held.unit_code}) — tệp {held.file_name}, ký bằng khóa "
                                   f"{held.fingerprint}. Gọi điện cho đơn vị: nếu họ vừa thay máy, nhận khóa mới; "
                                   "nếu không, từ chối.")
            item.setData(Qt.ItemDataRole.UserRole, held.id)
            self.held.addItem(item)
        if self.held.count():
            self.held.setCurrentRow(0)
        self.accept_button.setEnabled(self.held.count() > 0)
        self.also_button.setEnabled(self.held.count() > 0)
        self.reject_button.setEnabled(self.held.count() > 0)
        keys = self.workspace.senders()
        self.table.setRowCount(len(keys))
        for row, key in enumerate(keys):
            for column, text in enumerate((key.unit_code, key.unit_name, key.fingerprint,
                                           STATES.get(key.status, key.status), HOWS.get(key.how, key.how))):
                self.table.setItem(row, column, QTableWidgetItem(text))

    def _decide(self, accept: bool, keep_old: bool = False) -> None:
        item = self.held.currentItem()
        if item is None:
            return
        held_id = item.data(Qt.ItemDataRole.UserRole)
        if keep_old:
            question = "Nhận thêm khóa này cho đơn vị (máy thứ hai)? Khóa cũ vẫn được tin cậy."
        elif accept:
            question = "Nhận khóa mới cho đơn vị này? Khóa cũ sẽ thôi được tin cậy."
        else:
            question = "Từ chối gói này? Các gói sau ký bằng khóa này cho đơn vị đó cũng bị từ chối."
        if not confirm(self, "Quyết định về khóa ký", question, "Nhận khóa mới" if accept else "Từ chối"):
            return
        try:
            if accept:
                from ui.bundle_actions import ImportSummaryDialog

                summary = self.workspace.accept_held(held_id, keep_old=keep_old)
                self.summaries.append(summary)
                ImportSummaryDialog(summary, self).exec()
            else:
                self.workspace.reject_held(held_id)
        except UserError as exc:
            show_error(self, exc)
        self._fill()
