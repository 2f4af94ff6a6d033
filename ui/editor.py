"""The report editor: a wizard-style stepper over the template's sections.

Side list (with a mark per section) → one page per section → review page. It displays an
:class:`~desktop_app.editing.EditSession` and forwards edits to it; nothing here decides
what is valid or how it is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout, QFrame, QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton,
    QScrollArea, QSplitter, QStackedWidget, QVBoxLayout, QWidget,
)

from desktop_app.domain.drafts import DOCUMENT, DOCUMENT_DATE_KEY
from desktop_app.editing import MARK_DONE, MARK_EMPTY, MARK_ERROR, MARK_PARTIAL, MARK_WARNING, EditSession
from desktop_app.errors import UserError
from desktop_app.domain.fieldkinds import kind_spec
from desktop_app.templating.model import FieldKind, Section
from desktop_app.domain.validation import ERROR, Issue
from desktop_app.domain.values import format_value
from desktop_app.domain.vnformat import FormatError, format_date, parse_date
from ui.common import ask_text, enter_clicks, label, show_error
from ui.fields import FieldWidget, make_field_widget
from ui.style import DONE_COLOUR, ERROR_COLOUR, MUTED_COLOUR, WARNING_COLOUR
from ui.table_editor import TableField


_MARKS = {
    MARK_DONE: ("✓", DONE_COLOUR), MARK_PARTIAL: ("◐", MUTED_COLOUR), MARK_EMPTY: ("○", MUTED_COLOUR),
    MARK_WARNING: ("!", WARNING_COLOUR), MARK_ERROR: ("✗", ERROR_COLOUR),
}


class SectionList(QListWidget):
    """The side list; items wrap to the list's width (QListView alone elides some)."""

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.fit_items()

    def fit_items(self) -> None:
        width = max(self.viewport().width() - 12, 80)
        metrics = self.fontMetrics()
        for row in range(self.count()):
            item = self.item(row)
            rect = metrics.boundingRect(QRect(0, 0, width, 2000), Qt.TextFlag.TextWordWrap, item.text())
            item.setSizeHint(QSize(width, rect.height() + 14))


class _Page(QScrollArea):
    """A page of the stepper: title and help on top, content scrolling vertically only."""

    def __init__(self, title: str, help_text: str | None):
        super().__init__()
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.inner = QWidget()
        self.content = QVBoxLayout(self.inner)
        self.content.setContentsMargins(16, 8, 16, 16)
        self.content.addWidget(label(title, "title"))
        if help_text:
            self.content.addWidget(label(help_text, "help"))

    def finish(self) -> None:
        self.content.addStretch(1)
        self.setWidget(self.inner)


class SectionPage(_Page):
    """One wizard page: the section's title, help and a widget per field (built on first visit)."""

    def __init__(self, section: Section, editor: ReportEditor):
        super().__init__(section.title, section.help)
        layout = self.content
        self.widgets: dict[str, FieldWidget] = {}
        for field in section.fields:
            widget = make_field_widget(field, editor, lambda f: TableField(f, editor))
            self.widgets[field.id] = widget
            layout.addWidget(widget)
        self.finish()


class DocumentPage(_Page):
    """Số văn bản, ngày, nơi ký, người ký, nơi nhận: what the header and signature need."""

    FIELDS = (("number", "Số văn bản (chỉ phần số, ví dụ 255)"), ("date", "Ngày ký (ngày/tháng/năm)"),
              ("place", "Địa danh ghi ở dòng ngày tháng"), ("signing_authority", "Thẩm quyền ký (TM., KT.)"),
              ("signer_title", "Chức vụ người ký"), ("signer", "Họ tên người ký"))

    def __init__(self, editor: ReportEditor):
        super().__init__("Thông tin văn bản", "Các thông tin ở phần đầu và phần ký của báo cáo. Có thể để trống "
                         "số và ngày để văn thư ghi tay khi phát hành.")
        self.editor = editor
        layout = self.content
        form = QFormLayout()
        self.edits: dict[str, QLineEdit] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(600)
        self._timer.timeout.connect(self.flush)
        for key, caption in self.FIELDS:
            edit = QLineEdit()
            edit.setObjectName(f"doc_{key}")
            edit.textEdited.connect(lambda _t: self._timer.start())  # autosave after a pause
            edit.editingFinished.connect(lambda k=key: self._save(k))
            edit.returnPressed.connect(edit.focusNextChild)
            self.edits[key] = edit
            form.addRow(caption + ":", edit)
        self.recipients = QPlainTextEdit()
        self.recipients.setObjectName("doc_recipients")
        self.recipients.setTabChangesFocus(True)
        self.recipients.setMinimumHeight(150)
        self.recipients.installEventFilter(self)
        self.recipients.textChanged.connect(lambda: self._timer.start() if self.recipients.hasFocus() else None)
        form.addRow("Nơi nhận (mỗi dòng một nơi):", self.recipients)
        layout.addLayout(form)
        self.message = label("", "error")
        self.message.hide()
        layout.addWidget(self.message)
        self.finish()
        self.load()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if obj is self.recipients and event.type() == event.Type.FocusOut:
            self._save("recipients")
        return False

    def load(self) -> None:
        doc = self.editor.session.document
        typed_date = self.editor.session.drafts.get(DOCUMENT_DATE_KEY)
        for key, edit in self.edits.items():
            value = format_date(doc.date) if key == "date" else getattr(doc, key)
            if key == "date" and typed_date is not None:
                value = typed_date
            edit.setText(value)
        self.recipients.setPlainText("\n".join(doc.recipients))
        self._errors: dict[str, str] = {}
        if typed_date is not None:
            self._errors["date"] = f"Ngày ký «{typed_date}» không đọc được (ghi ngày/tháng/năm)."
        self._show_errors()

    def _save(self, key: str) -> None:
        if self.editor.session.read_only:
            return
        if key == "recipients":
            value: Any = [line.strip(" -;") for line in self.recipients.toPlainText().splitlines() if line.strip(" -;")]
        else:
            value = self.edits[key].text().strip()
            if key == "date":
                try:
                    value = parse_date(value).isoformat() if value else None
                    draft = None
                except FormatError as exc:  # kept as typed, with its error, until it reads as a date
                    value, draft = None, self.edits[key].text()
                    self._errors[key] = f"Ngày ký: {exc}"
                if not self._keep_date_text(draft):
                    return
                if draft is None:
                    self._errors.pop(key, None)
            value = value or (None if key == "date" else "")
        if self.editor.session.document.to_json()[key] != value:  # value as typed: date ISO, recipients a list
            try:
                self.editor.session.set_document(**{key: value})
            except UserError as exc:
                self._errors[f"save-{key}"] = exc.message
            else:
                self._errors.pop(f"save-{key}", None)
                self.editor.saved()
        self._show_errors()

    def _show_errors(self) -> None:
        """Every problem of this page stays shown until it is fixed (one field's save never hides
        another's error)."""
        self.message.setText("\n".join(f"✗ {m}" for m in self._errors.values()))
        self.message.setVisible(bool(self._errors))

    def _keep_date_text(self, text: str | None) -> bool:
        had = DOCUMENT_DATE_KEY in self.editor.session.drafts
        try:
            self.editor.session.keep_document_draft("date", text)
        except UserError as exc:
            self._errors["save-date"] = exc.message
            self._show_errors()
            return False
        if had != (text is not None):
            self.editor.refresh_marks()
        return True

    def flush(self) -> None:
        self._timer.stop()
        for key in [*self.edits, "recipients"]:
            self._save(key)

    def set_read_only(self, read_only: bool) -> None:
        for edit in self.edits.values():
            edit.setReadOnly(read_only)
        self.recipients.setReadOnly(read_only)


class ReviewPage(QWidget):
    """All errors and warnings in one list; each jumps to its field. Finalise from here."""

    def __init__(self, editor: ReportEditor):
        super().__init__()
        self.editor = editor
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 16)
        layout.addWidget(label("Kiểm tra và hoàn tất", "title"))
        self.summary = label("")
        self.summary.setObjectName("review_summary")
        layout.addWidget(self.summary)
        self.list = QListWidget()
        self.list.setObjectName("review_list")
        self.list.setWordWrap(True)  # long messages wrap at 150 % instead of running off the side
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.itemActivated.connect(self._jump)
        self.list.itemDoubleClicked.connect(self._jump)
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.finalise = QPushButton("Hoàn tất báo cáo")
        self.finalise.setObjectName("finalise")
        self.finalise.clicked.connect(editor.finalise)
        self.reopen = QPushButton("Mở lại để sửa…")
        self.reopen.setObjectName("reopen")
        self.reopen.clicked.connect(editor.reopen)
        for button in (self.finalise, self.reopen):
            enter_clicks(button)
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)

    def refresh(self) -> None:
        session = self.editor.session
        issues = session.review()
        self.list.clear()
        unsaved = self.editor.unsaved_problems()
        for field_id, message in unsaved:  # typed but unreadable: never silently finalised
            item = QListWidgetItem(f"✗  Chưa lưu được: {message}")
            item.setForeground(QColor(ERROR_COLOUR))
            item.setData(Qt.ItemDataRole.UserRole, Issue(ERROR, field_id, "", message, "type"))
            self.list.addItem(item)
        titles = {s.id: s.title for s in session.sections}
        for issue in issues:
            mark = "✗" if issue.severity == ERROR else "!"
            item = QListWidgetItem(f"{mark}  [{titles.get(issue.section_id, 'Thông tin văn bản')}]  {issue.message}")
            item.setForeground(QColor(ERROR_COLOUR if issue.severity == ERROR else WARNING_COLOUR))
            item.setData(Qt.ItemDataRole.UserRole, issue)
            self.list.addItem(item)
        if not issues and not unsaved:
            self.list.addItem(QListWidgetItem("✓  Không có lỗi hay cảnh báo nào."))
        errors = sum(1 for i in issues if i.severity == ERROR) + len(unsaved)
        warnings = len(issues) - errors
        if session.received:
            text = (f"Báo cáo nhận từ {session.unit.name or 'đơn vị khác'} qua gói dữ liệu, chỉ để xem; "
                    "đơn vị gửi sửa rồi gửi lại gói mới.")
        elif session.read_only:
            text = "Báo cáo đã hoàn tất và đang ở chế độ chỉ xem."
        elif errors:
            text = (f"Còn {errors} lỗi phải sửa và {warnings} cảnh báo nên xem lại. "
                    "Bấm đúp vào một dòng để đến ô cần sửa.")
        elif warnings:
            text = f"Không còn lỗi. Có {warnings} cảnh báo nên xem lại trước khi hoàn tất."
        else:
            text = "Không còn lỗi hay cảnh báo. Có thể hoàn tất báo cáo."
        self.summary.setText(f"Đã nhập {round(session.completeness() * 100)}% số liệu bắt buộc. {text}")
        self.finalise.setEnabled(session.can_finalise and not unsaved and not session.read_only)
        self.reopen.setVisible(session.read_only and not session.received)

    def _jump(self, item: QListWidgetItem) -> None:
        issue: Issue | None = item.data(Qt.ItemDataRole.UserRole)
        if issue is not None:
            self.editor.jump_to_field(issue.field_id)


class ReportEditor(QWidget):
    closed = Signal()
    changed = Signal()

    def __init__(self, session: EditSession, parent=None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("report_editor")
        self.pages: dict[int, SectionPage] = {}

        self.title = label(session.title, "title")
        self.saved_label = label("Mọi thay đổi được lưu ngay khi nhập.", "help", wrap=False)
        self.saved_label.setObjectName("saved_label")
        self.banner = label("", "banner")
        back_to_list = QPushButton("← Danh sách báo cáo")
        back_to_list.setObjectName("back_to_list")
        back_to_list.clicked.connect(self.close_editor)
        self.export_docx = QPushButton("Xuất Word…")
        self.export_docx.setObjectName("export_docx")
        self.export_xlsx = QPushButton("Xuất Excel…")
        self.export_xlsx.setObjectName("export_xlsx")
        self.import_xlsx = QPushButton("Nạp từ Excel…")
        self.import_xlsx.setObjectName("import_xlsx")
        self.export_docx.clicked.connect(lambda: self.export("docx"))
        self.export_xlsx.clicked.connect(lambda: self.export("xlsx"))
        # PDF is in the Báo cáo menu only: a fourth button would not fit 1366×768 at 150 %
        self.export_docx.setToolTip("Ctrl+Shift+W. Tệp PDF để ký số: menu Báo cáo › Xuất PDF… (Ctrl+Shift+P)")
        self.export_xlsx.setToolTip("Ctrl+Shift+X")
        back_to_list.setToolTip("Ctrl+L")
        self.import_xlsx.clicked.connect(self._import_xlsx)
        top = QHBoxLayout()
        top.addWidget(back_to_list)
        top.addWidget(self.title, 1)
        top.addWidget(self.saved_label)

        self.sections = SectionList()
        self.sections.setObjectName("sections")
        self.sections.setMinimumWidth(220)
        self.sections.setMaximumWidth(330)
        self.sections.setWordWrap(True)
        self.sections.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sections.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.sections.setTextElideMode(Qt.TextElideMode.ElideNone)
        entries = ["✓ đã đủ", "◐ còn thiếu", "○ chưa nhập", "! có cảnh báo", "✗ có lỗi"]
        self.legend = label("   ".join(e.replace(" ", "\u00a0") for e in entries), "help")  # entries never split
        self.stack = QStackedWidget()
        self.document_page = DocumentPage(self)
        self.stack.addWidget(self.document_page)
        self._section_slots: list[QWidget] = []
        for _ in session.sections:
            slot = QWidget()  # replaced by the real page on first visit (fast opening)
            self._section_slots.append(slot)
            self.stack.addWidget(slot)
        self.review = ReviewPage(self)
        self.stack.addWidget(self.review)

        self.back = QPushButton("◀ Quay lại")
        self.back.setObjectName("back")
        self.back.setToolTip("Phần trước (Ctrl+PgUp)")
        self.next = QPushButton("Tiếp theo ▶")
        self.next.setObjectName("next")
        self.next.setToolTip("Phần sau (Ctrl+PgDown)")
        self.back.clicked.connect(lambda: self.show_page(self.stack.currentIndex() - 1))
        self.next.clicked.connect(lambda: self.show_page(self.stack.currentIndex() + 1))
        for keys, step in (("Ctrl+PgDown", 1), ("Alt+Right", 1), ("Ctrl+PgUp", -1), ("Alt+Left", -1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(lambda s=step: self.show_page(self.stack.currentIndex() + s))
        nav = QHBoxLayout()
        nav.addWidget(self.back)
        nav.addStretch(1)
        for button in (self.export_docx, self.export_xlsx, self.import_xlsx):
            nav.addWidget(button)
        nav.addStretch(1)
        nav.addWidget(self.next)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.banner)
        right_layout.addWidget(self.stack, 1)
        right_layout.addLayout(nav)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.sections, 1)
        left_layout.addWidget(self.legend)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        # These buttons never take the keyboard: after a click, typing goes on into the page (a
        # space or a letter must never press «Tiếp theo» again). Keys: Ctrl+PgDown/PgUp, the menu.
        for button in (self.back, self.next, back_to_list, self.export_docx, self.export_xlsx, self.import_xlsx):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._fill_section_list()
        self.sections.currentRowChanged.connect(self.show_page)
        self._apply_read_only()
        self.saved_label.setFixedWidth(self.saved_label.fontMetrics().horizontalAdvance("Đã lưu lúc 00:00 00/00/0000 "))
        self.saved_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if session.updated_at is not None:
            self._show_saved(session.updated_at)
        widest = max(self.next.fontMetrics().horizontalAdvance(t) for t in ("Tiếp theo ▶", "Kiểm tra và hoàn tất ▶"))
        self.next.setMinimumWidth(widest + 40)  # its text changes on the last page: its size does not
        self.show_page(session.index + 1)

    # --- pages ---------------------------------------------------------------------
    @property
    def page_count(self) -> int:
        return self.stack.count()

    def refresh_marks(self) -> None:
        self._fill_section_list()

    def _fill_section_list(self) -> None:
        self.sections.blockSignals(True)
        self.sections.clear()
        document = QListWidgetItem("✗  Thông tin văn bản" if DOCUMENT_DATE_KEY in self.session.drafts
                                   else "✎  Thông tin văn bản")
        if DOCUMENT_DATE_KEY in self.session.drafts:
            document.setForeground(QColor(ERROR_COLOUR))
        self.sections.addItem(document)
        for mark in self.session.marks():
            symbol, colour = _MARKS[mark.mark]
            item = QListWidgetItem(f"{symbol}  {mark.section.title}")
            item.setForeground(QColor(colour))
            item.setToolTip(f"Đã nhập {round(mark.completeness * 100)}%; {mark.errors} lỗi, {mark.warnings} cảnh báo")
            self.sections.addItem(item)
        self.sections.addItem(QListWidgetItem("☑  Kiểm tra và hoàn tất"))
        self.sections.fit_items()
        self.sections.setCurrentRow(self.stack.currentIndex())
        self.sections.blockSignals(False)

    def _page(self, index: int) -> QWidget:
        if 1 <= index <= len(self.session.sections):
            if index not in self.pages:
                page = SectionPage(self.session.sections[index - 1], self)
                slot = self._section_slots[index - 1]
                self.stack.insertWidget(index, page)
                self.stack.removeWidget(slot)
                slot.deleteLater()
                self.pages[index] = page
                self._load_page(page)
                self._set_page_read_only(page, self.session.read_only)
            return self.pages[index]
        return self.stack.widget(index)

    def show_page(self, index: int) -> None:
        index = max(0, min(index, self.page_count - 1))
        self.flush()
        page = self._page(index)
        self.stack.setCurrentWidget(page)
        if 1 <= index <= len(self.session.sections):
            self.session.go(index - 1)
        if page is self.review:
            self.review.refresh()
        self.sections.blockSignals(True)
        self.sections.setCurrentRow(index)
        self.sections.blockSignals(False)
        self.back.setEnabled(index > 0)
        self.next.setEnabled(index < self.page_count - 1)
        self.next.setText("Kiểm tra và hoàn tất ▶" if index == self.page_count - 2 else "Tiếp theo ▶")
        self.focus_first_field()

    def focus_first_field(self) -> None:
        """After any page change the keyboard is in the page's first field (or its list)."""
        page = self.stack.currentWidget()
        if page is self.review:  # the list, not «Hoàn tất»: a stray space must not finalise
            self.review.list.setFocus(Qt.FocusReason.OtherFocusReason)
        elif page is self.document_page:
            next(iter(self.document_page.edits.values())).setFocus(Qt.FocusReason.OtherFocusReason)
        elif isinstance(page, SectionPage):
            page.verticalScrollBar().setValue(0)  # the page opens at its top, title and help shown
            for widget in page.widgets.values():
                if widget.focus_editor():
                    top = widget.mapTo(page.widget(), widget.rect().topLeft()).y()
                    if top + 60 > page.viewport().height():  # only when the field is not in view at the top
                        page.ensureWidgetVisible(widget)
                    return
            page.setFocus(Qt.FocusReason.OtherFocusReason)

    def current_page(self) -> QWidget:
        return self.stack.currentWidget()

    def _load_page(self, page: SectionPage) -> None:
        previous_label = self.session.previous_period.label if self.session.previous_period else ""
        for field_id, widget in page.widgets.items():
            widget.load(self.session.value(field_id))
            widget.show_issues(self.session.issues_for(field_id))
            old = self.session.previous_values.get(field_id)
            if old is not None and kind_spec(widget.field.kind).previous_shown:
                widget.show_previous(format_value(widget.field, old), previous_label)

    def jump_to_field(self, field_id: str) -> None:
        if field_id == DOCUMENT:
            self.show_page(0)
            self.document_page.edits["date"].setFocus(Qt.FocusReason.OtherFocusReason)
            return
        index = self.session.section_index_of(field_id) + 1
        self.show_page(index)
        widget = self.pages[index].widgets[field_id]
        self.pages[index].ensureWidgetVisible(widget)
        widget.focus_editor()

    # --- edits -----------------------------------------------------------------------
    def commit(self, field_id: str, raw: Any) -> str | None:
        """Store what was typed (a value, or unreadable text as a draft); an error message only
        when the store itself refused."""
        try:
            self.session.set_field(field_id, raw)
        except UserError as exc:
            return exc.message if not exc.details else f"{exc.message} {'; '.join(exc.details)}"
        self.after_edit()
        return None

    def preview(self, field_id: str, raw: Any) -> list[Issue]:
        return self.session.preview(field_id, raw)

    def drafts_for(self, field_id: str) -> dict[str, str]:
        return self.session.drafts_for(field_id)

    def stored_form(self, field_id: str, raw: Any) -> Any:
        return self.session.stored_form(field_id, raw)

    def _table_op(self, action, *args) -> str | None:
        try:
            action(*args)
        except UserError as exc:
            if exc.details:
                show_error(self, exc)
            return exc.message
        self.after_edit()
        return None

    def table_set_cell(self, field_id, row, column, text) -> str | None:
        return self._table_op(self.session.set_cell, field_id, row, column, text)

    def table_add_row(self, field_id) -> None:
        self._table_op(self.session.add_row, field_id)

    def table_remove_row(self, field_id, row) -> None:
        self._table_op(self.session.remove_row, field_id, row)

    def table_paste(self, field_id, top, left, text) -> None:
        self._table_op(self.session.paste_block, field_id, top, left, text)

    def table_rows(self, field_id):
        return self.session.table_rows(field_id)

    def table_totals(self, field_id):
        return self.session.table_totals(field_id)

    def after_edit(self) -> None:
        """Refresh what an edit can change: computed values, issues, marks, the saved time."""
        for page in self.pages.values():
            for field_id, widget in page.widgets.items():
                f = widget.field
                if f.kind in (FieldKind.COMPUTED, FieldKind.TABLE):
                    widget.load(self.session.value(field_id))
                widget.show_issues(self.session.issues_for(field_id))
        self._fill_section_list()
        self.saved()
        self.changed.emit()

    def saved(self) -> None:
        self._show_saved(self.session.saved_at or dt.datetime.now())

    def _show_saved(self, moment: dt.datetime) -> None:
        """One format and a fixed width: the title beside it never re-wraps (which moved the page)."""
        text = f"Đã lưu lúc {moment:%H:%M}" if moment.date() == dt.date.today() else \
            f"Đã lưu lúc {moment:%H:%M %d/%m/%Y}"
        self.saved_label.setText(text)

    def unsaved_problems(self) -> list[tuple[str, str]]:
        """Fields whose input the store refused (disk full, read-only…): (field id, message)."""
        return [(field_id, widget.save_error) for page in self.pages.values()
                for field_id, widget in page.widgets.items() if widget.save_error]

    def flush(self) -> None:
        """Commit whatever is still being typed (page change, closing, crash-safe exit)."""
        self.document_page.flush()
        for page in self.pages.values():
            for widget in page.widgets.values():
                widget.flush()

    # --- finalise / reopen -----------------------------------------------------------
    def finalise(self) -> None:
        self.flush()
        if self.unsaved_problems():
            self.review.refresh()
            return
        self._change_status(self.session.finalise)

    def reopen(self) -> None:
        reason = ask_text(self, "Mở lại báo cáo", "Lý do mở lại báo cáo đã hoàn tất (sẽ được ghi vào nhật ký):")
        if reason is not None:
            self._change_status(lambda: self.session.reopen(reason))

    def _change_status(self, action) -> None:
        try:
            action()
        except UserError as exc:
            show_error(self, exc)
            return
        self._apply_read_only()
        self.review.refresh()
        self.changed.emit()

    def _apply_read_only(self) -> None:
        read_only = self.session.read_only
        if self.session.received:
            self.banner.setText(f"Báo cáo nhận từ {self.session.unit.name or 'đơn vị khác'} qua gói dữ liệu, "
                                "chỉ để xem. Đơn vị gửi sửa trên máy của mình rồi gửi lại gói mới.")
        else:
            self.banner.setText("Báo cáo đã hoàn tất nên chỉ xem được. Muốn sửa, vào «Kiểm tra và hoàn tất» "
                                "và bấm «Mở lại để sửa…».")
        self.banner.setVisible(read_only)
        self.document_page.set_read_only(read_only)
        self.import_xlsx.setEnabled(not read_only)
        for page in self.pages.values():
            self._set_page_read_only(page, read_only)

    @staticmethod
    def _set_page_read_only(page: SectionPage, read_only: bool) -> None:
        for widget in page.widgets.values():
            widget.set_read_only(read_only)

    def close_editor(self) -> None:
        self.flush()
        self.closed.emit()

    def export(self, kind: str) -> None:
        from ui.export_actions import export_file

        self.flush()
        export_file(self, self.session, kind)

    def _import_xlsx(self) -> None:
        from ui.export_actions import import_excel

        self.flush()
        import_excel(self, self.session)
