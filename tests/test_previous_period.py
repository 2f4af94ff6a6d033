"""Last period's values: shown beside numeric fields, and a soft warning when a value moves far."""

from __future__ import annotations

import json

from desktop_app.editing import EditSession
from tests.conftest import EXAMPLES


def _two_periods(workspace):
    data = json.loads((EXAMPLES / "ntm-tieu-chi-8.json").read_text(encoding="utf-8"))
    workspace.set_unit(data["unit"]["code"], scheme=data["unit"]["scheme"])
    old, _ = workspace.import_document(data)
    new = workspace.duplicate_report(old, "2024-9M", carry_forward_only=True)
    return old, new


def test_previous_report_is_found_and_drives_outlier_warnings(workspace):
    old, new = _two_periods(workspace)
    session = EditSession(workspace, new)
    assert session.previous_period.spec == "2023-9M" and session.previous_values["so_thon"] == 7
    session.set_field("so_tram_bts", "40")  # last period: 4 stations
    warnings = [i for i in session.issues_for("so_tram_bts") if i.code == "outlier"]
    assert warnings and "kỳ trước" in warnings[0].message and warnings[0].severity == "warning"
    session.set_field("so_tram_bts", "5")
    assert not [i for i in session.issues_for("so_tram_bts") if i.code == "outlier"]
    assert not [i for i in workspace.validate(old).issues if i.code == "outlier"]  # nothing before 2023


def test_the_editor_shows_last_periods_value(qtbot, workspace):
    from ui.main_window import MainWindow

    _old, new = _two_periods(workspace)
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.open_report(new)
    editor = window.editor
    index = editor.session.section_index_of("so_tram_bts") + 1
    editor.show_page(index)
    hint = editor.pages[index].findChild(type(editor.title), "previous_so_tram_bts")
    assert hint is not None and hint.text() == "Kỳ trước (9 tháng đầu năm 2023): 4"
    window.close()
