"""Document text: sentences in templates are Jinja2 text rendered in a sandbox.

The sandbox refuses access to Python internals, and the only helpers are the vi-VN
formatting filters below, so a template can phrase values but never run code; what one
sentence may cost in time and memory is bounded by :mod:`desktop_app.templating.sandbox`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, meta, nodes

from desktop_app.domain import vnformat
from desktop_app.templating.expressions import fn_pct
from desktop_app.templating.doccheck import instrument, vet
from desktop_app.templating.textjoin import Typed, mark, mend_joins
from desktop_app.templating.sandbox import (
    BoundedSandbox, DocTextError, DocTextLimitError, clamp_digits, document_budget, install_bounds, render_bounded,
)

__all__ = ["DocTextError", "DocTextLimitError", "Typed", "date_style", "document_budget", "referenced_names",
           "render_text"]

_DOC_TYPES = {
    "KH": "Kế hoạch", "QĐ": "Quyết định", "CV": "Công văn", "NQ": "Nghị quyết", "NĐ": "Nghị định",
    "TB": "Thông báo", "HD": "Hướng dẫn", "BC": "Báo cáo", "CT": "Chỉ thị", "TT": "Thông tư",
    "QC": "Quy chế", "CTr": "Chương trình", "ĐA": "Đề án", "TTr": "Tờ trình",
}


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def f_number(value: Any, decimals: int | None = None) -> str:
    """Numbers in vi-VN; anything else is written as it is (a filter never breaks export)."""
    if _is_number(value):
        return vnformat.format_number(value, None if decimals is None else clamp_digits(decimals))
    return "" if value is None else str(value)


def f_padded(value: Any, width: int = 2) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return vnformat.format_padded(value, clamp_digits(width))
    return f_number(value)


def f_percent(value: Any, decimals: int = 2) -> str:
    if isinstance(value, dict):
        value = fn_pct(value)
    return vnformat.format_percent(value, clamp_digits(decimals)) if _is_number(value) else f_number(value)


def f_fraction(value: Any, width: int = 0) -> str:
    """A ratio written ``302/310``; ``phanso(2)`` pads small counts: ``09/09``."""
    if isinstance(value, dict) and value.get("num") is not None and value.get("den") is not None:
        fmt = (lambda n: f_padded(n, clamp_digits(width))) if width else f_number
        return f"{fmt(value['num'])}/{fmt(value['den'])}"
    return ""


def f_amount(value: Any) -> str:
    return vnformat.format_amount(value) if isinstance(value, int) else ""


def f_amount_words(value: Any) -> str:
    return vnformat.format_amount_words(value) if isinstance(value, int) else ""


# The document being written asks for one date style ("short" 7/6/2023 or "padded"
# 07/06/2023); None outside a document, where each filter keeps its own.
_date_style: ContextVar[str | None] = ContextVar("doctext_date_style", default=None)


@contextmanager
def date_style(style: str) -> Iterator[None]:
    """Inside: ``ngay``, ``ngay_ngan`` and ``vanban`` all write dates in ``style``."""
    token = _date_style.set(style)
    try:
        yield
    finally:
        _date_style.reset(token)


def _written_date(value: Any, own: str) -> str:
    style = _date_style.get() or own
    date = _as_date(value)
    return vnformat.format_date(date) if style == "padded" else vnformat.format_date_short(date)


def f_date(value: Any) -> str:
    return _written_date(value, "padded")


def f_date_short(value: Any) -> str:
    return _written_date(value, "short")


def f_yesno(value: Any, yes: str = "Có", no: str = "Không") -> str:
    return "" if value is None else (yes if value else no)


def f_doc_type(number: Any) -> str:
    """``66/KH-UBND`` → ``Kế hoạch``; ``392/UBND`` → ``Công văn``.

    Under Nghị định 30/2020 every document type has an abbreviation in its number except
    the official letter (công văn), whose number names only the issuing body.
    """
    if not isinstance(number, str) or "/" not in number:
        return ""
    symbol = number.split("/", 1)[1]
    parts = [p for p in re.split(r"[/\-]", symbol) if p and not p.isdigit()]
    if parts and parts[0] in _DOC_TYPES and len(parts) > 1:
        return _DOC_TYPES[parts[0]]
    return "Công văn"


def f_docref(value: Any) -> str:
    """``Kế hoạch số 66/KH-UBND ngày 31/8/2023 của UBND xã về …``."""
    if not isinstance(value, dict) or not value.get("number"):
        return ""
    parts = [f"{f_doc_type(value['number'])} số {value['number']}"]
    if value.get("date"):
        parts.append(f"ngày {f_date_short(value['date'])}")
    if value.get("issuer"):
        parts.append(f"của {value['issuer']}")
    if value.get("summary"):
        parts.append(value["summary"])
    return " ".join(parts)


QUALIFIERS = ("hơn", "gần", "khoảng", "trên", "dưới", "gần như", "ước")


def f_qualified(text: Any, qualifier: Any) -> str:
    """``2.000`` with the qualifier a person chose (``trên``) → ``trên 2.000``.

    The qualifier is a companion choice field of the template; it is left out when the
    amount is empty or nought (never "trên 0"). A qualifier the amount words already carry
    (``tien_chu`` writes ``hơn 4,3 tỷ đồng`` when it rounds down) gives way to the person's.
    """
    shown = "" if text is None else str(text).strip()
    if not shown or re.fullmatch(r"0+([.,]0+)?\s*(%|đ|đồng)?", shown):
        return shown
    chosen = str(qualifier).strip() if isinstance(qualifier, str) else ""
    if not chosen:
        return shown
    for word in sorted(QUALIFIERS, key=len, reverse=True):
        if shown.startswith(word + " "):
            shown = shown[len(word) + 1:]
            break
    return f"{chosen} {shown}"


def f_list(items: Any, last: str = "và") -> str:
    """``["A", "B", "C"]`` → ``A, B và C``; empty items are left out (no "và và")."""
    if not isinstance(items, (list, tuple)):
        return "" if items is None else str(items)
    words = [str(i).strip() for i in items if i is not None and str(i).strip()]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


FILTERS = {
    "so": f_number,
    "so2": f_padded,
    "phantram": f_percent,
    "phanso": f_fraction,
    "tien": f_amount,
    "tien_chu": f_amount_words,
    "ngay": f_date,
    "ngay_ngan": f_date_short,
    "coko": f_yesno,
    "loai_vb": f_doc_type,
    "vanban": f_docref,
    "hoa": lambda v: "" if v is None else str(v).upper(),
    "thuong": lambda v: "" if v is None else str(v).lower(),
    "uoc": f_qualified,
    "liet_ke": f_list,
}

FILTER_HELP = {
    "so": "22040 → 22.040",
    "so2": "4 → 04 (số nhỏ viết hai chữ số)",
    "phantram": "97.419 → 97,42% (hoặc một trường tỷ lệ)",
    "phanso": "tỷ lệ → 302/310",
    "tien": "2318000 → 2.318.000đ",
    "tien_chu": "4300000000 → 4,3 tỷ đồng",
    "ngay": "2023-09-25 → 25/09/2023",
    "ngay_ngan": "2023-06-07 → 7/6/2023",
    "coko": "true → Có, false → Không",
    "loai_vb": "66/KH-UBND → Kế hoạch",
    "vanban": "văn bản tham chiếu → «Kế hoạch số … ngày … của … …»",
    "default": "giá trị thay thế khi trống: {{ x | default('không') }}",
    "hoa": "chữ in hoa: Đạt → ĐẠT",
    "thuong": "chữ thường: Thị xã → thị xã",
    "uoc": "kèm «hơn / gần / khoảng / trên» do người nhập chọn: {{ x | so | uoc(x_uoc) }} → trên 2.000",
    "liet_ke": "liệt kê kiểu Việt: {{ [a, b, c] | liet_ke }} → A, B và C (bỏ mục trống)",
}

def _default(value: Any, fallback: str = "") -> Any:
    return fallback if value in (None, "") else value


# Names every document text may use besides the template's own fields.
BUILTIN_NAMES = {"don_vi", "ky_bao_cao", "ky_sau", "nam", "so_thon_don_vi", "van_ban", "tu_ngay", "den_ngay",
                 "tong_hop"}  # tong_hop: only in a consolidated document (office/consolidation.py)


@lru_cache(maxsize=1)
def environment() -> BoundedSandbox:
    env = BoundedSandbox(
        autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False,
        trim_blocks=True, lstrip_blocks=True,
        finalize=lambda value: "" if value is None else mark(value),  # empty prints nothing; typed text marked
    )
    env.filters = {**FILTERS, "default": _default}  # only our filters: nothing else to reach
    env.globals = {}
    env.tests = {"none": lambda v: v is None, "defined": lambda v: True}
    install_bounds(env)
    return env


def _parse(source: str) -> nodes.Template:
    """Parse and vet (allowed constructs, constants within the limits); DocTextError if not."""
    try:
        tree = environment().parse(source)
    except RecursionError:
        raise DocTextError("câu văn lồng nhau quá sâu") from None
    except Exception as exc:  # jinja2.TemplateSyntaxError and friends
        raise DocTextError(f"câu văn mẫu sai cú pháp: {getattr(exc, 'message', exc)}") from None
    vet(tree)
    return tree


def referenced_names(source: str) -> set[str]:
    """Top-level names a piece of document text reads; raises DocTextError when it cannot be used."""
    return set(_referenced_names(source))


@lru_cache(maxsize=8192)  # a template's versions share most sentences: each is checked once per start
def _referenced_names(source: str) -> frozenset[str]:
    env = environment()
    tree = _parse(source)
    unknown_filters = {n.name for n in tree.find_all(nodes.Filter)} - set(env.filters)
    if unknown_filters:
        raise DocTextError(
            f"không có bộ lọc «{', '.join(sorted(unknown_filters))}»; có: {', '.join(sorted(FILTERS))}"
        )
    return frozenset(meta.find_undeclared_variables(tree))


@lru_cache(maxsize=4096)
def _compiled(source: str):
    env = environment()
    try:
        code = env.compile(instrument(_parse(source)))
    except (SyntaxError, RecursionError):  # Python's own nesting limits, reached by a contrived text
        raise DocTextError("câu văn lồng nhau quá sâu") from None
    return env.template_class.from_code(env, code, env.make_globals(None), None)


def render_text(source: str, context: dict[str, Any]) -> str:
    """One sentence, within the limits; DocTextLimitError (Vietnamese) when it asks for too much.

    Where fixed text meets a typed value the join is mended (full stop, no doubled word).
    """
    return mend_joins(render_bounded(_compiled(source), context)).strip()
