"""Parsing of the closed sets a user types (stance, kind, format): one-line errors listing the
allowed values, raised as ``InvalidInput`` (exit 2)."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from factdb.core.dates import DateFormatError, PartialDate, parse_partial, split_approximate
from factdb.core.errors import InvalidInput
from factdb.core.vocabulary import (
    CREDIBILITY_GRADES,
    QUALIFIERS,
    RELIABILITY_GRADES,
    ActorKind,
    Stance,
)

E = TypeVar("E", bound=StrEnum)


def parse_choice(enum: type[E], value: str, field: str, noun: str) -> E:
    try:
        return enum(value.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidInput(field, f"{value!r} is not {noun}; use one of {allowed}") from None


def parse_stance(value: str, field: str = "--stance") -> Stance:
    return parse_choice(Stance, value, field, "a stance")


def parse_kind(value: str, field: str = "--kind") -> ActorKind:
    return parse_choice(ActorKind, value, field, "an actor kind")


def parse_date(value: str, field: str = "--date") -> PartialDate:
    try:
        return parse_partial(value)
    except DateFormatError as exc:
        raise InvalidInput(field, str(exc)) from None


def parse_optional_date(value: str | None, field: str) -> PartialDate | None:
    return None if value is None or value == "" else parse_date(value, field)


def parse_stance_date(value: str, field: str = "--date") -> tuple[PartialDate, bool]:
    """A stance's date, possibly approximate (``~2022-10``): the date and the mark."""
    text, approximate = split_approximate(value)
    return parse_date(text, field), approximate


def parse_qualifier(value: str | None, field: str = "--qualifier") -> str | None:
    """``partial``, ``conditional`` or ``hedged``; None for none (empty)."""
    if value is None or not value.strip():
        return None
    folded = value.strip().lower()
    if folded not in QUALIFIERS:
        raise InvalidInput(
            field, f"{value!r} is not a qualifier; use one of {', '.join(QUALIFIERS)}"
        )
    return folded


def parse_reliability(value: str, field: str = "--min-reliability") -> str:
    """A source-reliability grade, A (completely reliable) to F (cannot be judged)."""
    folded = value.strip().upper()
    if folded not in RELIABILITY_GRADES:
        raise InvalidInput(
            field,
            f"{value!r} is not a reliability grade; use one of {', '.join(RELIABILITY_GRADES)}",
        )
    return folded


def parse_credibility(value: str, field: str = "--min-credibility") -> str:
    """An information-credibility grade, 1 (confirmed) to 6 (cannot be judged)."""
    folded = value.strip()
    if folded not in CREDIBILITY_GRADES:
        raise InvalidInput(
            field,
            f"{value!r} is not a credibility grade; use one of {', '.join(CREDIBILITY_GRADES)}",
        )
    return folded
