"""Unicode hygiene and Vietnamese collation.

All text entering the store goes through :func:`nfc` because input methods and pasted
text often arrive decomposed (NFD), which would make equal names compare unequal.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from desktop_app.errors import UserError

# Vietnamese alphabet order: letters with breve/circumflex/horn and đ are letters of
# their own, sorted after their base letter; tone marks only break ties.
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_LETTER_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


class BadText(UserError):
    """Text that cannot be stored (a lone surrogate: not a character at all)."""


# C0 controls except tab and newline, DEL, the C1 controls (0x9B is a terminal's CSI), and the
# two non-characters U+FFFE/U+FFFF. CR is dropped too: CRLF becomes LF.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ANY_WORK = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")  # tab and newline too: rare


def has_lone_surrogate(value: str) -> bool:
    return _SURROGATE.search(value) is not None


def clean_text(value: str) -> str:
    """Text as it may enter the store: NFC, no control characters (tab and newline stay)."""
    # Printable text has no control character, surrogate nor non-character (all are "not
    # printable"), and ASCII is always NFC: the common case costs two C calls.
    if value.isprintable() and (value.isascii() or unicodedata.is_normalized("NFC", value)):
        return value
    if _ANY_WORK.search(value) is None and unicodedata.is_normalized("NFC", value):
        return value  # the common case, checked without building a new string
    if has_lone_surrogate(value):
        raise BadText("Văn bản có ký tự không hợp lệ (nửa cặp thay thế UTF-16), không lưu được.")
    return _CONTROL.sub("", nfc(value.replace("\r\n", "\n")))


def clean_deep(value: Any) -> Any:
    """:func:`clean_text` on every string (keys included) inside JSON-like data.

    The store applies it to everything it writes, so typing, the CLI, JSON, xlsx and
    bundles all get the same cleaning in one place."""
    kind = type(value)  # the exact JSON types first: this runs on every value a bulk import stores
    if kind is str:
        return clean_text(value)
    if kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict:
        out = {}
        for k, v in value.items():  # clean_text's common case inlined: a report has hundreds of these
            if not (type(k) is str and k.isprintable() and k.isascii()):
                k = clean_text(k) if isinstance(k, str) else k
            item = type(v)
            if item is str:
                if not (v.isprintable() and (v.isascii() or unicodedata.is_normalized("NFC", v))):
                    v = clean_text(v)
            elif not (item is int or item is float or item is bool or v is None):
                v = clean_deep(v)
            out[k] = v
        return out
    if kind is list:
        return [v if type(v) is int or v is None else clean_deep(v) for v in value]
    if isinstance(value, str):
        return clean_text(value)
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, list):
        return [clean_deep(v) for v in value]
    if isinstance(value, tuple):
        return tuple(clean_deep(v) for v in value)
    if isinstance(value, dict):
        return {clean_deep(k) if isinstance(k, str) else k: clean_deep(v) for k, v in value.items()}
    return value


# ESC sequences (CSI, OSC, two-character), then any control character left but tab and newline.
_ESCAPES = re.compile("\x1b\\[[0-?]*[ -/]*[@-~]|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|\x1b[@-_]?")
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(value: str) -> str:
    """Text for a terminal: escape sequences and control characters removed (a name in a
    bundle must not be able to move the cursor, retitle the window or clear the screen)."""
    return _TERMINAL_CONTROL.sub("", _ESCAPES.sub("", value))


# Line breaks and the invisible format characters that reorder or hide text (bidi embeddings,
# overrides and isolates, zero-width marks, BOM).
_NOT_ON_ONE_LINE = re.compile("[\t\n\v\f\r\x85\u2028\u2029]+")
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def one_line(value: str) -> str:
    """A name from a file, for one line of a summary or a list: terminal-safe, line breaks and tabs
    made spaces, bidi and zero-width characters removed. A sender's name must not be able to add
    a line or move the fingerprint beside it (the fingerprint is what is read over the phone)."""
    return _INVISIBLE.sub("", terminal_safe(_NOT_ON_ONE_LINE.sub(" ", value))).strip()


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


def distinct_names(names) -> list[str]:
    """Names as entered, NFC and trimmed, each once: «thôn an thạch» repeats «Thôn An Thạch»
    (case and spacing do not make another village); the first spelling is kept."""
    seen: set[str] = set()
    out = []
    for name in names:
        clean = " ".join(nfc(name).split())
        key = clean.casefold()
        if clean and key not in seen:
            seen.add(key)
            out.append(clean)
    return out
