"""Actors: names, aliases, kinds and the ``part_of`` hierarchy that rolls stances up to sides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from factdb.core.errors import Conflict
from factdb.domain.assertions import move_assertions
from factdb.domain.changes import Correction, FieldChange
from factdb.domain.identifiers import count_actor_ids, move_actor_ids
from factdb.domain.records import add_aliases, aliases_of
from factdb.queries import actor_ref, ancestor_ids, sides_of
from factdb.storage.models import (
    Actor,
    ActorAlias,
    ActorMembership,
    Assertion,
    AssertionVia,
    Rating,
    Sanction,
    SanctionTarget,
    Source,
)


def get_actor(session: Session, ref: str, field: str = "actor") -> Actor:
    """An actor by name, alias or numeric id (``queries.actor_ref``); ``NotFound`` with a
    did-you-mean hint."""
    actor = session.get(Actor, actor_ref(session, ref)[0])
    assert actor is not None
    return actor


def side_of(session: Session, actor: Actor) -> Actor:
    """The top-level ``part_of`` ancestor: the side an actor's stances count for
    (``queries.sides_of``, the definition of the ``actor_side`` view)."""
    assert actor.id is not None
    side_id = sides_of(session, [actor.id])[actor.id][0]
    side = actor if side_id == actor.id else session.get(Actor, side_id)
    assert side is not None
    return side


@dataclass
class MergeResult:
    into: Actor
    from_name: str
    from_id: int
    assertions_moved: list[int]
    assertions_folded: list[tuple[int, int]]
    """(assertion of FROM, the live assertion of INTO it is the same as)."""
    via_links_moved: int
    parts_moved: int
    sanctions_moved: int
    """Sanctions FROM was a target of, now targeting INTO."""
    aliases_moved: list[str]
    outlets_moved: int = 0
    """Sources whose outlet was FROM."""
    ratings_moved: int = 0
    """FROM's reliability ratings, all of them (withdrawn ones too), now INTO's."""
    ids_moved: int = 0
    """FROM's external ids, now INTO's."""
    authorities_moved: int = 0
    """Sanctions whose authority was FROM."""
    targets_kept_once: list[str] = field(default_factory=list)
    """Sanctions targeting both: INTO's target (and its dates) is kept, FROM's removed."""


def merge(session: Session, *, source: str, into: str) -> MergeResult:
    """Fold actor ``source`` into ``into``; nothing is lost. Its assertions, via links, parts
    (children) and memberships, the sanctions it is the target or the authority of (a
    sanction targeting both keeps INTO's target), the sources it is the outlet of, its
    ratings, its external ids and its aliases move over, and its name becomes an alias of
    ``into``. INTO's rating is then the newest of
    both histories (``rating_current``).
    An assertion that becomes the same (natural key) as one of ``into``'s live assertions is
    kept, retracted as folded into that one, with its quote and via chain
    (``assertions.move_assertions``). FROM's own record is deleted; the change history keeps
    it (``factdb history actor ID``)."""
    old = get_actor(session, source, "FROM")
    new = get_actor(session, into, "INTO")
    if old.id == new.id:
        raise Conflict(f"'{source}' and '{into}' are the same actor ('{old.name}')")
    assert old.id is not None and new.id is not None
    if old.id in ancestor_ids(session, new.id):
        # ``into`` sits below ``source``: lift it to source's place before re-parenting
        # source's children under it, or the hierarchy would loop.
        new.part_of_id = old.part_of_id
        session.add(new)
        session.flush()
    old_name, old_id = old.name, old.id
    why = f"actor '{old_name}' (id {old_id}) was merged into '{new.name}' (id {new.id})"
    moved = move_assertions(
        session,
        col(Assertion.actor_id) == old.id,
        actor_id=new.id,
        why=why,
    )
    vias = session.execute(
        update(AssertionVia).where(col(AssertionVia.actor_id) == old.id).values(actor_id=new.id)
    )
    parts = session.execute(
        update(Actor).where(col(Actor.part_of_id) == old.id).values(part_of_id=new.id)
    )
    memberships = _move_memberships(session, old.id, new.id)
    both = list(
        session.execute(
            select(col(Sanction.id), col(Sanction.name))
            .join(SanctionTarget, col(SanctionTarget.sanction_id) == col(Sanction.id))
            .where(col(SanctionTarget.actor_id) == old.id)
            .where(
                col(SanctionTarget.sanction_id).in_(
                    select(col(SanctionTarget.sanction_id)).where(
                        col(SanctionTarget.actor_id) == new.id
                    )
                )
            )
            .order_by(col(Sanction.name))
        )
    )
    if both:
        session.execute(
            delete(SanctionTarget).where(
                col(SanctionTarget.actor_id) == old.id,
                col(SanctionTarget.sanction_id).in_([i for i, _ in both]),
            )
        )
    sanctions = session.execute(
        update(SanctionTarget).where(col(SanctionTarget.actor_id) == old.id).values(actor_id=new.id)
    )
    authorities = session.execute(
        update(Sanction).where(col(Sanction.authority_id) == old.id).values(authority_id=new.id)
    )
    outlets = session.execute(
        update(Source).where(col(Source.outlet_id) == old.id).values(outlet_id=new.id)
    )
    ratings = session.execute(
        update(Rating).where(col(Rating.actor_id) == old.id).values(actor_id=new.id)
    )
    aliases = aliases_of(session, old.id)
    session.execute(
        update(ActorAlias).where(col(ActorAlias.actor_id) == old.id).values(actor_id=new.id)
    )
    ids = move_actor_ids(session, old.id, new.id)
    session.flush()
    session.delete(old)
    session.flush()
    session.expire_all()
    new_fresh = session.get(Actor, new.id)
    assert new_fresh is not None
    # FROM's name was a known name already: it may look like anything it did before.
    add_aliases(session, actor=new_fresh, aliases=[old_name], allow_confusable=True)
    return MergeResult(
        into=new_fresh,
        from_name=old_name,
        from_id=old_id,
        assertions_moved=moved.moved,
        assertions_folded=moved.folded,
        via_links_moved=_rowcount(vias),
        parts_moved=_rowcount(parts) + memberships,
        sanctions_moved=_rowcount(sanctions),
        aliases_moved=[old_name, *aliases],
        outlets_moved=_rowcount(outlets),
        ratings_moved=_rowcount(ratings),
        ids_moved=ids,
        authorities_moved=_rowcount(authorities),
        targets_kept_once=[str(n) for _, n in both],
    )


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# --- corrections (``factdb actor rename|edit|delete``) --------------------------------------


def _move_memberships(session: Session, old_id: int, new_id: int) -> int:
    """FROM's ended memberships and those of its former parts, now INTO's; one that would
    make INTO part of itself goes (the history keeps it). How many moved."""
    moved = 0
    for end in ("actor_id", "parent_id"):
        column = col(getattr(ActorMembership, end))
        for m in session.execute(select(ActorMembership).where(column == old_id)).scalars():
            setattr(m, end, new_id)
            if m.actor_id == m.parent_id:
                session.delete(m)
            else:
                session.add(m)
                moved += 1
    session.flush()
    return moved


def _count(session: Session, column: Any, actor_id: int) -> int:
    return int(session.execute(select(func.count()).where(column == actor_id)).scalar_one())


def delete_actor(session: Session, *, ref: str) -> Correction:
    """Delete an actor that nothing refers to, with its aliases; a ``Conflict`` naming what
    refers to it (its assertions, via links, parts and memberships, the sanctions it is the
    target or the authority of, the sources it is the outlet of, its ratings, its external
    ids) otherwise."""
    actor = get_actor(session, ref, "NAME")
    assert actor.id is not None
    uses = [
        (_count(session, col(Assertion.actor_id), actor.id), "assertion", "assertions"),
        (_count(session, col(AssertionVia.actor_id), actor.id), "via link", "via links"),
        (_count(session, col(Actor.part_of_id), actor.id), "part", "parts"),
        (
            _count(session, col(ActorMembership.actor_id), actor.id)
            + _count(session, col(ActorMembership.parent_id), actor.id),
            "ended membership",
            "ended memberships",
        ),
        (
            _count(session, col(SanctionTarget.actor_id), actor.id),
            "sanction as its target",
            "sanctions as their target",
        ),
        (
            _count(session, col(Sanction.authority_id), actor.id),
            "sanction as its authority",
            "sanctions as their authority",
        ),
        (
            _count(session, col(Source.outlet_id), actor.id),
            "source as its outlet",
            "sources as their outlet",
        ),
        (_count(session, col(Rating.actor_id), actor.id), "rating", "ratings"),
        (count_actor_ids(session, actor.id), "external id", "external ids"),
    ]
    used = [f"{n} {one if n == 1 else many}" for n, one, many in uses if n]
    if used:
        raise Conflict(
            f"actor '{actor.name}' is referred to by {', '.join(used)}; nothing was deleted "
            "(`factdb actor merge` moves what refers to it to another actor)"
        )
    result = Correction("actor", actor.id, actor.name, action="deleted")
    aliases = aliases_of(session, actor.id)
    result.changes = [FieldChange("name", actor.name, None), FieldChange("kind", actor.kind, None)]
    if aliases:
        result.changes.append(FieldChange("aliases", aliases, []))
    parent = session.get(Actor, actor.part_of_id) if actor.part_of_id is not None else None
    if parent is not None:
        result.changes.append(FieldChange("part_of", parent.name, None))
    session.execute(delete(ActorAlias).where(col(ActorAlias.actor_id) == actor.id))
    session.delete(actor)
    session.flush()
    return result
