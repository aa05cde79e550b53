"""The closed sets of the domain (docs/design.md): the stance scale and its polarity, actor kinds.

Kept apart from ``factdb.storage.models`` so that the read path of ``show`` and ``list`` can use
them without importing SQLAlchemy and SQLModel (start-up time); ``factdb.storage.models``
re-exports them for the tables' CHECK constraints."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


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


QUALIFIERS: tuple[str, ...] = ("partial", "conditional", "hedged")
"""How a stance can be qualified (docs/design.md, Qualified stances): *partial* admits or
denies part of the claim, *conditional* holds only if something else does, *hedged* is said
with reservations ("we cannot rule out")."""

RELATION_KINDS: tuple[str, ...] = ("part_of", "implies", "contradicts", "same_as")
"""How a claim relates to another (docs/design.md, Claim relations). Stored with underscores,
written with hyphens on the command line (``--part-of``)."""

DIRECTED_RELATIONS: tuple[str, ...] = ("part_of", "implies")
"""The relations with a direction; the others hold both ways and are stored once."""

RELIABILITY_GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")
"""Source reliability (the Admiralty grading): A completely reliable, B usually reliable, C
fairly reliable, D not usually reliable, E unreliable, F reliability cannot be judged."""

CREDIBILITY_GRADES: tuple[str, ...] = ("1", "2", "3", "4", "5", "6")
"""Information credibility: 1 confirmed by other sources, 2 probably true, 3 possibly true,
4 doubtful, 5 improbable, 6 truth cannot be judged."""

RELIABILITY_MEANING: dict[str, str] = dict(
    zip(
        RELIABILITY_GRADES,
        (
            "completely reliable",
            "usually reliable",
            "fairly reliable",
            "not usually reliable",
            "unreliable",
            "reliability cannot be judged",
        ),
        strict=True,
    )
)
CREDIBILITY_MEANING: dict[str, str] = dict(
    zip(
        CREDIBILITY_GRADES,
        (
            "confirmed by other sources",
            "probably true",
            "possibly true",
            "doubtful",
            "improbable",
            "truth cannot be judged",
        ),
        strict=True,
    )
)


def qualification(qualifier: str | None, note: str | None) -> str:
    """A stance's qualification in words: ``partial``, ``partial: a limited number``, the note
    alone, or ``""`` for none."""
    return ": ".join(part for part in (qualifier, note) if part)


def qualified_stance(stance: str, qualifier: str | None, note: str | None) -> str:
    """A stance as printed beside its qualification: ``asserts``, ``asserts (partial)``,
    ``asserts (partial: a limited number, months before the war)``, ``asserts (note)``."""
    words = qualification(qualifier, note)
    return f"{stance} ({words})" if words else stance


def weight_text(counts: Mapping[str, Any]) -> str:
    """What a group or a side of a claim rests on (``queries.claims.corroboration``):
    "3 assertions · 2 origins · 1 outlet"."""
    return " · ".join(
        f"{counts[key]} {key[:-1] if counts[key] == 1 else key}"
        for key in ("assertions", "origins", "outlets")
    )
