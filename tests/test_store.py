"""The store: migrations (empty and existing files), durability settings, audit, atomic writes."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from sqlalchemy import text

from db.engine import backup_copy, current_revision, head_revision, make_engine, scripts_head_revision
from db.store import DB_FILENAME, Store
from desktop_app.domain.entities import DocumentHeader, UnitProfile
from desktop_app.domain.periods import parse_period
from tests.conftest import EXAMPLES, ROOT

FIXTURES = sorted((ROOT / "tests" / "fixtures" / "db").glob("schema-*.sqlite3"))


@pytest.mark.sqlite_only
def test_empty_folder_gets_current_schema(tmp_path):
    store = Store(tmp_path / "moi")
    try:
        assert current_revision(store.db) == head_revision()
        assert store.migration_backup is None  # nothing to back up in a new file
        with store.db.connection() as conn:
            assert conn.scalar("PRAGMA journal_mode") == "wal"
            assert conn.scalar("PRAGMA foreign_keys") == 1
            assert conn.scalar("PRAGMA synchronous") == 2  # FULL
        assert store.integrity_check() == ["ok"]
    finally:
        store.close()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_existing_database_files_open_with_every_value(tmp_path, fixture):
    """Real files made by earlier schema versions migrate with every value intact."""
    folder = tmp_path / "cu"
    folder.mkdir()
    shutil.copy(fixture, folder / DB_FILENAME)
    old_revision = fixture.stem.removeprefix("schema-")
    store = Store(folder)
    try:
        assert current_revision(store.db) == head_revision()
        if old_revision != head_revision():
            assert store.migration_backup is not None and store.migration_backup.exists()
        reports = store.list_reports(with_values=True)
        assert len(reports) == 1
        expected = json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8"))["values"]
        assert reports[0].values == expected
        assert store.get_profile().code == "21073"
        assert store.integrity_check() == ["ok"]
    finally:
        store.close()


def test_fixture_exists_for_current_schema():
    """Keep a real file of every schema version: add one whenever a migration is added."""
    assert any(f.stem == f"schema-{head_revision()}" for f in FIXTURES)


@pytest.mark.sqlite_only
def test_the_migrated_schema_is_the_models_schema(tmp_path):
    """db/models.py declares what the migrations build (the store's SQL is written against it):
    a new column in one and not the other fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from db.models import Base

    Store(tmp_path / "moi").close()
    engine = make_engine(tmp_path / "moi" / DB_FILENAME)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def test_ddl_is_transactional(tmp_path):
    """Migrations rely on SQLite DDL rolling back with the transaction."""
    engine = make_engine(tmp_path / "t.sqlite3")
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
            raise RuntimeError("power cut mid-migration")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name='half_done'").scalar() == 0
    engine.dispose()


@pytest.mark.sqlite_only
def test_backup_copy_of_live_database_includes_uncheckpointed_writes(tmp_path):
    store = Store(tmp_path / "song")
    try:
        rid = store.create_report(unit=UnitProfile(code="21073"), template_id="t", template_version="1",
                                  period=parse_period("2023"), document=DocumentHeader())
        store.set_values(rid, {"a": 42})
        copy = backup_copy(store.path, tmp_path / "sao-luu.sqlite3")  # while the store is open
        con = sqlite3.connect(copy)
        assert con.execute("SELECT json(value) FROM report_values WHERE field_id='a'").fetchone() == ("42",)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.close()
    finally:
        store.close()


def test_audit_log_records_old_and_new(tmp_path):
    store = Store(tmp_path / "nhatky")
    try:
        rid = store.create_report(unit=UnitProfile(code="1"), template_id="t", template_version="1",
                                  period=parse_period("2023"), document=DocumentHeader(), who="cán bộ")
        store.set_values(rid, {"a": 1}, who="cán bộ")
        store.set_values(rid, {"a": 2}, who="cán bộ")
        store.set_values(rid, {"a": 2}, who="cán bộ")  # unchanged: no entry, no new revision
        entries = [(e.action, e.field_id, e.old, e.new) for e in store.audit(rid)]
        assert entries[:2] == [("set", "a", 1, 2), ("set", "a", None, 1)]
        assert store.get_report(rid).revision == 2
        store.delete_report(rid, who="cán bộ")
        assert store.list_reports() == [] and store.get_report(rid).deleted_at is not None
        store.restore_report(rid)
        assert len(store.list_reports()) == 1
    finally:
        store.close()


def test_values_survive_reopen(tmp_path):
    store = Store(tmp_path / "mo-lai")
    rid = store.create_report(unit=UnitProfile(code="1"), template_id="t", template_version="1",
                              period=parse_period("2023"), document=DocumentHeader())
    store.set_values(rid, {"ghi_chu": "Phổ Thuận", "bang": [{"thon": "Thôn 1", "loa": 2}]})
    store.close()
    again = Store(tmp_path / "mo-lai")
    try:
        assert again.get_report(rid).values == {"ghi_chu": "Phổ Thuận", "bang": [{"thon": "Thôn 1", "loa": 2}]}
    finally:
        again.close()


def test_head_revision_constant_matches_the_migration_scripts():
    # A new migration must also move db.engine.HEAD_REVISION (starts skip Alembic when at head).
    assert head_revision() == scripts_head_revision()
