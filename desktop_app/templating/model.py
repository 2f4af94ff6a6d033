"""The typed shape of a report template (see docs/templates.md for the author's guide).

These pydantic models only describe structure; cross-references (expressions, names in
document text, duplicate ids) are checked by :mod:`desktop_app.templating.loader`.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field as PydField, StringConstraints, model_validator

from desktop_app.domain.periods import PeriodKind

TEMPLATE_FORMAT = 1

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
# A fixed cell of a declared table row: a code, a title, a group, a number.
DeclaredCell = Annotated[str, StringConstraints(max_length=4000)] | bool | int | float


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


class _Strict(BaseModel):
    # defer_build: the validators are built when a template text is first checked; a start that
    # reads only templates checked before (see rebuilt()) never builds them (~12 MiB, ~25 ms)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Column(_Strict):
    id: Identifier
    kind: FieldKind
    label: Text
    unit: str | None = None
    help: str | None = None
    required: bool = False
    min: float | None = None
    max: float | None = None
    decimals: int | None = PydField(default=None, ge=0, le=6)
    options: list[Text] | None = None
    total: bool = False
    expr: str | None = None
    display: Display | None = None
    width: float | None = PydField(default=None, gt=0, le=100)


class Field(_Strict):
    id: Identifier
    kind: FieldKind
    label: Text
    unit: str | None = None
    help: str | None = None
    placeholder: str | None = None
    required: bool = False
    min: float | None = None
    max: float | None = None
    decimals: int | None = PydField(default=None, ge=0, le=6)
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
    min_rows: int | None = PydField(default=None, ge=0)
    max_rows: int | None = PydField(default=None, ge=1, le=5000)
    # Rows declared by the template (an indicator list: code and title fixed, the unit answers the
    # other columns). Each row gives the fixed cells, column id → value; the table always has
    # exactly these rows, in this order (see desktop_app/domain/declared_rows.py).
    rows: list[dict[Identifier, DeclaredCell]] | None = PydField(default=None, min_length=1, max_length=1000)

    def fixed_cell(self, row: int, column: str) -> bool:
        """Whether the template fixes this cell (a declared row's code, title…)."""
        return bool(self.rows) and 0 <= row < len(self.rows) and column in self.rows[row]


class Rule(_Strict):
    check: str
    message: Text
    severity: Literal["error", "warning"] = "error"
    fields: list[Identifier] | None = None


ZERO_OMIT = "omit"  # Block.zero: leave the sentence out when the numbers it needs are all 0

_BLOCK_KEYS = ("heading", "text", "table", "paragraphs", "each")


class Block(_Strict):
    """One piece of the exported document: a heading, a sentence, a table, free text."""

    heading: str | None = None
    level: int = PydField(default=1, ge=1, le=4)
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
    zero: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None
    # A table's rows under group rows ("I. Dự án đã thực hiện", "II. Dự kiến…"), one group per
    # option of this choice column (in the options' order); the column itself is not repeated.
    group_by: Identifier | None = None
    group_titles: dict[Text, Text] | None = None  # option → the group row's words (default: the option)

    @model_validator(mode="after")
    def _one_kind(self) -> Block:
        present = {k for k in _BLOCK_KEYS if getattr(self, k) is not None}
        if "each" in present:
            if present != {"each", "text"}:
                raise ValueError("khối «each» phải có «text» (câu viết cho từng dòng) và không có mục nào khác")
            return self
        if len(present) != 1:
            raise ValueError(
                "mỗi khối văn bản phải có đúng một trong các mục heading, text, table, paragraphs "
                "(hoặc each kèm text)"
            )
        return self

    @property
    def kind(self) -> str:
        if self.each is not None:
            return "each"
        return next(k for k in _BLOCK_KEYS if getattr(self, k) is not None)


class Section(_Strict):
    id: Identifier
    title: Text
    help: str | None = None
    fields: list[Field] = PydField(default_factory=list)
    rules: list[Rule] = PydField(default_factory=list)
    body: list[Block] = PydField(default_factory=list)


class Signing(_Strict):
    authority: str = "TM. ỦY BAN NHÂN DÂN"
    title: str = "CHỦ TỊCH"


class DocumentSpec(_Strict):
    summary: Text
    # One style for every date the document's sentences write (ngay, ngay_ngan, vanban):
    # "short" 7/6/2023 as the seeds' prose, or "padded" 07/06/2023.
    date_style: Literal["short", "padded"] = "short"
    opening: list[Block] = PydField(default_factory=list)
    closing: list[Block] = PydField(default_factory=list)
    recipients: list[Text] = PydField(default_factory=list)
    signing: Signing = PydField(default_factory=Signing)


class Template(_Strict):
    format: Literal[1]
    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_\-]{1,62}$")]
    version: Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+){0,3}$")]
    title: Text
    short_title: str | None = None
    description: str | None = None
    legal_basis: list[Text] = PydField(default_factory=list)
    province: Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")] | None = None
    effective_from: dt.date
    effective_to: dt.date | None = None
    # Offered first when a new report is made (the report most units of its levels need).
    suggested: bool = False
    unit_levels: list[UnitLevel] = PydField(min_length=1)
    period_kinds: list[PeriodKind] = PydField(min_length=1)
    sections: list[Section] = PydField(min_length=1)
    rules: list[Rule] = PydField(default_factory=list)
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



# --- a template checked before, read back -------------------------------------------------------
# What a dump (model_dump(mode="json")) of a validated template holds, rebuilt without validating
# it again: each model's nested models, enums and dates, converted as validation would.

def _models(cls):
    return lambda items: [rebuilt_model(cls, item) for item in items]


def _enums(kind):
    return lambda items: [kind(item) for item in items]


_NESTED: dict[type, dict] = {
    Column: {"kind": FieldKind, "display": Display},
    Field: {"kind": FieldKind, "display": Display, "columns": _models(Column)},
    Section: {"fields": _models(Field), "rules": _models(Rule), "body": _models(Block)},
    DocumentSpec: {"opening": _models(Block), "closing": _models(Block),
                   "signing": lambda item: rebuilt_model(Signing, item)},
    Template: {"effective_from": dt.date.fromisoformat, "effective_to": dt.date.fromisoformat,
               "unit_levels": _enums(UnitLevel), "period_kinds": _enums(PeriodKind), "sections": _models(Section),
               "rules": _models(Rule), "document": lambda item: rebuilt_model(DocumentSpec, item)},
}


def rebuilt_model(cls, data):
    """``cls`` from its JSON dump; ValueError when ``data`` is not one (a key it does not know, or
    one it requires missing)."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: not an object")
    fields = cls.model_fields
    if not set(data) <= set(fields) or any(f.is_required() and name not in data for name, f in fields.items()):
        raise ValueError(f"{cls.__name__}: not its keys")
    values = dict(data)
    for name, convert in _NESTED.get(cls, {}).items():
        if values.get(name) is not None:
            values[name] = convert(values[name])
    return cls.model_construct(**values)


def rebuilt(data) -> Template:
    """A template from the dump of one that passed every check (the program's own cache):
    :class:`Template` exactly as validating ``data`` would make it, at a fraction of the cost."""
    return rebuilt_model(Template, data)
