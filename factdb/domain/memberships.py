"""Memberships over time: which body an actor belonged to, from when until when
(docs/design.md, Memberships over time).

``actor.part_of_id`` is the current parent, ``actor.part_of_since`` when that membership
began (if given); ``actor_membership`` holds the memberships that ended. An assertion counts
for the side its speaker belonged to on the assertion's date (``queries.assertions``, the
``assertion_side`` view). Every change here is recorded by the history triggers, and the
result says what it did."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session, col

from factdb.core.dates import PartialDate, stored_date
from factdb.core.errors import Conflict, InvalidInput
from factdb.domain.changes import date_text, period_text
from factdb.storage.models import Actor, ActorAlias, ActorMembership


@dataclass
class MembershipResult:
    """What ``set_membership`` or ``remove_membership`` did, in sentences (``notes``);
    ``changed`` is False when the database already held it."""

    actor: Actor
    changed: bool = False
    notes: list[str] = field(default_factory=list)


def _name(session: Session, actor_id: int) -> str:
    actor = session.get(Actor, actor_id)
    return actor.name if actor is not None else f"actor {actor_id}"


def _check_cycle(session: Session, actor: Actor, parent: Actor) -> None:
    """Refuse a membership that would make ``actor`` part of itself through memberships of
    any period, current or ended, naming the chain."""
    from factdb.queries.memberships import ancestors_any_period

    assert actor.id is not None and parent.id is not None
    if parent.id == actor.id:
        raise Conflict(f"'{actor.name}' cannot be part of itself")
    edges = ancestors_any_period(session, parent.id)
    above: dict[int, list[int]] = {}
    for child, up in edges:
        above.setdefault(child, []).append(up)
    # The shortest chain from the parent up to the actor, breadth first.
    came: dict[int, int] = {}
    frontier = [parent.id]
    while frontier and actor.id not in came:
        following = []
        for node in frontier:
            for up in above.get(node, []):
                if up not in came and up != parent.id:
                    came[up] = node
                    following.append(up)
        frontier = following
    if actor.id not in came:
        return
    chain = [actor.id]
    while chain[-1] != parent.id:
        chain.append(came[chain[-1]])
    chain.reverse()
    path = " → ".join(_name(session, i) for i in chain)
    raise Conflict(
        f"'{actor.name}' cannot be part of '{parent.name}': '{parent.name}' is or was part "
        f"of '{actor.name}' ({path}), in some period; a cycle through any period is refused"
    )


def _overlaps(
    since_a: dt.date | None,
    until_a: dt.date | None,
    since_b: dt.date | None,
    until_b: dt.date | None,
) -> bool:
    """Whether two periods [since, until) meet; a missing end is open."""
    return (since_a is None or until_b is None or since_a < until_b) and (
        since_b is None or until_a is None or since_b < until_a
    )


def _ended(session: Session, actor_id: int) -> list[ActorMembership]:
    return list(
        session.execute(
            select(ActorMembership)
            .where(col(ActorMembership.actor_id) == actor_id)
            .order_by(col(ActorMembership.until), col(ActorMembership.id))
        ).scalars()
    )


def _check_free(
    session: Session,
    actor: Actor,
    since: dt.date | None,
    until: dt.date | None,
) -> None:
    """Refuse a period of ``actor`` that meets one of its ended memberships: an actor
    belongs to one body at a time, so that its side on a date is one."""
    assert actor.id is not None
    for other in _ended(session, actor.id):
        if _overlaps(since, until, _opt_day(other.since), stored_date(other.until)):
            what = period_text(
                date_text(other.since, other.since_precision),
                date_text(other.until, other.until_precision),
            )
            raise Conflict(
                f"'{actor.name}' was part of '{_name(session, other.parent_id)}' {what}, which "
                "meets the period given; an actor is part of one body at a time "
                "(`factdb actor unpart` removes a membership recorded wrongly)"
            )


def _opt_day(value: dt.date | str | None) -> dt.date | None:
    return None if value is None else stored_date(value)


def set_membership(
    session: Session,
    *,
    actor: Actor,
    parent: Actor | None,
    since: PartialDate | None = None,
    until: PartialDate | None = None,
) -> MembershipResult:
    """Record that ``actor`` is (no ``until``) or was (``until``) part of ``parent``.

    * No dates: ``parent`` becomes the current parent (None: top-level), as without time.
    * ``since`` only: the current parent is ``parent`` since that date; a different current
      parent's membership ends on that date (kept as ended).
    * ``until`` (with ``since`` or not): a membership that ended. If ``parent`` is the
      current parent, the current membership ends on ``until``; otherwise the ended
      membership is added.

    Refused: a cycle through any period, a period that meets another of the actor's, an end
    not after the start, dates without a parent."""
    assert actor.id is not None
    result = MembershipResult(actor)
    if parent is None:
        if since is not None or until is not None:
            raise InvalidInput("--from/--until", "need the parent the actor belonged to")
        if actor.part_of_id is not None:
            result.notes.append(f"no longer part of '{_name(session, actor.part_of_id)}'")
            actor.part_of_id, actor.part_of_since, actor.part_of_since_precision = None, None, None
            result.changed = True
        return _done(session, result)
    assert parent.id is not None
    _check_cycle(session, actor, parent)
    current_since = _opt_day(actor.part_of_since)
    if until is None:
        return _set_current(session, result, parent, since, current_since)
    start = since.start if since is not None else None
    if actor.part_of_id == parent.id and (
        since is None or current_since is None or current_since == since.start
    ):
        # The current membership ends.
        start_text = str(since) if since is not None else _since(actor)
        start = since.start if since is not None else current_since
        precision = since.precision if since is not None else actor.part_of_since_precision
        if start is not None and start >= until.start:
            raise InvalidInput("--until", f"must be after the membership began ({start_text})")
        _check_free(session, actor, start, until.start)
        session.add(
            ActorMembership(
                actor_id=actor.id,
                parent_id=parent.id,
                since=start,
                since_precision=precision if start is not None else None,
                until=until.start,
                until_precision=until.precision,
            )
        )
        actor.part_of_id, actor.part_of_since, actor.part_of_since_precision = None, None, None
        result.changed = True
        result.notes.append(
            f"ended: part of '{parent.name}' {period_text(start_text, str(until))}".rstrip()
        )
        return _done(session, result)
    return add_ended_membership(session, result, parent, since, until)


def add_ended_membership(
    session: Session,
    result: MembershipResult,
    parent: Actor,
    since: PartialDate | None,
    until: PartialDate,
) -> MembershipResult:
    """Add a membership of ``result.actor`` in ``parent`` that ended, leaving the current
    one as it is (an import writes the memberships it reads this way); the same membership
    again changes nothing."""
    actor = result.actor
    assert actor.id is not None and parent.id is not None
    _check_cycle(session, actor, parent)
    start = since.start if since is not None else None
    current_since = _opt_day(actor.part_of_since)
    if start is not None and start >= until.start:
        raise InvalidInput("--until", f"must be after --from ({since})")
    for other in _ended(session, actor.id):
        if (
            other.parent_id == parent.id
            and stored_date(other.until) == until.start
            and _opt_day(other.since) == start
        ):
            result.notes.append(
                f"already recorded: part of '{parent.name}' "
                f"{period_text(str(since) if since else None, str(until))}; nothing changed"
            )
            return result
    _check_free(session, actor, start, until.start)
    if actor.part_of_id is not None and current_since is not None and until.start > current_since:
        raise Conflict(
            f"'{actor.name}' is part of '{_name(session, actor.part_of_id)}' since "
            f"{_since(actor)}, which the period "
            "given meets; an actor is part of one body at a time"
        )
    session.add(
        ActorMembership(
            actor_id=actor.id,
            parent_id=parent.id,
            since=start,
            since_precision=since.precision if since is not None else None,
            until=until.start,
            until_precision=until.precision,
        )
    )
    result.changed = True
    result.notes.append(
        f"was part of '{parent.name}' {period_text(str(since) if since else None, str(until))}"
    )
    return _done(session, result)


def _set_current(
    session: Session,
    result: MembershipResult,
    parent: Actor,
    since: PartialDate | None,
    current_since: dt.date | None,
) -> MembershipResult:
    actor = result.actor
    assert actor.id is not None and parent.id is not None
    if actor.part_of_id == parent.id:
        if since is None or current_since == since.start:
            result.notes.append(
                f"already part of '{parent.name}'"
                + (f" since {since}" if since is not None else "")
                + "; nothing changed"
            )
            return result
        _check_free(session, actor, since.start, None)
        old = _since(actor)
        actor.part_of_since, actor.part_of_since_precision = since.start, since.precision
        result.changed = True
        result.notes.append(
            f"part of '{parent.name}' since {since}" + (f" (was: since {old})" if old else "")
        )
        return _done(session, result)
    if since is not None:
        if actor.part_of_id is not None:
            # The membership it leaves ends when the new one begins.
            if current_since is not None and current_since >= since.start:
                raise InvalidInput(
                    "--from",
                    f"'{actor.name}' became part of '{_name(session, actor.part_of_id)}' on "
                    f"{_since(actor)}, not before "
                    f"{since}; end or remove that membership first",
                )
            _check_free(session, actor, current_since, since.start)
            session.add(
                ActorMembership(
                    actor_id=actor.id,
                    parent_id=actor.part_of_id,
                    since=current_since,
                    since_precision=actor.part_of_since_precision if current_since else None,
                    until=since.start,
                    until_precision=since.precision,
                )
            )
            result.notes.append(
                f"ended: part of '{_name(session, actor.part_of_id)}' "
                + period_text(_since(actor), str(since))
            )
        _check_free(session, actor, since.start, None)
    elif actor.part_of_id is not None:
        result.notes.append(f"no longer part of '{_name(session, actor.part_of_id)}'")
    actor.part_of_id = parent.id
    actor.part_of_since = since.start if since is not None else None
    actor.part_of_since_precision = since.precision if since is not None else None
    result.changed = True
    result.notes.append(
        f"part of '{parent.name}'" + (f" since {since}" if since is not None else "")
    )
    return _done(session, result)


def _done(session: Session, result: MembershipResult) -> MembershipResult:
    session.add(result.actor)
    session.flush()
    return result


def remove_membership(
    session: Session, *, actor: Actor, parent: Actor, until: PartialDate | None = None
) -> MembershipResult:
    """Remove a membership recorded wrongly: the ended membership(s) of ``actor`` in
    ``parent`` (the one ending on ``until`` when given), or the current one. The change
    history keeps what was removed."""
    assert actor.id is not None and parent.id is not None
    result = MembershipResult(actor)
    gone = [
        m
        for m in _ended(session, actor.id)
        if m.parent_id == parent.id and (until is None or stored_date(m.until) == until.start)
    ]
    if actor.part_of_id == parent.id and until is None and not gone:
        actor.part_of_id, actor.part_of_since, actor.part_of_since_precision = None, None, None
        result.changed = True
        result.notes.append(f"removed: part of '{parent.name}' (current)")
        return _done(session, result)
    if not gone:
        raise Conflict(
            f"'{actor.name}' has no recorded membership in '{parent.name}'"
            + (f" ending on {until}" if until is not None else "")
            + "; nothing changed"
        )
    for m in gone:
        result.notes.append(f"removed: part of '{parent.name}' " + _period(m))
        session.delete(m)
    result.changed = True
    session.flush()
    return result


def _period(row: ActorAlias | ActorMembership) -> str:
    """``from 2012-11 until 2024-05`` of a membership that ended or of an alias's use."""
    return period_text(
        date_text(row.since, row.since_precision), date_text(row.until, row.until_precision)
    )


def _since(actor: Actor) -> str | None:
    """When the actor's current membership began, as given."""
    return date_text(actor.part_of_since, actor.part_of_since_precision)
