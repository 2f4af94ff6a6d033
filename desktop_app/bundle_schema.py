"""Typed schemas of everything a bundle, a part or an enrolment file may contain.

Checked before anything changes: types (strict — a list is not a uid, a dict is not a
name, an int is not a document number), lengths, digit counts of integers, allowed
statuses, and no lone surrogates. JSON is parsed with integers bounded to 18 digits (a
4,500-digit number is refused while parsing, not stored), NaN/Infinity and duplicate keys
refused.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from desktop_app.text import has_lone_surrogate

MAX_INT_DIGITS = 18
MAX_TEXT = 60_000  # above the longest value a field takes (values.MAX_LONG_TEXT), with room for CRLF
MAX_LIST = 2_000
MAX_DEPTH = 5


class SchemaError(ValueError):
    """The JSON is not what the format says; the message is Vietnamese."""


def _no_surrogate(value: str) -> str:
    if has_lone_surrogate(value):
        raise ValueError("ký tự không hợp lệ (nửa cặp thay thế UTF-16)")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise SchemaError(f"số nguyên quá dài ({len(text)} chữ số)")
    return int(text)


def _refuse_constant(name: str) -> float:
    raise SchemaError(f"giá trị «{name}» không phải số")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all different: with a key twice (two ``source_unit``), what a
    person or another tool reads first is not what this parser keeps (the last)."""
    data = dict(pairs)
    if len(data) != len(pairs):
        raise SchemaError("một mục xuất hiện hai lần trong cùng một đối tượng JSON")
    return data


def load_json(raw: bytes) -> Any:
    """JSON with bounded integers and no duplicate keys; raises SchemaError (never ValueError
    nor RecursionError)."""
    try:
        return json.loads(raw.decode("utf-8"), parse_int=_bounded_int, parse_constant=_refuse_constant,
                          object_pairs_hook=_unique_keys)
    except SchemaError:
        raise
    except UnicodeDecodeError:
        raise SchemaError("không phải văn bản UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise SchemaError(f"không phải JSON hợp lệ ({type(exc).__name__})") from None


def _json_value(value: Any, depth: int = 0) -> Any:
    """A report value: numbers, text, yes/no, lists and groups of them, within bounds."""
    if depth > MAX_DEPTH:
        raise ValueError("lồng nhau quá sâu")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if len(str(abs(value))) > MAX_INT_DIGITS:
            raise ValueError("số quá lớn")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("số không hợp lệ")
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValueError("văn bản quá dài")
        return _no_surrogate(value)
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            raise ValueError("danh sách quá dài")
        return [_json_value(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if len(value) > MAX_LIST:
            raise ValueError("nhóm quá nhiều mục")
        for key in value:
            if not isinstance(key, str) or len(key) > 64:
                raise ValueError("tên mục không hợp lệ")
            _no_surrogate(key)
        return {k: _json_value(v, depth + 1) for k, v in value.items()}
    raise ValueError("kiểu giá trị không hợp lệ")


def _text(max_length: int, pattern: str | None = None):
    return Annotated[str, Field(max_length=max_length, pattern=pattern), AfterValidator(_no_surrogate)]


Text200 = _text(200)
Text500 = _text(500)
Id64 = _text(64, r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
Version = _text(32, r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
Period = _text(32, r"^[0-9A-Za-z.\-]+$")
Uid = _text(36, r"^[0-9a-f][0-9a-f\-]{7,35}$")
UnitCode = _text(8, r"^[0-9]{2,5}$")
Sha256 = _text(64, r"^[0-9a-f]{64}$")
BundleId = _text(32, r"^[0-9a-f]{32}$")
Member = _text(255)
Origin = _text(64)
Revision = Annotated[int, Field(ge=0, lt=2**53)]
PublicKey = _text(44, r"^[A-Za-z0-9+/]{43}=$")
Fingerprint = _text(19, r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$")
Signature = _text(88, r"^[A-Za-z0-9+/]{86}==$")
JsonValue = Annotated[Any, AfterValidator(_json_value)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class _Lenient(BaseModel):  # unknown keys ignored (a newer writer may add some), known keys strict
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class TemplateRef(_Strict):
    id: Id64
    version: Version


class ReportEntry(_Strict):
    uid: Uid
    template: Id64
    template_version: Version
    period: Period
    revision: Revision
    origin: Origin
    content_hash: Sha256
    member: Member


class CarriedTemplate(_Strict):
    id: Id64
    version: Version
    member: Member


class Signer(_Strict):
    public_key: PublicKey
    fingerprint: Fingerprint


class Manifest(_Lenient):
    format: Literal["baocaoxa.bundle"]
    format_version: Literal[1, 2]
    app_version: _text(32)
    bundle_id: BundleId
    created_at: _text(40)
    source_unit: UnitCode | None = None
    source_name: Text200 | None = None
    origin: Origin
    templates: Annotated[list[TemplateRef], Field(max_length=1000)] = []
    reports: Annotated[list[ReportEntry], Field(max_length=5000)]
    carried_templates: Annotated[list[CarriedTemplate], Field(max_length=100)] = []
    members: Annotated[dict[Member, Sha256], Field(max_length=5000)]
    signer: Signer | None = None


class Unit(_Strict):
    code: UnitCode
    scheme: _text(16) | None = None
    name: Text200 | None = None
    short_name: Text200 | None = None
    kind: _text(32) | None = None
    level: _text(16) | None = None
    province_code: _text(8) | None = None
    province_name: Text200 | None = None
    district_code: _text(8) | None = None
    district_name: Text200 | None = None
    villages: Annotated[list[Text200], Field(max_length=500)] | None = None
    signer_name: Text200 | None = None
    signer_title: Text200 | None = None


class Document(_Strict):
    number: _text(64) | None = None
    date: _text(10) | None = None
    place: Text200 | None = None
    signer: Text200 | None = None
    signing_authority: Text200 | None = None
    signer_title: Text200 | None = None
    recipients: Annotated[list[Text500], Field(max_length=50)] | None = None


class ReportDoc(_Strict):
    format: Literal["baocaoxa.report/1"] = "baocaoxa.report/1"
    template: Id64
    template_version: Version
    period: Period
    unit: Unit
    document: Document = Document()
    values: Annotated[dict[Id64, JsonValue], Field(max_length=MAX_LIST)]
    uid: Uid
    revision: Revision
    base_revision: Revision | None = None
    origin: Origin
    status: Literal["draft", "final"]
    content_hash: Sha256


class PartMeta(_Strict):
    format: Literal["baocaoxa.bundle-part"]
    bundle_id: BundleId
    index: Annotated[int, Field(ge=1, le=999)]
    count: Annotated[int, Field(ge=1, le=999)]
    bundle_sha256: Sha256
    chunk_sha256: Sha256
    label: Text200 | None = None


class Enrolment(_Strict):
    format: Literal["baocaoxa.enrolment"]
    unit_code: UnitCode
    unit_name: Text200
    public_key: PublicKey
    fingerprint: Fingerprint
    created_at: _text(40)
    signature: Signature


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def check(model: type[BaseModel], raw: bytes | Any):
    """``raw`` (JSON bytes, or data already parsed) as ``model``; raises SchemaError in Vietnamese."""
    data = load_json(raw) if isinstance(raw, bytes) else raw
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(_short(str(p)) for p in first["loc"])[:120] or "gốc"  # keys come from the file
        more = f" (và {exc.error_count() - 1} lỗi khác)" if exc.error_count() > 1 else ""
        raise SchemaError(f"mục «{where}» sai kiểu hoặc quá dài ({first['type']}){more}") from None
