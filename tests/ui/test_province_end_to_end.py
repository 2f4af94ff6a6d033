"""End to end through the window: a Sở Khoa học và Công nghệ set up with the keyboard receives
signed bundles of three communes of Quảng Ngãi whose choice and yes/no answers differ, imports
them by a drop, consolidates and exports through the window's own actions, and the documents
carry the department's header and the per-option counts worked out by hand below."""

from __future__ import annotations

from docx import Document
from openpyxl import load_workbook
from PySide6.QtWidgets import QFileDialog

from desktop_app.domain import units
from desktop_app.services import Workspace
from tests.test_report_types_2025 import VALUES_2025
from tests.ui.test_province_role import _drop, _set_up_department_through_the_wizard
from ui.bundle_actions import ImportSummaryDialog
from ui.main_window import MainWindow

QUANG_NGAI = units.communes("51")
FM, IP = "không dây FM", "ứng dụng công nghệ thông tin - viễn thông (IP)"
# Real choice and yes/no fields of ntm-tieu-chi-8 version 2025.1, answered differently per commune.
ANSWERS = [
    {"danh_gia_8_1": "Đạt", "loai_dai": FM, "cap_treo_gon_gang": True, "co_giay_phep_tan_so": True},
    {"danh_gia_8_1": "Chưa đạt", "loai_dai": IP, "cap_treo_gon_gang": False, "co_giay_phep_tan_so": False},
    {"danh_gia_8_1": "Đạt", "loai_dai": FM, "cap_treo_gon_gang": True, "co_giay_phep_tan_so": False},
]
# Counted by hand from ANSWERS: units per option, options in the template's order, zeros left out.
COUNTS = {
    "danh_gia_8_1": "Đạt: 2/3; Chưa đạt: 1/3",
    "loai_dai": f"{FM}: 2/3; {IP}: 1/3",
    "cap_treo_gon_gang": "Có: 2/3; Không: 1/3",
    "co_giay_phep_tan_so": "Có: 1/3; Không: 2/3",
}
LABELS = {
    "danh_gia_8_1": "Đánh giá tiêu chí 8.1",
    "loai_dai": "Loại đài truyền thanh xã",
    "cap_treo_gon_gang": "Cáp viễn thông, Internet, truyền hình treo trên cột được lắp đặt gọn gàng, an toàn, mỹ quan",
    "co_giay_phep_tan_so": "Đã được cấp Giấy phép sử dụng thiết bị và tần số vô tuyến điện",
}


def _signed_bundle(tmp_path, unit, answers: dict):
    """A commune's finalised 2025 report, sent as its signed bundle."""
    ws = Workspace(tmp_path / unit.code)
    try:
        ws.set_unit(unit.code, villages=["Thôn 1", "Thôn 2", "Thôn 3"])
        report_id = ws.new_report("ntm-tieu-chi-8", "2025")
        assert ws.report(report_id)[1].version == "2025.1"
        assert ws.set_values(report_id, {**VALUES_2025, **answers}).errors == []
        ws.finalise(report_id)
        ws.export_bundle(tmp_path / f"{unit.code}.zip")
    finally:
        ws.close()
    return tmp_path / f"{unit.code}.zip"


def test_department_receives_differing_answers_and_counts_them_per_option(qtbot, tmp_path, monkeypatch,
                                                                           message_boxes):
    from ui import consolidation_view, province_view

    monkeypatch.setattr(ImportSummaryDialog, "exec", lambda dialog: 0)
    for module in (consolidation_view, province_view):
        monkeypatch.setattr(module, "info", lambda _p, _t, text: message_boxes.append(text))
    ws = Workspace(tmp_path / "so")
    _set_up_department_through_the_wizard(qtbot, ws)
    assert (ws.profile().role, ws.profile().body_name) == ("department", "Sở Khoa học và Công nghệ")

    senders = [QUANG_NGAI[0], QUANG_NGAI[5], QUANG_NGAI[9]]
    bundles = [_signed_bundle(tmp_path, unit, answers) for unit, answers in zip(senders, ANSWERS)]
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.show()
    home = window.received_home
    assert home is not None
    _drop(window, bundles)
    qtbot.waitUntil(lambda: home.receipts is not None and len(home.receipts.sent) == 3, timeout=30000)
    sent_codes = {u.code for u in senders}
    missing = [home.missing.item(r, 1).text() for r in range(home.missing.rowCount())]
    assert missing == [u.code for u in units.communes("51") if u.code not in sent_codes]

    home.consolidate_button.click()
    view = window._consolidation
    qtbot.waitUntil(lambda: view.cons is not None, timeout=20000)
    out = tmp_path / "usb"
    out.mkdir()
    for kind in ("docx", "xlsx"):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, k=kind, **kw: (str(out / f"tong-hop.{k}"), ""))
        getattr(view, f"{kind}_button").click()
        qtbot.waitUntil(lambda k=kind: (out / f"tong-hop.{k}").exists(), timeout=20000)

    doc = Document(str(out / "tong-hop.docx"))
    assert doc.tables[0].cell(0, 0).paragraphs[0].text == "UBND TỈNH QUẢNG NGÃI\nSỞ KHOA HỌC VÀ CÔNG NGHỆ"
    text = "\n".join(p.text for p in doc.paragraphs)
    text += "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    for field_id, counts in COUNTS.items():
        per_commune = counts.replace("/3", "/3 xã")
        assert f"- «{LABELS[field_id]}»: các đơn vị trả lời khác nhau — {per_commune}." in text, field_id

    sheet = list(load_workbook(out / "tong-hop.xlsx", read_only=True)["Tổng hợp"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(sheet) if r[0] == "TT")
    header, body = sheet[at], sheet[at + 1:]
    assert [r[1] for r in body[:-1]] == [u.code for u in senders] and body[-1][2] == "Tổng cộng"
    shown = {True: "Có", False: "Không"}
    for field_id, counts in COUNTS.items():
        column = header.index(LABELS[field_id])
        assert [r[column] for r in body[:-1]] == [shown.get(a[field_id], a[field_id]) for a in ANSWERS]
        assert body[-1][column] == counts, field_id
    view.close()
    window.close()
    ws.close()
