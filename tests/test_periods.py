import pytest

from desktop_app.domain.periods import PeriodError, PeriodKind, parse_period


@pytest.mark.parametrize("spec,kind,label", [
    ("2023", PeriodKind.YEAR, "năm 2023"),
    ("2023-H1", PeriodKind.HALF, "6 tháng đầu năm 2023"),
    ("2022-H2", PeriodKind.HALF, "6 tháng cuối năm 2022"),
    ("2023-9M", PeriodKind.NINE_MONTHS, "9 tháng đầu năm 2023"),
    ("2024-Q1", PeriodKind.QUARTER, "quý I năm 2024"),
    ("2024-Q4", PeriodKind.QUARTER, "quý IV năm 2024"),
    ("2023-09", PeriodKind.MONTH, "tháng 9 năm 2023"),
    ("2023-08-24..2023-09-24", PeriodKind.RANGE, "từ ngày 24/8/2023 đến ngày 24/9/2023"),
])
def test_labels(spec, kind, label):
    period = parse_period(spec)
    assert period.kind is kind
    assert period.label == label
    assert parse_period(period.spec) == period  # spec round-trips


def test_bounds():
    q = parse_period("2024-Q1")
    assert (q.start.isoformat(), q.end.isoformat()) == ("2024-01-01", "2024-03-31")
    assert parse_period("2024-02").end.day == 29  # leap year


def test_previous_period():
    assert parse_period("2024-Q1").previous().spec == "2023-Q4"
    assert parse_period("2023-H1").previous().spec == "2022-H2"
    assert parse_period("2023-01").previous().spec == "2022-12"
    assert parse_period("2023-9M").previous().spec == "2022-9M"


@pytest.mark.parametrize("spec", ["2023-Q5", "2023-13", "23", "2023-09-24..2023-08-24", "quý 1", "2023-02-30..2023-03-01"])
def test_bad_specs_explain_in_vietnamese(spec):
    with pytest.raises(PeriodError) as info:
        parse_period(spec)
    assert "Kỳ báo cáo" in str(info.value) or "kỳ báo cáo" in str(info.value)


def test_next_period_mirrors_previous():
    assert parse_period("2024-Q4").next().spec == "2025-Q1"
    assert parse_period("2023-H2").next().spec == "2024-H1"
    assert parse_period("2023-12").next().spec == "2024-01"
    assert parse_period("2023-9M").next().label == "9 tháng đầu năm 2024"
    for spec in ("2023", "2023-H1", "2024-Q2", "2023-07", "2023-08-24..2023-09-24"):
        assert parse_period(spec).next().previous().spec == spec
