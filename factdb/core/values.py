"""Parsing of the closed sets a user types (stance, kind, format): one-line errors listing the
allowed values, raised as ``InvalidInput`` (exit 2)."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from factdb.core.dates import DateFormatError, PartialDate, parse_partial
from factdb.core.errors import InvalidInput
from factdb.core.vocabulary import ActorKind, Stance

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
