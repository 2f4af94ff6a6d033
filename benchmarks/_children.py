"""Child processes timed by the benchmark: a bare Qt window, and the app's real start.

    _children.py bare DATA     a QMainWindow shown and painted
    _children.py app DATA      ``baocaoxa --data-dir DATA`` as a person starts it (desktop_app.cli),
                               with the start probe (ui/start_probe.py): it prints when the
                               first window was painted and when the selected report (the
                               largest example's) was open in it, painted, then closes
    _children.py prepare DATA  the data folder the app child opens: a unit and the largest
                               example report (run once, by the app child, when DATA is empty)

Prints two lines of seconds: the first painted window, then (for the app) the report open
in it; the bare window prints its painted window twice. The seconds count from the
benchmark's spawn of the process (``BENCH_SPAWNED``, a ``time.perf_counter()`` reading of the
parent: the interpreter's own start is included) or else from this script's first line.
"""

import os
import sys
import time

started = time.perf_counter()
origin = float(os.environ.get("BENCH_SPAWNED", started))
mode, data = sys.argv[1], sys.argv[2]
LARGEST_EXAMPLE = "quan-ly-tttt-6-thang.json"  # the example with the most values and rows
DATABASE = "baocaoxa.sqlite3"


def _bare() -> None:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.resize(1366, 728)
    window.show()
    app.processEvents()
    painted = time.perf_counter() - origin
    print(f"{painted:.4f}\n{painted:.4f}", flush=True)


def _prepare() -> None:
    import json

    from desktop_app.paths import resource
    from desktop_app.services import Workspace

    ws = Workspace(data, who="benchmark")
    try:
        example = json.loads(resource("examples", LARGEST_EXAMPLE).read_text(encoding="utf-8"))
        unit = example["unit"]
        ws.set_unit(unit["code"], scheme=unit.get("scheme", "2025"), villages=unit.get("villages"),
                    signer_name=unit.get("signer_name"), signer_title=unit.get("signer_title"))
        if not ws.reports():
            ws.import_document(example)
    finally:
        ws.close()


def _app() -> int:
    if not os.path.exists(os.path.join(data, DATABASE)):  # the first run: not a cold start, not timed
        import subprocess

        subprocess.run([sys.executable, __file__, "prepare", data], check=True)
    os.environ["BAOCAOXA_START_PROBE"] = repr(origin)
    from desktop_app.cli import main

    return main(["--data-dir", data])


if mode == "bare":
    _bare()
elif mode == "prepare":
    _prepare()
else:
    sys.exit(_app())
