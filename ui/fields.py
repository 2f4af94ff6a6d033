"""Editors for each field kind. They show a value, forward what is typed, and show issues.

Typing is checked at once (a parse error appears beside the field); the value is
committed after a short pause in typing, and immediately when the field loses focus or
the window closes, so the audit log is not one entry per keystroke.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget,
)

from desktop_app.templating.model import Field, FieldKind
from desktop_app.validation import ERROR, Issue
from desktop_app.values import ValueProblem, coerce, format_computed, format_value
from desktop_app.vnformat import format_date
from ui.common import label, set_role

SAVE_DELAY_MS = 600
UNSET = "— Chưa chọn —"

Commit = Callable[[str, Any], str | None]  # returns an error message, or None when stored


class FieldWidget(QWidget):
    """Label, unit, help text (the criterion), the editor, and a line for issues."""

    def __init__(self, field: Field, commit: Commit):
        super().__init__()
        self.field = field
        self._commit = commit
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.flush)
        self.setObjectName(f"field_{field.id}")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 6, 0, 6)
        outer.setSpacing(3)
        title = field.label + (" *" if field.required else "")
        if field.kind == FieldKind.COMPUTED:
            title += " <span style='font-weight:normal'>(tự tính)</span>"
        self.title = label(f"<b>{title}</b>")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        outer.addWidget(self.title)
        if field.help:
            outer.addWidget(label(field.help, "help"))
        self.body = QHBoxLayout()
        outer.addLayout(self.body)
        self.message = label("", "error")
        self.message.setObjectName(f"message_{field.id}")
        self.message.hide()
        outer.addWidget(self.message)
        self._dirty = False
        self.build()
        if field.unit and field.kind not in (FieldKind.TABLE, FieldKind.LONG_TEXT, FieldKind.DOCREF):
            self.body.addWidget(label(field.unit, "help", wrap=False))
        self.body.addStretch(1)
        self._parse_error: str | None = None

    # --- to be provided by each kind ---------------------------------------------------
    def build(self) -> None:
        raise NotImplementedError

    def raw(self) -> Any:
        raise NotImplementedError

    def display(self, value: Any) -> None:
        raise NotImplementedError

    def editors(self) -> list[QWidget]:
        return []

    # --- shared behaviour ------------------------------------------------------------
    def edited(self) -> None:
        """Called on every keystroke: check now, save after a pause."""
        try:
            coerce(self.field, self.raw())
            self._parse_error = None
        except ValueProblem as exc:
            self._parse_error = str(exc)
        self._show_parse_error()
        self._dirty = True
        self._timer.start()

    def flush(self) -> None:
        self._timer.stop()
        if not self._dirty or self._parse_error:
            return  # nothing new, or nothing readable to store (the message stays beside the field)
        self._dirty = False
        error = self._commit(self.field.id, self.raw())
        if error:
            self._parse_error = error
            self._show_parse_error()

    @property
    def pending(self) -> bool:
        return self._dirty

    def _show_parse_error(self) -> None:
        if self._parse_error:
            self.message.setText(f"✗ {self._parse_error}")
            set_role(self.message, "error")
            self.message.show()

    def show_issues(self, issues: list[Issue]) -> None:
        if self._parse_error:
            self._show_parse_error()
            return
        errors = [i for i in issues if i.severity == ERROR and i.code != "required"]
        warnings = [i for i in issues if i.severity != ERROR]
        required = [i for i in issues if i.code == "required"]
        if errors:
            self.message.setText("\n".join(f"✗ {i.message}" for i in errors))
            set_role(self.message, "error")
        elif warnings:
            self.message.setText("\n".join(f"! {i.message}" for i in warnings))
            set_role(self.message, "warning")
        elif required:
            self.message.setText("Bắt buộc nhập trước khi hoàn tất.")
            set_role(self.message, "hint")
        else:
            self.message.hide()
            return
        self.message.show()

    def load(self, value: Any) -> None:
        """Show the stored value unless the person is in the middle of typing here."""
        if self.pending or self._parse_error:
            return
        for editor in self.editors():
            editor.blockSignals(True)
        try:
            self.display(value)
        finally:
            for editor in self.editors():
                editor.blockSignals(False)

    def set_read_only(self, read_only: bool) -> None:
        for editor in self.editors():
            if isinstance(editor, (QLineEdit, QPlainTextEdit)):
                editor.setReadOnly(read_only)
            else:
                editor.setEnabled(not read_only)

    def show_previous(self, text: str, period_label: str) -> None:
        """Last period's value beside the field, for comparison (issue: prior period)."""
        hint = label(f"Kỳ trước ({period_label}): {text}", "hint", wrap=False)
        hint.setObjectName(f"previous_{self.field.id}")
        self.body.insertWidget(self.body.count() - 1, hint)

    def focus_editor(self) -> None:
        editors = self.editors()
        if editors:
            editors[0].setFocus()


def _line_edit(owner: FieldWidget, width: int | None = None, align_right: bool = False) -> QLineEdit:
    edit = QLineEdit()
    if width:
        edit.setMaximumWidth(width)
        edit.setMinimumWidth(min(width, 120))
    if align_right:
        edit.setAlignment(Qt.AlignmentFlag.AlignRight)
    edit.textEdited.connect(lambda _text: owner.edited())
    edit.editingFinished.connect(owner.flush)
    edit.returnPressed.connect(edit.focusNextChild)  # Enter moves on, like Tab
    return edit


class NumberField(FieldWidget):
    def build(self) -> None:
        self.edit = _line_edit(self, 200, align_right=True)
        self.edit.setObjectName(f"edit_{self.field.id}")
        self.edit.setPlaceholderText("ví dụ 1.234" if self.field.kind != FieldKind.DECIMAL else "ví dụ 12,5")
        self.body.addWidget(self.edit)
        if self.field.kind == FieldKind.PERCENTAGE and not self.field.unit:
            self.body.addWidget(label("%", wrap=False))

    def raw(self) -> Any:
        return self.edit.text()

    def display(self, value: Any) -> None:
        self.edit.setText(format_value(self.field, value))

    def editors(self) -> list[QWidget]:
        return [self.edit]

    def flush(self) -> None:
        was_pending = self.pending
        super().flush()
        if was_pending and not self._parse_error and self.edit.text().strip():
            try:  # tidy to vi-VN grouping once the person moves on: 22040 → 22.040
                self.edit.setText(format_value(self.field, coerce(self.field, self.edit.text())))
            except ValueProblem:
                pass


class TextField(FieldWidget):
    def build(self) -> None:
        self.edit = _line_edit(self)
        self.edit.setObjectName(f"edit_{self.field.id}")
        if self.field.placeholder:
            self.edit.setPlaceholderText(self.field.placeholder)
        self.body.addWidget(self.edit, 1)

    def raw(self) -> Any:
        return self.edit.text()

    def display(self, value: Any) -> None:
        self.edit.setText(value or "")

    def editors(self) -> list[QWidget]:
        return [self.edit]


class DateField(TextField):
    def build(self) -> None:
        super().build()
        self.edit.setMaximumWidth(160)
        self.edit.setPlaceholderText("ngày/tháng/năm")

    def display(self, value: Any) -> None:
        self.edit.setText(format_value(self.field, value) if value else "")


class LongTextField(FieldWidget):
    def build(self) -> None:
        self.edit = QPlainTextEdit()
        self.edit.setObjectName(f"edit_{self.field.id}")
        self.edit.setTabChangesFocus(True)  # Tab leaves the box; Enter makes a new paragraph
        self.edit.setMinimumHeight(130)
        self.edit.setPlaceholderText("Mỗi đoạn một dòng.")
        self.edit.textChanged.connect(self.edited)
        self.edit.installEventFilter(self)
        self.body.addWidget(self.edit, 1)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == event.Type.FocusOut:
            self.flush()
        return False

    def raw(self) -> Any:
        return self.edit.toPlainText()

    def display(self, value: Any) -> None:
        self.edit.setPlainText(value or "")

    def editors(self) -> list[QWidget]:
        return [self.edit]


class NoWheelComboBox(QComboBox):
    """Scrolling the page over a choice box must not change (and save) its value."""

    def __init__(self):
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class ComboField(FieldWidget):
    def build(self) -> None:
        self.box = NoWheelComboBox()
        self.box.setObjectName(f"edit_{self.field.id}")
        self.box.addItem(UNSET, None)
        options = ["Có", "Không"] if self.field.kind == FieldKind.YESNO else list(self.field.options or [])
        for option in options:
            self.box.addItem(option, option)
        self.box.setMinimumWidth(200)
        self.box.activated.connect(lambda _i: (self.edited(), self.flush()))
        self.body.addWidget(self.box)

    def raw(self) -> Any:
        return self.box.currentData()

    def display(self, value: Any) -> None:
        if self.field.kind == FieldKind.YESNO and value is not None:
            value = "Có" if value else "Không"
        index = self.box.findData(value)
        self.box.setCurrentIndex(index if index >= 0 else 0)

    def editors(self) -> list[QWidget]:
        return [self.box]


class RatioField(FieldWidget):
    def build(self) -> None:
        self.num = _line_edit(self, 140, align_right=True)
        self.den = _line_edit(self, 140, align_right=True)
        self.num.setObjectName(f"edit_{self.field.id}_num")
        self.den.setObjectName(f"edit_{self.field.id}_den")
        self.num.setPlaceholderText("tử số")
        self.den.setPlaceholderText("mẫu số")
        self.percent = label("", "computed", wrap=False)
        for w in (self.num, label("/", wrap=False), self.den, label("→", wrap=False), self.percent):
            self.body.addWidget(w)

    def raw(self) -> Any:
        return {"num": self.num.text(), "den": self.den.text()}

    def display(self, value: Any) -> None:
        value = value or {}
        self.num.setText(format_value(self.field.model_copy(update={"kind": FieldKind.INTEGER}), value.get("num")))
        self.den.setText(format_value(self.field.model_copy(update={"kind": FieldKind.INTEGER}), value.get("den")))
        self._update_percent(value)

    def _update_percent(self, value: dict) -> None:
        num, den = value.get("num"), value.get("den")
        self.percent.setText(format_computed("percent", num / den * 100) if num is not None and den else "")

    def edited(self) -> None:
        super().edited()
        try:
            self._update_percent(coerce(self.field, self.raw()) or {})
        except ValueProblem:
            self.percent.setText("")

    def editors(self) -> list[QWidget]:
        return [self.num, self.den]


class DocrefField(FieldWidget):
    PARTS = (("number", "Số, ký hiệu", "ví dụ 66/KH-UBND"), ("date", "Ngày ban hành", "ngày/tháng/năm"),
             ("issuer", "Cơ quan ban hành", "ví dụ UBND huyện Bình Sơn"), ("summary", "Trích yếu", "về việc …"))

    def build(self) -> None:
        grid = QGridLayout()
        self.parts: dict[str, QLineEdit] = {}
        for row, (key, caption, hint) in enumerate(self.PARTS):
            edit = _line_edit(self)
            edit.setObjectName(f"edit_{self.field.id}_{key}")
            edit.setPlaceholderText(hint)
            grid.addWidget(label(caption, wrap=False), row, 0)
            grid.addWidget(edit, row, 1)
            self.parts[key] = edit
        holder = QWidget()
        holder.setLayout(grid)
        self.body.addWidget(holder, 1)

    def raw(self) -> Any:
        return {key: edit.text() for key, edit in self.parts.items()}

    def display(self, value: Any) -> None:
        value = value or {}
        for key, edit in self.parts.items():
            part = value.get(key) or ""
            if key == "date" and part:
                import datetime as dt

                part = format_date(dt.date.fromisoformat(part))
            edit.setText(part)

    def editors(self) -> list[QWidget]:
        return list(self.parts.values())


class ComputedField(FieldWidget):
    def build(self) -> None:
        self.value = label("—", "computed", wrap=False)
        self.value.setObjectName(f"value_{self.field.id}")
        self.body.addWidget(self.value)

    def raw(self) -> Any:
        return None

    def display(self, value: Any) -> None:
        display = self.field.display.value if self.field.display else None
        self.value.setText(format_computed(display, value) or "—")


def make_field_widget(field: Field, commit: Commit, table_factory=None) -> FieldWidget:
    kind = field.kind
    if kind in (FieldKind.INTEGER, FieldKind.DECIMAL, FieldKind.AMOUNT, FieldKind.PERCENTAGE):
        return NumberField(field, commit)
    if kind in (FieldKind.YESNO, FieldKind.CHOICE):
        return ComboField(field, commit)
    if kind == FieldKind.RATIO:
        return RatioField(field, commit)
    if kind == FieldKind.DATE:
        return DateField(field, commit)
    if kind == FieldKind.LONG_TEXT:
        return LongTextField(field, commit)
    if kind == FieldKind.DOCREF:
        return DocrefField(field, commit)
    if kind == FieldKind.COMPUTED:
        return ComputedField(field, commit)
    if kind == FieldKind.TABLE and table_factory is not None:
        return table_factory(field)
    return TextField(field, commit)


__all__ = ["FieldWidget", "make_field_widget", "QLabel"]
