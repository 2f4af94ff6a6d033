"""A provincial department set up through the window, receiving bundles from several communes:
who sent (final / draft), who has not (exported to chase), what is odd, and a consolidated
.docx headed and signed as the department (Nghị định 30)."""

from __future__ import annotations

import csv
import json

from docx import Document
from openpyxl import load_workbook
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from desktop_app.domain import roles, units
from desktop_app.services import Workspace
from tests.conftest import EXAMPLES, TEMPLATES
from tests.ui.helpers import focused, keys, press
from ui.bundle_actions import ImportSummaryDialog
from ui.main_window import MainWindow
from ui.setup_wizard import SetupWizard

QUANG_NGAI = units.communes("51")
NEWER = "2023.2"


def _newer_template(tmp_path):
    path = tmp_path / "ntm-moi.yaml"
    text = (TEMPLATES / "ntm-tieu-chi-8.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace('version: "2023.1"', f'version: "{NEWER}"', 1), encoding="utf-8")
    return path


def _commune_bundle(tmp_path, unit, *, status: str, version: str = "2023.1"):
    ws = Workspace(tmp_path / unit.code)
    try:
        ws.set_unit(unit.code)
        if version == NEWER:
            ws.install_template(_newer_template(tmp_path))
        doc = json.loads((EXAMPLES / "ntm-tieu-chi-8.json").read_text(encoding="utf-8"))
        doc.update(unit=unit.as_profile().to_json(), period="2025", template_version=version)
        doc.pop("uid", None)
        rid, _ = ws.import_document(doc)
        if status == "final":
            ws.finalise(rid)
        ws.export_bundle(tmp_path / f"{unit.code}.zip")
    finally:
        ws.close()
    return tmp_path / f"{unit.code}.zip"


def _set_up_department_through_the_wizard(qtbot, ws) -> None:
    wizard = SetupWizard(ws)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.activateWindow()
    # a new installation starts as a commune, the keyboard on that choice
    qtbot.waitUntil(lambda: QApplication.focusWidget() is wizard.role_page.commune, timeout=5000)
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Down)  # Ủy ban nhân dân tỉnh → Sở Khoa học và Công nghệ
    assert focused() is wizard.role_page.science and wizard.role_page.science.isChecked()
    press(Qt.Key.Key_Return)
    assert wizard.currentPage() is wizard.unit_page
    assert focused() is wizard.unit_page.province and not wizard.unit_page.results.isVisible()
    keys("quang ngai")
    assert wizard.unit_page.selected_unit().name == "Tỉnh Quảng Ngãi"
    press(Qt.Key.Key_Return)
    people = wizard.people_page
    assert wizard.currentPage() is people and not people.villages.isVisible()
    assert focused() is people.signer
    keys("Trần Văn Bình")
    press(Qt.Key.Key_Tab)
    assert focused() is people.signer_title
    press(Qt.Key.Key_Down)  # GIÁM ĐỐC → PHÓ GIÁM ĐỐC
    assert people.signing_hint.text() == "Khối chữ ký: KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"
    press(Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    press(Qt.Key.Key_Return)  # «Hoàn tất»
    assert not wizard.isVisible()


def _drop(window, paths) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_department_set_up_in_the_window_receives_and_consolidates(qtbot, tmp_path, monkeypatch):
    from ui import consolidation_view, province_view

    monkeypatch.setattr(ImportSummaryDialog, "exec", lambda dialog: 0)
    messages: list[str] = []
    for module in (consolidation_view, province_view):
        monkeypatch.setattr(module, "info", lambda _p, _t, text: messages.append(text))
    ws = Workspace(tmp_path / "so")
    _set_up_department_through_the_wizard(qtbot, ws)
    profile = ws.profile()
    assert (profile.role, profile.body_name, profile.code) == ("department", "Sở Khoa học và Công nghệ", "51")
    assert (profile.signer_name, profile.signer_title, profile.villages) == ("Trần Văn Bình", "PHÓ GIÁM ĐỐC", ())

    ws.install_template(_newer_template(tmp_path))
    elsewhere = units.communes("01")[0]  # a commune of Hà Nội
    bundles = [_commune_bundle(tmp_path, QUANG_NGAI[0], status="final", version=NEWER),
               _commune_bundle(tmp_path, QUANG_NGAI[1], status="final", version=NEWER),
               _commune_bundle(tmp_path, QUANG_NGAI[2], status="draft", version=NEWER),
               _commune_bundle(tmp_path, QUANG_NGAI[3], status="final"),  # an older template version
               _commune_bundle(tmp_path, elsewhere, status="final", version=NEWER)]
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.show()
    home = window.received_home
    assert home is not None and window.home.currentWidget() is home and home.isVisibleTo(window)
    assert window.windowTitle().startswith("Báo cáo CNTT và chuyển đổi số — Sở Khoa học và Công nghệ — Tỉnh Quảng Ngãi")
    _drop(window, bundles)
    qtbot.waitUntil(lambda: home.receipts is not None and len(home.receipts.sent) == 4, timeout=30000)
    rec = home.receipts
    assert rec.summary() == (f"Đã nhận báo cáo của 4/{len(QUANG_NGAI)} đơn vị (3 đã hoàn tất, 1 đang soạn); "
                             f"{len(QUANG_NGAI) - 4} đơn vị chưa gửi; 2 báo cáo cần xem lại.")
    sent = {home.sent.item(r, 2).text(): home.sent.item(r, 3).text() for r in range(home.sent.rowCount())}
    assert sent[QUANG_NGAI[2].name] == "Đang soạn (chưa hoàn tất)" and sent[QUANG_NGAI[0].name] == "Đã hoàn tất"
    missing = [home.missing.item(r, 1).text() for r in range(home.missing.rowCount())]
    assert missing == [u.code for u in QUANG_NGAI[4:]]
    odd = {home.odd.item(r, 2).text(): home.odd.item(r, 3).text() for r in range(home.odd.rowCount())}
    assert odd[elsewhere.name].startswith("không thuộc tỉnh Quảng Ngãi: không tính vào tổng hợp")
    assert odd[QUANG_NGAI[3].name] == f"dùng mẫu phiên bản 2023.1, cũ hơn phiên bản {NEWER} các đơn vị khác dùng"

    # the list to chase, as .csv and as .xlsx, Vietnamese headers
    out = tmp_path / "usb"
    out.mkdir()
    for name in ("chua-gui.csv", "chua-gui.xlsx"):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, n=name, **k: (str(out / n), ""))
        home.export_button.click()
        qtbot.waitUntil(lambda n=name: (out / n).exists(), timeout=10000)
    with (out / "chua-gui.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["TT", "Mã đơn vị", "Tên đơn vị", "Tỉnh, thành phố", "Loại báo cáo", "Kỳ báo cáo", "Ghi chú"]
    assert [r[1] for r in rows[1:]] == [u.code for u in QUANG_NGAI[4:]]
    sheet = load_workbook(out / "chua-gui.xlsx").active
    assert [c.value for c in sheet[3]][:3] == ["TT", "Mã đơn vị", "Tên đơn vị"]
    assert [sheet.cell(row=r, column=2).value for r in range(4, sheet.max_row + 1)] == [u.code for u in QUANG_NGAI[4:]]

    # the consolidated report, headed and signed as the department
    home.consolidate_button.click()
    view = window._consolidation
    qtbot.waitUntil(lambda: view.cons is not None, timeout=20000)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out / "tong-hop.docx"), ""))
    view.docx_button.click()
    qtbot.waitUntil(lambda: (out / "tong-hop.docx").exists(), timeout=20000)
    doc = Document(str(out / "tong-hop.docx"))
    issuer = doc.tables[0].cell(0, 0).paragraphs[0]
    assert issuer.text == "UBND TỈNH QUẢNG NGÃI\nSỞ KHOA HỌC VÀ CÔNG NGHỆ"
    runs = [(r.text.strip(), bool(r.bold)) for r in issuer.runs if r.text.strip()]
    assert runs == [("UBND TỈNH QUẢNG NGÃI", False), ("SỞ KHOA HỌC VÀ CÔNG NGHỆ", True)]
    assert doc.tables[0].cell(1, 0).paragraphs[0].text.endswith("/BC-SKHCN")
    signature = doc.tables[-1].cell(0, 1).paragraphs
    assert signature[0].text == "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC" and signature[-1].text == "Trần Văn Bình"
    assert "ỦY BAN NHÂN DÂN" not in "\n".join(p.text for p in doc.tables[0].cell(0, 0).paragraphs)
    view.close()
    window.close()
    ws.close()


def test_a_commune_window_has_no_receiving_office_parts(qtbot, workspace):
    workspace.set_unit(QUANG_NGAI[0].code)
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    assert window.received_home is None and window.home is window.list_page
    from PySide6.QtGui import QAction

    assert not window.findChild(QAction, "consolidate").isVisible()
    assert not window.findChild(QAction, "show_senders").isVisible()
    # the same installation set up as the province shows the receiving side, and back
    workspace.set_unit("51", role=roles.PROVINCE)
    window.refresh()
    assert window.received_home is not None and window.findChild(QAction, "consolidate").isVisible()
    assert window.home.widget(1) is window.list_page
    workspace.set_unit(QUANG_NGAI[0].code)
    window.refresh()
    assert window.received_home is None and window.home is window.list_page
    assert window.stack.currentWidget() is window.list_page


def test_another_department_typed_by_name(qtbot, workspace):
    wizard = SetupWizard(workspace)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.activateWindow()
    page = wizard.role_page
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.commune, timeout=5000)
    for _ in range(3):
        press(Qt.Key.Key_Down)
    assert focused() is page.other and page.other.isChecked() and not page.isComplete()
    press(Qt.Key.Key_Tab)
    assert focused() is page.department
    keys("Công ty Viễn thông")
    assert "không giống tên một sở, ngành" in page.problem.text() and not page.isComplete()
    press(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    keys("Sở Nội vụ")
    assert page.problem.text() == "" and page.isComplete()
    press(Qt.Key.Key_Return)
    keys("hue")
    assert wizard.unit_page.selected_unit().name == "Thành phố Huế"
    press(Qt.Key.Key_Return)
    assert [wizard.people_page.signer_title.itemText(i) for i in range(2)] == ["GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    keys("Lê Văn D")
    press(Qt.Key.Key_Return)
    profile = workspace.profile()
    assert (profile.role, profile.body_name, profile.name) == ("department", "Sở Nội vụ", "Thành phố Huế")
    assert profile.signer_title == "GIÁM ĐỐC"
    assert roles.issuer(profile).governing == "UBND THÀNH PHỐ HUẾ"
