"""A group of bundle imports that the database could not commit (a refused COMMIT, a full disk
on which SQLite rolls the whole transaction back) is lost as a whole, and says so: no bundle of
it counts as applied, none of its kept parts is forgotten, and the import stops rather than go
on in a transaction of its own. On a shared PostgreSQL store, a connection the server dropped
(a restart, a network blip) is replaced before use instead of failing the next edit."""

from __future__ import annotations

import sqlite3

import pytest

from db.store import GroupLost, Store
from desktop_app.domain.entities import DocumentHeader, IncomingReport, Report, UnitProfile
from desktop_app.domain.periods import parse_period

PERIOD = parse_period("2025-Q1")


def _incoming(uid: str, size: int = 10) -> list[IncomingReport]:
    values = {f"f{i}": "x" * size for i in range(50)}
    return [IncomingReport(Report(uid=uid, unit_code="27004", unit=UnitProfile(code="27004"), template_id="t",
                                  template_version="1", period=PERIOD, values=values), "h")]


def _apply(store: Store, n: int, size: int = 10):
    return store.apply_bundle(f"b{n}", f"d{n}", "27004", _incoming(f"u{n}", size), lambda _local, _item: "new")


def _stored(store: Store) -> tuple[list[str], list[str]]:
    with store.db.connection() as c:
        return ([u for (u,) in c.rows("SELECT uid FROM reports ORDER BY id")],
                [d for (d,) in c.rows("SELECT digest FROM imported_bundles ORDER BY id")])


def test_a_refused_group_commit_loses_the_group_and_says_so(tmp_path):
    store = Store(tmp_path / "d")
    failed: list[int] = []

    def refuse_first_commit(sql: str) -> None:
        if sql == "COMMIT" and not failed:
            failed.append(1)
            raise sqlite3.OperationalError("disk I/O error")

    store.db.listeners.append(refuse_first_commit)
    forgotten: list[str] = []
    try:
        with pytest.raises(GroupLost, match="Không ghi được vào cơ sở dữ liệu"):
            with store.grouped(size=2):
                for n in (1, 2, 3):
                    try:
                        _apply(store, n)
                    finally:
                        store.after_commit(lambda n=n: forgotten.append(f"b{n}"))
        assert forgotten == []  # the parts of bundles that were not saved stay for the next import
        assert _stored(store) == ([], [])
        store.db.listeners.clear()
        with store.grouped(size=2):  # receiving the same files again completes them
            for n in (1, 2, 3):
                assert _apply(store, n) is not None
        assert _stored(store) == (["u1", "u2", "u3"], ["d1", "d2", "d3"])
    finally:
        store.close()


@pytest.mark.sqlite_only
def test_a_full_disk_mid_group_loses_the_group_instead_of_committing_the_rest_alone(tmp_path):
    """SQLite ends the whole transaction on SQLITE_FULL: the savepoint is gone with it."""
    store = Store(tmp_path / "d")
    try:
        with pytest.raises(GroupLost, match="ổ đĩa đã đầy"):
            with store.grouped():
                assert _apply(store, 1) is not None
                raw = store._group.conn.raw  # noqa: SLF001 - the group's own connection
                pages = raw.execute("PRAGMA page_count").fetchone()[0]
                raw.execute(f"PRAGMA max_page_count = {pages + 5}")
                with pytest.raises(GroupLost, match="ổ đĩa đã đầy"):
                    _apply(store, 2, size=20_000)
                raw.execute("PRAGMA max_page_count = 1073741823")
                with pytest.raises(GroupLost):  # not a transaction of its own, committed alone
                    _apply(store, 3)
        assert _stored(store) == ([], [])
    finally:
        store.close()


def test_a_bulk_run_in_a_lost_group_is_not_retried_one_by_one(tmp_path):
    from db.bulk_apply import BundleWrite

    store = Store(tmp_path / "d")
    try:
        with pytest.raises(GroupLost):
            with store.grouped():
                _apply(store, 1)
                store._group.lose(sqlite3.OperationalError("disk I/O error"))  # noqa: SLF001 - as a failed COMMIT does
                writes = [BundleWrite("b2", "d2", "27004", _incoming("u2"))]
                store.apply_bundles(writes, lambda _local, _item: "new")
    finally:
        store.close()


def test_a_connection_the_server_dropped_is_replaced_before_the_next_edit(tmp_path, store_backend):
    if store_backend != "postgresql":
        pytest.skip("about a server's connections")
    store = Store(tmp_path / "d")
    try:
        store.set_setting("x", 1)
        with store.db.connection() as c, store.db.connection() as other:  # two pooled connections
            pids = [c.scalar("SELECT pg_backend_pid()"), other.scalar("SELECT pg_backend_pid()")]
        with store.db.connection() as c:
            assert c.scalar("SELECT pg_backend_pid()") in pids  # from the pool
        from tests import pg

        admin = pg.admin_connection()
        try:
            for pid in pids:  # what a server restart does to them
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        finally:
            admin.close()
        store.set_setting("x", 2)  # neither an error nor a lost value
        assert store.get_setting("x") == 2
    finally:
        store.close()


def test_audit_values_are_stored_as_the_sqlalchemy_store_stored_them(tmp_path, store_backend):
    """A value given as None is JSON's null text; a value an entry has not is SQL NULL (old files
    and new rows read and query alike)."""
    store = Store(tmp_path / "d")
    try:
        rid = store.create_report(unit=UnitProfile(code="27004"), template_id="t", template_version="1",
                                  period=PERIOD, document=DocumentHeader())
        store.set_values(rid, {"a": 1})
        _apply(store, 1)
        with store.db.connection() as c:
            rows = c.rows('SELECT action, CAST("old" AS TEXT), CAST("new" AS TEXT) FROM audit_log ORDER BY id')
        assert rows == [("create", None, '{"template":"t","period":"' + PERIOD.spec + '"}'), ("set", "null", "1"),
                        ("bundle-new", "null", "null")]
    finally:
        store.close()
