import datetime as dt
import unicodedata
from decimal import Decimal

import pytest

from desktop_app.domain import vnformat
from desktop_app.domain.vnformat import FormatError


@pytest.mark.parametrize("text,expected", [
    ("1.234", Decimal("1234")),
    ("1.234,5", Decimal("1234.5")),
    ("1,5", Decimal("1.5")),
    ("22.040", Decimal("22040")),
    ("2.318.000", Decimal("2318000")),
    (" 1 234 ", Decimal("1234")),        # spaces typed as thousands separators
    ("1\u00a0234,75", Decimal("1234.75")),  # non-breaking space pasted from Word
    ("-12", Decimal("-12")),
    ("0", Decimal("0")),
    ("98,95", Decimal("98.95")),
])
def test_parse_number_vi(text, expected):
    assert vnformat.parse_number(text) == expected


@pytest.mark.parametrize("text", ["1.23", "12.3456", "abc", "", "1,2,3", "1.2.3,4,5", "--1", "1e5"])
def test_parse_number_rejects_ambiguous_or_garbage(text):
    with pytest.raises(FormatError) as info:
        vnformat.parse_number(text)
    assert str(info.value)  # a Vietnamese explanation, never empty


def test_parse_integer_refuses_fraction():
    assert vnformat.parse_integer("1.234") == 1234
    with pytest.raises(FormatError, match="số nguyên"):
        vnformat.parse_integer("1,5")


def test_parse_amount_accepts_currency_suffix():
    assert vnformat.parse_amount("2.318.000đ") == 2318000
    assert vnformat.parse_amount("2.318.000 đồng") == 2318000


def test_parse_amount_reads_amounts_in_words_as_reports_write_them():
    assert vnformat.parse_amount("6,1 tỷ đồng") == 6_100_000_000
    assert vnformat.parse_amount("130 triệu đồng") == 130_000_000
    assert vnformat.parse_amount("4,5 tỷ") == 4_500_000_000
    assert vnformat.parse_amount("2 nghìn đồng") == 2000
    with pytest.raises(vnformat.FormatError):
        vnformat.parse_amount("tỷ đồng")
    with pytest.raises(vnformat.FormatError):
        vnformat.parse_amount("1,0000000001 nghìn")


def test_parse_percent():
    assert vnformat.parse_percent("98,95%") == Decimal("98.95")


@pytest.mark.parametrize("value,text", [
    (22040, "22.040"), (98.95, "98,95"), (2318000, "2.318.000"), (0, "0"), (-1234.5, "-1.234,5"),
    (Decimal("1234.50"), "1.234,5"),
])
def test_format_number(value, text):
    assert vnformat.format_number(value) == text


def test_format_percent_rounds_half_up_and_trims():
    assert vnformat.format_percent(302 / 310 * 100) == "97,42%"
    assert vnformat.format_percent(100.0) == "100%"
    assert vnformat.format_percent(288 / 293 * 100, 1) == "98,3%"
    assert vnformat.format_percent(30) == "30%"


def test_amount_words_qualifies_rounding():
    assert vnformat.format_amount_words(4_300_000_000) == "4,3 tỷ đồng"
    assert vnformat.format_amount_words(4_312_000_000) == "hơn 4,3 tỷ đồng"
    assert vnformat.format_amount_words(102_960_000) == "gần 103 triệu đồng"
    assert vnformat.format_amount_words(950) == "950 đồng"


def test_padded_small_counts():
    assert vnformat.format_padded(4) == "04"
    assert vnformat.format_padded(27) == "27"
    assert vnformat.format_padded(1075) == "1.075"


def test_dates():
    assert vnformat.parse_date("7/6/2023") == dt.date(2023, 6, 7)
    assert vnformat.parse_date("25/09/2023") == dt.date(2023, 9, 25)
    assert vnformat.parse_date("2023-09-25") == dt.date(2023, 9, 25)
    assert vnformat.format_date(dt.date(2023, 6, 7)) == "07/06/2023"
    assert vnformat.format_date_short(dt.date(2023, 6, 7)) == "7/6/2023"
    for bad in ("31/02/2023", "2023/13/01", "hôm qua"):
        with pytest.raises(FormatError):
            vnformat.parse_date(bad)


def test_place_date_line():
    assert vnformat.format_place_date("Bình Phước", dt.date(2023, 9, 25)) == "Bình Phước, ngày 25 tháng 9 năm 2023"
    assert vnformat.format_place_date("Ba Tơ", None, 2024).endswith("năm 2024")


def test_nfd_input_is_read_as_nfc():
    decomposed = unicodedata.normalize("NFD", "1.234 đồng")
    assert vnformat.parse_amount(decomposed) == 1234
