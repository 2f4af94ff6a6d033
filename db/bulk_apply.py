"""Applying many bundles in one go: the bulk import's write side (see :meth:`db.store.Store.apply_bundles`).

One bundle at a time costs ~16 statements; a province imports thousands. Here a run of
bundles whose reports are all new is written with a handful of statements (multi-row inserts,
one executemany for every value), inside one savepoint, after every decision was taken inside
that same transaction. A bundle that touches a report already stored (an update, a conflict,
a foreign report) goes through the one-bundle path, in its place in the order, so it sees
what the bundles before it wrote. The same statements serve SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from db.engine import StoreError
from db.senders import first_contact_needs_row
from db.sql import Connection, Database, in_chunks, json_dumps, placeholders, utcnow
from desktop_app.domain.entities import IncomingReport, Report

if TYPE_CHECKING:
    from db.store import Store

MAX_VARIABLES = 999  # per statement: SQLite's lowest limit, far below what PostgreSQL takes

_REPORT_COLUMNS = ("uid", "unit_code", "unit", "template_id", "template_version", "period", "document", "revision",
                   "origin", "status", "sync_base", "signed_by", "unsigned", "last_section", "created_at",
                   "updated_at", "deleted_at")
# An audit value given as None is stored as JSON's null text, as SQLAlchemy's JSON type stored it
# (none_as_null=False); a value an entry does not have at all is SQL NULL.
NO_VALUE = json_dumps(None)
INSERT_REPORT = f"INSERT INTO reports ({', '.join(_REPORT_COLUMNS)}) VALUES ({placeholders(len(_REPORT_COLUMNS))})"


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


def json_text(value: Any) -> str:
    """The JSON text of ``value`` as the store writes it (:data:`db.sql.json_dumps`), without a
    whole encoder run for the scalars most values are (the same text: the encoder does exactly this)."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)  # what JSONEncoder(ensure_ascii=False).encode does with a str
    if kind is int:
        return int.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    return json_dumps(value)


def new_report_params(db: Database, new: Report, unit_code: str, clean: Callable[[Any], Any], now) -> tuple:
    """The :data:`INSERT_REPORT` parameters of a report a bundle brings for the first time."""
    stamp = db.stamp(now)
    return (new.uid, unit_code, json_dumps(clean(new.unit.to_json())), new.template_id, new.template_version,
            new.period.spec, json_dumps(clean(new.document.to_json())), new.revision, new.origin,
            new.status or "draft", new.revision, new.signed_by, bool(new.unsigned), None, stamp, stamp, None)


class BulkWriter:
    """Writes runs of all-new bundles with few statements; inside the caller's transaction."""

    def __init__(self, store: Store, conn: Connection, decide: Callable[[Report | None, IncomingReport], str],
                 who: str):
        self.store, self.conn, self.decide, self.who = store, conn, decide, who
        self.db = conn.database
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
            # locked for the transaction on PostgreSQL (SQLite's write lock covers it)
            query = f"SELECT uid FROM reports WHERE uid IN ({placeholders(len(chunk))}){self.db.for_update}"
            found.update(uid for (uid,) in self.conn.rows(query, tuple(chunk)))
        return found

    # --- a run of all-new bundles ------------------------------------------------------------
    def _write_run(self, run: list[_Staged], results: list[Plan | None]) -> None:
        if not run:
            return
        now = utcnow()
        stamp = self.db.stamp(now)
        self._claim(run, stamp)
        claimed = [staged for staged in run if staged.claim_id is not None]
        self._register_keys([staged.write for staged in claimed], stamp)
        reports = [new_report_params(self.db, item.report, staged.write.source_unit, self.clean, now)
                   for staged in claimed for item in staged.write.incoming]
        ids = self._insert_returning("reports", _REPORT_COLUMNS, reports, "uid")
        values, audit, summaries = [], [], []
        for staged in claimed:
            for item in staged.write.incoming:
                report_id = ids[item.report.uid]
                values.append((report_id, self.clean(item.report.values)))
                audit.append((stamp, self.who, report_id, "bundle-new", None, NO_VALUE, NO_VALUE,
                              staged.write.bundle_id))
            counts = {"new": len(staged.write.incoming)} if staged.write.incoming else {}  # as the one-bundle path
            summaries.append((json_dumps(counts), staged.claim_id))
            results[staged.index] = [("new", item.report) for item in staged.write.incoming]
        self._insert_values(values, stamp)
        self.conn.many('INSERT INTO audit_log (at, who, report_id, action, field_id, "old", "new", note) '
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", audit)
        self.conn.many("UPDATE imported_bundles SET summary = ? WHERE id = ?", summaries)

    def _claim(self, run: list[_Staged], stamp: Any) -> None:
        """The digest is the arbiter (as in the one-bundle path): a digest already there is not claimed."""
        if len({s.write.digest for s in run}) != len(run):
            raise StoreError("one digest twice in one run")  # the caller never sends that; one by one decides
        rows = [(s.write.bundle_id, s.write.digest, s.write.source_unit, s.write.signed_by, "{}", stamp) for s in run]
        claimed = self._insert_returning(
            "imported_bundles", ("bundle_id", "digest", "source_unit", "signed_by", "summary", "imported_at"), rows,
            "digest", on_conflict_do_nothing="digest")
        for staged in run:
            staged.claim_id = claimed.get(staged.write.digest)

    def _register_keys(self, writes: list[BundleWrite], stamp: Any) -> None:
        """First-contact senders, with the rule of the one-bundle path (senders.first_contact_needs_row)."""
        keys = [w.new_key for w in writes if w.new_key is not None]
        if not keys:
            return
        registered: dict[str, list[tuple[str, str]]] = {}
        for chunk in in_chunks(sorted({k["unit_code"] for k in keys}), 500):
            query = ("SELECT unit_code, public_key, status FROM sender_keys "
                     f"WHERE unit_code IN ({placeholders(len(chunk))})")
            for unit, public_key, status in self.conn.rows(query, tuple(chunk)):
                registered.setdefault(unit, []).append((public_key, status))
        rows = []
        for key in keys:
            if not first_contact_needs_row(key, registered.get(key["unit_code"], [])):
                continue
            registered[key["unit_code"]] = [(key["public_key"], "trusted")]
            rows.append((key["unit_code"], key["unit_name"], key["public_key"], key["fingerprint"], "trusted",
                         "first-bundle", stamp, None))
        self.conn.many("INSERT INTO sender_keys (unit_code, unit_name, public_key, fingerprint, status, how, added_at, "
                       "decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    # --- statements -----------------------------------------------------------------------------
    def _insert_returning(self, table: str, columns: Sequence[str], rows: list[tuple], key: str, *,
                          on_conflict_do_nothing: str | None = None) -> dict[Any, int]:
        """Multi-row INSERT … RETURNING id, key; {key: id} of the rows inserted."""
        out: dict[Any, int] = {}
        if not rows:
            return out
        per_row = f"({placeholders(len(columns))})"
        conflict = f" ON CONFLICT ({on_conflict_do_nothing}) DO NOTHING" if on_conflict_do_nothing else ""
        for chunk in in_chunks(rows, max(1, MAX_VARIABLES // len(columns))):
            sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join(per_row for _ in chunk)}"
                   f"{conflict} RETURNING id, {key}")
            for row_id, row_key in self.conn.rows(sql, tuple(v for row in chunk for v in row)):
                out[row_key] = row_id
        if not on_conflict_do_nothing and len(out) != len(rows):
            raise StoreError("not every row was inserted")
        return out

    def _insert_values(self, values: list[tuple[int, dict[str, Any]]], stamp: Any) -> None:
        """Every value of the run (each report's, cleaned) in one executemany: the hot part, a
        hundred rows per report. None is no value (as in the one-bundle path)."""
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
                    add((report_id, k, json_text(v), stamp))
        self.conn.many("INSERT INTO report_values (report_id, field_id, value, updated_at) VALUES (?, ?, ?, ?)", params)
