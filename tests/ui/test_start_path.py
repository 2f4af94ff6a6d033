"""The real start (ui.app.main): the window's shell is painted first, then the data is opened
into it — and every reason it cannot be is still said, in Vietnamese, over that window."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

import ui.app as app_module
from desktop_app.instance import InstanceLock
from desktop_app.services import Workspace
from tests.conftest import EXAMPLES
from ui.main_window import LOADING_TEXT, MainWindow

ROOT = Path(__file__).resolve().parents[2]


def _folder_with_report(folder: Path) -> int:
    ws = Workspace(folder, who="kiểm thử")
    try:
        example = json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8"))
        ws.set_unit("21073", scheme="truoc-2025")
        report_id, _ = ws.import_document(example)
        ws.backup("thu-cong")
        return report_id
    finally:
        ws.close()


@pytest.fixture(autouse=True)
def _crash_reporting_undone():
    """The start installs the crash reporter for the process: not for the tests that follow."""
    yield
    from ui import crash_dialog

    crash_dialog.uninstall()


@pytest.fixture
def seen(monkeypatch):
    """What the start did, in order; the window is closed as soon as it is filled."""
    events: list[tuple] = []
    real_open, real_attach = app_module.open_workspace, MainWindow.attach

    def open_workspace(folder, *args, **kwargs):
        window = kwargs.get("parent")
        actions = {a.objectName(): a.isEnabled() for a in window.findChildren(QAction) if a.objectName()}
        menus = [m.isEnabled() for m in window.menuBar().actions()]
        actions["menus"] = bool(menus) and all(menus)  # Tệp → Thoát can be reached with the mouse
        events.append(("open", window.isVisible(), window.stack.currentWidget().text(), actions, painted[:]))
        return real_open(folder, *args, **kwargs)

    def attach(window, workspace):
        real_attach(window, workspace)
        events.append(("filled", window.table.rowCount()))
        QTimer.singleShot(0, lambda: app_module._Start.finish(starts[-1], 0))

    starts: list = []
    real_init = app_module._Start.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        starts.append(self)
        self.window.installEventFilter(paints)

    class Paints(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt API
            if event.type() == QEvent.Type.Paint:
                painted.append(True)
            return False

    painted: list[bool] = []
    paints = Paints()
    monkeypatch.setattr(app_module, "open_workspace", open_workspace)
    monkeypatch.setattr(MainWindow, "attach", attach)
    monkeypatch.setattr(app_module._Start, "__init__", init)
    return events


def test_the_shell_is_painted_before_the_data_is_opened_then_filled(qtbot, tmp_path, seen):
    folder = tmp_path / "d"
    _folder_with_report(folder)
    assert app_module.main(data_dir=str(folder)) == 0
    (kind, visible, text, actions, painted), filled = seen
    assert kind == "open" and visible and text == LOADING_TEXT and painted
    assert actions.pop("menus") and actions.pop("quit") and not any(actions.values())
    assert filled == ("filled", 1)
    assert InstanceLock(folder).acquire()  # released at the end
    _later_event_loops_still_run(qtbot)


def _later_event_loops_still_run(qtbot) -> None:
    """No Quit of the window's own left behind to end the process's next event loop at once."""
    QApplication.processEvents()  # what is left posted is delivered (as between two tests)
    fired: list[bool] = []
    QTimer.singleShot(20, lambda: fired.append(True))
    qtbot.wait(300)  # an event loop of its own: ended at once by a Quit left behind
    assert fired


def test_first_run_brings_the_setup_wizard_over_the_window(qtbot, tmp_path, seen, monkeypatch):
    from ui.setup_wizard import SetupWizard

    wizards = []
    monkeypatch.setattr(SetupWizard, "exec", lambda self: wizards.append(self.parent()) or 0)
    assert app_module.main(data_dir=str(tmp_path / "moi")) == 0
    assert len(wizards) == 1 and isinstance(wizards[0], MainWindow)
    assert [e[0] for e in seen] == ["open", "filled"]


def _damage(folder: Path) -> Path:
    """The data folder's database with a page overwritten (and no WAL beside it to mend it)."""
    db = folder / "baocaoxa.sqlite3"
    data = bytearray(db.read_bytes())
    data[4096:8192] = b"\xab" * 4096
    db.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        (folder / f"baocaoxa.sqlite3{suffix}").unlink(missing_ok=True)
    return db


def test_a_damaged_database_offers_its_backup_over_the_window(qtbot, tmp_path, seen, monkeypatch):
    folder = tmp_path / "d"
    report_id = _folder_with_report(folder)
    db = _damage(folder)
    asked = []
    monkeypatch.setattr(app_module, "confirm", lambda parent, title, text, **k: asked.append((parent, text)) or True)
    assert app_module.main(data_dir=str(folder)) == 0
    assert len(asked) == 1 and isinstance(asked[0][0], MainWindow) and "bị hỏng" in asked[0][1]
    assert seen[-1] == ("filled", 1)
    ws = Workspace(folder)
    try:
        assert ws.report(report_id)[0].values
    finally:
        ws.close()


def test_refusing_the_backup_of_a_damaged_database_ends_the_start(qtbot, tmp_path, seen, monkeypatch):
    folder = tmp_path / "d"
    _folder_with_report(folder)
    db = _damage(folder)
    before = db.read_bytes()
    monkeypatch.setattr(app_module, "confirm", lambda *a, **k: False)
    assert app_module.main(data_dir=str(folder)) == 2
    assert db.read_bytes() == before and [e[0] for e in seen] == ["open"]


def _refused(monkeypatch) -> list[tuple]:
    shown: list[tuple] = []
    monkeypatch.setattr(app_module, "show_error", lambda parent, exc, title="": shown.append((parent, str(exc))))
    return shown


def test_a_newer_schema_is_refused_over_the_window_and_nothing_changes(qtbot, tmp_path, seen, monkeypatch):
    folder = tmp_path / "d"
    _folder_with_report(folder)
    db = folder / "baocaoxa.sqlite3"
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = '0099'")
    con.commit()
    con.close()
    backups = sorted(p.name for p in (folder / "backups").iterdir())
    shown = _refused(monkeypatch)
    assert app_module.main(data_dir=str(folder)) == 2
    assert len(shown) == 1 and isinstance(shown[0][0], MainWindow)
    assert "phiên bản BaoCaoXa mới hơn" in shown[0][1]
    assert sorted(p.name for p in (folder / "backups").iterdir()) == backups  # no backup, no migration
    assert [e[0] for e in seen] == ["open"]


def test_a_database_locked_by_another_program_is_said_so(qtbot, tmp_path, seen, monkeypatch):
    from db import preflight
    from db.engine import connect

    monkeypatch.setattr(preflight, "LOCK_WAIT_SECONDS", 0.2)
    folder = tmp_path / "d"
    _folder_with_report(folder)
    holder = connect(folder / "baocaoxa.sqlite3", "rw", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        shown = _refused(monkeypatch)
        assert app_module.main(data_dir=str(folder)) == 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(shown) == 1 and "đang bị một chương trình khác khóa" in shown[0][1]


def test_an_unexpected_error_while_opening_leaves_the_event_loop_and_is_raised(qtbot, tmp_path, monkeypatch):
    """The command line turns it into its sentence and log line, as before the window came first."""
    import desktop_app.services

    def broken(*_a, **_k):
        raise RuntimeError("hỏng bất ngờ")

    monkeypatch.setattr(desktop_app.services, "Workspace", broken)
    with pytest.raises(RuntimeError, match="hỏng bất ngờ"):
        app_module.main(data_dir=str(tmp_path / "d"))
    assert InstanceLock(tmp_path / "d").acquire()  # the lock was released
    _later_event_loops_still_run(qtbot)
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]


HEAVY = ("sqlalchemy", "alembic", "pydantic", "yaml", "jinja2", "docx", "openpyxl", "lxml", "cryptography")


def test_the_first_paint_needs_none_of_the_heavy_modules():
    """A fresh process: what the window's shell imports (through the command line) stays light."""
    code = ("import sys; import desktop_app.cli, ui.app, ui.main_window; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_the_start_probe_times_the_real_start_in_a_fresh_process(tmp_path):
    """``baocaoxa`` as a person starts it, with the benchmark's probe: the window is painted with
    none of the heavy modules loaded, then the report opens in it, painted; the figures are in order.
    Even then, SQLAlchemy, Alembic, psycopg and pydantic were never imported (a commune's store at head,
    templates checked before)."""
    folder = tmp_path / "d"
    _folder_with_report(folder)
    code = (
        "import sys, ui.app\n"
        "real = ui.app._Start._open_data\n"
        "def open_data(self):\n"
        f"    print('heavy at paint:', sorted(m for m in {HEAVY!r} if m in sys.modules), flush=True)\n"
        "    real(self)\n"
        "ui.app._Start._open_data = open_data\n"
        "from desktop_app.cli import main\n"
        f"code = main(['--data-dir', {str(folder)!r}])\n"
        "late = ('sqlalchemy', 'alembic', 'psycopg', 'pydantic')\n"
        "print('after the report opened:', sorted(m for m in late if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BAOCAOXA_START_PROBE="đầu")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.split("\n")
    assert lines[0] == "heavy at paint: []"
    first_window, report_open = (float(x) for x in lines[1:3])
    assert 0 < first_window < report_open
    assert lines[3] == "after the report opened: []"  # no SQLAlchemy, Alembic or pydantic at a normal start


def test_after_first_paint_waits_for_the_paint_and_runs_once(qtbot):
    from PySide6.QtWidgets import QLabel

    from ui.first_paint import after_first_paint

    widget = QLabel("Đang mở dữ liệu…")
    qtbot.addWidget(widget)
    painted, ran = [], []

    class Paints(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt API
            if event.type() == QEvent.Type.Paint:
                painted.append(True)
            return False

    paints = Paints()
    widget.installEventFilter(paints)
    after_first_paint(widget, lambda: ran.append(bool(painted)), fallback_ms=5000)
    QApplication.processEvents()
    assert ran == []  # not shown: nothing painted, nothing run
    widget.show()
    qtbot.waitUntil(lambda: bool(ran), timeout=3000)
    widget.update()
    qtbot.wait(50)
    assert ran == [True]


def test_after_first_paint_falls_back_for_a_window_never_painted(qtbot):
    from PySide6.QtWidgets import QLabel

    from ui.first_paint import after_first_paint

    widget = QLabel("ẩn")  # never shown, as a window started minimised is not painted
    qtbot.addWidget(widget)
    ran = []
    after_first_paint(widget, lambda: ran.append(True), fallback_ms=50)
    qtbot.waitUntil(lambda: bool(ran), timeout=3000)
    qtbot.wait(100)
    assert ran == [True]
