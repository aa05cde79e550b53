"""Assertions as records that are never lost: found by natural key, moved to another actor or
claim by a merge, and folded (kept, retracted, pointing at their twin) when the move makes
them the same as a live one."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlmodel import Session, col

from factdb.domain.stances import find_assertion
from factdb.storage.models import Assertion, utcnow


@dataclass
class Moved:
    """What moving assertions did: those moved, and those folded into a twin (id, twin id)."""

    moved: list[int] = field(default_factory=list)
    folded: list[tuple[int, int]] = field(default_factory=list)


def move_assertions(
    session: Session,
    where: ColumnElement[bool],
    *,
    actor_id: int | None = None,
    claim_id: int | None = None,
    why: str,
) -> Moved:
    """Give the assertions ``where`` selects another actor or claim, in id order. One that
    becomes the same (natural key) as a live assertion is folded into it: kept with its quote
    and via chain, retracted with ``why`` and the twin's id, and pointing at the twin
    (``folded_into_id``)."""
    result = Moved()
    assertions = session.execute(
        select(Assertion).where(where).order_by(col(Assertion.id))
    ).scalars()
    for assertion in list(assertions):
        assert assertion.id is not None
        new_actor = actor_id if actor_id is not None else assertion.actor_id
        new_claim = claim_id if claim_id is not None else assertion.claim_id
        twin = None
        if assertion.retracted_at is None:
            twin = find_assertion(
                session,
                claim_id=new_claim,
                actor_id=new_actor,
                stance=assertion.stance,
                date=assertion.date,
                precision=assertion.date_precision,
                source_id=assertion.source_id,
            )
            if twin is not None and (twin.retracted_at is not None or twin.id == assertion.id):
                twin = None
        if twin is not None:
            assert twin.id is not None
            assertion.retracted_at = utcnow()
            assertion.retraction_reason = f"same as assertion {twin.id} once {why}"
            assertion.folded_into_id = twin.id
            result.folded.append((assertion.id, twin.id))
        else:
            result.moved.append(assertion.id)
        # One UPDATE: the retracted row leaves the unique index of live natural keys as it
        # takes its twin's key.
        assertion.actor_id = new_actor
        assertion.claim_id = new_claim
        session.add(assertion)
        session.flush()
    return result
