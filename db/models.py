"""The store's schema as SQLAlchemy models: what a new Alembic migration is generated from
(``alembic revision --autogenerate``), and what tests/test_store.py checks the migrated schema
against. The program reads and writes through :mod:`db.sql`, never through these classes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.sql import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class UnitProfile(Base):
    """This installation's own unit (one row): who writes the reports here."""

    __tablename__ = "unit_profile"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8))
    scheme: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # name, kind, province, villages, signer…
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    unit_code: Mapped[str] = mapped_column(String(8), index=True)
    unit: Mapped[dict[str, Any]] = mapped_column(JSON)
    template_id: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    origin: Mapped[str] = mapped_column(String(36), default="")
    last_section: Mapped[str | None] = mapped_column(String(64))
    # The revision both sides last agreed on (set when a bundle brings this report in): a local
    # revision above it means "edited here since", which makes a newer incoming one a conflict.
    sync_base: Mapped[int | None] = mapped_column(Integer, default=None)
    # Who vouched for the stored version when it came in a bundle: the fingerprint of the key
    # that signed it, or ``unsigned`` set when a format-1 bundle was let in ("chưa ký").
    signed_by: Mapped[str | None] = mapped_column(String(40), default=None)
    unsigned: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    values: Mapped[list[ReportValue]] = relationship(back_populates="report", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_reports_template_period", "template_id", "period"),)


class ReportValue(Base):
    """One field's value; a repeating table is stored whole as a list of rows."""

    __tablename__ = "report_values"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    field_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    report: Mapped[Report] = relationship(back_populates="values")


class DraftInput(Base):
    """Text typed into a field (or a part or cell of it) that does not read as the field's kind.

    Kept exactly as typed so nothing is lost; it is never a value: documents and bundles read
    only ``report_values``. Keys: ``field``, ``field.part`` (docref, ratio), ``field[row].column``.
    """

    __tablename__ = "draft_inputs"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Every change: what, old and new value, when, who. Never deleted by the app."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    who: Mapped[str] = mapped_column(String(128), default="")
    report_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(32))
    field_id: Mapped[str | None] = mapped_column(String(64))
    old: Mapped[Any] = mapped_column(JSON, nullable=True)
    new: Mapped[Any] = mapped_column(JSON, nullable=True)
    note: Mapped[str | None] = mapped_column(Text)


class Conflict(Base):
    """An incoming version that could not replace the local one: both are kept until resolved."""

    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    incoming: Mapped[dict[str, Any]] = mapped_column(JSON)
    bundle_id: Mapped[str] = mapped_column(String(36))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    resolution: Mapped[str | None] = mapped_column(String(16))


class ImportedBundle(Base):
    """Bundles already applied: importing the same file again changes nothing.

    A bundle is known by the SHA-256 of its file (``digest``); its ``bundle_id`` alone proves
    nothing (anyone can copy an id into another file)."""

    __tablename__ = "imported_bundles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_id: Mapped[str] = mapped_column(String(36), index=True)
    digest: Mapped[str | None] = mapped_column(String(64), unique=True)  # None: imported before format 2
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source_unit: Mapped[str] = mapped_column(String(8))
    signed_by: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class SenderKey(Base):
    """The receiving side's registry: which public key speaks for which unit.

    ``status``: trusted (bundles signed by it are applied), retired (replaced by a newer key
    the person accepted), rejected (refused by the person: its bundles are refused)."""

    __tablename__ = "sender_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(8), index=True)
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    public_key: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    how: Mapped[str] = mapped_column(String(16))  # first-bundle | enrolment | accepted-change
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    __table_args__ = (UniqueConstraint("unit_code", "public_key", name="uq_sender_keys_unit_key"),)


class HeldBundle(Base):
    """A bundle signed by a key other than the one registered for its unit: kept, not applied,
    until the person accepts the new key or rejects the bundle."""

    __tablename__ = "held_bundles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    bundle_id: Mapped[str] = mapped_column(String(36))
    file_name: Mapped[str] = mapped_column(String(255))
    kept_as: Mapped[str] = mapped_column(String(255))  # file name under the data folder's ``held/``
    unit_code: Mapped[str] = mapped_column(String(8))
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    public_key: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decision: Mapped[str | None] = mapped_column(String(16))


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
