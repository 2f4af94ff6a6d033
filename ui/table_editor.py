"""Repeating tables (per village, project, team, document): typed cells, rows, totals, paste."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QTableWidget, QTableWidgetItem

from desktop_app.templating.model import Field, FieldKind
from desktop_app.values import format_computed, format_value
from ui.common import label
from ui.fields import FieldWidget


class _Grid(QTableWidget):
    """A QTableWidget that pastes a block copied from Excel (tab-separated lines)."""

    def __init__(self, owner: TableField, *args):
        super().__init__(*args)
        self.owner = owner

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.matches(QKeySequence.StandardKey.Paste):
            text = QGuiApplication.clipboard().text()
            if text:
                self.owner.paste(text)
                return
        super().keyPressEvent(event)


class TableField(FieldWidget):
    def __init__(self, field: Field, ops):
        self.ops = ops  # the editor: set_cell / add_row / remove_row / paste_block / rows / totals
        self.columns = list(field.columns or [])
        super().__init__(field, lambda *_: None)

    def build(self) -> None:
        self.grid = _Grid(self, 0, len(self.columns))
        self.grid.setObjectName(f"table_{self.field.id}")
        self.grid.setHorizontalHeaderLabels([c.label + (f" ({c.unit})" if c.unit else "") for c in self.columns])
        header = self.grid.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap)
        self.grid.setMinimumHeight(220)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        self.grid.setTabKeyNavigation(False)  # Tab leaves the table (arrows move between cells)
        header.setMinimumHeight(self.fontMetrics().height() * 2 + 12)  # room for wrapped headers
        self.grid.itemChanged.connect(self._cell_changed)
        self.add = QPushButton("Thêm dòng")
        self.add.setObjectName(f"add_{self.field.id}")
        self.remove = QPushButton("Xóa dòng đang chọn")
        self.remove.setObjectName(f"remove_{self.field.id}")
        self.add.clicked.connect(lambda: self.ops.table_add_row(self.field.id))
        self.remove.clicked.connect(self._remove_row)
        self.totals = label("", "computed")
        self.totals.setObjectName(f"totals_{self.field.id}")
        holder = QHBoxLayout()
        holder.addWidget(self.add)
        holder.addWidget(self.remove)
        holder.addWidget(label("Mẹo: sao chép một vùng trong Excel rồi bấm Ctrl+V để dán.", "help"))
        holder.addStretch(1)
        column = self.body
        column.setDirection(column.Direction.TopToBottom)
        column.addWidget(self.grid)
        column.addLayout(holder)
        column.addWidget(self.totals)

    def editors(self) -> list:
        return [self.grid, self.add, self.remove]

    def raw(self) -> Any:
        return None

    def flush(self) -> None:
        pass  # every cell is committed as soon as it is edited

    def display(self, rows: Any) -> None:
        rows = self.ops.table_rows(self.field.id)
        self.grid.blockSignals(True)
        self.grid.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, col in enumerate(self.columns):
                value = row.get(col.id)
                text = format_computed(col.display.value if col.display else None, value) \
                    if col.kind == FieldKind.COMPUTED else format_value(col, value)
                item = QTableWidgetItem(text)
                if col.kind in (FieldKind.INTEGER, FieldKind.DECIMAL, FieldKind.AMOUNT, FieldKind.PERCENTAGE,
                                FieldKind.COMPUTED):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if col.kind == FieldKind.COMPUTED:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.grid.setItem(r, c, item)
        self.grid.blockSignals(False)
        totals = self.ops.table_totals(self.field.id)
        parts = [f"{c.label}: {format_value(c, totals[c.id]) if c.kind != FieldKind.COMPUTED else format_computed(None, totals[c.id])}"
                 for c in self.columns if c.id in totals]
        self.totals.setText("Tổng cộng — " + "; ".join(parts) if parts else "")
        self.totals.setVisible(bool(parts))

    def load(self, value: Any) -> None:
        self.display(value)

    def _cell_changed(self, item: QTableWidgetItem) -> None:
        col = self.columns[item.column()]
        error = self.ops.table_set_cell(self.field.id, item.row(), col.id, item.text())
        self._parse_error = error
        if error:
            self._show_parse_error()
        else:
            self.show_issues(self.ops.session.issues_for(self.field.id))

    def _remove_row(self) -> None:
        row = self.grid.currentRow()
        if row >= 0:
            self.ops.table_remove_row(self.field.id, row)

    def paste(self, text: str) -> None:
        editable = [i for i, c in enumerate(self.columns) if c.kind != FieldKind.COMPUTED]
        left_column = max(self.grid.currentColumn(), 0)
        left = editable.index(left_column) if left_column in editable else 0
        top = self.grid.currentRow() if self.grid.currentRow() >= 0 else self.grid.rowCount()  # else: append
        self.ops.table_paste(self.field.id, top, left, text)
