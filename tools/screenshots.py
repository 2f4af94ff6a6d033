"""Save screenshots of the app at 1366×768 (run under Xvfb: see docs/screenshots/README).

    xvfb-run -s "-screen 0 1366x768x24" .venv/bin/python tools/screenshots.py [--scale 1.25] [--out DIR]

Shots: the main window, the set-up wizard (role, unit, villages and signer), the new-report dialog, every section of one
example report, and the review page.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--example", default="ntm-tieu-chi-8.json")
    parser.add_argument("--scale", default=None, help="text scaling, e.g. 1.25 or 1.5")
    parser.add_argument("--sections", type=int, default=0, help="only the first N sections (0 = all)")
    args = parser.parse_args()
    if args.scale:
        os.environ["QT_SCALE_FACTOR"] = args.scale

    from PySide6.QtWidgets import QApplication

    from desktop_app.paths import resource
    from desktop_app.services import Workspace
    from ui.app import _application
    from ui.dialogs import NewReportDialog
    from ui.main_window import MainWindow
    from ui.setup_wizard import SetupWizard

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = _application()
    scale = float(args.scale or 1)
    size = (int(1366 / scale), int(728 / scale))  # 1366×768 minus a taskbar, in scaled (logical) pixels

    def shot(widget, name: str) -> None:
        app.processEvents()
        widget.grab().save(str(out / f"{name}.png"))
        print(out / f"{name}.png")

    with tempfile.TemporaryDirectory() as folder:
        ws = Workspace(folder, who="screenshots")
        example = json.loads(resource("examples", args.example).read_text(encoding="utf-8"))
        unit = example["unit"]
        ws.set_unit(unit["code"], scheme=unit["scheme"], villages=["Thôn An Thạch", "Thôn Hiệp An", "Thôn Vĩnh Xuân"],
                    signer_name=unit.get("signer_name"), signer_title=unit.get("signer_title"))
        for name in ("cao-diem-dvctt.json", "chuyen-doi-so-quy.json", args.example):
            data = json.loads(resource("examples", name).read_text(encoding="utf-8"))
            ws.import_document(data)
        window = MainWindow(ws)
        window.resize(*size)
        window.show()
        shot(window, "01-danh-sach-bao-cao")

        wizard = SetupWizard(ws, window)
        wizard.resize(min(900, size[0]), min(640, size[1]))
        wizard.show()
        shot(wizard, "02-khai-bao-vai-tro")
        wizard.next()
        shot(wizard, "02-khai-bao-don-vi")
        wizard.next()
        shot(wizard, "03-khai-bao-thon-nguoi-ky")
        wizard.reject()

        dialog = NewReportDialog(ws, window)
        dialog.show()
        shot(dialog, "04-tao-bao-cao-moi")
        dialog.reject()

        report_id = max(s.id for s in ws.reports() if s.template_id == example["template"])
        window.open_report(report_id)
        editor = window.editor
        editor.show_page(0)
        shot(window, "05-thong-tin-van-ban")
        count = len(editor.session.sections) if not args.sections else args.sections
        for index in range(1, count + 1):
            editor.show_page(index)
            shot(window, f"10-phan-{index:02d}")
        editor.show_page(editor.page_count - 1)
        shot(window, "90-kiem-tra-hoan-tat")
        window.close()
        ws.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
