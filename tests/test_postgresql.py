"""The shared PostgreSQL store of a province office: choosing it, what it never shows (the
password), what replaces the SQLite-only parts (backups, checks, migrations), locks."""

from __future__ import annotations

import threading
import zipfile

import pytest
from sqlalchemy import make_url

from tests import pg
from tests.conftest import EXAMPLES

SECRET = "Mk-bi-mat-9"  # a password that must never be shown, logged or bundled


def _server_url_with_password(url: str) -> str:
    """The test server's URL with a password in it (trust authentication ignores it)."""
    return make_url(url).set(password=SECRET).render_as_string(hide_password=False)


@pytest.fixture
def shared_db():
    if not pg.server_url():
        pytest.skip(pg.SKIP_REASON)
    url = pg.fresh_database()
    yield url
    pg.drop_database(url)


def test_a_server_that_cannot_be_reached_is_said_in_vietnamese_without_the_password(cli):
    code, out, err = cli("--database", f"postgresql://canbo:{SECRET}@127.0.0.1:9/baocaoxa", "report", "list")
    assert code == 2
    assert "Không mở được cơ sở dữ liệu dùng chung" in err and "không kết nối được máy chủ" in err
    assert SECRET not in out + err and "***" in err


def test_an_address_that_is_not_postgresql_is_refused(cli):
    code, _out, err = cli("--database", "mysql://canbo@may-chu/baocaoxa", "report", "list")
    assert code == 2 and "Chỉ dùng được cơ sở dữ liệu PostgreSQL" in err


def test_database_set_connects_first_then_every_command_uses_the_shared_store(cli, data_dir, shared_db):
    url = _server_url_with_password(shared_db)
    code, out, err = cli("database", "set", url)
    assert code == 0, err
    assert SECRET not in out and "***" in out
    code, out, _ = cli("database", "show")
    assert code == 0 and "dùng chung" in out and SECRET not in out
    code, out, err = cli("report", "import-json", str(EXAMPLES / "cao-diem-dvctt.json"))
    assert code == 0, err
    from desktop_app.services import Workspace

    ws = Workspace(data_dir)  # the setting, not a flag: the window opens the same store
    try:
        assert ws.store.is_shared and len(ws.reports()) == 1
        assert not (data_dir / "baocaoxa.sqlite3").exists()
    finally:
        ws.close()
    code, _out, _ = cli("database", "clear")
    assert code == 0
    code, out, _ = cli("report", "list", "--json")
    assert code == 0 and out.strip() == "[]"  # back to the folder's own (empty) SQLite file


def test_logs_and_the_support_bundle_never_carry_the_password(cli, data_dir, shared_db, tmp_path):
    url = _server_url_with_password(shared_db)
    code, _out, err = cli("--database", url, "report", "import-json", str(EXAMPLES / "cao-diem-dvctt.json"))
    assert code == 0, err
    code, _out, err = cli("--database", url, "support-bundle", str(tmp_path / "ho-tro.zip"))
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "ho-tro.zip") as archive:
        text = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8", "replace")
    assert SECRET not in text
    assert "postgresql://" in text and "***" in text  # it does say which store, without the password
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_backup_commands_explain_pg_dump_instead_of_failing(cli, shared_db):
    url = _server_url_with_password(shared_db)
    for args in (["backup", "create"], ["backup", "list"], ["backup", "restore", "x.sqlite3"]):
        code, out, err = cli("--database", url, *args)
        assert code == 0, err
        assert "pg_dump --format=custom" in out and f"--dbname={make_url(shared_db).database}" in out
        assert "pg_restore" in out and SECRET not in out


def test_check_db_runs_what_applies_on_the_server(cli, shared_db):
    code, _out, err = cli("--database", shared_db, "report", "import-json", str(EXAMPLES / "cao-diem-dvctt.json"))
    assert code == 0, err
    code, out, err = cli("--database", shared_db, "check-db")
    assert code == 0, out + err
    assert "Cơ sở dữ liệu tốt" in out


def test_the_audit_log_names_the_staff_member(cli, data_dir, shared_db):
    code, out, err = cli("--database", shared_db, "--staff", "Nguyễn Thị Hoa", "report", "import-json",
                         str(EXAMPLES / "cao-diem-dvctt.json"))
    assert code == 0, err
    from desktop_app.services import Workspace

    ws = Workspace(data_dir, database=shared_db)
    try:
        assert {entry.who for entry in ws.store.audit()} == {"Nguyễn Thị Hoa"}
    finally:
        ws.close()


def test_two_pcs_starting_on_a_new_database_at_once_migrate_it_once(tmp_path, shared_db):
    from db.engine import head_revision
    from db.store import Store

    errors: list[BaseException] = []
    stores: list[Store] = []

    def start(index: int) -> None:
        try:
            stores.append(Store(tmp_path / f"may-{index}", database=shared_db))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    try:
        with stores[0].db.connection() as conn:
            assert conn.rows("SELECT version_num FROM alembic_version") == [(head_revision(),)]
    finally:
        for store in stores:
            store.close()


def test_every_migration_goes_down_and_up_again_on_postgresql(shared_db):
    from alembic import command

    from db.engine import _alembic_config, current_revision, head_revision
    from db.sql import json_dumps
    from db.server import make_server_engine, open_database, parse

    engine = make_server_engine(parse(shared_db), json_dumps)
    try:
        cfg = _alembic_config()
        for target in ("head", "base", "head"):
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                (command.upgrade if target == "head" else command.downgrade)(cfg, target)
    finally:
        engine.dispose()
    database = open_database(parse(shared_db))
    try:
        assert current_revision(database) == head_revision()
    finally:
        database.dispose()


def test_a_conflict_is_resolved_once_when_two_staff_resolve_it(tmp_path, shared_db):
    from desktop_app.errors import UserError
    from desktop_app.services import Workspace
    from tests.test_office_at_scale import office_bundles

    paths = office_bundles(tmp_path / "goi", communes=1, edited_twice=1)
    first = Workspace(tmp_path / "may-1", database=shared_db, who="Cán bộ 1")
    second = Workspace(tmp_path / "may-2", database=shared_db, who="Cán bộ 2")
    try:
        first.import_bundles(paths)
        [conflict] = second.conflicts()
        first.resolve_conflict(conflict.id, "incoming")
        with pytest.raises(UserError, match="Không có xung đột"):
            second.resolve_conflict(conflict.id, "local")
        assert [e.who for e in second.store.audit() if e.action == "conflict-resolved"] == ["Cán bộ 1"]
    finally:
        first.close()
        second.close()


def test_a_list_of_servers_in_the_address_is_given_to_libpq_as_a_list():
    from db.server import connect_arguments, parse

    arguments = connect_arguments(parse("postgresql://canbo@/baocaoxa?host=may-chu-1:5432&host=may-chu-2:5433"))
    assert (arguments["host"], arguments["port"]) == ("may-chu-1,may-chu-2", "5432,5433")
    arguments = connect_arguments(parse("postgresql://canbo@/baocaoxa?host=/run/postgresql&host=may-chu"))
    assert arguments["host"] == "/run/postgresql,may-chu" and "port" not in arguments
    assert connect_arguments(parse("postgresql://canbo@may-chu:6000/baocaoxa"))["port"] == 6000


def test_the_store_opens_through_the_second_server_of_a_list(tmp_path, shared_db):
    """The first server of the list does not answer: libpq goes on to the next, as before."""
    from sqlalchemy import make_url

    from db.store import Store

    url = make_url(shared_db)
    socket_folder = url.query.get("host")
    if not isinstance(socket_folder, str) or not socket_folder.startswith("/"):
        pytest.skip("the test server is not on a local socket")
    listed = url.update_query_pairs([("host", str(tmp_path / "khong-co-may-chu")), ("host", socket_folder)],
                                    append=False).render_as_string(hide_password=False)
    store = Store(tmp_path / "d", database=listed)
    try:
        assert store.schema_revision() is not None
    finally:
        store.close()
