"""The repository: every read and write of the store goes through :class:`Store`.

Each public write runs in its own transaction and commits before returning, so an
edit the caller has been told about is on disk (WAL, synchronous=FULL).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import String, delete, func, insert, select, type_coerce
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from db.engine import StoreError, current_revision, make_engine, maps_write_errors, migrate, write_failure_message
from db.models import (
    AuditEntry, Conflict, DraftInput, ImportedBundle, Report, ReportValue, Setting, UnitProfile, utcnow,
)
from db.preflight import check_before_open
from db.senders import HeldRecord, SenderKeyRecord, SenderRegistry  # noqa: F401 - records are part of the API

DB_FILENAME = "baocaoxa.sqlite3"


@dataclass
class ReportRecord:
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
    values: dict[str, Any] = field(default_factory=dict)
    sync_base: int | None = None
    signed_by: str | None = None
    unsigned: bool = False


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


def _record(report: Report, with_values: bool) -> ReportRecord:
    return ReportRecord(
        id=report.id, uid=report.uid, unit_code=report.unit_code, unit=dict(report.unit or {}),
        template_id=report.template_id, template_version=report.template_version, period=report.period,
        status=report.status, document=dict(report.document or {}), revision=report.revision,
        origin=report.origin, last_section=report.last_section, created_at=report.created_at,
        updated_at=report.updated_at, deleted_at=report.deleted_at,
        values={v.field_id: v.value for v in report.values} if with_values else {},
        sync_base=report.sync_base, signed_by=report.signed_by, unsigned=bool(report.unsigned),
    )


@dataclass
class ConflictRecord:
    id: int
    report_id: int
    incoming: dict[str, Any]
    bundle_id: str
    received_at: dt.datetime


def _insert_values(s: Session, report_id: int, values: dict[str, Any]) -> None:
    """All of a report's values in one executemany (hundreds of ORM objects cost far more)."""
    rows = [{"report_id": report_id, "field_id": k, "value": v, "updated_at": utcnow()}
            for k, v in values.items() if v is not None]
    if rows:
        s.execute(insert(ReportValue), rows)


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class DatabaseDamaged(StoreError):
    """The database file fails its check: it is not opened for writing."""


class Store(SenderRegistry):
    def __init__(self, data_dir: Path, clean: Callable[[Any], Any] | None = None):
        """``clean`` is applied to every text-bearing value written (the services pass
        ``desktop_app.domain.text.clean_deep``): one place, so every path into the store gets it."""
        self._clean = clean or (lambda value: value)
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_FILENAME
        self.backup_dir = self.data_dir / "backups"
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._quick_check()
            self.engine = make_engine(self.path)
            self.migration_backup = migrate(self.engine, self.path, self.backup_dir)
        except (OperationalError, DatabaseError) as exc:
            raise StoreError(f"Không mở được cơ sở dữ liệu {self.path}: {exc.orig}") from exc
        except OSError as exc:
            raise StoreError(f"Không tạo được thư mục dữ liệu {self.data_dir}: {exc.strerror}") from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _quick_check(self) -> None:
        """Refuse a file that must not be written (read-only, locked, newer, damaged) before any write."""
        check_before_open(self.path, damaged=DatabaseDamaged)

    def close(self) -> None:
        self.engine.dispose()

    def schema_revision(self) -> str | None:
        return current_revision(self.engine)

    def _session(self) -> Session:
        return self._sessions()

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
    def get_profile(self) -> dict[str, Any] | None:
        with self._session() as s:
            row = s.get(UnitProfile, 1)
            return None if row is None else dict(row.data)

    @maps_write_errors
    def set_profile(self, data: dict[str, Any], who: str = "") -> None:
        data = self._clean(data)
        with self._session() as s, s.begin():
            row = s.get(UnitProfile, 1)
            old = None if row is None else dict(row.data)
            if row is None:
                s.add(UnitProfile(id=1, code=data["code"], scheme=data.get("scheme", ""), data=data))
            else:
                row.code, row.scheme, row.data, row.updated_at = data["code"], data.get("scheme", ""), data, utcnow()
            s.add(AuditEntry(who=who, action="profile", old=old, new=data))

    # --- reports -------------------------------------------------------------------
    @maps_write_errors
    def create_report(self, *, unit: dict[str, Any], template_id: str, template_version: str, period: str,
                      document: dict[str, Any], values: dict[str, Any] | None = None, origin: str = "",
                      uid: str | None = None, revision: int = 0, status: str = "draft",
                      who: str = "", action: str = "create", note: str | None = None) -> int:
        unit, document, values, note = self._clean(unit), self._clean(document), self._clean(values), self._clean(note)
        with self._session() as s, s.begin():
            report = Report(
                uid=uid or uuid.uuid4().hex, unit_code=unit.get("code") or "", unit=unit,
                template_id=template_id, template_version=template_version, period=period,
                document=document, origin=origin, revision=revision, status=status,
            )
            s.add(report)
            s.flush()
            _insert_values(s, report.id, values or {})
            s.add(AuditEntry(who=who, report_id=report.id, action=action, note=note,
                             new={"template": template_id, "period": period}))
            return report.id

    def list_reports(self, include_deleted: bool = False, with_values: bool = False, *,
                     unit_code: str | None = None, template_id: str | None = None) -> list[ReportRecord]:
        with self._session() as s:
            query = select(Report).order_by(Report.updated_at.desc())
            if not include_deleted:
                query = query.where(Report.deleted_at.is_(None))
            if unit_code is not None:
                query = query.where(Report.unit_code == unit_code)
            if template_id is not None:
                query = query.where(Report.template_id == template_id)
            if with_values:  # every report's values in one more query, not one query per report
                query = query.options(selectinload(Report.values))
            return [_record(r, with_values) for r in s.scalars(query)]

    def template_periods(self, template_id: str) -> list[str]:
        """Every period spec that reports of this template use."""
        with self._session() as s:
            query = select(Report.period).where(Report.template_id == template_id,
                                                Report.deleted_at.is_(None)).distinct()
            return list(s.scalars(query))

    def reports_of_period(self, template_id: str, periods: list[str]) -> list[ReportRecord]:
        """Every report of one template and period, values included: what a consolidation reads.

        The values come back as one JSON object per report (SQLite builds it), which keeps
        thousands of reports quick to load."""
        with self._session() as s:
            wanted = (Report.template_id == template_id, Report.period.in_(periods), Report.deleted_at.is_(None))
            records = [_record(r, False) for r in s.scalars(select(Report).where(*wanted))]
        return self.with_values(records)

    def with_values(self, records: list[ReportRecord]) -> list[ReportRecord]:
        """Fill in the records' values in one query (a lazy load per report costs far more)."""
        by_id = {r.id: r for r in records}
        with self._session() as s:
            for chunk in _chunks(list(by_id), 500):  # SQLite caps the parameters of one statement
                objects = select(
                    ReportValue.report_id,
                    type_coerce(func.json_group_object(ReportValue.field_id, func.json(ReportValue.value)), String),
                ).where(ReportValue.report_id.in_(chunk)).group_by(ReportValue.report_id)
                for report_id, text in s.execute(objects):
                    by_id[report_id].values = {k: v for k, v in json.loads(text).items() if v is not None}
        return records

    def units_by_period(self) -> list[tuple[str, str, str]]:
        """(template id, period, unit code) for every report there is, each once."""
        with self._session() as s:
            query = (select(Report.template_id, Report.period, Report.unit_code)
                     .where(Report.deleted_at.is_(None)).distinct())
            return [(t, p, u) for t, p, u in s.execute(query)]

    def get_report(self, report_id: int) -> ReportRecord | None:
        with self._session() as s:
            report = s.get(Report, report_id)
            return None if report is None else _record(report, True)

    def find_report(self, *, uid: str | None = None, unit_code: str | None = None, template_id: str | None = None,
                    period: str | None = None, include_deleted: bool = False) -> ReportRecord | None:
        with self._session() as s:
            query = select(Report) if include_deleted else select(Report).where(Report.deleted_at.is_(None))
            if uid:
                query = query.where(Report.uid == uid)
            else:
                query = query.where(Report.unit_code == unit_code, Report.template_id == template_id,
                                    Report.period == period)
            report = s.scalars(query.order_by(Report.id.desc())).first()
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
            report = s.get(Report, report_id)
            if report is None:
                raise StoreError(f"Không có báo cáo số {report_id}.")
            self._set_drafts(s, report_id, drafts, who)
            existing = {v.field_id: v for v in report.values}
            if replace_all:  # a checked import: it replaces what was typed, unreadable text included
                changes = {**{k: None for k in existing}, **changes}
                s.execute(delete(DraftInput).where(DraftInput.report_id == report_id))
            changed = 0
            now = utcnow()
            for field_id, new in changes.items():
                row = existing.get(field_id)
                old = None if row is None else row.value
                if old == new:
                    continue
                if new is None:
                    s.delete(row)
                elif row is None:
                    s.add(ReportValue(report_id=report_id, field_id=field_id, value=new, updated_at=now))
                else:
                    row.value, row.updated_at = new, now
                s.add(AuditEntry(who=who, report_id=report_id, action=action, field_id=field_id,
                                 old=old, new=new, note=note))
                changed += 1
            if changed:
                report.revision += 1
                report.updated_at = now
            return changed

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
        columns = {k: (self._clean(v) if k in ("document", "unit", "period") else v) for k, v in columns.items()}
        note = self._clean(note)
        with self._session() as s, s.begin():
            report = s.get(Report, report_id)
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
            s.execute(delete(Report).where(Report.id == report_id))

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
            return s.scalars(select(ImportedBundle.id).where(ImportedBundle.digest == digest)).first() is not None

    def bundle_id_sources(self, bundle_id: str) -> list[tuple[str, str | None]]:
        """(source unit, digest) of every applied bundle that carried this id."""
        with self._session() as s:
            rows = s.execute(select(ImportedBundle.source_unit, ImportedBundle.digest)
                             .where(ImportedBundle.bundle_id == bundle_id))
            return [(u, d) for u, d in rows]

    def apply_bundle(self, bundle_id: str, digest: str, source_unit: str, docs: list[dict[str, Any]],
                     decide: Callable[[ReportRecord | None, dict[str, Any]], str], *, who: str = "",
                     signed_by: str | None = None, new_key: dict[str, str] | None = None) -> list | None:
        """Decide and apply every report of one bundle in a single write transaction.

        The decision (``decide(local record or None, document)`` → new | update | same |
        conflict) is taken inside the transaction that applies it, so an edit committed in
        between cannot be overwritten. A report stored for another unit than ``source_unit``
        refuses the whole bundle (ForeignReport). ``new_key`` (unit_code, unit_name,
        public_key, fingerprint) registers a first-contact sender in the same transaction.
        Returns [(kind, document)], or None when this file was applied meanwhile."""
        docs = self._clean(docs)
        plan: list[tuple[str, dict[str, Any]]] = []
        try:
            with self._session() as s, s.begin():
                if s.scalars(select(ImportedBundle.id).where(ImportedBundle.digest == digest)).first() is not None:
                    return None
                if new_key is not None:
                    self._register_first_contact(s, new_key)
                counts: dict[str, int] = {}
                for doc in docs:
                    report = s.scalars(select(Report).where(Report.uid == doc["uid"])).first()
                    if report is not None and report.unit_code != source_unit:
                        raise ForeignReport(
                            f"báo cáo «{doc['uid']}» đã có ở đây là của đơn vị {report.unit_code}, không phải của "
                            f"đơn vị gửi ({source_unit}): một đơn vị chỉ được gửi báo cáo của chính mình.")
                    local = None if report is None else _record(report, True)
                    kind = decide(local, doc)
                    counts[kind] = counts.get(kind, 0) + 1
                    self._apply_one(s, bundle_id, kind, doc, report, who, source_unit)
                    # the unit as stored here (an update never takes the sender's name for it)
                    plan.append((kind, doc if report is None else {**doc, "unit": dict(report.unit or {})}))
                s.add(ImportedBundle(bundle_id=bundle_id, digest=digest, source_unit=source_unit,
                                     signed_by=signed_by, summary=counts))
        except IntegrityError as exc:
            raise StoreError("Gói này vừa được nhập ở một lần nhập khác chạy cùng lúc; không ghi gì thêm.") from exc
        except (OperationalError, DatabaseError) as exc:
            raise StoreError(write_failure_message(exc)) from exc
        return plan

    def _apply_one(self, s: Session, bundle_id: str, kind: str, doc: dict[str, Any], report: Report | None,
                   who: str, source_unit: str) -> None:
        if kind == "new":
            report = Report(uid=doc["uid"], unit_code=source_unit, unit=doc.get("unit") or {},
                            template_id=doc["template"], template_version=doc["template_version"],
                            period=doc["period"], document=doc.get("document") or {}, revision=doc["revision"],
                            origin=doc.get("origin") or "", status=doc.get("status") or "draft",
                            sync_base=doc["revision"], signed_by=doc.get("signed_by"),
                            unsigned=bool(doc.get("unsigned")))
            s.add(report)
            s.flush()
            _insert_values(s, report.id, doc.get("values") or {})
            s.add(AuditEntry(who=who, report_id=report.id, action="bundle-new", note=bundle_id))
        elif kind == "update":
            old_revision = report.revision
            self._replace_from(s, report, doc)
            s.add(AuditEntry(who=who, report_id=report.id, action="bundle-update", note=bundle_id,
                             old={"revision": old_revision}, new={"revision": doc["revision"]}))
        elif kind == "conflict":
            s.add(Conflict(report_id=report.id, incoming=doc, bundle_id=bundle_id))
            s.add(AuditEntry(who=who, report_id=report.id, action="bundle-conflict", note=bundle_id))

    @staticmethod
    def _replace_from(s: Session, report: Report, doc: dict[str, Any]) -> None:
        """The incoming version replaces ours. Its unit stays ours (code, name, province): only
        the sender's own facts (villages, signer) follow the sender."""
        s.execute(delete(ReportValue).where(ReportValue.report_id == report.id))
        _insert_values(s, report.id, doc.get("values") or {})
        incoming_unit = doc.get("unit") or {}
        report.unit = {**(report.unit or {}),
                       **{k: incoming_unit[k] for k in ("villages", "signer_name", "signer_title")
                          if k in incoming_unit}}
        report.document = doc.get("document") or report.document
        report.template_version = doc["template_version"]
        report.revision = report.sync_base = doc["revision"]
        report.origin = doc.get("origin") or report.origin
        report.status = doc.get("status") or report.status
        report.signed_by, report.unsigned = doc.get("signed_by"), bool(doc.get("unsigned"))
        report.deleted_at = None  # a conflict with a deleted report resolved for the incoming one restores it
        report.updated_at = utcnow()

    def open_conflicts(self) -> list[ConflictRecord]:
        with self._session() as s:
            rows = s.scalars(select(Conflict).where(Conflict.resolved_at.is_(None)).order_by(Conflict.id))
            return [ConflictRecord(c.id, c.report_id, c.incoming, c.bundle_id, c.received_at) for c in rows]

    @maps_write_errors
    def resolve_conflict(self, conflict_id: int, keep: str, who: str = "") -> None:
        """keep = local (ours stays; the incoming version is remembered as seen) or incoming."""
        with self._session() as s, s.begin():
            conflict = s.get(Conflict, conflict_id)
            if conflict is None or conflict.resolved_at is not None:
                raise StoreError(f"Không có xung đột số {conflict_id} đang chờ xử lý.")
            report = s.get(Report, conflict.report_id)
            incoming_revision = conflict.incoming["revision"]
            if keep == "incoming":
                self._replace_from(s, report, conflict.incoming)
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
        with self.engine.connect() as conn:
            return [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]

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


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value
