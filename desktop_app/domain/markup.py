"""Inline emphasis in document text: ``**đậm**`` for bold, ``*nghiêng*`` for italic.

A person writes it in a long text (or a template author in a sentence) to set a decision
number in italics as the seeds do. Only a pair that encloses text without touching spaces
counts (``*Quyết định số 25/QĐ-UBND*``); a lone star (``5*``, ``* ghi chú``) stays a star.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPAN = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|\*(?=[^\s*])(.+?)(?<=[^\s*])\*")
HINT = "Chữ đậm: **chữ đậm**; chữ nghiêng: *chữ nghiêng* (dấu sao không in ra văn bản)."


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False


def spans(text: str) -> list[Span]:
    """``Theo *Quyết định số 25*`` → plain ``Theo `` then italic ``Quyết định số 25``."""
    out: list[Span] = []
    position = 0
    for match in SPAN.finditer(text):
        if match.start() > position:
            out.append(Span(text[position:match.start()]))
        if match.group(1) is not None:
            out.append(Span(match.group(1), bold=True))
        else:
            out.append(Span(match.group(2), italic=True))
        position = match.end()
    if position < len(text):
        out.append(Span(text[position:]))
    return out


def plain(text: str) -> str:
    """The text without its emphasis marks (previews, searches, the tests' figures)."""
    return "".join(span.text for span in spans(text))
