"""How wide a line of Times New Roman is, to size the short rules of Nghị định 30.

Advance widths (1/1000 em) of the printable ASCII characters in Times New Roman, read from
Liberation Serif (metric-compatible). A Vietnamese letter is as wide as its base letter:
the tone and vowel marks sit above or below it, so the text is measured without them.
"""

from __future__ import annotations

import unicodedata

_FIRST = 32  # the tables start at the space
_REGULAR = (
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278,
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444,
    921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722,
    556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500,
    333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500,
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
)
_BOLD = (
    250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278,
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500,
    930, 722, 667, 722, 722, 667, 611, 778, 778, 389, 500, 778, 667, 944, 722, 778,
    611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333, 278, 333, 581, 500,
    333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500,
    556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520,
)


def _base(char: str) -> str:
    if char in "Đđ":
        return "D" if char == "Đ" else "d"
    return unicodedata.normalize("NFD", char)[0]


_UNITS: tuple[dict[str, int], dict[str, int]] = ({}, {})  # regular, bold: character → 1/1000 em, as met


def _char_units(char: str, bold: bool) -> int:
    table = _BOLD if bold else _REGULAR
    code = ord(_base(char)) - _FIRST
    units = table[code] if 0 <= code < len(table) else table[ord("n") - _FIRST]
    _UNITS[bold][char] = units
    return units


def _text_units(text: str, bold: bool) -> int:
    known = _UNITS[bold]
    try:
        return sum([known[char] for char in text])
    except KeyError:  # a character not met before: measured once, then known
        return sum([known[char] if char in known else _char_units(char, bold) for char in text])


def text_width_pt(text: str, size_pt: float, bold: bool = False) -> float:
    """The printed width of one line of ``text`` in points; unknown characters count as an "n"."""
    return _text_units(text, bold) * size_pt / 1000


def wrapped_lines(text: str, size_pt: float, width_pt: float, bold: bool = False) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width_pt`` (as a word processor would)."""
    lines: list[str] = []
    current = ""
    current_units = 0  # the line so far, measured once: a word adds its own width and a space's
    space = _text_units(" ", bold)
    for word in text.split():
        word_units = _text_units(word, bold)
        if not current:
            current, current_units = word, word_units
            continue
        candidate_units = current_units + space + word_units
        if candidate_units * size_pt / 1000 > width_pt:
            lines.append(current)
            current, current_units = word, word_units
        else:
            current, current_units = f"{current} {word}", candidate_units
    if current:
        lines.append(current)
    return lines


def longest_line_pt(text: str, size_pt: float, width_pt: float, bold: bool = False) -> float:
    """The widest line ``text`` takes when wrapped to ``width_pt`` (its explicit line breaks kept)."""
    widths = [text_width_pt(line, size_pt, bold) for part in text.split("\n")
              for line in wrapped_lines(part, size_pt, width_pt, bold)]
    return max(widths, default=0.0)
