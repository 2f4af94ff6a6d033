"""Editors for each field kind. They show a value, forward what is typed, and show issues.

Every keystroke is checked at once (the message appears beside the field while typing);
what was typed is committed after a short pause, at the latest about a second after the
first unsaved keystroke, and at once when the field loses focus or the window closes.
Text that does not read as the field's kind is committed too, as typed (a draft with its
error), so nothing typed is ever lost.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Protocol

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFont, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (
    QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QSizePolicy, QVBoxLayout, QWidget,
)

from desktop_app.domain import markup
from desktop_app.domain.fieldkinds import kind_spec
from desktop_app.templating.model import Field, FieldKind
from desktop_app.domain.validation import ERROR, Issue
from desktop_app.domain.values import format_computed, format_value
from desktop_app.domain.drafts import field_key, part_key
from ui.common import label, set_role

SAVE_PAUSE_MS = 300  # a pause this long in typing saves
SAVE_MAX_WAIT_MS = 1000  # continuous typing is never longer than this from disk
UNSET = "— Chưa chọn —"


class FieldHost(Protocol):
    """What a field widget needs from the editor."""

    def commit(self, field_id: str, raw: Any) -> str | None: ...  # error message, or None when stored
    def preview(self, field_id: str, raw: Any) -> list[Issue]: ...  # issues if this were stored
    def drafts_for(self, field_id: str) -> dict[str, str]: ...  # unreadable text kept for this field
    def stored_form(self, field_id: str, raw: Any) -> Any: ...  # what would be stored (unreadable parts empty)


class FieldWidget(QWidget):
    """Label, unit, help text (the criterion), the editor, and a line for issues."""

    def __init__(self, field: Field, host: FieldHost):
        super().__init__()
        self.field = field
        self.host = host
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(SAVE_PAUSE_MS)
        self._pause.timeout.connect(self.flush)
        self._max_wait = QTimer(self)
        self._max_wait.setSingleShot(True)
        self._max_wait.setInterval(SAVE_MAX_WAIT_MS)
        self._max_wait.timeout.connect(self.flush)
        self._first_unsaved: float | None = None
        self.setObjectName(f"field_{field.id}")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 6, 0, 6)
        outer.setSpacing(3)
        title = field.label + (" *" if field.required else "")
        self.title = label(title)
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # template text is shown, never interpreted
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        if field.kind == FieldKind.COMPUTED:
            self.title.setText(f"{title} (tự tính)")
        outer.addWidget(self.title)
        if field.help:
            outer.addWidget(label(field.help, "help"))
        self.body = QHBoxLayout()
        outer.addLayout(self.body)
        # The message always takes its room, so an error appearing while typing never moves what
        # is below it under the mouse: beside a one-line editor (two lines of room there), or one
        # line under a large one (long text, document reference, table).
        self.message = label("", "hint")
        self.message.setObjectName(f"message_{field.id}")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self._dirty = False
        self._save_error: str | None = None  # the store refused (disk full, read-only…)
        self.build()
        large = field.kind in (FieldKind.TABLE, FieldKind.LONG_TEXT, FieldKind.DOCREF)
        if field.unit and not large:
            self.body.addWidget(label(field.unit, "help", wrap=False))
        line = self.message.fontMetrics().lineSpacing()
        if large:
            self.message.setFixedHeight(line * 2)
            self.body.addStretch(1)
            outer.addWidget(self.message)
        else:
            self.message.setFixedHeight(line * 2)
            self.body.addSpacing(line)
            self.body.addWidget(self.message, 1)

    # --- to be provided by each kind ---------------------------------------------------
    def build(self) -> None:
        raise NotImplementedError

    def raw(self) -> Any:
        raise NotImplementedError

    def display(self, value: Any, drafts: dict[str, str]) -> None:
        raise NotImplementedError

    def editors(self) -> list[QWidget]:
        return []

    # --- shared behaviour ------------------------------------------------------------
    def edited(self) -> None:
        """Called on every keystroke: check now, save after a pause or at most a second later."""
        self._dirty = True
        self.show_issues(self.host.preview(self.field.id, self.raw()))
        self._pause.start()
        if not self._max_wait.isActive():
            self._first_unsaved = time.monotonic()
            self._max_wait.start()

    def flush(self) -> None:
        self._pause.stop()
        self._max_wait.stop()
        if not self._dirty:
            return
        self._dirty = False
        self._save_error = self.host.commit(self.field.id, self.raw())
        if self._save_error:
            self._dirty = True  # still unsaved: the next keystroke or leaving the field tries again
            self._show_message(f"✗ {self._save_error}", "error")

    @property
    def pending(self) -> bool:
        return self._dirty

    @property
    def save_error(self) -> str | None:
        return self._save_error

    def _show_message(self, text: str, role: str) -> None:
        """Beside the field its name is not repeated («Số thôn»: … → …); the full text is the
        tooltip, and what does not fit the message's fixed room is cut, never moving the page."""
        own = f"«{self.field.label}»"
        short = "\n".join(line.replace(f"{own}: ", "", 1).replace(f"{own} ", "", 1) for line in text.split("\n"))
        self.message.setText(short)
        self.message.setToolTip(text)
        set_role(self.message, role)

    def show_issues(self, issues: list[Issue]) -> None:
        if self._save_error:
            self._show_message(f"✗ {self._save_error}", "error")
            return
        errors = [i for i in issues if i.severity == ERROR and i.code != "required"]
        warnings = [i for i in issues if i.severity != ERROR]
        required = [i for i in issues if i.code == "required"]
        if errors:
            self._show_message("\n".join(f"✗ {i.message}" for i in errors), "error")
        elif warnings:
            self._show_message("\n".join(f"! {i.message}" for i in warnings), "warning")
        elif required:
            self._show_message("Bắt buộc nhập trước khi hoàn tất.", "hint")
        else:
            self._show_message("", "hint")

    def load(self, value: Any) -> None:
        """Show the stored value (or the text kept as typed) unless the person is typing here."""
        if self.pending:
            return
        for editor in self.editors():
            editor.blockSignals(True)
        try:
            self.display(value, self.host.drafts_for(self.field.id))
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
        self.body.insertWidget(self.body.indexOf(self.message) if self.body.indexOf(self.message) >= 0
                               else self.body.count() - 1, hint)

    def focus_editor(self) -> bool:
        """Put the keyboard in this field; False when it has nowhere to type."""
        for editor in self.editors():
            if editor.isEnabled() and editor.focusPolicy() != Qt.FocusPolicy.NoFocus:
                editor.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
        return False


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
        self.edit.setPlaceholderText({FieldKind.DECIMAL: "ví dụ 12,5", FieldKind.PERCENTAGE: "ví dụ 98,5",
                                      FieldKind.AMOUNT: "ví dụ 2.318.000"}.get(self.field.kind, "ví dụ 1.234"))
        self.body.addWidget(self.edit)
        if self.field.kind == FieldKind.PERCENTAGE and not self.field.unit:
            self.body.addWidget(label("%", wrap=False))

    def raw(self) -> Any:
        return self.edit.text()

    def display(self, value: Any, drafts: dict[str, str]) -> None:
        draft = drafts.get(field_key(self.field.id))
        self.edit.setText(draft if draft is not None else format_value(self.field, value))

    def editors(self) -> list[QWidget]:
        return [self.edit]

    def flush(self) -> None:
        was_pending = self.pending
        super().flush()
        if was_pending and not self.pending and not self.host.drafts_for(self.field.id):
            stored = self.host.stored_form(self.field.id, self.raw())
            if stored is not None:  # tidy to vi-VN grouping once saved: 22040 → 22.040
                self.edit.setText(format_value(self.field, stored))


class TextField(FieldWidget):
    def build(self) -> None:
        self.edit = _line_edit(self)
        self.edit.setObjectName(f"edit_{self.field.id}")
        if self.field.placeholder:
            self.edit.setPlaceholderText(self.field.placeholder)
        self.body.addWidget(self.edit, 1)

    def raw(self) -> Any:
        return self.edit.text()

    def display(self, value: Any, drafts: dict[str, str]) -> None:
        draft = drafts.get(field_key(self.field.id))
        self.edit.setText(draft if draft is not None else format_value(self.field, value))

    def editors(self) -> list[QWidget]:
        return [self.edit]


class DateField(TextField):
    def build(self) -> None:
        super().build()
        self.edit.setMaximumWidth(160)
        self.edit.setPlaceholderText("ngày/tháng/năm")


class EmphasisHighlighter(QSyntaxHighlighter):
    """``**đậm**`` shows bold and ``*nghiêng*`` italic while typing, as the document will print them."""

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt API
        for match in markup.SPAN.finditer(text):
            look = QTextCharFormat()
            if match.group(1) is not None:
                look.setFontWeight(QFont.Weight.Bold)
            else:
                look.setFontItalic(True)
            self.setFormat(match.start(), match.end() - match.start(), look)


class LongTextField(FieldWidget):
    def build(self) -> None:
        self.edit = QPlainTextEdit()
        self.edit.setObjectName(f"edit_{self.field.id}")
        self.edit.setTabChangesFocus(True)  # Tab leaves the box; Enter makes a new paragraph
        self.edit.setMinimumHeight(130)
        self.edit.setPlaceholderText(f"Mỗi đoạn một dòng. {markup.HINT}")
        self.edit.setToolTip(markup.HINT)
        self.highlighter = EmphasisHighlighter(self.edit.document())
        self.edit.textChanged.connect(self.edited)
        self.edit.installEventFilter(self)
        self.body.addWidget(self.edit, 1)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.FocusOut:
            self.flush()
        return False

    def raw(self) -> Any:
        return self.edit.toPlainText()

    def display(self, value: Any, drafts: dict[str, str]) -> None:
        draft = drafts.get(field_key(self.field.id))
        self.edit.setPlainText(draft if draft is not None else (value or ""))

    def editors(self) -> list[QWidget]:
        return [self.edit]


class NoWheelComboBox(QComboBox):
    """The wheel never changes an answer: it scrolls the page, even over a focused box."""

    def __init__(self):
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt API
        event.ignore()  # handed on to the scrolling page


class ComboField(FieldWidget):
    def build(self) -> None:
        self.box = NoWheelComboBox()
        self.box.setObjectName(f"edit_{self.field.id}")
        self.box.addItem(UNSET, None)
        options = ["Có", "Không"] if self.field.kind == FieldKind.YESNO else list(self.field.options or [])
        for option in options:
            self.box.addItem(option, option)
        self.box.setMinimumWidth(200)
        self.box.activated.connect(self._chosen)  # the person's choice only (never a programmatic change)
        self.body.addWidget(self.box)

    def _chosen(self, _index: int) -> None:
        self.edited()
        self.flush()

    def raw(self) -> Any:
        return self.box.currentData()

    def display(self, value: Any, drafts: dict[str, str]) -> None:
        if self.field.kind == FieldKind.YESNO and value is not None:
            value = "Có" if value else "Không"
        index = self.box.findData(value)
        self.box.setCurrentIndex(index if index >= 0 else 0)

    def editors(self) -> list[QWidget]:
        return [self.box]


class _PartsField(FieldWidget):
    """A field typed in parts (ratio, document reference): each part is kept on its own."""

    parts: dict[str, QLineEdit]

    def raw(self) -> Any:
        return {key: edit.text() for key, edit in self.parts.items()}

    def editors(self) -> list[QWidget]:
        return list(self.parts.values())

    def _show_parts(self, value: Any, drafts: dict[str, str], part_spec) -> None:
        value = value or {}
        for key, edit in self.parts.items():
            draft = drafts.get(part_key(self.field.id, key))
            edit.setText(draft if draft is not None else format_value(part_spec(key), value.get(key)))


class RatioField(_PartsField):
    def build(self) -> None:
        self.num = _line_edit(self, 140, align_right=True)
        self.den = _line_edit(self, 140, align_right=True)
        self.num.setObjectName(f"edit_{self.field.id}_num")
        self.den.setObjectName(f"edit_{self.field.id}_den")
        self.num.setPlaceholderText("tử số")
        self.den.setPlaceholderText("mẫu số")
        self.parts = {"num": self.num, "den": self.den}
        self.percent = label("", "computed", wrap=False)
        for w in (self.num, label("/", wrap=False), self.den, label("→", wrap=False), self.percent):
            self.body.addWidget(w)
        self._whole = replace(self.field, kind=FieldKind.INTEGER)

    def display(self, value: Any, drafts: dict[str, str]) -> None:
        self._show_parts(value, drafts, lambda _key: self._whole)
        self._update_percent(value or {})

    def _update_percent(self, value: dict) -> None:
        num, den = value.get("num"), value.get("den")
        self.percent.setText(format_computed("percent", num / den * 100) if num is not None and den else "")

    def show_issues(self, issues: list[Issue]) -> None:
        super().show_issues(issues)
        stored = self.host.stored_form(self.field.id, self.raw())
        self._update_percent(stored or {})


class DocrefField(_PartsField):
    PARTS = (("number", "Số, ký hiệu", "ví dụ 66/KH-UBND"), ("date", "Ngày ban hành", "ngày/tháng/năm"),
             ("issuer", "Cơ quan ban hành", "ví dụ UBND xã Bình Sơn"), ("summary", "Trích yếu", "về việc …"))

    def build(self) -> None:
        grid = QGridLayout()
        self.parts = {}
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
        date_kind = replace(self.field, kind=FieldKind.DATE)
        text_kind = replace(self.field, kind=FieldKind.TEXT)
        self._spec = lambda key: date_kind if key == "date" else text_kind

    def display(self, value: Any, drafts: dict[str, str]) -> None:
        self._show_parts(value, drafts, self._spec)


class ComputedField(FieldWidget):
    def build(self) -> None:
        self.value = label("—", "computed", wrap=False)
        self.value.setObjectName(f"value_{self.field.id}")
        self.body.addWidget(self.value)

    def raw(self) -> Any:
        return None

    def display(self, value: Any, drafts: dict[str, str]) -> None:
        display = self.field.display.value if self.field.display else None
        self.value.setText(format_computed(display, value) or "—")


# The widget of each kind, by the name its spec in desktop_app/domain/fieldkinds.py gives.
WIDGETS: dict[str, type[FieldWidget]] = {
    "number": NumberField, "choice": ComboField, "ratio": RatioField, "date": DateField,
    "text": TextField, "long_text": LongTextField, "docref": DocrefField, "computed": ComputedField,
}


def make_field_widget(field: Field, host: FieldHost, table_factory=None) -> FieldWidget:
    name = kind_spec(field.kind).widget
    if name == "table":  # the table editor is built by the editor (it needs the validator)
        return table_factory(field) if table_factory is not None else TextField(field, host)
    return WIDGETS[name](field, host)


__all__ = ["FieldWidget", "make_field_widget", "QLabel"]
