"""Offline validation of a report against its template, cheap enough for every keystroke.

A :class:`Validator` compiles the template's expressions once. ``validate`` checks a
whole report; ``revalidate`` re-checks only what one edited field can affect (the field,
computed values that depend on it, and rules that read either), which keeps a 300-field
report well inside one screen frame per edit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

from desktop_app.domain.entities import UnitProfile
from desktop_app.domain.declared_rows import check_fixed_cells
from desktop_app.domain.fieldkinds import check as check_value, kind_spec
from desktop_app.templating.expressions import Expression, check_expression
from desktop_app.templating.model import Field, FieldKind, Rule, Template
from desktop_app.domain.values import is_empty
from desktop_app.domain.vnformat import format_number

ERROR = "error"
WARNING = "warning"

IssueKey = tuple  # ("field", field_id) | ("rule", index)


def evaluation_context(unit: UnitProfile | None, previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What validation and computed values know beyond the report's own values: the unit's
    villages (``so_thon_don_vi``) and, when given, last period's values (outlier warnings).
    The one place that builds it."""
    context: dict[str, Any] = {"villages": list(unit.villages) if unit is not None else None}
    if previous is not None:
        context["previous"] = previous
    return context


@dataclass(frozen=True)
class Issue:
    severity: str
    field_id: str
    section_id: str
    message: str
    code: str = "rule"  # required | type | range | rule | outlier
    row: int | None = None  # 1-based table row
    column: str | None = None


@dataclass
class SectionStatus:
    section_id: str
    required: int
    filled_required: int
    filled: int
    inputs: int
    errors: int
    warnings: int

    @property
    def completeness(self) -> float:
        if self.required:
            return self.filled_required / self.required
        return self.filled / self.inputs if self.inputs else 1.0


@dataclass
class ValidationResult:
    computed: dict[str, Any]
    by_source: dict[IssueKey, list[Issue]] = field(default_factory=dict)

    @property
    def issues(self) -> list[Issue]:
        return [i for issues in self.by_source.values() for i in issues]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]

    def for_field(self, field_id: str) -> list[Issue]:
        return [i for i in self.issues if i.field_id == field_id]


@dataclass(frozen=True)
class _CompiledRule:
    index: int
    rule: Rule
    expr: Expression
    section_id: str
    targets: tuple[str, ...]


class Validator:
    def __init__(self, template: Template):
        self.template = template
        self.fields: dict[str, Field] = {f.id: f for f in template.all_fields()}
        self.section_of: dict[str, str] = {f.id: s.id for s in template.sections for f in s.fields}
        known = set(self.fields) | {"so_thon_don_vi"}
        self.computed: dict[str, Expression] = {
            f.id: check_expression(f.expr, known) for f in self.fields.values() if f.kind == FieldKind.COMPUTED
        }
        self.computed_order = list(TopologicalSorter(
            {fid: {n for n in e.names if n in self.computed} for fid, e in self.computed.items()}
        ).static_order())
        self.column_exprs: dict[tuple[str, str], Expression] = {}
        for f in self.fields.values():
            for col in f.columns or []:
                if col.kind == FieldKind.COMPUTED and col.expr:
                    self.column_exprs[(f.id, col.id)] = check_expression(col.expr, {c.id for c in f.columns})
        self.rules: list[_CompiledRule] = []
        all_rules = [(r, s.id) for s in template.sections for r in s.rules] + [(r, None) for r in template.rules]
        for index, (rule, section_id) in enumerate(all_rules):
            expr = check_expression(rule.check, known)
            targets = tuple(rule.fields or [n for n in sorted(expr.names) if n in self.fields]
                            or [template.sections[0].fields[0].id])
            self.rules.append(_CompiledRule(index, rule, expr, section_id or self.section_of[targets[0]], targets))
        # Dependency indexes for incremental re-validation.
        self.dependents: dict[str, set[str]] = defaultdict(set)  # name -> computed ids reading it
        for cid, expr in self.computed.items():
            for name in expr.names:
                self.dependents[name].add(cid)
        self.rules_reading: dict[str, list[_CompiledRule]] = defaultdict(list)
        for crule in self.rules:
            for name in crule.expr.names:
                self.rules_reading[name].append(crule)

    # --- public API ----------------------------------------------------------------
    def validate(self, values: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> ValidationResult:
        names = self._names(values, context)
        computed = self._compute(names, self.computed_order)
        result = ValidationResult(computed=computed)
        for fid, f in self.fields.items():
            result.by_source[("field", fid)] = self._check_field(f, values.get(fid), context)
        for crule in self.rules:
            result.by_source[("rule", crule.index)] = self._check_rule(crule, names)
        return result

    def compute(self, values: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Only the computed values (no checks): what a consolidation needs per unit."""
        return self._compute(self._names(values, context), self.computed_order)

    def revalidate(self, previous: ValidationResult, values: Mapping[str, Any], changed: str,
                   context: Mapping[str, Any] | None = None) -> ValidationResult:
        affected = self._affected_computed(changed)
        names = self._names(values, context, previous.computed)
        order = [cid for cid in self.computed_order if cid in affected]
        computed = dict(previous.computed)
        computed.update(self._compute(names, order))
        result = ValidationResult(computed=computed, by_source=dict(previous.by_source))
        for fid in {changed} | affected:
            if fid in self.fields:
                result.by_source[("field", fid)] = self._check_field(self.fields[fid], values.get(fid), context)
        seen: set[int] = set()
        for name in {changed} | affected:
            for crule in self.rules_reading.get(name, []):
                if crule.index not in seen:
                    seen.add(crule.index)
                    result.by_source[("rule", crule.index)] = self._check_rule(crule, names)
        return result

    def section_status(self, values: Mapping[str, Any], result: ValidationResult) -> list[SectionStatus]:
        statuses = []
        for section in self.template.sections:
            inputs = [f for f in section.fields if f.kind != FieldKind.COMPUTED]
            required = [f for f in inputs if f.required]
            issues = [i for i in result.issues if i.section_id == section.id]
            statuses.append(SectionStatus(
                section_id=section.id,
                required=len(required),
                filled_required=sum(1 for f in required if not is_empty(values.get(f.id))),
                filled=sum(1 for f in inputs if not is_empty(values.get(f.id))),
                inputs=len(inputs),
                errors=sum(1 for i in issues if i.severity == ERROR),
                warnings=sum(1 for i in issues if i.severity == WARNING),
            ))
        return statuses

    def completeness(self, values: Mapping[str, Any]) -> float:
        inputs = [f for f in self.fields.values() if f.kind != FieldKind.COMPUTED]
        required = [f for f in inputs if f.required] or inputs
        if not required:
            return 1.0
        return sum(1 for f in required if not is_empty(values.get(f.id))) / len(required)

    # --- internals -----------------------------------------------------------------
    def _affected_computed(self, changed: str) -> set[str]:
        affected: set[str] = set()
        stack = [changed]
        while stack:
            for cid in self.dependents.get(stack.pop(), ()):
                if cid not in affected:
                    affected.add(cid)
                    stack.append(cid)
        return affected

    def _names(self, values: Mapping[str, Any], context: Mapping[str, Any] | None,
               computed: Mapping[str, Any] | None = None) -> dict[str, Any]:
        names: dict[str, Any] = {fid: values.get(fid) for fid in self.fields if fid not in self.computed}
        names.update(computed or {})
        villages = (context or {}).get("villages")
        names["so_thon_don_vi"] = len(villages) if villages else None  # no list: unknown, rules wait
        return names

    def _compute(self, names: dict[str, Any], order: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for cid in order:
            expr = self.computed[cid]
            if any(is_empty(names.get(n)) for n in expr.required_names):
                value = None
            else:
                try:
                    value = expr.evaluate(names)
                except Exception:  # noqa: BLE001 - a template formula failing must never break editing
                    value = None
            if isinstance(value, bool) or not isinstance(value, (int, float, str, type(None))):
                value = None
            if isinstance(value, float) and value.is_integer() and self.fields[cid].display != "percent":
                value = int(value)
            names[cid] = value
            out[cid] = value
        return out

    def _check_rule(self, crule: _CompiledRule, names: Mapping[str, Any]) -> list[Issue]:
        if any(is_empty(names.get(n)) for n in crule.expr.required_names):
            return []
        try:
            ok = crule.expr.evaluate(names)
        except Exception:  # noqa: BLE001 - e.g. division by zero: the rule cannot be judged yet
            return []
        if ok:
            return []
        return [Issue(crule.rule.severity, target, self.section_of[target], crule.rule.message)
                for target in crule.targets]

    def _check_field(self, f: Field, value: Any, context: Mapping[str, Any] | None) -> list[Issue]:
        section = self.section_of[f.id]
        if f.kind == FieldKind.COMPUTED:
            return []
        issues: list[Issue] = []

        def add(message: str, code: str, severity: str = ERROR, row: int | None = None,
                column: str | None = None) -> None:
            issues.append(Issue(severity, f.id, section, message, code, row, column))

        if is_empty(value):
            if f.required:
                add(f"Chưa nhập «{f.label}».", "required")
            elif f.kind == FieldKind.TABLE and f.min_rows:
                add(f"«{f.label}» cần ít nhất {f.min_rows} dòng.", "required")
            return issues
        if f.kind == FieldKind.TABLE:
            self._check_table(f, value, add)
        else:
            for message, code in check_value(f, value):
                add(message, code)
        previous = (context or {}).get("previous") or {}
        if kind_spec(f.kind).outlier_warning and f.id in previous:
            message = _outlier(f, value, previous[f.id])
            if message:
                add(message, "outlier", WARNING)
        return issues

    def _check_table(self, f: Field, rows: Any, add) -> None:
        if not isinstance(rows, list):
            add(f"«{f.label}» phải là bảng.", "type")
            return
        if f.rows:
            for message in check_fixed_cells(f, rows):
                add(message, "declared")
        filled = [r for r in rows if isinstance(r, dict) and not is_empty(r)]
        if f.min_rows and len(filled) < f.min_rows:
            add(f"«{f.label}» cần ít nhất {f.min_rows} dòng.", "required")
        if f.max_rows and len(filled) > f.max_rows:
            add(f"«{f.label}» có nhiều nhất {f.max_rows} dòng.", "range")
        for index, row in enumerate(rows, start=1):
            if not isinstance(row, dict) or is_empty(row):
                continue
            for col in f.columns or []:
                if col.kind == FieldKind.COMPUTED:
                    continue
                cell = row.get(col.id)
                if is_empty(cell):
                    if col.required:
                        add(f"«{f.label}», dòng {index}: chưa nhập «{col.label}».", "required",
                            row=index, column=col.id)
                    continue
                for message, code in check_value(col, cell):
                    add(f"«{f.label}», dòng {index}: {message}", code, row=index, column=col.id)

    def table_rows_with_computed(self, field_id: str, rows: list[dict]) -> list[dict]:
        """Rows with their computed columns filled in (for display and documents)."""
        f = self.fields[field_id]
        out = []
        for row in rows or []:
            full = dict(row)
            for col in f.columns or []:
                expr = self.column_exprs.get((field_id, col.id))
                if expr is None:
                    continue
                try:
                    full[col.id] = None if any(is_empty(full.get(n)) for n in expr.required_names) \
                        else expr.evaluate(full)
                except Exception:  # noqa: BLE001
                    full[col.id] = None
            out.append(full)
        return out

    def column_totals(self, field_id: str, rows: list[dict]) -> dict[str, Any]:
        f = self.fields[field_id]
        totals: dict[str, Any] = {}
        full = self.table_rows_with_computed(field_id, rows)
        for col in f.columns or []:
            if col.total:
                numbers = [r.get(col.id) for r in full if isinstance(r.get(col.id), (int, float))
                           and not isinstance(r.get(col.id), bool)]
                totals[col.id] = sum(numbers) if numbers else 0
        return totals


OUTLIER_RATIO = 0.5
OUTLIER_MIN_CHANGE = 10


def _outlier(f: Field, value: Any, previous: Any) -> str | None:
    """A soft warning when a value moved far from last period's (DHIS2-style)."""
    if not isinstance(previous, (int, float)) or isinstance(previous, bool) or not isinstance(value, (int, float)):
        return None
    change = abs(value - previous)
    base = max(abs(previous), 1)
    if change >= OUTLIER_MIN_CHANGE and change / base > OUTLIER_RATIO:
        return (f"«{f.label}» là {format_number(value)}, khác nhiều so với kỳ trước "
                f"({format_number(previous)}). Vui lòng kiểm tra lại.")
    return None
