"""The typed core entities: JSON only at the edges, typed everywhere between."""

from __future__ import annotations

import ast
import datetime as dt
import json
import time

import pytest

from desktop_app.documents.content import DocumentBuilder
from desktop_app.domain.entities import DocumentHeader, IncomingReport, Report, UnitProfile
from desktop_app.domain.periods import Period, parse_period
from desktop_app.services import Workspace
from tests.conftest import EXAMPLES, ROOT


def _example() -> dict:
    return json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8"))


def test_unit_profile_round_trips_json_and_ignores_unknown_keys():
    unit = UnitProfile(code="21073", scheme="truoc-2025", name="Xã Bình Phước", short_name="Bình Phước", kind="Xã",
                       level="xa", province_code="51", province_name="Tỉnh Quảng Ngãi", district_code="515",
                       district_name="Huyện Bình Sơn", villages=("Thôn 1", "Thôn 2"), signer_name="A",
                       signer_title="CHỦ TỊCH")
    data = unit.to_json()
    assert data["villages"] == ["Thôn 1", "Thôn 2"] and json.loads(json.dumps(data)) == data
    assert UnitProfile.from_json(data) == unit
    assert UnitProfile.from_json({**data, "la": 1, "villages": "không phải danh sách"}).villages == ()
    assert UnitProfile.from_json(None) == UnitProfile()


def test_document_header_round_trips_with_a_real_date():
    header = DocumentHeader(number="12/BC-UBND", date=dt.date(2023, 9, 25), place="Bình Phước",
                            recipients=("UBND huyện", "Lưu: VT"))
    data = header.to_json()
    assert data["date"] == "2023-09-25" and data["recipients"] == ["UBND huyện", "Lưu: VT"]
    assert DocumentHeader.from_json(data) == header
    assert header.with_changes(date="2024-01-02").date == dt.date(2024, 1, 2)
    assert header.with_changes(date=None).date is None and not header.blank and DocumentHeader().blank


def test_report_round_trips_its_json_document():
    report = Report.from_json(_example())
    assert isinstance(report.period, Period) and report.period.spec == "2023-08-24..2023-09-24"
    assert isinstance(report.unit, UnitProfile) and isinstance(report.document, DocumentHeader)
    again = Report.from_json(report.to_json())
    assert again == report and again.to_json()["period"] == "2023-08-24..2023-09-24"
    incoming = IncomingReport(report, "ab" * 32, 3)
    assert IncomingReport.from_json(incoming.to_json()) == incoming


def test_the_store_hands_out_typed_entities(workspace):
    workspace.set_unit("21073", scheme="truoc-2025", villages=["Thôn 1"])
    rid, _ = workspace.import_document(_example())
    workspace.set_document(rid, date="2023-09-25")
    for record in (workspace.store.get_report(rid), workspace.store.list_reports()[0],
                   workspace.store.find_report(uid=workspace.store.get_report(rid).uid)):
        assert isinstance(record, Report) and isinstance(record.period, Period)
        assert record.period == parse_period("2023-08-24..2023-09-24")
        assert isinstance(record.unit, UnitProfile) and record.unit.code == "21073"
        assert record.document.date == dt.date(2023, 9, 25)
    profile = workspace.store.get_profile()
    assert isinstance(profile, UnitProfile) and profile.villages == ("Thôn 1",)
    assert all(isinstance(p, Period) for p in workspace.store.template_periods("cao-diem-dvctt"))


def test_the_builder_takes_a_report_and_refuses_the_json_dict(workspace):
    workspace.set_unit("21073", scheme="truoc-2025")
    rid, _ = workspace.import_document(_example())
    report, template = workspace.report(rid)
    builder = DocumentBuilder(template, workspace.validator(template))
    text = builder.build(report).plain_text()
    assert "XÃ BÌNH PHƯỚC" in text and report.period.label in text
    with pytest.raises(TypeError, match="Report"):
        builder.build(report.to_json())  # type: ignore[arg-type]
    other = Report(template_id="khac", template_version="1", period=report.period)
    with pytest.raises(ValueError):
        builder.build(other)


def test_the_store_reads_no_wire_keys():
    """db/store.py maps entities, never the JSON documents' keys (doc["template"], .get("period")…)."""
    wire = {"template", "template_version", "period", "unit", "document", "values", "uid", "revision", "origin",
            "status", "signed_by", "unsigned", "base_revision", "content_hash", "code", "scheme", "villages",
            "signer_name", "signer_title"}
    tree = ast.parse((ROOT / "db" / "store.py").read_text(encoding="utf-8"))
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value in wire:
            reads.append(f"line {node.lineno}: [{node.slice.value!r}]")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in wire):
            reads.append(f"line {node.lineno}: .get({node.args[0].value!r})")
    assert reads == []


def test_apply_bundle_takes_typed_incoming_reports(workspace):
    import inspect

    from db.store import Store

    hints = inspect.signature(Store.apply_bundle).parameters["incoming"].annotation
    assert "IncomingReport" in str(hints)


def test_storage_imports_only_the_domain_of_desktop_app():
    """A new module of desktop_app is covered too (the forbidden contract lists today's modules)."""
    import grimp

    graph = grimp.build_graph("db", "desktop_app", include_external_packages=False)
    above = set()
    for module in graph.find_children("db") | graph.find_descendants("db"):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("desktop_app") and not imported.startswith(("desktop_app.domain",
                                                                              "desktop_app.errors")):
                above.add((module, imported))
    assert above == set()
    domain_modules = {m for m in graph.find_descendants("desktop_app.domain")}
    for module in graph.find_modules_that_directly_import("desktop_app.domain.entities") & domain_modules:
        assert not any(i.startswith("db") for i in graph.find_modules_directly_imported_by(module))


@pytest.fixture
def vietnam_time(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Ho_Chi_Minh")
    time.tzset()
    yield dt.timedelta(hours=7)
    monkeypatch.undo()
    time.tzset()


def test_display_records_carry_local_time(workspace, vietnam_time):
    workspace.set_unit("21073", scheme="truoc-2025")
    rid, _ = workspace.import_document(_example())
    stored = workspace.store.get_report(rid)
    [summary] = workspace.reports()
    assert summary.updated_at == stored.updated_at + vietnam_time
    assert summary.period == stored.period and summary.period_label == stored.period.label
    workspace.delete_report(rid)
    [deleted] = workspace.deleted_reports()
    assert deleted.deleted_at == workspace.store.get_report(rid).deleted_at + vietnam_time
    assert deleted.period_label == stored.period.label and deleted.title


def test_a_workspace_profile_is_typed_end_to_end(tmp_path):
    ws = Workspace(tmp_path / "w")
    try:
        profile = ws.set_unit("21073", scheme="truoc-2025", villages=["Thôn A", "thôn a"], signer_name="B")
        assert isinstance(profile, UnitProfile) and profile.villages == ("Thôn A",)
        changed = ws.update_profile(signer_title="PHÓ CHỦ TỊCH", name="không đổi được")
        assert changed.signer_title == "PHÓ CHỦ TỊCH" and changed.name == "Xã Bình Phước"
        assert ws.profile() == changed
    finally:
        ws.close()
