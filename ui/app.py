"""Desktop entry point (``baocaoxa`` with no subcommand) and ``baocaoxa --selftest``.

The window is painted first, from light modules only (PySide6, the window's shell); the data
is opened on the next turn of the event loop, once that paint is done: the heavy modules
(SQLAlchemy, the templates) are imported then, the store's checks and migrations run, and the
window is filled — or the same Vietnamese dialogs as ever say why it cannot be.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QPlainTextEdit, QTableWidget

from desktop_app import paths
from desktop_app.errors import UserError
from desktop_app.instance import InstanceLock
from desktop_app.paths import resource
from ui import style
from ui.common import confirm, info, show_error
from ui.first_paint import after_first_paint
from ui.main_window import MainWindow
from ui.start_probe import StartProbe

if TYPE_CHECKING:
    from pathlib import Path

    from desktop_app.services import Workspace

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
    """In the order of a real start — the window painted, then the data opened into it — load
    an example into a temporary data folder, open it, walk every page, check values show."""
    app = _application()
    window = MainWindow()  # the shell, as at a real start
    window.show()
    painted = QEventLoop()
    first: list[float] = []

    def shown() -> None:
        first.append(time.perf_counter() - started)
        painted.quit()

    after_first_paint(window, shown)
    if not first:
        painted.exec()
    from desktop_app.domain.values import is_empty
    from desktop_app.services import Workspace

    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="baocaoxa-selftest-") as folder:
        workspace = Workspace(folder, who="selftest")
        example = json.loads(resource("examples", SELFTEST_EXAMPLE).read_text(encoding="utf-8"))
        unit = example["unit"]
        workspace.set_unit(unit["code"], scheme=unit.get("scheme", "2025"), villages=unit.get("villages"),
                           signer_name=unit.get("signer_name"), signer_title=unit.get("signer_title"))
        report_id, _ = workspace.import_document(example)
        window.attach(workspace)
        window.open_report(report_id)
        app.processEvents()
        report_open = time.perf_counter() - started
        editor = window.editor
        assert editor is not None
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
    print(f"Cửa sổ đầu tiên sau {first[0]:.2f} giây; báo cáo mẫu mở sau {report_open:.2f} giây (gồm tạo cơ sở "
          f"dữ liệu và nhập báo cáo mẫu); đã xem {walked} trang; tổng {total:.2f} giây.")
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
    start = _Start(app, folder, database, staff, StartProbe.from_environment(started))
    try:
        return start.run()
    finally:
        if start.workspace is not None:
            start.workspace.close()
        lock.release()


class _Start:
    """The shell painted, then the data opened into it (or the reason it cannot be)."""

    def __init__(self, app: QApplication, folder: Path, database: str | None, staff: str | None,
                 probe: StartProbe | None):
        self.app, self.folder, self.database, self.staff, self.probe = app, folder, database, staff, probe
        self.window = MainWindow()  # the shell: title, menus, «Đang mở dữ liệu…»
        self.workspace: Workspace | None = None
        self.code: int | None = None
        self.failure: BaseException | None = None

    def run(self) -> int:
        self.window.show()
        after_first_paint(self.window, self._open_data)
        code = self.app.exec()
        if self.failure is not None:
            raise self.failure  # an unexpected error: the command line reports and logs it as before
        return self.code if self.code is not None else code

    def _open_data(self) -> None:
        if self.probe is not None:
            self.probe.window_painted()
        try:
            self._fill()
        except BaseException as exc:  # noqa: BLE001 - re-raised by run(), outside the event loop
            self.failure = exc
            self.finish(2)

    def _fill(self) -> None:
        window = self.window
        try:
            workspace = open_workspace(self.folder, database=self.database, staff=self.staff, parent=window)
        except UserError as exc:
            show_error(window, exc, "Không mở được dữ liệu")
            self.finish(2)
            return
        if workspace is None:
            self.finish(2)
            return
        self.workspace = workspace
        _start_support_log(workspace)
        if workspace.profile() is None:
            from ui.setup_wizard import SetupWizard

            SetupWizard(workspace, window).exec()  # first run: who writes the reports here
        window.attach(workspace)
        if self.probe is not None:
            self.probe.window_filled(window, self.finish)

    def finish(self, code: int) -> None:
        self.code = code
        # Closing the last window would also post Qt's own Quit for later, which would end the
        # next event loop of this process at once (a test's, the self-test's): this exit is the one.
        quit_on_close = self.app.quitOnLastWindowClosed()
        self.app.setQuitOnLastWindowClosed(False)
        try:
            self.window.close()
        finally:
            self.app.setQuitOnLastWindowClosed(quit_on_close)
        self.app.exit(code)


def _start_support_log(workspace: Workspace) -> None:
    """The start-up line with Qt's version; crashes and Qt's messages go to the log from now on."""
    from PySide6.QtCore import qVersion

    from desktop_app.support import logs
    from ui import crash_dialog

    logs.log_startup({**workspace.startup_facts(), "qt": qVersion(),
                      "qt_platform": QApplication.platformName()})
    crash_dialog.install(lambda parent: crash_dialog.save_support_bundle(parent, workspace))


def open_workspace(folder, database: str | None = None, staff: str | None = None,
                   parent=None) -> Workspace | None:
    """Open the data; a damaged database is never written to — the person may restore a backup."""
    from desktop_app.actions import recover_damaged_database
    from desktop_app.services import DamagedDatabase, Workspace

    try:
        return Workspace(folder, who=staff, database=database)
    except DamagedDatabase as exc:
        if exc.backup is None:
            show_error(parent, exc, "Dữ liệu bị hỏng")
            return None
        if not confirm(parent, "Dữ liệu bị hỏng", f"{exc.message}\n\nKhôi phục bản sao lưu này? Tệp hỏng vẫn được "
                       "giữ lại để cán bộ kỹ thuật xem.", yes="Khôi phục", no="Thoát"):
            return None
        recover_damaged_database(folder, exc.backup)
        return Workspace(folder)
