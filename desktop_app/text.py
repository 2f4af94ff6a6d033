"""Unicode hygiene and Vietnamese collation.

All text entering the store goes through :func:`nfc` because input methods and pasted
text often arrive decomposed (NFD), which would make equal names compare unequal.
"""

from __future__ import annotations

import unicodedata
from typing import Any

# Vietnamese alphabet order: letters with breve/circumflex/horn and đ are letters of
# their own, sorted after their base letter; tone marks only break ties.
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_LETTER_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def nfc_deep(value: Any) -> Any:
    """NFC-normalise every string inside nested lists/dicts (JSON-like data)."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [nfc_deep(v) for v in value]
    if isinstance(value, dict):
        return {nfc_deep(k): nfc_deep(v) for k, v in value.items()}
    return value


def _split_letter(ch: str) -> tuple[str, int]:
    """Return (letter without tone, tone rank) for one precomposed character."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = 0
    kept = []
    for part in decomposed:
        if part in _TONES:
            tone = _TONES[part]
        else:
            kept.append(part)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def vi_sort_key(value: str) -> tuple:
    """Sort key following the Vietnamese alphabet (a < ă < â < b …, d < đ), tones last."""
    primary: list[tuple[int, int | str]] = []
    tones: list[int] = []
    for ch in nfc(value).lower():
        letter, tone = _split_letter(ch)
        if letter in _LETTER_RANK:
            primary.append((1, _LETTER_RANK[letter]))
        elif letter.isdigit():
            primary.append((0, letter))
        elif letter.isspace():
            primary.append((-1, 0))
        else:
            primary.append((2, letter))
        tones.append(tone)
    return (tuple(primary), tuple(tones), value)


def fold(value: str) -> str:
    """Lower-case and strip all diacritics, for search-as-you-type (``binh phuoc``)."""
    decomposed = unicodedata.normalize("NFD", nfc(value).lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))
