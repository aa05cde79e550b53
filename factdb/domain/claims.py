"""Claims and assertions: the main job's writes (``factdb add``, ``factdb retract``), and the
corrections of a claim (``factdb claim …``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from sqlalchemy import delete, select
from sqlmodel import Session, col

from factdb.core.dates import PartialDate, Precision, format_given
from factdb.core.errors import Conflict, InvalidInput, NotFound
from factdb.core.hints import describe_suggestions
from factdb.core.keys import clean_text, require_text, tag_key, text_key
from factdb.domain.actors import close_names, resolve_actor
from factdb.domain.assertions import find_assertion, move_assertions
from factdb.domain.changes import Correction
from factdb.domain.sanctions import get_sanction
from factdb.domain.sources import get_or_create_source, link_outlet, new_outlet_note
from factdb.queries import deleted_note
from factdb.storage.models import (
    Actor,
    Assertion,
    AssertionVia,
    Claim,
    ClaimSanction,
    ClaimTag,
    Sanction,
    SanctionResponse,
    Stance,
    utcnow,
)
from factdb.storage.reader import Reader

if TYPE_CHECKING:
    from factdb.domain.relations import RemovedRelation


def find_claim(session: Session, text: str) -> Claim | None:
    return (
        session.execute(select(Claim).where(col(Claim.text_key) == text_key(text)))
        .scalars()
        .first()
    )


def get_claim(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id) if Reader.of(session).holds_id(claim_id) else None
    if claim is None:
        gone = deleted_note(session, "claim", claim_id)
        raise NotFound("claim", claim_id, gone or "see `factdb list`")
    return claim


def get_or_create_claim(session: Session, text: str, field: str = "TEXT") -> tuple[Claim, bool]:
    clean = require_text(text, field)
    claim = find_claim(session, clean)
    if claim is not None:
        return claim, False
    claim = Claim(text=clean, text_key=text_key(clean))
    session.add(claim)
    session.flush()
    return claim, True


def tag_claim(session: Session, claim: Claim, tags: list[str]) -> list[str]:
    assert claim.id is not None
    added = []
    for tag in tags:
        key = tag_key(tag)
        if session.get(ClaimTag, (claim.id, key)) is None:
            session.add(ClaimTag(claim_id=claim.id, tag=key))
            added.append(key)
    session.flush()
    return added


def link_sanctions(
    session: Session, claim: Claim, names: list[str], field: str = "--violates"
) -> list[str]:
    """Link the claim to these sanctions (by name or alias); returns the names of those
    newly linked, as recorded, in the order given."""
    assert claim.id is not None
    linked = []
    for name in names:
        sanction = get_sanction(session, name, field)
        assert sanction.id is not None
        if session.get(ClaimSanction, (claim.id, sanction.id)) is None:
            session.add(ClaimSanction(claim_id=claim.id, sanction_id=sanction.id))
            session.flush()
            linked.append(sanction.name)
    return linked


@dataclass
class AddResult:
    claim_id: int
    claim_created: bool
    actor_id: int
    actor: str
    actor_created: bool
    source_id: int
    source_created: bool
    assertion_id: int
    assertion_created: bool
    date: str
    new_actors: list[str] = field(default_factory=list)
    """The actors this add created (--by, then --via in order, then the --outlet)."""
    tags_added: list[str] = field(default_factory=list)
    sanctions_linked: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    outlet_id: int | None = None
    """The source's outlet as an actor (None without an outlet)."""
    outlet_actor: str | None = None
    """That actor's name."""


def add_assertion(
    session: Session,
    *,
    by: str,
    stance: Stance,
    source_url: str,
    text: str | None = None,
    claim_id: int | None = None,
    date: PartialDate | None = None,
    date_approximate: bool = False,
    qualifier: str | None = None,
    qualifier_note: str | None = None,
    quote: str | None = None,
    via: list[str] | None = None,
    tags: list[str] | None = None,
    violates: list[str] | None = None,
    outlet: str | None = None,
    title: str | None = None,
    published: PartialDate | None = None,
    allow_confusable: bool = False,
    new_actor: bool = False,
) -> AddResult:
    """Record one actor's stance on a claim, creating claim, actors and source when new.

    The date defaults to the source's publication date; without either, it is an error,
    since an undated assertion cannot take part in as-of views. Recording the same
    assertion twice (same natural key) changes no assertion; the result says what else it
    added (tags, sanction links, actors).

    An actor name no actor answers to is created when it is close to no known name; one
    that may mean a known actor (a close typo, a part of a known name: ``resolve_actor``)
    is refused unless ``new_actor``. The ``outlet`` a new source takes is an actor found the
    same way, created with kind ``media`` (``sources.link_outlet``).
    """
    if (text is None) == (claim_id is None):
        raise InvalidInput("TEXT", "give the claim's text or --claim ID, not both")
    quote = clean_text(quote, "--quote", required=False)
    qualifier_note = clean_text(qualifier_note, "--qualifier-note", required=False)
    hints: list[str] = []
    if claim_id is not None:
        claim, claim_created = get_claim(session, claim_id), False
    else:
        assert text is not None
        claim, claim_created = get_or_create_claim(session, text)
    source, source_created = get_or_create_source(
        session, url=source_url, outlet=outlet, title=title, published=published
    )
    if date is None:
        if source.published is None or source.published_precision is None:
            raise InvalidInput(
                "--date",
                "is required: the source has no publication date (give --date or --published)",
            )
        date = PartialDate(source.published, cast(Precision, source.published_precision))
    # New names are compared with the names known before this command, not with each other.
    known = close_names(session)
    resolved = [
        resolve_actor(
            session,
            name,
            field_name,
            allow_confusable=allow_confusable,
            new_actor=new_actor,
            close=known,
        )
        for field_name, name in [("--by", by), *(("--via", v) for v in via or [])]
    ]
    actor, actor_created = resolved[0].actor, resolved[0].created
    chain = resolved[1:]
    new_actors = []
    for found in resolved:
        if found.created:
            new_actors.append(found.actor.name)
            hints.append(
                f"new actor '{found.actor.name}'"
                + (
                    f" (--new-actor; close to {describe_suggestions(found.meant)})"
                    if found.meant
                    else ""
                )
            )
    outlet_found = link_outlet(
        session,
        source,
        outlet,
        new_actor=new_actor,
        allow_confusable=allow_confusable,
        close=known,
    )
    if outlet_found is not None and outlet_found.created:
        new_actors.append(outlet_found.actor.name)
        hints.append(new_outlet_note(outlet_found))
    tags_added = tag_claim(session, claim, tags or [])
    sanctions_linked = link_sanctions(session, claim, violates or [])
    assert claim.id is not None and actor.id is not None and source.id is not None
    existing = find_assertion(
        session,
        claim_id=claim.id,
        actor_id=actor.id,
        stance=stance.value,
        date=date.start,
        precision=date.precision,
        source_id=source.id,
    )
    created = existing is None
    if existing is not None and existing.retracted_at is None:
        kept = (existing.qualifier, existing.qualifier_note, bool(existing.date_approximate))
        if (
            (qualifier is not None and qualifier != kept[0])
            or (qualifier_note is not None and qualifier_note != kept[1])
            or (date_approximate and not kept[2])
        ):
            hints.append(
                f"assertion {existing.id} records this already, qualified otherwise "
                f"({_qualification(*kept)}); change it with `factdb assertion correct "
                f"{existing.id} …`"
            )
    if existing is not None and existing.retracted_at is not None:
        hints.append(
            f"assertion {existing.id} records this already and was retracted on "
            f"{existing.retracted_at:%Y-%m-%d} ({existing.retraction_reason}); it stays "
            "retracted: add it with another date or source if it was said again"
        )
    if existing is None:
        existing = Assertion(
            claim_id=claim.id,
            actor_id=actor.id,
            stance=stance.value,
            date=date.start,
            date_precision=date.precision,
            date_approximate=date_approximate,
            qualifier=qualifier,
            qualifier_note=qualifier_note,
            source_id=source.id,
            quote=quote,
        )
        session.add(existing)
        session.flush()
        assert existing.id is not None
        for position, link in enumerate(chain, start=1):
            assert link.actor.id is not None
            session.add(
                AssertionVia(assertion_id=existing.id, position=position, actor_id=link.actor.id)
            )
        session.flush()
    assert existing.id is not None
    return AddResult(
        claim_id=claim.id,
        claim_created=claim_created,
        actor_id=actor.id,
        actor=actor.name,
        actor_created=actor_created,
        source_id=source.id,
        source_created=source_created,
        assertion_id=existing.id,
        assertion_created=created,
        date=format_given(date.start, date.precision, existing.date_approximate),
        new_actors=new_actors,
        tags_added=tags_added,
        sanctions_linked=sanctions_linked,
        hints=hints,
        outlet_id=source.outlet_id,
        outlet_actor=_actor_name(session, source.outlet_id) if source.outlet_id else None,
    )


@dataclass
class RetractResult:
    assertion_id: int
    claim_id: int
    retracted_at: str
    reason: str


def retract(session: Session, *, assertion_id: int, reason: str) -> RetractResult:
    """Flag an assertion as withdrawn or mistaken. It is kept, and excluded from sides."""
    why = require_text(reason, "--reason")
    assertion = (
        session.get(Assertion, assertion_id) if Reader.of(session).holds_id(assertion_id) else None
    )
    if assertion is None:
        raise NotFound("assertion", assertion_id, "assertion ids are shown by `factdb show`")
    if assertion.retracted_at is not None:
        raise Conflict(
            f"assertion {assertion_id} was already retracted on "
            f"{assertion.retracted_at:%Y-%m-%d}: {assertion.retraction_reason}"
        )
    assertion.retracted_at = utcnow()
    assertion.retraction_reason = why
    session.add(assertion)
    session.flush()
    return RetractResult(assertion_id, assertion.claim_id, assertion.retracted_at.isoformat(), why)


@dataclass
class CorrectResult:
    old_id: int
    new_id: int
    claim_id: int
    changed: dict[str, tuple[object, object]]
    """field: (old value, new value), as the user sees them."""


def correct_assertion(
    session: Session,
    *,
    assertion_id: int,
    reason: str,
    by: str | None = None,
    stance: Stance | None = None,
    date: PartialDate | None = None,
    date_approximate: bool | None = None,
    qualifier: str | None = None,
    qualifier_note: str | None = None,
    source_url: str | None = None,
    quote: str | None = None,
    via: list[str] | None = None,
    allow_confusable: bool = False,
    new_actor: bool = False,
) -> CorrectResult:
    """Retract an assertion and record its corrected form in one step: the new assertion
    ``supersedes`` the old one, which is kept, retracted with ``reason``. What is not given is
    copied (the via chain too, unless ``via`` is given; ``[]`` clears it; ``""`` clears the
    qualifier and its note). ``date_approximate`` None keeps the mark."""
    why = require_text(reason, "--reason")
    old = (
        session.get(Assertion, assertion_id) if Reader.of(session).holds_id(assertion_id) else None
    )
    if old is None:
        raise NotFound("assertion", assertion_id, "assertion ids are shown by `factdb show`")
    assert old.id is not None
    if old.retracted_at is not None:
        later = (
            f"; it was folded into assertion {old.folded_into_id}"
            if old.folded_into_id is not None
            else ""
        )
        raise Conflict(
            f"assertion {assertion_id} is retracted ({old.retraction_reason}){later}: correct "
            "the live one"
        )
    quote = clean_text(quote, "--quote", required=False) if quote is not None else old.quote
    actor_id = old.actor_id
    changed: dict[str, tuple[object, object]] = {}
    old_actor = session.get(Actor, old.actor_id)
    assert old_actor is not None
    if by is not None:
        actor = resolve_actor(
            session, by, "--by", allow_confusable=allow_confusable, new_actor=new_actor
        ).actor
        assert actor.id is not None
        if actor.id != old.actor_id:
            changed["actor"] = (old_actor.name, actor.name)
            actor_id = actor.id
    source_id = old.source_id
    if source_url is not None:
        source, _ = get_or_create_source(session, url=source_url)
        assert source.id is not None
        if source.id != old.source_id:
            changed["source"] = (old.source_id, source.id)
            source_id = source.id
    new_stance = stance.value if stance is not None else old.stance
    if new_stance != old.stance:
        changed["stance"] = (old.stance, new_stance)
    start, precision = (date.start, date.precision) if date else (old.date, old.date_precision)
    approximate = bool(old.date_approximate) if date_approximate is None else date_approximate
    if (start, precision, approximate) != (old.date, old.date_precision, old.date_approximate):
        changed["date"] = (
            format_given(old.date, old.date_precision, old.date_approximate),
            format_given(start, precision, approximate),
        )
    new_qualifier = old.qualifier if qualifier is None else (qualifier or None)
    if new_qualifier != old.qualifier:
        changed["qualifier"] = (old.qualifier, new_qualifier)
    new_note = (
        old.qualifier_note
        if qualifier_note is None
        else clean_text(qualifier_note, "--qualifier-note", required=False) or None
    )
    if new_note != old.qualifier_note:
        changed["qualifier_note"] = (old.qualifier_note, new_note)
    if quote != old.quote:
        changed["quote"] = (old.quote, quote)
    old_chain = list(
        session.execute(
            select(col(AssertionVia.actor_id))
            .where(col(AssertionVia.assertion_id) == old.id)
            .order_by(col(AssertionVia.position))
        ).scalars()
    )
    chain = old_chain
    if via is not None:
        chain = []
        for name in via:
            via_actor = resolve_actor(
                session, name, "--via", allow_confusable=allow_confusable, new_actor=new_actor
            ).actor
            assert via_actor.id is not None
            chain.append(via_actor.id)
        if chain != old_chain:
            changed["via"] = (
                [_actor_name(session, i) for i in old_chain],
                [_actor_name(session, i) for i in chain],
            )
    if not changed:
        raise InvalidInput(
            "ASSERTION",
            "nothing to correct: give what changes (--by, --stance, --date, --approximate, "
            "--qualifier, --qualifier-note, --source, --quote or --via)",
        )
    twin = find_assertion(
        session,
        claim_id=old.claim_id,
        actor_id=actor_id,
        stance=new_stance,
        date=start,
        precision=precision,
        source_id=source_id,
    )
    if twin is not None and twin.id != old.id and twin.retracted_at is None:
        raise Conflict(
            f"assertion {twin.id} records that already: retract assertion {old.id} instead "
            f"(`factdb retract {old.id} --reason …`)"
        )
    old.retracted_at = utcnow()
    old.retraction_reason = f"corrected: {why}"
    session.add(old)
    session.flush()
    new = Assertion(
        claim_id=old.claim_id,
        actor_id=actor_id,
        stance=new_stance,
        date=start,
        date_precision=precision,
        date_approximate=approximate,
        qualifier=new_qualifier,
        qualifier_note=new_note,
        source_id=source_id,
        quote=quote,
        supersedes_id=old.id,
    )
    session.add(new)
    session.flush()
    assert new.id is not None
    for position, via_id in enumerate(chain, start=1):
        session.add(AssertionVia(assertion_id=new.id, position=position, actor_id=via_id))
    session.flush()
    return CorrectResult(old.id, new.id, old.claim_id, changed)


def _qualification(qualifier: str | None, note: str | None, approximate: bool) -> str:
    parts = [part for part in (qualifier, note) if part]
    if approximate:
        parts.append("approximate date")
    return "; ".join(parts) or "unqualified, exact date"


def _actor_name(session: Session, actor_id: int) -> str:
    actor = session.get(Actor, actor_id)
    return "?" if actor is None else actor.name


@dataclass
class ClaimMergeResult:
    from_id: int
    from_text: str
    into_id: int
    into_text: str
    assertions_moved: list[int]
    assertions_folded: list[tuple[int, int]]
    tags_added: list[str]
    sanctions_linked: list[int]
    relations_moved: list[int] = field(default_factory=list)
    relations_removed: list[RemovedRelation] = field(default_factory=list)
    """FROM's relations that would have related INTO to itself or repeated one of INTO's."""


def merge_claims(session: Session, *, source_id: int, into_id: int) -> ClaimMergeResult:
    """Fold claim ``source_id`` into ``into_id`` (the same proposition, worded twice): its
    assertions, tags and sanction links (both ways: the sanctions it alleges violated, those
    imposed in response to it) move over; an assertion that becomes the same as one
    of INTO's is kept, retracted as folded into it (``assertions.move_assertions``). Its
    relations to other claims become INTO's (``relations.move_relations``: one that would
    relate INTO to itself or repeat one of INTO's is removed, and reported). FROM's record is
    deleted; the change history keeps it (``factdb history claim ID``)."""
    from factdb.domain.relations import move_relations  # relations imports this module

    old, new = get_claim(session, source_id), get_claim(session, into_id)
    if old.id == new.id:
        raise Conflict(f"claim {source_id} cannot be merged into itself")
    assert old.id is not None and new.id is not None
    why = f"claim {old.id} was merged into claim {new.id}"
    moved = move_assertions(
        session,
        col(Assertion.claim_id) == old.id,
        claim_id=new.id,
        why=why,
    )
    tags = list(
        session.execute(select(col(ClaimTag.tag)).where(col(ClaimTag.claim_id) == old.id)).scalars()
    )
    added = tag_claim(session, new, tags)
    sanctions = list(
        session.execute(
            select(col(ClaimSanction.sanction_id)).where(col(ClaimSanction.claim_id) == old.id)
        ).scalars()
    )
    linked = []
    for sanction_id in sanctions:
        if session.get(ClaimSanction, (new.id, sanction_id)) is None:
            session.add(ClaimSanction(claim_id=new.id, sanction_id=sanction_id))
            linked.append(sanction_id)
    responses = list(
        session.execute(
            select(col(SanctionResponse.sanction_id)).where(
                col(SanctionResponse.claim_id) == old.id
            )
        ).scalars()
    )
    answered = set(
        session.execute(
            select(col(SanctionResponse.sanction_id)).where(
                col(SanctionResponse.claim_id) == new.id
            )
        ).scalars()
    )
    for sanction_id in responses:
        if sanction_id not in answered:
            session.add(SanctionResponse(sanction_id=sanction_id, claim_id=new.id))
            linked.append(sanction_id)
    session.flush()
    relations = move_relations(session, old.id, new.id)
    from_text = old.text
    session.delete(old)  # its tags and links go with it (ON DELETE CASCADE), recorded
    session.flush()
    return ClaimMergeResult(
        old.id,
        from_text,
        new.id,
        new.text,
        moved.moved,
        moved.folded,
        added,
        linked,
        relations.moved,
        relations.removed,
    )


# --- corrections (``factdb claim edit|tag|untag|link|unlink``) ------------------------------


def _claim_correction(claim: Claim) -> Correction:
    assert claim.id is not None
    return Correction("claim", claim.id, claim.text)


def edit_claim(session: Session, *, claim_id: int, text: str) -> Correction:
    """Reword a claim; its natural key (``text_key``) follows. A wording that is another
    claim's (same key) is a ``Conflict`` pointing at ``claim merge``: two claims never share a
    key. The full-text index follows by the schema's triggers (SQLite) or expression index
    (PostgreSQL)."""
    claim = get_claim(session, claim_id)
    new = require_text(text, "--text")
    result = _claim_correction(claim)
    if new == claim.text:
        return result
    key = text_key(new)
    if key != claim.text_key:
        other = find_claim(session, new)
        if other is not None:
            raise Conflict(
                f"claim {other.id} has that wording already; to make them one claim, use "
                f"`factdb claim merge {claim.id} {other.id}`"
            )
    result.change("text", claim.text, new)
    claim.text = new
    claim.text_key = key
    session.add(claim)
    session.flush()
    result.label = new
    return result


def claim_tags(session: Session, claim_id: int) -> list[str]:
    return list(
        session.execute(
            select(col(ClaimTag.tag))
            .where(col(ClaimTag.claim_id) == claim_id)
            .order_by(col(ClaimTag.tag))
        ).scalars()
    )


def claim_sanctions(session: Session, claim_id: int) -> list[str]:
    return list(
        session.execute(
            select(col(Sanction.name))
            .join(ClaimSanction, col(ClaimSanction.sanction_id) == col(Sanction.id))
            .where(col(ClaimSanction.claim_id) == claim_id)
            .order_by(col(Sanction.name))
        ).scalars()
    )


def _unique_tags(tags: list[str], field: str) -> list[str]:
    if not tags:
        raise InvalidInput(field, "give at least one tag")
    return list(dict.fromkeys(tag_key(text, field) for text in tags))


def add_tags(session: Session, *, claim_id: int, tags: list[str]) -> Correction:
    """Add tags to a claim; those it has already are left as they are."""
    keys = _unique_tags(tags, "TAG")
    claim = get_claim(session, claim_id)
    before = claim_tags(session, claim_id)
    tag_claim(session, claim, keys)
    result = _claim_correction(claim)
    result.change("tags", before, claim_tags(session, claim_id))
    return result


def remove_tags(session: Session, *, claim_id: int, tags: list[str]) -> Correction:
    """Remove tags from a claim; a ``Conflict`` (and nothing removed) if it lacks one."""
    keys = _unique_tags(tags, "TAG")
    claim = get_claim(session, claim_id)
    before = claim_tags(session, claim_id)
    missing = [key for key in keys if key not in before]
    if missing:
        has = f"its tags: {', '.join(before)}" if before else "it has none"
        raise Conflict(f"claim {claim_id} has no tag {', '.join(repr(m) for m in missing)} ({has})")
    session.execute(
        delete(ClaimTag).where(col(ClaimTag.claim_id) == claim_id, col(ClaimTag.tag).in_(keys))
    )
    session.flush()
    result = _claim_correction(claim)
    result.change("tags", before, claim_tags(session, claim_id))
    return result


def _sanctions_named(session: Session, names: list[str]) -> list[Sanction]:
    if not names:
        raise InvalidInput("--violates", "give at least one sanction")
    found: dict[int | None, Sanction] = {}
    for name in names:
        sanction = get_sanction(session, name, "--violates")
        found[sanction.id] = sanction
    return list(found.values())


def add_violations(session: Session, *, claim_id: int, sanctions: list[str]) -> Correction:
    """Record that a claim alleges the violation of sanctions (known ones, by name or id)."""
    claim = get_claim(session, claim_id)
    named = _sanctions_named(session, sanctions)
    before = claim_sanctions(session, claim_id)
    for sanction in named:
        assert sanction.id is not None
        if session.get(ClaimSanction, (claim_id, sanction.id)) is None:
            session.add(ClaimSanction(claim_id=claim_id, sanction_id=sanction.id))
    session.flush()
    result = _claim_correction(claim)
    result.change("violates", before, claim_sanctions(session, claim_id))
    return result


def remove_violations(session: Session, *, claim_id: int, sanctions: list[str]) -> Correction:
    """Remove a claim's allegation of violating sanctions; a ``Conflict`` (and nothing
    removed) if it does not allege one of them."""
    claim = get_claim(session, claim_id)
    named = _sanctions_named(session, sanctions)
    before = claim_sanctions(session, claim_id)
    missing = [s.name for s in named if session.get(ClaimSanction, (claim_id, s.id)) is None]
    if missing:
        has = f"it alleges: {', '.join(before)}" if before else "it alleges none"
        raise Conflict(
            f"claim {claim_id} does not allege a violation of "
            f"{', '.join(repr(m) for m in missing)} ({has})"
        )
    session.execute(
        delete(ClaimSanction).where(
            col(ClaimSanction.claim_id) == claim_id,
            col(ClaimSanction.sanction_id).in_([s.id for s in named]),
        )
    )
    session.flush()
    result = _claim_correction(claim)
    result.change("violates", before, claim_sanctions(session, claim_id))
    return result
