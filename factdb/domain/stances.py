"""The main job's writes: who took which stance on a claim (``factdb add``), withdrawn
(``factdb retract``) or corrected (``factdb assertion correct``), in SQL on any connection, as
``domain.records`` (no SQLAlchemy to import: these are the commands typed by hand)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from factdb.core.dates import PartialDate, Precision, format_given, stored_date
from factdb.core.errors import Conflict, InvalidInput, NotFound
from factdb.core.hints import CloseNames, describe_suggestions
from factdb.core.keys import check_name, clean_text, require_text
from factdb.core.vocabulary import Stance
from factdb.domain.records import (
    actor_name,
    claim_text,
    close_names,
    find_actor,
    get_or_create_claim,
    get_or_create_source,
    link_outlet,
    link_sanctions,
    new_outlet_note,
    resolve_actor,
    tag_claim,
    utcnow,
)
from factdb.queries.base import Conn
from factdb.storage.reader import Reader

ASSERTION_COLUMNS = (
    "id, claim_id, actor_id, stance, date, date_precision, source_id, quote, retracted_at, "
    "retraction_reason, qualifier, qualifier_note, date_approximate, folded_into_id"
)


@dataclass
class AssertionRow:
    id: int
    claim_id: int
    actor_id: int
    stance: str
    date: dt.date
    date_precision: str
    source_id: int
    quote: str | None
    retracted_at: dt.datetime | None
    retraction_reason: str | None
    qualifier: str | None
    qualifier_note: str | None
    date_approximate: bool
    folded_into_id: int | None


def _timestamp(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value)


def _assertion(row: tuple[Any, ...]) -> AssertionRow:
    (ident, claim, actor, stance, date, precision, source, quote, retracted, reason) = row[:10]
    qualifier, note, approximate, folded = row[10:]
    return AssertionRow(
        int(ident),
        int(claim),
        int(actor),
        stance,
        stored_date(date),
        precision,
        int(source),
        quote,
        _timestamp(retracted),
        reason,
        qualifier,
        note,
        bool(approximate),
        folded,
    )


def assertion_row(conn: Conn, assertion_id: int) -> AssertionRow | None:
    r = Reader.of(conn)
    if not r.holds_id(assertion_id):
        return None
    row = r.first(f"SELECT {ASSERTION_COLUMNS} FROM assertion WHERE id = :id", {"id": assertion_id})
    return None if row is None else _assertion(row)


def find_assertion(
    conn: Conn,
    *,
    claim_id: int,
    actor_id: int,
    stance: str,
    date: dt.date,
    precision: str,
    source_id: int,
) -> AssertionRow | None:
    """The assertion recorded with this natural key: the live one (unique, ``ux_assertion_
    live_key``), else the newest retracted one; None if there is none."""
    row = Reader.of(conn).first(
        f"SELECT {ASSERTION_COLUMNS} FROM assertion WHERE claim_id = :claim "
        "AND actor_id = :actor AND stance = :stance AND date = :date "
        "AND date_precision = :precision AND source_id = :source "
        "ORDER BY retracted_at IS NOT NULL, id DESC LIMIT 1",
        {
            "claim": claim_id,
            "actor": actor_id,
            "stance": stance,
            "date": date,
            "precision": precision,
            "source": source_id,
        },
    )
    return None if row is None else _assertion(row)


def _insert_assertion(
    r: Reader, values: dict[str, Any], chain: list[int], supersedes: int | None = None
) -> int:
    """A new assertion with its via chain (actor ids, nearest to the speaker first)."""
    new_id = r.insert(
        "INSERT INTO assertion (claim_id, actor_id, stance, date, date_precision, "
        "date_approximate, qualifier, qualifier_note, source_id, quote, recorded_at, "
        "supersedes_id) VALUES (:claim_id, :actor_id, :stance, :date, :date_precision, "
        ":date_approximate, :qualifier, :qualifier_note, :source_id, :quote, :at, :supersedes) "
        "RETURNING id",
        {**values, "at": utcnow(), "supersedes": supersedes},
    )
    for position, via_id in enumerate(chain, start=1):
        r.run(
            "INSERT INTO assertion_via (assertion_id, position, actor_id) "
            "VALUES (:assertion, :position, :actor)",
            {"assertion": new_id, "position": position, "actor": via_id},
        )
    return new_id


def _retract_row(r: Reader, assertion_id: int, reason: str) -> dt.datetime:
    at = utcnow()
    r.run(
        "UPDATE assertion SET retracted_at = :at, retraction_reason = :reason WHERE id = :id",
        {"at": at, "reason": reason, "id": assertion_id},
    )
    return at


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
    conn: Conn,
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
    same way, created with kind ``media`` (``records.link_outlet``).
    """
    if (text is None) == (claim_id is None):
        raise InvalidInput("TEXT", "give the claim's text or --claim ID, not both")
    r = Reader.of(conn)
    quote = clean_text(quote, "--quote", required=False)
    qualifier_note = clean_text(qualifier_note, "--qualifier-note", required=False)
    hints: list[str] = []
    if claim_id is not None:
        claim_text(r, claim_id)
        claim_created = False
    else:
        assert text is not None
        claim_id, claim_created = get_or_create_claim(r, text)
    source, source_created = get_or_create_source(
        r, url=source_url, outlet=outlet, title=title, published=published
    )
    if date is None:
        if source.published is None or source.published_precision is None:
            raise InvalidInput(
                "--date",
                "is required: the source has no publication date (give --date or --published)",
            )
        date = PartialDate(source.published, cast(Precision, source.published_precision))
    # New names are compared with the names known before this command, not with each other:
    # those are read once, before the first name no actor answers to (14-22 ms with 2,000
    # actors, so not at all when every name is known).
    known: CloseNames | None = None
    resolved = []
    for field_name, name in [("--by", by), *(("--via", v) for v in via or [])]:
        if known is None and find_actor(r, check_name(name, field_name)) is None:
            known = close_names(r)
        resolved.append(
            resolve_actor(
                r,
                name,
                field_name,
                allow_confusable=allow_confusable,
                new_actor=new_actor,
                close=known,
            )
        )
    actor, actor_created = resolved[0].actor, resolved[0].created
    chain = [found.actor.id for found in resolved[1:]]
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
        r, source, outlet, new_actor=new_actor, allow_confusable=allow_confusable, close=known
    )
    if outlet_found is not None and outlet_found.created:
        new_actors.append(outlet_found.actor.name)
        hints.append(new_outlet_note(outlet_found))
    tags_added = tag_claim(r, claim_id, tags or [])
    sanctions_linked = link_sanctions(r, claim_id, violates or [])
    existing = find_assertion(
        r,
        claim_id=claim_id,
        actor_id=actor.id,
        stance=stance.value,
        date=date.start,
        precision=date.precision,
        source_id=source.id,
    )
    if existing is not None and existing.retracted_at is None:
        kept = (existing.qualifier, existing.qualifier_note, existing.date_approximate)
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
        assertion_id = _insert_assertion(
            r,
            {
                "claim_id": claim_id,
                "actor_id": actor.id,
                "stance": stance.value,
                "date": date.start,
                "date_precision": date.precision,
                "date_approximate": date_approximate,
                "qualifier": qualifier,
                "qualifier_note": qualifier_note,
                "source_id": source.id,
                "quote": quote,
            },
            chain,
        )
        approximate = date_approximate
    else:
        assertion_id, approximate = existing.id, existing.date_approximate
    return AddResult(
        claim_id=claim_id,
        claim_created=claim_created,
        actor_id=actor.id,
        actor=actor.name,
        actor_created=actor_created,
        source_id=source.id,
        source_created=source_created,
        assertion_id=assertion_id,
        assertion_created=existing is None,
        date=format_given(date.start, date.precision, approximate),
        new_actors=new_actors,
        tags_added=tags_added,
        sanctions_linked=sanctions_linked,
        hints=hints,
        outlet_id=source.outlet_id,
        outlet_actor=actor_name(r, source.outlet_id),
    )


def _qualification(qualifier: str | None, note: str | None, approximate: bool) -> str:
    parts = [part for part in (qualifier, note) if part]
    if approximate:
        parts.append("approximate date")
    return "; ".join(parts) or "unqualified, exact date"


@dataclass
class RetractResult:
    assertion_id: int
    claim_id: int
    retracted_at: str
    reason: str


def _live_assertion(conn: Conn, assertion_id: int) -> AssertionRow:
    found = assertion_row(conn, assertion_id)
    if found is None:
        raise NotFound("assertion", assertion_id, "assertion ids are shown by `factdb show`")
    return found


def retract(conn: Conn, *, assertion_id: int, reason: str) -> RetractResult:
    """Flag an assertion as withdrawn or mistaken. It is kept, and excluded from sides."""
    why = require_text(reason, "--reason")
    assertion = _live_assertion(conn, assertion_id)
    if assertion.retracted_at is not None:
        raise Conflict(
            f"assertion {assertion_id} was already retracted on "
            f"{assertion.retracted_at:%Y-%m-%d}: {assertion.retraction_reason}"
        )
    at = _retract_row(Reader.of(conn), assertion_id, why)
    return RetractResult(assertion_id, assertion.claim_id, at.isoformat(), why)


@dataclass
class CorrectResult:
    old_id: int
    new_id: int
    claim_id: int
    changed: dict[str, tuple[object, object]]
    """field: (old value, new value), as the user sees them."""


def correct_assertion(
    conn: Conn,
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
    r = Reader.of(conn)
    old = _live_assertion(r, assertion_id)
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
    if by is not None:
        actor = resolve_actor(
            r, by, "--by", allow_confusable=allow_confusable, new_actor=new_actor
        ).actor
        if actor.id != old.actor_id:
            changed["actor"] = (actor_name(r, old.actor_id), actor.name)
            actor_id = actor.id
    source_id = old.source_id
    if source_url is not None:
        source, _ = get_or_create_source(r, url=source_url)
        if source.id != old.source_id:
            changed["source"] = (old.source_id, source.id)
            source_id = source.id
    new_stance = stance.value if stance is not None else old.stance
    if new_stance != old.stance:
        changed["stance"] = (old.stance, new_stance)
    start, precision = (date.start, date.precision) if date else (old.date, old.date_precision)
    approximate = old.date_approximate if date_approximate is None else date_approximate
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
    old_chain = [
        int(actor)
        for (actor,) in r.rows(
            "SELECT actor_id FROM assertion_via WHERE assertion_id = :id ORDER BY position",
            {"id": old.id},
        )
    ]
    chain = old_chain
    if via is not None:
        chain = [
            resolve_actor(
                r, name, "--via", allow_confusable=allow_confusable, new_actor=new_actor
            ).actor.id
            for name in via
        ]
        if chain != old_chain:
            changed["via"] = (
                [actor_name(r, i) or "?" for i in old_chain],
                [actor_name(r, i) or "?" for i in chain],
            )
    if not changed:
        raise InvalidInput(
            "ASSERTION",
            "nothing to correct: give what changes (--by, --stance, --date, --approximate, "
            "--qualifier, --qualifier-note, --source, --quote or --via)",
        )
    twin = find_assertion(
        r,
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
    _retract_row(r, old.id, f"corrected: {why}")
    new_id = _insert_assertion(
        r,
        {
            "claim_id": old.claim_id,
            "actor_id": actor_id,
            "stance": new_stance,
            "date": start,
            "date_precision": precision,
            "date_approximate": approximate,
            "qualifier": new_qualifier,
            "qualifier_note": new_note,
            "source_id": source_id,
            "quote": quote,
        },
        chain,
        supersedes=old.id,
    )
    return CorrectResult(old.id, new_id, old.claim_id, changed)
