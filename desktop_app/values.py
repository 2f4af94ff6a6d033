"""Values of report fields: reading them from JSON or typed vi-VN text, and writing them.

Stored form (also the JSON form of ``report show --json``):
integer/amount → int; decimal/percentage → int or float; ratio → {"num", "den"};
yesno → bool; choice/text/long_text → str; date → "YYYY-MM-DD";
docref → {"number", "date", "issuer", "summary"}; table → list of {column: value}.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from desktop_app import vnformat
from desktop_app.templating.model import Column, Field, FieldKind
from desktop_app.text import nfc
from desktop_app.vnformat import FormatError

MAX_TEXT = 500
MAX_LONG_TEXT = 50_000
DOCREF_KEYS = ("number", "date", "issuer", "summary")
SOURCE_KEY = "_don_vi"  # in a consolidated table's rows: the unit the row came from


class ValueProblem(ValueError):
    """A value has the wrong shape for its field; the message is Vietnamese."""


def is_empty(value: Any) -> bool:
    """Nothing typed: None, "", a composite with only empty parts, a table with only empty rows."""
    if value is None or value == "":
        return True
    if isinstance(value, dict):
        return all(is_empty(v) for v in value.values())
    if isinstance(value, list):
        return all(is_empty(row) for row in value)
    return False


def _to_number(raw: Any, label: str) -> Decimal:
    if isinstance(raw, bool):
        raise ValueProblem(f"«{label}» phải là số.")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueProblem(f"«{label}» phải là số.")
        return Decimal(str(raw))
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, str):
        try:
            return vnformat.parse_number(raw.rstrip("%").strip())
        except FormatError as exc:
            raise ValueProblem(f"«{label}»: {exc}") from None
    raise ValueProblem(f"«{label}» phải là số.")


def _plain_number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def _whole(raw: Any, label: str) -> int:
    number = _to_number(raw, label)
    if number != number.to_integral_value():
        raise ValueProblem(f"«{label}» phải là số nguyên.")
    if abs(number) > 10**15:
        raise ValueProblem(f"«{label}» quá lớn.")
    return int(number)


def _date_string(raw: Any, label: str) -> str:
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if isinstance(raw, str):
        try:
            return vnformat.parse_date(raw).isoformat()
        except FormatError as exc:
            raise ValueProblem(f"«{label}»: {exc}") from None
    raise ValueProblem(f"«{label}» phải là ngày.")


def coerce(spec: Field | Column, raw: Any) -> Any:
    """Turn a JSON value (or vi-VN text) into the stored form; None means empty."""
    label = spec.label
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = spec.kind
    if kind in (FieldKind.INTEGER, FieldKind.AMOUNT):
        if kind == FieldKind.AMOUNT and isinstance(raw, str):
            try:
                return vnformat.parse_amount(raw)
            except FormatError as exc:
                raise ValueProblem(f"«{label}»: {exc}") from None
        return _whole(raw, label)
    if kind in (FieldKind.DECIMAL, FieldKind.PERCENTAGE):
        return _plain_number(_to_number(raw, label))
    if kind == FieldKind.RATIO:
        if not isinstance(raw, dict) or set(raw) - {"num", "den"}:
            raise ValueProblem(f"«{label}» phải có dạng {{\"num\": tử số, \"den\": mẫu số}}.")
        num = None if raw.get("num") in (None, "") else _whole(raw["num"], label + " (tử số)")
        den = None if raw.get("den") in (None, "") else _whole(raw["den"], label + " (mẫu số)")
        return None if num is None and den is None else {"num": num, "den": den}
    if kind == FieldKind.YESNO:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and nfc(raw).strip().lower() in ("có", "co", "x", "true", "1"):
            return True
        if isinstance(raw, str) and nfc(raw).strip().lower() in ("không", "khong", "false", "0"):
            return False
        raise ValueProblem(f"«{label}» phải là Có hoặc Không.")
    if kind in (FieldKind.TEXT, FieldKind.LONG_TEXT, FieldKind.CHOICE):
        if not isinstance(raw, str):
            if isinstance(raw, (int, float)) and not isinstance(raw, bool) and kind == FieldKind.TEXT:
                raw = str(raw)
            else:
                raise ValueProblem(f"«{label}» phải là chữ.")
        text = nfc(raw).replace("\r\n", "\n").strip()
        limit = MAX_LONG_TEXT if kind == FieldKind.LONG_TEXT else MAX_TEXT
        if len(text) > limit:
            raise ValueProblem(f"«{label}» dài quá {vnformat.format_number(limit)} ký tự.")
        return text or None
    if kind == FieldKind.DATE:
        return _date_string(raw, label)
    if kind == FieldKind.DOCREF:
        if not isinstance(raw, dict) or set(raw) - set(DOCREF_KEYS):
            raise ValueProblem(f"«{label}» phải có các mục number, date, issuer, summary.")
        out: dict[str, Any] = {}
        for key in DOCREF_KEYS:
            part = raw.get(key)
            if part in (None, ""):
                out[key] = None
            elif key == "date":
                out[key] = _date_string(part, label + " (ngày)")
            elif isinstance(part, str):
                out[key] = nfc(part).strip() or None
            else:
                raise ValueProblem(f"«{label}» ({key}) phải là chữ.")
        return None if all(v is None for v in out.values()) else out
    if kind == FieldKind.TABLE:
        assert isinstance(spec, Field)
        if not isinstance(raw, list):
            raise ValueProblem(f"«{label}» phải là danh sách các dòng.")
        if spec.max_rows is not None and len(raw) > spec.max_rows:
            raise ValueProblem(f"«{label}» có quá {spec.max_rows} dòng.")
        columns = {c.id: c for c in spec.columns or []}
        rows = []
        for index, row in enumerate(raw, start=1):
            if not isinstance(row, dict):
                raise ValueProblem(f"«{label}», dòng {index}: phải là một nhóm «cột: giá trị».")
            unknown = set(row) - set(columns)
            if unknown:
                raise ValueProblem(f"«{label}», dòng {index}: không có cột «{', '.join(sorted(unknown))}».")
            rows.append({cid: coerce(col, row.get(cid)) for cid, col in columns.items()
                         if col.kind != FieldKind.COMPUTED})
        return rows or None
    if kind == FieldKind.COMPUTED:
        raise ValueProblem(f"«{label}» được tính tự động, không nhập.")
    raise ValueProblem(f"«{label}»: kiểu trường chưa hỗ trợ.")


def parse_input(spec: Field | Column, text: str) -> Any:
    """What the person typed in a UI cell or box (vi-VN text) → stored form."""
    if spec.kind == FieldKind.PERCENTAGE and isinstance(text, str):
        text = text.replace("%", "")
    return coerce(spec, text)


def format_value(spec: Field | Column, value: Any, decimals: int | None = None) -> str:
    """The stored form as the person reads it in the UI (vi-VN)."""
    if value is None:
        return ""
    kind = spec.kind
    if kind in (FieldKind.INTEGER, FieldKind.DECIMAL):
        return vnformat.format_number(value, decimals if decimals is not None else spec.decimals)
    if kind == FieldKind.AMOUNT:
        return vnformat.format_number(value)
    if kind == FieldKind.PERCENTAGE:
        return vnformat.format_number(value, spec.decimals)
    if kind == FieldKind.RATIO:
        num, den = value.get("num"), value.get("den")
        return f"{vnformat.format_number(num)}/{vnformat.format_number(den)}"
    if kind == FieldKind.YESNO:
        return "Có" if value else "Không"
    if kind == FieldKind.DATE:
        return vnformat.format_date(dt.date.fromisoformat(value))
    if kind == FieldKind.DOCREF:
        return " ".join(p for p in (value.get("number"), value.get("date") and
                                    vnformat.format_date(dt.date.fromisoformat(value["date"]))) if p)
    return str(value)


def format_computed(display: str | None, value: Any) -> str:
    if value is None:
        return ""
    if display == "percent":
        return vnformat.format_percent(value)
    if display == "amount":
        return vnformat.format_amount(int(round(value)))
    if display == "amount_words":
        return vnformat.format_amount_words(int(round(value)))
    if display == "padded" and float(value).is_integer():
        return vnformat.format_padded(int(value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, float):
        return vnformat.format_number(round(value, 2))
    return vnformat.format_number(value) if isinstance(value, (int, Decimal)) else str(value)
