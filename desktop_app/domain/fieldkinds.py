"""The field-kind registry: one :class:`KindSpec` per :class:`FieldKind`, and nothing else decides by kind.

A spec says how a value of its kind is read (``parse``: JSON or typed vi-VN text → stored form),
checked (``check``: type and range problems of a stored value), written for a person (``format``:
the UI; documents use the same text unless a template's ``display`` says otherwise), whether it
is a number, how the receiving office consolidates it by default, its spreadsheet number format
and cell value, the name of the widget that edits it (the Qt side maps names to widget classes,
see ``ui/fields.py``), and the parts a composite value is typed in.

Adding a kind: its member in :class:`desktop_app.templating.model.FieldKind`, its spec in
:data:`KINDS` below, and its widget in ``ui/fields.py`` (a new widget name only).
``tests/test_fieldkinds.py`` checks that every kind has a complete spec.

Stored form (also the JSON form of ``report show --json``):
integer/amount → int; decimal/percentage → int or float; ratio → {"num", "den"};
yesno → bool; choice/text/long_text → str; date → "YYYY-MM-DD";
docref → {"number", "date", "issuer", "summary"}; table → list of {column: value}.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from desktop_app.domain import vnformat
from desktop_app.domain.declared_rows import DeclaredRowError, with_fixed_cells
from desktop_app.templating.model import Column, Field, FieldKind
from desktop_app.domain.text import nfc
from desktop_app.domain.vnformat import FormatError

MAX_TEXT = 500
MAX_LONG_TEXT = 50_000
DOCREF_KEYS = ("number", "date", "issuer", "summary")

Spec = Field | Column
Problems = list[tuple[str, str]]  # (Vietnamese message, code: type | range | required | format)
# sum: added up (a composite part by part); same: kept when every unit gave the same value;
# tally: as «same» in the document, and the consolidated table counts the answers (Có: 12; Không: 3);
# gather: the units' texts collected; none: left out (a percentage without its parts);
# rows: a table's rows per unit; recompute: a computed value evaluated again on the totals.
Consolidation = Literal["sum", "same", "tally", "gather", "none", "rows", "recompute"]


class ValueProblem(ValueError):
    """A value has the wrong shape for its field; the message is Vietnamese."""


@dataclass(frozen=True)
class Part:
    """One part of a composite value (a ratio's numerator, a document reference's date…)."""

    key: str
    kind: FieldKind
    label: str  # Vietnamese, e.g. «tử số»


@dataclass(frozen=True)
class KindSpec:
    kind: FieldKind
    label: str  # Vietnamese name of the kind, for template authors
    # A value that is not empty → its stored form; raises ValueProblem (Vietnamese) when it does not read.
    parse: Callable[[Spec, Any], Any]
    # Type and range problems of a stored, non-empty value (tables are checked cell by cell by the validator).
    check: Callable[[Spec, Any], Problems]
    # A stored, non-empty value as a person reads it (UI; documents unless ``display`` is set).
    # ``decimals`` overrides the field's own where the kind has decimals to show.
    format: Callable[[Spec, Any, int | None], str]
    widget: str  # the name of the widget that edits it (ui/fields.py maps names to classes)
    consolidation: Consolidation  # the default when a field has no ``aggregate``
    number_format: str | Callable[[Spec], str] | None  # of a spreadsheet cell (None: General)
    cell: Callable[[Any], Any]  # a stored, non-empty value → a spreadsheet cell's value
    numeric: bool = False  # a number the person types: min/max apply
    number_valued: bool = False  # shown as a number (right-aligned, totals, charts): numeric kinds and computed
    column: bool = False  # may be a column of a table
    textual: bool = False  # free text (a document can write it paragraph by paragraph)
    multiline: bool = False  # text on several lines (wrapped in a spreadsheet, a paragraph per unit)
    outlier_warning: bool = False  # warned when far from last period's value
    previous_shown: bool = False  # last period's value is shown beside the editor
    needs_options: bool = False  # the template lists its ``options``
    needs_expr: bool = False  # the template gives its ``expr``
    choices: Callable[[Spec], list[str]] | None = None  # the answers one picks from
    typed: Callable[[str], str] | None = None  # cleans what was typed in a box before parsing
    parts: tuple[Part, ...] = ()  # a composite value is typed and stored part by part
    display: str | None = None  # how the consolidated table writes it when the field sets no ``display``

    @property
    def summable(self) -> bool:
        """Values of this kind can be added up across units (``aggregate: sum``)."""
        return self.consolidation == "sum"

    def part(self, key: str) -> Part:
        return next(p for p in self.parts if p.key == key)

    def spreadsheet_format(self, spec: Spec) -> str | None:
        fmt = self.number_format
        return fmt(spec) if callable(fmt) else fmt


# --- reading ------------------------------------------------------------------------------

def _to_number(raw: Any, label: str) -> Decimal:
    if isinstance(raw, bool):
        raise ValueProblem(f"«{label}» phải là số.")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueProblem(f"«{label}» phải là số.")
        return Decimal(str(raw))
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, str):
        try:
            return vnformat.parse_number(raw.rstrip("%").strip())
        except FormatError as exc:
            raise ValueProblem(f"«{label}»: {exc}") from None
    raise ValueProblem(f"«{label}» phải là số.")


def _plain_number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def _whole(raw: Any, label: str) -> int:
    if type(raw) is int:  # already whole: what the checks below would give, without a Decimal
        if abs(raw) > 10**15:
            raise ValueProblem(f"«{label}» quá lớn.")
        return raw
    number = _to_number(raw, label)
    if number != number.to_integral_value():
        raise ValueProblem(f"«{label}» phải là số nguyên.")
    if abs(number) > 10**15:
        raise ValueProblem(f"«{label}» quá lớn.")
    return int(number)


def _date_string(raw: Any, label: str) -> str:
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if isinstance(raw, str):
        try:
            return vnformat.parse_date(raw).isoformat()
        except FormatError as exc:
            raise ValueProblem(f"«{label}»: {exc}") from None
    raise ValueProblem(f"«{label}» phải là ngày.")


def parse(spec: Spec, raw: Any) -> Any:
    """A JSON value (or vi-VN text) → the stored form; None means empty."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return kind_spec(spec.kind).parse(spec, raw)


def _parse_whole(spec: Spec, raw: Any) -> int:
    return _whole(raw, spec.label)


def _parse_amount(spec: Spec, raw: Any) -> int:
    if isinstance(raw, str):
        try:
            return vnformat.parse_amount(raw)
        except FormatError as exc:
            raise ValueProblem(f"«{spec.label}»: {exc}") from None
    return _whole(raw, spec.label)


def _parse_number(spec: Spec, raw: Any) -> int | float:
    return _plain_number(_to_number(raw, spec.label))


def _parse_ratio(spec: Spec, raw: Any) -> dict[str, int | None] | None:
    label = spec.label
    if not isinstance(raw, dict) or set(raw) - {"num", "den"}:
        raise ValueProblem(f"«{label}» phải có dạng {{\"num\": tử số, \"den\": mẫu số}}.")
    num = None if raw.get("num") in (None, "") else _whole(raw["num"], label + " (tử số)")
    den = None if raw.get("den") in (None, "") else _whole(raw["den"], label + " (mẫu số)")
    return None if num is None and den is None else {"num": num, "den": den}


def _parse_yesno(spec: Spec, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and nfc(raw).strip().lower() in ("có", "co", "x", "true", "1"):
        return True
    if isinstance(raw, str) and nfc(raw).strip().lower() in ("không", "khong", "false", "0"):
        return False
    raise ValueProblem(f"«{spec.label}» phải là Có hoặc Không.")


def _text_parser(limit: int, numbers_as_text: bool) -> Callable[[Spec, Any], str | None]:
    def parse_text(spec: Spec, raw: Any) -> str | None:
        if not isinstance(raw, str):
            if isinstance(raw, (int, float)) and not isinstance(raw, bool) and numbers_as_text:
                raw = str(raw)
            else:
                raise ValueProblem(f"«{spec.label}» phải là chữ.")
        text = nfc(raw).replace("\r\n", "\n").strip()
        if len(text) > limit:
            raise ValueProblem(f"«{spec.label}» dài quá {vnformat.format_number(limit)} ký tự.")
        return text or None

    return parse_text


def _parse_date(spec: Spec, raw: Any) -> str:
    return _date_string(raw, spec.label)


def _parse_docref(spec: Spec, raw: Any) -> dict[str, str | None] | None:
    label = spec.label
    if not isinstance(raw, dict) or set(raw) - set(DOCREF_KEYS):
        raise ValueProblem(f"«{label}» phải có các mục number, date, issuer, summary.")
    out: dict[str, str | None] = {}
    for key in DOCREF_KEYS:
        part = raw.get(key)
        if part in (None, ""):
            out[key] = None
        elif key == "date":
            out[key] = _date_string(part, label + " (ngày)")
        elif isinstance(part, str):
            out[key] = nfc(part).strip() or None
        else:
            raise ValueProblem(f"«{label}» ({key}) phải là chữ.")
    return None if all(v is None for v in out.values()) else out


def _parse_table(spec: Spec, raw: Any) -> list[dict[str, Any]] | None:
    assert isinstance(spec, Field)
    label = spec.label
    if not isinstance(raw, list):
        raise ValueProblem(f"«{label}» phải là danh sách các dòng.")
    if spec.max_rows is not None and len(raw) > spec.max_rows:
        raise ValueProblem(f"«{label}» có quá {spec.max_rows} dòng.")
    columns = {c.id: c for c in spec.columns or []}
    rows = []
    for index, row in enumerate(raw, start=1):
        if not isinstance(row, dict):
            raise ValueProblem(f"«{label}», dòng {index}: phải là một nhóm «cột: giá trị».")
        unknown = set(row) - set(columns)
        if unknown:
            raise ValueProblem(f"«{label}», dòng {index}: không có cột «{', '.join(sorted(unknown))}».")
        rows.append({cid: parse(col, row.get(cid)) for cid, col in columns.items()
                     if col.kind != FieldKind.COMPUTED})
    if spec.rows:  # the template's own rows: fixed cells put back, a contradicting row refused
        try:
            rows = with_fixed_cells(spec, rows)
        except DeclaredRowError as exc:
            raise ValueProblem(str(exc)) from None
    return rows or None


def _parse_computed(spec: Spec, raw: Any) -> Any:
    raise ValueProblem(f"«{spec.label}» được tính tự động, không nhập.")


def _no_percent_sign(text: str) -> str:
    return text.replace("%", "")


# --- checking -----------------------------------------------------------------------------

def check(spec: Spec, value: Any) -> Problems:
    """Type and range problems of one stored, non-empty value (also used for table cells)."""
    return kind_spec(spec.kind).check(spec, value)


def _limit(n: float) -> str:
    return vnformat.format_number(int(n) if float(n).is_integer() else n)


def _is_iso_date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(value)
        return True
    except (TypeError, ValueError):
        return False


def _number_check(whole: bool, low: float | None = None, high: float | None = None) -> Callable[[Spec, Any], Problems]:
    """A number, whole when ``whole``; ``low``/``high`` apply when the template sets no min/max."""

    def check_number(spec: Spec, value: Any) -> Problems:
        label = spec.label
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [(f"«{label}» phải là số.", "type")]
        if whole and not float(value).is_integer():
            return [(f"«{label}» phải là số nguyên.", "type")]
        problems: Problems = []
        minimum = spec.min if spec.min is not None else low
        maximum = spec.max if spec.max is not None else high
        if minimum is not None and value < minimum:
            problems.append((f"«{label}» không được nhỏ hơn {_limit(minimum)}.", "range"))
        if maximum is not None and value > maximum:
            problems.append((f"«{label}» không được lớn hơn {_limit(maximum)}.", "range"))
        return problems

    return check_number


def _check_ratio(spec: Spec, value: Any) -> Problems:
    label = spec.label
    if not isinstance(value, dict):
        return [(f"«{label}» phải có tử số và mẫu số.", "type")]
    num, den = value.get("num"), value.get("den")
    problems: Problems = []
    if num is None or den is None:
        problems.append((f"«{label}»: cần nhập cả tử số và mẫu số.", "required"))
    elif not all(isinstance(x, int) and not isinstance(x, bool) for x in (num, den)):
        problems.append((f"«{label}» phải là số nguyên.", "type"))
    else:
        if num < 0 or den < 0:
            problems.append((f"«{label}» không được âm.", "range"))
        if num > den:
            problems.append((f"«{label}»: tử số ({_limit(num)}) không được lớn hơn mẫu số ({_limit(den)}).", "range"))
    return problems


def _check_yesno(spec: Spec, value: Any) -> Problems:
    if not isinstance(value, bool):
        return [(f"«{spec.label}» phải là Có hoặc Không.", "type")]
    return []


def _check_choice(spec: Spec, value: Any) -> Problems:
    if value not in (spec.options or []):
        options = ", ".join(spec.options or [])
        return [(f"«{spec.label}»: «{value}» không nằm trong các lựa chọn ({options}).", "type")]
    return []


def _check_text(spec: Spec, value: Any) -> Problems:
    if not isinstance(value, str):
        return [(f"«{spec.label}» phải là chữ.", "type")]
    return []


def _check_date(spec: Spec, value: Any) -> Problems:
    if not _is_iso_date(value):
        return [(f"«{spec.label}» không phải là ngày hợp lệ.", "type")]
    return []


def _check_docref(spec: Spec, value: Any) -> Problems:
    label = spec.label
    if not isinstance(value, dict):
        return [(f"«{label}» phải có số, ngày, cơ quan ban hành và trích yếu.", "type")]
    problems: Problems = []
    if not value.get("number"):
        problems.append((f"«{label}»: chưa nhập số, ký hiệu văn bản.", "required"))
    elif "/" not in value["number"]:
        problems.append((f"«{label}»: số, ký hiệu «{value['number']}» thường có dạng 66/KH-UBND.", "format"))
    if value.get("date") and not _is_iso_date(value["date"]):
        problems.append((f"«{label}»: ngày ban hành không hợp lệ.", "type"))
    return problems


def _unchecked(spec: Spec, value: Any) -> Problems:
    """Tables are checked cell by cell by the validator; computed values are not inputs."""
    return []


# --- writing ------------------------------------------------------------------------------

def format_text(spec: Spec, value: Any, decimals: int | None = None) -> str:
    """The stored form as the person reads it in the UI (vi-VN); empty is ""."""
    if value is None:
        return ""
    return kind_spec(spec.kind).format(spec, value, decimals)


def document_text(spec: Spec, value: Any) -> str:
    """A value in a document's table or sentence: the template's ``display`` wins (e.g. amounts as
    ``6,1 tỷ đồng``), else the kind's format."""
    if spec.display and value is not None:
        return format_computed(spec.display.value, value)
    return format_text(spec, value)


def format_computed(display: str | None, value: Any) -> str:
    """A computed (or ``display``-formatted) value: percent, amount, amount in words, padded, number."""
    if value is None:
        return ""
    if display == "percent":
        return vnformat.format_percent(value)
    if display == "amount":
        return vnformat.format_amount(int(round(value)))
    if display == "amount_words":
        return vnformat.format_amount_words(int(round(value)))
    if display == "padded" and float(value).is_integer():
        return vnformat.format_padded(int(value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, float):
        return vnformat.format_number(round(value, 2))
    return vnformat.format_number(value) if isinstance(value, (int, Decimal)) else str(value)


def _format_number(spec: Spec, value: Any, decimals: int | None) -> str:
    return vnformat.format_number(value, decimals if decimals is not None else spec.decimals)


def _format_amount(spec: Spec, value: Any, decimals: int | None) -> str:
    return vnformat.format_number(value)


def _format_percentage(spec: Spec, value: Any, decimals: int | None) -> str:
    return vnformat.format_number(value, spec.decimals)


def _format_ratio(spec: Spec, value: Any, decimals: int | None) -> str:
    return f"{vnformat.format_number(value.get('num'))}/{vnformat.format_number(value.get('den'))}"


def _yes_no(value: Any) -> str:
    return "Có" if value else "Không"


def _format_yesno(spec: Spec, value: Any, decimals: int | None) -> str:
    return _yes_no(value)


def _format_date(spec: Spec, value: Any, decimals: int | None) -> str:
    return vnformat.format_date(dt.date.fromisoformat(value))


def _format_docref(spec: Spec, value: Any, decimals: int | None) -> str:
    return " ".join(p for p in (value.get("number"), value.get("date") and
                                vnformat.format_date(dt.date.fromisoformat(value["date"]))) if p)


def _format_plain(spec: Spec, value: Any, decimals: int | None) -> str:
    return str(value)


def _format_computed(spec: Spec, value: Any, decimals: int | None) -> str:
    return format_computed(spec.display.value if spec.display else None, value)


def _decimal_format(spec: Spec) -> str:
    return "#,##0." + "0" * (spec.decimals or 2)


def _as_is(value: Any) -> Any:
    return value


def _iso_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value)


def _yes_no_choices(spec: Spec) -> list[str]:
    return ["Có", "Không"]


def _listed_choices(spec: Spec) -> list[str]:
    return list(spec.options or [])


# --- the registry -------------------------------------------------------------------------

KINDS: dict[FieldKind, KindSpec] = {spec.kind: spec for spec in (
    KindSpec(FieldKind.INTEGER, "số nguyên", _parse_whole, _number_check(whole=True), _format_number,
             widget="number", consolidation="sum", number_format="#,##0", cell=_as_is, numeric=True,
             number_valued=True, column=True, outlier_warning=True, previous_shown=True),
    KindSpec(FieldKind.DECIMAL, "số thập phân", _parse_number, _number_check(whole=False), _format_number,
             widget="number", consolidation="sum", number_format=_decimal_format, cell=_as_is, numeric=True,
             number_valued=True, column=True, outlier_warning=True, previous_shown=True),
    KindSpec(FieldKind.AMOUNT, "số tiền (đồng)", _parse_amount, _number_check(whole=True, low=0), _format_amount,
             widget="number", consolidation="sum", number_format="#,##0", cell=_as_is, numeric=True,
             number_valued=True, column=True, outlier_warning=True, previous_shown=True, display="amount"),
    # A percentage without its numerator and denominator cannot be consolidated.
    KindSpec(FieldKind.PERCENTAGE, "phần trăm", _parse_number, _number_check(whole=False, low=0, high=100),
             _format_percentage, widget="number", consolidation="none", number_format='0.00"%"', cell=_as_is,
             numeric=True, number_valued=True, column=True, previous_shown=True, typed=_no_percent_sign),
    # Summed part by part: the consolidated percentage comes from the summed numerators and denominators.
    KindSpec(FieldKind.RATIO, "tỷ lệ (tử số/mẫu số)", _parse_ratio, _check_ratio, _format_ratio,
             widget="ratio", consolidation="sum", number_format=None, cell=_as_is, previous_shown=True,
             parts=(Part("num", FieldKind.INTEGER, "tử số"), Part("den", FieldKind.INTEGER, "mẫu số"))),
    KindSpec(FieldKind.YESNO, "có/không", _parse_yesno, _check_yesno, _format_yesno,
             widget="choice", consolidation="tally", number_format=None, cell=_yes_no, column=True,
             choices=_yes_no_choices),
    KindSpec(FieldKind.CHOICE, "lựa chọn", _text_parser(MAX_TEXT, numbers_as_text=False), _check_choice,
             _format_plain, widget="choice", consolidation="tally", number_format=None, cell=_as_is, column=True,
             needs_options=True, choices=_listed_choices),
    KindSpec(FieldKind.TEXT, "văn bản ngắn", _text_parser(MAX_TEXT, numbers_as_text=True), _check_text, _format_plain,
             widget="text", consolidation="gather", number_format=None, cell=_as_is, column=True, textual=True),
    KindSpec(FieldKind.LONG_TEXT, "văn bản dài", _text_parser(MAX_LONG_TEXT, numbers_as_text=False), _check_text,
             _format_plain, widget="long_text", consolidation="gather", number_format=None, cell=_as_is,
             column=True, textual=True, multiline=True),
    KindSpec(FieldKind.DATE, "ngày", _parse_date, _check_date, _format_date,
             widget="date", consolidation="same", number_format="DD/MM/YYYY", cell=_iso_date, column=True),
    KindSpec(FieldKind.DOCREF, "văn bản tham chiếu (số, ngày, cơ quan, trích yếu)", _parse_docref, _check_docref,
             _format_docref, widget="docref", consolidation="same", number_format=None, cell=_as_is,
             parts=(Part("number", FieldKind.TEXT, "số, ký hiệu"), Part("date", FieldKind.DATE, "ngày ban hành"),
                    Part("issuer", FieldKind.TEXT, "cơ quan ban hành"), Part("summary", FieldKind.TEXT, "trích yếu"))),
    KindSpec(FieldKind.TABLE, "bảng nhiều dòng", _parse_table, _unchecked, _format_plain,
             widget="table", consolidation="rows", number_format=None, cell=_as_is),
    # Computed values are numbers in every template we ship; text ones show as text.
    KindSpec(FieldKind.COMPUTED, "giá trị tính tự động", _parse_computed, _unchecked, _format_computed,
             widget="computed", consolidation="recompute", number_format="#,##0.##", cell=_as_is,
             number_valued=True, column=True, needs_expr=True),
)}


def kind_spec(kind: FieldKind) -> KindSpec:
    return KINDS[kind]


def kinds_where(predicate: Callable[[KindSpec], bool]) -> frozenset[FieldKind]:
    """The kinds whose spec satisfies ``predicate``, e.g. ``kinds_where(lambda s: s.numeric)``."""
    return frozenset(k for k, s in KINDS.items() if predicate(s))


def kind_labels() -> dict[str, str]:
    """Kind name → its Vietnamese label (for template authors' documentation)."""
    return {k.value: KINDS[k].label for k in FieldKind}
