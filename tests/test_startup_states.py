"""Data folders with awkward names, and the four reasons a store cannot be opened: each
has its own Vietnamese message, none writes to the file, none leaves a backup behind."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from db.engine import connect
from desktop_app.errors import UserError
from desktop_app.services import DamagedDatabase, Workspace

AWKWARD_NAMES = ["Xa A #1", "Xa A #2", "a?b", "100%25", "50% #3?x=1", "Xã Bình Phước #1", "a:b"]


def dump(db: Path) -> str:
    con = connect(db, "ro")
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


SQLITE_SIDE_FILES = ("-wal", "-shm")  # SQLite's own: a read-only open may leave them; no data changes


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if not p.name.endswith(SQLITE_SIDE_FILES)}


def make_store(folder: Path) -> Path:
    ws = Workspace(folder, who="kiểm thử")
    try:
        ws.set_unit("21073", scheme="truoc-2025", villages=["Thôn 1"])
        ws.new_report("cao-diem-dvctt", "2023-08-24..2023-09-24")
    finally:
        ws.close()
    return folder / "baocaoxa.sqlite3"


@pytest.mark.slow  # one database per awkward folder name
def test_each_awkwardly_named_folder_gets_its_own_database(tmp_path):
    parent = tmp_path / "cha"
    parent.mkdir()
    for name in AWKWARD_NAMES:
        ws = Workspace(parent / name, who="kiểm thử")
        try:
            ws.set_setting("ten_thu_muc", name)
            ws.backup("thu-cong")
            assert not ws.check()  # the integrity check goes through the same encoded URI
        finally:
            ws.close()
    assert sorted(p.name for p in parent.iterdir()) == sorted(AWKWARD_NAMES)  # nothing written beside them
    for name in AWKWARD_NAMES:
        folder = parent / name
        assert (folder / "baocaoxa.sqlite3").is_file()
        ws = Workspace(folder, who="kiểm thử")
        try:
            assert ws.setting("ten_thu_muc") == name
            [backup] = ws.backups()
            assert backup.path.parent == folder / "backups"
            ws.restore_backup(backup.path)  # check_file and restore read through the URI as well
            assert ws.setting("ten_thu_muc") == name
        finally:
            ws.close()


def test_file_uri_is_percent_encoded_with_an_empty_authority():
    from pathlib import PureWindowsPath

    from db.engine import file_uri, uri_from_posix

    assert file_uri(Path("/d/Xa A #1/x.sqlite3")) == "file:///d/Xa%20A%20%231/x.sqlite3"
    assert file_uri(Path("/d/a?b/100%25")) == "file:///d/a%3Fb/100%2525"
    assert file_uri(Path("/d/Xã")) == "file:///d/X%C3%A3"
    # Windows paths as Path.as_posix() gives them there: a drive, and a share (UNC).
    assert uri_from_posix(PureWindowsPath(r"C:\Dữ liệu\#1").as_posix()) == "file:///C:/D%E1%BB%AF%20li%E1%BB%87u/%231"
    assert uri_from_posix(PureWindowsPath(r"\\may-chu\du-lieu\x").as_posix()) == "file:////may-chu/du-lieu/x"


def test_cli_with_hash_in_data_dir(tmp_path):
    from desktop_app.cli import main

    for name in ("Xa A #1", "Xa A #2"):
        assert main(["--data-dir", str(tmp_path / name), "unit", "set", "--code", "21073", "--legacy"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("Xa")) == ["Xa A #1", "Xa A #2"]
    assert all((tmp_path / n / "baocaoxa.sqlite3").is_file() for n in ("Xa A #1", "Xa A #2"))


# --- refusals ----------------------------------------------------------------------------

def assert_refused_unchanged(folder: Path, expected: str, *, kind=UserError) -> None:
    db = folder / "baocaoxa.sqlite3"
    before_files, before_dump = files_under(folder), dump(db)
    for _attempt in range(2):  # trying again must not pile up backups either
        with pytest.raises(kind) as caught:
            Workspace(folder, who="kiểm thử")
        assert expected in str(caught.value), str(caught.value)
        assert "Traceback" not in str(caught.value)
    assert files_under(folder) == before_files
    assert dump(db) == before_dump


def set_revision(db: Path, revision: str) -> None:
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    con.commit()
    con.close()


def test_newer_schema_is_refused_without_backup_or_change(tmp_path):
    folder = tmp_path / "data"
    db = make_store(folder)
    set_revision(db, "0099")
    assert_refused_unchanged(folder, "được tạo bởi phiên bản BaoCaoXa mới hơn")


def test_newer_schema_via_cli_is_a_sentence_not_a_traceback(tmp_path):
    from desktop_app.cli import main

    folder = tmp_path / "data"
    set_revision(make_store(folder), "9999_future")
    before = files_under(folder)
    import io
    from contextlib import redirect_stderr

    err = io.StringIO()
    with redirect_stderr(err):
        code = main(["--data-dir", str(folder), "report", "list"])
    assert code == 2
    assert "phiên bản BaoCaoXa mới hơn" in err.getvalue() and "«9999_future»" in err.getvalue()
    assert "CommandError" not in err.getvalue() and "không mong muốn" not in err.getvalue()
    # the support log is the one thing written: the refusal, for support to read
    assert {f for f in files_under(folder) if not f.startswith("logs")} == before
    log = (folder / "logs" / "baocaoxa.log").read_text(encoding="utf-8")
    assert "op cli report list" in log and "outcome=refused" in log


def test_damaged_database_is_refused_as_damaged(tmp_path):
    folder = tmp_path / "data"
    db = make_store(folder)
    with connect(db, "rw") as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    page = 4096
    data[page + 8: 3 * page] = b"\xa5" * (2 * page - 8)  # wreck two pages' contents, keep the header
    db.write_bytes(bytes(data))
    before = files_under(folder)
    for _attempt in range(2):
        with pytest.raises(DamagedDatabase) as caught:
            Workspace(folder, who="kiểm thử")
        assert "bị hỏng" in str(caught.value)
    assert files_under(folder) == before


def test_locked_database_is_reported_as_locked(tmp_path, monkeypatch):
    from db import preflight

    monkeypatch.setattr(preflight, "LOCK_WAIT_SECONDS", 0.2)
    folder = tmp_path / "data"
    db = make_store(folder)
    holder = connect(db, "rw", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # as a DB browser with unsaved changes would
    try:
        before_files = files_under(folder)
        for _attempt in range(2):
            with pytest.raises(UserError) as caught:
                Workspace(folder, who="kiểm thử")
            message = str(caught.value)
            assert "đang bị một chương trình khác khóa" in message and "hỏng" not in message.replace("không hỏng", "")
        assert files_under(folder) == before_files
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    Workspace(folder, who="kiểm thử").close()  # once released it opens


def test_locked_rollback_journal_database_is_not_called_damaged(tmp_path, monkeypatch):
    """An exclusive lock on a non-WAL file makes even reading fail with SQLITE_BUSY."""
    from db import preflight

    monkeypatch.setattr(preflight, "LOCK_WAIT_SECONDS", 0.2)
    folder = tmp_path / "data"
    db = make_store(folder)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    holder = connect(db, "rw", isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(UserError) as caught:
            Workspace(folder, who="kiểm thử")
        assert "đang bị một chương trình khác khóa" in str(caught.value)
        assert not isinstance(caught.value, DamagedDatabase)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture
def read_only_mount(tmp_path):
    """``tmp_path/src`` seen read-only at ``tmp_path/ro`` (a read-only bind mount; root only)."""
    source, target = tmp_path / "src", tmp_path / "ro"
    source.mkdir()
    target.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a read-only bind mount needs root: the read-only folder case is not exercised")
    bind = subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True)
    if bind.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {bind.stderr.decode(errors='replace').strip()}")
    remount = subprocess.run(["mount", "-o", "remount,ro,bind", str(target)], capture_output=True)
    try:
        if remount.returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield source, target
    finally:
        subprocess.run(["umount", str(target)], capture_output=True)


def test_read_only_folder_is_reported_as_read_only_not_damaged(read_only_mount):
    source, target = read_only_mount
    db = make_store(source)
    with connect(db, "rw") as con:  # as a file copied to a CD or a write-protected stick would be
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = dump(db)
    for _attempt in range(2):
        with pytest.raises(UserError) as caught:
            Workspace(target, who="kiểm thử")
        message = str(caught.value)
        assert "chỉ cho đọc" in message and "bị hỏng" not in message
        assert not isinstance(caught.value, DamagedDatabase)
    assert dump(db) == before
    assert not (source / "backups").exists() or len(list((source / "backups").iterdir())) == 0


# --- backups of a newer schema ---------------------------------------------------------

def test_backup_with_newer_schema_is_refused_by_restore(tmp_path, cli, data_dir):
    db = make_store(data_dir)
    ws = Workspace(data_dir, who="kiểm thử")
    backup = ws.backup("thu-cong")
    ws.close()
    set_revision(backup, "0099")
    before_files, before_dump = files_under(data_dir / "backups"), dump(db)
    code, out, err = cli("backup", "restore", str(backup))
    assert code == 2 and "phiên bản BaoCaoXa mới hơn" in err, err
    ws = Workspace(data_dir, who="kiểm thử")
    try:
        with pytest.raises(UserError, match="mới hơn"):
            ws.restore_backup(backup)
        assert ws.latest_good_backup() != backup  # a newer backup is never offered as "good"
    finally:
        ws.close()
    assert files_under(data_dir / "backups") == before_files  # no safety backup was taken for nothing
    assert dump(db) == before_dump


def test_migration_refuses_a_newer_file_before_backing_up(tmp_path):
    from db.engine import StoreTooNew, file_uri, migrate
    from db.sql import sqlite_database

    db = make_store(tmp_path / "data")
    set_revision(db, "0099")
    database = sqlite_database(file_uri(db))
    try:
        with pytest.raises(StoreTooNew):
            migrate(database, db, tmp_path / "backups")
    finally:
        database.dispose()
    assert not (tmp_path / "backups").exists()


def test_known_revisions_match_the_migration_scripts():
    from db.engine import HEAD_REVISION, known_revisions

    scripts = sorted(p.name[:4] for p in (Path(__file__).parent.parent / "db" / "migrations" / "versions")
                     .glob("[0-9]*.py"))
    assert sorted(known_revisions()) == scripts and HEAD_REVISION in known_revisions()



def test_read_only_folder_through_cli_lock_and_window(read_only_mount, monkeypatch, capsys):
    from desktop_app.cli import main
    from desktop_app.instance import InstanceLock

    source, target = read_only_mount
    db = make_store(source)
    with connect(db, "rw") as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ws = Workspace(source, who="kiểm thử")
    backup = ws.backup("thu-cong")
    ws.close()
    before = dump(db)
    for args in (["report", "list"], ["backup", "restore", str(backup)]):
        assert main(["--data-dir", str(target), *args]) == 2
        err = capsys.readouterr().err
        assert "chỉ cho đọc" in err and "không mong muốn" not in err and "bị hỏng" not in err, err
    with pytest.raises(UserError, match="chỉ cho đọc"):
        InstanceLock(target).acquire()

    pytest.importorskip("PySide6")
    import ui.app

    shown = []
    monkeypatch.setattr(ui.app, "show_error", lambda parent, exc, title="": shown.append(str(exc)))
    assert ui.app.main(data_dir=str(target)) == 2
    assert len(shown) == 1 and "chỉ cho đọc" in shown[0]
    assert dump(db) == before
