"""Export services used by the CLI and the UI: .docx, .pdf and .xlsx of a stored report."""

from __future__ import annotations

from pathlib import Path

from desktop_app.documents.content import DocumentBuilder, DocumentContent
from desktop_app.documents.docx_writer import docx_bytes, write_docx
from desktop_app.services import Workspace


def document_content(ws: Workspace, report_id: int) -> DocumentContent:
    report, template = ws.report(report_id)
    return DocumentBuilder(template, ws.validator(template)).build(report)


def export_docx(ws: Workspace, report_id: int, target: str | Path) -> Path:
    return write_docx(document_content(ws, report_id), target)


def export_pdf(ws: Workspace, report_id: int, target: str | Path) -> Path:
    """The .docx laid out by the office suite as a PDF (for signing with the Ban Cơ yếu tools)."""
    from desktop_app.documents.pdf import docx_to_pdf

    return docx_to_pdf(docx_bytes(document_content(ws, report_id)), target)


def export_xlsx(ws: Workspace, report_id: int, target: str | Path) -> Path:
    from desktop_app.documents.xlsx import write_xlsx

    return write_xlsx(ws, report_id, target)


def import_xlsx(ws: Workspace, report_id: int, source: str | Path) -> int:
    from desktop_app.documents.xlsx import read_xlsx

    return read_xlsx(ws, report_id, source)
