"""The main window: the list of reports, and the editor when one is open."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QMainWindow, QMenu, QPushButton, QStackedWidget,
    QTabWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from desktop_app import __version__
from desktop_app.domain import roles
from desktop_app.domain.changes import Changes
from desktop_app.errors import ReportExists, UserError
from ui import operations
from ui.common import confirm, enter_clicks, info, label, show_error

# The window paints before the data is open (ui.app): what needs the workspace, the store or
# the templates is imported where it is used, so this module stays light to import.
if TYPE_CHECKING:
    from desktop_app.services import Workspace
    from ui.consolidation_view import ConsolidationDialog
    from ui.editor import ReportEditor
    from ui.province_view import ReceivedHome

LOADING_TEXT = "Đang mở dữ liệu…"
# What works before the data is open: leaving.
_ALWAYS_ENABLED = frozenset({"quit"})

COLUMNS = ["Số", "Loại báo cáo", "Kỳ báo cáo", "Trạng thái", "Đã nhập", "Sửa lần cuối"]


class MainWindow(QMainWindow):
    def __init__(self, workspace: Workspace | None = None):
        """Without a workspace the window is the shell painted while the data opens: title,
        menus (all but «Thoát» disabled) and «Đang mở dữ liệu…»; :meth:`attach` fills it."""
        super().__init__()
        self._workspace: Workspace | None = None
        self.editor: ReportEditor | None = None
        self._importing = False  # one bundle import at a time
        self._consolidation: ConsolidationDialog | None = None
        self.resize(1280, 720)
        self.setWindowTitle("Báo cáo CNTT và chuyển đổi số")  # Qt appends «BaoCaoXa»
        self.stack = QStackedWidget()
        self.loading_page = label(LOADING_TEXT, "title")
        self.loading_page.setObjectName("loading")
        self.loading_page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.loading_page)
        self.setCentralWidget(self.stack)
        self._build_menus()
        self.statusBar().showMessage(LOADING_TEXT)
        self._enable_actions(False)
        if workspace is not None:
            self.attach(workspace)

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            raise RuntimeError("the window's data is not open yet")
        return self._workspace

    @property
    def attached(self) -> bool:
        return self._workspace is not None

    def attach(self, workspace: Workspace) -> None:
        """Fill the shell with the open data: the list of reports, the menus enabled."""
        self._workspace = workspace
        self.list_page = self._build_list_page()
        # The home: a commune's own reports; a receiving office's tabs, what it received first.
        self.home: QWidget = self.list_page
        self.received_home: ReceivedHome | None = None
        self.stack.addWidget(self.home)
        self.stack.setCurrentWidget(self.home)
        self.stack.removeWidget(self.loading_page)
        self.loading_page.deleteLater()
        self.setAcceptDrops(True)  # bundles and their parts can be dropped on the window
        operations.hub().did_execute.connect(self._on_changes)
        self._enable_actions(True)
        self.statusBar().showMessage("Sẵn sàng. Không cần mạng; mọi thay đổi được lưu ngay.")
        self.refresh()
        if self.isVisible() and self.editor is None:
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _enable_actions(self, enabled: bool) -> None:
        """The menus' items; the menus themselves stay open-able (Tệp → Thoát)."""
        for menu in self.menuBar().findChildren(QMenu):
            for act in menu.actions():
                if act.objectName() not in _ALWAYS_ENABLED:
                    act.setEnabled(enabled)

    # --- building ------------------------------------------------------------------
    def _build_list_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.unit_label = label("", "title")
        self.unit_label.setObjectName("unit_label")
        layout.addWidget(self.unit_label)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("Tạo báo cáo mới")
        self.new_button.setObjectName("new_report")
        self.open_button = QPushButton("Mở")
        self.open_button.setObjectName("open_report")
        self.duplicate_button = QPushButton("Tạo kỳ khác từ báo cáo này…")
        self.duplicate_button.setObjectName("duplicate_report")
        self.delete_button = QPushButton("Xóa…")
        self.delete_button.setObjectName("delete_report")
        for button, slot in ((self.new_button, self.new_report), (self.open_button, self.open_selected),
                             (self.duplicate_button, self.duplicate_selected),
                             (self.delete_button, self.delete_selected)):
            button.clicked.connect(slot)
            enter_clicks(button)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("reports")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(lambda _i: self.open_selected())  # double-click or Enter
        self.table.setTabKeyNavigation(False)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)
        self.empty_hint = label("Chưa có báo cáo nào. Bấm «Tạo báo cáo mới» để bắt đầu.", "hint")
        layout.addWidget(self.empty_hint)
        received = QHBoxLayout()
        self.received_hint = label("", "hint")
        self.received_hint.setObjectName("received_hint")
        self.consolidate_button = QPushButton("Tổng hợp báo cáo các đơn vị…")
        self.consolidate_button.setObjectName("consolidate")
        self.consolidate_button.clicked.connect(self.show_consolidation)
        enter_clicks(self.consolidate_button)
        received.addWidget(self.received_hint, 1)
        received.addWidget(self.consolidate_button)
        layout.addLayout(received)
        return page

    def _build_menus(self) -> None:
        def action(menu, text, slot, shortcut=None, name=None):
            act = QAction(text, self)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            if name:
                act.setObjectName(name)
            act.triggered.connect(slot)
            menu.addAction(act)
            return act

        file_menu = self.menuBar().addMenu("&Tệp")
        action(file_menu, "Nhập báo cáo từ tệp JSON…", self.import_json, name="import_json")
        action(file_menu, "Cài mẫu báo cáo…", self.install_template, name="install_template")
        action(file_menu, "Các loại báo cáo đã cài…", self.show_templates, name="show_templates")
        file_menu.addSeparator()
        action(file_menu, "Thoát", self.close, "Ctrl+Q", name="quit")
        report_menu = self.menuBar().addMenu("&Báo cáo")
        action(report_menu, "Tạo báo cáo mới…", self.new_report, "Ctrl+N")
        action(report_menu, "Mở báo cáo đang chọn", self.open_selected, "Ctrl+O")
        action(report_menu, "Báo cáo đã xóa…", self.show_deleted, name="deleted_reports")
        report_menu.addSeparator()  # the keyboard's way to what the editor's buttons do
        # Ctrl+Shift: a one-line box on Linux takes Ctrl+E itself (end of line)
        action(report_menu, "Xuất Word…", lambda: self._editor_export("docx"), "Ctrl+Shift+W", name="menu_export_docx")
        action(report_menu, "Xuất PDF…", lambda: self._editor_export("pdf"), "Ctrl+Shift+P", name="menu_export_pdf")
        action(report_menu, "Xuất Excel…", lambda: self._editor_export("xlsx"), "Ctrl+Shift+X",
               name="menu_export_xlsx")
        action(report_menu, "Về danh sách báo cáo", self.close_editor, "Ctrl+L", name="menu_back_to_list")
        data_menu = self.menuBar().addMenu("&Dữ liệu")
        action(data_menu, "Tạo gói dữ liệu để gửi đi…", self.send_bundle, name="send_bundle")
        action(data_menu, "Nhận gói dữ liệu…", self.receive_bundles, "Ctrl+I", name="receive_bundles")
        action(data_menu, "Xung đột cần xử lý…", self.show_conflicts, name="show_conflicts")
        action(data_menu, "Đơn vị gửi và khóa ký…", self.show_senders, name="show_senders")
        action(data_menu, "Tổng hợp báo cáo các đơn vị…", self.show_consolidation, name="consolidate")
        data_menu.addSeparator()
        action(data_menu, "Sao lưu ngay", self.backup_now, name="backup_now")
        action(data_menu, "Khôi phục từ bản sao lưu…", self.restore_backup, name="restore_backup")
        action(data_menu, "Kiểm tra cơ sở dữ liệu", self.check_database, name="check_db")
        action(data_menu, "Cơ sở dữ liệu dùng chung…", self.choose_database, name="choose_database")
        unit_menu = self.menuBar().addMenu("Đơn &vị")
        action(unit_menu, "Thông tin đơn vị, thôn, người ký…", self.edit_unit, name="edit_unit")
        help_menu = self.menuBar().addMenu("Trợ &giúp")
        action(help_menu, "Tạo gói hỗ trợ…", self.create_support_bundle, name="support_bundle")
        action(help_menu, "Giới thiệu BaoCaoXa", self.about)

    # --- list ------------------------------------------------------------------------
    def _show_role(self, receiving: bool) -> None:
        """A receiving office starts from what it received; a commune sees none of that side."""
        from ui.province_view import ReceivedHome

        if receiving and self.received_home is None:
            self.received_home = ReceivedHome(self.workspace)
            self.received_home.open_report.connect(self.open_report)
            self.received_home.receive.connect(self.receive_bundles)
            self.received_home.consolidate.connect(self.show_consolidation)
            tabs = QTabWidget()
            tabs.setObjectName("home")
            tabs.setDocumentMode(True)
            self._set_home(tabs)
            tabs.addTab(self.received_home, "Báo cáo nhận được")
            tabs.addTab(self.list_page, "Báo cáo của đơn vị mình")
        elif not receiving and self.received_home is not None:
            old = self.home
            self._set_home(self.list_page)
            old.deleteLater()  # with the received home in it
            self.received_home = None
        for name in ("show_senders", "consolidate"):
            self.findChild(QAction, name).setVisible(receiving)

    def _set_home(self, home: QWidget) -> None:
        showing = self.stack.currentWidget() is self.home
        self.stack.removeWidget(self.home)
        self.home = home
        self.stack.insertWidget(0, home)
        if showing:
            self.stack.setCurrentWidget(home)

    def refresh(self) -> None:
        profile = self.workspace.profile()
        receiving = roles.is_receiving(profile)
        self._show_role(receiving)
        if profile is None:
            unit = "Chưa khai báo đơn vị"
        elif profile.body_name:
            unit = f"{profile.body_name} — {profile.name}"  # a department of the province
        elif profile.province_name and profile.province_name != profile.name:
            unit = f"{profile.name} — {profile.province_name}"
        else:
            unit = profile.name  # a province
        self.unit_label.setText(unit)
        if self.received_home is not None:
            self.received_home.title.setText(unit)
        self.setWindowTitle(f"Báo cáo CNTT và chuyển đổi số — {unit}")  # Qt appends «BaoCaoXa»
        # Our own reports; those received from other units live in the consolidation view.
        summaries = self.workspace.reports(include_received=False)
        self.table.setRowCount(len(summaries))
        for row, s in enumerate(summaries):
            title = s.template_title
            if profile and s.unit_name and s.unit_name != profile.name:
                title += f" — {s.unit_name}"  # e.g. imported from another unit's JSON file
            cells = [str(s.id), title, s.period_label,
                     s.status_label + (f" ({s.errors} lỗi)" if s.errors and s.status != "final" else ""),
                     f"{round(s.completeness * 100)}%", f"{s.updated_at:%d/%m/%Y %H:%M}"]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, s.id)
                if col in (0, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        if summaries and not self.table.selectedItems():
            self.table.selectRow(0)
        self.empty_hint.setVisible(not summaries)
        received = self.workspace.received()
        conflicts = len(self.workspace.conflicts())
        parts = []
        if received:
            latest = received[0]
            parts.append(f"Đã nhận báo cáo {latest.title} — {latest.period_label} của {latest.units} đơn vị"
                         + (f" (và {len(received) - 1} kỳ, mẫu khác)." if len(received) > 1 else "."))
        if conflicts:
            parts.append(f"Có {conflicts} xung đột cần xử lý (Dữ liệu → Xung đột cần xử lý…).")
        self.received_hint.setText(" ".join(parts))
        self.received_hint.setVisible(bool(parts))
        self.consolidate_button.setVisible(bool(received) and receiving)
        self._update_buttons()

    def _update_buttons(self) -> None:
        selected = self.selected_id() is not None
        for button in (self.open_button, self.duplicate_button, self.delete_button):
            button.setEnabled(selected)

    def selected_id(self) -> int | None:
        items = self.table.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _on_changes(self, changes: Changes, origin: object) -> None:
        """Every operation's announcement: refresh what it touched, nothing else."""
        if changes.report_list or changes.profile or changes.conflicts or changes.received:
            self.refresh()
        editor = self.editor
        if editor is not None and origin is not editor and changes.touches_report(editor.session.report_id):
            self.open_report(editor.session.report_id)  # show what the operation brought

    # --- actions ---------------------------------------------------------------------
    def new_report(self) -> None:
        if self.workspace.profile() is None and not self.edit_unit():
            return
        from ui.dialogs import NewReportDialog

        dialog = NewReportDialog(self.workspace, self)
        if dialog.exec() and dialog.report_id:
            operations.hub().announce(Changes.of_report(dialog.report_id))
            self.open_report(dialog.report_id)

    def open_selected(self) -> None:
        if self.editor is not None:
            return  # a report is already open; the list is hidden
        report_id = self.selected_id()
        if report_id is not None:
            self.open_report(report_id)

    def open_report(self, report_id: int) -> None:
        from desktop_app.editing import EditSession
        from ui.editor import ReportEditor

        try:
            session = EditSession(self.workspace, report_id)
        except UserError as exc:
            show_error(self, exc)
            return
        if self.editor is not None:
            self.close_editor()
        self.editor = ReportEditor(session)
        self.editor.closed.connect(self.close_editor)
        self.stack.addWidget(self.editor)
        self.stack.setCurrentWidget(self.editor)
        self.editor.focus_first_field()  # now that it is shown: the keyboard is in the report
        self.setWindowTitle(session.title)  # Qt appends the application name

    def _editor_export(self, kind: str) -> None:
        if self.editor is not None:
            self.editor.export(kind)

    def close_editor(self) -> None:
        if self.editor is not None:
            self.editor.flush()
            self.stack.removeWidget(self.editor)
            self.editor.deleteLater()
            self.editor = None
        self.stack.setCurrentWidget(self.home)
        self.refresh()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)  # Enter opens the selected report

    def duplicate_selected(self) -> None:
        report_id = self.selected_id()
        if report_id is None:
            return
        from ui.dialogs import DuplicateDialog

        dialog = DuplicateDialog(self.workspace, report_id, self)
        if dialog.exec() and dialog.report_id:
            operations.hub().announce(Changes.of_report(dialog.report_id))
            self.open_report(dialog.report_id)

    def delete_selected(self) -> None:
        report_id = self.selected_id()
        if report_id is None:
            return
        row = self.table.currentRow()
        what = f"«{self.table.item(row, 1).text()}» {self.table.item(row, 2).text()}" if row >= 0 else f"số {report_id}"
        if confirm(self, "Xóa báo cáo", f"Xóa báo cáo {what}? Có thể khôi phục lại trong menu "
                   "Báo cáo → Báo cáo đã xóa.", yes="Xóa"):
            operations.run_now(self, "delete report", lambda: self.workspace.delete_report(report_id),
                               changes=Changes.of_report(report_id))

    def show_deleted(self) -> None:
        from ui.dialogs import DeletedReportsDialog

        dialog = DeletedReportsDialog(self.workspace, self)
        if dialog.exec():
            operations.hub().announce(Changes(report_list=True))

    def edit_unit(self) -> bool:
        from ui.setup_wizard import SetupWizard

        wizard = SetupWizard(self.workspace, self)
        accepted = bool(wizard.exec())
        if accepted:
            operations.hub().announce(Changes(profile=True, report_list=True))
        return accepted

    def import_json(self) -> None:
        last = self.workspace.setting("last_folder") or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Chọn tệp báo cáo JSON", last, "Báo cáo JSON (*.json)")
        if not path:
            return
        self.workspace.set_setting("last_folder", str(Path(path).parent))
        self._import_json_file(path, replace=False)

    def _import_json_file(self, path: str, replace: bool) -> None:
        """Imports; a report already here for that unit, template and period is replaced only
        after the person says so."""
        def work(_progress):
            try:
                data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise UserError(f"Không đọc được tệp «{Path(path).name}»: tệp hỏng hoặc không phải JSON.") from exc
            return self.workspace.import_document(data, replace=replace)

        def done(result):
            report_id, created = result
            info(self, "Đã nhập", f"Đã {'tạo' if created else 'thay nội dung'} báo cáo số {report_id}.")

        def failed(error: Exception) -> None:
            if isinstance(error, ReportExists) and not replace:
                if confirm(self, "Đã có báo cáo này", f"Đã có {error.what}.\n\nThay toàn bộ nội dung báo "
                           f"cáo số {error.report_id} bằng nội dung của tệp?", yes="Thay báo cáo cũ",
                           no="Không nhập"):
                    self._import_json_file(path, replace=True)
                return
            show_error(self, error)

        operations.run(self, "Đang nhập báo cáo…", work, done, failed,
                       changes=lambda result: Changes.of_report(result[0]), name="import json")

    def install_template(self) -> None:
        from ui.templates_dialog import choose_and_install

        choose_and_install(self, self.workspace)

    def show_templates(self) -> None:
        from ui.templates_dialog import TemplatesDialog

        TemplatesDialog(self.workspace, self).exec()

    def backup_now(self) -> None:
        operations.run(self, "Đang sao lưu…", lambda _p: self.workspace.backup("thu-cong"),
                       lambda path: info(self, "Đã sao lưu", f"Đã tạo bản sao lưu:\n{path}"), name="backup")

    def restore_backup(self) -> None:
        from ui.dialogs import RestoreDialog

        self.close_editor()
        dialog = RestoreDialog(self.workspace, self)
        if dialog.exec():
            operations.hub().announce(Changes.everything())

    def choose_database(self) -> None:
        from ui.database_dialog import DatabaseDialog

        DatabaseDialog(self.workspace, self).exec()

    def check_database(self) -> None:
        """The check and the repair run on the worker: a large file never freezes the window."""
        def checked(result) -> None:
            findings, repairable = result
            if not findings:
                info(self, "Kiểm tra cơ sở dữ liệu", "Cơ sở dữ liệu tốt: không phát hiện lỗi.")
                return
            text = "\n".join(f"• {f}" for f in findings[:30])
            if repairable and confirm(self, "Kiểm tra cơ sở dữ liệu",
                                      f"{text}\n\nSửa những lỗi sửa được an toàn (sao lưu trước)?", yes="Sửa"):
                operations.run(self, "Đang sửa cơ sở dữ liệu…", lambda _p: self.workspace.check(repair=True),
                               lambda _r: info(self, "Kiểm tra cơ sở dữ liệu", "Đã sửa và đã sao lưu trước khi sửa."),
                               changes=Changes.everything(), name="check-db repair")
            else:
                info(self, "Kiểm tra cơ sở dữ liệu", text)

        operations.run(self, "Đang kiểm tra cơ sở dữ liệu…",
                       lambda _p: (self.workspace.check(repair=False), self.workspace.has_safe_repairs()), checked,
                       name="check-db")

    # --- sync bundles and consolidation ---------------------------------------------------
    def send_bundle(self) -> None:
        if self.editor is not None:
            self.editor.flush()
        if self.workspace.profile() is None and not self.edit_unit():
            return
        selected = self.selected_id()
        title = None
        if selected is not None:
            row = self.table.currentRow()
            title = f"{self.table.item(row, 1).text()} — {self.table.item(row, 2).text()}"
        from ui.bundle_actions import export_bundle

        export_bundle(self, self.workspace, selected, title)

    def receive_bundles(self, paths: list[str] | None = None) -> None:
        if self._importing:
            info(self, "Đang nhận gói dữ liệu", "Đang nhận các gói trước; hãy đợi xong rồi nhận tiếp.")
            return
        from ui.bundle_actions import choose_bundle_files, import_bundle_files

        paths = paths if paths else choose_bundle_files(self, self.workspace)
        if not paths:
            return
        if self.editor is not None:
            self.editor.flush()  # what is typed is stored before anything is imported
        self._importing = True
        import_bundle_files(self, self.workspace, paths, self._bundles_received,
                            lambda: setattr(self, "_importing", False))

    def _bundles_received(self, summary) -> None:
        self._importing = False  # the list, the editor and the consolidation refreshed on the announcement
        from ui.bundle_actions import ImportSummaryDialog

        dialog = ImportSummaryDialog(summary, self)
        if dialog.exec() and dialog.conflicts_button is not None:
            self.show_conflicts()
        elif dialog.open_senders:
            self.show_senders()

    def show_senders(self) -> None:
        from ui.senders_dialog import SendersDialog

        dialog = SendersDialog(self.workspace, self)
        dialog.exec()
        if dialog.summaries:  # held bundles accepted: reports came in
            operations.hub().announce(Changes(report_list=True, any_report=True, received=True, senders=True,
                                              conflicts=True))

    def show_conflicts(self) -> None:
        if not self.workspace.conflicts():
            info(self, "Xung đột", "Không có xung đột nào cần xử lý.")
            return
        from ui.conflicts_dialog import ConflictsDialog

        dialog = ConflictsDialog(self.workspace, self)
        dialog.exec()
        if dialog.resolved:  # the open report shows the version kept
            operations.hub().announce(Changes(report_list=True, any_report=True, conflicts=True, received=True))

    def show_consolidation(self) -> None:
        """A window beside the main one (not modal): reports opened from it show in the main window."""
        if self._consolidation is not None and self._consolidation.isVisible():
            self._consolidation.raise_()
            self._consolidation.activateWindow()
            return
        from ui.consolidation_view import ConsolidationDialog

        dialog = ConsolidationDialog(self.workspace, self)
        dialog.setModal(False)
        dialog.open_report.connect(self.open_report)
        self._consolidation = dialog
        if dialog.received:
            dialog.load()
        dialog.show()

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        from ui.bundle_actions import is_bundle_file

        if any(is_bundle_file(u.toLocalFile()) for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        from ui.bundle_actions import is_bundle_file

        paths = [u.toLocalFile() for u in event.mimeData().urls() if is_bundle_file(u.toLocalFile())]
        if paths:
            event.acceptProposedAction()
            self.receive_bundles(paths)

    def create_support_bundle(self) -> None:
        """Logs, the database check and the start-up facts in one zip for support; no report data."""
        from ui.crash_dialog import save_support_bundle

        save_support_bundle(self, self.workspace)

    def about(self) -> None:
        info(self, "Giới thiệu", f"BaoCaoXa {__version__}\nBáo cáo công nghệ thông tin và chuyển đổi số cấp xã, "
             "làm việc không cần mạng.\nDữ liệu: " + str(self.workspace.data_dir))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self.attached and self.editor is None:  # the keyboard starts in the list (not on «Tạo báo cáo mới»)
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.editor is not None:
            self.editor.flush()  # nothing typed is lost on closing
        super().closeEvent(event)
