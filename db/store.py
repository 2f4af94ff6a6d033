"""The repository: every read and write of the store goes through :class:`Store`.

Each public write runs in its own transaction and commits before returning, so an
edit the caller has been told about is on disk (WAL, synchronous=FULL). The SQL goes straight
to the driver through :mod:`db.sql`, the same text for SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

from db import server
from db.bulk_apply import INSERT_REPORT, NO_VALUE, BundleWrite, json_text, new_report_params
from db.engine import StoreError, current_revision, file_uri, maps_write_errors, migrate, write_failure_message
from db.preflight import check_before_open
from db.senders import HeldRecord, SenderKeyRecord, SenderRegistry  # noqa: F401 - records are part of the API
from db.sql import (
    Connection, DatabaseError, IntegrityError, in_chunks, json_dumps, loads, placeholders, read_time,
    sqlite_database, utcnow,
)
from desktop_app.domain.entities import DocumentHeader, IncomingReport, Report, UnitProfile
from desktop_app.domain.periods import Period, parse_period

DB_FILENAME = "baocaoxa.sqlite3"


class ForeignReport(StoreError):
    """A bundle speaks for a report that belongs to another unit: nothing of it is applied."""


@dataclass
class AuditRecord:
    id: int
    at: dt.datetime
    who: str
    report_id: int | None
    action: str
    field_id: str | None
    old: Any
    new: Any
    note: str | None


@dataclass
class ConflictRecord:
    id: int
    report_id: int
    incoming: IncomingReport
    bundle_id: str
    received_at: dt.datetime


class _Row(NamedTuple):
    """A reports row as Python: its JSON columns parsed, its times datetimes."""

    id: int
    uid: str
    unit_code: str
    unit: dict[str, Any]
    template_id: str
    template_version: str
    period: str
    status: str
    document: dict[str, Any]
    revision: int
    origin: str
    last_section: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None
    sync_base: int | None
    signed_by: str | None
    unsigned: bool


_SELECT_REPORTS = f"SELECT {', '.join(_Row._fields)} FROM reports"
_TIMES = {"created_at", "updated_at", "deleted_at"}
_JSON = {"unit", "document"}


def _row(found: tuple) -> _Row:
    """``found``: a row of ``_SELECT_REPORTS``, as the driver gives it."""
    (id_, uid, unit_code, unit, template_id, template_version, period, status, document, revision, origin,
     last_section, created_at, updated_at, deleted_at, sync_base, signed_by, unsigned) = found
    return _Row(id_, uid, unit_code, loads(unit), template_id, template_version, period, status,
                loads(document) or {}, revision, origin, last_section, read_time(created_at), read_time(updated_at),
                read_time(deleted_at), sync_base, signed_by, bool(unsigned))


def _record(row: _Row, values: dict[str, Any] | None = None) -> Report:
    """The entity of a row: the JSON columns (unit, document) and the period spec become typed."""
    return Report(
        id=row.id, uid=row.uid, unit_code=row.unit_code, unit=UnitProfile.from_json(row.unit),
        template_id=row.template_id, template_version=row.template_version, period=parse_period(row.period),
        status=row.status, document=DocumentHeader.from_json(row.document), revision=row.revision,
        origin=row.origin, last_section=row.last_section, created_at=row.created_at, updated_at=row.updated_at,
        deleted_at=row.deleted_at, values=values or {}, sync_base=row.sync_base, signed_by=row.signed_by,
        unsigned=row.unsigned,
    )


_INSERT_VALUE = "INSERT INTO report_values (report_id, field_id, value, updated_at) VALUES (?, ?, ?, ?)"
_INSERT_AUDIT = ('INSERT INTO audit_log (at, who, report_id, action, field_id, "old", "new", note) '
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")




class _SharedText:
    """One string object for each field id and each text value met while reading many reports.

    JSON gives every report its own copies: 3,321 reports × 120 field ids, and the same
    answers («Đạt», a unit's name, a text typed once and sent by every commune), are tens of
    megabytes held as duplicates for the whole consolidation."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def values(self, values: dict[str, Any]) -> dict[str, Any]:
        """A report's values without the empty ones, field ids and texts shared. (Within one report
        JSON already shares the keys of its table rows; their cells are not looked at, which would
        cost a call per row for little.)"""
        share = self._seen.setdefault
        return {share(k, k): share(v, v) if type(v) is str else v for k, v in values.items() if v is not None}


class DatabaseDamaged(StoreError):
    """The database file fails its check: it is not opened for writing."""


# PostgreSQL: a deadlock between two importing PCs, or a serialisation failure; the loser retries.
_RETRY_SQLSTATES = {"40P01", "40001"}
RETRIES = 6


def _retriable(exc: DatabaseError) -> bool:
    """Another installation got there first (a report made at the same moment, a lock cycle)."""
    return isinstance(exc, IntegrityError) or exc.sqlstate in _RETRY_SQLSTATES


class GroupLost(StoreError):
    """The open group's transaction ended without being committed (a COMMIT refused, a full disk
    on which SQLite rolls the whole transaction back): none of its bundles since the last commit
    was saved, whatever they were told. Every later write of the group raises it too; the import
    stops and says which files to receive again."""


class _Group:
    """One connection whose transaction many bundle imports share (see :meth:`Store.grouped`)."""

    def __init__(self, conn: Connection, size: int, seconds: float):
        self.conn, self.size, self.seconds = conn, size, seconds
        self.thread = threading.get_ident()
        self.pending = 0
        self.started = time.monotonic()
        self.after_commit: list[Callable[[], None]] = []
        self.lost: GroupLost | None = None

    def lose(self, exc: DatabaseError) -> GroupLost:
        """The group's work since its last commit is gone: what waited for that commit must not run
        (a bundle's kept parts stay, so receiving them again completes it)."""
        self.after_commit = []
        self.lost = GroupLost(write_failure_message(exc))
        return self.lost

    def commit(self) -> None:
        if self.lost is not None:
            raise self.lost
        if self.conn.depth:
            try:
                self.conn.commit()  # the next write begins the next group's transaction
            except DatabaseError as exc:
                raise self.lose(exc) from exc
        callbacks, self.after_commit = self.after_commit, []
        self.pending, self.started = 0, time.monotonic()
        for callback in callbacks:
            callback()

    def done(self, count: int) -> None:
        self.pending += count
        if self.pending >= self.size or time.monotonic() - self.started >= self.seconds:
            self.commit()


class Store(SenderRegistry):
    def __init__(self, data_dir: Path, clean: Callable[[Any], Any] | None = None, database: str | None = None):
        """``clean`` is applied to every text-bearing value written (the services pass
        ``desktop_app.domain.text.clean_deep``): one place, so every path into the store gets it.

        ``database``: a PostgreSQL URL for a shared store (see :mod:`db.server`); default: the
        data folder's setting, else the folder's own SQLite file."""
        self._clean = clean or (lambda value: value)
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_FILENAME
        self.backup_dir = self.data_dir / "backups"
        self._group: _Group | None = None
        database = database or server.configured_url(self.data_dir)
        self.server_url = server.parse(database) if database else None
        if self.server_url is not None:
            self._open_server(self.server_url)
        else:
            self._open_file()

    def _open_file(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._quick_check()
            self.db = sqlite_database(file_uri(self.path))
            self.migration_backup = migrate(self.db, self.path, self.backup_dir)
        except DatabaseError as exc:
            raise StoreError(f"Không mở được cơ sở dữ liệu {self.path}: {exc.orig}") from exc
        except OSError as exc:
            raise StoreError(f"Không tạo được thư mục dữ liệu {self.data_dir}: {exc.strerror}") from exc

    def _open_server(self, url) -> None:
        """The shared PostgreSQL store: the server answers and is not newer, then migrations."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)  # logs, templates, held files stay local
        except OSError as exc:
            raise StoreError(f"Không tạo được thư mục dữ liệu {self.data_dir}: {exc.strerror}") from exc
        self.db = server.open_database(url)
        try:
            server.check_server(self.db, url)
            self.migration_backup = migrate(self.db, self.path, self.backup_dir,
                                            alembic_engine=lambda: server.make_server_engine(url, json_dumps))
        except DatabaseError as exc:
            self.db.dispose()
            raise server.ServerUnavailable(server.unavailable_message(url, exc)) from None
        except StoreError:
            self.db.dispose()
            raise

    @property
    def is_shared(self) -> bool:
        """A PostgreSQL store several installations use at once (not a file of this PC)."""
        return self.server_url is not None

    @property
    def location(self) -> str:
        """Where the data is, as it may be shown and logged (never a password)."""
        return server.shown(self.server_url) if self.server_url is not None else str(self.path)

    def _quick_check(self) -> None:
        """Refuse a file that must not be written (read-only, locked, newer, damaged) before any write."""
        check_before_open(self.path, damaged=DatabaseDamaged)

    def close(self) -> None:
        self.db.dispose()

    def schema_revision(self) -> str | None:
        return current_revision(self.db)

    # --- connections and transactions ----------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A connection for reads: the open group's on its thread (it sees the group's writes)."""
        group = self._group
        if group is not None and group.thread == threading.get_ident():
            yield group.conn
            return
        with self.db.connection() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write, all or nothing: its own transaction, or a savepoint of the open group's."""
        group = self._group if self._in_group() else None
        if group is not None and group.lost is not None:
            raise group.lost
        with self._read() as conn:
            if group is not None and conn.depth == 0:
                conn.begin()  # the group's transaction, committed by the group
            try:
                with conn.transaction():
                    yield conn
            except DatabaseError as exc:
                if group is not None and conn.depth == 0:  # the database ended the group's transaction
                    raise group.lose(exc) from exc
                raise

    @contextmanager
    def grouped(self, size: int = 250, seconds: float = 2.0) -> Iterator[None]:
        """Many bundle imports in few commits: every write on this thread joins one transaction,
        each bundle in its own savepoint (a failing one takes nothing of the others with it),
        committed every ``size`` bundles or ``seconds``. A kill mid-way loses only the uncommitted
        group, each of its bundles whole: importing the same files again completes it. Work
        that must wait for the commit (forgetting the parts of a bundle) goes to :meth:`after_commit`."""
        if self._group is not None:  # already inside one: join it
            yield
            return
        with ExitStack() as stack:
            group = _Group(stack.enter_context(self.db.connection()), size, seconds)
            self._group = group
            try:
                yield
                group.commit()
            finally:
                self._group = None  # the connection rolls back what was not committed

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once what was written so far is committed (at once outside a group)."""
        if self._in_group():
            self._group.after_commit.append(callback)
        else:
            callback()

    def _release_group(self) -> None:
        """Commit the open group (its row locks too) so another installation can finish."""
        if self._in_group():
            self._group.commit()

    def _in_group(self) -> bool:
        group = self._group
        return group is not None and group.thread == threading.get_ident()

    # --- settings ------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._read() as c:
            row = c.first("SELECT value FROM settings WHERE key = ?", (key,))
            return default if row is None else loads(row[0])

    @maps_write_errors
    def set_setting(self, key: str, value: Any) -> None:
        with self._write() as c:
            c.run("INSERT INTO settings (key, value) VALUES (?, ?) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, json_dumps(value)))

    def install_id(self) -> str:
        """A random id for this installation: the ``origin`` of the revisions it makes."""
        existing = self.get_setting("install_id")
        if existing:
            return existing
        new = uuid.uuid4().hex
        self.set_setting("install_id", new)
        return new

    # --- unit profile ----------------------------------------------------------------
    def get_profile(self) -> UnitProfile | None:
        with self._read() as c:
            row = c.first("SELECT data FROM unit_profile WHERE id = 1")
            return None if row is None else UnitProfile.from_json(loads(row[0]))

    @maps_write_errors
    def set_profile(self, profile: UnitProfile, who: str = "") -> None:
        data = self._clean(profile.to_json())
        now = self.db.stamp(utcnow())
        with self._write() as c:
            row = c.first(f"SELECT data FROM unit_profile WHERE id = 1{self.db.for_update}")
            old = None if row is None else loads(row[0])
            if row is None:
                c.run("INSERT INTO unit_profile (id, code, scheme, data, updated_at) VALUES (1, ?, ?, ?, ?)",
                      (profile.code, profile.scheme, json_dumps(data), now))
            else:
                c.run("UPDATE unit_profile SET code = ?, scheme = ?, data = ?, updated_at = ? WHERE id = 1",
                      (profile.code, profile.scheme, json_dumps(data), now))
            c.run(_INSERT_AUDIT, (now, who, None, "profile", None, json_dumps(old), json_dumps(data), None))

    # --- reports -------------------------------------------------------------------
    @maps_write_errors
    def create_report(self, *, unit: UnitProfile, template_id: str, template_version: str, period: Period,
                      document: DocumentHeader, values: dict[str, Any] | None = None, origin: str = "",
                      uid: str | None = None, revision: int = 0, status: str = "draft",
                      who: str = "", action: str = "create", note: str | None = None) -> int:
        unit_data, document_data = self._clean(unit.to_json()), self._clean(document.to_json())
        values, note = self._clean(values), self._clean(note)
        now = utcnow()
        stamp = self.db.stamp(now)
        with self._write() as c:
            report_id = c.scalar(
                "INSERT INTO reports (uid, unit_code, unit, template_id, template_version, period, status, document, "
                "revision, origin, last_section, created_at, updated_at, deleted_at, sync_base, signed_by, unsigned) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, NULL, NULL, ?) RETURNING id",
                (uid or uuid.uuid4().hex, unit.code, json_dumps(unit_data), template_id, template_version, period.spec,
                 status, json_dumps(document_data), revision, origin, stamp, stamp, False))
            self._insert_values(c, report_id, values or {}, stamp)
            c.run(_INSERT_AUDIT, (stamp, who, report_id, action, None, None,
                                  json_dumps({"template": template_id, "period": period.spec}), note))
            return report_id

    @staticmethod
    def _insert_values(c: Connection, report_id: int, values: dict[str, Any], stamp: Any) -> None:
        """All of a report's values in one executemany (None is no value)."""
        c.many(_INSERT_VALUE, [(report_id, k, json_text(v), stamp) for k, v in values.items() if v is not None])

    def list_reports(self, include_deleted: bool = False, with_values: bool = False, *,
                     unit_code: str | None = None, template_id: str | None = None) -> list[Report]:
        wanted, params = [], []
        if not include_deleted:
            wanted.append("deleted_at IS NULL")
        if unit_code is not None:
            wanted.append("unit_code = ?")
            params.append(unit_code)
        if template_id is not None:
            wanted.append("template_id = ?")
            params.append(template_id)
        where = f" WHERE {' AND '.join(wanted)}" if wanted else ""
        with self._read() as c, (c.snapshot() if with_values else nullcontext()):
            records = [_record(_row(r)) for r in c.rows(f"{_SELECT_REPORTS}{where} ORDER BY updated_at DESC", params)]
            if with_values:  # every report's values in one more query, not one query per report
                self._fill_values(c, records)
        return records

    def template_periods(self, template_id: str) -> list[Period]:
        """Every period that reports of this template use."""
        with self._read() as c:
            rows = c.rows("SELECT DISTINCT period FROM reports WHERE template_id = ? AND deleted_at IS NULL",
                          (template_id,))
            return [parse_period(spec) for (spec,) in rows]

    def reports_of_period(self, template_id: str, periods: list[Period]) -> list[Report]:
        """Every report of one template and period, values included: what a consolidation reads.

        The values come back as one JSON object per report (the database builds it), which
        keeps thousands of reports quick to load. Both queries read one snapshot (REPEATABLE
        READ on a shared PostgreSQL store), so an import committed in between never shows a
        report without its values."""
        specs = [p.spec for p in periods]
        if not specs:
            return []
        with self._read() as c, c.snapshot():
            records = [_record(_row(r)) for r in c.rows(
                f"{_SELECT_REPORTS} WHERE template_id = ? AND period IN ({placeholders(len(specs))}) "
                "AND deleted_at IS NULL", (template_id, *specs))]
            self._fill_values(c, records)
        return records

    def with_values(self, records: list[Report]) -> list[Report]:
        """Fill in the records' values in one query (a query per report costs far more)."""
        with self._read() as c, c.snapshot():
            self._fill_values(c, records)
        return records

    def _fill_values(self, c: Connection, records: list[Report]) -> None:
        by_id = {r.id: r for r in records}
        shared = _SharedText()
        for chunk in in_chunks(list(by_id), 500):  # SQLite caps the parameters of one statement
            query = (f"SELECT report_id, {self.db.values_object()} FROM report_values "
                     f"WHERE report_id IN ({placeholders(len(chunk))}) GROUP BY report_id")
            for report_id, text in c.rows(query, tuple(chunk)):
                by_id[report_id].values = shared.values(json.loads(text))

    @staticmethod
    def _values_of(c: Connection, report_id: int) -> dict[str, Any]:
        return {k: loads(v) for k, v in c.rows("SELECT field_id, value FROM report_values WHERE report_id = ?",
                                               (report_id,))}

    def units_by_period(self) -> list[tuple[str, Period, str]]:
        """(template id, period, unit code) for every report there is, each once."""
        with self._read() as c:
            rows = c.rows("SELECT DISTINCT template_id, period, unit_code FROM reports WHERE deleted_at IS NULL")
            return [(t, parse_period(p), u) for t, p, u in rows]

    def get_report(self, report_id: int) -> Report | None:
        with self._read() as c, c.snapshot():
            found = c.first(f"{_SELECT_REPORTS} WHERE id = ?", (report_id,))
            return None if found is None else _record(_row(found), self._values_of(c, report_id))

    def find_report(self, *, uid: str | None = None, unit_code: str | None = None, template_id: str | None = None,
                    period: Period | None = None, include_deleted: bool = False) -> Report | None:
        if uid:
            wanted, params = ["uid = ?"], [uid]
        else:
            wanted, params = ["unit_code = ?", "template_id = ?", "period = ?"], \
                [unit_code, template_id, period.spec if period else None]
        if not include_deleted:
            wanted.append("deleted_at IS NULL")
        with self._read() as c, c.snapshot():
            found = c.first(f"{_SELECT_REPORTS} WHERE {' AND '.join(wanted)} ORDER BY id DESC LIMIT 1", params)
            return None if found is None else _record(_row(found), self._values_of(c, found[0]))

    def set_values(self, report_id: int, changes: dict[str, Any], who: str = "", action: str = "set",
                   replace_all: bool = False, note: str | None = None,
                   drafts: dict[str, str | None] | None = None) -> int:
        """Apply changes (None clears a field) in one transaction; returns how many values changed.

        ``drafts`` sets (text) or clears (None) unreadable typed text in the same transaction, so
        a field never shows an old value beside text that replaced it.
        """
        try:
            return self._set_values(report_id, changes, who, action, replace_all, note, drafts or {})
        except DatabaseError as exc:
            raise StoreError(write_failure_message(exc).replace("Thay đổi vừa rồi", "Số liệu vừa nhập")) from exc

    def _set_values(self, report_id: int, changes: dict[str, Any], who: str, action: str, replace_all: bool,
                    note: str | None, drafts: dict[str, str | None]) -> int:
        changes, note = self._clean(changes), self._clean(note)
        drafts = {key: self._clean(text) for key, text in drafts.items()}
        with self._write() as c:
            # two PCs editing one report: in turn
            if c.first(f"SELECT id FROM reports WHERE id = ?{self.db.for_update}", (report_id,)) is None:
                raise StoreError(f"Không có báo cáo số {report_id}.")
            if drafts:
                self._set_drafts(c, report_id, drafts, who)
            if replace_all:  # a checked import: it replaces what was typed, unreadable text included
                existing = self._values_of(c, report_id)
                changes = {**{k: None for k in existing}, **changes}
                c.run("DELETE FROM draft_inputs WHERE report_id = ?", (report_id,))
            else:
                existing = {}
                for chunk in in_chunks(list(changes), 500):
                    existing.update((k, loads(v)) for k, v in c.rows(
                        f"SELECT field_id, value FROM report_values WHERE report_id = ? "
                        f"AND field_id IN ({placeholders(len(chunk))})", (report_id, *chunk)))
            now = self.db.stamp(utcnow())
            audit, deleted, inserted, updated = [], [], [], []
            for field_id, new in changes.items():
                old = existing.get(field_id)
                if old == new:
                    continue
                if new is None:
                    deleted.append((report_id, field_id))
                elif field_id not in existing:
                    inserted.append((report_id, field_id, json_dumps(new), now))
                else:
                    updated.append((json_dumps(new), now, report_id, field_id))
                audit.append((now, who, report_id, action, field_id, json_dumps(old), json_dumps(new), note))
            c.many("DELETE FROM report_values WHERE report_id = ? AND field_id = ?", deleted)
            c.many(_INSERT_VALUE, inserted)
            c.many("UPDATE report_values SET value = ?, updated_at = ? WHERE report_id = ? AND field_id = ?", updated)
            if audit:
                c.many(_INSERT_AUDIT, audit)
                c.run("UPDATE reports SET revision = revision + 1, updated_at = ? WHERE id = ?", (now, report_id))
            return len(audit)

    def _set_drafts(self, c: Connection, report_id: int, drafts: dict[str, str | None], who: str) -> None:
        for key, text in drafts.items():
            row = c.first("SELECT text FROM draft_inputs WHERE report_id = ? AND key = ?", (report_id, key))
            old = None if row is None else row[0]
            if old == text:
                continue
            now = self.db.stamp(utcnow())
            if text is None:
                c.run("DELETE FROM draft_inputs WHERE report_id = ? AND key = ?", (report_id, key))
            elif row is None:
                c.run("INSERT INTO draft_inputs (report_id, key, text, updated_at) VALUES (?, ?, ?, ?)",
                      (report_id, key, text, now))
            else:
                c.run("UPDATE draft_inputs SET text = ?, updated_at = ? WHERE report_id = ? AND key = ?",
                      (text, now, report_id, key))
            c.run(_INSERT_AUDIT, (now, who, report_id, "draft", key.split(".")[0].split("[")[0],
                                  json_dumps(old), json_dumps(text), key))

    def drafts(self, report_id: int) -> dict[str, str]:
        """Unreadable typed text of a report, by key (see ``draft_inputs`` in :mod:`db.models`)."""
        with self._read() as c:
            return {key: text for key, text in c.rows("SELECT key, text FROM draft_inputs WHERE report_id = ?",
                                                      (report_id,))}

    @maps_write_errors
    def update_report(self, report_id: int, *, who: str = "", action: str = "update", note: str | None = None,
                      bump_revision: bool = True, **columns: Any) -> None:
        """Change report-level columns (document, status, last_section, unit, revision, origin…)."""
        allowed = {"document", "status", "last_section", "unit", "revision", "origin", "template_version",
                   "period", "deleted_at"}
        unknown = set(columns) - allowed
        if unknown:
            raise ValueError(f"unknown report columns: {unknown}")
        columns = {k: _column(v, self._clean) for k, v in columns.items()}
        note = self._clean(note)
        with self._write() as c:
            # two PCs editing one report: in turn
            found = c.first(f"{_SELECT_REPORTS} WHERE id = ?{self.db.for_update}", (report_id,))
            if found is None:
                raise StoreError(f"Không có báo cáo số {report_id}.")
            current = _row(found)
            old = {k: _jsonable(getattr(current, k)) for k in columns}
            stored = dict(columns)
            if set(columns) - {"last_section"}:
                if bump_revision and "revision" not in columns:
                    stored.update(revision=current.revision + 1)
                stored["updated_at"] = utcnow()
            assignments = ", ".join(f"{name} = ?" for name in stored)  # names: the allowed ones above
            c.run(f"UPDATE reports SET {assignments} WHERE id = ?",
                  (*(self._stored(name, value) for name, value in stored.items()), report_id))
            if set(columns) - {"last_section"}:
                c.run(_INSERT_AUDIT, (self.db.stamp(utcnow()), who, report_id, action, None, json_dumps(old),
                                      json_dumps({k: _jsonable(v) for k, v in columns.items()}), note))

    def _stored(self, name: str, value: Any) -> Any:
        """A reports column's value as the driver takes it."""
        if name in _JSON:
            return json_dumps(value)
        if name in _TIMES:
            return self.db.stamp(value)
        return value

    def delete_report(self, report_id: int, who: str = "", note: str | None = None) -> None:
        self.update_report(report_id, who=who, action="delete", note=note, bump_revision=False,
                           deleted_at=utcnow())

    def restore_report(self, report_id: int, who: str = "") -> None:
        self.update_report(report_id, who=who, action="restore", bump_revision=False, deleted_at=None)

    @maps_write_errors
    def purge_report(self, report_id: int) -> None:
        with self._write() as c:
            c.run("DELETE FROM reports WHERE id = ?", (report_id,))  # its values, drafts, conflicts cascade

    def audit(self, report_id: int | None = None, limit: int = 1000) -> list[AuditRecord]:
        where, params = ("WHERE report_id = ? ", (report_id, limit)) if report_id is not None else ("", (limit,))
        with self._read() as c:
            rows = c.rows('SELECT id, at, who, report_id, action, field_id, "old", "new", note FROM audit_log '
                          f"{where}ORDER BY id DESC LIMIT ?", params)
            return [AuditRecord(i, read_time(at), who, r, action, f, loads(old), loads(new), note)
                    for i, at, who, r, action, f, old, new, note in rows]

    # --- sync bundles ----------------------------------------------------------------
    def bundle_imported(self, digest: str) -> bool:
        """This very file (by its SHA-256) was applied before."""
        with self._read() as c:
            return c.first("SELECT id FROM imported_bundles WHERE digest = ?", (digest,)) is not None

    def bundle_id_sources(self, bundle_id: str) -> list[tuple[str, str | None]]:
        """(source unit, digest) of every applied bundle that carried this id."""
        return self.bundle_id_sources_of([bundle_id]).get(bundle_id, [])

    def imported_digests(self, digests: list[str]) -> set[str]:
        """Those of ``digests`` whose bundle was applied before (one query per 500, not one each)."""
        found: set[str] = set()
        with self._read() as c:
            for chunk in in_chunks(sorted(set(digests)), 500):
                found.update(d for (d,) in c.rows(
                    f"SELECT digest FROM imported_bundles WHERE digest IN ({placeholders(len(chunk))})", tuple(chunk)))
        return found

    def bundle_id_sources_of(self, bundle_ids: list[str]) -> dict[str, list[tuple[str, str | None]]]:
        """:meth:`bundle_id_sources` of many ids at once: {bundle id: [(source unit, digest)]}."""
        found: dict[str, list[tuple[str, str | None]]] = {}
        with self._read() as c:
            for chunk in in_chunks(sorted(set(bundle_ids)), 500):
                rows = c.rows("SELECT bundle_id, source_unit, digest FROM imported_bundles "
                              f"WHERE bundle_id IN ({placeholders(len(chunk))}) ORDER BY id", tuple(chunk))
                for bundle_id, unit, digest in rows:
                    found.setdefault(bundle_id, []).append((unit, digest))
        return found

    def apply_bundle(self, bundle_id: str, digest: str, source_unit: str, incoming: list[IncomingReport],
                     decide: Callable[[Report | None, IncomingReport], str], *, who: str = "",
                     signed_by: str | None = None, new_key: dict[str, str] | None = None
                     ) -> list[tuple[str, Report]] | None:
        """Decide and apply every report of one bundle in a single write transaction.

        The decision (``decide(local report or None, incoming)`` → new | update | same |
        conflict) is taken inside the transaction that applies it, so an edit committed in
        between cannot be overwritten. A report stored for another unit than ``source_unit``
        refuses the whole bundle (ForeignReport). ``new_key`` (unit_code, unit_name,
        public_key, fingerprint) registers a first-contact sender in the same transaction.
        Returns [(kind, incoming report)], or None when this file was applied meanwhile."""
        for attempt in range(RETRIES):
            try:
                plan = self._apply_bundle_once(bundle_id, digest, source_unit, incoming, decide, who, signed_by,
                                               new_key)
            except DatabaseError as exc:
                if attempt + 1 < RETRIES and _retriable(exc):
                    # Another installation holds or just made what this bundle touches: let our
                    # group go (its locks with it), wait a moment, decide again on what is there now.
                    self._release_group()
                    time.sleep(0.05 * (attempt + 1))
                    continue
                if isinstance(exc, IntegrityError):
                    raise StoreError("Gói này vừa được nhập ở một lần nhập khác chạy cùng lúc; không ghi gì thêm.") \
                        from exc
                raise StoreError(write_failure_message(exc)) from exc
            if plan is not None and self._in_group():  # another thread's group is not this bundle's
                self._group.done(1)
            return plan
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def apply_bundles(self, writes: list[BundleWrite], decide: Callable[[Report | None, IncomingReport], str], *,
                      who: str = "") -> list[list[tuple[str, Report]] | None] | None:
        """Many bundles (a bulk import) applied together in one savepoint of the open group, with few
        statements (see :mod:`db.bulk_apply`); each decision is taken inside it, as in :meth:`apply_bundle`.

        Returns each bundle's plan (None: that file was applied meanwhile), or None when the
        run could not be applied as one — then nothing of it was kept, and the caller applies
        the bundles one by one with :meth:`apply_bundle`, which says which one failed and why."""
        if not writes:
            return []
        from db.bulk_apply import BulkWriter

        with self.grouped():  # joins the caller's group (the usual case)
            group = self._group
            assert group is not None
            try:
                with self._write() as c:
                    results = BulkWriter(self, c, decide, who).run(writes)
            except GroupLost:
                raise
            except Exception:  # noqa: BLE001 - rolled back whole; one by one tells what went wrong
                return None
            group.done(sum(plan is not None for plan in results))  # a failed commit raises GroupLost
            return results

    def _apply_bundle_once(self, bundle_id: str, digest: str, source_unit: str, incoming: list[IncomingReport],
                           decide: Callable[[Report | None, IncomingReport], str], who: str,
                           signed_by: str | None, new_key: dict[str, str] | None) -> list[tuple[str, Report]] | None:
        plan: list[tuple[str, Report]] = []
        with self._write() as c:
            # The digest is the arbiter: the row is claimed first, so two installations
            # importing the same file at once apply it once (the second waits, then finds it).
            claimed = c.first("INSERT INTO imported_bundles (bundle_id, digest, source_unit, signed_by, summary, "
                              "imported_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING RETURNING id",
                              (bundle_id, digest, source_unit, signed_by, "{}", self.db.stamp(utcnow())))
            if claimed is None:
                return None
            if new_key is not None:
                self._register_first_contact(c, new_key)
            counts: dict[str, int] = {}
            for item in incoming:
                uid = item.report.uid
                # locked for the transaction (PostgreSQL; SQLite's write lock covers it): the decision
                # on a report cannot be overtaken by another PC between reading it and writing it
                found = c.first(f"{_SELECT_REPORTS} WHERE uid = ?{self.db.for_update}", (uid,))
                row = None if found is None else _row(found)
                if row is not None and row.unit_code != source_unit:
                    raise ForeignReport(
                        f"báo cáo «{uid}» đã có ở đây là của đơn vị {row.unit_code}, không phải của "
                        f"đơn vị gửi ({source_unit}): một đơn vị chỉ được gửi báo cáo của chính mình.")
                local = None if row is None else _record(row, self._values_of(c, row.id))
                kind = decide(local, item)
                counts[kind] = counts.get(kind, 0) + 1
                self._apply_one(c, bundle_id, kind, item, row, who, source_unit)
                # the unit as stored here (an update never takes the sender's name for it)
                plan.append((kind, item.report if local is None else replace(item.report, unit=local.unit)))
            c.run("UPDATE imported_bundles SET summary = ? WHERE id = ?", (json_dumps(counts), claimed[0]))
        return plan

    def _apply_one(self, c: Connection, bundle_id: str, kind: str, item: IncomingReport, row: _Row | None,
                   who: str, source_unit: str) -> None:
        new = item.report
        now = self.db.stamp(utcnow())
        if kind == "new":
            report_id = c.scalar(f"{INSERT_REPORT} RETURNING id",
                                 new_report_params(self.db, new, source_unit, self._clean, utcnow()))
            self._insert_values(c, report_id, self._clean(new.values), now)
            c.run(_INSERT_AUDIT, (now, who, report_id, "bundle-new", None, NO_VALUE, NO_VALUE, bundle_id))
        elif kind == "update":
            assert row is not None
            self._replace_from(c, row, new)
            c.run(_INSERT_AUDIT, (now, who, row.id, "bundle-update", None, json_dumps({"revision": row.revision}),
                                  json_dumps({"revision": new.revision}), bundle_id))
        elif kind == "conflict":
            assert row is not None
            c.run("INSERT INTO conflicts (report_id, incoming, bundle_id, received_at, resolved_at, resolution) "
                  "VALUES (?, ?, ?, ?, NULL, NULL)", (row.id, json_dumps(self._clean(item.to_json())), bundle_id, now))
            c.run(_INSERT_AUDIT, (now, who, row.id, "bundle-conflict", None, None, None, bundle_id))

    def _replace_from(self, c: Connection, row: _Row, new: Report) -> None:
        """The incoming version replaces ours. Its unit stays ours (code, name, province): only
        the sender's own facts (villages, signer) follow the sender."""
        now = self.db.stamp(utcnow())
        c.run("DELETE FROM report_values WHERE report_id = ?", (row.id,))
        self._insert_values(c, row.id, self._clean(new.values), now)
        ours = UnitProfile.from_json(row.unit)
        unit = self._clean(ours.with_changes(villages=new.unit.villages, signer_name=new.unit.signer_name,
                                             signer_title=new.unit.signer_title).to_json())
        document = row.document if new.document.blank else self._clean(new.document.to_json())
        # deleted_at: a conflict with a deleted report resolved for the incoming one restores it
        c.run("UPDATE reports SET unit = ?, document = ?, template_version = ?, revision = ?, sync_base = ?, "
              "origin = ?, status = ?, signed_by = ?, unsigned = ?, deleted_at = NULL, updated_at = ? WHERE id = ?",
              (json_dumps(unit), json_dumps(document), new.template_version, new.revision, new.revision,
               new.origin or row.origin, new.status or row.status, new.signed_by, bool(new.unsigned), now,
               row.id))

    def open_conflicts(self) -> list[ConflictRecord]:
        with self._read() as c:
            rows = c.rows("SELECT id, report_id, incoming, bundle_id, received_at FROM conflicts "
                          "WHERE resolved_at IS NULL ORDER BY id")
            return [ConflictRecord(i, r, IncomingReport.from_json(loads(incoming)), b, read_time(at))
                    for i, r, incoming, b, at in rows]

    @maps_write_errors
    def resolve_conflict(self, conflict_id: int, keep: str, who: str = "") -> None:
        """keep = local (ours stays; the incoming version is remembered as seen) or incoming."""
        lock = self.db.for_update
        with self._write() as c:
            # locked: two staff resolving the same conflict at once resolve it once
            conflict = c.first(f"SELECT report_id, incoming, resolved_at FROM conflicts WHERE id = ?{lock}",
                               (conflict_id,))
            if conflict is None or conflict[2] is not None:
                raise StoreError(f"Không có xung đột số {conflict_id} đang chờ xử lý.")
            found = c.first(f"{_SELECT_REPORTS} WHERE id = ?{lock}", (conflict[0],))
            assert found is not None  # a report's conflicts go with it (ON DELETE CASCADE)
            row = _row(found)
            incoming = IncomingReport.from_json(loads(conflict[1])).report
            now = self.db.stamp(utcnow())
            if keep == "incoming":
                self._replace_from(c, row, incoming)
            else:
                # Ours now follows theirs: past both revisions, grown from theirs, so the next
                # bundle we send replaces their version instead of being taken for an echo.
                c.run("UPDATE reports SET sync_base = ?, revision = ?, updated_at = ? WHERE id = ?",
                      (incoming.revision, max(row.revision, incoming.revision) + 1, now, row.id))
            c.run("UPDATE conflicts SET resolved_at = ?, resolution = ? WHERE id = ?", (now, keep, conflict_id))
            c.run(_INSERT_AUDIT, (now, who, row.id, "conflict-resolved", None, NO_VALUE,
                                  json_dumps({"conflict": conflict_id}), keep))

    def integrity_check(self) -> list[str]:
        """SQLite's full check of the file; on PostgreSQL the server keeps its own pages whole
        (checksums, WAL), so what applies is that every table answers a full read."""
        with self.db.connection() as c:
            if self.db.is_sqlite:
                return [row[0] for row in c.rows("PRAGMA integrity_check")]
            problems = []
            for table in ("reports", "report_values", "draft_inputs", "audit_log", "conflicts", "imported_bundles",
                          "sender_keys", "held_bundles", "settings", "unit_profile"):
                try:
                    c.scalar(f"SELECT count(*) FROM {table}")
                except DatabaseError as exc:
                    problems.append(f"bảng {table}: {str(exc.orig).splitlines()[0]}")
            return problems or ["ok"]

    def orphan_values(self) -> int:
        """Values whose report no longer exists (foreign keys prevent them; old files may have some)."""
        with self.db.connection() as c:
            return c.scalar("SELECT count(*) FROM report_values WHERE report_id NOT IN (SELECT id FROM reports)")

    @maps_write_errors
    def delete_orphan_values(self) -> int:
        with self._write() as c:
            return c.run("DELETE FROM report_values WHERE report_id NOT IN (SELECT id FROM reports)")


def _column(value: Any, clean: Callable[[Any], Any]) -> Any:
    """An entity given to :meth:`Store.update_report` as its column's stored form."""
    if isinstance(value, (UnitProfile, DocumentHeader)):
        return clean(value.to_json())
    if isinstance(value, Period):
        return value.spec
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value
