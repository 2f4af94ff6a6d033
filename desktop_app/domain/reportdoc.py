"""Reading the report JSON document (what ``report show --json`` prints and ``import-json`` reads)
into a checked :class:`desktop_app.domain.entities.Report`.

    {"format": "baocaoxa.report/1", "template": ID, "template_version": V, "period": SPEC,
     "unit": {...profile...}, "document": {number, date, place, signer, ...}, "values": {...}}
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import fields
from typing import Any

from desktop_app.domain.entities import REPORT_FORMAT, DocumentHeader, Report, UnitProfile
from desktop_app.domain.periods import PeriodError, parse_period
from desktop_app.templating.model import FieldKind, Template
from desktop_app.domain.text import clean_deep
from desktop_app.domain.values import ValueProblem, coerce

DOCUMENT_KEYS = tuple(f.name for f in fields(DocumentHeader))
UNIT_KEYS = tuple(f.name for f in fields(UnitProfile))
_UID = re.compile(r"[0-9a-f][0-9a-f-]{7,35}")


class ReportDocumentError(ValueError):
    """The document cannot be read; ``problems`` lists every reason in Vietnamese."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def coerce_values(template: Template, raw: Any, *, partial: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Check every value against its field; unknown and computed fields are refused."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        return {}, ["«values» phải là một nhóm «mã trường: giá trị»."]
    fields = {f.id: f for f in template.all_fields()}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        f = fields.get(key)
        if f is None:
            problems.append(f"Mẫu «{template.id}» không có trường «{key}».")
            continue
        if f.kind == FieldKind.COMPUTED:
            continue  # derived: a document may carry it, it is never stored
        try:
            out[key] = coerce(f, value)
        except ValueProblem as exc:
            problems.append(str(exc))
    return out, problems


def parse_document(data: Any, templates) -> tuple[Report, Template]:
    """Validate the shape of a report document; raise ReportDocumentError listing all problems."""
    if not isinstance(data, dict):
        raise ReportDocumentError(["Tệp báo cáo phải là một đối tượng JSON."])
    data = clean_deep(data)
    problems: list[str] = []
    fmt = data.get("format", REPORT_FORMAT)
    if fmt != REPORT_FORMAT:
        problems.append(f"Định dạng «{fmt}» chưa được hỗ trợ (cần {REPORT_FORMAT}).")
    template_id, version = data.get("template"), data.get("template_version")
    if not isinstance(template_id, str):
        raise ReportDocumentError(problems + ["Thiếu mã mẫu báo cáo «template»."])
    try:
        template = templates.get(template_id, str(version) if version is not None else None)
    except LookupError as exc:
        raise ReportDocumentError(problems + [str(exc)]) from None
    period = data.get("period")
    try:
        period_obj = parse_period(str(period))
        if period_obj.kind not in template.period_kinds:
            problems.append(f"Mẫu «{template.id}» không dùng kỳ báo cáo kiểu «{period_obj.label}».")
    except PeriodError as exc:
        problems.append(str(exc))
        period_obj = None
    unit = data.get("unit") or {}
    document = data.get("document") or {}
    if not isinstance(unit, dict):
        problems.append("«unit» phải là một nhóm mục.")
        unit = {}
    if not isinstance(document, dict):
        problems.append("«document» phải là một nhóm mục.")
        document = {}
    unknown = set(document) - set(DOCUMENT_KEYS)
    if unknown:
        problems.append(f"«document» có mục lạ: {', '.join(sorted(unknown))}.")
    if document.get("date"):
        try:
            dt.date.fromisoformat(str(document["date"]))
        except ValueError:
            problems.append(f"Ngày văn bản «{document['date']}» phải có dạng NĂM-THÁNG-NGÀY.")
    if "recipients" in document and not (isinstance(document["recipients"], list)
                                         and all(isinstance(r, str) for r in document["recipients"])):
        problems.append("«recipients» phải là danh sách nơi nhận.")
    uid = data.get("uid")
    if uid is not None and not (isinstance(uid, str) and _UID.fullmatch(uid)):
        problems.append("Mã «uid» không hợp lệ (cần 8–36 chữ số thập lục phân).")
    values, value_problems = coerce_values(template, data.get("values") or {})
    problems += value_problems
    if problems:
        raise ReportDocumentError(problems)
    status = data.get("status")
    revision = data.get("revision")
    return Report(
        template_id=template.id, template_version=template.version, period=period_obj,
        unit=UnitProfile.from_json({k: unit.get(k) for k in UNIT_KEYS if k in unit}),
        document=DocumentHeader.from_json({k: document.get(k) for k in DOCUMENT_KEYS if k in document}),
        values={k: v for k, v in values.items() if v is not None},
        uid=uid or "", status=status if status in ("draft", "final") else "draft",
        revision=revision if isinstance(revision, int) and not isinstance(revision, bool) else 0,
        origin=data["origin"] if isinstance(data.get("origin"), str) else "",
    ), template
