"""The window's side of bundles: drop files to import, the summary, conflicts side by side,
received reports read-only, and the consolidation view with its chart and exports."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QPlainTextEdit

from desktop_app.domain import units
from desktop_app.services import Workspace
from tests.conftest import EXAMPLES
from tests.ui.helpers import arrow_to, focused, press
from ui.bundle_actions import ImportSummaryDialog
from ui.conflicts_dialog import ConflictsDialog
from ui.consolidation_view import ConsolidationDialog
from ui.main_window import MainWindow

QUANG_NGAI = units.communes("51")


@pytest.fixture
def summaries(monkeypatch):
    """Summary dialogs are recorded instead of shown (they are modal)."""
    seen: list[ImportSummaryDialog] = []

    def fake_exec(dialog):
        seen.append(dialog)
        return 0

    monkeypatch.setattr(ImportSummaryDialog, "exec", fake_exec)
    return seen


def _commune_bundle(tmp_path, unit, so_thon: int, name: str):
    ws = Workspace(tmp_path / name)
    try:
        ws.set_unit(unit.code)
        doc = json.loads((EXAMPLES / "ntm-tieu-chi-8.json").read_text(encoding="utf-8"))
        doc["unit"] = unit.as_profile().to_json()
        doc["period"] = "2025"
        doc["values"]["so_thon"] = so_thon
        doc["values"]["so_thon_co_loa"] = so_thon - 1
        ws.import_document(doc)
        ws.export_bundle(tmp_path / f"{name}.zip")
    finally:
        ws.close()
    return tmp_path / f"{name}.zip"


def _province_with(tmp_path, count: int) -> Workspace:
    """A province that has received the NTM 2025 report of its first ``count`` communes (4, 5, 6… villages)."""
    files = [_commune_bundle(tmp_path, QUANG_NGAI[i], 4 + i, f"xa{i}") for i in range(count)]
    ws = Workspace(tmp_path / "tinh")
    ws.set_unit("51")
    ws.import_bundles(files)
    return ws


def _drop(window, paths) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(window.rect().center(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(window.rect().center()), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)


def test_dropping_bundles_imports_them_and_shows_the_summary(qtbot, tmp_path, summaries):
    files = [_commune_bundle(tmp_path, QUANG_NGAI[i], 5 + i, f"xa{i}") for i in range(2)]
    broken = tmp_path / "hong.zip"
    broken.write_bytes(files[0].read_bytes()[:300])
    ws = Workspace(tmp_path / "tinh")
    ws.set_unit("51")
    window = MainWindow(ws)
    qtbot.addWidget(window)
    _drop(window, files + [broken])
    qtbot.waitUntil(lambda: len(summaries) == 1, timeout=20000)
    lines = summaries[0].findChild(QPlainTextEdit, "import_summary").toPlainText()
    assert "Mới: 2" in lines and "bị từ chối: 1" in lines and "hong.zip" in lines
    assert window.table.rowCount() == 0  # the list keeps the province's own reports
    # the province's window starts from what it received; its own list keeps the way to consolidate
    assert window.received_home.isVisibleTo(window) and window.received_home.summary.text().startswith(
        f"Đã nhận báo cáo của 2/{len(QUANG_NGAI)} đơn vị")
    assert window.consolidate_button.isVisibleTo(window.list_page) and "2 đơn vị" in window.received_hint.text()
    # The same files again change nothing and say so.
    _drop(window, files)
    qtbot.waitUntil(lambda: len(summaries) == 2, timeout=20000)
    assert "đã nhập trước đây" in summaries[1].findChild(QPlainTextEdit, "import_summary").toPlainText()
    window.close()
    ws.close()


def test_received_report_opens_read_only(qtbot, tmp_path, summaries):
    path = _commune_bundle(tmp_path, QUANG_NGAI[0], 6, "xa")
    ws = Workspace(tmp_path / "tinh")
    ws.set_unit("51")
    ws.import_bundles([path])
    report_id = ws.store.list_reports()[0].id
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.open_report(report_id)
    assert window.editor.session.read_only and window.editor.banner.isVisibleTo(window.editor)
    assert "nhận từ" in window.editor.banner.text()
    with pytest.raises(Exception, match="chỉ để xem"):
        ws.set_values(report_id, {"so_thon": 9})
    window.close()
    ws.close()


def test_conflict_shown_side_by_side_and_resolved(qtbot, tmp_path, message_boxes):
    first, second = Workspace(tmp_path / "may1"), Workspace(tmp_path / "may2")
    for ws in (first, second):
        ws.set_unit(QUANG_NGAI[0].code)
    from tests.test_bundle_trust import _enrol

    _enrol(first, second, tmp_path)  # two computers of one unit know each other's keys
    _enrol(second, first, tmp_path)
    report_id = first.new_report("cao-diem-dvctt", "2025-09")
    first.set_values(report_id, {"tiep_nhan_truc_tiep": 120})
    first.export_bundle(tmp_path / "1.zip")
    second.import_bundles([tmp_path / "1.zip"])
    second.set_values(second.reports()[0].id, {"tiep_nhan_truc_tiep": 125})
    second.export_bundle(tmp_path / "2.zip")
    first.set_values(report_id, {"tiep_nhan_truc_tiep": 121})
    assert len(first.import_bundles([tmp_path / "2.zip"]).conflicts) == 1
    dialog = ConflictsDialog(first)
    qtbot.addWidget(dialog)
    rows = [[dialog.table.item(r, c).text() for c in range(4)] for r in range(dialog.table.rowCount())]
    assert [r[1:] for r in rows if r[1] == "Hồ sơ tiếp nhận trực tiếp"] == [["Hồ sơ tiếp nhận trực tiếp", "121", "125"]]
    dialog.keep_local.click()
    assert dialog.resolved == 1 and dialog.list.count() == 0
    assert first.report(report_id)[0].values["tiep_nhan_truc_tiep"] == 121
    first.close()
    second.close()


def test_consolidation_view_table_chart_and_exports(qtbot, tmp_path, monkeypatch, message_boxes):
    ws = _province_with(tmp_path, 3)
    dialog = ConsolidationDialog(ws)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    assert dialog.choice.count() == 1 and "3 đơn vị" in dialog.choice.itemText(0)
    dialog.load()
    qtbot.waitUntil(lambda: dialog.cons is not None, timeout=20000)
    assert dialog.coverage.text().startswith(f"Đã nhận báo cáo của 3/{len(QUANG_NGAI)} đơn vị")
    model = dialog.table_model
    assert model.rowCount() == 4
    column = model.tooltips.index("Tổng số thôn của xã")
    assert [model.rows[r][column] for r in range(4)] == ["4", "5", "6", "15"]
    assert model.rows[3][0] == "Tổng cộng"
    assert "Tên xã được đánh giá tiêu chí số 8" not in model.tooltips  # figures first; text on request
    dialog.with_text.setFocus()
    assert focused() is dialog.with_text
    press(Qt.Key.Key_Space)
    assert dialog.with_text.isChecked()
    assert "Tên xã được đánh giá tiêu chí số 8" in dialog.table_model.tooltips
    assert dialog.table_model.columnCount() > model.columnCount()
    status = dialog.status_model
    assert status.rowCount() == len(QUANG_NGAI)
    assert sum(1 for row in status.rows if row[3] == "Chưa gửi") == len(QUANG_NGAI) - 3
    villages = "Tổng số thôn của xã"
    arrow_to(dialog.indicator, lambda text: text.endswith(villages))
    dialog.sort.setFocus()
    assert focused() is dialog.sort
    press(Qt.Key.Key_Down)  # highest first
    assert dialog.sort.currentIndex() == 1
    assert [b[1] for b in dialog.chart.bars] == [6, 5, 4]
    # A yes/no answer: one bar per answer with its number of units, in the template's order.
    arrow_to(dialog.indicator, lambda text: text.endswith(
        "Đã ban hành Quy chế hoạt động của Đài truyền thanh xã (số đơn vị theo câu trả lời)"))
    assert [(b[0], b[1], b[2]) for b in dialog.chart.bars] == [("Có", 3, "3/3"), ("Không", 0, "0/3")]
    arrow_to(dialog.indicator, lambda text: text.endswith(villages))
    assert dialog.chart.sizeHint().height() > 3 * 20
    dialog.chart.resize(600, 200)
    dialog.chart.grab()  # paints without error
    out = tmp_path / "usb"
    out.mkdir()
    for kind in ("docx", "xlsx"):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, k=kind, **kw: (str(out / f"tong-hop.{k}"), ""))
        getattr(dialog, f"{kind}_button").click()
        qtbot.waitUntil(lambda k=kind: (out / f"tong-hop.{k}").exists(), timeout=20000)
    qtbot.waitUntil(lambda: sum("Đã lưu vào" in m for m in message_boxes) == 2, timeout=20000)
    ws.close()


def test_conflict_of_a_deleted_report_still_opens(qtbot, tmp_path):
    first, second = Workspace(tmp_path / "may1"), Workspace(tmp_path / "may2")
    for ws in (first, second):
        ws.set_unit(QUANG_NGAI[0].code)
    from tests.test_bundle_trust import _enrol

    _enrol(first, second, tmp_path)  # two computers of one unit know each other's keys
    _enrol(second, first, tmp_path)
    report_id = first.new_report("cao-diem-dvctt", "2025-09")
    first.export_bundle(tmp_path / "1.zip")
    second.import_bundles([tmp_path / "1.zip"])
    second.set_values(second.reports()[0].id, {"rut_ho_so": 2})
    second.export_bundle(tmp_path / "2.zip")
    first.set_values(report_id, {"rut_ho_so": 1})
    first.import_bundles([tmp_path / "2.zip"])
    first.delete_report(report_id)
    dialog = ConflictsDialog(first)
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 1 and "đã bị xóa" in dialog.list.item(0).text()
    rows = [[dialog.table.item(r, c).text() for c in range(1, 4)] for r in range(dialog.table.rowCount())]
    assert ["Công dân rút hồ sơ", "1", "2"] in rows
    first.close()
    second.close()


def test_chart_draws_one_bar_per_unit(qtbot):
    from PySide6.QtGui import QColor

    from ui.bar_chart import BAR_COLOUR, BarChart

    chart = BarChart()
    qtbot.addWidget(chart)
    chart.set_bars([("Xã A", 10, "10"), ("Xã B", 5, "5"), ("Xã C", None, "")])
    chart.resize(500, chart.sizeHint().height())
    image = chart.grab().toImage()
    blue_rows = {y for y in range(image.height()) for x in range(0, image.width(), 5)
                 if QColor(image.pixel(x, y)) == BAR_COLOUR}
    # Two bars drawn (the unit without a value has none), the first about twice the second.
    widths = []
    for y in sorted({y for y in blue_rows}):
        widths.append(sum(1 for x in range(image.width()) if QColor(image.pixel(x, y)) == BAR_COLOUR))
    assert max(widths) > 0 and len({w for w in widths if w}) == 2
    assert max(widths) == pytest.approx(2 * min(w for w in widths if w), abs=3)


def test_consolidation_window_stays_open_while_a_unit_report_is_read(qtbot, tmp_path):
    ws = _province_with(tmp_path, 2)
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.show()
    window.show_consolidation()
    view = window._consolidation
    qtbot.waitUntil(lambda: view.cons is not None, timeout=20000)
    assert view.isVisible() and not view.isModal()
    view._open_row(view.table_model.index(1, 0))
    assert window.editor is not None and window.editor.session.read_only
    assert window.editor.session.unit.code == view.cons.submissions[1].unit_code
    assert view.isVisible()  # still there for the next unit
    window.show_consolidation()  # a second request brings the same window forward
    assert window._consolidation is view
    view.close()
    window.close()
    ws.close()


def test_a_report_imported_from_another_units_json_stays_in_the_list(qtbot, tmp_path):
    ws = Workspace(tmp_path / "xa")
    ws.set_unit(QUANG_NGAI[0].code)
    ws.import_document(json.loads((EXAMPLES / "ntm-tieu-chi-8.json").read_text(encoding="utf-8")))
    window = MainWindow(ws)
    qtbot.addWidget(window)
    assert window.table.rowCount() == 1 and "Thị xã Đức Phổ" in window.table.item(0, 1).text()
    window.close()
    ws.close()


def test_the_consolidation_window_follows_bundles_dropped_on_the_main_window(qtbot, tmp_path, summaries):
    """Issue 13: the consolidation window went stale when bundles came in through the main window."""
    ws = _province_with(tmp_path, 2)
    later = _commune_bundle(tmp_path, QUANG_NGAI[5], 9, "xa-sau")
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.show()
    window.show_consolidation()
    view = window._consolidation
    qtbot.waitUntil(lambda: view.cons is not None, timeout=10000)
    before = len(view.cons.submissions)
    _drop(window, [later])  # on the main window, not on the consolidation window
    qtbot.waitUntil(lambda: bool(summaries), timeout=15000)
    qtbot.waitUntil(lambda: view.cons is not None and len(view.cons.submissions) == before + 1, timeout=10000)
    assert f"({before + 1} đơn vị)" in view.choice.currentText()
    window.close()
    ws.close()
