"""Reporting periods: parse the CLI/JSON spec and give the Vietnamese label.

Specs: ``2023`` (year), ``2023-H1`` (half-year), ``2023-9M`` (first nine months),
``2024-Q1`` (quarter), ``2023-09`` (month), ``2023-08-24..2023-09-24`` (date range).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum

from desktop_app.domain.vnformat import format_date_short
from desktop_app.errors import UserError


class PeriodKind(str, Enum):
    YEAR = "year"
    HALF = "half"
    NINE_MONTHS = "nine_months"
    QUARTER = "quarter"
    MONTH = "month"
    RANGE = "range"


PERIOD_KIND_LABELS = {
    PeriodKind.YEAR: "Năm",
    PeriodKind.HALF: "6 tháng",
    PeriodKind.NINE_MONTHS: "9 tháng",
    PeriodKind.QUARTER: "Quý",
    PeriodKind.MONTH: "Tháng",
    PeriodKind.RANGE: "Khoảng thời gian (từ ngày … đến ngày …)",
}

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class PeriodError(ValueError):
    """The period spec is not understood; the message is Vietnamese."""


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: dt.date
    end: dt.date
    spec: str

    @property
    def year(self) -> int:
        return self.end.year

    def same_span(self, other: Period) -> bool:
        """The same days, however written (``2025-09`` and ``2025-09-01..2025-09-30``)."""
        return (self.start, self.end) == (other.start, other.end)

    @property
    def label(self) -> str:
        """``quý I năm 2024``, ``9 tháng đầu năm 2023``, ``từ ngày 24/8/2023 đến ngày 24/9/2023``."""
        y = self.start.year
        if self.kind is PeriodKind.YEAR:
            return f"năm {y}"
        if self.kind is PeriodKind.HALF:
            return f"6 tháng {'đầu' if self.start.month == 1 else 'cuối'} năm {y}"
        if self.kind is PeriodKind.NINE_MONTHS:
            return f"9 tháng đầu năm {y}"
        if self.kind is PeriodKind.QUARTER:
            return f"quý {_ROMAN[(self.start.month - 1) // 3 + 1]} năm {y}"
        if self.kind is PeriodKind.MONTH:
            return f"tháng {self.start.month} năm {y}"
        return f"từ ngày {format_date_short(self.start)} đến ngày {format_date_short(self.end)}"

    def next(self) -> Period:
        """The period of the same kind just after this one (``nhiệm vụ quý II``)."""
        return self._shift(1)

    def previous(self) -> Period:
        """The period of the same kind just before this one (for carry-forward)."""
        return self._shift(-1)

    def _shift(self, step: int) -> Period:
        y, month = self.start.year, self.start.month
        if self.kind in (PeriodKind.YEAR, PeriodKind.NINE_MONTHS):
            return parse_period(f"{y + step}" + ("-9M" if self.kind is PeriodKind.NINE_MONTHS else ""))
        if self.kind is PeriodKind.HALF:
            year, half = divmod(y * 2 + (month - 1) // 6 + step, 2)
            return parse_period(f"{year}-H{half + 1}")
        if self.kind is PeriodKind.QUARTER:
            year, quarter = divmod(y * 4 + (month - 1) // 3 + step, 4)
            return parse_period(f"{year}-Q{quarter + 1}")
        if self.kind is PeriodKind.MONTH:
            year, index = divmod(y * 12 + month - 1 + step, 12)
            return parse_period(f"{year}-{index + 1:02d}")
        length = self.end - self.start  # a date range: the same length, just before or after
        if step > 0:
            start = self.end + dt.timedelta(days=1)
            return parse_period(f"{start.isoformat()}..{(start + length).isoformat()}")
        end = self.start - dt.timedelta(days=1)
        return parse_period(f"{(end - length).isoformat()}..{end.isoformat()}")


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def read_period(value: Period | str) -> Period:
    """A period as the person gave it (a spec typed on the command line or in a field); a spec
    that is not understood is the person's error (UserError, Vietnamese)."""
    if isinstance(value, Period):
        return value
    try:
        return parse_period(value)
    except PeriodError as exc:
        raise UserError(str(exc)) from None


def parse_period(spec: str) -> Period:
    text = spec.strip().upper()
    try:
        if m := re.fullmatch(r"(\d{4})", text):
            y = int(m[1])
            return Period(PeriodKind.YEAR, dt.date(y, 1, 1), dt.date(y, 12, 31), f"{y}")
        if m := re.fullmatch(r"(\d{4})-H([12])", text):
            y, h = int(m[1]), int(m[2])
            start = dt.date(y, 1 if h == 1 else 7, 1)
            return Period(PeriodKind.HALF, start, _month_end(y, 6 if h == 1 else 12), f"{y}-H{h}")
        if m := re.fullmatch(r"(\d{4})-9M", text):
            y = int(m[1])
            return Period(PeriodKind.NINE_MONTHS, dt.date(y, 1, 1), dt.date(y, 9, 30), f"{y}-9M")
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
            y, q = int(m[1]), int(m[2])
            return Period(PeriodKind.QUARTER, dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q), f"{y}-Q{q}")
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            y, mo = int(m[1]), int(m[2])
            return Period(PeriodKind.MONTH, dt.date(y, mo, 1), _month_end(y, mo), f"{y}-{mo:02d}")
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
            start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
            if end < start:
                raise PeriodError(f"Kỳ báo cáo «{spec}»: ngày kết thúc trước ngày bắt đầu.")
            return Period(PeriodKind.RANGE, start, end, f"{start.isoformat()}..{end.isoformat()}")
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(f"Kỳ báo cáo «{spec}» có ngày hoặc tháng không tồn tại.") from None
    raise PeriodError(
        f"Không hiểu kỳ báo cáo «{spec}». Dạng đúng: 2023, 2023-H1, 2023-9M, 2024-Q1, 2023-09 "
        "hoặc 2023-08-24..2023-09-24."
    )
