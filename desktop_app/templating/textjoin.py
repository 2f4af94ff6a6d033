"""Where a template's fixed words meet what a person typed, the sentence still reads right.

Typed values (text fields, text columns) reach a sentence wrapped in :class:`Typed`; the
renderer marks where each begins and ends, and :func:`mend_joins` then, at each mark,

* ends the typed text with a full stop when fixed text goes on with a new sentence
  (``…100% các thôn`` + ``Hiện mạng lưới…`` → ``…100% các thôn. Hiện mạng lưới…``), and
  writes one full stop where the typed text ends with one and the template adds another;
* drops a word or phrase (up to three words) written twice across a join
  (``cán bộ`` + ``Cán bộ xã…`` → ``cán bộ xã…``);

and removes the marks. Only the edges of a typed text are touched, never its middle.
"""

from __future__ import annotations

import re

OPEN, CLOSE = "\ue000", "\ue001"  # private-use characters: never typed, never in a template
_MARKS = re.compile(f"[{OPEN}{CLOSE}]")
_WORD = re.compile(r"\w+", re.UNICODE)


class Typed(str):
    """A value a person typed; its edges in a rendered sentence are joins to mend."""


def mark(value: object) -> object:
    """Jinja's finalize: a typed value is written between the two marks."""
    if isinstance(value, Typed) and value:
        return f"{OPEN}{value}{CLOSE}"
    return value


def _starts_sentence(text: str) -> bool:
    """``Hiện mạng lưới…`` starts a sentence; ``xã Phổ Thuận`` and ``100%`` do not."""
    stripped = text.lstrip()
    return bool(stripped) and stripped[0].isupper() and text[:1].isspace()


def _needs_stop(before: str, after: str) -> bool:
    before = before.rstrip()
    return bool(before) and before[-1].isalnum() and _starts_sentence(after) and _looks_like_sentence(after)


def _looks_like_sentence(after: str) -> bool:
    """A new sentence goes on for several words; a capital after one word is a name (``Xã Ba Tơ``)."""
    words = after.split()
    return len(words) >= 3 and not all(w[:1].isupper() for w in words[:3])


def _drop_doubled(before: str, after: str) -> str:
    """``after`` without the words at its start that end ``before`` too (case aside)."""
    tail = _WORD.findall(before[-60:])
    head_match = list(_WORD.finditer(after[:80]))
    for size in (3, 2, 1):
        if len(tail) >= size and len(head_match) >= size:
            if [w.lower() for w in tail[-size:]] == [m.group().lower() for m in head_match[:size]]:
                gap = after[:head_match[0].start()]
                if gap.strip():  # punctuation between them: not a doubling
                    return after
                return after[head_match[size - 1].end():]
    return after


def mend_joins(text: str) -> str:
    pieces = re.split(f"([{OPEN}{CLOSE}])", text)
    out = ""
    for index, piece in enumerate(pieces):
        if piece in (OPEN, CLOSE):
            continue
        edge = pieces[index - 1] if index else ""
        if edge and out:
            piece = _drop_doubled(out, piece)
        if edge == CLOSE and out:  # fixed text after a typed one
            if _needs_stop(out, piece):
                out = out.rstrip() + "."
            elif out.rstrip().endswith(".") and piece.startswith("."):
                piece = piece[1:]
        out += piece
    return _MARKS.sub("", re.sub(r"[ \t]{2,}", " ", out))
