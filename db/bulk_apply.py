"""Applying many bundles in one go: the bulk import's write side (see :meth:`db.store.Store.apply_bundles`).

One bundle at a time costs ~16 statements through SQLAlchemy's per-statement machinery; a
province imports thousands. Here a run of bundles whose reports are all new is written with a
handful of statements (multi-row inserts, one executemany for every value), inside one
savepoint, after every decision was taken inside that same transaction. A bundle that touches a
report already stored (an update, a conflict, a foreign report) goes through the one-bundle
path, in its place in the order, so it sees what the bundles before it wrote.

On SQLite the rows go to the driver as the column types' own bind processors make them (the
same text SQLAlchemy would write); on other databases through SQLAlchemy Core executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from db.engine import StoreError, in_chunks
from db.models import AuditEntry, ImportedBundle, Report as ReportRow, ReportValue, SenderKey, utcnow
from db.senders import first_contact_needs_row
from desktop_app.domain.entities import IncomingReport, Report

if TYPE_CHECKING:
    from db.store import Store

_REPORTS = cast(Table, ReportRow.__table__)
_VALUES = cast(Table, ReportValue.__table__)
_AUDIT = cast(Table, AuditEntry.__table__)
_IMPORTED = cast(Table, ImportedBundle.__table__)
_KEYS = cast(Table, SenderKey.__table__)
MAX_VARIABLES = 999  # per statement: SQLite's lowest limit, far below what PostgreSQL takes


@dataclass
class BundleWrite:
    """One checked bundle, as the store applies it (all of it or nothing)."""

    bundle_id: str
    digest: str
    source_unit: str
    incoming: list[IncomingReport]
    signed_by: str | None = None
    new_key: dict[str, str] | None = None  # unit_code, unit_name, public_key, fingerprint: first contact


Plan = list[tuple[str, Report]]


@dataclass
class _Staged:
    index: int
    write: BundleWrite
    claim_id: int | None = None
    report_ids: list[int] = field(default_factory=list)


def json_text(value: Any, as_json: Callable[[Any], Any]) -> Any:
    """What the JSON column's bind processor ``as_json`` makes of ``value``, without a whole
    encoder run for the scalars most values are (the same text: the encoder does exactly this)."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)  # what JSONEncoder(ensure_ascii=False).encode does with a str
    if kind is int:
        return int.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    return as_json(value)


def new_report_row(new: Report, unit_code: str, clean: Callable[[Any], Any], now) -> dict[str, Any]:
    """The reports-table row of a report a bundle brings for the first time (one or many at once)."""
    return {"uid": new.uid, "unit_code": unit_code, "unit": clean(new.unit.to_json()),
            "template_id": new.template_id, "template_version": new.template_version,
            "period": new.period.spec, "document": clean(new.document.to_json()),
            "revision": new.revision, "origin": new.origin, "status": new.status or "draft",
            "sync_base": new.revision, "signed_by": new.signed_by, "unsigned": bool(new.unsigned),
            "last_section": None, "created_at": now, "updated_at": now, "deleted_at": None}


class BulkWriter:
    """Writes runs of all-new bundles with few statements; inside the caller's transaction."""

    def __init__(self, store: Store, session: Session, decide: Callable[[Report | None, IncomingReport], str],
                 who: str, sqlite: bool):
        self.store, self.session, self.decide, self.who, self.sqlite = store, session, decide, who, sqlite
        self.conn = session.connection()
        self.clean = store._clean

    def run(self, writes: Sequence[BundleWrite]) -> list[Plan | None]:
        """[plan, or None when that bundle's digest was already applied]; raises on any failure."""
        results: list[Plan | None] = [None] * len(writes)
        stored = self._stored_uids([item.report.uid for w in writes for item in w.incoming])
        seen: set[str] = set()
        run: list[_Staged] = []
        for index, write in enumerate(writes):
            uids = [item.report.uid for item in write.incoming]
            # decided here, inside the transaction that applies it (a new report is "new" unless the
            # caller's rule says otherwise, which the one-bundle path then applies)
            simple = not (stored.intersection(uids) or seen.intersection(uids)) and \
                all(self.decide(None, item) == "new" for item in write.incoming)
            seen.update(uids)
            if simple:
                run.append(_Staged(index, write))
                continue
            self._write_run(run, results)
            run = []
            results[index] = self.store._apply_bundle_once(
                write.bundle_id, write.digest, write.source_unit, write.incoming, self.decide, self.who,
                write.signed_by, write.new_key)
        self._write_run(run, results)
        return results

    # --- reads ------------------------------------------------------------------------------
    def _stored_uids(self, uids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in in_chunks(sorted(set(uids)), 500):
            query = select(_REPORTS.c.uid).where(_REPORTS.c.uid.in_(chunk))
            if not self.sqlite:  # locked for the transaction (SQLite's write lock covers it)
                query = query.with_for_update()
            found.update(uid for (uid,) in self.conn.execute(query))
        return found

    # --- a run of all-new bundles ------------------------------------------------------------
    def _write_run(self, run: list[_Staged], results: list[Plan | None]) -> None:
        if not run:
            return
        now = utcnow()
        self._claim(run, now)
        claimed = [staged for staged in run if staged.claim_id is not None]
        self._register_keys([staged.write for staged in claimed], now)
        reports = []
        for staged in claimed:
            new_unit = staged.write.source_unit
            for item in staged.write.incoming:
                reports.append(new_report_row(item.report, new_unit, self.clean, now))
        ids = self._insert_returning(_REPORTS, reports, "uid")
        values, audit, summaries = [], [], []
        for staged in claimed:
            for item in staged.write.incoming:
                report_id = ids[item.report.uid]
                values.append((report_id, self.clean(item.report.values)))
                audit.append({"at": now, "who": self.who, "report_id": report_id, "action": "bundle-new",
                              "note": staged.write.bundle_id, "field_id": None, "old": None, "new": None})
            counts = {"new": len(staged.write.incoming)} if staged.write.incoming else {}  # as the one-bundle path
            summaries.append({"id": staged.claim_id, "summary": counts})
            results[staged.index] = [("new", item.report) for item in staged.write.incoming]
        self._insert_values(values, now)
        self._insert(_AUDIT, audit)
        self._set_summaries(summaries)

    def _claim(self, run: list[_Staged], now) -> None:
        """The digest is the arbiter (as in the one-bundle path): a digest already there is not claimed."""
        rows = [{"bundle_id": s.write.bundle_id, "digest": s.write.digest, "source_unit": s.write.source_unit,
                 "signed_by": s.write.signed_by, "summary": {}, "imported_at": now} for s in run]
        if len({s.write.digest for s in run}) != len(run):
            raise StoreError("one digest twice in one run")  # the caller never sends that; one by one decides
        claimed = self._insert_returning(_IMPORTED, rows, "digest", on_conflict_do_nothing="digest")
        for staged in run:
            staged.claim_id = claimed.get(staged.write.digest)

    def _register_keys(self, writes: list[BundleWrite], now) -> None:
        """First-contact senders, with the rule of the one-bundle path (senders.first_contact_needs_row)."""
        keys = [w.new_key for w in writes if w.new_key is not None]
        if not keys:
            return
        registered: dict[str, list[tuple[str, str]]] = {}
        for chunk in in_chunks(sorted({k["unit_code"] for k in keys}), 500):
            query = select(_KEYS.c.unit_code, _KEYS.c.public_key, _KEYS.c.status).where(_KEYS.c.unit_code.in_(chunk))
            for unit, public_key, status in self.conn.execute(query):
                registered.setdefault(unit, []).append((public_key, status))
        rows = []
        for key in keys:
            if not first_contact_needs_row(key, registered.get(key["unit_code"], [])):
                continue
            registered[key["unit_code"]] = [(key["public_key"], "trusted")]
            rows.append({**key, "status": "trusted", "how": "first-bundle", "added_at": now, "decided_at": None})
        self._insert(_KEYS, rows)

    # --- statements -----------------------------------------------------------------------------
    def _processors(self, table: Table) -> list[tuple[str, Callable[[Any], Any] | None]]:
        dialect = self.conn.dialect
        return [(c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in table.columns
                if not (c.primary_key and c.name == "id")]

    def _driver_rows(self, table: Table, rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple]]:
        columns = self._processors(table)
        return [name for name, _p in columns], [
            tuple(p(row[name]) if p is not None else row[name] for name, p in columns) for row in rows]

    def _insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if not self.sqlite:
            self.conn.execute(table.insert(), rows)
            return
        names, params = self._driver_rows(table, rows)
        self.conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(names)}) "
                                  f"VALUES ({', '.join('?' for _ in names)})", params)

    def _insert_returning(self, table: Table, rows: list[dict[str, Any]], key: str, *,
                          on_conflict_do_nothing: str | None = None) -> dict[Any, int]:
        """Multi-row INSERT … RETURNING id, key; {key: id} of the rows inserted."""
        out: dict[Any, int] = {}
        if not rows:
            return out
        if not self.sqlite:
            from sqlalchemy.dialects import postgresql

            for row in rows:  # one statement each: simple, and PostgreSQL is not this path's bottleneck
                statement = postgresql.insert(table).values(**row)
                if on_conflict_do_nothing:
                    statement = statement.on_conflict_do_nothing(index_elements=[on_conflict_do_nothing])
                found = self.conn.execute(statement.returning(table.c.id, table.c[key])).first()
                if found is not None:
                    out[found[1]] = found[0]
            return out
        names, params = self._driver_rows(table, rows)
        per_row = f"({', '.join('?' for _ in names)})"
        conflict = f" ON CONFLICT ({on_conflict_do_nothing}) DO NOTHING" if on_conflict_do_nothing else ""
        for chunk in in_chunks(params, max(1, MAX_VARIABLES // len(names))):
            sql = (f"INSERT INTO {table.name} ({', '.join(names)}) VALUES {', '.join(per_row for _ in chunk)}"
                   f"{conflict} RETURNING id, {key}")
            for row_id, row_key in self.conn.exec_driver_sql(sql, tuple(v for row in chunk for v in row)):
                out[row_key] = row_id
        if not on_conflict_do_nothing and len(out) != len(rows):
            raise StoreError("not every row was inserted")
        return out

    def _insert_values(self, values: list[tuple[int, dict[str, Any]]], now) -> None:
        """Every value of the run (each report's, cleaned) in one executemany: the hot part, a
        hundred rows per report. None is no value (as in the one-bundle path)."""
        if not self.sqlite:
            rows = [{"report_id": r, "field_id": k, "value": v, "updated_at": now}
                    for r, report_values in values for k, v in report_values.items() if v is not None]
            if rows:
                self.conn.execute(_VALUES.insert(), rows)
            return
        dialect = self.conn.dialect
        as_json = _VALUES.c.value.type.dialect_impl(dialect).bind_processor(dialect)
        at = _VALUES.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
        stamp = at(now) if at is not None else now
        if as_json is None:
            raise StoreError("JSON column without a bind processor")
        params: list[tuple] = []
        add, text, whole = params.append, encode_basestring, int.__repr__
        for report_id, report_values in values:
            for k, v in report_values.items():  # json_text inlined for the two commonest kinds
                kind = type(v)
                if kind is str:
                    add((report_id, k, text(v), stamp))
                elif kind is int:
                    add((report_id, k, whole(v), stamp))
                elif v is not None:
                    add((report_id, k, json_text(v, as_json), stamp))
        if params:
            self.conn.exec_driver_sql("INSERT INTO report_values (report_id, field_id, value, updated_at) "
                                      "VALUES (?, ?, ?, ?)", params)

    def _set_summaries(self, rows: list[dict[str, Any]]) -> None:
        if not self.sqlite:
            from sqlalchemy import bindparam, update

            self.conn.execute(update(_IMPORTED).where(_IMPORTED.c.id == bindparam("claim"))
                              .values(summary=bindparam("summary")),
                              [{"claim": r["id"], "summary": r["summary"]} for r in rows])
            return
        dialect = self.conn.dialect
        as_json = _IMPORTED.c.summary.type.dialect_impl(dialect).bind_processor(dialect)
        assert as_json is not None
        self.conn.exec_driver_sql("UPDATE imported_bundles SET summary = ? WHERE id = ?",
                                  [(as_json(r["summary"]), r["id"]) for r in rows])
