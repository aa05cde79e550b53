"""``list`` and ``show``: a claim's sides, contested and reversed, summarized from its
assertion rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from factdb.core.dates import PartialDate
from factdb.core.errors import NotFound
from factdb.core.vocabulary import POLARITY
from factdb.queries.base import deleted_note
from factdb.queries.history import last_change
from factdb.storage.reader import Reader

if TYPE_CHECKING:
    pass

from factdb.queries.assertions import (
    ACTORS_OF_ASSERTIONS,
    claim_parts_from_rows,
    claims_statement,
    date_text,
    detail_statements,
    resolve_assertion,
    sides_from_rows,
    sides_sql,
    vias_from_rows,
)
from factdb.queries.base import (
    Conn,
    Filters,
    Sql,
)
from factdb.queries.selection import (
    counted_condition,
    matching_claim_ids,
)


def _group(polarity: int) -> str:
    return "for" if polarity > 0 else "against" if polarity < 0 else "neutral"


def reversals(assertions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sides whose stance changed sign over time, as data: for each side the latest
    assertion that contradicts one of the side's assertions on a strictly earlier date.

    The same definition as the ``--reversed`` filter and the ``claim_summary`` view: a pair
    of assertions of one side, one positive and one negative, the later one dated after the
    earlier. The rows given are the counted ones (the caller filters retractions and dates).
    """
    by_side: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in assertions:
        if a["polarity"] != 0:
            by_side[a["side"]].append(a)
    found = []
    for side, items in by_side.items():
        items.sort(key=lambda a: (a["date_start"], a["id"]))
        # One pass in date order: ``before`` holds, per sign, the latest assertion dated
        # strictly before the current date; the last contradiction found is the reversal.
        flip = None
        before: dict[bool, dict[str, Any]] = {}
        group: dict[bool, dict[str, Any]] = {}
        day = None
        for later in items:
            if later["date_start"] != day:
                before.update(group)
                group = {}
                day = later["date_start"]
            positive = later["polarity"] > 0
            earlier = before.get(not positive)
            if earlier is not None:
                flip = (earlier, later)
            group[positive] = later
        if flip:
            found.append(
                {
                    "side": side,
                    "from_stance": flip[0]["stance"],
                    "from_date": flip[0]["date"],
                    "from_actor": flip[0]["actor"],
                    "to_stance": flip[1]["stance"],
                    "to_date": flip[1]["date"],
                    "to_actor": flip[1]["actor"],
                }
            )
    return sorted(found, key=lambda r: r["side"])


def summarize(claim_id: int, claim: str, assertions: list[dict[str, Any]]) -> dict[str, Any]:
    """Sides at a glance: counts, sides per group (most assertions first), dates, flags.

    ``assertions`` are the counted rows: without ``--include-retracted`` the queries leave
    retracted ones out, with it they count like the others, in the filters and the flags.
    """
    return _summarize(claim_id, claim, assertions)[0]


def _summarize(
    claim_id: int, claim: str, counted: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The summary and the reversals it was computed from (``show`` lists them too)."""
    sides: dict[str, dict[str, int]] = {"for": {}, "neutral": {}, "against": {}}
    for a in counted:
        group = sides[_group(a["polarity"])]
        group[a["side"]] = group.get(a["side"], 0) + 1
    ordered = {
        g: [s for s, _ in sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))]
        for g, d in sides.items()
    }
    dated = sorted(counted, key=lambda a: (a["date_start"], a["id"]))
    flips = reversals(counted)
    n = {g: sum(d.values()) for g, d in sides.items()}
    summary = {
        "id": claim_id,
        "claim": claim,
        "assertions": len(counted),
        "n_for": n["for"],
        "n_neutral": n["neutral"],
        "n_against": n["against"],
        "for": ordered["for"],
        "neutral": ordered["neutral"],
        "against": ordered["against"],
        "first_date": dated[0]["date"] if dated else None,
        "last_date": dated[-1]["date"] if dated else None,
        "contested": n["for"] > 0 and n["against"] > 0,
        "reversed": bool(flips),
        "reversed_sides": [f["side"] for f in flips],
    }
    return summary, flips


def list_claims(conn: Conn, filters: Filters) -> list[dict[str, Any]]:
    """One row per matching claim with its sides at a glance.

    A summary needs only side, stance, polarity, dates and actor of each counted assertion
    (no sources, quotes or via chains); the five reads after the matching ids are independent
    and go to PostgreSQL in one round trip."""
    r = Reader.of(conn)
    ids = matching_claim_ids(r, filters)
    if not ids:
        return []
    q = Sql(r)
    scope = f"{r.member('a.claim_id', 'claim_ids')} AND {counted_condition(filters, 'a', q)}"
    q.params["claim_ids"] = ids
    claims, rows, side_rows = r.batch(
        [
            claims_statement(r, ids),
            (
                "SELECT a.claim_id, a.id, a.actor_id, ac.name, a.stance, a.date, "
                "a.date_precision FROM assertion AS a JOIN actor AS ac ON ac.id = a.actor_id "
                f"WHERE {scope} ORDER BY a.claim_id, a.date, a.id",
                q.params,
            ),
            (
                sides_sql(ACTORS_OF_ASSERTIONS + scope),
                q.params,
            ),
        ]
    )
    sides = sides_from_rows(side_rows)
    by_claim: dict[int, list[dict[str, Any]]] = {cid: [] for cid in ids}
    for claim_id, aid, actor_id, actor, stance, date, precision in rows:
        start, text_ = date_text(date, precision)
        by_claim[claim_id].append(
            {
                "id": aid,
                "actor": actor,
                "side": sides.get(actor_id, (actor_id, actor))[1],
                "stance": stance,
                "polarity": POLARITY[stance],
                "date": text_,
                "date_start": start,
            }
        )
    text_of, tags_of, sanctions_of = claim_parts_from_rows(claims)
    result = []
    for cid, counted in by_claim.items():
        summary = summarize(cid, text_of[cid], counted)
        summary["tags"] = tags_of.get(cid, [])
        summary["violates"] = sanctions_of.get(cid, [])
        result.append(summary)
    return result


def show_claim(
    conn: Conn,
    claim_id: int,
    *,
    as_of: PartialDate | None = None,
    include_retracted: bool = False,
) -> dict[str, Any]:
    """The side-by-side view of one claim as data: the claim, its summary, its assertions.
    Four independent reads, in one round trip to PostgreSQL."""
    r = Reader.of(conn)
    if not r.holds_id(claim_id):
        raise NotFound("claim", claim_id, "see `factdb list`")
    filters = Filters(as_of=as_of, include_retracted=include_retracted)
    claims, base, side_rows, via_rows = r.batch(detail_statements(r, [claim_id], filters))
    texts, tags, sanctions = claim_parts_from_rows(claims)
    if claim_id not in texts:
        raise NotFound("claim", claim_id, deleted_note(r, "claim", claim_id) or "see `factdb list`")
    rows = resolve_assertion(base, sides_from_rows(side_rows), vias_from_rows(via_rows), texts)
    summary, flips = _summarize(claim_id, texts[claim_id], rows)
    reversed_sides = set(summary["reversed_sides"])
    links = {
        int(i): (s, f)
        for i, s, f in r.rows(
            "SELECT id, supersedes_id, folded_into_id FROM assertion WHERE claim_id = :id "
            "AND (supersedes_id IS NOT NULL OR folded_into_id IS NOT NULL)",
            {"id": claim_id},
        )
    }
    for row in rows:
        row["supersedes"], row["folded_into"] = links.get(row["id"], (None, None))
        row["group"] = _group(row["polarity"])
        row["side_reversed"] = row["side"] in reversed_sides
        del row["claim"], row["claim_id"]
    return {
        **summary,
        "as_of": str(as_of) if as_of else None,
        "tags": tags.get(claim_id, []),
        "violates": sanctions.get(claim_id, []),
        "reversals": flips,
        "assertions": rows,
        "assertion_count": summary["assertions"],
        "last_change": last_change(r, "claim_id", claim_id),
    }
