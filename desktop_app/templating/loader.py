"""Load a template file and report every problem with file, line and a Vietnamese message.

A broken template never raises out of :func:`load_template`: it returns the list of
problems, and the caller (registry, CLI ``templates check``) shows them.
"""

from __future__ import annotations

from collections.abc import Mapping, Set as AbstractSet
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING, Any


from desktop_app.domain.fieldkinds import ValueProblem, check as check_value, kind_spec, parse as coerce
from desktop_app.templating.expressions import ExpressionError, check_expression
from desktop_app.templating.model import ZERO_OMIT, Block, Field, FieldKind, Template, dumped, rebuilt, validated
from desktop_app.domain.text import nfc_deep

if TYPE_CHECKING:  # PyYAML is imported where a text is parsed: a start with remembered templates reads none
    import yaml

# Limits that keep `templates check`, bundle verify and start-up within about two seconds for
# any file; the largest bundled template (ntm-tieu-chi-8) has 56 KB, about 1,300 items and
# 72 sentences of 16,000 characters in all, so each limit leaves six times that room or more.
MAX_TEMPLATE_BYTES = 1_000_000
MAX_YAML_NODES = 20_000
MAX_YAML_DEPTH = 40       # nesting of groups and lists (the bundled templates need 8)
MAX_DOCUMENT_TEXTS = 2_000  # sentences (text, heading, summary, each) checked per template
MAX_DOCUMENT_TEXT_CHARS = 100_000  # all of them together (ntm-tieu-chi-8: 16,000)
MAX_EXPRESSION_CHARS = 50_000      # every expr, check and when together (ntm-tieu-chi-8: 3,100)


def _yaml_loader():
    """libyaml's C parser when PyYAML has it (its wheels do): several times faster at start-up."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.file}" + (f", dòng {self.line}" if self.line else "")
        return f"{place} ({self.where}): {self.message}" if self.where else f"{place}: {self.message}"


class TemplateLoadError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# --- YAML with line numbers --------------------------------------------------------

class _UnsafeYaml(Exception):
    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line, self.message = line, message


def _precheck_events(text: str) -> None:
    """Refuse anchors and aliases (``&a`` / ``*a``: "billion laughs"), and too many or too deeply
    nested items, from libyaml's event stream: O(1) memory, before any tree is built."""
    import yaml

    count = depth = 0
    for event in yaml.parse(text, Loader=_yaml_loader()):
        count += 1
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _UnsafeYaml(line, "tệp mẫu không được dùng neo và bí danh YAML («&…», «*…»); "
                                    "hãy viết đầy đủ từng mục")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise _UnsafeYaml(line, f"tệp mẫu lồng nhau quá sâu (quá {MAX_YAML_DEPTH} mức)")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if count > 2 * MAX_YAML_NODES:
            raise _UnsafeYaml(line, f"tệp mẫu có quá nhiều mục (quá {MAX_YAML_NODES:,})".replace(",", "."))


def _line_map(node: yaml.Node, path: tuple = (), out: dict | None = None, dups: list | None = None):
    """Map every key path (as pydantic reports it) to its 1-based line in the file."""
    import yaml

    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if dups is not None and key in seen:
                dups.append((path + (key,), key_node.start_mark.line + 1))
            seen.add(key)
            out[path + (key,)] = key_node.start_mark.line + 1
            _line_map(value_node, path + (key,), out, dups)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, path + (index,), out, dups)
    return out


def _line_for(lines: dict, loc: tuple) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


_PART_NAMES = {"sections": "phần", "fields": "trường", "columns": "cột", "rules": "quy tắc", "body": "khối văn bản",
               "rows": "dòng"}


def _where(data: Any, loc: tuple) -> str:
    """Human path: ``phần 2 «buu_chinh» › trường 3 «so_diem»``."""
    parts: list[str] = []
    node = data
    i = 0
    loc = tuple(loc)
    while i < len(loc):
        key = loc[i]
        if isinstance(key, str) and key in _PART_NAMES and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            index = loc[i + 1]
            listed = node.get(key) if isinstance(node, dict) else None
            item = listed[index] if isinstance(listed, list) and index < len(listed) else None
            label = f"{_PART_NAMES[key]} {index + 1}"
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                label += f" «{item['id']}»"
            parts.append(label)
            node = item
            i += 2
            continue
        parts.append(str(key))
        node = node.get(key) if isinstance(node, dict) else None
        i += 1
    return " › ".join(parts)


_PYDANTIC_MESSAGES = {
    "missing": "thiếu mục bắt buộc",
    "extra_forbidden": "mục này không có trong định dạng mẫu báo cáo (gõ sai tên?)",
    # the template's classes are dataclasses: pydantic names these errors as for arguments
    "missing_keyword_only_argument": "thiếu mục bắt buộc",
    "missing_argument": "thiếu mục bắt buộc",
    "unexpected_keyword_argument": "mục này không có trong định dạng mẫu báo cáo (gõ sai tên?)",
    "unexpected_positional_argument": "phải là một nhóm mục (tên: giá trị)",
    "dataclass_type": "phải là một nhóm mục (tên: giá trị)",
    "dataclass_args_type": "phải là một nhóm mục (tên: giá trị)",
    "string_type": "phải là chữ (chuỗi)",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "float_type": "phải là số",
    "float_parsing": "phải là số",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "phải là true hoặc false",
    "list_type": "phải là một danh sách (các dòng bắt đầu bằng «- »)",
    "dict_type": "phải là một nhóm mục (tên: giá trị)",
    "model_type": "phải là một nhóm mục (tên: giá trị)",
    "model_attributes_type": "phải là một nhóm mục (tên: giá trị)",
    "date_type": "phải là ngày dạng NĂM-THÁNG-NGÀY, ví dụ 2023-01-01",
    "date_parsing": "phải là ngày dạng NĂM-THÁNG-NGÀY, ví dụ 2023-01-01",
    "date_from_datetime_parsing": "phải là ngày dạng NĂM-THÁNG-NGÀY, ví dụ 2023-01-01",
    "string_too_short": "không được để trống",
    "string_too_long": "quá dài",
    "too_short": "danh sách không được để trống",
    "greater_than_equal": "quá nhỏ",
    "less_than_equal": "quá lớn",
    "greater_than": "quá nhỏ",
}


def _pydantic_message(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "string_pattern_mismatch":
        field = err["loc"][-1] if err.get("loc") else ""
        if field == "version":
            return f"«{err.get('input')}» không phải số phiên bản (ví dụ 2023.1)"
        if field == "province":
            return f"«{err.get('input')}» không phải mã tỉnh hai chữ số (ví dụ 51)"
        if tuple(err.get("loc", ())) == ("id",):
            return (f"«{err.get('input')}» không phải mã mẫu hợp lệ: chữ thường không dấu, chữ số, dấu gạch "
                    "ngang hoặc gạch dưới, bắt đầu bằng chữ (ví dụ cao-diem-dvctt)")
        return (f"«{err.get('input')}» không phải mã hợp lệ: chỉ dùng chữ thường không dấu, chữ số và "
                "dấu gạch dưới, bắt đầu bằng chữ (ví dụ so_tram_bts)")
    if kind in ("literal_error", "enum"):
        expected = str(err.get("ctx", {}).get("expected", "")).replace("' or '", "', '")  # pydantic's English «or»
        return f"giá trị «{err.get('input')}» không hợp lệ; chỉ được dùng: {expected}"
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err.get("msg", "")))
    return _PYDANTIC_MESSAGES.get(kind, f"giá trị không hợp lệ ({kind})")


# --- semantic checks ---------------------------------------------------------------

class _Checker:
    """Cross-reference checks that the structural model cannot express."""

    def __init__(self, template: Template, data: dict, lines: dict, file: str):
        self.t, self.data, self.lines, self.file = template, data, lines, file
        self.problems: list[Problem] = []

    def add(self, loc: tuple, message: str) -> None:
        self.problems.append(Problem(self.file, _line_for(self.lines, loc), _where(self.data, loc), message))

    def run(self) -> list[Problem]:
        # Jinja2 (doctext) only when sentences are checked: a text checked before skips it at start.
        from desktop_app.templating.doctext import BUILTIN_NAMES

        reserved_names = BUILTIN_NAMES | {"stt"}
        t = self.t
        if self._too_large():
            return self.problems
        if t.effective_to and t.effective_to < t.effective_from:
            self.add(("effective_to",), "ngày hết hiệu lực trước ngày bắt đầu hiệu lực")
        field_ids: dict[str, tuple] = {}
        section_ids: set[str] = set()
        for si, section in enumerate(t.sections):
            if section.id in section_ids:
                self.add(("sections", si, "id"), f"mã phần «{section.id}» bị trùng")
            section_ids.add(section.id)
            for fi, f in enumerate(section.fields):
                loc = ("sections", si, "fields", fi)
                if f.id in field_ids:
                    self.add(loc + ("id",), f"mã trường «{f.id}» bị trùng (đã dùng ở phần khác)")
                field_ids[f.id] = loc
                if f.id in reserved_names:
                    self.add(loc + ("id",), f"«{f.id}» là tên dành sẵn cho văn bản xuất ra; hãy đặt mã khác")
                self._check_field(f, loc)
        known = set(field_ids) | {"so_thon_don_vi"}
        self._check_expressions(known, field_ids)
        self._check_document(known, field_ids)
        return self.problems

    def _check_field(self, f, loc: tuple) -> None:
        kind = f.kind
        spec = kind_spec(kind)
        if spec.needs_options and not f.options:
            self.add(loc, "trường lựa chọn phải có danh sách «options»")
        if not spec.needs_options and f.options:
            self.add(loc + ("options",), "chỉ trường lựa chọn (choice) mới có «options»")
        if spec.needs_expr and not f.expr:
            self.add(loc, "trường tính tự động phải có biểu thức «expr»")
        if not spec.needs_expr and f.expr:
            self.add(loc + ("expr",), "chỉ trường tính tự động (computed) mới có «expr»")
        if kind == FieldKind.TABLE:
            if not f.columns:
                self.add(loc, "bảng phải có danh sách cột «columns»")
            else:
                seen: set[str] = set()
                for ci, col in enumerate(f.columns):
                    cloc = loc + ("columns", ci)
                    if col.id in seen:
                        self.add(cloc + ("id",), f"mã cột «{col.id}» bị trùng")
                    seen.add(col.id)
                    col_spec = kind_spec(col.kind)
                    if not col_spec.column:
                        self.add(cloc + ("kind",), f"cột không thể có kiểu «{col.kind.value}»")
                    if col_spec.needs_options and not col.options:
                        self.add(cloc, "cột lựa chọn phải có danh sách «options»")
                    if col.total and not col_spec.number_valued:
                        self.add(cloc + ("total",), "chỉ cột số mới có dòng tổng")
                    if col.min is not None and col.max is not None and col.min > col.max:
                        self.add(cloc, "min lớn hơn max")
                    if col_spec.needs_expr:
                        if not col.expr:
                            self.add(cloc, "cột tính tự động phải có biểu thức «expr»")
                        else:
                            try:
                                check_expression(col.expr, seen | {c.id for c in f.columns})
                            except ExpressionError as exc:
                                self.add(cloc + ("expr",), str(exc))
            if f.rows:
                self._check_declared_rows(f, loc)
            if f.prefill == "villages" and not any(c.kind == FieldKind.TEXT for c in f.columns or []):
                self.add(loc + ("prefill",), "bảng điền sẵn tên thôn phải có một cột kiểu text để ghi tên thôn")
        elif f.prefill == "village_count":
            if f.kind != FieldKind.INTEGER:
                self.add(loc + ("prefill",), "«prefill: village_count» chỉ dùng cho trường số nguyên (integer)")
            if f.columns or f.min_rows is not None or f.max_rows is not None:
                self.add(loc, "chỉ bảng (table) mới có «columns», «min_rows», «max_rows»")
        elif f.columns or f.prefill or f.min_rows is not None or f.max_rows is not None or f.rows:
            self.add(loc, "chỉ bảng (table) mới có «columns», «prefill», «min_rows», «max_rows», «rows»")
        if f.min is not None and f.max is not None and f.min > f.max:
            self.add(loc, "min lớn hơn max")
        if f.aggregate == "sum" and not spec.summable:
            self.add(loc + ("aggregate",),
                     "chỉ trường số, số tiền hoặc tỷ lệ (tử số/mẫu số) mới cộng được khi tổng hợp")
        if f.aggregate and spec.consolidation in ("rows", "recompute"):
            self.add(loc + ("aggregate",),
                     "bảng và trường tính tự động được tổng hợp theo cách riêng, không đặt «aggregate»")
        if f.min_rows is not None and f.max_rows is not None and f.min_rows > f.max_rows:
            self.add(loc, "min_rows lớn hơn max_rows")

    def _check_declared_rows(self, f, loc: tuple) -> None:
        """Declared rows: only with columns that exist and are typed in, values of the column's kind."""
        if f.prefill or f.min_rows is not None or f.max_rows is not None:
            self.add(loc + ("rows",), "bảng có dòng do mẫu quy định («rows») không dùng «prefill», «min_rows», "
                                      "«max_rows» (số dòng là số dòng đã khai)")
        columns = {c.id: c for c in f.columns or []}
        for ri, row in enumerate(f.rows or []):
            rloc = loc + ("rows", ri)
            for column, value in row.items():
                col = columns.get(column)
                if col is None:
                    self.add(rloc + (column,), f"bảng «{f.id}» không có cột «{column}»")
                elif col.kind == FieldKind.COMPUTED:
                    self.add(rloc + (column,), f"cột «{column}» được tính tự động, không ghi sẵn giá trị")
                else:
                    try:
                        stored = coerce(col, value)
                        problems = check_value(col, stored) if stored is not None else []
                    except ValueProblem as exc:
                        problems = [(str(exc), "type")]
                    if stored is None and not problems:
                        problems = [("ô do mẫu quy định không được để trống", "required")]
                    for message, _code in problems:
                        self.add(rloc + (column,), message)

    def _check_expressions(self, known: set[str], field_ids: dict[str, tuple]) -> None:
        graph: dict[str, set[str]] = {}
        for f in self.t.all_fields():
            if f.kind == FieldKind.COMPUTED and f.expr:
                try:
                    expr = check_expression(f.expr, known)
                    graph[f.id] = set(expr.names)
                    self._check_columns(expr, field_ids[f.id] + ("expr",))
                except ExpressionError as exc:
                    self.add(field_ids[f.id] + ("expr",), str(exc))
        try:
            tuple(TopologicalSorter(graph).static_order())
        except CycleError as exc:
            cycle = " → ".join(exc.args[1])
            self.add(field_ids[exc.args[1][0]], f"các trường tính tự động phụ thuộc vòng tròn: {cycle}")
        rule_sets = [(("rules",), self.t.rules)] + [
            (("sections", si, "rules"), s.rules) for si, s in enumerate(self.t.sections)
        ]
        for base, rules in rule_sets:
            for ri, rule in enumerate(rules):
                loc = base + (ri,)
                try:
                    self._check_columns(check_expression(rule.check, known), loc + ("check",))
                except ExpressionError as exc:
                    self.add(loc + ("check",), str(exc))
                for name in rule.fields or []:
                    if name not in field_ids:
                        self.add(loc + ("fields",), f"không có trường nào tên «{name}»")

    def _check_columns(self, expr, loc: tuple) -> None:
        """total/count_if/count_rows name a column of the table they are given: a typo would count 0."""
        tables = {f.id: f for f in self.t.all_fields() if f.kind == FieldKind.TABLE}
        for table, column in expr.columns:
            if table not in tables:
                self.add(loc, f"«{table}» không phải là một bảng của mẫu")
            elif column not in {c.id for c in tables[table].columns or []}:
                self.add(loc, f"bảng «{table}» không có cột «{column}»")

    def _blocks(self) -> list[Block]:
        t = self.t
        return [*t.document.opening, *t.document.closing, *(b for s in t.sections for b in s.body)]

    def _too_large(self) -> bool:
        """More sentences or expressions than checking may cost (see the limits above)."""
        t, blocks = self.t, self._blocks()
        texts = [t.document.summary] + [b.heading if b.kind == "heading" else b.text
                                        for b in blocks if b.kind in ("heading", "text", "each")]
        fields = list(t.all_fields())
        expressions = [f.expr for f in fields if f.expr] + [c.expr for f in fields for c in f.columns or [] if c.expr]
        expressions += [r.check for r in t.rules] + [r.check for s in t.sections for r in s.rules]
        expressions += [b.when for b in blocks if b.when]
        volume, expr_volume = sum(map(len, texts)), sum(map(len, expressions))
        n = lambda x: f"{x:,}".replace(",", ".")  # noqa: E731
        if len(texts) > MAX_DOCUMENT_TEXTS or volume > MAX_DOCUMENT_TEXT_CHARS:
            self.add(("document",), f"mẫu có {n(len(texts))} câu văn, tổng {n(volume)} ký tự: quá giới hạn "
                                    f"{n(MAX_DOCUMENT_TEXTS)} câu, {n(MAX_DOCUMENT_TEXT_CHARS)} ký tự")
        if expr_volume > MAX_EXPRESSION_CHARS:
            self.add((), f"các biểu thức của mẫu dài tổng cộng {n(expr_volume)} ký tự, quá giới hạn "
                         f"{n(MAX_EXPRESSION_CHARS)} ký tự")
        return bool(self.problems)

    def _check_document(self, known: set[str], field_ids: dict[str, tuple]) -> None:
        from desktop_app.templating.doctext import BUILTIN_NAMES, DocTextError, referenced_names

        names = known | BUILTIN_NAMES
        fields = {f.id: f for f in self.t.all_fields()}

        def check_text(source: str, loc: tuple, extra: AbstractSet[str] = frozenset()) -> None:
            try:
                unknown = referenced_names(source) - names - set(extra)
            except DocTextError as exc:
                self.add(loc, str(exc))
                return
            if unknown:
                self.add(loc, f"câu văn dùng tên chưa khai báo: {', '.join(sorted(unknown))}")

        def check_blocks(blocks: list[Block], base: tuple) -> None:
            for bi, block in enumerate(blocks):
                loc = base + (bi,)
                if block.when:
                    try:
                        self._check_columns(check_expression(block.when, known), loc + ("when",))
                    except ExpressionError as exc:
                        self.add(loc + ("when",), str(exc))
                kind = block.kind
                if kind != "table" and (block.group_by is not None or block.group_titles is not None):
                    self.add(loc + ("group_by",), "«group_by» chỉ dùng cho khối «table»")
                if block.zero is not None and block.zero != ZERO_OMIT:
                    if kind not in ("heading", "text", "each"):
                        self.add(loc + ("zero",), "«zero» chỉ dùng cho câu văn (heading, text, each)")
                    else:
                        extra = {c.id for c in fields[block.each].columns or []} | {"stt"} \
                            if kind == "each" and block.each in fields else set()
                        check_text(block.zero, loc + ("zero",), extra)
                if kind in ("heading", "text"):
                    check_text(block.heading if kind == "heading" else block.text, loc + (kind,))
                elif kind in ("table", "each"):
                    target = block.table if kind == "table" else block.each
                    f = fields.get(target)
                    if f is None or f.kind != FieldKind.TABLE:
                        self.add(loc + (kind,), f"«{target}» không phải là một bảng của mẫu")
                        continue
                    col_ids = {c.id for c in f.columns or []}
                    if kind == "each":
                        check_text(block.text, loc + ("text",), col_ids | {"stt"})
                    for col in block.columns or []:
                        if col not in col_ids:
                            self.add(loc + ("columns",), f"bảng «{target}» không có cột «{col}»")
                    if kind == "table" and (block.group_by is not None or block.group_titles is not None):
                        for key, message in _group_problems(block, f):
                            self.add(loc + (key,), message)
                elif kind == "paragraphs":
                    f = fields.get(block.paragraphs)
                    if f is None or not kind_spec(f.kind).textual:
                        self.add(loc + ("paragraphs",), f"«{block.paragraphs}» không phải là trường văn bản")

        check_text(self.t.document.summary, ("document", "summary"))
        check_blocks(self.t.document.opening, ("document", "opening"))
        check_blocks(self.t.document.closing, ("document", "closing"))
        for si, section in enumerate(self.t.sections):
            check_blocks(section.body, ("sections", si, "body"))


def _group_problems(block: Block, table: Field) -> list[tuple[str, str]]:
    """``group_by`` names a choice column of the table; ``group_titles`` keys are its options."""
    if block.group_by is None:
        return [("group_titles", "«group_titles» cần «group_by» (cột chia nhóm)")]
    columns = {c.id: c for c in table.columns or []}
    column = columns.get(block.group_by)
    if column is None:
        return [("group_by", f"bảng «{table.id}» không có cột «{block.group_by}» để chia nhóm")]
    if not kind_spec(column.kind).needs_options or not column.options:
        return [("group_by", f"cột «{column.id}» phải là cột lựa chọn (choice) mới chia nhóm được")]
    unknown = sorted(set(block.group_titles or {}) - set(column.options))
    if unknown:
        return [("group_titles", f"«{', '.join(unknown)}» không phải là lựa chọn của cột «{column.id}»")]
    return []


def parse_template_text(text: str, file: str, checked_before: bool = False) -> tuple[Template | None, list[Problem]]:
    """``checked_before``: this very text passed every check of this very program before (see
    :mod:`desktop_app.templating.checked`): the model is still validated, the sentences not again."""
    import yaml
    from yaml.constructor import SafeConstructor

    if len(text) > MAX_TEMPLATE_BYTES:
        return None, [Problem(file, None, "", _too_large(len(text.encode("utf-8", "surrogatepass"))))]
    try:
        _precheck_events(text)
        node = yaml.compose(text, Loader=_yaml_loader())  # parsed once: lines and data from one tree
        data = SafeConstructor().construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(file, line, "", f"tệp không đúng cú pháp YAML/JSON: {reason}")]
    except _UnsafeYaml as exc:
        return None, [Problem(file, exc.line, "", exc.message)]
    if not isinstance(data, dict) or node is None:
        return None, [Problem(file, 1, "", "tệp mẫu phải là một nhóm mục (bắt đầu bằng «format: 1»)")]
    duplicates: list = []
    lines = _line_map(node, dups=duplicates)
    problems = [
        Problem(file, line, _where(data, path[:-1]), f"mục «{path[-1]}» bị khai báo hai lần")
        for path, line in duplicates
    ]
    if data.get("format") not in (None, 1):
        return None, problems + [Problem(file, lines.get(("format",)), "format",
                                         f"định dạng mẫu {data.get('format')!r} chưa được hỗ trợ (chỉ có 1)")]
    data = nfc_deep(data)
    from pydantic import ValidationError  # here only: a start that reads checked templates never needs it

    try:
        template = validated(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            problems.append(Problem(file, _line_for(lines, loc), _where(data, loc), _pydantic_message(err)))
        return None, problems
    if not checked_before:
        problems += _Checker(template, data, lines, file).run()
    return (None if problems else template), problems


def _too_large(size: int) -> str:
    return f"tệp mẫu quá lớn ({size:,} byte; tối đa {MAX_TEMPLATE_BYTES:,} byte)".replace(",", ".")


def read_template_file(path: Path) -> tuple[str | None, list[Problem]]:
    """The text of a template file, read within the size limit whatever the file claims."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            return None, [Problem(name, None, "", _too_large(size))]
        with path.open("rb") as handle:  # never more than the limit, whatever stat said
            raw = handle.read(MAX_TEMPLATE_BYTES + 1)
        if len(raw) > MAX_TEMPLATE_BYTES:
            return None, [Problem(name, None, "", _too_large(len(raw)))]
    except FileNotFoundError:
        return None, [Problem(name, None, "", "không tìm thấy tệp")]
    except IsADirectoryError:
        return None, [Problem(name, None, "", "đây là một thư mục, không phải tệp mẫu")]
    except PermissionError:
        return None, [Problem(name, None, "", "không có quyền đọc tệp")]
    except OSError as exc:
        return None, [Problem(name, None, "", f"không đọc được tệp: {exc.strerror or exc}")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return None, [Problem(name, None, "", "tệp mẫu phải được lưu với mã UTF-8")]


def load_template(path: Path) -> tuple[Template | None, list[Problem]]:
    text, problems = read_template_file(path)
    if text is None:
        return None, problems
    return parsed_once(text, path.name)


_PARSED: dict[tuple[str, str], tuple[Template | None, list[Problem]]] = {}
_PARSED_MAX = 64


def parsed_once(text: str, file: str) -> tuple[Template | None, list[Problem]]:
    """The same file text is parsed and checked once per process (templates are frozen): every
    Workspace, reload and restore after the first reads them back in microseconds."""

    from desktop_app.templating import checked

    digest = checked.text_key(text)
    key = (file, digest)
    found = _PARSED.get(key)
    if found is None:
        remembered = _remembered(digest)
        found = (remembered, []) if remembered is not None else \
            parse_template_text(text, file, checked_before=checked.passed_before(digest))
        if found[0] is not None and not found[1]:
            checked.remember_passed(digest)
            if remembered is None:
                _remember(digest, found[0])
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = found
    template, problems = found
    return template, list(problems)


def _remembered(digest: str) -> Template | None:
    """The template a text that passed before was parsed into (no YAML read, no validation: this
    program wrote it, after validating it, in this user's own cache folder)."""
    from desktop_app.templating import checked

    data = checked.parsed(digest)
    return None if data is None else _rebuilt_or_none(data)


def _rebuilt_or_none(data) -> Template | None:
    """None when ``data`` is not what this program wrote (then the text is parsed as usual)."""
    try:
        return rebuilt(data)
    except (ValueError, TypeError, AttributeError):
        return None


def _remember(digest: str, template: Template) -> None:
    from desktop_app.templating import checked

    data = dumped(template)
    # it reads back as exactly this template, validated and rebuilt alike
    if validated(data) == template == _rebuilt_or_none(data):
        checked.remember_parsed(digest, data)
