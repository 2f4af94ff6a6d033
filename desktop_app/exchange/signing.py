"""Installation keys: each installation signs its bundles with its own Ed25519 key.

The private key is 32 random bytes (the Ed25519 seed), made at first start and kept in the
data folder's database (so a backup keeps it; a bundle never carries it). The public key
travels in every bundle with a short fingerprint a person can read over the phone
(``ABCD-EFGH-IJKL-MNOP``: the first 80 bits of its SHA-256, in base 32).

``cryptography`` is imported only when a key signs or checks, never at start-up.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any

from desktop_app.domain.entities import UnitProfile
from desktop_app.errors import UserError

ENROLMENT_FORMAT = "baocaoxa.enrolment"
MAX_ENROLMENT_BYTES = 16 * 1024


def new_seed() -> str:
    """A new private key (base64 of the 32-byte Ed25519 seed); cheap, no crypto import."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _raw_public(public_key: str) -> bytes:
    try:
        raw = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if len(raw) != 32:
        raise ValueError("not an Ed25519 public key")
    return raw


def fingerprint(public_key: str) -> str:
    """``ABCD-EFGH-IJKL-MNOP`` for a base64 public key."""
    digest = hashlib.sha256(_raw_public(public_key)).digest()[:10]
    text = base64.b32encode(digest).decode("ascii")
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def valid_public_key(public_key: Any) -> bool:
    try:
        return isinstance(public_key, str) and len(public_key) == 44 and bool(_raw_public(public_key))
    except ValueError:
        return False


class SigningKey:
    """This installation's key pair."""

    def __init__(self, seed: str):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self._private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed))
        raw = self._private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode("ascii")
        self.fingerprint = fingerprint(self.public_key)

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self._private.sign(data)).decode("ascii")


def verify(public_key: str, signature: str, data: bytes) -> bool:
    """True only when ``signature`` (base64) is the key's Ed25519 signature of ``data``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(_raw_public(public_key))
        raw_signature = base64.b64decode(signature, validate=True)
        key.verify(raw_signature, data)
        return True
    except (InvalidSignature, ValueError, binascii.Error, TypeError):
        return False


# --- enrolment files: a key registered at the office before the first bundle ---------------

def _enrolment_payload(doc: dict[str, Any]) -> bytes:
    body = {k: doc.get(k) for k in ("format", "unit_code", "unit_name", "public_key", "fingerprint", "created_at")}
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")


def enrolment_document(key: SigningKey, profile: UnitProfile) -> dict[str, Any]:
    doc = {"format": ENROLMENT_FORMAT, "unit_code": profile.code, "unit_name": profile.name,
           "public_key": key.public_key, "fingerprint": key.fingerprint,
           "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    doc["signature"] = key.sign(_enrolment_payload(doc))  # proves the file was made with the private key
    return doc


def write_enrolment(path: Path, key: SigningKey, profile: UnitProfile) -> dict[str, Any]:
    from desktop_app.atomic import write_bytes_atomic

    doc = enrolment_document(key, profile)
    write_bytes_atomic(path, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
    return doc


def read_enrolment(path: Path) -> dict[str, str]:
    """unit_code, unit_name, public_key, fingerprint of a checked enrolment file."""
    from desktop_app.exchange.bundle_schema import Enrolment, SchemaError, check

    label = f"Tệp đăng ký «{path.name}»"
    try:
        if path.stat().st_size > MAX_ENROLMENT_BYTES:
            raise UserError(f"{label} quá lớn để là một tệp đăng ký khóa.")
        raw = path.read_bytes()
    except OSError:
        raise UserError(f"Không đọc được tệp đăng ký «{path}».") from None
    try:
        doc = check(Enrolment, raw)
    except SchemaError as exc:
        raise UserError(f"{label} không hợp lệ: {exc}") from None
    if fingerprint(doc.public_key) != doc.fingerprint or not verify(
            doc.public_key, doc.signature, _enrolment_payload(doc.model_dump())):
        raise UserError(f"{label} không khớp chữ ký (bị sửa hoặc không phải tệp do BaoCaoXa tạo).")
    from desktop_app.domain.text import one_line

    # shown on one line beside the fingerprint (registry, held list): no line breaks, no bidi
    return {"unit_code": doc.unit_code, "unit_name": one_line(doc.unit_name), "public_key": doc.public_key,
            "fingerprint": doc.fingerprint}
