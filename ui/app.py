"""Desktop entry point (``baocaoxa`` with no subcommand) and ``baocaoxa --selftest``."""

from __future__ import annotations

import json
import sys
import tempfile
import time

from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QPlainTextEdit, QTableWidget

from desktop_app import paths
from desktop_app.errors import UserError
from desktop_app.instance import InstanceLock
from desktop_app.paths import resource
from desktop_app.actions import recover_damaged_database
from desktop_app.services import DamagedDatabase, Workspace
from desktop_app.domain.values import is_empty
from ui import style
from ui.common import confirm, info, show_error
from ui.main_window import MainWindow
from ui.setup_wizard import SetupWizard

SELFTEST_EXAMPLE = "ntm-tieu-chi-8.json"


def _application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName("BaoCaoXa")
    app.setApplicationDisplayName("BaoCaoXa")
    style.apply(app)
    return app


def shown_text(widget) -> str:
    """Everything a field widget currently displays (used by the self-test and UI tests)."""
    parts = []
    for child in widget.findChildren(QLineEdit):
        parts.append(child.text())
    for child in widget.findChildren(QPlainTextEdit):
        parts.append(child.toPlainText())
    for child in widget.findChildren(QComboBox):
        if child.currentData() is not None:
            parts.append(child.currentText())
    for child in widget.findChildren(QTableWidget):
        parts += [child.item(r, c).text() for r in range(child.rowCount()) for c in range(child.columnCount())
                  if child.item(r, c)]
    for child in widget.findChildren(QLabel):
        if child.objectName().startswith("value_"):
            parts.append(child.text().replace("—", ""))
    return " ".join(p for p in parts if p)


def run_selftest(started: float) -> int:
    """Load an example into a temporary data folder, open it, walk every page, check values show."""
    app = _application()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="baocaoxa-selftest-") as folder:
        workspace = Workspace(folder, who="selftest")
        example = json.loads(resource("examples", SELFTEST_EXAMPLE).read_text(encoding="utf-8"))
        unit = example["unit"]
        workspace.set_unit(unit["code"], scheme=unit.get("scheme", "2025"), villages=unit.get("villages"),
                           signer_name=unit.get("signer_name"), signer_title=unit.get("signer_title"))
        report_id, _ = workspace.import_document(example)
        window = MainWindow(workspace)
        window.show()
        app.processEvents()
        first_window = time.perf_counter() - started
        window.open_report(report_id)
        editor = window.editor
        for index in range(editor.page_count):
            editor.show_page(index)
            app.processEvents()
            page = editor.pages.get(index)
            if page is None:
                continue
            for field_id, widget in page.widgets.items():
                if not is_empty(editor.session.value(field_id)) and not shown_text(widget).strip():
                    problems.append(f"trang {index}: trường «{field_id}» có giá trị nhưng không hiển thị")
        if editor.current_page() is not editor.review:
            problems.append("không đến được trang kiểm tra và hoàn tất")
        walked = editor.page_count
        window.close()
        app.processEvents()
        workspace.close()
    total = time.perf_counter() - started
    print(f"Cửa sổ đầu tiên sau {first_window:.2f} giây; đã xem {walked} trang; tổng {total:.2f} giây.")
    for problem in problems:
        print(f"LỖI: {problem}", file=sys.stderr)
    print("Tự kiểm tra: ĐẠT" if not problems else "Tự kiểm tra: KHÔNG ĐẠT")
    return 0 if not problems else 1


def main(data_dir: str | None = None, selftest: bool = False, database: str | None = None,
         staff: str | None = None) -> int:
    started = time.perf_counter()
    if selftest:
        return run_selftest(started)
    app = _application()
    folder = paths.data_dir(data_dir)
    lock = InstanceLock(folder)
    try:
        acquired = lock.acquire()
    except UserError as exc:  # a read-only data folder
        show_error(None, exc, "Không mở được dữ liệu")
        return 2
    if not acquired:
        info(None, "BaoCaoXa đang mở", "BaoCaoXa đang mở trong một cửa sổ khác với cùng thư mục dữ liệu "
             f"({folder}). Hãy dùng cửa sổ đó; hai cửa sổ cùng sửa một dữ liệu có thể ghi đè lẫn nhau.")
        return 3
    try:
        workspace = open_workspace(folder, database=database, staff=staff)
    except UserError as exc:
        show_error(None, exc, "Không mở được dữ liệu")
        lock.release()
        return 2
    if workspace is None:
        lock.release()
        return 2
    _start_support_log(workspace)
    if workspace.profile() is None:
        SetupWizard(workspace).exec()  # first run: who writes the reports here
    window = MainWindow(workspace)
    window.show()
    code = app.exec()
    workspace.close()
    lock.release()
    return code


def _start_support_log(workspace: Workspace) -> None:
    """The start-up line with Qt's version; crashes and Qt's messages go to the log from now on."""
    from PySide6.QtCore import qVersion

    from desktop_app.support import logs
    from ui import crash_dialog

    logs.log_startup({**workspace.startup_facts(), "qt": qVersion(),
                      "qt_platform": QApplication.platformName()})
    crash_dialog.install(lambda parent: crash_dialog.save_support_bundle(parent, workspace))


def open_workspace(folder, database: str | None = None, staff: str | None = None) -> Workspace | None:
    """Open the data; a damaged database is never written to — the person may restore a backup."""
    try:
        return Workspace(folder, who=staff, database=database)
    except DamagedDatabase as exc:
        if exc.backup is None:
            show_error(None, exc, "Dữ liệu bị hỏng")
            return None
        if not confirm(None, "Dữ liệu bị hỏng", f"{exc.message}\n\nKhôi phục bản sao lưu này? Tệp hỏng vẫn được "
                       "giữ lại để cán bộ kỹ thuật xem.", yes="Khôi phục", no="Thoát"):
            return None
        recover_damaged_database(folder, exc.backup)
        return Workspace(folder)
