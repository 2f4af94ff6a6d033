"""What the window asks of the core beside the workspace's own methods: exports, the Excel
import, consolidated documents and recovery. The UI runs each through ``ui.operations`` and
imports nothing else from the documents layer, so there is one way in."""

from __future__ import annotations

from pathlib import Path

from desktop_app.domain.changes import Changes
from desktop_app.services import Workspace

REPORT_FILE_KINDS = {"docx": (".docx", "Văn bản Word (*.docx)"), "pdf": (".pdf", "Tệp PDF (*.pdf)"),
                     "xlsx": (".xlsx", "Bảng tính Excel (*.xlsx)")}


def export_report(ws: Workspace, report_id: int, kind: str, target: str | Path) -> Path:
    from desktop_app.documents import export

    writer = {"docx": export.export_docx, "pdf": export.export_pdf, "xlsx": export.export_xlsx}[kind]
    return writer(ws, report_id, target)


def import_report_xlsx(ws: Workspace, report_id: int, source: str | Path) -> tuple[int, Changes]:
    """Values from an .xlsx appendix (all or nothing); returns how many changed."""
    from desktop_app.documents import export

    changed = export.import_xlsx(ws, report_id, source)
    return changed, Changes.of_report(report_id)


def export_consolidation(consolidation, kind: str, target: str | Path) -> Path:
    from desktop_app.documents.consolidated import write_consolidated_docx, write_consolidated_xlsx

    writer = {"docx": write_consolidated_docx, "xlsx": write_consolidated_xlsx}[kind]
    return writer(consolidation, target)


def export_missing_list(receipts, target: str | Path) -> Path:
    """The units that have not sent (``Workspace.receipts``) as .xlsx or .csv, by the file's suffix."""
    from desktop_app.documents.missing_list import write_missing_list

    return write_missing_list(receipts, target)


def recover_damaged_database(data_dir: Path, backup: Path) -> Path:
    """Keep the damaged file aside and put ``backup`` in its place; returns where it was kept."""
    from desktop_app.recovery import replace_damaged_database

    return replace_damaged_database(data_dir, backup)


def shared_database(ws: Workspace) -> str | None:
    """The shared PostgreSQL store this window uses, as it may be shown (None: the SQLite file)."""
    return ws.store.location if ws.store.is_shared else None


def computer_user() -> str:
    """The OS user name, recorded when no staff name is chosen on this PC."""
    from desktop_app.workspace.staff import os_user

    return os_user()


def choose_database(data_dir: Path, url: str | None) -> str:
    """Use the PostgreSQL database at ``url`` from the next start (after connecting to it once
    here), or with None the data folder's SQLite file again. Returns what to tell the person."""
    from db import server

    if url is None:
        use_database(data_dir, None)
        return ("Từ lần mở sau, BaoCaoXa dùng tệp dữ liệu SQLite trên máy này. Dữ liệu trên máy chủ vẫn được "
                "giữ nguyên.")
    use_database(data_dir, url)
    return (f"Đã kết nối cơ sở dữ liệu dùng chung {server.shown(url)}. Hãy đóng rồi mở lại BaoCaoXa để làm "
            "việc trên cơ sở dữ liệu này.")


def use_database(data_dir: Path, url: str | None) -> None:
    """Write the data folder's database setting (None: its SQLite file), after connecting to the
    server and bringing its schema up to date, so a wrong address is said now, not at next start."""
    from db import server
    from db.engine import StoreError
    from db.store import Store
    from desktop_app.errors import UserError

    if url is not None:
        try:
            store = Store(data_dir, database=url)
        except StoreError as exc:
            raise UserError(str(exc)) from None
        store.close()
    try:
        server.save_setting(data_dir, url)
    except OSError as exc:
        raise UserError(f"Không ghi được thiết lập vào thư mục dữ liệu {data_dir}: {exc.strerror}.") from None
