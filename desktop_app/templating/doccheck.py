"""Checking a parsed sentence of document text before it is used.

:func:`vet` refuses what is outside the allow-list (calls, macros, call and filter blocks,
``{% set %}…{% endset %}``, includes, imports), nesting deeper than :data:`MAX_NESTING`, and
whatever reads no field yet already exceeds a limit of :mod:`desktop_app.templating.sandbox`
(a constant, a name set from constants, nested loops over constant lists): ``templates check``
then names the reason. :func:`instrument` makes loops and ``~`` joins count against the
rendering budget.
"""

from __future__ import annotations

from typing import Any

from jinja2 import nodes
from jinja2.visitor import NodeTransformer

from desktop_app.templating.sandbox import (
    CONCAT_FILTER, LOOP_FILTER, MAX_LOOP_STEPS, DocTextError, bounded_join, safe_binop, too_big, vi_number,
)

MAX_NESTING = 10  # {% if %} / {% for %} inside one another

_ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.Filter,
    nodes.Test, nodes.If, nodes.For, nodes.Assign, nodes.Getattr, nodes.Getitem, nodes.Slice,
    nodes.CondExpr, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.Neg,
    nodes.Pos, nodes.Concat, nodes.BinExpr, nodes.List, nodes.Tuple, nodes.Dict, nodes.Pair,
    nodes.Keyword,
)
_REFUSED_NAMES = {
    nodes.Call: "không được gọi hàm hay phương thức trong câu văn (chỉ dùng bộ lọc «|»)",
    nodes.Macro: "không được định nghĩa macro trong câu văn",
    nodes.CallBlock: "không được dùng «{% call %}» trong câu văn",
    nodes.FilterBlock: "không được dùng «{% filter %}» trong câu văn",
    nodes.AssignBlock: "không được dùng «{% set %}…{% endset %}»; hãy dùng «{% set x = … %}»",
}


def vet(tree: nodes.Template) -> None:
    """Refuse constructs outside the allow-list and constants that exceed the limits."""
    for node in tree.find_all(nodes.Node):
        for kind, message in _REFUSED_NAMES.items():
            if isinstance(node, kind):
                raise DocTextError(message)
        if not isinstance(node, _ALLOWED_NODES):
            raise DocTextError(f"cú pháp «{type(node).__name__}» không được phép trong câu văn")
        if isinstance(node, nodes.Filter) and node.name.startswith("_"):
            raise DocTextError(f"không có bộ lọc «{node.name}»")
    try:
        if _nesting(tree) > MAX_NESTING:
            raise DocTextError(f"câu văn lồng nhau quá sâu (quá {MAX_NESTING} mức «{{% if %}}», «{{% for %}}»)")
        _StaticCheck().value(tree, 1)
    except RecursionError:
        raise DocTextError("câu văn lồng nhau quá sâu") from None


def _nesting(node: nodes.Node) -> int:
    inner = max((_nesting(child) for child in node.iter_child_nodes()), default=0)
    return inner + 1 if isinstance(node, (nodes.If, nodes.For)) else inner


_NOT_CONSTANT = object()


class _StaticCheck:
    """Evaluate what reads no field (constants, and names set from constants) and multiply
    the turns of nested loops over constants, so that ``templates check`` refuses what
    would exceed a limit whatever the report holds. Loops over fields are bounded when
    rendering."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {}

    def value(self, node: nodes.Node, loops: int) -> Any:
        if isinstance(node, nodes.For):
            iterable = self.value(node.iter, loops)
            turns = len(iterable) if isinstance(iterable, (str, list, dict)) else 1
            inner = loops * max(turns, 1)
            if inner > MAX_LOOP_STEPS:
                raise too_big(f"vòng lặp chạy {vi_number(inner)} lượt "
                              f"(tối đa {vi_number(MAX_LOOP_STEPS)} lượt mỗi câu)")
            outer_names = dict(self.names)
            for child in [*node.body, *node.else_, *([node.test] if node.test else [])]:
                self.value(child, inner)
            self.names = outer_names  # what a loop sets stays inside it (as in Jinja)
            return _NOT_CONSTANT
        if isinstance(node, nodes.Assign):
            assigned = self.value(node.node, loops)
            if isinstance(node.target, nodes.Name):
                if assigned is _NOT_CONSTANT:
                    self.names.pop(node.target.name, None)
                else:
                    self.names[node.target.name] = assigned
            return _NOT_CONSTANT
        if isinstance(node, nodes.Name):
            return self.names.get(node.name, _NOT_CONSTANT) if node.ctx == "load" else _NOT_CONSTANT
        values = [self.value(child, loops) for child in node.iter_child_nodes()]
        if isinstance(node, nodes.Const):
            return node.value
        if any(v is _NOT_CONSTANT for v in values):
            return _NOT_CONSTANT
        try:
            if isinstance(node, (nodes.List, nodes.Tuple)):
                return list(values)
            if isinstance(node, nodes.BinExpr):
                return safe_binop(node.operator, values[0], values[1])
            if isinstance(node, nodes.Concat):
                return bounded_join(values)
            if isinstance(node, nodes.Neg):
                return -values[0]
            if isinstance(node, nodes.Pos):
                return +values[0]
        except DocTextError:
            raise
        except Exception:  # noqa: BLE001 - e.g. 1 / 0 or 'a' - 1: Jinja reports it when rendering
            return _NOT_CONSTANT
        return _NOT_CONSTANT


class _Instrument(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, LOOP_FILTER, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), CONCAT_FILTER, [], [], None, None,
                            lineno=node.lineno)


def instrument(tree: nodes.Template) -> nodes.Template:
    """Loops and ``~`` joins count against the budget (the tree is changed in place)."""
    return _Instrument().visit(tree)
