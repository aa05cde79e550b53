"""Partial dates (docs/design.md, Dates; docs/reliability.md, bad input)."""

from __future__ import annotations

from datetime import date

import pytest

from factdb.core.dates import (
    ACCEPTED,
    DateFormatError,
    PartialDate,
    Precision,
    format_partial,
    parse_partial,
)


@pytest.mark.parametrize(
    ("text", "start", "precision"),
    [
        ("2024", date(2024, 1, 1), "year"),
        ("2024-02", date(2024, 2, 1), "month"),
        ("2024-02-27", date(2024, 2, 27), "day"),
        ("2024-02-29", date(2024, 2, 29), "day"),
        ("0001", date(1, 1, 1), "year"),
        ("9999-12-31", date(9999, 12, 31), "day"),
        ("1950-06", date(1950, 6, 1), "month"),
    ],
)
def test_round_trip(text: str, start: date, precision: Precision) -> None:
    parsed = parse_partial(text)
    assert parsed == PartialDate(start, precision)
    assert str(parsed) == text
    assert format_partial(parsed.start, parsed.precision) == text


@pytest.mark.parametrize(
    "text",
    [
        "27/02/2024",
        "02/27/2024",
        "2024-02-30",
        "2023-02-29",
        "2024-13",
        "2024-00",
        "2024-02-00",
        "20240227",
        "202402",
        "2024-W09-2",
        "2024-W09",
        "2024-058",
        "45349",
        "2024-02-27T10:00",
        "2024-02-27 10:00",
        "2024-02-27Z",
        " 2024",
        "2024 ",
        "2024\n",
        "2024-2",
        "2024-02-7",
        "24",
        "0000",
        "-2024",
        "+2024",
        "10000",
        "２０２４",  # full-width digits
        "٢٠٢٤",  # Arabic-Indic digits
        "2024-02-27-01",
        "2024/02/27",
        "2024.02.27",
        "Feb 2024",
        "",
    ],
)
def test_rejected(text: str) -> None:
    with pytest.raises(DateFormatError) as info:
        parse_partial(text)
    message = str(info.value)
    assert repr(text) in message
    assert ACCEPTED in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("2024", date(2024, 12, 31)),
        ("2024-02", date(2024, 2, 29)),
        ("2023-02", date(2023, 2, 28)),
        ("1900-02", date(1900, 2, 28)),
        ("2000-02", date(2000, 2, 29)),
        ("2024-04", date(2024, 4, 30)),
        ("2024-12", date(2024, 12, 31)),
        ("2024-02-27", date(2024, 2, 27)),
        ("9999", date(9999, 12, 31)),
    ],
)
def test_end_of_period(text: str, end: date) -> None:
    parsed = parse_partial(text)
    assert parsed.end == end
    assert parsed.start <= parsed.end


def test_as_of_comparisons_use_the_period() -> None:
    """A month starts on its first day and ends on its last: '2024-02' is on or before
    2024-02-01 by its start, and wholly before 2024-03-01 by its end."""
    month = parse_partial("2024-02")
    assert month.start <= date(2024, 2, 1) <= month.end
    assert month.end < parse_partial("2024-03-01").start
