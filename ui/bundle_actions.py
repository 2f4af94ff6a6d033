"""Sending and receiving sync bundles from the window: export (whole or in parts), import
(from the menu or by dropping files on the window) with a progress bar and a summary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QPlainTextEdit,
    QRadioButton, QVBoxLayout, QWidget,
)

from desktop_app.exchange.bundle_parts import parse_size
from desktop_app.services import Workspace
from desktop_app.domain.text import fold
from ui.common import ask_save_path, info, label, resize_within_screen, show_error
from desktop_app.domain.changes import Changes
from ui import operations

LAST_FOLDER = "last_folder"
BUNDLE_FILTER = "Gói dữ liệu BaoCaoXa (*.zip);;Tất cả các tệp (*)"
SPLIT_CHOICES = [("Không chia (một tệp)", None), ("Phần 200 KB (mạng rất yếu)", "200KB"),
                 ("Phần 1 MB (gửi qua Zalo, thư điện tử)", "1MB"), ("Phần 5 MB", "5MB")]


def _folder(ws: Workspace) -> str:
    folder = ws.setting(LAST_FOLDER)
    return folder if folder and Path(folder).is_dir() else str(Path.home())


def is_bundle_file(path: str) -> bool:
    """A bundle or a part (.zip), or a folder holding them."""
    return path.lower().endswith(".zip") or (bool(path) and Path(path).is_dir())


# --- receiving -----------------------------------------------------------------------
class ImportSummaryDialog(QDialog):
    """What an import did, in the person's words, with a way on to the conflicts."""

    def __init__(self, summary, parent: QWidget | None = None):
        from desktop_app.exchange.bundle_import import KEY_CHANGED, UNSIGNED_MARK

        super().__init__(parent)
        self.setWindowTitle("Kết quả nhận gói dữ liệu")
        resize_within_screen(self, 720, 420)
        layout = QVBoxLayout(self)
        if summary.rejected and not (summary.new or summary.updated or summary.conflicts):
            headline = "Không nhận được gói nào: các tệp bị từ chối, dữ liệu trên máy giữ nguyên."
        elif summary.held and not (summary.new or summary.updated or summary.conflicts or summary.unchanged):
            headline = "Gói được giữ lại, chưa nhập: khóa ký của gói cần anh/chị xác nhận (xem lý do bên dưới)."
        elif summary.waiting and not (summary.new or summary.updated or summary.unchanged):
            headline = "Đã giữ lại các phần nhận được; còn chờ các phần còn thiếu."
        elif summary.already_imported and not (summary.new or summary.updated or summary.conflicts
                                                 or summary.unchanged):
            headline = "Các gói này đã được nhận trước đây: không có gì thay đổi."
        elif summary.rejected:
            which = "tệp đó" if len(summary.rejected) == 1 else "các tệp đó"
            headline = (f"Đã nhận gói dữ liệu; {len(summary.rejected)} tệp bị từ chối (xem lý do bên dưới), "
                        f"dữ liệu của {which} không được nhập.")
        else:
            headline = "Đã nhận gói dữ liệu."
        layout.addWidget(label(headline, "title"))
        if summary.conflicts:
            layout.addWidget(label(
                f"Có {len(summary.conflicts)} báo cáo bị sửa ở cả hai nơi. Cả hai bản đều được giữ; "
                "hãy xem và chọn bản đúng.", "warning"))
        if summary.held:
            layout.addWidget(label(f"{len(summary.held)} gói có khóa ký cần xác nhận ({KEY_CHANGED}): lý do ghi bên "
                                   "dưới. Các gói này được giữ lại, chưa nhập, chờ anh/chị quyết định.", "warning"))
        if summary.new_senders:
            layout.addWidget(label("Có đơn vị gửi lần đầu: hãy gọi điện đối chiếu dấu khóa ghi bên dưới.", "warning"))
        if summary.unsigned:
            layout.addWidget(label(f"{len(summary.unsigned)} báo cáo nhận từ gói {UNSIGNED_MARK} (không chứng minh "
                                   "được ai gửi).", "warning"))
        details = QPlainTextEdit("\n".join(summary.lines()))
        details.setReadOnly(True)
        details.setObjectName("import_summary")
        layout.addWidget(details, 1)
        buttons = QDialogButtonBox()
        self.conflicts_button = None
        self.open_senders = False
        if summary.held:
            senders = buttons.addButton("Xem các gói đang giữ lại…", QDialogButtonBox.ButtonRole.ActionRole)
            senders.clicked.connect(self._to_senders)
        if summary.conflicts:
            self.conflicts_button = buttons.addButton("Xem và xử lý xung đột…", QDialogButtonBox.ButtonRole.AcceptRole)
        close = buttons.addButton("Đóng", QDialogButtonBox.ButtonRole.RejectRole)
        close.setDefault(not summary.conflicts)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _to_senders(self) -> None:
        self.open_senders = True
        self.reject()


def import_bundle_files(parent: QWidget, ws: Workspace, paths: list[str], on_done: Callable[[object], None],
                        on_failed: Callable[[], None] = lambda: None) -> None:
    """Verify and apply the files off the GUI thread, then show what happened."""
    paths = [p for p in paths if p]
    if not paths:
        on_failed()
        return
    ws.set_setting(LAST_FOLDER, str(Path(paths[0]).parent))

    def failed(exc: Exception) -> None:
        on_failed()
        show_error(parent, exc, "Không nhận được gói dữ liệu")

    operations.run(parent, "Đang kiểm tra và nhận gói dữ liệu…", lambda progress: ws.import_bundles(paths, progress),
                   on_done, failed, changes=Changes.after_bundle_import, name="bundle import")


def choose_bundle_files(parent: QWidget, ws: Workspace) -> list[str]:
    paths, _ = QFileDialog.getOpenFileNames(
        parent, "Chọn gói dữ liệu (có thể chọn nhiều tệp hoặc nhiều phần)", _folder(ws), BUNDLE_FILTER)
    return paths


# --- sending -------------------------------------------------------------------------
class ExportBundleDialog(QDialog):
    def __init__(self, selected_title: str | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Tạo gói dữ liệu để gửi đi")
        layout = QVBoxLayout(self)
        layout.addWidget(label("Gói dữ liệu là một tệp để chép vào USB hoặc gửi qua thư điện tử. Nơi nhận "
                               "kiểm tra toàn bộ gói trước khi nhập."))
        form = QFormLayout()
        self.all_reports = QRadioButton("Tất cả báo cáo của đơn vị")
        self.selected_only = QRadioButton(f"Chỉ báo cáo đang chọn: {selected_title}" if selected_title
                                          else "Chỉ báo cáo đang chọn")
        self.selected_only.setEnabled(selected_title is not None)
        group = QButtonGroup(self)
        group.addButton(self.all_reports)
        group.addButton(self.selected_only)
        (self.selected_only if selected_title else self.all_reports).setChecked(True)
        which = QVBoxLayout()
        which.addWidget(self.all_reports)
        which.addWidget(self.selected_only)
        form.addRow("Gửi:", which)
        self.split = QComboBox()
        for text, value in SPLIT_CHOICES:
            self.split.addItem(text, value)
        form.addRow("Chia nhỏ:", self.split)
        layout.addLayout(form)
        layout.addWidget(label("Khi chia nhỏ, mỗi phần là một tệp riêng; nơi nhận nhập các phần theo thứ tự "
                               "bất kỳ và được báo phần nào còn thiếu.", "hint"))
        buttons = QDialogButtonBox()
        buttons.addButton("Chọn nơi lưu…", QDialogButtonBox.ButtonRole.AcceptRole).setDefault(True)
        buttons.addButton("Hủy", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @property
    def split_size(self) -> int | None:
        value = self.split.currentData()
        return parse_size(value) if value else None


def export_bundle(parent: QWidget, ws: Workspace, selected_id: int | None, selected_title: str | None) -> None:
    dialog = ExportBundleDialog(selected_title, parent)
    if not dialog.exec():
        return
    report_ids = [selected_id] if dialog.selected_only.isChecked() and selected_id is not None else None
    profile = ws.profile()
    unit = fold((profile.short_name if profile else "") or "don-vi").replace(" ", "-")
    start = str(Path(_folder(ws)) / f"goi-du-lieu-{unit}.zip")
    path = ask_save_path(parent, "Lưu gói dữ liệu", start, BUNDLE_FILTER, ".zip")
    if not path:
        return
    ws.set_setting(LAST_FOLDER, str(Path(path).parent))
    split_size = dialog.split_size

    def done(manifest) -> None:
        count = len(manifest["reports"])
        if manifest.get("parts"):
            names = "\n".join(Path(p).name for p in manifest["parts"])
            info(parent, "Đã tạo gói dữ liệu",
                 f"Đã đóng gói {count} báo cáo thành {len(manifest['parts'])} phần trong thư mục\n"
                 f"{Path(path).parent}:\n{names}\n\nHãy gửi đủ tất cả các phần.")
        else:
            info(parent, "Đã tạo gói dữ liệu", f"Đã đóng gói {count} báo cáo vào:\n{path}")

    operations.run(parent, "Đang tạo gói dữ liệu…", lambda _p: ws.export_bundle(path, report_ids, split_size), done,
                   lambda exc: show_error(parent, exc, "Không tạo được gói dữ liệu"), name="bundle export")

