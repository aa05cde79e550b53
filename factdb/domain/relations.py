"""Claim relations (docs/design.md, Claim relations): a claim is part of another, implies it,
contradicts it or is the same as it (``factdb claim relate|unrelate``), and what becomes of
a claim's relations when it is merged into another (``claim merge``).

``part_of`` and ``implies`` have a direction and are stored as given; ``contradicts`` and
``same_as`` hold both ways and are stored once, the lower claim id first (the schema's CHECK
``symmetric_ordered``). No claim is related to itself (CHECK ``not_itself``) and no claim is
part of itself through any chain of ``part_of`` (refused here, naming the chain).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select, text
from sqlmodel import Session, col, or_

from factdb.core.errors import Conflict, InvalidInput
from factdb.core.vocabulary import DIRECTED_RELATIONS, RELATION_KINDS
from factdb.domain.claims import get_claim
from factdb.queries.relations import chain_text, part_chain, phrase
from factdb.storage.models import ClaimRelation

Action = Literal["related", "unrelated", "unchanged"]


@dataclass
class RelationResult:
    """What ``relate`` or ``unrelate`` did: ``related`` (recorded), ``unchanged`` (recorded
    already) or ``unrelated`` (removed), as the user gave it: claim ``claim_id`` ``kind``
    claim ``other_claim_id``. ``relation_id`` is the row (None if nothing was recorded)."""

    action: Action
    claim_id: int
    claim: str
    kind: str
    other_claim_id: int
    other_claim: str
    relation_id: int | None


def stored(claim_id: int, kind: str, other_id: int) -> tuple[int, int]:
    """The (claim_id, other_claim_id) a relation is stored as: as given for the directed
    kinds, the lower id first for the symmetric ones."""
    if kind in DIRECTED_RELATIONS:
        return claim_id, other_id
    return min(claim_id, other_id), max(claim_id, other_id)


def find_relation(
    session: Session, claim_id: int, kind: str, other_id: int
) -> ClaimRelation | None:
    first, second = stored(claim_id, kind, other_id)
    return (
        session.execute(
            select(ClaimRelation).where(
                col(ClaimRelation.claim_id) == first,
                col(ClaimRelation.kind) == kind,
                col(ClaimRelation.other_claim_id) == second,
            )
        )
        .scalars()
        .first()
    )


def _check_kind(kind: str) -> None:
    if kind not in RELATION_KINDS:
        raise InvalidInput("KIND", f"{kind!r} is not one of {', '.join(RELATION_KINDS)}")


def _lock_relations(session: Session) -> None:
    """PostgreSQL: one writer of relations at a time until this transaction ends, so that
    two concurrent ``part_of`` writes cannot close a cycle that neither saw (SQLite write
    transactions hold the write lock from their start anyway). Readers are not blocked."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE claim_relation IN SHARE ROW EXCLUSIVE MODE"))


def relate(session: Session, claim_id: int, kind: str, other_id: int) -> RelationResult:
    """Record that claim ``claim_id`` ``kind`` claim ``other_id`` (``claim 5 is part of claim
    1``). A relation recorded already is ``unchanged`` (a symmetric one in either order).
    Refused: an unknown claim (``NotFound``), a claim related to itself, and a ``part_of`` that
    would make a claim part of itself through a chain (``Conflict``, naming the chain)."""
    _check_kind(kind)
    if kind == "part_of":
        _lock_relations(session)  # before any read, whatever the isolation level
    claim, other = get_claim(session, claim_id), get_claim(session, other_id)
    assert claim.id is not None and other.id is not None
    if claim.id == other.id:
        raise Conflict(f"claim {claim.id} cannot {phrase(kind, 'cannot')} itself")
    existing = find_relation(session, claim.id, kind, other.id)
    action: Action = "unchanged"
    if existing is None:
        if kind == "part_of":
            chain = part_chain(session, other.id, claim.id)
            if chain is not None:
                raise Conflict(
                    f"claim {claim.id} cannot be part of claim {other.id}: {chain_text(chain)}, "
                    f"so claim {claim.id} would be part of itself"
                )
        first, second = stored(claim.id, kind, other.id)
        existing = ClaimRelation(claim_id=first, kind=kind, other_claim_id=second)
        session.add(existing)
        session.flush()
        action = "related"
    return RelationResult(action, claim.id, claim.text, kind, other.id, other.text, existing.id)


def unrelate(session: Session, claim_id: int, kind: str, other_id: int) -> RelationResult:
    """Remove the relation claim ``claim_id`` ``kind`` claim ``other_id`` (a symmetric one in
    either order). Refused (``Conflict``) if it is not recorded, saying so and pointing at the
    other direction of a directed relation when that one is."""
    _check_kind(kind)
    claim, other = get_claim(session, claim_id), get_claim(session, other_id)
    assert claim.id is not None and other.id is not None
    existing = find_relation(session, claim.id, kind, other.id)
    if existing is None:
        message = f"claim {claim.id} {phrase(kind, 'not')} claim {other.id}"
        if kind in DIRECTED_RELATIONS and claim.id != other.id:
            if find_relation(session, other.id, kind, claim.id) is not None:
                option = "--" + kind.replace("_", "-")
                message += (
                    f" (claim {other.id} {phrase(kind)} claim {claim.id}: "
                    f"`factdb claim unrelate {other.id} {option} {claim.id}`)"
                )
        raise Conflict(message + "; nothing changed")
    relation_id = existing.id
    session.delete(existing)
    session.flush()
    return RelationResult(
        "unrelated", claim.id, claim.text, kind, other.id, other.text, relation_id
    )


# --- ``claim merge`` -------------------------------------------------------------------------


@dataclass
class RemovedRelation:
    """A relation of FROM that a merge removed: as it was, and why. ``duplicate_of`` is the
    relation of INTO it would have repeated; None when it would have related INTO to
    itself."""

    relation: int
    claim_id: int
    kind: str
    other_claim_id: int
    duplicate_of: int | None


@dataclass
class RelationMoves:
    moved: list[int] = field(default_factory=list)
    """The relations now INTO's, by id (kept, their FROM end changed to INTO)."""
    removed: list[RemovedRelation] = field(default_factory=list)


def move_relations(session: Session, from_id: int, into_id: int) -> RelationMoves:
    """Give claim ``into_id`` the relations of claim ``from_id`` (``claim merge``). A relation
    that would relate INTO to itself, or that INTO has already, is removed and reported. A
    ``Conflict`` (and the merge refused) if INTO would become part of itself through a chain
    of ``part_of``, naming the chain."""
    _lock_relations(session)
    moves = RelationMoves()
    rows = list(
        session.execute(
            select(ClaimRelation)
            .where(
                or_(
                    col(ClaimRelation.claim_id) == from_id,
                    col(ClaimRelation.other_claim_id) == from_id,
                )
            )
            .order_by(col(ClaimRelation.id))
        ).scalars()
    )
    for row in rows:
        assert row.id is not None
        ends = [into_id if end == from_id else end for end in (row.claim_id, row.other_claim_id)]
        if ends[0] == ends[1]:
            moves.removed.append(
                RemovedRelation(row.id, row.claim_id, row.kind, row.other_claim_id, None)
            )
            session.delete(row)
            session.flush()
            continue
        first, second = stored(ends[0], row.kind, ends[1])
        twin = find_relation(session, first, row.kind, second)
        if twin is not None and twin.id != row.id:
            moves.removed.append(
                RemovedRelation(row.id, row.claim_id, row.kind, row.other_claim_id, twin.id)
            )
            session.delete(row)
            session.flush()
            continue
        row.claim_id, row.other_claim_id = first, second
        session.add(row)
        session.flush()
        moves.moved.append(row.id)
    for (whole,) in session.execute(
        select(col(ClaimRelation.other_claim_id)).where(
            col(ClaimRelation.claim_id) == into_id, col(ClaimRelation.kind) == "part_of"
        )
    ).all():
        chain = part_chain(session, int(whole), into_id)
        if chain is not None:
            raise Conflict(
                f"claim {from_id} cannot be merged into claim {into_id}: claim {into_id} would "
                f"be part of itself ({chain_text([into_id, *chain])}, once claim {from_id} is "
                f"claim {into_id}); remove one of these relations first (`factdb claim unrelate`)"
            )
    return moves
