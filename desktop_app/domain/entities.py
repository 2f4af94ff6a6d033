"""The typed core entities: a report, its unit and its document header.

The store maps them from its rows; the rest of the app passes them around. JSON (the wire
keys ``template``, ``period`` as a string…) exists only at the edges — the CLI, ``import-json``
and sync bundles — through each entity's ``to_json()`` / ``from_json()``.

Only :mod:`desktop_app.domain.periods` is imported here (db/ maps rows to these entities and
may import nothing above the domain).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from desktop_app.domain.periods import Period, parse_period

REPORT_FORMAT = "baocaoxa.report/1"


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(_text(v) for v in value if v is not None)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if not value:
        return None
    return dt.date.fromisoformat(str(value))


@dataclass(frozen=True)
class UnitProfile:
    """The unit a report speaks for (the profile chosen at setup, or a sender's unit)."""

    code: str = ""
    scheme: str = ""
    name: str = ""
    short_name: str = ""
    kind: str = ""
    level: str = ""
    province_code: str = ""
    province_name: str = ""
    district_code: str | None = None
    district_name: str | None = None
    villages: tuple[str, ...] = ()
    signer_name: str = ""
    signer_title: str = ""
    role: str = ""  # commune | province | department | district (desktop_app.domain.roles); "" before roles
    body_name: str = ""  # a department's name: «Sở Khoa học và Công nghệ»

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["villages"] = list(self.villages)
        for key in ("role", "body_name"):  # a unit without a role reads as it did before roles existed
            if not data[key]:
                del data[key]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> UnitProfile:
        """Unknown keys are ignored; missing ones take their defaults."""
        data = data if isinstance(data, Mapping) else {}
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            raw = data[f.name]
            if f.name == "villages":
                values[f.name] = _texts(raw)
            elif f.name in ("district_code", "district_name"):
                values[f.name] = _optional_text(raw)
            else:
                values[f.name] = _text(raw)
        return cls(**values)

    def with_changes(self, **changes: Any) -> UnitProfile:
        if "villages" in changes:
            changes["villages"] = _texts(changes["villages"])
        return replace(self, **changes)

    @property
    def display_name(self) -> str:
        return self.name or self.code


@dataclass(frozen=True)
class DocumentHeader:
    """The official document's own details: number, date, place, signer, recipients."""

    number: str = ""
    date: dt.date | None = None
    place: str = ""
    signer: str = ""
    signing_authority: str = ""
    signer_title: str = ""
    recipients: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "date": self.date.isoformat() if self.date else None, "place": self.place,
                "signer": self.signer, "signing_authority": self.signing_authority,
                "signer_title": self.signer_title, "recipients": list(self.recipients)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> DocumentHeader:
        """A date that does not read as YYYY-MM-DD raises ValueError (checked documents never have one)."""
        data = data if isinstance(data, Mapping) else {}
        return cls(number=_text(data.get("number")), date=_date(data.get("date")), place=_text(data.get("place")),
                   signer=_text(data.get("signer")), signing_authority=_text(data.get("signing_authority")),
                   signer_title=_text(data.get("signer_title")), recipients=_texts(data.get("recipients")))

    def with_changes(self, **changes: Any) -> DocumentHeader:
        """Changes as the editor sends them: the date as a date or YYYY-MM-DD text, recipients a list."""
        if "date" in changes:
            changes["date"] = _date(changes["date"])
        if "recipients" in changes:
            changes["recipients"] = _texts(changes["recipients"])
        for key in ("number", "place", "signer", "signing_authority", "signer_title"):
            if key in changes:
                changes[key] = _text(changes[key])
        return replace(self, **changes)

    @property
    def blank(self) -> bool:
        return self == DocumentHeader()


@dataclass
class Report:
    """One report: what it is (template, period, unit), what it says (header, values) and its
    bookkeeping (revision, origin, sync base, times — UTC as stored)."""

    template_id: str
    template_version: str
    period: Period
    unit: UnitProfile = field(default_factory=UnitProfile)
    document: DocumentHeader = field(default_factory=DocumentHeader)
    values: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    uid: str = ""
    unit_code: str = ""
    status: str = "draft"
    revision: int = 0
    origin: str = ""
    last_section: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = None
    sync_base: int | None = None
    signed_by: str | None = None
    unsigned: bool = False

    def __post_init__(self) -> None:
        if not self.unit_code:
            self.unit_code = self.unit.code

    def to_json(self) -> dict[str, Any]:
        """The report JSON document: what ``report show --json`` prints and a bundle carries."""
        return {
            "format": REPORT_FORMAT,
            "template": self.template_id,
            "template_version": self.template_version,
            "period": self.period.spec,
            "unit": self.unit.to_json(),
            "document": self.document.to_json(),
            "values": dict(self.values),
            "uid": self.uid,
            "revision": self.revision,
            "origin": self.origin,
            "status": self.status,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        """A report from a document already checked (``parse_document``, a bundle, a DB column).
        A period that does not parse raises :class:`desktop_app.domain.periods.PeriodError`."""
        unit = UnitProfile.from_json(data.get("unit"))
        signed_by = data.get("signed_by")
        return cls(
            template_id=_text(data.get("template")), template_version=_text(data.get("template_version")),
            period=parse_period(_text(data.get("period"))), unit=unit,
            document=DocumentHeader.from_json(data.get("document")), values=dict(data.get("values") or {}),
            uid=_text(data.get("uid")), unit_code=unit.code, status=_text(data.get("status")) or "draft",
            revision=int(data.get("revision") or 0), origin=_text(data.get("origin")),
            signed_by=None if signed_by is None else _text(signed_by), unsigned=bool(data.get("unsigned")))


@dataclass(frozen=True)
class IncomingReport:
    """A report as a sync bundle brings it: the report, what its sender's version grew from
    (``base_revision``) and the hash of what it says, both for deciding new/update/conflict."""

    report: Report
    content_hash: str
    base_revision: int | None = None

    def to_json(self) -> dict[str, Any]:
        """As kept beside a conflict (the DB column) until the person chooses a version."""
        return {**self.report.to_json(), "base_revision": self.base_revision, "content_hash": self.content_hash,
                "signed_by": self.report.signed_by, "unsigned": self.report.unsigned}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IncomingReport:
        base = data.get("base_revision")
        return cls(Report.from_json(data), _text(data.get("content_hash")), None if base is None else int(base))
