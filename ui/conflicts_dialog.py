"""Conflicts: a report changed both here and elsewhere. Both versions side by side; the
person keeps one. Nothing is overwritten until they choose."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QHBoxLayout, QHeaderView, QListWidget, QListWidgetItem, QPushButton, QSplitter,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from desktop_app.errors import UserError
from desktop_app.services import Workspace
from ui.common import confirm, label, resize_within_screen, show_error

OURS_COLOUR = QColor("#eef5ff")
THEIRS_COLOUR = QColor("#fff6e5")


class ConflictsDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.resolved = 0
        self.setWindowTitle("Xung đột giữa hai bản của báo cáo")
        resize_within_screen(self, 1100, 600)
        layout = QVBoxLayout(self)
        layout.addWidget(label("Các báo cáo dưới đây được sửa ở cả máy này và nơi gửi gói. Cả hai bản đều đang "
                               "được giữ. Xem các chỉ tiêu khác nhau rồi chọn bản đúng; bản không chọn vẫn "
                               "còn trong nhật ký thay đổi."))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.list = QListWidget()
        self.list.setObjectName("conflict_list")
        self.list.setWordWrap(True)
        self.list.currentItemChanged.connect(lambda *_: self._show_current())
        splitter.addWidget(self.list)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("conflict_table")
        self.table.setHorizontalHeaderLabels(["Phần", "Chỉ tiêu", "Bản trên máy này", "Bản nhận được"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 150)
        self.table.setColumnWidth(1, 220)
        splitter.addWidget(self.table)
        splitter.setSizes([280, 820])
        layout.addWidget(splitter, 1)
        row = QHBoxLayout()
        self.keep_local = QPushButton("Giữ bản trên máy này")
        self.keep_local.setObjectName("keep_local")
        self.keep_incoming = QPushButton("Dùng bản nhận được")
        self.keep_incoming.setObjectName("keep_incoming")
        close = QPushButton("Đóng")
        self.keep_local.clicked.connect(lambda: self._resolve("local"))
        self.keep_incoming.clicked.connect(lambda: self._resolve("incoming"))
        close.clicked.connect(self.accept)
        row.addWidget(self.keep_local)
        row.addWidget(self.keep_incoming)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for conflict in self.workspace.conflict_list():
            text = (f"{conflict.unit_name}\n{conflict.title}\n{conflict.period_label} — nhận lúc "
                    f"{conflict.received_at:%d/%m/%Y %H:%M}" + ("\n(báo cáo trên máy này đã bị xóa)"
                                                                   if conflict.deleted else ""))
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, conflict.id)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.table.setRowCount(0)
        has = self.list.count() > 0
        self.keep_local.setEnabled(has)
        self.keep_incoming.setEnabled(has)

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _show_current(self) -> None:
        conflict_id = self.current_id()
        if conflict_id is None:
            return
        try:
            rows = self.workspace.conflict_differences(conflict_id)
        except UserError as exc:
            rows = [("", "Không so sánh được", str(exc), "")]
        self.table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if c == 2:
                    item.setBackground(QBrush(OURS_COLOUR))
                elif c == 3:
                    item.setBackground(QBrush(THEIRS_COLOUR))
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()

    def _resolve(self, keep: str) -> None:
        conflict_id = self.current_id()
        if conflict_id is None:
            return
        if keep == "incoming" and not confirm(
                self, "Dùng bản nhận được",
                "Số liệu của báo cáo trên máy này sẽ được thay bằng bản nhận được (bản cũ vẫn còn trong nhật ký "
                "thay đổi). Tiếp tục?", yes="Dùng bản nhận được"):
            return
        try:
            self.workspace.resolve_conflict(conflict_id, keep)
        except UserError as exc:
            show_error(self, exc)
            return
        self.resolved += 1
        self.refresh()
