"""vi-VN number and date formats: ``22.040``, ``98,95%``, ``2.318.000đ``, ``25/09/2023``.

Parsing is strict about grouping so that ``1.23`` (a likely typo) is refused instead of
silently read as 123; Babel supplies the locale data.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import NumberFormatError, parse_decimal

from desktop_app.domain.text import nfc

LOCALE = "vi_VN"


class FormatError(ValueError):
    """A value typed by the person could not be read; the message is Vietnamese."""


_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def _clean(text: str) -> str:
    return _SPACES.sub("", nfc(str(text))).strip()


def parse_number(text: str) -> Decimal:
    """Read ``1.234``, ``1.234,5``, ``1,5``, ``- 12``; spaces are ignored."""
    cleaned = _clean(text)
    if not cleaned:
        raise FormatError("Chưa nhập số.")
    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:]
    if not re.fullmatch(r"[0-9.,]+", cleaned) or not re.search(r"[0-9]", cleaned):
        raise FormatError(f"«{text}» không phải là số. Ví dụ đúng: 1.234 hoặc 12,5.")
    try:
        value = parse_decimal(cleaned, locale=LOCALE, strict=True)
    except (NumberFormatError, InvalidOperation):
        raise FormatError(
            f"«{text}» viết chưa đúng kiểu Việt Nam: dấu chấm ngăn cách hàng nghìn, "
            "dấu phẩy trước phần thập phân (ví dụ 22.040 hoặc 98,95)."
        ) from None
    return -value if negative else value


def parse_integer(text: str) -> int:
    value = parse_number(text)
    if value != value.to_integral_value():
        raise FormatError(f"«{text}» phải là số nguyên (không có phần thập phân).")
    return int(value)


_SCALES = {"tỷ": 10**9, "triệu": 10**6, "nghìn": 10**3, "ngàn": 10**3}


def parse_amount(text: str) -> int:
    """An amount in đồng; accepts a trailing ``đ``/``đồng`` and the words reports use
    (``6,1 tỷ đồng``, ``130 triệu``, ``2 nghìn đồng``)."""
    cleaned = re.sub(r"(đồng|đ|vnđ|vnd)$", "", _clean(text).lower())
    for word, scale in _SCALES.items():
        if cleaned.endswith(word) and cleaned[: -len(word)]:
            value = parse_number(cleaned[: -len(word)]) * scale
            if value != value.to_integral_value():
                raise FormatError(f"«{text}» không ra một số đồng chẵn.")
            return int(value)
    return parse_integer(cleaned) if cleaned else parse_integer(text)


def parse_percent(text: str) -> Decimal:
    return parse_number(_clean(text).rstrip("%"))


def _group(int_digits: str) -> str:
    out = []
    for i, ch in enumerate(reversed(int_digits)):
        if i and i % 3 == 0:
            out.append(".")
        out.append(ch)
    return "".join(reversed(out))


def format_number(value: int | float | Decimal | None, decimals: int | None = None) -> str:
    """``22040`` → ``22.040``; ``98.95`` → ``98,95``; trailing zeros dropped unless asked."""
    if value is None:
        return ""
    number = Decimal(str(value))
    if decimals is not None:
        number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    text = format(abs(number), "f")
    int_part, _, frac = text.partition(".")
    if decimals is None:
        frac = frac.rstrip("0")
    result = sign + _group(int_part)
    return f"{result},{frac}" if frac else result


def format_percent(value: int | float | Decimal | None, decimals: int = 2) -> str:
    """``97.4193`` → ``97,42%``; whole values lose their decimals: ``100%``."""
    if value is None:
        return ""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return format_number(rounded.normalize() if rounded == rounded.to_integral() else rounded) + "%"


def format_amount(value: int | None) -> str:
    return "" if value is None else format_number(value) + "đ"


def format_padded(value: int | None, width: int = 2) -> str:
    """Administrative style for small counts: ``4`` → ``04`` (``04 trạm BTS``); nought stays ``0``."""
    if value is None:
        return ""
    return str(value).zfill(width) if 0 < value < 10 ** (width - 1) else format_number(value)


def format_amount_words(value: int | None) -> str:
    """``4_300_000_000`` → ``4,3 tỷ đồng``; ``102_960_000`` → ``gần 103 triệu đồng``.

    Rounded to one decimal of the largest unit; when rounding changed the value the
    qualifier ``hơn`` (more than) or ``gần`` (nearly) keeps the sentence truthful.
    """
    if value is None:
        return ""
    for scale, word in ((10**9, "tỷ"), (10**6, "triệu"), (10**3, "nghìn")):
        if abs(value) >= scale:
            scaled = Decimal(value) / scale
            rounded = scaled.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            qualifier = "" if rounded == scaled else ("hơn " if scaled > rounded else "gần ")
            return f"{qualifier}{format_number(rounded)} {word} đồng"
    return f"{format_number(value)} đồng"


_DATE_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def parse_date(text: str) -> dt.date:
    """Read ``25/9/2023`` or ``25/09/2023`` (also ``2023-09-25`` from files)."""
    cleaned = _clean(text)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
            return dt.date.fromisoformat(cleaned)
        match = _DATE_RE.match(cleaned)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
    except ValueError:
        raise FormatError(f"Ngày «{text}» không tồn tại.") from None
    raise FormatError(f"«{text}» không phải là ngày. Hãy nhập theo dạng ngày/tháng/năm, ví dụ 25/09/2023.")


def local_time(moment: dt.datetime) -> dt.datetime:
    """Stored times are UTC (naive); people read local time."""
    return moment.replace(tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None)


def format_date(value: dt.date | None) -> str:
    return "" if value is None else value.strftime("%d/%m/%Y")


def format_date_short(value: dt.date | None) -> str:
    """Prose style without leading zeros, as the seeds write it: ``7/6/2023``."""
    return "" if value is None else f"{value.day}/{value.month}/{value.year}"


def format_place_date(place: str, value: dt.date | None, year: int | None = None) -> str:
    """The header line: ``Bình Phước, ngày 25 tháng 9 năm 2023``.

    Nghị định 30/2020 (Phụ lục I): a day below 10 and the months 1 and 2 take a leading zero
    (``ngày 03 tháng 02``), so no digit can be added in front later; months 3–12 do not.
    Without a date the day and month are left open for the clerk to write in by hand.
    """
    if value is None:
        return f"{place}, ngày      tháng      năm {year or ''}".rstrip()
    day = f"{value.day:02d}"
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"{place}, ngày {day} tháng {month} năm {value.year}"
