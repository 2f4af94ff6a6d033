"""The typed shape of a report template (see docs/templates.md for the author's guide).

The classes are plain frozen dataclasses: reading a template checked before (the program's
own cache) and everything the program does with a template needs nothing else. The
structure is checked by pydantic, on the same classes, only when a template text is read
from its file (:func:`validated`): a normal start never imports pydantic. Cross-references
(expressions, names in document text, duplicate ids) are checked by
:mod:`desktop_app.templating.loader`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field as _field, fields as _fields, MISSING
from enum import Enum
from typing import Annotated, Any, Literal

from desktop_app.domain.periods import PeriodKind

TEMPLATE_FORMAT = 1


@dataclass(frozen=True)
class Limits:
    """Limits of a value, applied by pydantic when a template is validated: the keys of its core
    schema for the annotated type (``pattern``, ``min_length`` / ``max_length`` of a text or a
    list, ``ge`` / ``le`` / ``gt`` of a number). Written as a marker so the model needs no pydantic."""

    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    ge: float | None = None
    le: float | None = None
    gt: float | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        schema.update({k: v for k, v in vars(self).items() if v is not None})
        return schema


Identifier = Annotated[str, Limits(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
Text = Annotated[str, Limits(min_length=1, max_length=4000)]
# A fixed cell of a declared table row: a code, a title, a group, a number.
DeclaredCell = Annotated[str, Limits(max_length=4000)] | bool | int | float


class FieldKind(str, Enum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    AMOUNT = "amount"
    RATIO = "ratio"
    PERCENTAGE = "percentage"
    YESNO = "yesno"
    CHOICE = "choice"
    TEXT = "text"
    LONG_TEXT = "long_text"
    DATE = "date"
    DOCREF = "docref"
    TABLE = "table"
    COMPUTED = "computed"


# What each kind does (parse, check, format, consolidation…) is in desktop_app/domain/fieldkinds.py.


class Display(str, Enum):
    """How a computed or numeric value is written (UI and document)."""

    NUMBER = "number"      # 22.040
    PADDED = "padded"      # 04
    PERCENT = "percent"    # 97,42%
    AMOUNT = "amount"      # 2.318.000đ
    AMOUNT_WORDS = "amount_words"  # 4,3 tỷ đồng


class UnitLevel(str, Enum):
    COMMUNE = "xa"
    DISTRICT = "huyen"
    PROVINCE = "tinh"


@dataclass(frozen=True, kw_only=True)
class Column:
    id: Identifier
    kind: FieldKind
    label: Text
    unit: str | None = None
    help: str | None = None
    required: bool = False
    min: float | None = None
    max: float | None = None
    decimals: Annotated[int, Limits(ge=0, le=6)] | None = None
    options: list[Text] | None = None
    total: bool = False
    expr: str | None = None
    display: Display | None = None
    width: Annotated[float, Limits(gt=0, le=100)] | None = None


@dataclass(frozen=True, kw_only=True)
class Field:
    id: Identifier
    kind: FieldKind
    label: Text
    unit: str | None = None
    help: str | None = None
    placeholder: str | None = None
    required: bool = False
    min: float | None = None
    max: float | None = None
    decimals: Annotated[int, Limits(ge=0, le=6)] | None = None
    options: list[Text] | None = None
    expr: str | None = None
    display: Display | None = None
    carry_forward: bool = False
    # How the receiving office consolidates this field over its units (default: by kind).
    aggregate: Literal["sum", "same", "gather", "none"] | None = None
    columns: list[Column] | None = None
    # villages: a table starts with one row per village of the unit profile;
    # village_count: a whole number starts as the number of those villages.
    prefill: Literal["villages", "village_count"] | None = None
    min_rows: Annotated[int, Limits(ge=0)] | None = None
    max_rows: Annotated[int, Limits(ge=1, le=5000)] | None = None
    # Rows declared by the template (an indicator list: code and title fixed, the unit answers the
    # other columns). Each row gives the fixed cells, column id → value; the table always has
    # exactly these rows, in this order (see desktop_app/domain/declared_rows.py).
    rows: Annotated[list[dict[Identifier, DeclaredCell]], Limits(min_length=1, max_length=1000)] | None = None

    def fixed_cell(self, row: int, column: str) -> bool:
        """Whether the template fixes this cell (a declared row's code, title…)."""
        return bool(self.rows) and 0 <= row < len(self.rows) and column in self.rows[row]


@dataclass(frozen=True, kw_only=True)
class Rule:
    check: str
    message: Text
    severity: Literal["error", "warning"] = "error"
    fields: list[Identifier] | None = None


ZERO_OMIT = "omit"  # Block.zero: leave the sentence out when the numbers it needs are all 0

_BLOCK_KEYS = ("heading", "text", "table", "paragraphs", "each")


@dataclass(frozen=True, kw_only=True)
class Block:
    """One piece of the exported document: a heading, a sentence, a table, free text."""

    heading: str | None = None
    level: Annotated[int, Limits(ge=1, le=4)] = 1
    text: str | None = None
    table: Identifier | None = None
    columns: list[Identifier] | None = None
    paragraphs: Identifier | None = None
    each: Identifier | None = None
    prefix: str | None = None
    when: str | None = None
    always: bool = False
    # What a sentence reads as when every number it needs is 0: "omit" leaves it out, any other
    # text is written instead (document text too, e.g. "Trên địa bàn chưa có trạm BTS."); unset: written as is.
    zero: Annotated[str, Limits(min_length=1, max_length=2000)] | None = None
    # A table's rows under group rows ("I. Dự án đã thực hiện", "II. Dự kiến…"), one group per
    # option of this choice column (in the options' order); the column itself is not repeated.
    group_by: Identifier | None = None
    group_titles: dict[Text, Text] | None = None  # option → the group row's words (default: the option)

    def __post_init__(self) -> None:
        present = {k for k in _BLOCK_KEYS if getattr(self, k) is not None}
        if "each" in present:
            if present != {"each", "text"}:
                raise ValueError("khối «each» phải có «text» (câu viết cho từng dòng) và không có mục nào khác")
            return
        if len(present) != 1:
            raise ValueError(
                "mỗi khối văn bản phải có đúng một trong các mục heading, text, table, paragraphs "
                "(hoặc each kèm text)"
            )

    @property
    def kind(self) -> str:
        if self.each is not None:
            return "each"
        return next(k for k in _BLOCK_KEYS if getattr(self, k) is not None)


@dataclass(frozen=True, kw_only=True)
class Section:
    id: Identifier
    title: Text
    help: str | None = None
    fields: list[Field] = _field(default_factory=list)
    rules: list[Rule] = _field(default_factory=list)
    body: list[Block] = _field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Signing:
    authority: str = "TM. ỦY BAN NHÂN DÂN"
    title: str = "CHỦ TỊCH"


@dataclass(frozen=True, kw_only=True)
class DocumentSpec:
    summary: Text
    # One style for every date the document's sentences write (ngay, ngay_ngan, vanban):
    # "short" 7/6/2023 as the seeds' prose, or "padded" 07/06/2023.
    date_style: Literal["short", "padded"] = "short"
    opening: list[Block] = _field(default_factory=list)
    closing: list[Block] = _field(default_factory=list)
    recipients: list[Text] = _field(default_factory=list)
    signing: Signing = _field(default_factory=Signing)


@dataclass(frozen=True, kw_only=True)
class Template:
    format: Literal[1]
    id: Annotated[str, Limits(pattern=r"^[a-z][a-z0-9_\-]{1,62}$")]
    version: Annotated[str, Limits(pattern=r"^[0-9]+(\.[0-9]+){0,3}$")]
    title: Text
    short_title: str | None = None
    description: str | None = None
    legal_basis: list[Text] = _field(default_factory=list)
    province: Annotated[str, Limits(pattern=r"^[0-9]{2}$")] | None = None
    effective_from: dt.date
    effective_to: dt.date | None = None
    # Offered first when a new report is made (the report most units of its levels need).
    suggested: bool = False
    unit_levels: Annotated[list[UnitLevel], Limits(min_length=1)]
    period_kinds: Annotated[list[PeriodKind], Limits(min_length=1)]
    sections: Annotated[list[Section], Limits(min_length=1)]
    rules: list[Rule] = _field(default_factory=list)
    document: DocumentSpec

    # --- convenient look-ups (not part of the file format) -------------------------
    def all_fields(self) -> list[Field]:
        return [f for s in self.sections for f in s.fields]

    def field(self, field_id: str) -> Field:
        for f in self.all_fields():
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    def section_of(self, field_id: str) -> Section:
        for s in self.sections:
            if any(f.id == field_id for f in s.fields):
                return s
        raise KeyError(field_id)

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.version)

    @property
    def display_title(self) -> str:
        """The name a person reads in lists and messages: the short title where there is one."""
        return self.short_title or self.title

    def in_effect(self, start: dt.date, end: dt.date) -> bool:
        """Whether the template applies to a period from ``start`` to ``end``."""
        return self.effective_from <= end and (self.effective_to is None or self.effective_to >= start)



# --- checking, dumping, rebuilding ----------------------------------------------------------------

@functools.cache
def _adapter() -> Any:
    """pydantic's validator and serialiser of :class:`Template` (built once, when first needed)."""
    from pydantic import ConfigDict, TypeAdapter

    for cls in (Column, Field, Rule, Block, Section, Signing, DocumentSpec, Template):
        # a file's unknown key is an error (setattr: mypy does not know pydantic's class attribute)
        setattr(cls, "__pydantic_config__", ConfigDict(extra="forbid"))  # noqa: B010
    return TypeAdapter(Template)


def validated(data: Any) -> Template:
    """The template ``data`` (read from a file) describes; raises pydantic's ValidationError."""
    return _adapter().validate_python(data)


def dumped(template: Template) -> dict[str, Any]:
    """The template as JSON data (what :func:`validated` and :func:`rebuilt` read back)."""
    return _adapter().dump_python(template, mode="json")


# A template checked before, read back: what a dump of a validated template holds, rebuilt without
# validating it again: each class's nested classes, enums and dates, converted as validation would.

def _classes(cls):
    return lambda items: [rebuilt_model(cls, item) for item in items]


def _enums(kind):
    return lambda items: [kind(item) for item in items]


_NESTED: dict[type, dict] = {
    Column: {"kind": FieldKind, "display": Display},
    Field: {"kind": FieldKind, "display": Display, "columns": _classes(Column)},
    Section: {"fields": _classes(Field), "rules": _classes(Rule), "body": _classes(Block)},
    DocumentSpec: {"opening": _classes(Block), "closing": _classes(Block),
                   "signing": lambda item: rebuilt_model(Signing, item)},
    Template: {"effective_from": dt.date.fromisoformat, "effective_to": dt.date.fromisoformat,
               "unit_levels": _enums(UnitLevel), "period_kinds": _enums(PeriodKind), "sections": _classes(Section),
               "rules": _classes(Rule), "document": lambda item: rebuilt_model(DocumentSpec, item)},
}


def rebuilt_model(cls, data):
    """``cls`` from its JSON dump; ValueError when ``data`` is not one (a key it does not know, or
    one it requires missing)."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: not an object")
    names = {f.name: f for f in _fields(cls)}
    required = {name for name, f in names.items() if f.default is MISSING and f.default_factory is MISSING}
    if not set(data) <= set(names) or not required <= set(data):
        raise ValueError(f"{cls.__name__}: not its keys")
    values = dict(data)
    for name, convert in _NESTED.get(cls, {}).items():
        if values.get(name) is not None:
            values[name] = convert(values[name])
    return cls(**values)


def rebuilt(data) -> Template:
    """A template from the dump of one that passed every check (the program's own cache):
    :class:`Template` exactly as validating ``data`` would make it, at a fraction of the cost."""
    return rebuilt_model(Template, data)
