"""Repeating tables (per village, project, team, document): typed cells, rows, totals, paste."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPersistentModelIndex, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemDelegate, QAbstractItemView, QHBoxLayout, QHeaderView, QLineEdit, QPushButton, QScrollArea,
    QStyledItemDelegate, QTableWidget, QTableWidgetItem,
)

from desktop_app.domain.drafts import cell_key
from desktop_app.domain.fieldkinds import kind_spec
from desktop_app.templating.model import Field, FieldKind
from desktop_app.domain.values import format_computed, format_value
from ui.common import label
from ui.fields import FieldWidget

MAX_VISIBLE_ROWS = 15  # a table is as tall as this many rows, then scrolls inside itself


class _Grid(QTableWidget):
    """A grid that behaves like a spreadsheet: Enter commits and moves down, Tab moves right
    (to the next row at the end, out of the table after the last cell), Ctrl+V pastes a block
    copied from Excel (tab-separated lines)."""

    def __init__(self, owner: TableField, *args):
        super().__init__(*args)
        self.owner = owner
        self.setTabKeyNavigation(True)

    def _editable_cells(self) -> list[tuple[int, int]]:
        return [(r, c) for r in range(self.rowCount()) for c in range(self.columnCount())
                if self.item(r, c) is None or self.item(r, c).flags() & Qt.ItemFlag.ItemIsEditable]

    def _at_end(self, forward: bool) -> bool:
        cells = self._editable_cells()
        here = (self.currentRow(), self.currentColumn())
        return not cells or here == (cells[-1] if forward else cells[0])

    def _move_down(self) -> None:
        row, column = self.currentRow(), self.currentColumn()
        if row + 1 < self.rowCount():
            self.setCurrentCell(row + 1, column)

    def closeEditor(self, editor, hint) -> None:  # noqa: N802 - Qt API
        Hint = QAbstractItemDelegate.EndEditHint
        if hint == Hint.SubmitModelCache:  # Enter: commit, then the cell below
            super().closeEditor(editor, Hint.NoHint)
            self._move_down()
            return
        if hint in (Hint.EditNextItem, Hint.EditPreviousItem) and self._at_end(hint == Hint.EditNextItem):
            super().closeEditor(editor, Hint.NoHint)
            self.focusNextChild() if hint == Hint.EditNextItem else self.focusPreviousChild()
            return
        super().closeEditor(editor, hint)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.matches(QKeySequence.StandardKey.Paste):
            text = QGuiApplication.clipboard().text()
            if text:
                self.owner.paste(text)
                return
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.state() != self.State.EditingState:
            self._move_down()
            return
        if (key == Qt.Key.Key_Tab and self._at_end(True)) or (key == Qt.Key.Key_Backtab and self._at_end(False)):
            # Not ours: Qt's focusNextPrevChild() asked with this very key and, as it is not
            # accepted, moves the focus out of the table (calling focusNextChild() here again
            # would recurse until the process dies).
            event.ignore()
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().focusInEvent(event)
        if self.currentRow() < 0 and self.rowCount():
            self.setCurrentCell(0, next((c for r, c in self._editable_cells() if r == 0), 0))


def _total_text(column, total: Any) -> str:
    return format_computed(None, total) if column.kind == FieldKind.COMPUTED else format_value(column, total)


class _CellDelegate(QStyledItemDelegate):
    """Hands what is typed in an open cell to the table, so it is saved while typing goes on."""

    def __init__(self, owner: TableField):
        super().__init__(owner)
        self.owner = owner

    def createEditor(self, parent, option, index):  # noqa: N802 - Qt API
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit):
            cell = QPersistentModelIndex(index)
            editor.textEdited.connect(lambda text: self.owner.cell_typing(cell.row(), cell.column(), text))
        return editor


class TableField(FieldWidget):
    def __init__(self, field: Field, ops):
        self.ops = ops  # the editor: set_cell / add_row / remove_row / paste_block / rows / totals
        self.columns = list(field.columns or [])
        super().__init__(field, ops)

    def build(self) -> None:
        self.grid = _Grid(self, 0, len(self.columns))
        self.grid.setObjectName(f"table_{self.field.id}")
        self.grid.setHorizontalHeaderLabels([c.label + (f" ({c.unit})" if c.unit else "") for c in self.columns])
        header = self.grid.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap)
        self.grid.setMinimumHeight(160)
        self.grid.currentCellChanged.connect(lambda row, column, *_: self._show_cell(row, column))
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        header.setMinimumHeight(self.fontMetrics().height() * 2 + 12)  # room for wrapped headers
        self.grid.itemChanged.connect(self._cell_changed)
        self.grid.setItemDelegate(_CellDelegate(self))
        self._typing: tuple[int, int, str] | None = None  # an open cell's text, not yet saved
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
        if self.field.rows:  # rows declared by the template (an indicator list): none added or removed
            self.add.hide()
            self.remove.hide()

    def editors(self) -> list:
        return [self.grid, self.add, self.remove]

    def raw(self) -> Any:
        return None

    def cell_typing(self, row: int, column: int, text: str) -> None:
        """Typing in an open cell: saved after a pause, at most about a second later (like a field)."""
        self._typing = (row, column, text)
        self._pause.start()
        if not self._max_wait.isActive():
            self._max_wait.start()

    def flush(self) -> None:
        """Commit an open cell's text without closing it (closed cells are committed at once)."""
        self._pause.stop()
        self._max_wait.stop()
        typing, self._typing = self._typing, None
        if typing is not None:
            row, column, text = typing
            self._save_error = self.ops.table_set_cell(self.field.id, row, self.columns[column].id, text)

    def _cell_text(self, col, row: dict[str, Any], r: int, drafts: dict[str, str]) -> str:
        typed = drafts.get(cell_key(self.field.id, r, col.id))
        if typed is not None:
            return typed
        value = row.get(col.id)
        if col.kind == FieldKind.COMPUTED:
            return format_computed(col.display.value if col.display else None, value)
        return format_value(col, value)

    def display(self, rows: Any, drafts: dict[str, str]) -> None:
        """Show the rows, changing only the cells whose text differs: items are never replaced, so
        an edit that is open or about to open stays on its own cell."""
        rows = self.ops.table_rows(self.field.id)
        self.grid.blockSignals(True)
        try:
            if self.grid.rowCount() != len(rows):
                self.grid.setRowCount(len(rows))
            for r, row in enumerate(rows):
                for c, col in enumerate(self.columns):
                    text = self._cell_text(col, row, r, drafts)
                    item = self.grid.item(r, c)
                    if item is None:
                        item = QTableWidgetItem(text)
                        if kind_spec(col.kind).number_valued:
                            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                        if col.kind == FieldKind.COMPUTED or self.field.fixed_cell(r, col.id):
                            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                        self.grid.setItem(r, c, item)
                    elif item.text() != text and not self._editing(r, c):
                        item.setText(text)
        finally:
            self.grid.blockSignals(False)
        self._fit_height()
        totals = self.ops.table_totals(self.field.id)
        parts = [f"{c.label}: {_total_text(c, totals[c.id])}" for c in self.columns if c.id in totals]
        self.totals.setText("Tổng cộng — " + "; ".join(parts) if parts else "")
        self.totals.setVisible(bool(parts))

    def _fit_height(self) -> None:
        """Tall enough for its rows (up to MAX_VISIBLE_ROWS): the page scrolls, not a small box
        inside it, so the row being typed into is never half hidden."""
        grid = self.grid
        rows = min(grid.rowCount(), MAX_VISIBLE_ROWS)
        height = grid.horizontalHeader().height() + sum(grid.rowHeight(r) for r in range(rows)) \
            + 2 * grid.frameWidth() + grid.horizontalScrollBar().sizeHint().height()
        grid.setFixedHeight(max(160, height))

    def _show_cell(self, row: int, column: int) -> None:
        """Scroll the page so the current cell is in view (Tab and Enter move through rows)."""
        if row < 0 or column < 0:
            return
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is None or area.widget() is None:
            return
        rect = self.grid.visualRect(self.grid.model().index(row, column))
        centre = self.grid.viewport().mapTo(area.widget(), rect.center())
        area.ensureVisible(centre.x(), centre.y(), rect.width() // 2 + 8, rect.height() + 8)

    def _editing(self, row: int, column: int) -> bool:
        """The open cell keeps what is being typed in it (its own commit will store it)."""
        return self.grid.state() == QAbstractItemView.State.EditingState and \
            (self.grid.currentRow(), self.grid.currentColumn()) == (row, column)

    def load(self, value: Any) -> None:
        self.display(value, self.ops.drafts_for(self.field.id))

    def _cell_changed(self, item: QTableWidgetItem) -> None:
        self._typing = None  # the closed cell commits itself now
        row, column = item.row(), item.column()  # read now: this very cell, whatever happens next
        col = self.columns[column]
        self._save_error = self.ops.table_set_cell(self.field.id, row, col.id, item.text())
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
