"""The receiving side's sender registry: each unit's keys, and bundles held aside.

Mixed into :class:`db.store.Store` (it uses the store's connections); kept apart so the
store's module keeps to reports and bundles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from db.engine import StoreError, maps_write_errors
from db.sql import Connection, Database, in_chunks, placeholders, read_time, utcnow


@dataclass
class SenderKeyRecord:
    id: int
    unit_code: str
    unit_name: str
    public_key: str
    fingerprint: str
    status: str
    how: str
    added_at: dt.datetime


@dataclass
class HeldRecord:
    id: int
    digest: str
    bundle_id: str
    file_name: str
    kept_as: str
    unit_code: str
    unit_name: str
    public_key: str
    fingerprint: str
    received_at: dt.datetime


_KEY_COLUMNS = "id, unit_code, unit_name, public_key, fingerprint, status, how, added_at"
_HELD_COLUMNS = ("id, digest, bundle_id, file_name, kept_as, unit_code, unit_name, public_key, fingerprint, "
                 "received_at")


def _key_record(row: tuple) -> SenderKeyRecord:
    """A row of ``SELECT {_KEY_COLUMNS}``."""
    id_, unit_code, unit_name, public_key, fingerprint, status, how, added_at = row
    return SenderKeyRecord(id_, unit_code, unit_name, public_key, fingerprint, status, how, read_time(added_at))


def _held_record(row: tuple) -> HeldRecord:
    """A row of ``SELECT {_HELD_COLUMNS}``."""
    id_, digest, bundle_id, file_name, kept_as, unit_code, unit_name, public_key, fingerprint, received_at = row[:10]
    return HeldRecord(id_, digest, bundle_id, file_name, kept_as, unit_code, unit_name, public_key, fingerprint,
                      read_time(received_at))


def first_contact_needs_row(key: dict[str, str], registered: list[tuple[str, str]]) -> bool:
    """Whether a first-contact ``key`` is still to be written, given the (public key, status) rows
    its unit has now; raises when another key was registered meanwhile (the caller decides
    again on the next import). The same key already there (another PC importing this unit's
    bundles at once, or a bundle before this one) needs nothing."""
    if len(registered) == 1 and registered[0] == (key["public_key"], "trusted"):
        return False
    if registered:
        raise StoreError(f"Khóa của đơn vị {key['unit_code']} vừa được đăng ký ở một lần nhập khác; "
                         "hãy nhận lại gói.")
    return True


class SenderRegistry:
    """Key registry and held bundles (see the module doc)."""

    # provided by the Store this class is mixed into
    db: Database
    _read: Callable[[], AbstractContextManager[Connection]]
    _write: Callable[[], AbstractContextManager[Connection]]

    # --- the sender key registry -------------------------------------------------------
    def sender_keys(self, unit_code: str | None = None) -> list[SenderKeyRecord]:
        where, params = ("WHERE unit_code = ? ", (unit_code,)) if unit_code is not None else ("", ())
        with self._read() as c:
            return [_key_record(k) for k in c.rows(f"SELECT {_KEY_COLUMNS} FROM sender_keys {where}"
                                                   "ORDER BY unit_code, id", params)]

    def sender_keys_by_public_key(self, public_key: str) -> list[SenderKeyRecord]:
        """Every registration of one key, whatever its unit and status."""
        with self._read() as c:
            return [_key_record(k) for k in c.rows(f"SELECT {_KEY_COLUMNS} FROM sender_keys WHERE public_key = ? "
                                                   "ORDER BY id", (public_key,))]

    def sender_keys_of(self, unit_codes: list[str], public_keys: list[str]
                       ) -> tuple[dict[str, list[SenderKeyRecord]], dict[str, list[SenderKeyRecord]]]:
        """:meth:`sender_keys` of many units and :meth:`sender_keys_by_public_key` of many keys, in
        a few queries: ({unit: its keys}, {public key: its registrations}), each in the same order."""
        by_unit: dict[str, list[SenderKeyRecord]] = {}
        by_key: dict[str, list[SenderKeyRecord]] = {}
        with self._read() as c:
            for chunk in in_chunks(sorted(set(unit_codes)), 500):
                for row in c.rows(f"SELECT {_KEY_COLUMNS} FROM sender_keys WHERE unit_code IN "
                                  f"({placeholders(len(chunk))}) ORDER BY unit_code, id", tuple(chunk)):
                    record = _key_record(row)
                    by_unit.setdefault(record.unit_code, []).append(record)
            for chunk in in_chunks(sorted(set(public_keys)), 500):
                for row in c.rows(f"SELECT {_KEY_COLUMNS} FROM sender_keys WHERE public_key IN "
                                  f"({placeholders(len(chunk))}) ORDER BY id", tuple(chunk)):
                    record = _key_record(row)
                    by_key.setdefault(record.public_key, []).append(record)
        return by_unit, by_key

    def _register_first_contact(self, c: Connection, key: dict[str, str]) -> None:
        rows = c.rows("SELECT public_key, status FROM sender_keys WHERE unit_code = ?", (key["unit_code"],))
        if first_contact_needs_row(key, [(public_key, status) for public_key, status in rows]):
            self._add_key(c, key, "trusted", "first-bundle", None)

    def _add_key(self, c: Connection, key: dict[str, str], status: str, how: str, decided_at) -> None:
        c.run("INSERT INTO sender_keys (unit_code, unit_name, public_key, fingerprint, status, how, added_at, "
              "decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              (key["unit_code"], key.get("unit_name", ""), key["public_key"], key["fingerprint"], status, how,
               self.db.stamp(utcnow()), self.db.stamp(decided_at)))

    @maps_write_errors
    def register_sender(self, key: dict[str, str], how: str, *, replace: bool = False,
                        alongside: bool = False) -> str:
        """Trust ``key`` (unit_code, unit_name, public_key, fingerprint) for its unit.

        Another trusted key of that unit is retired with ``replace``, kept trusted beside the
        new one with ``alongside`` (a second computer of the same unit), else refused.
        Returns added | already | replaced."""
        with self._write() as c:
            rows = c.rows(f"SELECT id, public_key, status, fingerprint FROM sender_keys WHERE unit_code = ? "
                          f"ORDER BY id{self.db.for_update}", (key["unit_code"],))
            same = next((r for r in rows if r[1] == key["public_key"]), None)
            others = [r for r in rows if r is not same and r[2] == "trusted"]
            if alongside:
                others = []
            if others and not replace:
                raise StoreError(f"Đơn vị {key['unit_code']} đã có một khóa khác đang được tin cậy "
                                 f"(dấu khóa {others[0][3]}).")
            now = utcnow()
            c.many("UPDATE sender_keys SET status = 'retired', decided_at = ? WHERE id = ?",
                   [(self.db.stamp(now), other[0]) for other in others])
            if same is not None and same[2] == "trusted":
                return "already"
            if same is None:
                self._add_key(c, key, "trusted", how, now)
            else:
                c.run("UPDATE sender_keys SET status = 'trusted', how = ?, decided_at = ? WHERE id = ?",
                      (how, self.db.stamp(now), same[0]))
            return "replaced" if others else "added"

    @maps_write_errors
    def reject_sender_key(self, key: dict[str, str]) -> None:
        """Remember a key as refused for a unit: its bundles for that unit are refused."""
        with self._write() as c:
            row = c.first(f"SELECT id, status FROM sender_keys WHERE unit_code = ? AND public_key = ? "
                          f"ORDER BY id{self.db.for_update}", (key["unit_code"], key["public_key"]))
            if row is None:
                self._add_key(c, key, "rejected", "decision", utcnow())
            elif row[1] != "trusted":
                c.run("UPDATE sender_keys SET status = 'rejected', decided_at = ? WHERE id = ?",
                      (self.db.stamp(utcnow()), row[0]))

    # --- bundles held aside (another key for a known unit) -----------------------------
    @maps_write_errors
    def hold_bundle(self, **fields: str) -> bool:
        """Keep a bundle aside; False when this very file is already held."""
        with self._write() as c:
            if c.first("SELECT id FROM held_bundles WHERE digest = ?", (fields["digest"],)) is not None:
                return False
            c.run("INSERT INTO held_bundles (digest, bundle_id, file_name, kept_as, unit_code, unit_name, public_key, "
                  "fingerprint, received_at, decided_at, decision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                  (fields["digest"], fields["bundle_id"], fields["file_name"], fields["kept_as"], fields["unit_code"],
                   fields.get("unit_name", ""), fields["public_key"], fields["fingerprint"], self.db.stamp(utcnow())))
            return True

    def held_bundles(self) -> list[HeldRecord]:
        with self._read() as c:
            return [_held_record(h) for h in c.rows(f"SELECT {_HELD_COLUMNS} FROM held_bundles "
                                                    "WHERE decided_at IS NULL ORDER BY id")]

    @maps_write_errors
    def decide_held(self, held_id: int, decision: str) -> HeldRecord:
        with self._write() as c:
            row = c.first(f"SELECT {_HELD_COLUMNS}, decided_at FROM held_bundles WHERE id = ?{self.db.for_update}",
                          (held_id,))
            if row is None or row[10] is not None:
                raise StoreError(f"Không có gói số {held_id} đang được giữ lại chờ quyết định.")
            c.run("UPDATE held_bundles SET decided_at = ?, decision = ? WHERE id = ?",
                  (self.db.stamp(utcnow()), decision, held_id))
            return _held_record(row)
