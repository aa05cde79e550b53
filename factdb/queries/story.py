"""A dispute read as a story: the chronology of one claim (``factdb timeline``), with every
flip of a side marked, and what an actor and its parts said (``actor show``).

Plain functions returning dicts and lists, for the command line and for any page built on
them (docs/design.md, "Timeline")."""

from __future__ import annotations

from typing import Any

from factdb.core.dates import PartialDate
from factdb.core.errors import NotFound
from factdb.queries.assertions import (
    assertions_where,
    claim_parts_from_rows,
    detail_statements,
    resolve_assertion,
    sides_from_rows,
    vias_from_rows,
)
from factdb.queries.base import Conn, Filters, actor_ref, deleted_note, descendant_ids
from factdb.queries.claims import reversals
from factdb.storage.reader import Reader

TIMELINE_FIELDS = (
    "claim_id, id, date, date_start, date_precision, actor, actor_kind, side, stance, "
    "polarity, flip, flip_from_assertion_id, flip_from_actor, flip_from_stance, flip_from_date, "
    "chain, via, source, quote, retracted, retraction_reason, qualifier, qualifier_note, "
    "date_approximate"
).split(", ")
"""The fields of a timeline entry, in order (``source`` is an object: id, url, outlet, title,
published, outlet_id)."""


def travel_chain(actor: str, via: list[str]) -> str:
    """The way a statement travelled, from the speaker: ``Amir-Abdollahian → IRNA → Reuters``
    (``via`` is nearest to the speaker first)."""
    return " → ".join([actor, *via])


def claim_timeline(
    conn: Conn,
    claim_id: int,
    *,
    actor: str | None = None,
    via: str | None = None,
    since: PartialDate | None = None,
    until: PartialDate | None = None,
    include_retracted: bool = False,
) -> dict[str, Any]:
    """The chronology of one claim as data.

    Returns ``{"id", "claim", "actor", "via", "since", "until", "include_retracted",
    "reversals", "entries"}``: ``reversals`` is every flip of every side
    (``queries.reversals``) among the counted assertions (retractions and ``since``/``until``
    as in docs/design.md, "Counted assertions"); ``entries`` are the counted assertions in
    date order (first day of the period, then id), those of ``actor`` or its parts and carried
    by ``via`` or its parts when given, each with the fields of ``TIMELINE_FIELDS``: the date
    as given, the side, ``flip`` (true when the entry reverses its side's previous stance)
    and the ``flip_from_*`` assertion it reverses, the ``chain`` from the speaker through the
    relays, and the source. ``actor`` and ``via`` choose entries only: flips are those of the
    whole side. ``NotFound`` for an unknown claim or actor."""
    r = Reader.of(conn)
    if not r.holds_id(claim_id):
        raise NotFound("claim", claim_id, "see `factdb list`")
    filters = Filters(since=since, until=until, include_retracted=include_retracted)
    actor_ids = set(descendant_ids(r, actor_ref(r, actor)[0])) if actor else None
    via_ids = set(descendant_ids(r, actor_ref(r, via)[0])) if via else None
    claims, base, side_rows, via_rows = r.batch(detail_statements(r, [claim_id], filters))
    texts = claim_parts_from_rows(claims)[0]
    if claim_id not in texts:
        raise NotFound("claim", claim_id, deleted_note(r, "claim", claim_id) or "see `factdb list`")
    rows = resolve_assertion(base, sides_from_rows(side_rows), vias_from_rows(via_rows), texts)
    flips = reversals(rows)
    flip_to = {f["to_assertion_id"]: f for f in flips}
    carried: set[int] = set()
    if via_ids is not None:
        carried = {
            int(aid)
            for (aid,) in r.rows(
                "SELECT DISTINCT v.assertion_id FROM assertion_via AS v JOIN assertion AS a "
                "ON a.id = v.assertion_id WHERE a.claim_id = :claim AND "
                + r.member("v.actor_id", "via_ids"),
                {"claim": claim_id, "via_ids": sorted(via_ids)},
            )
        }
    actor_of = {int(row[0]): int(row[3]) for row in base}  # CLAIMS_BASE_SELECT: id, …, actor_id
    entries = []
    for row in sorted(rows, key=lambda a: (a["date_start"], a["id"])):
        if actor_ids is not None and actor_of[row["id"]] not in actor_ids:
            continue
        if via_ids is not None and row["id"] not in carried:
            continue
        flip = flip_to.get(row["id"])
        entries.append(
            {
                "claim_id": claim_id,
                "id": row["id"],
                "date": row["date"],
                "date_start": row["date_start"],
                "date_precision": row["date_precision"],
                "actor": row["actor"],
                "actor_kind": row["actor_kind"],
                "side": row["side"],
                "stance": row["stance"],
                "polarity": row["polarity"],
                "flip": flip is not None,
                "flip_from_assertion_id": flip["from_assertion_id"] if flip else None,
                "flip_from_actor": flip["from_actor"] if flip else None,
                "flip_from_stance": flip["from_stance"] if flip else None,
                "flip_from_date": flip["from_date"] if flip else None,
                "chain": travel_chain(row["actor"], row["via"]),
                "via": row["via"],
                "source": row["source"],
                "quote": row["quote"],
                "retracted": row["retracted"],
                "retraction_reason": row["retraction_reason"],
                "qualifier": row["qualifier"],
                "qualifier_note": row["qualifier_note"],
                "date_approximate": row["date_approximate"],
            }
        )
    return {
        "id": claim_id,
        "claim": texts[claim_id],
        "actor": actor,
        "via": via,
        "since": str(since) if since else None,
        "until": str(until) if until else None,
        "include_retracted": include_retracted,
        "reversals": flips,
        "entries": entries,
    }


def actor_statements(conn: Conn, actor_id: int) -> list[dict[str, Any]]:
    """Every assertion of the actor and of its parts (``part_of``, at any depth), retracted
    ones included (``retracted`` says so), in date order (first day of the period, then id):
    rows of ``assertion_detail``, ``actor`` naming who spoke."""
    r = Reader.of(conn)
    return assertions_where(
        r,
        r.member("a.actor_id", "ids"),
        {"ids": descendant_ids(r, actor_id)},
        "a.date, a.id",
    )
