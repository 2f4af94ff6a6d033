"""Export to Word/Excel and load from Excel, from the editor: file dialogs that remember the
last folder (often the USB stick), work done off the GUI thread."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from desktop_app import actions
from desktop_app.editing import EditSession
from desktop_app.domain.text import fold
from ui.common import ask_save_path, confirm, info, show_error
from ui import operations

LAST_FOLDER = "last_folder"


def _suggested_name(session: EditSession, suffix: str) -> str:
    period = session.period.spec.replace("..", "_")
    unit = fold(session.unit.short_name or session.unit.name)
    base = re.sub(r"[^a-z0-9]+", "-", f"bao-cao-{session.template.id}-{unit}-{period}".lower()).strip("-")
    return f"{base}{suffix}"


def _folder(session: EditSession) -> str:
    folder = session.ws.setting(LAST_FOLDER)
    return folder if folder and Path(folder).is_dir() else str(Path.home())


def _remember(session: EditSession, path: str) -> None:
    session.ws.set_setting(LAST_FOLDER, str(Path(path).parent))


def export_file(parent: QWidget, session: EditSession, kind: str) -> None:
    errors = len(session.result.errors)
    if errors and not confirm(
            parent, "Báo cáo còn lỗi",
            f"Báo cáo còn {errors} lỗi chưa sửa (xem trang «Kiểm tra và hoàn tất»). Văn bản xuất ra sẽ thiếu "
            "những số liệu chưa nhập hoặc nhập chưa đúng, nên chỉ dùng để xem trước, chưa dùng để ký.\n\n"
            "Vẫn xuất?", yes="&Vẫn xuất để xem trước", no="&Quay lại sửa"):
        return
    suffix, label = actions.REPORT_FILE_KINDS[kind]
    start = str(Path(_folder(session)) / _suggested_name(session, suffix))
    path = ask_save_path(parent, "Lưu báo cáo thành", start, label, suffix)
    if not path:
        return
    _remember(session, path)
    operations.run(
        parent, "Đang xuất báo cáo…", lambda _p: actions.export_report(session.ws, session.report_id, kind, path),
        lambda target: info(parent, "Đã xuất", f"Đã lưu báo cáo vào:\n{target}"),
        lambda exc: show_error(parent, exc, "Không xuất được báo cáo"), name=f"export {kind}")


def import_excel(parent: QWidget, session: EditSession) -> None:
    """Values from an .xlsx; the open editor reloads when the change is announced."""
    path, _ = QFileDialog.getOpenFileName(parent, "Chọn tệp Excel của báo cáo", _folder(session),
                                          "Bảng tính Excel (*.xlsx)")
    if not path:
        return
    _remember(session, path)
    operations.run(
        parent, "Đang nạp số liệu từ Excel…",
        lambda _p: actions.import_report_xlsx(session.ws, session.report_id, path),
        lambda result: info(parent, "Đã nạp", f"Đã nạp số liệu từ Excel ({result[0]} chỉ tiêu thay đổi)."),
        lambda exc: show_error(parent, exc, "Không nạp được tệp Excel"),
        changes=lambda result: result[1], name="import xlsx")
