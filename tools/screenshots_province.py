"""Screenshots of the receiving office's side: bundles received, conflicts, consolidation.

    xvfb-run -s "-screen 0 1366x768x24" .venv/bin/python tools/screenshots_province.py [--out DIR]

The Sở Khoa học và Công nghệ of a province (Quảng Ngãi) receives generated NTM reports for
2025 from 40 of its communes and one of another province; a commune with two computers shows
a conflict.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()

    from benchmarks.run import commune_bundles
    from desktop_app.domain import units
    from desktop_app.services import Workspace
    from ui.app import _application
    from ui.bundle_actions import ImportSummaryDialog
    from ui.conflicts_dialog import ConflictsDialog
    from ui.consolidation_view import ConsolidationDialog
    from ui.main_window import MainWindow

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = _application()

    def shot(widget, name: str) -> None:
        widget.show()
        app.processEvents()
        widget.grab().save(str(out / f"{name}.png"))
        print(out / f"{name}.png")

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "goi").mkdir()
        paths = commune_bundles(folder / "goi", units.communes("51")[:40], seed=51)
        province = Workspace(folder / "tinh", who="tinh")
        province.set_unit("51", signer_name="Nguyễn Văn A", signer_title="PHÓ GIÁM ĐỐC", role="department",
                          body_name="Sở Khoa học và Công nghệ")
        summary = province.import_bundles(paths[:39] + [paths[0], folder / "goi" / "hong.zip"])
        dialog = ImportSummaryDialog(summary)
        dialog.resize(900, 460)
        shot(dialog, "21-nhan-goi-ket-qua")
        # the 40th commune, and one of another province (listed under «Cần xem lại»)
        province.import_bundles(paths[39:] + commune_bundles(folder / "goi", units.communes("01")[:1], seed=1))
        window = MainWindow(province)
        window.resize(1366, 728)
        shot(window, "20-tinh-danh-sach")
        window.received_home.tabs.setCurrentIndex(1)
        shot(window, "19-tinh-chua-gui")
        view = ConsolidationDialog(province, window)
        view.resize(1366, 700)
        view.show_consolidation(province.consolidate("ntm-tieu-chi-8", "2025"))
        for index, name in enumerate(["22-tong-hop-tinh-hinh-gui", "23-tong-hop-bang", "24-tong-hop-bieu-do"]):
            view.tabs.setCurrentIndex(index)
            if index == 2:
                wanted = next(i for i in range(view.indicator.count())
                              if view.indicator.itemText(i).endswith("Số thôn có hệ thống loa truyền thanh hoạt động"))
                view.indicator.setCurrentIndex(wanted)
                view.sort.setCurrentIndex(1)
            shot(view, name)
        view.close()

        # A commune with two computers: both edit the same report, then one sends to the other.
        first = Workspace(folder / "may1", who="may1")
        first.set_unit(units.communes("51")[0].code)
        report_id = first.new_report("cao-diem-dvctt", "2025-09")
        first.set_values(report_id, {"tiep_nhan_truc_tiep": 120, "tiep_nhan_truc_tuyen": 80})
        first.export_bundle(folder / "may1.zip")
        second = Workspace(folder / "may2", who="may2")
        second.set_unit(units.communes("51")[0].code)
        # one's own unit is never trusted on first contact: each computer registers the other's key
        first.export_enrolment(folder / "may1.json")
        second.export_enrolment(folder / "may2.json")
        second.register_sender(folder / "may1.json")
        first.register_sender(folder / "may2.json")
        second.import_bundles([folder / "may1.zip"])
        other = second.reports()[0].id
        second.set_values(other, {"tiep_nhan_truc_tiep": 125, "giai_quyet_dung_han": 60})
        second.export_bundle(folder / "may2.zip")
        first.set_values(report_id, {"tiep_nhan_truc_tuyen": 85, "ly_do_qua_han": "Thiếu cán bộ."})
        first.import_bundles([folder / "may2.zip"])
        conflicts = ConflictsDialog(first)
        conflicts.resize(1200, 560)
        shot(conflicts, "25-xung-dot")
        for ws in (province, first, second):
            ws.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
