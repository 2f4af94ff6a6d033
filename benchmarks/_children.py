"""Child processes timed by the benchmark: a bare Qt window, and the app with a report open.

Prints two lines of seconds from the process start: the first painted window, then (for the
app) the report open in it; the bare window prints its painted window twice.
"""

import sys
import time

started = time.perf_counter()
mode = sys.argv[1]

from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402

if mode == "bare":
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.resize(1366, 728)
    window.show()
    app.processEvents()
    painted = time.perf_counter() - started
    print(f"{painted:.4f}\n{painted:.4f}", flush=True)
else:
    import json  # noqa: E402

    from desktop_app.paths import resource  # noqa: E402
    from desktop_app.services import Workspace  # noqa: E402
    from ui.app import _application  # noqa: E402
    from ui.main_window import MainWindow  # noqa: E402

    app = _application()
    ws = Workspace(sys.argv[2])
    if not ws.reports():
        ws.import_document(json.loads(resource("examples", "ntm-tieu-chi-8.json").read_text(encoding="utf-8")))
    window = MainWindow(ws)
    window.resize(1366, 728)
    window.show()
    app.processEvents()
    painted = time.perf_counter() - started
    window.open_report(ws.reports()[0].id)
    app.processEvents()
    print(f"{painted:.4f}\n{time.perf_counter() - started:.4f}", flush=True)
