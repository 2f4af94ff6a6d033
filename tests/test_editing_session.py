"""The wizard flow and autosave, headless: what the Qt editor relies on."""

from __future__ import annotations

import json

import pytest

from desktop_app.editing import MARK_DONE, MARK_EMPTY, MARK_ERROR, EditSession
from desktop_app.errors import UserError
from desktop_app.services import Workspace
from tests.conftest import EXAMPLES


@pytest.fixture
def session(workspace):
    workspace.set_unit("21448", scheme="truoc-2025", villages=["Thôn An Thạch", "Thôn Hiệp An", "Thôn Vĩnh Xuân"],
                       signer_name="Võ Thanh Hùng", signer_title="PHÓ CHỦ TỊCH")
    rid = workspace.new_report("ntm-tieu-chi-8", "2023-9M")
    return EditSession(workspace, rid)


def test_new_report_prefills_village_rows(session):
    rows = session.values["loa_theo_thon"]
    assert [next(iter(r.values())) for r in rows] == ["Thôn An Thạch", "Thôn Hiệp An", "Thôn Vĩnh Xuân"]


def test_navigation_is_remembered_across_sessions(workspace, session):
    assert session.at_first
    session.next()
    session.next()
    assert session.index == 2
    again = EditSession(workspace, session.report_id)
    assert again.section.id == session.section.id  # reopening returns to the last section
    again.go(999)
    assert again.at_last


def test_typed_text_is_parsed_stored_and_validated(workspace, session):
    field = next(f for f in session.template.all_fields() if f.kind.value == "integer")
    session.set_field(field.id, "1.234")
    assert workspace.store.get_report(session.report_id).values[field.id] == 1234  # committed at once
    assert session.saved_at is not None
    # unreadable text is kept as typed (a draft with its error), never as a value
    session.set_field(field.id, "1,5x")
    assert field.id not in workspace.store.get_report(session.report_id).values
    assert workspace.drafts(session.report_id) == {field.id: "1,5x"}
    assert any(i.code == "unreadable" and "«" in i.message for i in session.issues_for(field.id))
    assert not session.can_finalise
    session.set_field(field.id, "1.235")
    assert workspace.drafts(session.report_id) == {}
    assert workspace.store.get_report(session.report_id).values[field.id] == 1235


def test_inline_errors_appear_and_clear(session):
    rid = session.report_id
    session.set_field("so_thon", "3")
    session.set_field("so_thon_co_loa", "5")
    assert any(i.severity == "error" for i in session.issues_for("so_thon_co_loa"))
    session.set_field("so_thon_co_loa", "3")
    assert not [i for i in session.issues_for("so_thon_co_loa") if i.severity == "error"]
    assert rid == session.report_id


def test_table_cells_rows_and_paste(session):
    table = "loa_theo_thon"
    cols = [c.id for c in session.template.field(table).columns if c.kind.value != "computed"]
    session.set_cell(table, 0, cols[1], "4")
    session.paste_block(table, 1, 1, "3\t6\n2\t4\n")
    rows = session.values[table]
    assert rows[0][cols[1]] == 4 and rows[1][cols[1]] == 3 and rows[2][cols[2]] == 4
    totals = session.table_totals(table)
    assert totals[cols[1]] == 9
    with pytest.raises(UserError) as info:
        session.paste_block(table, 0, 1, "x\t1\n")
    assert info.value.details and session.values[table][0][cols[1]] == 4  # nothing changed
    session.add_row(table)
    assert len(session.values[table]) == 4
    session.remove_row(table, 3)
    assert len(session.values[table]) == 3


def test_marks_review_and_finalise(workspace):
    workspace.set_unit("21073", scheme="truoc-2025")
    rid, _ = workspace.import_document(json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8")))
    s = EditSession(workspace, rid)
    assert all(m.mark == MARK_DONE for m in s.marks())
    s.set_field("dang_giai_quyet", "19")  # breaks received = resolved + pending + withdrawn
    assert s.marks()[s.section_index_of("dang_giai_quyet")].mark == MARK_ERROR
    assert s.review()[0].severity == "error" and not s.can_finalise
    with pytest.raises(UserError):
        s.finalise()
    s.set_field("dang_giai_quyet", "18")
    s.finalise()
    assert s.read_only
    with pytest.raises(UserError):
        s.set_field("dang_giai_quyet", "17")
    s.reopen("Sửa số liệu theo yêu cầu của huyện")
    s.set_field("dang_giai_quyet", "17")
    actions = [a.action for a in workspace.store.audit(rid)]
    assert "finalise" in actions and "reopen" in actions
    reopen = next(a for a in workspace.store.audit(rid) if a.action == "reopen")
    assert reopen.note == "Sửa số liệu theo yêu cầu của huyện"


def test_empty_report_marks(session):
    assert session.marks()[2].mark == MARK_EMPTY


def test_duplicate_for_another_period(workspace):
    workspace.set_unit("21073", scheme="truoc-2025")
    rid, _ = workspace.import_document(json.loads((EXAMPLES / "ntm-tieu-chi-8.json").read_text(encoding="utf-8")))
    copy = workspace.duplicate_report(rid, "2024-9M", carry_forward_only=True)
    record, template = workspace.report(copy)
    carried = {f.id for f in template.all_fields() if f.carry_forward}
    assert set(record.values) <= carried and record.values
    assert record.period.spec == "2024-9M" and record.document.number == ""
    full = workspace.duplicate_report(rid, "2023")
    assert workspace.report(full)[0].values == workspace.report(rid)[0].values
    with pytest.raises(UserError):
        workspace.duplicate_report(rid, "2023-9M")


def test_values_survive_a_new_workspace(data_dir, session):
    session.set_field("so_thon", "7")
    session.ws.close()
    again = Workspace(data_dir)
    try:
        assert again.report(session.report_id)[0].values["so_thon"] == 7
    finally:
        again.close()
