"""Actors: names, aliases, kinds and the ``part_of`` hierarchy that rolls stances up to sides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from factdb.core.errors import Conflict
from factdb.core.hints import CloseNames, LookAlikes, describe_suggestions
from factdb.core.keys import check_name, confusable_skeleton, name_key
from factdb.queries import actor_by_name, actor_name_pairs, actor_ref, ancestor_ids, sides_of
from factdb.storage.models import Actor, ActorAlias, ActorKind, Assertion, AssertionVia, Sanction


def find_assertion(
    session: Session,
    *,
    claim_id: int,
    actor_id: int,
    stance: str,
    date: dt.date,
    precision: str,
    source_id: int,
) -> Assertion | None:
    """The assertion recorded with this identity (the unique key of ``assertion``), if any."""
    return (
        session.execute(
            select(Assertion).where(
                col(Assertion.claim_id) == claim_id,
                col(Assertion.actor_id) == actor_id,
                col(Assertion.stance) == stance,
                col(Assertion.date) == date,
                col(Assertion.date_precision) == precision,
                col(Assertion.source_id) == source_id,
            )
        )
        .scalars()
        .first()
    )


def _check_name(name: str, field: str) -> str:
    return check_name(name, field)


def look_alikes(session: Session) -> LookAlikes:
    """Every actor name and alias, by what it looks like (``LookAlikes``)."""
    return LookAlikes(actor_name_pairs(session))


def _check_look(guard: LookAlikes, name: str, *, allow: bool, owner: str | None = None) -> None:
    """Refuse a new name that looks like a known one (``LookAlikes.problem``): a ``Conflict``
    naming the known actor. Then remember it, for the next name of the same operation."""
    problem = guard.problem(name, allow=allow, owner=owner)
    if problem is not None:
        raise Conflict(problem)
    guard.remember(name, owner)


def find_actor(session: Session, name: str) -> Actor | None:
    """An actor by its name or one of its aliases, case-insensitively
    (``queries.actor_by_name``); None if unknown."""
    found = actor_by_name(session, name)
    return None if found is None else session.get(Actor, found[0])


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


def set_part_of(session: Session, *, actor: Actor, parent: Actor | None) -> None:
    if parent is not None:
        assert parent.id is not None
        if parent.id == actor.id or actor.id in ancestor_ids(session, parent.id):
            raise Conflict(
                f"'{actor.name}' cannot be part of '{parent.name}': '{parent.name}' is already "
                f"part of '{actor.name}'"
                if parent.id != actor.id
                else f"'{actor.name}' cannot be part of itself"
            )
    actor.part_of_id = None if parent is None else parent.id
    session.add(actor)
    session.flush()


def _check_alias_free(session: Session, alias: str, owner: Actor | None) -> bool:
    """``Conflict`` if ``alias`` already names an actor other than ``owner``; True if it
    names ``owner`` already (its name or one of its aliases)."""
    other = actor_by_name(session, alias)
    if other is not None and (owner is None or other[0] != owner.id):
        raise Conflict(f"'{alias}' already names actor '{other[1]}'")
    return other is not None


@dataclass
class ActorResult:
    actor: Actor
    created: bool
    aliases_added: list[str]


def add_actor(
    session: Session,
    *,
    name: str,
    kind: ActorKind = ActorKind.other,
    part_of: str | None = None,
    aliases: list[str] | None = None,
    allow_confusable: bool = False,
    guard: LookAlikes | None = None,
) -> Actor:
    """Create an actor; ``Conflict`` if the name is taken by an actor or an alias, or if it
    or an alias looks like a known name (``LookAlikes``) unless ``allow_confusable``.
    ``guard`` is the known names when a caller adds many actors."""
    text = _check_name(name, "NAME")
    existing = find_actor(session, text)
    if existing is not None:
        raise Conflict(f"actor '{text}' already exists (as '{existing.name}', id {existing.id})")
    parent = get_actor(session, part_of, "--part-of") if part_of else None
    checked_aliases = [_check_name(a, "--alias") for a in aliases or []]
    for alias in checked_aliases:
        if name_key(alias) != name_key(text):
            _check_alias_free(session, alias, None)
    guard = guard if guard is not None else look_alikes(session)
    _check_look(guard, text, allow=allow_confusable)
    for alias in checked_aliases:
        _check_look(guard, alias, allow=allow_confusable, owner=text)
    actor = Actor(
        name=text,
        name_key=name_key(text),
        kind=kind.value,
        part_of_id=None if parent is None else parent.id,
    )
    session.add(actor)
    session.flush()
    add_aliases(session, actor=actor, aliases=checked_aliases, guard=guard)
    return actor


def close_names(session: Session) -> CloseNames:
    """Every actor name and alias, to tell what an unknown name may have meant
    (``CloseNames``)."""
    return CloseNames(actor_name_pairs(session))


def meant_names(
    close: CloseNames, name: str, *, allow_confusable: bool = False
) -> list[tuple[str, str]]:
    """The known names (name or alias, actor) that ``name``, which no actor answers to, may
    have meant: a close typo or a part of one (``CloseNames``). With ``allow_confusable``,
    not those it only looks like: the user said it is another actor."""
    found = close.of(name)
    if allow_confusable:
        skeleton = confusable_skeleton(name)
        found = [pair for pair in found if confusable_skeleton(pair[0]) != skeleton]
    return found


def unknown_actor_message(name: str, field: str, meant: list[tuple[str, str]]) -> str:
    """The one line refusing to invent actor ``name`` while it may mean a known one."""
    return (
        f"{field} '{name}' is no known actor or alias; did you mean "
        f"{describe_suggestions(meant)}? Use the known name, or --new-actor to create "
        f"actor '{name}'"
    )


@dataclass
class ResolvedActor:
    actor: Actor
    created: bool
    meant: list[tuple[str, str]]
    """For an actor created with ``new_actor``: the known names it was close to."""


def resolve_actor(
    session: Session,
    name: str,
    field: str,
    *,
    kind: ActorKind = ActorKind.other,
    allow_confusable: bool = False,
    new_actor: bool = False,
    close: CloseNames | None = None,
) -> ResolvedActor:
    """The actor ``name`` names (name or alias), else a new one, unless the name looks like a
    known one (``LookAlikes``; ``Conflict`` unless ``allow_confusable``) or may mean one: a
    close typo or a part of a known name (``meant_names``; ``Conflict`` naming them unless
    ``new_actor``). A new name close to nothing is created. ``close`` is the known names
    to compare with (by default, those in the database now)."""
    text = _check_name(name, field)
    actor = find_actor(session, text)
    if actor is not None:
        return ResolvedActor(actor, False, [])
    _check_look(look_alikes(session), text, allow=allow_confusable)
    meant = meant_names(
        close if close is not None else close_names(session),
        text,
        allow_confusable=allow_confusable,
    )
    if meant and not new_actor:
        raise Conflict(unknown_actor_message(text, field, meant))
    actor = Actor(name=text, name_key=name_key(text), kind=kind.value)
    session.add(actor)
    session.flush()
    return ResolvedActor(actor, True, meant)


def add_aliases(
    session: Session,
    *,
    actor: Actor,
    aliases: list[str],
    allow_confusable: bool = False,
    guard: LookAlikes | None = None,
) -> list[str]:
    """Add aliases; those the actor already answers to are skipped. Returns those added.
    An alias that looks like another actor's name is refused as in ``add_actor``."""
    added: list[str] = []
    assert actor.id is not None
    for alias in aliases:
        text = _check_name(alias, "ALIAS")
        if _check_alias_free(session, text, actor):
            continue
        if guard is None:
            guard = look_alikes(session)
        _check_look(guard, text, allow=allow_confusable, owner=actor.name)
        session.add(ActorAlias(actor_id=actor.id, alias=text, alias_key=name_key(text)))
        session.flush()
        added.append(text)
    return added


def aliases_of(session: Session, actor_id: int) -> list[str]:
    return list(
        session.execute(
            select(col(ActorAlias.alias))
            .where(col(ActorAlias.actor_id) == actor_id)
            .order_by(col(ActorAlias.alias))
        ).scalars()
    )


@dataclass
class MergeResult:
    into: Actor
    assertions_moved: int
    aliases_moved: int


def merge(session: Session, *, source: str, into: str) -> MergeResult:
    """Fold actor ``source`` into ``into``: its assertions, via links, children, sanctions
    and aliases move over; its name stays as an alias of ``into``. Nothing is lost: an
    assertion that ``into`` already made identically (same natural key) is the same record."""
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
    moved = 0
    for assertion in (
        session.execute(select(Assertion).where(col(Assertion.actor_id) == old.id)).scalars().all()
    ):
        twin = find_assertion(
            session,
            claim_id=assertion.claim_id,
            actor_id=new.id,
            stance=assertion.stance,
            date=assertion.date,
            precision=assertion.date_precision,
            source_id=assertion.source_id,
        )
        if twin is not None:
            session.delete(assertion)
        else:
            assertion.actor_id = new.id
            session.add(assertion)
            moved += 1
    session.flush()
    session.execute(
        update(AssertionVia).where(col(AssertionVia.actor_id) == old.id).values(actor_id=new.id)
    )
    session.execute(update(Actor).where(col(Actor.part_of_id) == old.id).values(part_of_id=new.id))
    session.execute(
        update(Sanction)
        .where(col(Sanction.target_actor_id) == old.id)
        .values(target_actor_id=new.id)
    )
    aliases = aliases_of(session, old.id)
    session.execute(delete(ActorAlias).where(col(ActorAlias.actor_id) == old.id))
    old_name = old.name
    session.flush()
    session.delete(old)
    session.flush()
    session.expire_all()
    new_fresh = session.get(Actor, new.id)
    assert new_fresh is not None
    # FROM's names were known names already: they may look like anything they did before.
    added = add_aliases(
        session, actor=new_fresh, aliases=[old_name, *aliases], allow_confusable=True
    )
    return MergeResult(into=new_fresh, assertions_moved=moved, aliases_moved=len(added))
