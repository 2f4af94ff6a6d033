"""The safe expression language used by template rules and computed values.

Expressions are a small subset of Python syntax: numbers, strings, field names,
arithmetic (+ - * / // %), comparisons, ``and``/``or``/``not``, ``x if c else y`` and calls to
the functions listed in :data:`FUNCTION_HELP`. Everything else — attribute access,
indexing, powers, lambdas, comprehensions, imports — is rejected when the template is
loaded, and evaluation goes through ``simpleeval`` (never Python's ``eval``), so a
template can compute but never execute code.
"""

from __future__ import annotations

import ast
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import simpleeval

# Sized for real formulas (a group count over 30 indicators is about 1,500 characters written
# out); the template's expressions together stay within loader.MAX_EXPRESSION_CHARS.
MAX_EXPRESSION_LENGTH = 4000
MAX_LIST_ITEMS = 200  # a list written in an expression: count([...], 'Đạt') over many fields
MAX_CONDITIONS = 4  # column/value pairs of count_rows
MAX_CONSTANT = 10**15
MAX_STRING_CONSTANT = 200


class ExpressionError(ValueError):
    """The expression is not allowed or does not parse; the message is Vietnamese."""


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    return None


def fn_pct(a: Any, b: Any = None) -> float | None:
    """pct(a, b) = a / b × 100; pct(ratio) uses the ratio's parts. None when b is 0 or missing."""
    if b is None and isinstance(a, Mapping):
        a, b = a.get("num"), a.get("den")
    na, nb = _number(a), _number(b)
    if na is None or not nb:
        return None
    return na / nb * 100


def fn_num(ratio: Any) -> Any:
    return ratio.get("num") if isinstance(ratio, Mapping) else None


def fn_den(ratio: Any) -> Any:
    return ratio.get("den") if isinstance(ratio, Mapping) else None


def fn_total(table: Any, column: str) -> float | int:
    """Sum of a table column, empty cells ignored."""
    if not isinstance(table, list):
        return 0
    values = [row.get(column) for row in table if isinstance(row, Mapping)]
    numbers = [v for v in values if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)]
    # Stored values are JSON numbers (int, float); a Decimal comes only from a caller's own data.
    return sum(numbers) if numbers else 0  # type: ignore[arg-type]


def fn_rows(table: Any) -> int:
    """Number of rows of a table that hold at least one value."""
    if not isinstance(table, list):
        return 0
    return sum(1 for row in table if isinstance(row, Mapping) and any(not _is_empty(v) for v in row.values()))


def fn_count_if(table: Any, column: str, value: Any) -> int:
    if not isinstance(table, list):
        return 0
    return sum(1 for row in table if isinstance(row, Mapping) and row.get(column) == value)


def _matches(value: Any, wanted: Any) -> bool:
    """``wanted`` is one answer, or a list of answers any of which counts."""
    if isinstance(wanted, (list, tuple)):
        return any(_matches(value, w) for w in wanted)
    if isinstance(value, bool) != isinstance(wanted, bool):
        return False  # True is not 1: a yes/no answer never counts as the number 1
    return not _is_empty(value) and value == wanted


def fn_count(values: Any, wanted: Any) -> int:
    """count([a, b, c], 'Đạt'): how many of the listed fields hold the answer (empty ones do not)."""
    if not isinstance(values, (list, tuple)):
        return 0
    return sum(1 for v in values if _matches(v, wanted))


def fn_count_rows(table: Any, *conditions: Any) -> int:
    """count_rows(bang, 'cot', gia_tri, 'cot2', gia_tri2…): rows where every column holds its value."""
    if not isinstance(table, list) or len(conditions) % 2:
        return 0
    pairs = list(zip(conditions[::2], conditions[1::2]))
    return sum(1 for row in table if isinstance(row, Mapping) and not _is_empty(row)
               and all(_matches(row.get(column), wanted) for column, wanted in pairs))


def fn_value_or(value: Any, default: Any) -> Any:
    return default if _is_empty(value) else value


def fn_round(value: Any, digits: int = 0) -> float | None:
    n = _number(value)
    return None if n is None else round(n, int(digits))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "pct": fn_pct,
    "num": fn_num,
    "den": fn_den,
    "total": fn_total,
    "rows": fn_rows,
    "count_if": fn_count_if,
    "count": fn_count,
    "count_rows": fn_count_rows,
    "empty": _is_empty,
    "value_or": fn_value_or,
    "round": fn_round,
    "min": min,
    "max": max,
    "abs": abs,
}

FUNCTION_HELP = {
    "pct": "pct(a, b): tỷ lệ phần trăm a/b×100; pct(x) với x là trường tỷ lệ",
    "num": "num(x): tử số của trường tỷ lệ x",
    "den": "den(x): mẫu số của trường tỷ lệ x",
    "total": "total(bang, \"cot\"): tổng một cột của bảng",
    "rows": "rows(bang): số dòng có dữ liệu của bảng",
    "count_if": "count_if(bang, \"cot\", gia_tri): số dòng có cột bằng giá trị",
    "count": "count([x, y, z], gia_tri): số trường trong danh sách có giá trị bằng gia_tri",
    "count_rows": "count_rows(bang, \"cot\", gia_tri, …): số dòng có cột bằng giá trị (có thể thêm cặp cột, giá trị)",
    "empty": "empty(x): x chưa nhập",
    "value_or": "value_or(x, mac_dinh): x, hoặc mặc định nếu x chưa nhập",
    "round": "round(x, n): làm tròn",
    "min": "min(a, b, …)",
    "max": "max(a, b, …)",
    "abs": "abs(x): giá trị tuyệt đối",
}

# Functions whose arguments may legitimately be empty: a rule that only looks at a field
# through them still runs when that field is blank.
_EMPTY_TOLERANT = {"empty", "value_or", "rows", "total", "count_if", "count", "count_rows"}
# Functions whose second argument (and every second one after it) names a column of the table
# given first: checked against the table's columns when the template is loaded.
COLUMN_FUNCTIONS = {"total", "count_if", "count_rows"}

_ALLOWED_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)
_ALLOWED_CMPOPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_ALLOWED_UNARY = (ast.USub, ast.UAdd, ast.Not)

# Evaluation keeps simpleeval's own guarded operators (``safe_add`` and ``safe_mult`` refuse
# a string or list longer than simpleeval.MAX_STRING_LENGTH); ``%`` on text (printf-style
# formatting, whose width can ask for gigabytes) is refused outright.
MAX_TEXT_RESULT = simpleeval.MAX_STRING_LENGTH


class ExpressionLimitError(ExpressionError):
    """An evaluation would exceed a size limit (a Vietnamese message)."""


def _safe_mod(a: Any, b: Any) -> Any:
    if isinstance(a, (str, bytes)):
        raise ExpressionLimitError("không được dùng «%» với chữ")
    return a % b


_SAFE = simpleeval.DEFAULT_OPERATORS
_OPERATORS = {
    ast.Add: _SAFE[ast.Add],       # simpleeval.safe_add
    ast.Sub: _SAFE[ast.Sub],
    ast.Mult: _SAFE[ast.Mult],     # simpleeval.safe_mult
    ast.Div: _SAFE[ast.Div],
    ast.FloorDiv: _SAFE[ast.FloorDiv],
    ast.Mod: _safe_mod,
    ast.Eq: _SAFE[ast.Eq],
    ast.NotEq: _SAFE[ast.NotEq],
    ast.Lt: _SAFE[ast.Lt],
    ast.LtE: _SAFE[ast.LtE],
    ast.Gt: _SAFE[ast.Gt],
    ast.GtE: _SAFE[ast.GtE],
    ast.In: _SAFE[ast.In],
    ast.NotIn: _SAFE[ast.NotIn],
    ast.USub: _SAFE[ast.USub],
    ast.UAdd: _SAFE[ast.UAdd],
    ast.Not: _SAFE[ast.Not],
}
_LIMIT_ERRORS = (simpleeval.IterableTooLong, simpleeval.NumberTooHigh, ExpressionLimitError)


class _Evaluator(simpleeval.SimpleEval):
    """simpleeval plus list and tuple literals (``x in ['Tốt', 'Khá']``, ``count([a, b], 'Đạt')``);
    check_expression has already refused every other compound form and lists longer than
    MAX_LIST_ITEMS."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes[ast.List] = self._eval_sequence
        self.nodes[ast.Tuple] = self._eval_sequence

    def _eval_sequence(self, node: Any) -> list[Any]:
        return [self._eval(element) for element in node.elts]


@dataclass
class Expression:
    """A checked, pre-parsed expression with the names it reads."""

    source: str
    names: frozenset[str]
    required_names: frozenset[str]  # names that must be filled for the result to mean anything
    columns: tuple[tuple[str, str], ...] = ()  # (table, column) named by total/count_if/count_rows
    _parsed: Any = field(repr=False, default=None)
    # One evaluator per thread, reused: building one per call was a fifth of a large
    # consolidation's time. Per thread because the editor and the worker share templates.
    _evaluators: threading.local = field(repr=False, compare=False, default_factory=threading.local)

    def evaluate(self, names: Mapping[str, Any]) -> Any:
        evaluator = getattr(self._evaluators, "evaluator", None)
        if evaluator is None:
            evaluator = self._evaluators.evaluator = _Evaluator(operators=_OPERATORS, functions=FUNCTIONS)
        evaluator.names = dict(names)
        try:
            return evaluator.eval(self.source, previously_parsed=self._parsed)
        finally:
            evaluator.names = {}  # keep no report's values alive between calls

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_evaluators", None)  # thread-local evaluators do not travel (pickling, copies)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._evaluators = threading.local()


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return "không được dùng dấu chấm để truy cập thuộc tính (ví dụ «x.y»)"
    if isinstance(node, ast.Subscript):
        return "không được dùng chỉ số hay ngoặc vuông (ví dụ «x[0]»)"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return "không được dùng phép lũy thừa «**»"
    if isinstance(node, (ast.Lambda, ast.FunctionDef)):
        return "không được định nghĩa hàm"
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return "không được dùng vòng lặp hay biểu thức sinh"
    if isinstance(node, ast.NamedExpr):
        return "không được gán giá trị «:=»"
    return f"cú pháp «{type(node).__name__}» không được phép trong biểu thức"


def check_expression(source: str, known_names: Iterable[str]) -> Expression:
    """Parse and vet ``source``; raise :class:`ExpressionError` with a Vietnamese reason."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("biểu thức trống")
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"biểu thức dài quá {MAX_EXPRESSION_LENGTH} ký tự")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"biểu thức sai cú pháp ở ký tự {exc.offset or '?'}: «{source}»") from None

    known = set(known_names)
    names: set[str] = set()
    columns: list[tuple[str, str]] = []
    tolerant_only: set[str] = set()
    strict: set[str] = set()

    def visit(node: ast.AST, inside_tolerant: bool) -> None:
        if isinstance(node, ast.Expression):
            visit(node.body, inside_tolerant)
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or value is None:
                return
            if isinstance(value, (int, float)):
                if (isinstance(value, float) and not math.isfinite(value)) or abs(value) > MAX_CONSTANT:
                    raise ExpressionError(f"hằng số {value!r} quá lớn")
                return
            if isinstance(value, str):
                if len(value) > MAX_STRING_CONSTANT:
                    raise ExpressionError("chuỗi hằng quá dài")
                return
            raise ExpressionError("kiểu hằng số không được phép")
        elif isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise ExpressionError(f"tên «{node.id}» không được bắt đầu bằng dấu gạch dưới")
            if node.id in FUNCTIONS:
                raise ExpressionError(f"«{node.id}» là tên hàm, phải gọi kèm ngoặc: {FUNCTION_HELP[node.id]}")
            if node.id not in known:
                raise ExpressionError(f"không có trường nào tên «{node.id}»")
            names.add(node.id)
            (tolerant_only if inside_tolerant else strict).add(node.id)
        elif isinstance(node, ast.BoolOp):
            for operand in node.values:
                visit(operand, inside_tolerant)
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, _ALLOWED_BINOPS):
                raise ExpressionError(_describe(node))
            visit(node.left, inside_tolerant)
            visit(node.right, inside_tolerant)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, _ALLOWED_UNARY):
                raise ExpressionError(_describe(node))
            visit(node.operand, inside_tolerant)
        elif isinstance(node, ast.Compare):
            if not all(isinstance(op, _ALLOWED_CMPOPS) for op in node.ops):
                raise ExpressionError("phép so sánh «is» không được phép; dùng == hoặc !=")
            visit(node.left, inside_tolerant)
            for comparator in node.comparators:
                visit(comparator, inside_tolerant)
        elif isinstance(node, ast.IfExp):
            visit(node.test, inside_tolerant)
            visit(node.body, inside_tolerant)
            visit(node.orelse, inside_tolerant)
        elif isinstance(node, (ast.Tuple, ast.List)):
            if len(node.elts) > MAX_LIST_ITEMS:
                raise ExpressionError(f"danh sách quá dài (tối đa {MAX_LIST_ITEMS} phần tử)")
            for element in node.elts:
                visit(element, inside_tolerant)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                called = node.func.id if isinstance(node.func, ast.Name) else "?"
                raise ExpressionError(
                    f"không có hàm «{called}»; các hàm được dùng: {', '.join(sorted(FUNCTIONS))}"
                )
            if node.keywords:
                raise ExpressionError("không dùng tham số có tên khi gọi hàm")
            _check_call(node, columns)
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    raise ExpressionError("không dùng dấu * khi gọi hàm")
                visit(arg, inside_tolerant or node.func.id in _EMPTY_TOLERANT)
        else:
            raise ExpressionError(_describe(node))

    visit(tree, False)
    _fold_constants(tree)
    evaluator = _Evaluator(operators=_OPERATORS, functions=FUNCTIONS)
    return Expression(
        source=source.strip(),
        names=frozenset(names),
        required_names=frozenset(strict),
        columns=tuple(columns),
        _parsed=evaluator.parse(source.strip()),
    )


def _check_call(node: ast.Call, columns: list[tuple[str, str]]) -> None:
    """The counting functions' shapes, and the columns they name (checked against the table later)."""
    name, args = node.func.id, node.args  # type: ignore[attr-defined]
    if name == "count":
        if len(args) != 2 or not isinstance(args[0], (ast.List, ast.Tuple)):
            raise ExpressionError("count cần hai phần: danh sách trường trong ngoặc vuông và giá trị cần đếm, "
                                  "ví dụ count([chi_tieu_1, chi_tieu_2], 'Đạt')")
    if name == "count_rows" and (len(args) < 3 or len(args) % 2 == 0 or len(args) > 1 + 2 * MAX_CONDITIONS):
        raise ExpressionError(f"count_rows cần bảng rồi từng cặp cột, giá trị (1 đến {MAX_CONDITIONS} cặp), "
                              "ví dụ count_rows(chi_tieu, 'danh_gia', 'Đạt')")
    if name in COLUMN_FUNCTIONS and args and isinstance(args[0], ast.Name):
        for arg in args[1::2] if name == "count_rows" else args[1:2]:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                columns.append((args[0].id, arg.value))
            else:
                raise ExpressionError(f"tên cột trong {name}(…) phải là chữ trong nháy đơn, ví dụ 'danh_gia'")


def _constant_parts(node: ast.AST, out: list[ast.AST]) -> bool:
    """Whether ``node`` reads no field. The largest parts that read none (and are more than a
    bare constant) are added to ``out``. One pass, each node visited once."""
    children = node.args if isinstance(node, ast.Call) else \
        [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
    found: list[list[ast.AST]] = []
    flags: list[bool] = []
    for child in children:
        below: list[ast.AST] = []
        flags.append(_constant_parts(child, below))
        found.append(below)
    if not isinstance(node, ast.Name) and all(flags):
        return True  # the caller evaluates this node whole
    for child, constant, below in zip(children, flags, found):
        if constant and isinstance(child, (ast.BinOp, ast.Call, ast.UnaryOp, ast.BoolOp, ast.IfExp, ast.Compare)):
            out.append(child)
        elif not constant:
            out += below
    return False


def _fold_constants(tree: ast.Expression) -> None:
    """Evaluate every part that reads no field, with the guarded operators, when the template
    is loaded: ``'a' * 200000000`` is refused here, not on every start."""
    parts: list[ast.AST] = []
    if _constant_parts(tree.body, parts) and not isinstance(tree.body, ast.Constant):
        parts.append(tree.body)
    evaluator = _Evaluator(operators=_OPERATORS, functions=FUNCTIONS)
    for node in parts:
        try:
            evaluator.eval(ast.unparse(node))
        except ExpressionLimitError as exc:
            raise ExpressionError(str(exc)) from None
        except _LIMIT_ERRORS:
            raise ExpressionError(
                f"phép tính cho kết quả quá lớn (chữ dài quá {MAX_TEXT_RESULT} ký tự hoặc số quá lớn)"
            ) from None
        except Exception:  # noqa: BLE001 - e.g. 1 / 0: judged when the report is validated
            pass
