"""The receiving office's view: who has reported, the consolidated table (one row per unit and
a totals row), a chart of one indicator across units, and the consolidated exports."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QHBoxLayout, QHeaderView, QPushButton, QScrollArea,
    QTableView, QTabWidget, QVBoxLayout, QWidget,
)

from desktop_app import actions
from desktop_app.domain.changes import Changes
from desktop_app.office.consolidation import (
    MISSING_TEXT, OUTSIDE_TEXT, Consolidation, Indicator, indicators, name_order,
)
from desktop_app.services import Workspace
from desktop_app.domain.text import fold
from ui.bar_chart import BarChart
from ui import operations
from ui.common import ask_save_path, info, label, resize_within_screen, show_error

LAST_FOLDER = "last_folder"
MISSING_COLOUR = QColor("#b3261e")
DRAFT_COLOUR = QColor("#8a5a00")
SORTS = ["Theo tên đơn vị", "Từ cao xuống thấp", "Từ thấp lên cao"]


ROOT_INDEX = QModelIndex()  # the invalid index: a flat table

class _Table(QAbstractTableModel):
    """Rows of text with an optional bold last row (the totals)."""

    def __init__(self, headers: list[str], rows: list[list[str]], numeric: list[bool], totals: bool = False,
                 colours: list[QColor | None] | None = None, tooltips: list[str] | None = None):
        super().__init__()
        self.headers, self.rows, self.numeric, self.totals = headers, rows, numeric, totals
        self.tooltips = tooltips or headers
        self.colours = colours or []

    def rowCount(self, parent=ROOT_INDEX) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=ROOT_INDEX) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt API
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltips[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and self.numeric[index.column()]:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and self.totals and index.row() == len(self.rows) - 1:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and index.row() < len(self.colours) and self.colours[index.row()]:
            return QBrush(self.colours[index.row()])
        return None


def _wrapped(text: str, width: int = 19, lines: int = 3) -> str:
    """Long indicator names over a few lines in the column header (the tooltip has it whole)."""
    parts = textwrap.wrap(text, width)
    return "\n".join(parts[:lines]) + ("…" if len(parts) > lines else "")


def _labelled_combo(row: QHBoxLayout, text: str, object_name: str) -> QComboBox:
    """A label and a stretching combo box whose long items (report titles, indicator names)
    never widen the window past a small screen."""
    row.addWidget(label(text, wrap=False))
    combo = QComboBox()
    combo.setObjectName(object_name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(24)
    row.addWidget(combo, 1)
    return combo


def _view(object_name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(object_name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setDefaultSectionSize(150)
    return view


class ConsolidationDialog(QDialog):
    open_report = Signal(int)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.cons: Consolidation | None = None
        self.row_reports: list[int] = []
        self.setWindowTitle("Tổng hợp báo cáo của các đơn vị")
        resize_within_screen(self, 1240, 680)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.choice = _labelled_combo(top, "Báo cáo nhận được:", "received_choice")
        layout.addLayout(top)
        self.coverage = label("", "title")
        self.coverage.setObjectName("coverage")
        layout.addWidget(self.coverage)
        self.notes = label("", "warning")
        self.notes.setObjectName("consolidation_notes")
        self.notes.setVisible(False)
        layout.addWidget(self.notes)
        self.tabs = QTabWidget()
        self.status_view = _view("status_view")
        self.status_view.doubleClicked.connect(self._open_status_row)
        self.table_view = _view("consolidated_view")
        self.table_view.doubleClicked.connect(self._open_row)
        self.tabs.addTab(self.status_view, "Tình hình gửi báo cáo")
        table_page = QWidget()
        table_layout = QVBoxLayout(table_page)
        self.with_text = QCheckBox("Hiện cả các cột chữ (văn bản, nhận xét)")
        self.with_text.setObjectName("with_text")
        self.with_text.toggled.connect(lambda _on: self.cons and self._fill_table(self.cons))
        table_layout.addWidget(self.with_text)
        table_layout.addWidget(self.table_view, 1)
        self.tabs.addTab(table_page, "Bảng tổng hợp")
        self.tabs.addTab(self._chart_page(), "Biểu đồ")
        layout.addWidget(self.tabs, 1)
        buttons = QHBoxLayout()
        self.docx_button = QPushButton("Xuất báo cáo tổng hợp (Word)…")
        self.docx_button.setToolTip("Báo cáo tổng hợp theo thể thức Nghị định 30, mang tên đơn vị mình")
        self.docx_button.setObjectName("export_docx")
        self.xlsx_button = QPushButton("Xuất bảng (Excel)…")
        self.xlsx_button.setToolTip("Mỗi đơn vị một dòng, có dòng tổng cộng và trang tình hình gửi báo cáo")
        self.xlsx_button.setObjectName("export_xlsx")
        close = QPushButton("Đóng")
        self.docx_button.clicked.connect(lambda: self._export("docx"))
        self.xlsx_button.clicked.connect(lambda: self._export("xlsx"))
        close.clicked.connect(self.accept)
        buttons.addWidget(self.docx_button)
        buttons.addWidget(self.xlsx_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addWidget(label("Bấm đúp vào một đơn vị để xem báo cáo của đơn vị đó. Số, ngày văn bản, nơi nhận và "
                               "người ký của báo cáo tổng hợp lấy từ báo cáo cùng loại, cùng kỳ của chính đơn vị mình "
                               "(tạo báo cáo đó và điền «Thông tin văn bản» trước khi xuất).", "hint"))
        layout.addLayout(buttons)
        self.received: list = []
        self._fill_choice()
        self.choice.currentIndexChanged.connect(lambda _i: self.load())
        self._enable(False)
        operations.hub().did_execute.connect(self._on_changes)

    def _fill_choice(self) -> None:
        """The received report types and periods; the one shown stays chosen when still there."""
        shown = self.received[self.choice.currentIndex()] if 0 <= self.choice.currentIndex() < len(self.received) \
            else None
        self.received = self.workspace.received()
        self.choice.blockSignals(True)
        self.choice.clear()
        for item in self.received:
            self.choice.addItem(f"{item.title} — {item.period_label} ({item.units} đơn vị)")
        keys = [(r.template_id, r.period) for r in self.received]
        if shown is not None and (shown.template_id, shown.period) in keys:
            self.choice.setCurrentIndex(keys.index((shown.template_id, shown.period)))
        self.choice.blockSignals(False)
        if not self.received:
            self.coverage.setText("Chưa nhận được báo cáo nào của các đơn vị. Hãy nhận gói dữ liệu "
                                  "(Dữ liệu → Nhận gói dữ liệu…) hoặc kéo thả tệp gói vào cửa sổ chính.")

    def _on_changes(self, changes: Changes, _origin: object) -> None:
        """Bundles received anywhere (the main window, a drop) show here at once: never stale."""
        if changes.received and self.isVisible():
            self._fill_choice()
            self.load()

    def _chart_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        self.indicator = _labelled_combo(row, "Chỉ tiêu:", "chart_indicator")
        self.indicator.currentIndexChanged.connect(lambda _i: self._draw_chart())
        row.addWidget(label("Sắp xếp:", wrap=False))
        self.sort = QComboBox()
        self.sort.addItems(SORTS)
        self.sort.currentIndexChanged.connect(lambda _i: self._draw_chart())
        row.addWidget(self.sort)
        layout.addLayout(row)
        self.chart = BarChart()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.chart)
        layout.addWidget(scroll, 1)
        return page

    def _enable(self, on: bool) -> None:
        self.docx_button.setEnabled(on)
        self.xlsx_button.setEnabled(on)

    # --- loading ---------------------------------------------------------------------
    def load(self) -> None:
        index = self.choice.currentIndex()
        if index < 0 or index >= len(self.received):
            return
        chosen = self.received[index]
        operations.run(self, "Đang tổng hợp…", lambda _p: self.workspace.consolidate(chosen.template_id, chosen.period),
                       self.show_consolidation, lambda exc: show_error(self, exc, "Không tổng hợp được"),
                       name="consolidate")

    def show_consolidation(self, cons: Consolidation) -> None:
        self.cons = cons
        self.indicators = indicators(cons.template)
        self.coverage.setText(cons.coverage_short())
        shown = cons.notes[:4] + ([f"… và {len(cons.notes) - 4} ghi chú khác (xem bảng Excel)."]
                                  if len(cons.notes) > 4 else [])
        self.notes.setText("\n".join(shown))
        self.notes.setVisible(bool(cons.notes))
        self._fill_status(cons)
        self._fill_table(cons)
        numeric = [i for i in self.indicators if i.numeric]
        answered = [i for i in self.indicators if not i.numeric and cons.answer_counts(i) is not None]
        self.indicator.blockSignals(True)
        self.indicator.clear()
        for ind in numeric:
            self.indicator.addItem(f"{ind.section}: {ind.label}", ind.key)
        for ind in answered:  # a choice or yes/no: one bar per answer, its number of units
            self.indicator.addItem(f"{ind.section}: {ind.label} (số đơn vị theo câu trả lời)", ind.key)
        # Start on the first indicator that any unit has a figure for.
        first = next((n for n, ind in enumerate(numeric)
                      if any(isinstance(ind.value(s), (int, float)) for s in cons.submissions)), 0)
        self.indicator.setCurrentIndex(first)
        self.indicator.blockSignals(False)
        self._draw_chart()
        self._enable(True)

    def _fill_status(self, cons: Consolidation) -> None:
        rows, colours = [], []
        for index, (code, name, text, updated) in enumerate(cons.status_rows(), start=1):
            rows.append([str(index), code, name, text, f"{updated:%d/%m/%Y %H:%M}" if updated else ""])
            colours.append(MISSING_COLOUR if text in (MISSING_TEXT, OUTSIDE_TEXT)
                           else DRAFT_COLOUR if "chưa hoàn tất" in text else None)
        self.status_model = _Table(["TT", "Mã", "Đơn vị", "Tình trạng", "Cập nhật lúc"], rows,
                                   [True, False, False, False, False], colours=colours)
        self.status_view.setModel(self.status_model)
        header = self.status_view.horizontalHeader()
        for column, width in ((0, 50), (1, 80), (2, 280), (3, 300)):
            self.status_view.setColumnWidth(column, width)
        header.setStretchLastSection(True)

    def _fill_table(self, cons: Consolidation) -> None:
        # Figures first: text columns (documents cited, remarks) only when asked; the .xlsx has all.
        shown = [i for i in self.indicators if i.numeric or self.with_text.isChecked()]
        headers = ["Đơn vị", "Tình trạng"] + [_wrapped(i.label) for i in shown]
        rows = [[s.unit_name, s.status_text] + [i.text(i.value(s)) for i in shown] for s in cons.submissions]
        rows.append(["Tổng cộng", f"{len(cons.submissions)} đơn vị"] + [i.text(i.value(cons)) for i in shown])
        self.row_reports = [s.report_id for s in cons.submissions]
        self.table_model = _Table(headers, rows, [False, False] + [i.numeric for i in shown], totals=True,
                                  tooltips=["Đơn vị", "Tình trạng"] + [i.label for i in shown])
        self.table_view.setModel(self.table_model)
        self.table_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table_view.setColumnWidth(0, 220)
        self.table_view.setColumnWidth(1, 170)

    def _draw_chart(self) -> None:
        if self.cons is None or self.indicator.currentIndex() < 0:
            self.chart.set_bars([])
            return
        key = self.indicator.currentData()
        ind: Indicator = next(i for i in self.indicators if i.key == key)
        counts = None if ind.numeric else self.cons.answer_counts(ind)
        if counts is not None:  # answers keep the template's order of options
            total = len(self.cons.submissions)
            self.chart.set_bars([(str(option), n, f"{n}/{total}") for option, n in counts.items()])
            return
        bars = []
        for sub in self.cons.submissions:
            value = ind.value(sub)
            number = value if isinstance(value, (int, float)) else None
            bars.append((sub.unit_name, number, ind.text(number)))
        order = self.sort.currentIndex()
        if order == 0:
            bars.sort(key=lambda b: name_order(b[0]))
        else:
            bars.sort(key=lambda b: (b[1] is None, -(b[1] or 0) if order == 1 else (b[1] or 0)))
        self.chart.set_bars(bars)

    def _open_row(self, index) -> None:
        """The report opens in the main window; this view stays open beside it."""
        if 0 <= index.row() < len(self.row_reports):
            self.open_report.emit(self.row_reports[index.row()])

    def _open_status_row(self, index) -> None:
        code = self.status_model.rows[index.row()][1]
        report_id = next((s.report_id for s in self.cons.submissions + self.cons.outside if s.unit_code == code), None)
        if report_id is not None:
            self.open_report.emit(report_id)

    # --- exports ---------------------------------------------------------------------
    def _export(self, kind: str) -> None:
        if self.cons is None:
            return
        suffix, label_text = actions.REPORT_FILE_KINDS[kind]
        folder = self.workspace.setting(LAST_FOLDER)
        folder = folder if folder and Path(folder).is_dir() else str(Path.home())
        base = re.sub(r"[^a-z0-9]+", "-", fold(f"tong-hop-{self.cons.template.id}-{self.cons.period.spec}")).strip("-")
        path = ask_save_path(self, "Lưu bản tổng hợp", str(Path(folder) / f"{base}{suffix}"), label_text, suffix)
        if not path:
            return
        self.workspace.set_setting(LAST_FOLDER, str(Path(path).parent))
        cons = self.cons
        operations.run(self, "Đang xuất bản tổng hợp…", lambda _p: actions.export_consolidation(cons, kind, path),
                       lambda target: info(self, "Đã xuất", f"Đã lưu vào:\n{target}"),
                       lambda exc: show_error(self, exc, "Không xuất được bản tổng hợp"), name=f"consolidated {kind}")
