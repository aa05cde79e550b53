"""Claims and assertions: the main job's writes (``factdb add``, ``factdb retract``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import select
from sqlmodel import Session, col

from factdb.core.dates import PartialDate, Precision
from factdb.core.errors import Conflict, InvalidInput, NotFound
from factdb.core.hints import describe_suggestions
from factdb.core.keys import clean_text, require_text, tag_key, text_key
from factdb.domain.actors import close_names, find_assertion, resolve_actor
from factdb.domain.sanctions import get_sanction
from factdb.domain.sources import get_or_create_source
from factdb.storage.models import (
    Assertion,
    AssertionVia,
    Claim,
    ClaimSanction,
    ClaimTag,
    Stance,
    utcnow,
)
from factdb.storage.reader import Reader


def find_claim(session: Session, text: str) -> Claim | None:
    return (
        session.execute(select(Claim).where(col(Claim.text_key) == text_key(text)))
        .scalars()
        .first()
    )


def get_claim(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id) if Reader.of(session).holds_id(claim_id) else None
    if claim is None:
        raise NotFound("claim", claim_id, "see `factdb list`")
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
    """The actors this add created (--by, then --via in order)."""
    tags_added: list[str] = field(default_factory=list)
    sanctions_linked: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


def add_assertion(
    session: Session,
    *,
    by: str,
    stance: Stance,
    source_url: str,
    text: str | None = None,
    claim_id: int | None = None,
    date: PartialDate | None = None,
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
    is refused unless ``new_actor``.
    """
    if (text is None) == (claim_id is None):
        raise InvalidInput("TEXT", "give the claim's text or --claim ID, not both")
    quote = clean_text(quote, "--quote", required=False)
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
        date=str(date),
        new_actors=new_actors,
        tags_added=tags_added,
        sanctions_linked=sanctions_linked,
        hints=hints,
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
