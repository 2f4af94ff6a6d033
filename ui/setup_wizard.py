"""First-run set-up of the unit profile: province, commune (or district), villages, signer."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QRadioButton,
    QVBoxLayout, QWizard, QWizardPage,
)

from desktop_app.domain import roles, units
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


class RolePage(QWizardPage):
    """A commune writes reports; a provincial body receives and consolidates them."""

    def __init__(self, profile: UnitProfile | None):
        super().__init__()
        self.setTitle("Máy này dùng cho ai?")
        self.setSubTitle("Xã, phường lập và gửi báo cáo; cơ quan cấp tỉnh nhận gói dữ liệu của các xã, phường và "
                         "tổng hợp. Có thể đổi sau trong menu Đơn vị.")
        self.commune = QRadioButton("Xã, phường, đặc khu — lập và gửi báo cáo")
        self.commune.setObjectName("role_commune")
        self.province = QRadioButton("Ủy ban nhân dân tỉnh, thành phố — nhận và tổng hợp báo cáo")
        self.province.setObjectName("role_province")
        self.science = QRadioButton(f"{roles.SCIENCE_DEPARTMENT} — nhận và tổng hợp báo cáo")
        self.science.setObjectName("role_science")
        self.other = QRadioButton("Sở, ngành khác của tỉnh (ghi tên) — nhận và tổng hợp báo cáo")
        self.other.setObjectName("role_other")
        self.department = QLineEdit()
        self.department.setObjectName("department_name")
        self.department.setPlaceholderText("Ví dụ: Sở Nội vụ")
        self.department.setMaxLength(roles.MAX_BODY_NAME)
        self.problem = label("", "warning")
        layout = QVBoxLayout(self)
        for button in (self.commune, self.province, self.science, self.other):
            layout.addWidget(button)
            button.toggled.connect(self._changed)
        form = QFormLayout()
        form.addRow("Tên sở, ngành:", self.department)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        self.department.textChanged.connect(self._changed)
        role, body = (roles.role_of(profile), profile.body_name) if profile else (roles.COMMUNE, "")
        if role == roles.DEPARTMENT and body == roles.SCIENCE_DEPARTMENT:
            self.science.setChecked(True)
        elif role == roles.DEPARTMENT:
            self.other.setChecked(True)
            self.department.setText(body)
        elif role == roles.PROVINCE:
            self.province.setChecked(True)
        else:
            self.commune.setChecked(True)  # a district (old list) is chosen on the next page
        self._changed()

    def initializePage(self) -> None:  # noqa: N802 - Qt API
        checked = next(b for b in (self.commune, self.province, self.science, self.other) if b.isChecked())
        checked.setFocus(Qt.FocusReason.OtherFocusReason)  # arrow keys choose, Enter goes on

    @property
    def role(self) -> str:
        if self.province.isChecked():
            return roles.PROVINCE
        if self.science.isChecked() or self.other.isChecked():
            return roles.DEPARTMENT
        return roles.COMMUNE

    @property
    def body_name(self) -> str:
        if self.science.isChecked():
            return roles.SCIENCE_DEPARTMENT
        return self.department.text() if self.other.isChecked() else ""

    def _changed(self, *_args) -> None:
        self.department.setEnabled(self.other.isChecked())
        problem = ""
        if self.other.isChecked() and self.department.text().strip():
            try:
                roles.check_role(roles.DEPARTMENT, "tinh", self.department.text())
            except roles.RoleError as exc:
                problem = str(exc)
        self.problem.setText(problem)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        if not self.other.isChecked():
            return True
        return bool(self.department.text().strip()) and not self.problem.text()


class UnitPage(QWizardPage):
    def __init__(self, profile: UnitProfile | None):
        super().__init__()
        self.setTitle("Chọn đơn vị báo cáo")
        self.setSubTitle("Chọn tỉnh, rồi gõ vài chữ của tên xã, phường để tìm (gõ không dấu cũng được).")
        self.receiving = False  # a provincial body: the province is the unit
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
        self._form = form
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
        self.province.currentIndexChanged.connect(self._selected)
        self.district.currentIndexChanged.connect(self._refresh_units)
        self.search.textChanged.connect(self._refresh_units)
        self.results.currentItemChanged.connect(self._selected)
        self._pool: list[units.AdminUnit] = []

        scheme = profile.scheme if profile else units.CURRENT
        (self.legacy if scheme == units.LEGACY else self.current).setChecked(True)
        self._scheme_changed()
        if profile:
            self._preselect(profile)

    def initializePage(self) -> None:  # noqa: N802 - Qt API
        role_page = getattr(self.wizard(), "role_page", None)
        receiving = role_page is not None and role_page.role in roles.RECEIVING
        if receiving != self.receiving or receiving:
            self.receiving = receiving
            if receiving and self.legacy.isChecked():
                self.current.setChecked(True)  # the 34 provinces of today
            for widget in (self.current, self.legacy, self.district_level, self.district, self.search, self.results):
                widget.setVisible(not receiving)
            for widget in (self.district, self.search):
                self._form.labelForField(widget).setVisible(not receiving)
            self.setSubTitle("Chọn tỉnh, thành phố (danh mục từ 01/7/2025): gõ vài chữ của tên, không dấu cũng được."
                             if receiving else
                             "Chọn tỉnh, rồi gõ vài chữ của tên xã, phường để tìm (gõ không dấu cũng được).")
            self._selected()
        # After the event: QWizard gives the page's first focusable child (a radio button) the
        # focus once this returns, and a commune's first keystroke belongs in the search box.
        target = self.province if receiving else self.search
        QTimer.singleShot(0, target, lambda: target.setFocus(Qt.FocusReason.OtherFocusReason))

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
        if self.receiving:
            code = self.province.currentData()
            return units.find(code, units.CURRENT) if code else None
        item = self.results.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        return self.selected_unit() is not None


class PeoplePage(QWizardPage):
    def __init__(self, profile: UnitProfile | None):
        super().__init__()
        self.setTitle("Thôn, tổ dân phố và người ký báo cáo")
        self.setSubTitle("Dán danh sách thôn, tổ dân phố (mỗi dòng một tên). Có thể sửa sau trong menu Đơn vị.")
        self._role = roles.role_of(profile) if profile else roles.COMMUNE
        self.villages = QPlainTextEdit()
        self.villages.setObjectName("villages")
        self.villages.setTabChangesFocus(True)
        self.villages.setPlaceholderText("Thôn An Điềm\nThôn Phước Hòa\n…")
        self.signer = QLineEdit()
        self.signer.setObjectName("signer")
        self.signer_title = QComboBox()
        self.signer_title.setObjectName("signer_title")
        self.signer_title.setEditable(True)
        self.signer_title.addItems(roles.signer_titles(profile))
        profile = profile or UnitProfile()
        self.villages.setPlainText("\n".join(profile.villages))
        self.signer.setText(profile.signer_name)
        if profile.signer_title:
            self.signer_title.setCurrentText(profile.signer_title)
        layout = QVBoxLayout(self)
        self.villages_label = label("Các thôn, tổ dân phố:")
        layout.addWidget(self.villages_label)
        layout.addWidget(self.villages, 1)
        form = QFormLayout()
        form.addRow("Họ tên người ký:", self.signer)
        form.addRow("Chức vụ người ký:", self.signer_title)
        layout.addLayout(form)
        self.signing_hint = label("", "hint")
        layout.addWidget(self.signing_hint)
        self.signer_title.currentTextChanged.connect(self._show_signing)

    def initializePage(self) -> None:  # noqa: N802 - Qt API
        role_page = getattr(self.wizard(), "role_page", None)
        role = role_page.role if role_page is not None else self._role
        receiving = role in roles.RECEIVING
        self.villages.setVisible(not receiving)
        self.villages_label.setVisible(not receiving)
        self.setTitle("Người ký báo cáo tổng hợp" if receiving else "Thôn, tổ dân phố và người ký báo cáo")
        self.setSubTitle("Người ký và chức vụ ghi ở cuối báo cáo tổng hợp." if receiving else
                         "Dán danh sách thôn, tổ dân phố (mỗi dòng một tên). Có thể sửa sau trong menu Đơn vị.")
        if role != self._role:
            typed = self.signer_title.currentText()
            self._role = role
            self.signer_title.clear()
            titles = roles.signer_titles({"role": role})
            self.signer_title.addItems(titles)
            if typed and typed not in roles.OFFERED_TITLES:
                self.signer_title.setCurrentText(typed)  # a title the person wrote stays
        self._show_signing()
        (self.signer if receiving else self.villages).setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_signing(self, *_args) -> None:
        """What the signature block will say, so the form (TM., KT.) is seen before it is printed."""
        if self._role not in roles.RECEIVING:
            self.signing_hint.setText("")
            return
        title = self.signer_title.currentText()
        authority = roles.signing_authority({"role": self._role}, title)
        lines = [line for line in ((authority or "").split("\n") + [title.upper()]) if line]
        self.signing_hint.setText("Khối chữ ký: " + " / ".join(lines))

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
        self.role_page = RolePage(profile)
        self.unit_page = UnitPage(profile)
        self.people_page = PeoplePage(profile)
        self.addPage(self.role_page)
        self.addPage(self.unit_page)
        self.addPage(self.people_page)

    def accept(self) -> None:
        unit = self.unit_page.selected_unit()
        role = self.role_page.role
        if role == roles.COMMUNE and unit is not None and unit.level == "huyen":
            role = roles.DISTRICT  # a district of the old list, chosen on the unit page
        scheme = units.CURRENT if self.unit_page.receiving else self.unit_page.scheme
        try:
            self.workspace.set_unit(unit.code, scheme=scheme,
                                    villages=self.people_page.village_list(),
                                    signer_name=self.people_page.signer.text(),
                                    signer_title=self.people_page.signer_title.currentText(),
                                    role=role, body_name=self.role_page.body_name)
        except Exception as exc:  # noqa: BLE001 - shown to the person, nothing saved
            show_error(self, exc)
            return
        super().accept()
