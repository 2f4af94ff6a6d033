"""Dialogs of the main window: new report (template + period), duplicate, deleted reports."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QListWidget,
    QListWidgetItem, QSpinBox, QVBoxLayout, QWidget,
)

from desktop_app.domain.periods import PERIOD_KIND_LABELS, PeriodError, PeriodKind, parse_period
from desktop_app.services import Workspace
from desktop_app.templating.model import Template
from ui.common import label, show_error

_ROMAN = ["I", "II", "III", "IV"]


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    box.button(QDialogButtonBox.StandardButton.Cancel).setText("Hủy")
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class PeriodPicker(QWidget):
    """Offers the template's period kinds with Vietnamese labels and builds the spec."""

    def __init__(self, kinds: list[PeriodKind] | None = None):
        super().__init__()
        self.kind = QComboBox()
        self.kind.setObjectName("period_kind")
        self.year = QSpinBox()
        self.year.setObjectName("period_year")
        self.year.setRange(2015, 2100)
        self.year.setValue(dt.date.today().year)
        self.part = QComboBox()
        self.part.setObjectName("period_part")
        self.start = QDateEdit(QDate.currentDate().addDays(-30))
        self.end = QDateEdit(QDate.currentDate())
        for edit in (self.start, self.end):
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setCalendarPopup(True)
        self.preview = label("", "hint")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.kind, self.part, self.year, label("từ"), self.start, label("đến"), self.end):
            row.addWidget(w)
        row.addStretch(1)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        for signal in (self.year.valueChanged, self.part.currentIndexChanged, self.start.dateChanged,
                       self.end.dateChanged):
            signal.connect(self._update_preview)
        self.set_kinds(kinds or list(PeriodKind))

    def set_kinds(self, kinds: list[PeriodKind]) -> None:
        self.kind.blockSignals(True)
        self.kind.clear()
        for k in kinds:
            self.kind.addItem(PERIOD_KIND_LABELS[k], k)
        self.kind.blockSignals(False)
        self._kind_changed()

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.part.clear()
        if kind == PeriodKind.QUARTER:
            self.part.addItems([f"Quý {r}" for r in _ROMAN])
        elif kind == PeriodKind.HALF:
            self.part.addItems(["6 tháng đầu năm", "6 tháng cuối năm"])
        elif kind == PeriodKind.MONTH:
            self.part.addItems([f"Tháng {m}" for m in range(1, 13)])
        ranged = kind == PeriodKind.RANGE
        self.part.setVisible(self.part.count() > 0)
        self.year.setVisible(not ranged)
        for w in (self.start, self.end):
            w.setVisible(ranged)
        for child in self.findChildren(type(self.preview)):
            if child.text() in ("từ", "đến"):
                child.setVisible(ranged)
        self._update_preview()

    def spec(self) -> str:
        kind, y, i = self.kind.currentData(), self.year.value(), self.part.currentIndex()
        if kind == PeriodKind.YEAR:
            return f"{y}"
        if kind == PeriodKind.HALF:
            return f"{y}-H{i + 1}"
        if kind == PeriodKind.NINE_MONTHS:
            return f"{y}-9M"
        if kind == PeriodKind.QUARTER:
            return f"{y}-Q{i + 1}"
        if kind == PeriodKind.MONTH:
            return f"{y}-{i + 1:02d}"
        return f"{self.start.date().toString('yyyy-MM-dd')}..{self.end.date().toString('yyyy-MM-dd')}"

    def _update_preview(self) -> None:
        try:
            self.preview.setText(f"Kỳ báo cáo: {parse_period(self.spec()).label}")
        except PeriodError as exc:
            self.preview.setText(str(exc))


class NewReportDialog(QDialog):
    def __init__(self, workspace: Workspace, parent=None):
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Tạo báo cáo mới")
        self.setMinimumWidth(720)
        self.template_box = QComboBox()
        self.template_box.setObjectName("template")
        # The report most units of this level need comes first (and is chosen).
        self.templates: list[Template] = workspace.templates.offered(getattr(workspace.profile(), "level", None))
        for t in self.templates:
            self.template_box.addItem(t.display_title, t.id)
        self.description = label("", "help")
        self.period = PeriodPicker()
        form = QFormLayout()
        form.addRow("Loại báo cáo:", self.template_box)
        form.addRow("", self.description)
        form.addRow("Kỳ báo cáo:", self.period)
        form.addRow("", self.period.preview)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "Tạo báo cáo"))
        self.template_box.currentIndexChanged.connect(self._template_changed)
        self._template_changed()
        self.report_id: int | None = None

    def _template_changed(self) -> None:
        t = self.templates[self.template_box.currentIndex()] if self.templates else None
        if t is None:
            return
        basis = f" Căn cứ: {'; '.join(t.legal_basis)}." if t.legal_basis else ""
        self.description.setText(f"{t.title} (phiên bản {t.version}).{basis}")
        self.period.set_kinds(t.period_kinds)

    def accept(self) -> None:
        try:
            self.report_id = self.workspace.new_report(self.template_box.currentData(), self.period.spec())
        except Exception as exc:  # noqa: BLE001 - shown, nothing created
            show_error(self, exc)
            return
        super().accept()


class DuplicateDialog(QDialog):
    def __init__(self, workspace: Workspace, report_id: int, parent=None):
        super().__init__(parent)
        self.workspace, self.source = workspace, report_id
        record, template = workspace.report(report_id)
        self.setWindowTitle("Tạo báo cáo kỳ khác từ báo cáo này")
        self.period = PeriodPicker(template.period_kinds)
        self.only_inventory = QCheckBox(
            "Chỉ chuyển số liệu ổn định (thôn, loa, điểm bưu chính, trạm BTS, tổ công nghệ số…)")
        self.only_inventory.setChecked(True)
        form = QFormLayout()
        source = f"{template.display_title} — {record.period.label}"
        form.addRow("Báo cáo gốc:", label(source))
        form.addRow("Kỳ báo cáo mới:", self.period)
        form.addRow("", self.period.preview)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.only_inventory)
        layout.addWidget(_buttons(self, "Tạo báo cáo"))
        self.report_id: int | None = None

    def accept(self) -> None:
        try:
            self.report_id = self.workspace.duplicate_report(
                self.source, self.period.spec(), carry_forward_only=self.only_inventory.isChecked())
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            return
        super().accept()


class RestoreDialog(QDialog):
    """Pick a backup to restore; the current data is backed up first."""

    def __init__(self, workspace: Workspace, parent=None):
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Khôi phục từ bản sao lưu")
        self.setMinimumSize(600, 340)
        self.list = QListWidget()
        self.list.setObjectName("backups")
        for backup in workspace.backups():
            item = QListWidgetItem(f"{backup.made_at:%d/%m/%Y %H:%M:%S} — {backup.reason_label}")
            item.setData(256, str(backup.path))
            self.list.addItem(item)
        layout = QVBoxLayout(self)
        layout.addWidget(label("Chọn bản sao lưu. Dữ liệu hiện tại sẽ được sao lưu trước khi khôi phục, nên có thể "
                               "quay lại nếu cần."))
        layout.addWidget(self.list, 1)
        layout.addWidget(_buttons(self, "Khôi phục"))

    def accept(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        try:
            self.workspace.restore_backup(item.data(256))
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            return
        super().accept()


class DeletedReportsDialog(QDialog):
    def __init__(self, workspace: Workspace, parent=None):
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Báo cáo đã xóa")
        self.setMinimumSize(640, 360)
        self.list = QListWidget()
        for record in workspace.deleted_reports():  # deleted_at is local time already
            item = QListWidgetItem(f"Số {record.id}: {record.title} — {record.period_label} "
                                   f"(xóa lúc {record.deleted_at:%d/%m/%Y %H:%M})")
            item.setData(256, record.id)
            self.list.addItem(item)
        layout = QVBoxLayout(self)
        layout.addWidget(label("Chọn báo cáo rồi bấm «Khôi phục» để đưa trở lại danh sách."))
        layout.addWidget(self.list, 1)
        layout.addWidget(_buttons(self, "Khôi phục"))
        self.restored: list[int] = []

    def accept(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        self.workspace.restore_report(item.data(256))
        self.restored.append(item.data(256))
        super().accept()
