"""The report types installed (versions, legal basis, issuing province, dates) and
"Cài mẫu báo cáo…": a template file checked first, every problem shown, nothing half-installed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
    QWidget,
)

from desktop_app.domain.changes import Changes
from desktop_app.services import Workspace
from ui import operations
from ui.common import enter_clicks, info, label, resize_within_screen

TEMPLATE_FILTER = "Tệp mẫu báo cáo (*.yaml *.yml *.json)"


def choose_and_install(parent: QWidget, ws: Workspace, after=None) -> None:
    """Ask for a template file, then install it on the worker; the result (or every problem) is shown."""
    start = ws.setting("last_folder") or str(Path.home())
    path, _ = QFileDialog.getOpenFileName(parent, "Chọn tệp mẫu báo cáo", start, TEMPLATE_FILTER)
    if not path:
        return
    ws.set_setting("last_folder", str(Path(path).parent))

    def done(installed) -> None:
        t = installed.template
        if installed.already:
            info(parent, "Cài mẫu báo cáo", f"Mẫu «{t.display_title}» phiên bản {t.version} đã được cài với "
                 "đúng nội dung này; không thay đổi gì.")
        else:
            info(parent, "Cài mẫu báo cáo", f"Đã cài mẫu «{t.display_title}» phiên bản {t.version}. Từ nay "
                 "có thể tạo báo cáo theo mẫu này.")
        if after is not None:
            after()

    operations.run(parent, "Đang kiểm tra và cài mẫu…", lambda _p: ws.install_template(path), done,
                   changes=lambda installed: Changes() if installed.already else Changes(templates=True),
                   name="install template")


class TemplatesDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Các loại báo cáo đã cài")
        layout = QVBoxLayout(self)
        layout.addWidget(label("Mỗi loại báo cáo có thể có nhiều phiên bản; báo cáo luôn giữ phiên bản mẫu lúc tạo."))
        self.tree = QTreeWidget()
        self.tree.setObjectName("templates")
        self.tree.setHeaderLabels(["Loại báo cáo / phiên bản", "Hiệu lực", "Nguồn"])
        self.tree.setColumnWidth(0, 460)
        layout.addWidget(self.tree, 1)
        buttons = QHBoxLayout()
        self.install_button = QPushButton("Cài mẫu báo cáo…")
        self.install_button.setObjectName("install_template")
        self.install_button.clicked.connect(lambda: choose_and_install(self, self.workspace, self.refresh))
        enter_clicks(self.install_button)
        buttons.addWidget(self.install_button)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText("Đóng")
        close.rejected.connect(self.reject)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        resize_within_screen(self, 980, 520)
        self.refresh()

    def refresh(self) -> None:
        self.tree.clear()
        for info_ in self.workspace.template_types():
            top = QTreeWidgetItem([f"{info_.title} ({info_.id})", "", ""])
            facts = [f"Tỉnh ban hành: {info_.province}"] + [f"Căn cứ: {b}" for b in info_.legal_basis]
            for fact in facts:
                QTreeWidgetItem(top, [fact, "", ""])
            for v in info_.versions:
                QTreeWidgetItem(top, [f"Phiên bản {v.version}", v.effective, v.where])
            self.tree.addTopLevelItem(top)
            top.setExpanded(True)
