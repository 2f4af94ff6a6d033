"""No silent replacement: import-json over an existing report asks for --replace, and the
receiving office never changes a report it received (finalise, reopen, edit)."""

from __future__ import annotations

import json

import pytest

from desktop_app.errors import ReportExists, ReportLocked
from desktop_app.exchange import bundles
from desktop_app.services import Workspace
from tests.conftest import EXAMPLES


def _example(name: str = "cao-diem-dvctt.json") -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def test_import_json_over_existing_report_is_refused_unless_replace(workspace):
    first, created = workspace.import_document(_example())
    assert created
    workspace.set_values(first, {"tiep_nhan_truc_tiep": 4321})  # the person's later edit
    revision = workspace.store.get_report(first).revision
    with pytest.raises(ReportExists) as refused:
        workspace.import_document(_example())
    message = str(refused.value)
    assert "«--replace»" in message and f"(số {first})" in message and "chưa nhập gì" in message
    assert refused.value.report_id == first
    record = workspace.store.get_report(first)
    assert record.values["tiep_nhan_truc_tiep"] == 4321 and record.revision == revision  # nothing changed
    assert len(workspace.store.list_reports()) == 1
    # without its uid (another file of the same unit, template and period): refused the same way
    without_uid = {k: v for k, v in _example().items() if k != "uid"}
    with pytest.raises(ReportExists):
        workspace.import_document(without_uid)
    # asked for: replaced, the same report
    again, created = workspace.import_document(_example(), replace=True)
    assert (again, created) == (first, False)
    assert workspace.store.get_report(first).values["tiep_nhan_truc_tiep"] == _example()["values"][
        "tiep_nhan_truc_tiep"]


def test_the_same_content_again_is_not_a_replacement(workspace):
    first, _ = workspace.import_document(_example())
    revision = workspace.store.get_report(first).revision
    assert workspace.import_document(workspace.report(first)[0].to_json()) == (first, False)
    assert workspace.store.get_report(first).revision == revision


def test_cli_import_json_refuses_then_replaces(cli, tmp_path):
    path = EXAMPLES / "cao-diem-dvctt.json"
    code, out, _ = cli("report", "import-json", str(path))
    assert code == 0
    rid = out.strip()
    changed = dict(_example(), values={**_example()["values"], "tiep_nhan_truc_tiep": 1})
    other = tmp_path / "khac.json"
    other.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    code, out, err = cli("report", "import-json", str(other))
    assert code == 2 and out == "" and "Đã có báo cáo" in err and "«--replace»" in err
    assert json.loads(cli("report", "show", rid, "--json")[1])["values"]["tiep_nhan_truc_tiep"] != 1
    code, out, err = cli("report", "import-json", str(other), "--replace")
    assert code == 0 and out.strip() == rid and "nay mang đúng nội dung của tệp" in err
    assert json.loads(cli("report", "show", rid, "--json")[1])["values"]["tiep_nhan_truc_tiep"] == 1


@pytest.fixture
def commune(tmp_path):
    ws = Workspace(tmp_path / "xa", who="xã")
    ws.set_unit("21073", scheme="truoc-2025")
    ws.import_document(_example())
    yield ws
    ws.close()


def _received(commune, province_ws, tmp_path, name="goi.zip") -> int:
    path = tmp_path / name
    bundles.export_bundle(commune, path)
    summary = bundles.import_bundles(province_ws, [path])
    assert not summary.rejected and not summary.conflicts, summary.lines()
    return province_ws.store.find_report(uid=commune.store.list_reports()[0].uid).id


def test_received_report_cannot_be_finalised_reopened_or_edited(commune, tmp_path, data_dir, cli):
    province = Workspace(data_dir, who="tỉnh")
    province.set_unit("51")
    rid = _received(commune, province, tmp_path)
    record = province.store.get_report(rid)
    assert record.status == "draft"
    attempts = {
        "finalise": lambda: province.finalise(rid),
        "reopen": lambda: province.reopen(rid, "sửa lại"),
        "set_values": lambda: province.set_values(rid, {"tiep_nhan_truc_tiep": 1}),
        "store_value": lambda: province.store_value(rid, "tiep_nhan_truc_tiep", 1),
        "set_document": lambda: province.set_document(rid, number="12"),
        "set_drafts": lambda: province.set_drafts(rid, {"document.date": "32/1"}),
        "replace_values": lambda: province.replace_values(rid, {}, "import-xlsx"),
        "import_document": lambda: province.import_document(
            dict(province.report(rid)[0].to_json(), values={}), replace=True),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ReportLocked, match="nơi nhận không sửa, hoàn tất hay mở lại"):
            attempt()
        after = province.store.get_report(rid)
        assert (after.revision, after.status, after.values) == (record.revision, "draft", record.values), name
    # the CLI says the same, before listing any error of the report
    code, out, err = cli("report", "finalise", str(rid))
    assert code == 2 and "chỉ để xem" in err and "Lỗi (" not in out
    assert province.store.get_report(rid).revision == record.revision

    # the commune finalises and sends again: an update, not a false conflict
    own = commune.store.list_reports()[0].id
    commune.finalise(own)
    path = tmp_path / "lan-2.zip"
    bundles.export_bundle(commune, path)
    summary = bundles.import_bundles(province, [path])
    assert len(summary.updated) == 1 and not summary.conflicts, summary.lines()
    assert province.store.get_report(rid).status == "final"
    with pytest.raises(ReportLocked):
        province.reopen(rid, "sửa lại")  # a received final report is not reopened here either
    province.close()


def test_own_reports_are_still_finalised_and_reopened(workspace):
    workspace.set_unit("21073", scheme="truoc-2025")
    rid, _ = workspace.import_document(_example())
    workspace.finalise(rid)
    workspace.reopen(rid, "bổ sung số liệu")
    assert workspace.store.get_report(rid).status == "draft"
