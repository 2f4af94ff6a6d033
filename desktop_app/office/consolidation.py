"""Consolidation at the receiving office: many units' reports of one template and period → one.

Counts are summed; ratios are recomputed from the summed numerators and denominators (never
an average of percentages); computed values are re-evaluated on the consolidated inputs;
text is gathered per unit. A template field may say how it consolidates with ``aggregate``
(``sum``, ``same``, ``gather``, ``none``); otherwise its kind decides (:func:`aggregate_mode`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from desktop_app.domain import lineage, units
from desktop_app.office import answers
from desktop_app.errors import UserError
from desktop_app.domain.entities import DocumentHeader, Report, UnitProfile
from desktop_app.domain.periods import Period, read_period
from desktop_app.domain.fieldkinds import kind_spec
from desktop_app.templating.model import Field, FieldKind, Template
from desktop_app.domain.text import vi_sort_key
from desktop_app.domain.validation import Validator, evaluation_context
from desktop_app.domain.values import SOURCE_KEY, ValueProblem, coerce, format_value, is_empty
from desktop_app.domain.vnformat import format_amount, format_number, format_percent, local_time

STATUS_TEXT = {"final": "Đã gửi, đã hoàn tất", "draft": "Đã gửi, chưa hoàn tất"}
MISSING_TEXT = "Chưa gửi"
OUTSIDE_TEXT = "Không thuộc danh sách đơn vị của nơi nhận (không cộng)"


def name_order(name: str) -> tuple:
    """Units are listed as the official lists are: by name, whatever their kind (Xã, Phường…)."""
    return vi_sort_key(units.split_kind(name)[1])


def aggregate_mode(f: Field) -> str:
    """The field's ``aggregate``, else its kind's default (see ``fieldkinds.Consolidation``)."""
    return f.aggregate or kind_spec(f.kind).consolidation


@dataclass
class Submission:
    """One unit's report as the consolidation reads it."""

    report_id: int
    unit_code: str
    unit_name: str
    status: str
    updated_at: dt.datetime
    values: dict[str, Any]
    computed: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # table id → {"rows": n, column: sum}
    unsigned: bool = False  # came in an unsigned (format 1) bundle the office chose to let in

    @property
    def status_text(self) -> str:
        text = STATUS_TEXT.get(self.status, self.status)
        return f"{text} (chưa ký)" if self.unsigned else text


@dataclass
class Consolidation:
    template: Template
    period: Period
    receiver: UnitProfile
    expected: list[units.AdminUnit]  # the units that should report ([] when the receiver has none)
    submissions: list[Submission]  # counted, one per unit, in Vietnamese name order
    missing: list[units.AdminUnit]
    outside: list[Submission]  # reports of units outside the receiver's area: listed, not counted
    notes: list[str]
    totals: dict[str, Any]  # consolidated values in stored form (what the document is written from)
    computed: dict[str, Any]
    tables: dict[str, dict[str, Any]]
    receiver_document: DocumentHeader = field(default_factory=DocumentHeader)

    def as_report(self) -> Report:
        """The consolidated report the office's document is written from: its totals, in the
        name of the receiving unit, with the header of the receiver's own report if it has one."""
        return Report(template_id=self.template.id, template_version=self.template.version, period=self.period,
                      unit=self.receiver, document=self.receiver_document, values=dict(self.totals))
    # Per choice / yes-no field: option → number of units; per value computed unit by unit
    # (from answers: a commune's 27 of 30 indicators met): value → number of units.
    answers: dict[str, dict[Any, int]] = field(default_factory=dict)
    # Per table with declared rows: for each row, column → (option → number of units).
    table_answers: dict[str, list[dict[str, dict]]] = field(default_factory=dict)
    per_unit: frozenset[str] = frozenset()  # computed fields given unit by unit, not recomputed
    field_notes: list[str] = field(default_factory=list)  # fields that could not be consolidated

    def answers_text(self, field_id: str, word: bool = True) -> str:
        """``Đạt: 45/96 xã; Chưa đạt: 51/96 xã`` for a choice, yes/no or per-unit computed field."""
        counts = self.answers.get(field_id) or {}
        unit = answers.unit_word([s.unit_name for s in self.submissions]) if word else ""
        return answers.counts_text(counts, len(self.submissions), unit)

    def answer_counts(self, ind: Indicator) -> dict[Any, int] | None:
        """Option → number of units for an indicator that holds answers (a choice, a yes/no, an
        indicator list's assessment, a value computed unit by unit); None for a plain figure."""
        if ind.row is not None:
            rows = self.table_answers.get(ind.field.id) or []
            return rows[ind.row].get(ind.part or "") if ind.row < len(rows) else None
        if ind.part is None:
            return self.answers.get(ind.field.id)
        return None

    def text_names(self) -> dict[str, Any]:
        """What the consolidated document's sentences may read as ``tong_hop`` (docs/templates.md §11)."""
        return {
            "so_don_vi": len(self.submissions),
            "so_don_vi_phai_gui": len(self.expected) or None,
            "so_don_vi_chua_gui": len(self.missing) if self.expected else None,
            "dem": {fid: dict(counts) for fid, counts in self.answers.items()},
            "ket_qua": {fid: self.answers_text(fid) for fid in self.answers},
            "bang": {tid: [dict(row) for row in rows] for tid, rows in self.table_answers.items()},
        }

    @property
    def drafts(self) -> list[Submission]:
        return [s for s in self.submissions if s.status != "final"]

    def coverage_sentence(self) -> str:
        """The sentence that opens the consolidated document: who is in it and who is not."""
        count = len(self.submissions)
        if self.expected:
            text = (f"Báo cáo được tổng hợp từ báo cáo của {format_number(count)}/"
                    f"{format_number(len(self.expected))} đơn vị")
        else:
            text = f"Báo cáo được tổng hợp từ báo cáo của {format_number(count)} đơn vị"
        if self.drafts:
            text += f" (trong đó {format_number(len(self.drafts))} báo cáo chưa hoàn tất)"
        if self.missing:
            names = ", ".join(u.name for u in self.missing[:30])
            more = f" và {format_number(len(self.missing) - 30)} đơn vị khác" if len(self.missing) > 30 else ""
            text += f"; còn {format_number(len(self.missing))} đơn vị chưa gửi báo cáo: {names}{more}"
        return text + "."

    def coverage_short(self) -> str:
        """One line for a window: counts only (the names are in the status list)."""
        count = format_number(len(self.submissions))
        text = f"Đã nhận báo cáo của {count}/{format_number(len(self.expected))} đơn vị" if self.expected \
            else f"Đã nhận báo cáo của {count} đơn vị"
        extra = []
        if self.drafts:
            extra.append(f"{format_number(len(self.drafts))} báo cáo chưa hoàn tất")
        if self.missing:
            extra.append(f"{format_number(len(self.missing))} đơn vị chưa gửi")
        if self.outside:
            extra.append(f"{format_number(len(self.outside))} báo cáo của đơn vị ngoài danh sách (không cộng)")
        return text + (f" — {'; '.join(extra)}." if extra else ".")

    def status_rows(self) -> list[tuple[str, str, str, dt.datetime | None]]:
        """(code, name, status text, updated) for every unit: sent, not sent, outside the area."""
        rows = [(s.unit_code, s.unit_name, s.status_text, s.updated_at) for s in self.submissions]
        rows += [(u.code, u.name, MISSING_TEXT, None) for u in self.missing]
        rows += [(s.unit_code, s.unit_name, OUTSIDE_TEXT, s.updated_at) for s in self.outside]
        return sorted(rows, key=lambda r: name_order(r[1]))


# --- the columns of the consolidated table (UI, .xlsx, chart) ------------------------------
def _ratio_part(raw: Any, part: str | None) -> Any:
    """One part of a stored ratio ({"num", "den"}): either number, or "pct" as a percentage."""
    if not isinstance(raw, dict):
        return None
    num, den = raw.get("num"), raw.get("den")
    if part == "pct":
        return num / den * 100 if num is not None and den else None
    return raw.get(part)


@dataclass(frozen=True)
class Indicator:
    """One column of the consolidated table: a field, or a part of one (a ratio's numerator…)."""

    key: str
    label: str
    section: str
    field: Field
    part: str | None = None  # ratio: num | den | pct; table: rows | a column id
    display: str | None = None  # percent | amount | None
    row: int | None = None  # a declared row of the table (an indicator), with ``part`` its column

    @property
    def numeric(self) -> bool:
        if self.row is not None:
            return self._column is not None and kind_spec(self._column.kind).summable
        return self.part is not None or kind_spec(self.field.kind).number_valued

    @property
    def _column(self):
        return next((c for c in self.field.columns or [] if c.id == self.part), None)

    def value(self, row: Submission | Consolidation) -> Any:
        """The raw value for one unit, or for the whole consolidation (the totals row)."""
        f, part = self.field, self.part
        if self.row is not None:
            return self._declared_cell(row)
        if f.kind == FieldKind.TABLE:
            return (row.tables.get(f.id) or {}).get(part)
        if f.kind == FieldKind.COMPUTED:
            if isinstance(row, Consolidation) and f.id in row.per_unit:
                return answers.counts_text(row.answers.get(f.id) or {}, len(row.submissions)) or None
            value = row.computed.get(f.id)
            return value if isinstance(value, (int, float)) or value is None else str(value)
        values = row.values if isinstance(row, Submission) else row.totals
        raw = values.get(f.id)
        if f.kind == FieldKind.RATIO:
            return _ratio_part(raw, part)
        if isinstance(row, Consolidation) and kind_spec(f.kind).consolidation == "tally":
            return tally(f, row.submissions) or None
        if is_empty(raw):
            return None
        if self.numeric:
            return raw
        return format_value(f, raw)

    def unit_reader(self) -> Callable[[Submission], Any]:
        """:meth:`value` for one unit's row, its branches taken once: a sheet reads every unit."""
        f, part, fid = self.field, self.part, self.field.id
        if self.row is not None:
            return self._declared_cell
        if f.kind == FieldKind.TABLE:
            return lambda sub: (sub.tables.get(fid) or {}).get(part)
        if f.kind == FieldKind.COMPUTED:
            def computed(sub: Submission) -> Any:
                value = sub.computed.get(fid)
                return value if isinstance(value, (int, float)) or value is None else str(value)
            return computed
        if f.kind == FieldKind.RATIO:
            return lambda sub: _ratio_part(sub.values.get(fid), part)
        numeric = self.numeric

        def plain(sub: Submission) -> Any:
            raw = sub.values.get(fid)
            if is_empty(raw):
                return None
            return raw if numeric else format_value(f, raw)
        return plain

    def _declared_cell(self, row: Submission | Consolidation) -> Any:
        """One indicator's answer for a unit; for the consolidation, the count per option or the sum."""
        col, index = self._column, self.row or 0
        if col is None:
            return None
        if isinstance(row, Consolidation):
            rows = row.totals.get(self.field.id) or []
            return rows[index].get(col.id) if index < len(rows) else None
        rows = row.values.get(self.field.id)
        cell = rows[index].get(col.id) if isinstance(rows, list) and index < len(rows) \
            and isinstance(rows[index], dict) else None
        if is_empty(cell):
            return None
        return cell if self.numeric else format_value(col, cell)

    def text(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if self.display == "percent":
            return format_percent(value)
        if self.display == "amount":
            return format_amount(int(round(value)))
        if isinstance(value, float) and not value.is_integer():
            return format_number(round(value, 2))
        return format_number(int(value) if isinstance(value, float) else value)


def tally(f: Field, submissions: list[Submission]) -> str:
    """``Có: 12/15; Không: 3/15`` — how the units answered a yes/no or choice field."""
    counts = answers.count_answers(f, [s.values.get(f.id) for s in submissions])
    return answers.counts_text(counts, len(submissions))


def indicators(template: Template) -> list[Indicator]:
    out: list[Indicator] = []
    for section in template.sections:
        for f in section.fields:
            if f.kind == FieldKind.RATIO:
                out += [Indicator(f"{f.id}.num", f"{f.label} (tử số)", section.title, f, "num"),
                        Indicator(f"{f.id}.den", f"{f.label} (mẫu số)", section.title, f, "den"),
                        Indicator(f"{f.id}.pct", f"{f.label} (%)", section.title, f, "pct", "percent")]
            elif f.kind == FieldKind.TABLE and f.rows:
                out += _declared_indicators(f, section.title)
            elif f.kind == FieldKind.TABLE:
                out.append(Indicator(f"{f.id}.rows", f"{f.label}: số dòng", section.title, f, "rows"))
                out += [Indicator(f"{f.id}.{c.id}", f"{f.label}: {c.label}", section.title, f, c.id,
                                  c.display.value if c.display else None)
                        for c in f.columns or [] if c.total]
            else:
                display = f.display.value if f.display else kind_spec(f.kind).display
                if display == "amount_words":
                    display = "amount"
                out.append(Indicator(f.id, f.label, section.title, f, None, display))
    return out


def _declared_indicators(f: Field, section: str) -> list[Indicator]:
    """One column per declared row and answer column that counts or adds up (the evidence texts
    are in the document); labelled by the row's fixed cells: «1.1 Cổng thông tin điện tử: Đánh giá»."""
    out = []
    for index, fixed in enumerate(f.rows or []):
        title = " ".join(str(v) for v in list(fixed.values())[:2])
        for col in f.columns or []:
            if col.id in fixed or not (answers.is_tallied(col) or kind_spec(col.kind).summable):
                continue
            out.append(Indicator(f"{f.id}.{index + 1}.{col.id}", f"{title}: {col.label}", section, f,
                                 col.id, None, index))
    return out


# --- consolidating ----------------------------------------------------------------------
def expected_units(receiver: UnitProfile | None) -> list[units.AdminUnit]:
    """The communes a province (current list) or a district (list before 2025) compiles."""
    if receiver is None or not receiver.code:
        return []
    level, scheme = receiver.level, receiver.scheme or units.CURRENT
    if level == "tinh":
        return units.communes(receiver.code, scheme)
    if level == "huyen" and receiver.province_code:
        return units.communes(receiver.province_code, units.LEGACY, district_code=receiver.code)
    return []


def _sum(f: Field, present: list[Any]) -> Any:
    parts = [p.key for p in kind_spec(f.kind).parts]
    if parts:  # a ratio: numerators and denominators, over the units that gave both
        whole = [v for v in present if isinstance(v, dict) and all(v.get(p) is not None for p in parts)]
        if not whole:
            return None
        return {p: sum(v[p] for v in whole) for p in parts}
    total = sum(present)
    return round(total, 6) if isinstance(total, float) else total


def _gather(f: Field, subs: list[Submission]) -> str | None:
    if kind_spec(f.kind).multiline:
        # Units that wrote the same text share one paragraph ("Xã A, Xã B: …"); a text every unit
        # wrote is written once, as it is.
        by_text: dict[str, list[str]] = {}
        for s in subs:
            if not is_empty(s.values.get(f.id)):
                by_text.setdefault(s.values[f.id], []).append(s.unit_name)
        if len(by_text) == 1 and len(next(iter(by_text.values()))) == len(subs) > 1:
            return next(iter(by_text))
        return "\n".join(f"{_names(names)}: {text}" for text, names in by_text.items()) or None
    seen: list[str] = []
    for s in subs:
        value = s.values.get(f.id)
        if not is_empty(value):
            text = format_value(f, value)
            if text not in seen:
                seen.append(text)
    return "; ".join(seen) or None


def _names(names: list[str], shown: int = 10) -> str:
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:3])} và {format_number(len(names) - 3)} đơn vị khác"


def _given(field_id: str, subs: list[Submission]) -> list[Any]:
    """The values the units gave for one field, the empty ones left out (``is_empty``, asked only
    of a composite: a plain value is empty when None or "")."""
    out = []
    for s in subs:
        value = s.values.get(field_id)
        if value is None or value == "" or (isinstance(value, (dict, list)) and is_empty(value)):
            continue
        out.append(value)
    return out


def _consolidate_field(f: Field, subs: list[Submission], present: list[Any] | None = None) -> Any:
    """``present``: what ``_given`` gives for ``f`` and ``subs``, when the caller has it."""
    present = _given(f.id, subs) if present is None else present
    mode = aggregate_mode(f)
    if not present or mode == "none":
        return None
    if mode == "sum":
        return _sum(f, present)
    if mode == "gather":
        return _gather(f, subs)
    first = present[0]  # "same": kept only when every unit that answered gave the same value
    return first if all(v == first for v in present) else None


def _table_rows(f: Field, subs: list[Submission]) -> list[dict[str, Any]] | None:
    """A table with totals: one row per unit with its sums. Without totals: every row, with its unit."""
    totalled = [c for c in f.columns or [] if c.total and c.kind != FieldKind.COMPUTED]
    rows: list[dict[str, Any]] = []
    for s in subs:
        own = [r for r in s.values.get(f.id) or [] if isinstance(r, dict) and not is_empty(r)]
        if not own:
            continue
        if any(c.total for c in f.columns or []):
            sums = s.tables[f.id]
            # Columns without totals stay empty: a sentence that needs them is left out.
            rows.append({SOURCE_KEY: s.unit_name, **{c.id: None for c in f.columns or []},
                         **{c.id: sums.get(c.id) for c in totalled}})
        else:
            rows += [{SOURCE_KEY: s.unit_name, **r} for r in own]
    return rows or None


def _table_total(f: Field, subs: list[Submission]) -> list[dict[str, Any]] | None:
    if f.rows:
        return answers.declared_table(f, subs)[0]
    return _table_rows(f, subs)


def _table_stats(validator: Validator, template: Template, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    stats = {}
    for f in template.all_fields():
        if f.kind == FieldKind.TABLE:
            rows = [r for r in values.get(f.id) or [] if isinstance(r, dict) and not is_empty(r)]
            stats[f.id] = {"rows": len(rows), **validator.column_totals(f.id, rows)}
    return stats


def preferred_report(a: Any, b: Any) -> Any:
    """Two reports of one unit for one period: a finalised one, then the later revision, wins
    (the consolidation and the receiving office's list count the same one)."""
    return max(a, b, key=lambda r: (r.status == "final", r.revision, r.updated_at))


class _OlderValues:
    """Values of reports made with another version of the template, read field by field
    (:func:`coerce`). Thousands of reports repeat the same plain values (a count, «Đạt», a text
    every commune kept): each is read once per field, up to a bound that keeps the memory small."""

    LIMIT = 50_000
    _REFUSED = object()

    def __init__(self, template: Template) -> None:
        self.fields = {f.id: f for f in template.all_fields()}
        self._read: dict[tuple, Any] = {}

    def read(self, f: Field, value: Any) -> Any:
        """The stored form of ``value`` as ``f``; raises ValueProblem when it does not read as ``f``."""
        kind = type(value)
        if kind is not str and kind is not int and kind is not float:
            return coerce(f, value)
        key = (f.id, kind, value)
        known = self._read.get(key, _OlderValues)
        if known is _OlderValues:
            try:
                known = coerce(f, value)
            except ValueProblem:
                known = self._REFUSED
            if len(self._read) < self.LIMIT:
                self._read[key] = known
        if known is self._REFUSED:
            raise ValueProblem(f.label)
        return known


def _readable_values(template: Template, record: Report, notes: list[str], older: _OlderValues) -> dict[str, Any]:
    """A report made with another version of the template: keep only values that still read as their field
    (``older``: the reader of one consolidation, shared by its reports)."""
    if record.template_version == template.version:
        return dict(record.values)
    kept, dropped = {}, []
    for field_id, value in record.values.items():
        f = older.fields.get(field_id)
        if f is None or f.kind == FieldKind.COMPUTED:
            continue
        try:
            kept[field_id] = older.read(f, value)
        except ValueProblem:
            dropped.append(f.label)
    name = record.unit.name or record.unit_code
    note = f"{name} dùng mẫu phiên bản {record.template_version} (tổng hợp theo phiên bản {template.version})"
    notes.append(note + (f"; bỏ qua: {', '.join(dropped)}." if dropped else "."))
    return {k: v for k, v in kept.items() if v is not None}


def _inputs_of(validator: Validator, computed_id: str) -> set[str]:
    """The input fields a computed value reads, through other computed values."""
    seen, stack, inputs = set(), [computed_id], set()
    while stack:
        for name in validator.computed[stack.pop()].names:
            if name in validator.computed and name not in seen:
                seen.add(name)
                stack.append(name)
            elif name in validator.fields and name not in validator.computed:
                inputs.add(name)
    return inputs


def _consolidated_computed(validator: Validator, template: Template, totals: dict[str, Any],
                           subs: list[Submission]) -> dict[str, Any]:
    """Computed values from the totals, each over the units that gave everything it needs.

    pct(so_thon_co_loa, so_thon) with one unit at 10/10 and another that gave only its 10
    villages is 100%, not 10/20: a ratio never counts a missing numerator as zero."""
    computed = validator.compute(totals, {})
    fields = {f.id: f for f in template.all_fields()}
    for cid, expr in validator.computed.items():
        required = [n for n in expr.required_names if n in validator.fields]
        complete = [s for s in subs if all(not is_empty(s.values.get(n) if n not in validator.computed
                                                        else s.computed.get(n)) for n in required)]
        if len(complete) == len(subs):
            continue
        partial = {n: (_table_total(fields[n], complete) if fields[n].kind == FieldKind.TABLE
                       else _consolidate_field(fields[n], complete)) for n in _inputs_of(validator, cid)}
        computed[cid] = validator.compute({k: v for k, v in partial.items() if v is not None}, {}).get(cid)
    return computed


def consolidate(template: Template, period: Period, reports: list[Report], receiver: UnitProfile | None,
                receiver_document: DocumentHeader | None = None) -> Consolidation:
    """``reports``: the reports of one template and period, values included (``Store.reports_of_period``)."""
    receiver = receiver or UnitProfile()
    validator = Validator(template)
    expected = expected_units(receiver)
    expected_codes = {u.code for u in expected}
    notes: list[str] = []
    latest: dict[str, Report] = {}
    for record in reports:
        if record.unit_code == receiver.code:
            continue  # the receiver's own report is not one of its units
        other = latest.get(record.unit_code)
        if other is not None:
            record = preferred_report(other, record)
            state = "đã hoàn tất" if record.status == "final" else "chưa hoàn tất"
            notes.append(f"{record.unit.name or record.unit_code} gửi nhiều báo cáo cho kỳ này; dùng bản "
                         f"{state}, lần sửa {record.revision}.")
        latest[record.unit_code] = record
    counted: list[Submission] = []
    outside: list[Submission] = []
    legacy_codes = legacy_senders(receiver, latest.values())
    older = _OlderValues(template)
    for record in latest.values():
        values = _readable_values(template, record, notes, older)
        context = evaluation_context(record.unit)
        sub = Submission(
            report_id=record.id, unit_code=record.unit_code,
            unit_name=record.unit.name or record.unit_code, status=record.status,
            updated_at=local_time(record.updated_at), values=values, computed=validator.compute(values, context),
            tables=_table_stats(validator, template, values), unsigned=record.unsigned)
        (counted if counts_for(receiver, expected_codes, record) else outside).append(sub)
    counted.sort(key=lambda s: name_order(s.unit_name))
    outside.sort(key=lambda s: name_order(s.unit_name))
    totals: dict[str, Any] = {}
    given_by_field: dict[str, list[Any]] = {}  # what the counted units gave (read once, used twice)
    table_answers: dict[str, list[dict[str, dict]]] = {}
    for f in template.all_fields():
        if f.kind == FieldKind.TABLE and f.rows:  # declared rows: each row's answers counted
            totals[f.id], table_answers[f.id] = answers.declared_table(f, counted)
        elif f.kind == FieldKind.TABLE:
            totals[f.id] = _table_rows(f, counted)
        elif f.kind != FieldKind.COMPUTED:
            given_by_field[f.id] = _given(f.id, counted)
            totals[f.id] = _consolidate_field(f, counted, given_by_field[f.id])
    totals = {k: v for k, v in totals.items() if v is not None}
    tables = {}
    for f in template.all_fields():
        if f.kind == FieldKind.TABLE:
            tables[f.id] = {key: sum(s.tables[f.id].get(key) or 0 for s in counted)
                            for key in ["rows"] + [c.id for c in f.columns or [] if c.total]}
    submitted = covered_units(expected, counted, legacy_codes)
    missing = [u for u in expected if u.code not in submitted]
    per_unit = _per_unit_computed(validator, template)
    computed = _consolidated_computed(validator, template, totals, counted)
    counts: dict[str, dict[Any, int]] = {}
    for f in template.all_fields():
        if f.id in per_unit:
            given = [s.computed.get(f.id) for s in counted]
            counts[f.id] = answers.distribution(given)
            # Kept when every unit has the same result (all 30/30), else only its distribution.
            computed[f.id] = given[0] if given and all(v == given[0] for v in given) else None
        elif answers.is_tallied(f) and aggregate_mode(f) != "none":
            counts[f.id] = answers.count_answers(f, [s.values.get(f.id) for s in counted])
    cons = Consolidation(
        template=template, period=period, receiver=receiver, expected=expected, submissions=counted,
        missing=missing, outside=outside, notes=notes, totals=totals, computed=computed, tables=tables,
        receiver_document=receiver_document or DocumentHeader(), answers=counts, table_answers=table_answers,
        per_unit=per_unit)
    cons.field_notes = _field_notes(cons, given_by_field)
    cons.notes += cons.field_notes
    return cons


def _per_unit_computed(validator: Validator, template: Template) -> frozenset[str]:
    """Computed values that read answers (choice, yes/no, a value kept only when all units agree,
    an indicator list's assessments): meaningless on consolidated inputs, so given unit by unit."""
    fields = {f.id: f for f in template.all_fields()}

    def loses_rows(table: Field, column: str) -> bool:
        if table.rows:  # consolidated row by row: only the fixed cells keep their values
            return not all(column in fixed for fixed in table.rows)
        summed = any(c.total for c in table.columns or [])  # one summed row per unit
        return summed and not any(c.id == column and c.total for c in table.columns or [])

    out = set()
    for cid in validator.computed:
        chain = {cid} | {n for n in _computed_chain(validator, cid)}
        inputs = _inputs_of(validator, cid)
        if any(fields[n].kind != FieldKind.TABLE and aggregate_mode(fields[n]) in ("same", "tally")
               for n in inputs):
            out.add(cid)
            continue
        if any(t in fields and fields[t].kind == FieldKind.TABLE and loses_rows(fields[t], c)
               for name in chain for t, c in validator.computed[name].columns):
            out.add(cid)
    return frozenset(out)


def _computed_chain(validator: Validator, computed_id: str) -> set[str]:
    """The computed values ``computed_id`` reads, directly or through others."""
    seen: set[str] = set()
    stack = [computed_id]
    while stack:
        for name in validator.computed[stack.pop()].names:
            if name in validator.computed and name not in seen:
                seen.add(name)
                stack.append(name)
    return seen


def _field_notes(cons: Consolidation, given_by_field: dict[str, list[Any]] | None = None) -> list[str]:
    """Every field the consolidation could not carry as one value, named with the reason."""
    notes: list[str] = []
    subs = cons.submissions
    for f in cons.template.all_fields():
        if f.kind == FieldKind.COMPUTED:
            given: list[Any] = []
        elif given_by_field is not None and f.id in given_by_field:
            given = given_by_field[f.id]
        else:
            given = _given(f.id, subs)
        if f.kind == FieldKind.COMPUTED:
            if f.id in cons.per_unit and cons.computed.get(f.id) is None and subs:
                notes.append(f"«{f.label}» được tính riêng cho từng đơn vị, không cộng được: "
                             f"{cons.answers_text(f.id)}.")
            continue
        if not given:
            continue
        if f.kind == FieldKind.TABLE:
            dropped = [c.label for c in f.columns or [] if not c.total and c.kind != FieldKind.COMPUTED
                       and any(not is_empty(r.get(c.id)) for v in given for r in v if isinstance(r, dict))]
            if any(c.total for c in f.columns or []) and dropped and not f.rows:
                notes.append(f"«{f.label}»: mỗi đơn vị một dòng cộng các cột có tổng; "
                             f"không cộng được: {', '.join(dropped)}.")
            continue
        mode = aggregate_mode(f)
        if mode == "none":
            notes.append(f"«{f.label}» không tổng hợp được (không cộng được giá trị này giữa các đơn vị); "
                         "xem giá trị của từng đơn vị trong bảng tổng hợp.")
        elif mode in ("same", "tally") and f.id not in cons.totals:
            if f.id in cons.answers:
                notes.append(f"«{f.label}»: các đơn vị trả lời khác nhau — {cons.answers_text(f.id)}.")
            else:
                notes.append(f"«{f.label}»: các đơn vị ghi khác nhau, không có giá trị chung; "
                             "xem giá trị của từng đơn vị trong bảng tổng hợp.")
    return notes


def counts_for(receiver: UnitProfile, expected_codes: set[str], record: Any) -> bool:
    """A received report is counted: its unit is one the receiver expects, or a commune of the
    receiving province under an older code (see :func:`_same_province`)."""
    return not expected_codes or record.unit_code in expected_codes or _same_province(receiver, record.unit)


def legacy_senders(receiver: UnitProfile, records: Iterable[Any]) -> set[str]:
    """Units that sent under a code from before July 2025, to a receiver on the current list."""
    if (receiver.scheme or units.CURRENT) == units.LEGACY:
        return set()
    return {r.unit_code for r in records if r.unit.scheme == units.LEGACY}


def _same_province(receiver: UnitProfile, unit: UnitProfile) -> bool:
    """A commune of the receiving province on the list before July 2025 (an older code) still counts,
    and so does one of a province it absorbed (a commune of Kon Tum for Quảng Ngãi)."""
    if receiver.level != "tinh" or not unit.province_code:
        return False
    return unit.province_code == receiver.code or (
        unit.scheme == units.LEGACY and unit.province_code in lineage.absorbed_provinces(receiver.code))


def covered_units(expected: list[units.AdminUnit], counted: Iterable[Any], legacy: set[str]) -> set[str]:
    """Current communes that reported: by their own code, or (for a period before the merger) when
    every old commune they were formed from whole has sent its report under its old code."""
    codes = {s.unit_code for s in counted if s.unit_code not in legacy}
    sent_old = {s.unit_code for s in counted if s.unit_code in legacy}
    if sent_old:
        for unit in expected:
            whole = [p.unit.code for p in lineage.predecessors(unit.code) if p.whole]
            if whole and all(code in sent_old for code in whole):
                codes.add(unit.code)
    return codes


def gather(ws, template_id: str, period: Period | str) -> Consolidation:
    """Consolidate what the workspace has received for one template and period (a spec as typed
    on the command line is read here).

    A period written another way (``2025-09`` and ``2025-09-01..2025-09-30``) is the same period."""
    period = read_period(period)
    receiver = ws.profile()
    if receiver is None:
        raise UserError("Chưa khai báo đơn vị: báo cáo tổng hợp mang tên đơn vị nhận. Hãy khai báo đơn vị "
                        "(Đơn vị → Thông tin đơn vị, hoặc lệnh «baocaoxa unit set») rồi tổng hợp.")
    same = [p for p in ws.store.template_periods(template_id) if p.same_span(period)]
    reports = ws.store.reports_of_period(template_id, same or [period])
    versions = sorted({r.template_version for r in reports}, key=version_key)
    template = ws.template(template_id, versions[-1] if versions else None)
    if period.kind not in template.period_kinds:
        raise UserError(f"Mẫu «{template.display_title}» không dùng kỳ báo cáo kiểu «{period.label}».")
    own = next((r for r in reports if r.unit_code == receiver.code), None)
    return consolidate(template, period, reports, receiver, own.document if own else None)


def version_key(version: str) -> tuple:
    return tuple(int(x) for x in version.split(".") if x.isdigit())
