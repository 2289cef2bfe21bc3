import datetime as dt

import pytest

from agencies.dates import PartialDate, PartialDateError


@pytest.mark.parametrize(
    ("raw", "iso", "precision", "shown"),
    [
        ("2025", "2025", "year", "2025"),
        (2025, "2025", "year", "2025"),
        ("2025-05", "2025-05", "month", "May 2025"),
        ("2025-04-28", "2025-04-28", "day", "28 Apr 2025"),
        (dt.date(2025, 1, 20), "2025-01-20", "day", "20 Jan 2025"),
    ],
)
def test_parse_keeps_precision(raw, iso, precision, shown):
    value = PartialDate.parse(raw)
    assert value.isoformat() == iso
    assert value.precision == precision
    assert value.display() == shown


@pytest.mark.parametrize("raw", ["May 2025", "2025-13", "2025-02-30", "25", "2025-5", "", True, 20250, 1.5])
def test_parse_refuses(raw):
    with pytest.raises(PartialDateError):
        PartialDate.parse(raw)


def test_month_spans_its_days():
    may = PartialDate.parse("2024-02")
    assert may.start == dt.date(2024, 2, 1)
    assert may.end == dt.date(2024, 2, 29)
