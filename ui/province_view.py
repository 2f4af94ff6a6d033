"""The receiving office's home: for each report type and period received, the units that sent
(final / draft), those that have NOT sent — exportable as a list to chase — and those that sent
something odd (outside the area, an older template version)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QPushButton, QTableWidget, QTableWidgetItem,
    QTabWidget, QVBoxLayout, QWidget,
)

from desktop_app import actions
from desktop_app.domain.changes import Changes
from desktop_app.services import Workspace
from ui import operations
from ui.common import confirm, enter_clicks, info, label, show_error

LIST_FILTER = "Bảng tính Excel (*.xlsx);;Tệp CSV (*.csv)"


def _table(name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]], report_ids: list[int | None] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if report_ids is not None:
                item.setData(Qt.ItemDataRole.UserRole, report_ids[r])
            if c == 0:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)


class ReceivedHome(QWidget):
    """Starts from what came in; the buttons lead to receiving bundles and to the consolidation."""

    open_report = Signal(int)
    receive = Signal()
    consolidate = Signal()

    def __init__(self, workspace: Workspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.received: list = []
        self.receipts = None
        layout = QVBoxLayout(self)
        self.title = label("", "title")
        self.title.setObjectName("office_name")
        layout.addWidget(self.title)
        top = QHBoxLayout()
        top.addWidget(label("Báo cáo nhận được:", wrap=False))
        self.choice = QComboBox()
        self.choice.setObjectName("receipts_choice")
        self.choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.choice.currentIndexChanged.connect(lambda _i: self.load())
        top.addWidget(self.choice, 1)
        layout.addLayout(top)
        self.summary = label("", "title")
        self.summary.setObjectName("receipts_summary")
        layout.addWidget(self.summary)
        self.tabs = QTabWidget()
        self.sent = _table("sent_units", ["TT", "Mã", "Đơn vị", "Tình trạng", "Phiên bản mẫu", "Cập nhật lúc"])
        self.missing = _table("missing_units", ["TT", "Mã", "Đơn vị chưa gửi"])
        self.odd = _table("odd_units", ["TT", "Mã", "Đơn vị", "Cần xem lại vì"])
        for table in (self.sent, self.odd):
            table.activated.connect(lambda index, t=table: self._open(t, index.row()))
        self.tabs.addTab(self.sent, "Đã gửi")
        self.tabs.addTab(self.missing, "Chưa gửi")
        self.tabs.addTab(self.odd, "Cần xem lại")
        layout.addWidget(self.tabs, 1)
        buttons = QHBoxLayout()
        self.receive_button = QPushButton("Nhận gói dữ liệu…")
        self.receive_button.setObjectName("home_receive")
        self.export_button = QPushButton("Xuất danh sách chưa gửi…")
        self.export_button.setObjectName("export_missing")
        self.export_button.setToolTip("Bảng Excel (.xlsx) hoặc tệp CSV các đơn vị chưa gửi, để gọi điện nhắc")
        self.consolidate_button = QPushButton("Tổng hợp và xuất báo cáo…")
        self.consolidate_button.setObjectName("home_consolidate")
        self.receive_button.clicked.connect(self.receive.emit)
        self.export_button.clicked.connect(self.export_missing)
        self.consolidate_button.clicked.connect(self.consolidate.emit)
        for button in (self.receive_button, self.export_button, self.consolidate_button):
            enter_clicks(button)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(label("Kéo thả tệp gói dữ liệu của các xã, phường vào cửa sổ này để nhận. Bấm đúp vào một "
                               "đơn vị để xem báo cáo của đơn vị đó.", "hint"))
        operations.hub().did_execute.connect(self._on_changes)
        self.refresh()

    def _on_changes(self, changes: Changes, _origin: object) -> None:
        if changes.received or changes.profile or changes.any_report:
            self.refresh()

    def refresh(self) -> None:
        """The received types and periods; the one shown stays chosen when still there."""
        index = self.choice.currentIndex()
        shown = self.received[index] if 0 <= index < len(self.received) else None
        self.received = self.workspace.received()
        self.choice.blockSignals(True)
        self.choice.clear()
        for item in self.received:
            self.choice.addItem(f"{item.title} — {item.period_label}")
        keys = [(r.template_id, r.period) for r in self.received]
        if shown is not None and (shown.template_id, shown.period) in keys:
            self.choice.setCurrentIndex(keys.index((shown.template_id, shown.period)))
        self.choice.blockSignals(False)
        self.load()

    def load(self) -> None:
        index = self.choice.currentIndex()
        if not 0 <= index < len(self.received):
            self.receipts = None
            self.summary.setText("Chưa nhận được báo cáo nào của các xã, phường. Bấm «Nhận gói dữ liệu…» hoặc kéo "
                                 "thả tệp gói vào cửa sổ.")
            for table in (self.sent, self.missing, self.odd):
                table.setRowCount(0)
            self._buttons()
            return
        chosen = self.received[index]
        try:
            rec = self.workspace.receipts(chosen.template_id, chosen.period)
        except Exception as exc:  # noqa: BLE001 - shown to the person
            show_error(self, exc)
            return
        self.show_receipts(rec)

    def show_receipts(self, rec) -> None:
        self.receipts = rec
        self.summary.setText(rec.summary())
        _fill(self.sent, [[str(i), s.unit_code, s.unit_name, s.status_text, s.template_version,
                           f"{s.updated_at:%d/%m/%Y %H:%M}"] for i, s in enumerate(rec.sent, start=1)],
              [s.report_id for s in rec.sent])
        _fill(self.missing, [[str(i), u.code, u.name] for i, u in enumerate(rec.missing, start=1)])
        _fill(self.odd, [[str(i), o.sent.unit_code, o.sent.unit_name, o.why] for i, o in enumerate(rec.odd, start=1)],
              [o.sent.report_id for o in rec.odd])
        self.tabs.setTabText(0, f"Đã gửi ({len(rec.sent)}: {len(rec.finals)} hoàn tất, {len(rec.drafts)} đang soạn)")
        self.tabs.setTabText(1, f"Chưa gửi ({len(rec.missing)})")
        self.tabs.setTabText(2, f"Cần xem lại ({len(rec.odd)})")
        self._buttons()

    def _buttons(self) -> None:
        self.export_button.setEnabled(bool(self.receipts and self.receipts.missing))
        self.consolidate_button.setEnabled(self.receipts is not None)

    def _open(self, table: QTableWidget, row: int) -> None:
        item = table.item(row, 0)
        if item is not None and item.data(Qt.ItemDataRole.UserRole):
            self.open_report.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def export_missing(self) -> None:
        rec = self.receipts
        if rec is None or not rec.missing:
            return
        last = self.workspace.setting("last_folder") or str(Path.home())
        name = f"chua-gui-{rec.template_id}-{rec.period.spec.replace('..', '_')}.xlsx"
        path, chosen = QFileDialog.getSaveFileName(self, "Xuất danh sách đơn vị chưa gửi", str(Path(last) / name),
                                                   LIST_FILTER)
        if not path:
            return
        if not path.lower().endswith((".xlsx", ".csv")):
            path += ".csv" if "csv" in chosen.lower() else ".xlsx"
            if Path(path).exists() and not confirm(self, "Xuất danh sách đơn vị chưa gửi", f"Tệp «{Path(path).name}» "
                                                   "đã có trong thư mục này.\nGhi đè lên tệp đó?", yes="Ghi đè",
                                                   no="Không"):
                return
        self.workspace.set_setting("last_folder", str(Path(path).parent))
        operations.run(self, "Đang ghi danh sách…", lambda _p: actions.export_missing_list(rec, path),
                       lambda written: info(self, "Đã xuất danh sách", f"Đã lưu danh sách {len(rec.missing)} đơn vị "
                                            f"chưa gửi vào:\n{written}"),
                       name="export missing list")
