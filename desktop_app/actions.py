"""What the window asks of the core beside the workspace's own methods: exports, the Excel
import, consolidated documents and recovery. The UI runs each through ``ui.operations`` and
imports nothing else from the documents layer, so there is one way in."""

from __future__ import annotations

from pathlib import Path

from desktop_app.domain.changes import Changes
from desktop_app.services import Workspace

REPORT_FILE_KINDS = {"docx": (".docx", "Văn bản Word (*.docx)"), "xlsx": (".xlsx", "Bảng tính Excel (*.xlsx)")}


def export_report(ws: Workspace, report_id: int, kind: str, target: str | Path) -> Path:
    from desktop_app.documents import export

    writer = {"docx": export.export_docx, "xlsx": export.export_xlsx}[kind]
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


def recover_damaged_database(data_dir: Path, backup: Path) -> Path:
    """Keep the damaged file aside and put ``backup`` in its place; returns where it was kept."""
    from desktop_app.recovery import replace_damaged_database

    return replace_damaged_database(data_dir, backup)
