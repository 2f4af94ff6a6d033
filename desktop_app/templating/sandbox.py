"""Bounded document text: Jinja's sandbox with limits on what one sentence may cost.

Jinja's sandbox stops a template from reaching Python internals, but not from asking for
``9 ** (9 ** 9)``, ``'a' * 200000000``, a ``{% set %}`` that doubles itself, or nested loops
of a billion turns. Here:

- only a small set of Jinja constructs is allowed (:mod:`desktop_app.templating.doccheck`);
- every arithmetic operator goes through :func:`safe_binop` (the sandbox's
  ``intercepted_binops``), so Jinja never folds them at compile time and none can build a
  number of more than :data:`MAX_INT_BITS` bits or a text longer than :data:`MAX_VALUE_CHARS`;
- ``~`` and every ``{% for %}`` are rewritten to count against a budget: one sentence may
  produce at most :data:`MAX_TEXT_CHARS` characters and :data:`MAX_LOOP_STEPS` loop turns,
  one document at most :data:`MAX_DOCUMENT_CHARS` and :data:`MAX_DOCUMENT_LOOP_STEPS`;
- parts that read no field are evaluated when the template is checked (doccheck), so a
  hostile constant is refused by ``templates check`` with a Vietnamese reason.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from jinja2 import pass_context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_INT_BITS = 4096              # about 1,200 decimal digits
MAX_VALUE_CHARS = 100_000        # one text or list built by an operator
MAX_TEXT_CHARS = 200_000         # characters one sentence may produce (output and joins)
MAX_LOOP_STEPS = 10_000          # loop turns in one sentence
MAX_DOCUMENT_CHARS = 10_000_000  # a consolidation of all 3,321 communes uses about 300,000
MAX_DOCUMENT_LOOP_STEPS = 1_000_000
MAX_FORMAT_DIGITS = 10           # decimals or width asked of a number filter

LOOP_FILTER = "_bounded_loop"
CONCAT_FILTER = "_bounded_concat"


class DocTextError(ValueError):
    """Document text that cannot be used; the message is Vietnamese."""


class DocTextLimitError(DocTextError):
    """Document text that asks for more work or memory than allowed."""


def vi_number(number: int) -> str:
    """``100000`` → ``100.000`` (for the messages)."""
    return f"{number:,}".replace(",", ".")


def too_big(what: str) -> DocTextLimitError:
    return DocTextLimitError(f"câu văn vượt giới hạn: {what}")


# --- the budget ----------------------------------------------------------------------

class Budget:
    """Characters and loop turns left; spending also spends from the enclosing budget."""

    def __init__(self, chars: int, steps: int, parent: Budget | None = None):
        self.chars, self.steps, self.parent = chars, steps, parent

    def spend(self, chars: int = 0, steps: int = 0) -> None:
        self.chars -= chars
        self.steps -= steps
        if self.chars < 0:
            raise too_big(f"tạo ra quá nhiều chữ (tối đa {vi_number(MAX_TEXT_CHARS)} ký tự mỗi câu, "
                           f"{vi_number(MAX_DOCUMENT_CHARS)} ký tự mỗi văn bản)")
        if self.steps < 0:
            raise too_big(f"vòng lặp chạy quá nhiều lượt (tối đa {vi_number(MAX_LOOP_STEPS)} lượt mỗi câu, "
                           f"{vi_number(MAX_DOCUMENT_LOOP_STEPS)} lượt mỗi văn bản)")
        if self.parent is not None:
            self.parent.spend(chars, steps)


_budget: ContextVar[Budget | None] = ContextVar("doctext_budget", default=None)


def _spend(chars: int = 0, steps: int = 0) -> None:
    budget = _budget.get()
    if budget is not None:
        budget.spend(chars, steps)


@contextmanager
def document_budget() -> Iterator[Budget]:
    """One budget for every sentence of a document (what it spends also counts against an
    enclosing budget, if any)."""
    outer = _budget.get()
    budget = Budget(MAX_DOCUMENT_CHARS, MAX_DOCUMENT_LOOP_STEPS, parent=outer)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def render_bounded(template, context: dict[str, Any]) -> str:
    """Render one sentence within its own budget (and the document's, when one is open)."""
    budget = Budget(MAX_TEXT_CHARS, MAX_LOOP_STEPS, parent=_budget.get())
    token = _budget.set(budget)
    try:
        out = []
        for chunk in template.generate(**context):
            budget.spend(chars=len(chunk))
            out.append(chunk)
        return "".join(out)
    finally:
        _budget.reset(token)


# --- guarded operators -----------------------------------------------------------------

_PLAIN = {"-": operator.sub, "/": operator.truediv, "//": operator.floordiv}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (str, list, tuple))


def safe_binop(op: str, left: Any, right: Any) -> Any:
    """``left op right`` unless the result would be too large; raises DocTextLimitError."""
    if op == "**":
        if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1 \
                and abs(left).bit_length() * right > MAX_INT_BITS:
            raise too_big(f"lũy thừa «{left} ** {right}» quá lớn")
        return operator.pow(left, right)
    if op == "*":
        for seq, times in ((left, right), (right, left)):
            if _is_sequence(seq) and _is_int(times):
                size = len(seq) * max(times, 0)
                if size > MAX_VALUE_CHARS:
                    raise too_big(f"phép nhân tạo ra chuỗi dài {vi_number(size)} "
                                  f"(tối đa {vi_number(MAX_VALUE_CHARS)})")
                _spend(chars=size)
                return seq * times
        if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise too_big("phép nhân cho số quá lớn")
        return operator.mul(left, right)
    if op == "+":
        if _is_sequence(left) and _is_sequence(right):
            size = len(left) + len(right)
            if size > MAX_VALUE_CHARS:
                raise too_big(f"phép cộng tạo ra chuỗi dài {vi_number(size)} "
                              f"(tối đa {vi_number(MAX_VALUE_CHARS)})")
            _spend(chars=size)
        return operator.add(left, right)
    if op == "%":
        if isinstance(left, str):
            raise DocTextError("không được dùng «%» với chữ trong câu văn; hãy dùng bộ lọc")
        return operator.mod(left, right)
    return _PLAIN[op](left, right)


def bounded_join(values: list[Any]) -> str:
    text = "".join(str(v) for v in values)
    if len(text) > MAX_VALUE_CHARS:
        raise too_big(f"phép nối «~» tạo ra chuỗi dài {vi_number(len(text))} "
                      f"(tối đa {vi_number(MAX_VALUE_CHARS)})")
    _spend(chars=len(text))
    return text


@pass_context  # context-passing filters are never folded at compile time
def _loop_filter(_context, iterable: Any) -> Iterator[Any]:
    for item in iterable:
        _spend(steps=1)
        yield item


@pass_context
def _concat_filter(_context, values: list[Any]) -> str:
    return bounded_join(values)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Every binary operator is intercepted: routed through :func:`safe_binop` at run time
    and never folded by Jinja's optimiser while compiling."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:  # noqa: A002
        return safe_binop(operator, left, right)


def install_bounds(env: BoundedSandbox) -> None:
    env.filters[LOOP_FILTER] = _loop_filter
    env.filters[CONCAT_FILTER] = _concat_filter


def clamp_digits(value: Any) -> int:
    """Decimals or width asked of a number filter, kept within 0…MAX_FORMAT_DIGITS."""
    try:
        return max(0, min(int(value), MAX_FORMAT_DIGITS))
    except (TypeError, ValueError, OverflowError):
        return 0
