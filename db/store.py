"""The repository: every read and write of the store goes through :class:`Store`.

Each public write runs in its own transaction and commits before returning, so an
edit the caller has been told about is on disk (WAL, synchronous=FULL).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator, cast

from sqlalchemy import String, Table, Text, bindparam, cast as sql_cast, delete, func, select, type_coerce, update
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from db import server
from db.engine import (
    StoreError, _json_dumps, current_revision, in_chunks, is_sqlite, make_engine, maps_write_errors, migrate,
    write_failure_message,
)
from db.models import AuditEntry, Conflict, DraftInput, ImportedBundle, ReportValue, Setting, utcnow
from db.models import Report as ReportRow, UnitProfile as ProfileRow
from desktop_app.domain.entities import DocumentHeader, IncomingReport, Report, UnitProfile
from desktop_app.domain.periods import Period, parse_period
from db.bulk_apply import BundleWrite, new_report_row
from db.preflight import check_before_open
from db.senders import HeldRecord, SenderKeyRecord, SenderRegistry  # noqa: F401 - records are part of the API

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


def _record(report: ReportRow, with_values: bool) -> Report:
    """The entity of a row: the JSON columns (unit, document) and the period spec become typed."""
    return Report(
        id=report.id, uid=report.uid, unit_code=report.unit_code, unit=UnitProfile.from_json(report.unit),
        template_id=report.template_id, template_version=report.template_version,
        period=parse_period(report.period), status=report.status,
        document=DocumentHeader.from_json(report.document), revision=report.revision,
        origin=report.origin, last_section=report.last_section, created_at=report.created_at,
        updated_at=report.updated_at, deleted_at=report.deleted_at,
        values={v.field_id: v.value for v in report.values} if with_values else {},
        sync_base=report.sync_base, signed_by=report.signed_by, unsigned=bool(report.unsigned),
    )


@dataclass
class ConflictRecord:
    id: int
    report_id: int
    incoming: IncomingReport
    bundle_id: str
    received_at: dt.datetime


def _insert_values(s: Session, report_id: int, values: dict[str, Any]) -> None:
    """All of a report's values in one executemany (hundreds of ORM objects cost far more)."""
    now = utcnow()
    rows = [{"report_id": report_id, "field_id": k, "value": v, "updated_at": now}
            for k, v in values.items() if v is not None]
    if rows:  # Core on the session's connection: the ORM's per-row bookkeeping is not needed here
        s.connection().execute(_VALUES_TABLE.insert(), rows)


_VALUES_TABLE = cast(Table, ReportValue.__table__)
_REPORTS_TABLE = cast(Table, ReportRow.__table__)
_AUDIT_TABLE = cast(Table, AuditEntry.__table__)

# An autosave's statements, built once: building them per edit cost more than running them.
_V, _R = _VALUES_TABLE.c, _REPORTS_TABLE.c
_LOCK_REPORT = select(_R.id).where(_R.id == bindparam("b_report")).with_for_update()
_VALUES_OF = select(_V.field_id, _V.value).where(_V.report_id == bindparam("b_report"))
_SOME_VALUES_OF = _VALUES_OF.where(_V.field_id.in_(bindparam("b_fields", expanding=True)))
_ONE_VALUE = (_V.report_id == bindparam("b_report")) & (_V.field_id == bindparam("b_field"))
_DELETE_VALUE = delete(_VALUES_TABLE).where(_ONE_VALUE)
_UPDATE_VALUE = update(_VALUES_TABLE).where(_ONE_VALUE).values(value=bindparam("b_value"), updated_at=bindparam("b_at"))
_BUMP_REVISION = (update(_REPORTS_TABLE).where(_R.id == bindparam("b_report"))
                  .values(revision=_R.revision + 1, updated_at=bindparam("b_at")))
_IMPORTED_TABLE = cast(Table, ImportedBundle.__table__)
_IMPORTED_BY_DIGEST = select(_IMPORTED_TABLE.c.id).where(_IMPORTED_TABLE.c.digest == bindparam("digest"))
# locked for the transaction (PostgreSQL; SQLite's write lock covers it): the decision on a
# report cannot be overtaken by another PC between reading it and writing it
_REPORT_BY_UID = select(_REPORTS_TABLE.c.id).where(_REPORTS_TABLE.c.uid == bindparam("uid")).with_for_update()




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
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, IntegrityError) or code in _RETRY_SQLSTATES


class _Group:
    """One open transaction that many bundle imports share (see :meth:`Store.grouped`)."""

    def __init__(self, session: Session, size: int, seconds: float):
        self.session, self.size, self.seconds = session, size, seconds
        self.thread = threading.get_ident()
        self.pending = 0
        self.started = time.monotonic()
        self.after_commit: list[Callable[[], None]] = []

    def commit(self) -> None:
        self.session.commit()
        self.session.expunge_all()  # the next group reads afresh what other installations changed
        callbacks, self.after_commit = self.after_commit, []
        self.pending, self.started = 0, time.monotonic()
        for callback in callbacks:
            callback()

    def done(self, count: int) -> None:
        self.pending += count
        if self.pending >= self.size or time.monotonic() - self.started >= self.seconds:
            self.commit()


class _GroupSession:
    """What ``_session()`` hands out while a group is open on this thread: the group's session,
    where each ``begin()`` is a savepoint (one bundle, all or nothing) and closing closes nothing."""

    def __init__(self, session: Session):
        self._session = session

    def __enter__(self) -> _GroupSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def begin(self):
        return self._session.begin_nested()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


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
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _open_file(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._quick_check()
            self.engine = make_engine(self.path)
            self.migration_backup = migrate(self.engine, self.path, self.backup_dir)
        except (OperationalError, DatabaseError) as exc:
            raise StoreError(f"Không mở được cơ sở dữ liệu {self.path}: {exc.orig}") from exc
        except OSError as exc:
            raise StoreError(f"Không tạo được thư mục dữ liệu {self.data_dir}: {exc.strerror}") from exc

    def _open_server(self, url) -> None:
        """The shared PostgreSQL store: the server answers and is not newer, then migrations."""
        from sqlalchemy.exc import DBAPIError

        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)  # logs, templates, held files stay local
        except OSError as exc:
            raise StoreError(f"Không tạo được thư mục dữ liệu {self.data_dir}: {exc.strerror}") from exc
        self.engine = server.make_server_engine(url, _json_dumps)
        try:
            server.check_server(self.engine, url)
            self.migration_backup = migrate(self.engine, self.path, self.backup_dir)
        except DBAPIError as exc:
            self.engine.dispose()
            raise server.ServerUnavailable(server.unavailable_message(url, exc)) from None
        except StoreError:
            self.engine.dispose()
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
        self.engine.dispose()

    def schema_revision(self) -> str | None:
        return current_revision(self.engine)

    def _session(self) -> Session:
        if self._in_group():
            return cast(Session, _GroupSession(self._group.session))
        return self._sessions()

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
        group = _Group(self._sessions(), size, seconds)
        self._group = group
        try:
            yield
            group.commit()
        except (OperationalError, DatabaseError) as exc:
            raise StoreError(write_failure_message(exc)) from exc
        finally:
            self._group = None
            group.session.close()  # rolls back what was not committed

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


    # --- settings ------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._session() as s:
            row = s.get(Setting, key)
            return default if row is None else row.value

    @maps_write_errors
    def set_setting(self, key: str, value: Any) -> None:
        with self._session() as s, s.begin():
            row = s.get(Setting, key)
            if row is None:
                s.add(Setting(key=key, value=value))
            else:
                row.value = value

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
        with self._session() as s:
            row = s.get(ProfileRow, 1)
            return None if row is None else UnitProfile.from_json(row.data)

    @maps_write_errors
    def set_profile(self, profile: UnitProfile, who: str = "") -> None:
        data = self._clean(profile.to_json())
        with self._session() as s, s.begin():
            row = s.get(ProfileRow, 1)
            old = None if row is None else dict(row.data)
            if row is None:
                s.add(ProfileRow(id=1, code=profile.code, scheme=profile.scheme, data=data))
            else:
                row.code, row.scheme, row.data, row.updated_at = profile.code, profile.scheme, data, utcnow()
            s.add(AuditEntry(who=who, action="profile", old=old, new=data))

    # --- reports -------------------------------------------------------------------
    @maps_write_errors
    def create_report(self, *, unit: UnitProfile, template_id: str, template_version: str, period: Period,
                      document: DocumentHeader, values: dict[str, Any] | None = None, origin: str = "",
                      uid: str | None = None, revision: int = 0, status: str = "draft",
                      who: str = "", action: str = "create", note: str | None = None) -> int:
        unit_data, document_data = self._clean(unit.to_json()), self._clean(document.to_json())
        values, note = self._clean(values), self._clean(note)
        with self._session() as s, s.begin():
            report = ReportRow(
                uid=uid or uuid.uuid4().hex, unit_code=unit.code, unit=unit_data,
                template_id=template_id, template_version=template_version, period=period.spec,
                document=document_data, origin=origin, revision=revision, status=status,
            )
            s.add(report)
            s.flush()
            _insert_values(s, report.id, values or {})
            s.add(AuditEntry(who=who, report_id=report.id, action=action, note=note,
                             new={"template": template_id, "period": period.spec}))
            return report.id

    def list_reports(self, include_deleted: bool = False, with_values: bool = False, *,
                     unit_code: str | None = None, template_id: str | None = None) -> list[Report]:
        with self._session() as s:
            query = select(ReportRow).order_by(ReportRow.updated_at.desc())
            if not include_deleted:
                query = query.where(ReportRow.deleted_at.is_(None))
            if unit_code is not None:
                query = query.where(ReportRow.unit_code == unit_code)
            if template_id is not None:
                query = query.where(ReportRow.template_id == template_id)
            if with_values:  # every report's values in one more query, not one query per report
                query = query.options(selectinload(ReportRow.values))
            return [_record(r, with_values) for r in s.scalars(query)]

    def template_periods(self, template_id: str) -> list[Period]:
        """Every period that reports of this template use."""
        with self._session() as s:
            query = select(ReportRow.period).where(ReportRow.template_id == template_id,
                                                   ReportRow.deleted_at.is_(None)).distinct()
            return [parse_period(spec) for spec in s.scalars(query)]

    def reports_of_period(self, template_id: str, periods: list[Period]) -> list[Report]:
        """Every report of one template and period, values included: what a consolidation reads.

        The values come back as one JSON object per report (the database builds it), which
        keeps thousands of reports quick to load; the reports are read as plain rows (no ORM
        objects). On a shared PostgreSQL store both queries read one snapshot (REPEATABLE
        READ), so an import committed in between never shows a report without its values."""
        with self._session() as s:
            conn = s.connection() if self._in_group() or is_sqlite(self.engine) \
                else s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            table = _REPORTS_TABLE.c
            wanted = (table.template_id == template_id, table.period.in_([p.spec for p in periods]),
                      table.deleted_at.is_(None))
            records = [_record(cast(ReportRow, row), False)
                       for row in conn.execute(select(_REPORTS_TABLE).where(*wanted))]
            self._fill_values(conn, records)
        return records

    def with_values(self, records: list[Report]) -> list[Report]:
        """Fill in the records' values in one query (a lazy load per report costs far more)."""
        with self._session() as s:
            self._fill_values(s.connection(), records)
        return records

    def _fill_values(self, conn, records: list[Report]) -> None:
        by_id = {r.id: r for r in records}
        shared = _SharedText()
        for chunk in in_chunks(list(by_id), 500):  # SQLite caps the parameters of one statement
            objects = select(ReportValue.report_id, self._values_object()) \
                .where(ReportValue.report_id.in_(chunk)).group_by(ReportValue.report_id)
            for report_id, text in conn.execute(objects):
                by_id[report_id].values = shared.values(json.loads(text))

    def _in_group(self) -> bool:
        group = self._group
        return group is not None and group.thread == threading.get_ident()

    def _values_object(self):
        """One JSON object per report built by the database: field id → value, as text."""
        if is_sqlite(self.engine):
            return type_coerce(func.json_group_object(ReportValue.field_id, func.json(ReportValue.value)), String)
        return sql_cast(func.json_object_agg(ReportValue.field_id, ReportValue.value), Text)

    def units_by_period(self) -> list[tuple[str, Period, str]]:
        """(template id, period, unit code) for every report there is, each once."""
        with self._session() as s:
            query = (select(ReportRow.template_id, ReportRow.period, ReportRow.unit_code)
                     .where(ReportRow.deleted_at.is_(None)).distinct())
            return [(t, parse_period(p), u) for t, p, u in s.execute(query)]

    def get_report(self, report_id: int) -> Report | None:
        with self._session() as s:
            report = s.get(ReportRow, report_id)
            return None if report is None else _record(report, True)

    def find_report(self, *, uid: str | None = None, unit_code: str | None = None, template_id: str | None = None,
                    period: Period | None = None, include_deleted: bool = False) -> Report | None:
        with self._session() as s:
            query = select(ReportRow) if include_deleted else select(ReportRow).where(ReportRow.deleted_at.is_(None))
            if uid:
                query = query.where(ReportRow.uid == uid)
            else:
                query = query.where(ReportRow.unit_code == unit_code, ReportRow.template_id == template_id,
                                    ReportRow.period == (period.spec if period else None))
            report = s.scalars(query.order_by(ReportRow.id.desc())).first()
            return None if report is None else _record(report, True)

    def set_values(self, report_id: int, changes: dict[str, Any], who: str = "", action: str = "set",
                   replace_all: bool = False, note: str | None = None,
                   drafts: dict[str, str | None] | None = None) -> int:
        """Apply changes (None clears a field) in one transaction; returns how many values changed.

        ``drafts`` sets (text) or clears (None) unreadable typed text in the same transaction, so
        a field never shows an old value beside text that replaced it.
        """
        try:
            return self._set_values(report_id, changes, who, action, replace_all, note, drafts or {})
        except (OperationalError, DatabaseError) as exc:
            raise StoreError(write_failure_message(exc).replace("Thay đổi vừa rồi", "Số liệu vừa nhập")) from exc

    def _set_values(self, report_id: int, changes: dict[str, Any], who: str, action: str, replace_all: bool,
                    note: str | None, drafts: dict[str, str | None]) -> int:
        changes, note = self._clean(changes), self._clean(note)
        drafts = {key: self._clean(text) for key, text in drafts.items()}
        with self._session() as s, s.begin():
            # Core statements on the session's connection: an autosave is one field, and loading
            # the report and all its values as ORM objects cost ten times the write itself.
            conn = s.connection()
            found = conn.execute(_LOCK_REPORT, {"b_report": report_id}).first()  # two PCs editing one report: in turn
            if found is None:
                raise StoreError(f"Không có báo cáo số {report_id}.")
            if drafts:
                self._set_drafts(s, report_id, drafts, who)
            if replace_all:  # a checked import: it replaces what was typed, unreadable text included
                existing = {k: v for k, v in conn.execute(_VALUES_OF, {"b_report": report_id})}
                changes = {**{k: None for k in existing}, **changes}
                s.execute(delete(DraftInput).where(DraftInput.report_id == report_id))
            else:
                existing = {k: v for k, v in conn.execute(_SOME_VALUES_OF, {"b_report": report_id,
                                                                             "b_fields": list(changes)})}
            now = utcnow()
            audit, deleted, inserted, updated = [], [], [], []
            for field_id, new in changes.items():
                old = existing.get(field_id)
                if old == new:
                    continue
                if new is None:
                    deleted.append({"b_report": report_id, "b_field": field_id})
                elif field_id not in existing:
                    inserted.append({"report_id": report_id, "field_id": field_id, "value": new, "updated_at": now})
                else:
                    updated.append({"b_report": report_id, "b_field": field_id, "b_value": new, "b_at": now})
                audit.append({"at": now, "who": who, "report_id": report_id, "action": action, "field_id": field_id,
                              "old": old, "new": new, "note": note})
            if deleted:
                conn.execute(_DELETE_VALUE, deleted)
            if inserted:
                conn.execute(_VALUES_TABLE.insert(), inserted)
            if updated:
                conn.execute(_UPDATE_VALUE, updated)
            if audit:
                conn.execute(_AUDIT_TABLE.insert(), audit)
                conn.execute(_BUMP_REVISION, {"b_report": report_id, "b_at": now})
                s.expire_all()  # an ORM copy of this report in a shared (group) session is stale now
            return len(audit)

    @staticmethod
    def _set_drafts(s: Session, report_id: int, drafts: dict[str, str | None], who: str) -> None:
        for key, text in drafts.items():
            row = s.get(DraftInput, (report_id, key))
            old = None if row is None else row.text
            if old == text:
                continue
            if text is None:
                s.delete(row)
            elif row is None:
                s.add(DraftInput(report_id=report_id, key=key, text=text, updated_at=utcnow()))
            else:
                row.text, row.updated_at = text, utcnow()
            s.add(AuditEntry(who=who, report_id=report_id, action="draft", field_id=key.split(".")[0].split("[")[0],
                             old=old, new=text, note=key))

    def drafts(self, report_id: int) -> dict[str, str]:
        """Unreadable typed text of a report, by key (see :class:`db.models.DraftInput`)."""
        with self._session() as s:
            rows = s.execute(select(DraftInput.key, DraftInput.text).where(DraftInput.report_id == report_id))
            return {key: text for key, text in rows}

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
        with self._session() as s, s.begin():
            report = s.get(ReportRow, report_id, with_for_update=True)  # two PCs editing one report: in turn
            if report is None:
                raise StoreError(f"Không có báo cáo số {report_id}.")
            old = {k: _jsonable(getattr(report, k)) for k in columns}
            for key, value in columns.items():
                setattr(report, key, value)
            if set(columns) - {"last_section"}:
                if bump_revision and "revision" not in columns:
                    report.revision += 1
                report.updated_at = utcnow()
                s.add(AuditEntry(who=who, report_id=report_id, action=action, note=note,
                                 old=old, new={k: _jsonable(v) for k, v in columns.items()}))

    def delete_report(self, report_id: int, who: str = "", note: str | None = None) -> None:
        self.update_report(report_id, who=who, action="delete", note=note, bump_revision=False,
                           deleted_at=utcnow())

    def restore_report(self, report_id: int, who: str = "") -> None:
        self.update_report(report_id, who=who, action="restore", bump_revision=False, deleted_at=None)

    @maps_write_errors
    def purge_report(self, report_id: int) -> None:
        with self._session() as s, s.begin():
            s.execute(delete(ReportRow).where(ReportRow.id == report_id))

    def audit(self, report_id: int | None = None, limit: int = 1000) -> list[AuditRecord]:
        with self._session() as s:
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            if report_id is not None:
                query = query.where(AuditEntry.report_id == report_id)
            return [AuditRecord(a.id, a.at, a.who, a.report_id, a.action, a.field_id, a.old, a.new, a.note)
                    for a in s.scalars(query)]

    # --- sync bundles ----------------------------------------------------------------
    def bundle_imported(self, digest: str) -> bool:
        """This very file (by its SHA-256) was applied before."""
        with self._session() as s:
            return s.connection().execute(_IMPORTED_BY_DIGEST, {"digest": digest}).first() is not None

    def bundle_id_sources(self, bundle_id: str) -> list[tuple[str, str | None]]:
        """(source unit, digest) of every applied bundle that carried this id."""
        with self._session() as s:
            rows = s.connection().execute(select(ImportedBundle.source_unit, ImportedBundle.digest)
                                          .where(ImportedBundle.bundle_id == bundle_id))
            return [(u, d) for u, d in rows]

    def imported_digests(self, digests: list[str]) -> set[str]:
        """Those of ``digests`` whose bundle was applied before (one query per 500, not one each)."""
        found: set[str] = set()
        with self._session() as s:
            for chunk in in_chunks(sorted(set(digests)), 500):
                query = select(_IMPORTED_TABLE.c.digest).where(_IMPORTED_TABLE.c.digest.in_(chunk))
                found.update(digest for (digest,) in s.connection().execute(query))
        return found

    def bundle_id_sources_of(self, bundle_ids: list[str]) -> dict[str, list[tuple[str, str | None]]]:
        """:meth:`bundle_id_sources` of many ids at once: {bundle id: [(source unit, digest)]}."""
        found: dict[str, list[tuple[str, str | None]]] = {}
        table = _IMPORTED_TABLE.c
        with self._session() as s:
            for chunk in in_chunks(sorted(set(bundle_ids)), 500):
                query = select(table.bundle_id, table.source_unit, table.digest).where(table.bundle_id.in_(chunk)) \
                    .order_by(table.id)
                for bundle_id, unit, digest in s.connection().execute(query):
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
            except (OperationalError, DatabaseError) as exc:
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
                with self._session() as s, s.begin():
                    results = BulkWriter(self, s, decide, who, is_sqlite(self.engine)).run(writes)
            except Exception:  # noqa: BLE001 - rolled back whole; one by one tells what went wrong
                return None
            try:
                group.done(sum(plan is not None for plan in results))
            except (OperationalError, DatabaseError) as exc:
                raise StoreError(write_failure_message(exc)) from exc
            return results

    def _apply_bundle_once(self, bundle_id: str, digest: str, source_unit: str, incoming: list[IncomingReport],
                           decide: Callable[[Report | None, IncomingReport], str], who: str,
                           signed_by: str | None, new_key: dict[str, str] | None) -> list[tuple[str, Report]] | None:
        plan: list[tuple[str, Report]] = []
        with self._session() as s, s.begin():
            # The digest is the arbiter: the row is claimed first, so two installations
            # importing the same file at once apply it once (the second waits, then finds it).
            conn = s.connection()  # Core where the ORM adds nothing: thousands of bundles per import
            claimed = conn.execute(self._claim_digest(bundle_id, digest, source_unit, signed_by)).first()
            if claimed is None:
                return None
            if new_key is not None:
                self._register_first_contact(s, new_key)
            counts: dict[str, int] = {}
            for item in incoming:
                uid = item.report.uid
                found = conn.execute(_REPORT_BY_UID, {"uid": uid}).first()
                report = None if found is None else s.get(ReportRow, found[0], populate_existing=True)
                if report is not None and report.unit_code != source_unit:
                    raise ForeignReport(
                        f"báo cáo «{uid}» đã có ở đây là của đơn vị {report.unit_code}, không phải của "
                        f"đơn vị gửi ({source_unit}): một đơn vị chỉ được gửi báo cáo của chính mình.")
                local = None if report is None else _record(report, True)
                kind = decide(local, item)
                counts[kind] = counts.get(kind, 0) + 1
                self._apply_one(s, bundle_id, kind, item, report, who, source_unit)
                # the unit as stored here (an update never takes the sender's name for it)
                plan.append((kind, item.report if local is None else replace(item.report, unit=local.unit)))
            conn.execute(update(_IMPORTED_TABLE).where(_IMPORTED_TABLE.c.id == claimed[0]).values(summary=counts))
        return plan

    def _claim_digest(self, bundle_id: str, digest: str, source_unit: str, signed_by: str | None):
        """INSERT … ON CONFLICT (digest) DO NOTHING RETURNING id, in this store's dialect."""
        if is_sqlite(self.engine):
            from sqlalchemy.dialects import sqlite as dialect
        else:
            from sqlalchemy.dialects import postgresql as dialect  # type: ignore[no-redef]
        return (dialect.insert(ImportedBundle)
                .values(bundle_id=bundle_id, digest=digest, source_unit=source_unit, signed_by=signed_by, summary={},
                        imported_at=utcnow())
                .on_conflict_do_nothing(index_elements=[ImportedBundle.digest])
                .returning(ImportedBundle.id))

    def _apply_one(self, s: Session, bundle_id: str, kind: str, item: IncomingReport, report: ReportRow | None,
                   who: str, source_unit: str) -> None:
        new = item.report
        if kind == "new":
            # Core inserts: a bulk import makes thousands of these (the ORM unit of work costs more
            # than the rows). Nothing of the new report is in this session's identity map to go stale.
            now = utcnow()
            connection = s.connection()
            report_id = connection.execute(_REPORTS_TABLE.insert().returning(_REPORTS_TABLE.c.id),
                                           new_report_row(new, source_unit, self._clean, now)).scalar_one()
            _insert_values(s, report_id, self._clean(new.values))
            connection.execute(_AUDIT_TABLE.insert(), {"at": now, "who": who, "report_id": report_id,
                                                       "action": "bundle-new", "note": bundle_id,
                                                       "field_id": None, "old": None, "new": None})
        elif kind == "update":
            old_revision = report.revision
            self._replace_from(s, report, new)
            s.add(AuditEntry(who=who, report_id=report.id, action="bundle-update", note=bundle_id,
                             old={"revision": old_revision}, new={"revision": new.revision}))
        elif kind == "conflict":
            s.add(Conflict(report_id=report.id, incoming=self._clean(item.to_json()), bundle_id=bundle_id))
            s.add(AuditEntry(who=who, report_id=report.id, action="bundle-conflict", note=bundle_id))

    def _replace_from(self, s: Session, report: ReportRow, new: Report) -> None:
        """The incoming version replaces ours. Its unit stays ours (code, name, province): only
        the sender's own facts (villages, signer) follow the sender."""
        s.execute(delete(ReportValue).where(ReportValue.report_id == report.id))
        _insert_values(s, report.id, self._clean(new.values))
        ours = UnitProfile.from_json(report.unit)
        report.unit = self._clean(ours.with_changes(villages=new.unit.villages, signer_name=new.unit.signer_name,
                                                    signer_title=new.unit.signer_title).to_json())
        if not new.document.blank:
            report.document = self._clean(new.document.to_json())
        report.template_version = new.template_version
        report.revision = report.sync_base = new.revision
        report.origin = new.origin or report.origin
        report.status = new.status or report.status
        report.signed_by, report.unsigned = new.signed_by, new.unsigned
        report.deleted_at = None  # a conflict with a deleted report resolved for the incoming one restores it
        report.updated_at = utcnow()

    def open_conflicts(self) -> list[ConflictRecord]:
        with self._session() as s:
            rows = s.scalars(select(Conflict).where(Conflict.resolved_at.is_(None)).order_by(Conflict.id))
            return [ConflictRecord(c.id, c.report_id, IncomingReport.from_json(c.incoming), c.bundle_id,
                                   c.received_at) for c in rows]

    @maps_write_errors
    def resolve_conflict(self, conflict_id: int, keep: str, who: str = "") -> None:
        """keep = local (ours stays; the incoming version is remembered as seen) or incoming."""
        with self._session() as s, s.begin():
            # locked: two staff resolving the same conflict at once resolve it once
            conflict = s.get(Conflict, conflict_id, with_for_update=True, populate_existing=True)
            if conflict is None or conflict.resolved_at is not None:
                raise StoreError(f"Không có xung đột số {conflict_id} đang chờ xử lý.")
            report = s.get(ReportRow, conflict.report_id, with_for_update=True, populate_existing=True)
            incoming = IncomingReport.from_json(conflict.incoming).report
            incoming_revision = incoming.revision
            if keep == "incoming":
                self._replace_from(s, report, incoming)
            else:
                # Ours now follows theirs: past both revisions, grown from theirs, so the next
                # bundle we send replaces their version instead of being taken for an echo.
                report.sync_base = incoming_revision
                report.revision = max(report.revision, incoming_revision) + 1
                report.updated_at = utcnow()
            conflict.resolved_at, conflict.resolution = utcnow(), keep
            s.add(AuditEntry(who=who, report_id=report.id, action="conflict-resolved", note=keep,
                             old=None, new={"conflict": conflict_id}))

    def integrity_check(self) -> list[str]:
        """SQLite's full check of the file; on PostgreSQL the server keeps its own pages whole
        (checksums, WAL), so what applies is that every table answers a full read."""
        with self.engine.connect() as conn:
            if is_sqlite(self.engine):
                return [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
            problems = []
            for table in ("reports", "report_values", "draft_inputs", "audit_log", "conflicts", "imported_bundles",
                          "sender_keys", "held_bundles", "settings", "unit_profile"):
                try:
                    conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                except DatabaseError as exc:
                    conn.rollback()
                    problems.append(f"bảng {table}: {str(exc.orig).splitlines()[0]}")
            return problems or ["ok"]


    def orphan_values(self) -> int:
        """Values whose report no longer exists (foreign keys prevent them; old files may have some)."""
        with self.engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT count(*) FROM report_values WHERE report_id NOT IN (SELECT id FROM reports)").scalar()

    @maps_write_errors
    def delete_orphan_values(self) -> int:
        with self.engine.begin() as conn:
            return conn.exec_driver_sql(
                "DELETE FROM report_values WHERE report_id NOT IN (SELECT id FROM reports)").rowcount


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
