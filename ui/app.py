"""Desktop entry point (started by ``baocaoxa`` with no subcommand)."""

from __future__ import annotations

import sys
import time

from PySide6.QtWidgets import QApplication, QLabel, QListWidget, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from desktop_app.errors import UserError
from desktop_app.services import Workspace


class MainWindow(QMainWindow):
    def __init__(self, workspace: Workspace):
        super().__init__()
        self.workspace = workspace
        self.setWindowTitle("BaoCaoXa — Báo cáo CNTT và chuyển đổi số")
        self.resize(1000, 640)
        central = QWidget()
        layout = QVBoxLayout(central)
        profile = workspace.profile()
        unit = profile["name"] if profile else "Chưa khai báo đơn vị"
        layout.addWidget(QLabel(f"<h2>{unit}</h2>"))
        self.reports = QListWidget()
        for s in workspace.reports():
            self.reports.addItem(f"{s.template_title} — {s.period_label} — {s.status_label} — "
                                 f"{round(s.completeness * 100)}%")
        layout.addWidget(self.reports)
        self.setCentralWidget(central)


def main(data_dir: str | None = None, selftest: bool = False) -> int:
    started = time.perf_counter()
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("BaoCaoXa")
    try:
        workspace = Workspace(data_dir)
    except UserError as exc:
        QMessageBox.critical(None, "BaoCaoXa", str(exc))
        return 2
    window = MainWindow(workspace)
    window.show()
    if selftest:
        app.processEvents()
        print(f"Cửa sổ đầu tiên sau {time.perf_counter() - started:.2f} giây.")
        window.close()
        workspace.close()
        return 0
    code = app.exec()
    workspace.close()
    return code
