"""Portable mode, backups (rotation, restore), database checks, damaged files, one instance."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import pytest

from db import backups
from desktop_app import paths
from desktop_app.errors import UserError
from desktop_app.instance import InstanceLock
from desktop_app.services import DamagedDatabase, Workspace
from tests.conftest import EXAMPLES, ROOT


def test_portable_mode_uses_the_folder_beside_the_program(tmp_path, monkeypatch):
    monkeypatch.delenv(paths.DATA_DIR_ENV, raising=False)
    usb = tmp_path / "usb" / "BaoCaoXa"
    usb.mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(usb / "baocaoxa.exe"))
    assert paths.app_dir() == usb
    assert paths.data_dir() != usb / "data"            # not portable: the user data folder
    (usb / "portable.txt").write_text("", encoding="utf-8")
    assert paths.data_dir() == usb / "data"            # portable: data travels with the stick
    (usb / "portable.txt").unlink()
    (usb / "data").mkdir()
    assert paths.data_dir() == usb / "data"            # a data/ folder alone also means portable
    assert paths.data_dir(tmp_path / "x") == (tmp_path / "x").resolve()  # --data-dir still wins


def _fake(folder, when: dt.datetime, reason="hang-ngay"):
    path = folder / backups.backup_name(reason, when)
    path.write_bytes(b"x")
    return path


def test_rotation_keeps_recent_then_daily_then_weekly(tmp_path):
    now = dt.datetime(2026, 11, 22, 12, 0, 0)
    for hours in range(0, 24 * 120, 6):  # a backup every 6 hours for 120 days
        _fake(tmp_path, now - dt.timedelta(hours=hours))
    found = backups.list_backups(tmp_path)
    keep, delete = backups.plan_rotation(found, now)
    assert {b.path for b in found[: backups.KEEP_RECENT]} <= {b.path for b in keep}  # the newest ten
    days = {b.made_at.date() for b in keep if now - b.made_at <= dt.timedelta(days=14)}
    assert len(days) >= 14                                           # one a day for two weeks
    old = [b for b in keep if now - b.made_at > dt.timedelta(days=14)]
    assert len({b.made_at.isocalendar()[:2] for b in old}) == len(old)  # at most one a week after
    assert not [b for b in keep if now - b.made_at > dt.timedelta(weeks=backups.KEEP_WEEKLY_WEEKS + 1)]
    backups.prune(tmp_path, now)
    assert len(backups.list_backups(tmp_path)) == len(keep) < 480


def _workspace_with_report(folder):
    ws = Workspace(folder)
    rid, _ = ws.import_document(json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8")))
    return ws, rid


def test_backup_restore_and_safety_copy(tmp_path):
    ws, rid = _workspace_with_report(tmp_path / "d")
    saved = ws.backup("thu-cong")
    ws.set_values(rid, {"rut_ho_so": 9})
    safety = ws.restore_backup(saved)
    assert ws.report(rid)[0].values["rut_ho_so"] == 3
    assert safety is not None and "truoc-khoi-phuc" in safety.name
    ws.restore_backup(safety)                          # and back again: nothing was lost
    assert ws.report(rid)[0].values["rut_ho_so"] == 9
    ws.close()


def test_daily_backup_at_start_up_and_before_imports(tmp_path):
    ws, _ = _workspace_with_report(tmp_path / "d")
    ws.import_document(json.loads((EXAMPLES / "ntm-tieu-chi-8.json").read_text(encoding="utf-8")))
    reasons = {b.reason for b in ws.backups()}
    ws.close()
    assert "truoc-nhap" in reasons
    again = Workspace(tmp_path / "d")
    assert any(b.made_at.date() == dt.date.today() for b in again.backups())
    again.close()


def _corrupt(db_path):
    data = bytearray(db_path.read_bytes())
    data[4096:8192] = b"\xab" * 4096
    db_path.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        (db_path.parent / (db_path.name + suffix)).unlink(missing_ok=True)


def test_damaged_database_is_refused_and_a_backup_offered(tmp_path, cli):
    folder = tmp_path / "d"
    ws, rid = _workspace_with_report(folder)
    good = ws.backup("thu-cong")
    db_path = ws.store.path
    ws.close()
    _corrupt(db_path)
    before = db_path.read_bytes()
    with pytest.raises(DamagedDatabase) as info:
        Workspace(folder)
    assert info.value.backup == good and "bị hỏng" in info.value.message
    assert db_path.read_bytes() == before              # never opened for writing
    from desktop_app.cli import main

    assert main(["--data-dir", str(folder), "report", "list"]) == 2
    assert main(["--data-dir", str(folder), "backup", "restore", str(good)]) == 0
    restored = Workspace(folder)
    assert restored.report(rid)[0].values["tiep_nhan_truc_tiep"] == 70
    assert list(folder.glob("baocaoxa-hong-*.sqlite3"))  # the damaged file is kept aside
    restored.close()


def test_a_garbage_backup_is_rejected(tmp_path):
    ws, _ = _workspace_with_report(tmp_path / "d")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(UserError, match="không dùng được"):
        ws.restore_backup(junk)
    assert ws.store.integrity_check() == ["ok"]
    ws.close()


def test_check_db_reports_and_repairs_only_what_is_safe(tmp_path):
    import sqlite3

    ws, rid = _workspace_with_report(tmp_path / "d")
    assert ws.check() == []
    con = sqlite3.connect(ws.store.path)
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("INSERT INTO report_values(report_id, field_id, value, updated_at) VALUES (999, 'x', '1', '2026-01-01')")
    con.execute(f"INSERT INTO report_values(report_id, field_id, value, updated_at) VALUES ({rid}, 'bo_truong', '5', '2026-01-01')")
    con.execute(f"UPDATE report_values SET value='\"mười\"' WHERE report_id={rid} AND field_id='tiep_nhan_truc_tiep'")
    con.commit()
    con.close()
    findings = " | ".join(ws.check())
    assert "không thuộc báo cáo nào" in findings and "bo_truong" in findings and "mười" in findings
    ws.check(repair=True)
    assert ws.store.orphan_values() == 0
    assert "bo_truong" in ws.report(rid)[0].values            # unknown fields are kept, never deleted
    assert any(b.reason == "truoc-sua-chua" for b in ws.backups())
    ws.close()


def test_check_db_cli(cli):
    cli("report", "import-json", str(EXAMPLES / "cao-diem-dvctt.json"))
    code, out, _ = cli("check-db")
    assert code == 0 and "tốt" in out


def test_second_instance_is_refused(tmp_path):
    lock = InstanceLock(tmp_path)
    assert lock.acquire()
    script = textwrap.dedent(f"""
        from desktop_app.instance import InstanceLock
        print(InstanceLock({str(tmp_path)!r}).acquire())
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "False"
    lock.release()
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "True"               # released (a crash releases it too)


def test_gui_refuses_politely_when_already_open(tmp_path, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    lock = InstanceLock(tmp_path)
    assert lock.acquire()
    from ui.app import main

    assert main(data_dir=str(tmp_path)) == 3
    assert shown and "đang mở" in shown[0]
    lock.release()


def test_backups_are_self_contained_files(tmp_path):
    ws, _ = _workspace_with_report(tmp_path / "d")
    path = ws.backup("thu-cong")
    assert backups.check_file(path) == []
    assert not list(ws.backup_dir.glob("*-wal")) and not list(ws.backup_dir.glob("*-shm"))
    ws.close()


def test_migration_backs_up_an_existing_file_first(tmp_path, monkeypatch):
    """The pre-migration backup, exercised by pretending a newer schema exists."""
    import db.engine as engine

    ws, rid = _workspace_with_report(tmp_path / "d")
    ws.close()
    ran = []
    monkeypatch.setattr(engine, "head_revision", lambda: "9999")
    import alembic.command

    monkeypatch.setattr(alembic.command, "upgrade", lambda cfg, rev: ran.append(rev))
    from db.store import Store

    store = Store(tmp_path / "d")
    try:
        assert ran == ["head"]
        assert store.migration_backup is not None and "truoc-nang-cap" in store.migration_backup.name
        assert backups.check_file(store.migration_backup) == []
    finally:
        store.close()


def test_gui_offers_the_latest_good_backup_for_a_damaged_database(tmp_path, qtbot, monkeypatch):
    import ui.app as app

    folder = tmp_path / "d"
    ws, rid = _workspace_with_report(folder)
    ws.backup("thu-cong")
    db_path = ws.store.path
    ws.close()
    _corrupt(db_path)
    asked = []
    monkeypatch.setattr(app, "confirm", lambda *a, **k: asked.append(a[2]) or True)
    restored = app.open_workspace(folder)
    try:
        assert asked and "bị hỏng" in asked[0]
        assert restored.report(rid)[0].values["tiep_nhan_truc_tiep"] == 70
    finally:
        restored.close()


def test_cli_restore_refused_while_the_window_is_open(tmp_path):
    from desktop_app.cli import main

    ws, _ = _workspace_with_report(tmp_path / "d")
    good = ws.backup("thu-cong")
    ws.close()
    lock = InstanceLock(tmp_path / "d")
    assert lock.acquire()
    try:
        assert main(["--data-dir", str(tmp_path / "d"), "backup", "restore", str(good)]) == 2
    finally:
        lock.release()
    assert main(["--data-dir", str(tmp_path / "d"), "backup", "restore", str(good)]) == 0
