"""The receiving side's sender registry: each unit's keys, and bundles held aside.

Mixed into :class:`db.store.Store` (it uses the store's sessions); kept apart so the
store's module keeps to reports and bundles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import StoreError, in_chunks, maps_write_errors
from db.models import HeldBundle, SenderKey, utcnow


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


def _key_record(k: SenderKey) -> SenderKeyRecord:
    return SenderKeyRecord(k.id, k.unit_code, k.unit_name, k.public_key, k.fingerprint, k.status, k.how, k.added_at)


def _held_record(h: HeldBundle) -> HeldRecord:
    return HeldRecord(h.id, h.digest, h.bundle_id, h.file_name, h.kept_as, h.unit_code, h.unit_name, h.public_key,
                      h.fingerprint, h.received_at)



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

    _session: Callable[[], Session]  # provided by the Store this class is mixed into

    # --- the sender key registry -------------------------------------------------------
    def sender_keys(self, unit_code: str | None = None) -> list[SenderKeyRecord]:
        with self._session() as s:
            query = select(SenderKey).order_by(SenderKey.unit_code, SenderKey.id)
            if unit_code is not None:
                query = query.where(SenderKey.unit_code == unit_code)
            return [_key_record(k) for k in s.scalars(query)]

    def sender_keys_by_public_key(self, public_key: str) -> list[SenderKeyRecord]:
        """Every registration of one key, whatever its unit and status."""
        with self._session() as s:
            query = select(SenderKey).where(SenderKey.public_key == public_key).order_by(SenderKey.id)
            return [_key_record(k) for k in s.scalars(query)]

    def sender_keys_of(self, unit_codes: list[str], public_keys: list[str]
                       ) -> tuple[dict[str, list[SenderKeyRecord]], dict[str, list[SenderKeyRecord]]]:
        """:meth:`sender_keys` of many units and :meth:`sender_keys_by_public_key` of many keys, in
        a few queries: ({unit: its keys}, {public key: its registrations}), each in the same order."""
        by_unit: dict[str, list[SenderKeyRecord]] = {}
        by_key: dict[str, list[SenderKeyRecord]] = {}
        table = SenderKey.__table__
        with self._session() as s:
            conn = s.connection()  # Core rows: thousands of senders in a bulk import
            for chunk in in_chunks(sorted(set(unit_codes)), 500):
                query = select(table).where(table.c.unit_code.in_(chunk)).order_by(table.c.unit_code, table.c.id)
                for k in conn.execute(query):
                    by_unit.setdefault(k.unit_code, []).append(_key_record(cast(SenderKey, k)))
            for chunk in in_chunks(sorted(set(public_keys)), 500):
                query = select(table).where(table.c.public_key.in_(chunk)).order_by(table.c.id)
                for k in conn.execute(query):
                    by_key.setdefault(k.public_key, []).append(_key_record(cast(SenderKey, k)))
        return by_unit, by_key

    @staticmethod
    def _register_first_contact(s: Session, key: dict[str, str]) -> None:
        table = SenderKey.__table__
        rows = s.connection().execute(select(table.c.public_key, table.c.status)  # Core: once per bundle
                                      .where(table.c.unit_code == key["unit_code"])).all()
        if first_contact_needs_row(key, [(r.public_key, r.status) for r in rows]):
            s.add(SenderKey(**key, status="trusted", how="first-bundle"))

    @maps_write_errors
    def register_sender(self, key: dict[str, str], how: str, *, replace: bool = False,
                        alongside: bool = False) -> str:
        """Trust ``key`` (unit_code, unit_name, public_key, fingerprint) for its unit.

        Another trusted key of that unit is retired with ``replace``, kept trusted beside the
        new one with ``alongside`` (a second computer of the same unit), else refused.
        Returns added | already | replaced."""
        with self._session() as s, s.begin():
            rows = list(s.scalars(select(SenderKey).where(SenderKey.unit_code == key["unit_code"])))
            same = next((r for r in rows if r.public_key == key["public_key"]), None)
            others = [r for r in rows if r is not same and r.status == "trusted"]
            if alongside:
                others = []
            if others and not replace:
                raise StoreError(f"Đơn vị {key['unit_code']} đã có một khóa khác đang được tin cậy "
                                 f"(dấu khóa {others[0].fingerprint}).")
            now = utcnow()
            for other in others:
                other.status, other.decided_at = "retired", now
            if same is not None and same.status == "trusted":
                return "already"
            if same is None:
                s.add(SenderKey(**key, status="trusted", how=how, decided_at=now))
            else:
                same.status, same.how, same.decided_at = "trusted", how, now
            return "replaced" if others else "added"

    @maps_write_errors
    def reject_sender_key(self, key: dict[str, str]) -> None:
        """Remember a key as refused for a unit: its bundles for that unit are refused."""
        with self._session() as s, s.begin():
            row = s.scalars(select(SenderKey).where(SenderKey.unit_code == key["unit_code"],
                                                    SenderKey.public_key == key["public_key"])).first()
            if row is None:
                s.add(SenderKey(**key, status="rejected", how="decision", decided_at=utcnow()))
            elif row.status != "trusted":
                row.status, row.decided_at = "rejected", utcnow()

    # --- bundles held aside (another key for a known unit) -----------------------------
    @maps_write_errors
    def hold_bundle(self, **fields: str) -> bool:
        """Keep a bundle aside; False when this very file is already held."""
        with self._session() as s, s.begin():
            if s.scalars(select(HeldBundle.id).where(HeldBundle.digest == fields["digest"])).first() is not None:
                return False
            s.add(HeldBundle(**fields))
            return True

    def held_bundles(self) -> list[HeldRecord]:
        with self._session() as s:
            query = select(HeldBundle).where(HeldBundle.decided_at.is_(None)).order_by(HeldBundle.id)
            return [_held_record(h) for h in s.scalars(query)]

    @maps_write_errors
    def decide_held(self, held_id: int, decision: str) -> HeldRecord:
        with self._session() as s, s.begin():
            row = s.get(HeldBundle, held_id)
            if row is None or row.decided_at is not None:
                raise StoreError(f"Không có gói số {held_id} đang được giữ lại chờ quyết định.")
            row.decided_at, row.decision = utcnow(), decision
            return _held_record(row)

