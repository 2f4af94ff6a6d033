"""First-run set-up of the unit profile: province, commune (or district), villages, signer."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QRadioButton,
    QVBoxLayout, QWizard, QWizardPage,
)

from desktop_app.domain import units
from desktop_app.domain.entities import UnitProfile
from desktop_app.services import Workspace
from ui.common import label, show_error
from ui.search_combo import SearchableComboBox


def vietnamese_wizard_buttons(wizard: QWizard) -> None:
    """Qt ships no Vietnamese translation of its own wizard buttons."""
    wizard.setButtonText(QWizard.WizardButton.NextButton, "Tiếp theo >")
    wizard.setButtonText(QWizard.WizardButton.BackButton, "< Quay lại")
    wizard.setButtonText(QWizard.WizardButton.FinishButton, "Hoàn tất")
    wizard.setButtonText(QWizard.WizardButton.CancelButton, "Hủy")
    wizard.setButtonText(QWizard.WizardButton.CommitButton, "Xác nhận")
    wizard.setButtonText(QWizard.WizardButton.HelpButton, "Trợ giúp")


class UnitPage(QWizardPage):
    def __init__(self, profile: UnitProfile | None):
        super().__init__()
        self.setTitle("Chọn đơn vị báo cáo")
        self.setSubTitle("Chọn tỉnh, rồi gõ vài chữ của tên xã, phường để tìm (gõ không dấu cũng được).")
        self.current = QRadioButton("Danh mục hiện hành (từ 01/7/2025, không còn cấp huyện)")
        self.legacy = QRadioButton("Danh mục trước 01/7/2025 (có cấp huyện, cho số liệu kỳ cũ)")
        self.district_level = QCheckBox("Đơn vị báo cáo là cấp huyện (huyện, thị xã, thành phố thuộc tỉnh)")
        self.province = SearchableComboBox()  # type «quang» to find Tỉnh Quảng Ngãi
        self.province.setObjectName("province")
        self.district = SearchableComboBox()
        self.district.setObjectName("district")
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Tìm theo tên hoặc mã, ví dụ: binh phuoc")
        self.results = QListWidget()
        self.results.setObjectName("units")
        self.chosen = label("Chưa chọn đơn vị.", "hint")

        layout = QVBoxLayout(self)
        layout.addWidget(self.current)
        layout.addWidget(self.legacy)
        layout.addWidget(self.district_level)
        form = QFormLayout()
        form.addRow("Tỉnh, thành phố:", self.province)
        form.addRow("Huyện (danh mục cũ):", self.district)
        form.addRow("Tìm đơn vị:", self.search)
        layout.addLayout(form)
        self.results.setMinimumHeight(80)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.chosen)

        self.current.toggled.connect(self._scheme_changed)
        self.district_level.toggled.connect(self._refresh_units)
        self.province.currentIndexChanged.connect(self._province_changed)
        self.district.currentIndexChanged.connect(self._refresh_units)
        self.search.textChanged.connect(self._refresh_units)
        self.results.currentItemChanged.connect(self._selected)
        self._pool: list[units.AdminUnit] = []

        scheme = profile.scheme if profile else units.CURRENT
        (self.legacy if scheme == units.LEGACY else self.current).setChecked(True)
        self._scheme_changed()
        if profile:
            self._preselect(profile)

    @property
    def scheme(self) -> str:
        return units.LEGACY if self.legacy.isChecked() else units.CURRENT

    def _scheme_changed(self) -> None:
        legacy = self.scheme == units.LEGACY
        self.district.setEnabled(legacy)
        self.district_level.setEnabled(legacy)
        if not legacy:
            self.district_level.setChecked(False)
        self.province.blockSignals(True)
        self.province.clear()
        for p in units.provinces(self.scheme):
            self.province.addItem(p.name, p.code)
        self.province.blockSignals(False)
        self._province_changed()

    def _province_changed(self) -> None:
        self.district.blockSignals(True)
        self.district.clear()
        if self.scheme == units.LEGACY and self.province.currentData():
            self.district.addItem("— Tất cả các huyện —", None)
            for d in units.districts(self.province.currentData()):
                self.district.addItem(d.name, d.code)
        self.district.blockSignals(False)
        self._refresh_units()

    def _refresh_units(self) -> None:
        code = self.province.currentData()
        if not code:
            return
        if self.district_level.isChecked():
            pool = units.districts(code)
        else:
            district = self.district.currentData() if self.scheme == units.LEGACY else None
            pool = units.communes(code, self.scheme, district)
        self._pool = units.search(self.search.text(), pool)
        self.results.clear()
        for unit in self._pool:
            where = f", {unit.district_name}" if unit.district_name and unit.level == "xa" else ""
            item = QListWidgetItem(f"{unit.name}{where} — mã {unit.code}")
            item.setData(Qt.ItemDataRole.UserRole, unit)
            self.results.addItem(item)
        if len(self._pool) == 1:
            self.results.setCurrentRow(0)
        self.completeChanged.emit()

    def _preselect(self, profile: UnitProfile) -> None:
        index = self.province.findData(profile.province_code)
        if index >= 0:
            self.province.setCurrentIndex(index)
        if profile.level == "huyen":
            self.district_level.setChecked(True)
        for row in range(self.results.count()):
            if self.results.item(row).data(Qt.ItemDataRole.UserRole).code == profile.code:
                self.results.setCurrentRow(row)
                break

    def _selected(self, *_):
        unit = self.selected_unit()
        self.chosen.setText(f"Đã chọn: {unit.name} — mã {unit.code}, {unit.province_name}" if unit
                            else "Chưa chọn đơn vị.")
        self.completeChanged.emit()

    def selected_unit(self) -> units.AdminUnit | None:
        item = self.results.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        return self.selected_unit() is not None


class PeoplePage(QWizardPage):
    def __init__(self, profile: UnitProfile | None):
        super().__init__()
        self.setTitle("Thôn, tổ dân phố và người ký báo cáo")
        self.setSubTitle("Dán danh sách thôn, tổ dân phố (mỗi dòng một tên). Có thể sửa sau trong menu Đơn vị.")
        self.villages = QPlainTextEdit()
        self.villages.setObjectName("villages")
        self.villages.setTabChangesFocus(True)
        self.villages.setPlaceholderText("Thôn An Điềm\nThôn Phước Hòa\n…")
        self.signer = QLineEdit()
        self.signer.setObjectName("signer")
        self.signer_title = QComboBox()
        self.signer_title.setObjectName("signer_title")
        self.signer_title.setEditable(True)
        self.signer_title.addItems(["CHỦ TỊCH", "PHÓ CHỦ TỊCH"])
        profile = profile or UnitProfile()
        self.villages.setPlainText("\n".join(profile.villages))
        self.signer.setText(profile.signer_name)
        if profile.signer_title:
            self.signer_title.setCurrentText(profile.signer_title)
        layout = QVBoxLayout(self)
        layout.addWidget(label("Các thôn, tổ dân phố:"))
        layout.addWidget(self.villages, 1)
        form = QFormLayout()
        form.addRow("Họ tên người ký:", self.signer)
        form.addRow("Chức vụ người ký:", self.signer_title)
        layout.addLayout(form)

    def village_list(self) -> list[str]:
        text = self.villages.toPlainText().replace(";", "\n")
        return [line.strip(" \t-•") for line in text.splitlines() if line.strip(" \t-•")]


class SetupWizard(QWizard):
    def __init__(self, workspace: Workspace, parent=None):
        super().__init__(parent)
        self.workspace = workspace
        profile = workspace.profile()
        self.setWindowTitle("Khai báo đơn vị")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setMinimumSize(560, 420)  # fits 1366×768 at 150% text scaling
        self.resize(760, 560)
        vietnamese_wizard_buttons(self)
        self.unit_page = UnitPage(profile)
        self.people_page = PeoplePage(profile)
        self.addPage(self.unit_page)
        self.addPage(self.people_page)

    def accept(self) -> None:
        unit = self.unit_page.selected_unit()
        try:
            self.workspace.set_unit(unit.code, scheme=self.unit_page.scheme, villages=self.people_page.village_list(),
                                    signer_name=self.people_page.signer.text(),
                                    signer_title=self.people_page.signer_title.currentText())
        except Exception as exc:  # noqa: BLE001 - shown to the person, nothing saved
            show_error(self, exc)
            return
        super().accept()
