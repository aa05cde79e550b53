"""Partial dates: ``2024``, ``2024-02`` and ``2024-02-27``.

Reporting is often vague about when something was said. A partial date is stored as the first
day of its period plus a precision and printed back exactly as given. The parser is strict on
purpose: ``date.fromisoformat`` accepts ``20240227`` and ``2024-W09-2`` (docs/reliability.md,
bad input)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

Precision = Literal["year", "month", "day"]
PRECISIONS: tuple[Precision, ...] = ("year", "month", "day")
ACCEPTED = "use YYYY, YYYY-MM or YYYY-MM-DD"

_PATTERN = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)


class DateFormatError(ValueError):
    """The text is not a partial date; the message says why and what is accepted."""


@dataclass(frozen=True, order=True)
class PartialDate:
    start: date
    precision: Precision

    @property
    def end(self) -> date:
        """Last day of the period (``2024-02`` ends on 2024-02-29)."""
        if self.precision == "day":
            return self.start
        if self.precision == "month":
            last = calendar.monthrange(self.start.year, self.start.month)[1]
            return self.start.replace(day=last)
        return self.start.replace(month=12, day=31)

    def __str__(self) -> str:
        return format_partial(self.start, self.precision)


def parse_partial(text: str) -> PartialDate:
    """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; raise ``DateFormatError`` otherwise."""
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise DateFormatError(f"{text!r} is not a date; {ACCEPTED}")
    year_s, month_s, day_s = match.groups()
    year = int(year_s)
    if year < 1:
        raise DateFormatError(f"{text!r} is not a date; {ACCEPTED}")
    try:
        if day_s is not None:
            return PartialDate(date(year, int(month_s), int(day_s)), "day")
        if month_s is not None:
            return PartialDate(date(year, int(month_s), 1), "month")
        return PartialDate(date(year, 1, 1), "year")
    except ValueError:
        raise DateFormatError(f"{text!r} is not a date; {ACCEPTED}") from None


def format_partial(start: date, precision: str) -> str:
    """Print a stored date back as it was given."""
    if precision == "year":
        return f"{start.year:04d}"
    if precision == "month":
        return f"{start.year:04d}-{start.month:02d}"
    return start.isoformat()


def stored_date(value: date | str) -> date:
    """A stored date as read back from either backend: a date, or ISO text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@lru_cache(maxsize=4096)
def stored_text(value: date | str | None, precision: str | None) -> str | None:
    """A partial date as read back from either backend, printed as it was given; None when
    there is none. Cached: a report or an export prints the same dates many times over."""
    if value is None or precision is None:
        return None
    return format_partial(stored_date(value), precision)


APPROXIMATE = "~"
"""Marks an approximate date as given (``~2022-10``: around October 2022)."""


def split_approximate(text: str) -> tuple[str, bool]:
    """``~2022-10`` → (``2022-10``, True); a date without the mark → (it, False)."""
    if text.startswith(APPROXIMATE):
        return text[len(APPROXIMATE) :], True
    return text, False


def format_given(start: date, precision: str, approximate: bool | int | None) -> str:
    """A stance's date printed as given: ``~`` in front when it is approximate."""
    text = format_partial(start, precision)
    return APPROXIMATE + text if approximate else text
