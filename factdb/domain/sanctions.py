"""Sanctions (UNSC Resolution 1718, the EU's listings …): the authority that imposed one (an
actor), its programme, the actors it targets (each listed and delisted on partial dates), and
its links to claims both ways: claims alleging its violation (``claim link --violates``) and
claims it was imposed in response to (``sanction respond``) (docs/design.md, Sanctions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import delete, select
from sqlmodel import Session, col

from factdb.core.dates import PartialDate, Precision, stored_date
from factdb.core.errors import Conflict, InvalidInput
from factdb.core.hints import CloseNames, describe_suggestions
from factdb.core.keys import check_name, clean_text, name_key, normalize_url
from factdb.core.vocabulary import ActorKind
from factdb.domain.actors import get_actor
from factdb.domain.changes import KEEP, Correction, Keep, date_text, partial_text
from factdb.domain.records import Named, ResolvedActor, close_names, resolve_actor
from factdb.queries import sanction_ref, target_label
from factdb.queries import sanction_targets as read_targets
from factdb.storage.models import Actor, Claim, Sanction, SanctionResponse, SanctionTarget


def find_sanction(session: Session, name: str) -> Sanction | None:
    return (
        session.execute(select(Sanction).where(col(Sanction.name_key) == name_key(name)))
        .scalars()
        .first()
    )


def get_sanction(session: Session, ref: str, field: str = "sanction") -> Sanction:
    """A sanction by name or numeric id (``queries.sanction_ref``); ``NotFound`` if unknown."""
    sanction = session.get(Sanction, sanction_ref(session, ref)[0])
    assert sanction is not None
    return sanction


def new_actor_note(found: ResolvedActor, role: str) -> str:
    """What to say of an actor a sanction command created: ``new actor 'Council of the EU'
    (organization, the sanction's authority)``, with the known names it is close to when
    ``--new-actor`` insisted."""
    close = f"; --new-actor; close to {describe_suggestions(found.meant)}" if found.meant else ""
    return f"new actor '{found.actor.name}' ({found.actor.kind}, {role}{close})"


@dataclass
class Dates:
    """The ``--listed`` and ``--delisted`` of a command: ``KEEP`` leaves a target's date as
    it is, None clears it."""

    listed: PartialDate | None | Keep = KEEP
    delisted: PartialDate | None | Keep = KEEP

    def check(self) -> None:
        if isinstance(self.listed, PartialDate) and isinstance(self.delisted, PartialDate):
            _check_order(self.listed, self.delisted)


def _check_order(listed: PartialDate | None, delisted: PartialDate | None, who: str = "") -> None:
    if listed is not None and delisted is not None and delisted.start < listed.start:
        raise InvalidInput(
            "--delisted", f"{delisted} is before the listing{who} ({listed}); nothing was changed"
        )


@dataclass
class Resolver:
    """Actors a sanction command names, resolved as ``add --by`` resolves a speaker
    (``records.resolve_actor``), compared with the names known before the command; the notes
    say which were created."""

    session: Session
    new_actor: bool = False
    allow_confusable: bool = False
    notes: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    close: CloseNames | None = None

    def actor(self, name: str, option: str, kind: ActorKind, role: str) -> Named:
        """The actor ``name`` names; a name of digits only is an id (or a known name) and
        never becomes a new actor (``NotFound`` otherwise)."""
        if name.strip().isdigit():
            return get_actor(self.session, name, option)
        if self.close is None:
            self.close = close_names(self.session)
        found = resolve_actor(
            self.session,
            name,
            option,
            kind=kind,
            allow_confusable=self.allow_confusable,
            new_actor=self.new_actor,
            close=self.close,
        )
        if found.created:
            self.notes.append(new_actor_note(found, role))
            self.created.append(found.actor.name)
        return found.actor


@dataclass
class AddedSanction:
    sanction: Sanction
    notes: list[str] = field(default_factory=list)
    """The actors created (authority, targets), one line each."""
    new_actors: list[str] = field(default_factory=list)


def add_sanction(
    session: Session,
    *,
    name: str,
    authority: str | None = None,
    programme: str | None = None,
    adopted: PartialDate | None = None,
    targets: list[str] | None = None,
    listed: PartialDate | None = None,
    delisted: PartialDate | None = None,
    responds_to: list[int] | None = None,
    measures: str | None = None,
    url: str | None = None,
    new_actor: bool = False,
    allow_confusable: bool = False,
) -> AddedSanction:
    """Record a sanction. Its authority is an actor found by name or alias, else a new one of
    kind ``organization``; its targets likewise (new ones of kind ``other``), each listed
    and delisted on ``listed``/``delisted``; ``responds_to`` are the ids of the claims it
    was imposed in response to. A known name is a ``Conflict``."""
    text = check_name(name, "NAME", "sanctions")
    existing = find_sanction(session, text)
    if existing is not None:
        raise Conflict(f"sanction '{existing.name}' already exists (id {existing.id})")
    _check_order(listed, delisted)
    if (listed or delisted) and not targets:
        raise InvalidInput("--listed" if listed else "--delisted", "give the targets (--target)")
    resolver = Resolver(session, new_actor=new_actor, allow_confusable=allow_confusable)
    given = clean_text(authority, "--authority", required=False, single_line=True)
    authority_actor = (
        resolver.actor(given, "--authority", ActorKind.organization, "the sanction's authority")
        if given
        else None
    )
    sanction = Sanction(
        name=text,
        name_key=name_key(text),
        authority=given,
        authority_id=authority_actor.id if authority_actor else None,
        programme=clean_text(programme, "--programme", required=False, single_line=True),
        adopted=adopted.start if adopted else None,
        adopted_precision=adopted.precision if adopted else None,
        measures=clean_text(measures, "--measures", required=False),
        url=normalize_url(url, "--url")[0] if url else None,
    )
    session.add(sanction)
    session.flush()
    assert sanction.id is not None
    dates = Dates(listed, delisted)
    for actor in _target_actors(resolver, targets or []):
        _set_target(session, sanction.id, actor, dates)
    for claim_id in _claims(session, responds_to or []):
        session.add(SanctionResponse(sanction_id=sanction.id, claim_id=claim_id))
    session.flush()
    return AddedSanction(sanction, resolver.notes, resolver.created)


def _target_actors(resolver: Resolver, names: list[str]) -> list[Named]:
    """The actors named as targets, each once, in the order named."""
    found: dict[int | None, Named] = {}
    for name in names:
        actor = resolver.actor(name, "--target", ActorKind.other, "a sanction's target")
        found.setdefault(actor.id, actor)
    return list(found.values())


def _claims(session: Session, ids: list[int]) -> list[int]:
    """Known claim ids, each once, in the order given; ``NotFound`` for an unknown one."""
    from factdb.domain.claims import get_claim  # claims imports this module

    out: list[int] = []
    for claim_id in ids:
        claim: Claim = get_claim(session, claim_id)
        assert claim.id is not None
        if claim.id not in out:
            out.append(claim.id)
    return out


def _set_target(session: Session, sanction_id: int, actor: Named, dates: Dates) -> None:
    """Make ``actor`` a target of the sanction, or set the dates given of a target it is."""
    assert actor.id is not None
    row = (
        session.execute(
            select(SanctionTarget).where(
                col(SanctionTarget.sanction_id) == sanction_id,
                col(SanctionTarget.actor_id) == actor.id,
            )
        )
        .scalars()
        .first()
    )
    if row is None:
        row = SanctionTarget(sanction_id=sanction_id, actor_id=actor.id)
    listed = (
        _stored(row.listed, row.listed_precision)
        if isinstance(dates.listed, Keep)
        else dates.listed
    )
    delisted = (
        _stored(row.delisted, row.delisted_precision)
        if isinstance(dates.delisted, Keep)
        else dates.delisted
    )
    _check_order(listed, delisted, f" of '{actor.name}'")
    row.listed, row.listed_precision = (listed.start, listed.precision) if listed else (None, None)
    row.delisted, row.delisted_precision = (
        (delisted.start, delisted.precision) if delisted else (None, None)
    )
    session.add(row)
    session.flush()


def _stored(start: dt.date | str | None, precision: str | None) -> PartialDate | None:
    if start is None or precision is None:
        return None
    return PartialDate(stored_date(start), cast(Precision, precision))


def _targets_text(session: Session, sanction_id: int) -> list[str]:
    return [target_label(t) for t in read_targets(session, sanction_id).get(sanction_id, [])]


def target(
    session: Session,
    *,
    ref: str,
    actors: list[str],
    dates: Dates,
    new_actor: bool = False,
    allow_confusable: bool = False,
) -> Correction:
    """Add targets to a sanction (actors found or created as ``add_sanction``'s), or set the
    dates given of those it targets already (``--delisted`` delists one)."""
    if not actors:
        raise InvalidInput("ACTOR", "give at least one actor")
    dates.check()
    sanction = get_sanction(session, ref, "SANCTION")
    assert sanction.id is not None
    result = Correction("sanction", sanction.id, sanction.name)
    before = _targets_text(session, sanction.id)
    resolver = Resolver(session, new_actor=new_actor, allow_confusable=allow_confusable)
    for actor in _target_actors(resolver, actors):
        _set_target(session, sanction.id, actor, dates)
    result.change("targets", before, _targets_text(session, sanction.id))
    result.notes.extend(resolver.notes)
    return result


def untarget(session: Session, *, ref: str, actors: list[str]) -> Correction:
    """Remove targets from a sanction; an actor it does not target is a ``Conflict`` (and
    nothing is removed)."""
    if not actors:
        raise InvalidInput("ACTOR", "give at least one actor")
    sanction = get_sanction(session, ref, "SANCTION")
    assert sanction.id is not None
    named = {a.id: a for a in (get_actor(session, name, "ACTOR") for name in actors)}
    targeted = set(
        session.execute(
            select(col(SanctionTarget.actor_id)).where(
                col(SanctionTarget.sanction_id) == sanction.id
            )
        ).scalars()
    )
    missing = [a.name for i, a in named.items() if i not in targeted]
    if missing:
        raise Conflict(
            f"sanction '{sanction.name}' does not target {', '.join(repr(m) for m in missing)}; "
            "nothing was removed"
        )
    result = Correction("sanction", sanction.id, sanction.name)
    before = _targets_text(session, sanction.id)
    session.execute(
        delete(SanctionTarget).where(
            col(SanctionTarget.sanction_id) == sanction.id,
            col(SanctionTarget.actor_id).in_(list(named)),
        )
    )
    session.flush()
    result.change("targets", before, _targets_text(session, sanction.id))
    return result


def _responses(session: Session, sanction_id: int) -> list[str]:
    return [
        f"claim {i}"
        for i in session.execute(
            select(col(SanctionResponse.claim_id))
            .where(col(SanctionResponse.sanction_id) == sanction_id)
            .order_by(col(SanctionResponse.claim_id))
        ).scalars()
    ]


def respond(session: Session, *, ref: str, claims: list[int]) -> Correction:
    """Record that a sanction was imposed in response to these claims (known ones, by id)."""
    if not claims:
        raise InvalidInput("--to", "give at least one claim")
    sanction = get_sanction(session, ref, "SANCTION")
    assert sanction.id is not None
    ids = _claims(session, claims)
    result = Correction("sanction", sanction.id, sanction.name)
    before = _responses(session, sanction.id)
    for claim_id in ids:
        if f"claim {claim_id}" not in before:
            session.add(SanctionResponse(sanction_id=sanction.id, claim_id=claim_id))
    session.flush()
    result.change("responds_to", before, _responses(session, sanction.id))
    return result


def unrespond(session: Session, *, ref: str, claims: list[int]) -> Correction:
    """Withdraw that a sanction was imposed in response to these claims; a claim it is not
    linked to so is a ``Conflict`` (and nothing is removed)."""
    if not claims:
        raise InvalidInput("--to", "give at least one claim")
    sanction = get_sanction(session, ref, "SANCTION")
    assert sanction.id is not None
    ids = _claims(session, claims)
    before = _responses(session, sanction.id)
    missing = [i for i in ids if f"claim {i}" not in before]
    if missing:
        raise Conflict(
            f"sanction '{sanction.name}' was not recorded as imposed in response to claim "
            f"{', '.join(map(str, missing))}; nothing was removed"
        )
    result = Correction("sanction", sanction.id, sanction.name)
    session.execute(
        delete(SanctionResponse).where(
            col(SanctionResponse.sanction_id) == sanction.id,
            col(SanctionResponse.claim_id).in_(ids),
        )
    )
    session.flush()
    result.change("responds_to", before, _responses(session, sanction.id))
    return result


def _actor_name(session: Session, actor_id: int | None) -> str | None:
    actor = session.get(Actor, actor_id) if actor_id is not None else None
    return None if actor is None else actor.name


def edit_sanction(
    session: Session,
    *,
    ref: str,
    name: str | Keep = KEEP,
    authority: str | None | Keep = KEEP,
    programme: str | None | Keep = KEEP,
    adopted: PartialDate | None | Keep = KEEP,
    measures: str | None | Keep = KEEP,
    url: str | None | Keep = KEEP,
    new_actor: bool = False,
    allow_confusable: bool = False,
) -> Correction:
    """Correct a sanction's fields (``KEEP`` leaves one as it is, None or "" clears it). A
    new name brings its key (``name_key``) along; a name that is another sanction's is a
    ``Conflict``. A new authority is resolved to an actor as ``add_sanction`` resolves it;
    clearing it clears its actor. Targets and claim links have their own commands."""
    sanction = get_sanction(session, ref, "SANCTION")
    assert sanction.id is not None
    result = Correction("sanction", sanction.id, sanction.name)
    if not isinstance(name, Keep):
        text = check_name(name, "--name", "sanctions")
        other = find_sanction(session, text)
        if other is not None and other.id != sanction.id:
            raise Conflict(f"sanction '{other.name}' (id {other.id}) has that name already")
        result.change("name", sanction.name, text)
        sanction.name, sanction.name_key = text, name_key(text)
        result.label = text
    if not isinstance(authority, Keep):
        value = clean_text(authority, "--authority", required=False, single_line=True)
        actor_id = None
        if value:
            resolver = Resolver(session, new_actor=new_actor, allow_confusable=allow_confusable)
            actor_id = resolver.actor(
                value, "--authority", ActorKind.organization, "the sanction's authority"
            ).id
            result.notes.extend(resolver.notes)
        result.change("authority", sanction.authority, value)
        result.change(
            "authority_actor",
            _actor_name(session, sanction.authority_id),
            _actor_name(session, actor_id),
        )
        sanction.authority, sanction.authority_id = value, actor_id
    if not isinstance(programme, Keep):
        value = clean_text(programme, "--programme", required=False, single_line=True)
        result.change("programme", sanction.programme, value)
        sanction.programme = value
    if not isinstance(adopted, Keep):
        result.change(
            "adopted",
            date_text(sanction.adopted, sanction.adopted_precision),
            partial_text(adopted),
        )
        sanction.adopted = adopted.start if adopted else None
        sanction.adopted_precision = adopted.precision if adopted else None
    if not isinstance(measures, Keep):
        value = clean_text(measures, "--measures", required=False)
        result.change("measures", sanction.measures, value)
        sanction.measures = value
    if not isinstance(url, Keep):
        value = normalize_url(url, "--url")[0] if url else None
        result.change("url", sanction.url, value)
        sanction.url = value
    session.add(sanction)
    session.flush()
    return result
