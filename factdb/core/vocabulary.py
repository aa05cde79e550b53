"""The closed sets of the domain (docs/design.md): the stance scale and its polarity, actor kinds.

Kept apart from ``factdb.storage.models`` so that the read path of ``show`` and ``list`` can use
them without importing SQLAlchemy and SQLModel (start-up time); ``factdb.storage.models``
re-exports them for the tables' CHECK constraints."""

from __future__ import annotations

from enum import StrEnum


class Stance(StrEnum):
    """The ordered stance scale of docs/design.md; ``polarity`` rolls stances up into sides."""

    asserts = "asserts"
    supports = "supports"
    neutral = "neutral"
    disputes = "disputes"
    denies = "denies"

    @property
    def polarity(self) -> int:
        return POLARITY[self]


POLARITY: dict[Stance, int] = {
    Stance.asserts: 2,
    Stance.supports: 1,
    Stance.neutral: 0,
    Stance.disputes: -1,
    Stance.denies: -2,
}


class ActorKind(StrEnum):
    state = "state"
    government = "government"
    person = "person"
    media = "media"
    organization = "organization"
    other = "other"
