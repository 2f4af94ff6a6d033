"""Export services used by the CLI and the UI: .docx and .xlsx of a stored report."""

from __future__ import annotations

from pathlib import Path

from desktop_app.documents.content import DocumentBuilder, DocumentContent
from desktop_app.documents.docx_writer import write_docx
from desktop_app.services import Workspace


def document_content(ws: Workspace, report_id: int) -> DocumentContent:
    report, template = ws.report(report_id)
    return DocumentBuilder(template, ws.validator(template)).build(report)


def export_docx(ws: Workspace, report_id: int, target: str | Path) -> Path:
    return write_docx(document_content(ws, report_id), target)


def export_xlsx(ws: Workspace, report_id: int, target: str | Path) -> Path:
    from desktop_app.documents.xlsx import write_xlsx

    return write_xlsx(ws, report_id, target)


def import_xlsx(ws: Workspace, report_id: int, source: str | Path) -> int:
    from desktop_app.documents.xlsx import read_xlsx

    return read_xlsx(ws, report_id, source)
