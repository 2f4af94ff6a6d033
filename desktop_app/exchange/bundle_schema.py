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

from desktop_app.domain.text import has_lone_surrogate

MAX_INT_DIGITS = 18
MAX_TEXT = 60_000  # above the longest value a field takes (values.MAX_LONG_TEXT), with room for CRLF
MAX_LIST = 2_000
MAX_DEPTH = 5
_INT_BOUND = 10**MAX_INT_DIGITS  # below it in size: at most MAX_INT_DIGITS digits


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
    kind = type(value)  # the common cases first: this runs on every value of every report
    if kind is int and -_INT_BOUND < value < _INT_BOUND:
        return value
    if kind is str and len(value) <= MAX_TEXT:
        return _no_surrogate(value)
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


# Written out (not built by a helper) so that type checkers see each one as a str.
_Clean = AfterValidator(_no_surrogate)
Text8 = Annotated[str, Field(max_length=8), _Clean]
Text10 = Annotated[str, Field(max_length=10), _Clean]
Text16 = Annotated[str, Field(max_length=16), _Clean]
Text32 = Annotated[str, Field(max_length=32), _Clean]
Text40 = Annotated[str, Field(max_length=40), _Clean]
Text64 = Annotated[str, Field(max_length=64), _Clean]
Text200 = Annotated[str, Field(max_length=200), _Clean]
Text500 = Annotated[str, Field(max_length=500), _Clean]
Id64 = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"), _Clean]
Version = Annotated[str, Field(max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"), _Clean]
Period = Annotated[str, Field(max_length=32, pattern=r"^[0-9A-Za-z.\-]+$"), _Clean]
Uid = Annotated[str, Field(max_length=36, pattern=r"^[0-9a-f][0-9a-f\-]{7,35}$"), _Clean]
UnitCode = Annotated[str, Field(max_length=8, pattern=r"^[0-9]{2,5}$"), _Clean]
Sha256 = Annotated[str, Field(max_length=64, pattern=r"^[0-9a-f]{64}$"), _Clean]
BundleId = Annotated[str, Field(max_length=32, pattern=r"^[0-9a-f]{32}$"), _Clean]
Member = Annotated[str, Field(max_length=255), _Clean]
Origin = Annotated[str, Field(max_length=64), _Clean]
Revision = Annotated[int, Field(ge=0, lt=2**53)]
PublicKey = Annotated[str, Field(max_length=44, pattern=r"^[A-Za-z0-9+/]{43}=$"), _Clean]
Fingerprint = Annotated[str, Field(max_length=19, pattern=r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$"), _Clean]
Signature = Annotated[str, Field(max_length=88, pattern=r"^[A-Za-z0-9+/]{86}==$"), _Clean]
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
    app_version: Text32
    bundle_id: BundleId
    created_at: Text40
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
    scheme: Text16 | None = None
    name: Text200 | None = None
    short_name: Text200 | None = None
    kind: Text32 | None = None
    level: Text16 | None = None
    province_code: Text8 | None = None
    province_name: Text200 | None = None
    district_code: Text8 | None = None
    district_name: Text200 | None = None
    villages: Annotated[list[Text200], Field(max_length=500)] | None = None
    signer_name: Text200 | None = None
    signer_title: Text200 | None = None
    role: Literal["", "commune", "province", "department", "district"] | None = None  # desktop_app.domain.roles
    body_name: Text200 | None = None  # a department's name


class Document(_Strict):
    number: Text64 | None = None
    date: Text10 | None = None
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
    created_at: Text40
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
