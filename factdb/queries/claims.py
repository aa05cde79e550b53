"""``list`` and ``show``: a claim's sides, contested and reversed, summarized from its
assertion rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from factdb.core.dates import APPROXIMATE, PartialDate
from factdb.core.errors import NotFound
from factdb.core.vocabulary import POLARITY
from factdb.queries.base import deleted_note
from factdb.queries.history import last_change_from_rows, last_change_statement
from factdb.queries.outlets import attach_outlets
from factdb.queries.ratings import attach_ratings, ratings_statement
from factdb.queries.relations import relations_from_rows, relations_statement
from factdb.storage.reader import Reader

if TYPE_CHECKING:
    pass

from factdb.queries.assertions import (
    ACTORS_OF_ASSERTIONS,
    FIRST_RELAY,
    answered_from_rows,
    claim_parts_from_rows,
    claims_scope,
    claims_statement,
    date_text,
    detail_statements,
    origin_key,
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
    """Every flip of every side, as data (docs/design.md, "Reversed"): in date order, a flip
    is a change of sign between two consecutive dates on which the side took a non-neutral
    stance. On the earlier date ``from`` is the side's last assertion (by id) of the old
    sign, on the later date ``to`` its first of the new sign. A day on which the side took
    both signs may flip each way.

    A side has a flip exactly when it has two counted assertions of opposite signs on
    different dates, the condition the ``--reversed`` filter and the ``claim_summary`` view
    state in SQL; the ``side_flip`` view lists the same flips. The rows given are the
    counted ones (the caller filters retractions and dates), each with ``id, side, stance,
    polarity, date, date_start, actor``. Ordered by side, then date."""
    by_side: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in assertions:
        if a["polarity"] != 0:
            by_side[a["side"]].append(a)
    found = []
    for side in sorted(by_side):
        items = sorted(by_side[side], key=lambda a: (a["date_start"], a["id"]))
        # Per date: the first and the last assertion of each sign (True: positive).
        days: list[dict[bool, tuple[dict[str, Any], dict[str, Any]]]] = []
        day = None
        for a in items:
            if a["date_start"] != day:
                days.append({})
                day = a["date_start"]
            positive = a["polarity"] > 0
            first, _ = days[-1].get(positive, (a, a))
            days[-1][positive] = (first, a)
        for before, after in zip(days, days[1:], strict=False):
            flips = [
                (before[sign][1], after[not sign][0])
                for sign in (True, False)
                if sign in before and (not sign) in after
            ]
            for earlier, later in sorted(flips, key=lambda f: (f[1]["id"], f[0]["id"])):
                found.append(flip_record(side, earlier, later))
    return found


def flip_record(side: str, earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """One flip as data: the field names of the ``side_flip`` view (without the claim)."""
    return {
        "side": side,
        "from_assertion_id": earlier["id"],
        "from_actor": earlier["actor"],
        "from_stance": earlier["stance"],
        "from_date": earlier["date"],
        "to_assertion_id": later["id"],
        "to_actor": later["actor"],
        "to_stance": later["stance"],
        "to_date": later["date"],
    }


def summarize(claim_id: int, claim: str, assertions: list[dict[str, Any]]) -> dict[str, Any]:
    """Sides at a glance: counts, sides per group (most assertions first), dates, flags.

    ``assertions`` are the counted rows: without ``--include-retracted`` the queries leave
    retracted ones out, with it they count like the others, in the filters and the flags.
    """
    return _summarize(claim_id, claim, assertions)[0]


def _summarize(
    claim_id: int, claim: str, counted: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The summary and the reversals it was computed from (``show`` lists them too).

    A group's origins and outlets are those ``corroboration`` counts, without its breakdown
    by side, which a summary does not give (``list`` summarizes every claim it lists)."""
    sides: dict[str, dict[str, int]] = {g: {} for g in GROUPS}
    origins: dict[str, set[str]] = {g: set() for g in GROUPS}
    outlets: dict[str, set[int]] = {g: set() for g in GROUPS}
    for a in counted:
        g = _group(a["polarity"])
        group = sides[g]
        group[a["side"]] = group.get(a["side"], 0) + 1
        origins[g].add(a["origin"])
        outlet = a["source"]["outlet_id"] if "source" in a else a["outlet_id"]
        if outlet is not None:
            outlets[g].add(outlet)
    ordered = {
        g: [s for s, _ in sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))]
        for g, d in sides.items()
    }
    first = min(counted, key=_date_order, default=None)
    last = max(counted, key=_date_order, default=None)
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
        "first_date": first["date"] if first else None,
        "last_date": last["date"] if last else None,
        "contested": n["for"] > 0 and n["against"] > 0,
        "reversed": bool(flips),
        "reversed_sides": sorted({f["side"] for f in flips}),
        **{f"origins_{g}": len(origins[g]) for g in GROUPS},
        **{f"outlets_{g}": len(outlets[g]) for g in GROUPS},
    }
    return summary, flips


def _date_order(a: dict[str, Any]) -> tuple[Any, int]:
    return a["date_start"], a["id"]


GROUPS = ("for", "neutral", "against")


def corroboration(counted: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per group (for, neutral, against): its assertions, independent origins and distinct
    outlets, and the same per side of the group, most assertions first (docs/design.md,
    Origins and corroboration; the ``side_corroboration`` and ``claim_corroboration`` views
    count the same, tests/test_corroboration.py holds them to it)."""
    tally: dict[str, dict[str, tuple[list[int], set[str], set[int]]]] = {g: {} for g in GROUPS}
    for a in counted:
        per_side = tally[_group(a["polarity"])].setdefault(a["side"], ([], set(), set()))
        per_side[0].append(a["id"])
        per_side[1].add(a["origin"])
        outlet = a["source"]["outlet_id"] if "source" in a else a["outlet_id"]
        if outlet is not None:
            per_side[2].add(outlet)
    out: dict[str, dict[str, Any]] = {}
    for group, per_side_of in tally.items():
        sides = [
            {"side": side, "assertions": len(ids), "origins": len(o), "outlets": len(w)}
            for side, (ids, o, w) in sorted(
                per_side_of.items(), key=lambda kv: (-len(kv[1][0]), kv[0])
            )
        ]
        out[group] = {
            "assertions": sum(len(v[0]) for v in per_side_of.values()),
            "origins": len(set().union(*(v[1] for v in per_side_of.values()))),
            "outlets": len(set().union(*(v[2] for v in per_side_of.values()))),
            "sides": sides,
        }
    return out


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
                f"a.date_precision, a.date_approximate, s.outlet_id, {FIRST_RELAY} "
                "FROM assertion AS a JOIN actor AS ac ON ac.id = a.actor_id "
                "JOIN source AS s ON s.id = a.source_id "
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
    for claim_id, aid, actor_id, actor, stance, date, precision, approx, outlet_id, relay in rows:
        start, text_ = date_text(date, precision)
        by_claim[claim_id].append(
            {
                "id": aid,
                "actor": actor,
                "side": (sides.of(actor_id, aid) or (actor_id, actor))[1],
                "stance": stance,
                "polarity": POLARITY[stance],
                "date": APPROXIMATE + text_ if approx else text_,
                "date_start": start,
                "origin": origin_key(actor_id, text_, relay),
                "outlet_id": outlet_id,
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
    """The side-by-side view of one claim as data: the claim, its summary, its assertions
    (each source with its outlet's actor: ``outlets.attach_outlets``; each with its grades:
    ``ratings.attach_ratings``), its relations. Seven independent reads, in one round trip to
    PostgreSQL, each planned once in the connection (``Reader.batch``)."""
    r = Reader.of(conn)
    if not r.holds_id(claim_id):
        raise NotFound("claim", claim_id, "see `factdb list`")
    filters = Filters(as_of=as_of, include_retracted=include_retracted)
    scope = claims_scope(r, [claim_id], filters)
    claims, shown, side_rows, via_rows, relation_rows, rating_rows, change_rows = r.batch(
        [
            *detail_statements(r, [claim_id], filters, show=True),
            relations_statement(r, [claim_id]),
            ratings_statement(scope.where[0], scope.params),
            last_change_statement("claim_id", claim_id),
        ],
        planned_once=True,
    )
    texts, tags, sanctions = claim_parts_from_rows(claims)
    if claim_id not in texts:
        raise NotFound("claim", claim_id, deleted_note(r, "claim", claim_id) or "see `factdb list`")
    # SHOW_COLUMNS after the base columns: supersedes, folded into, the outlet actor's name.
    links = {int(row[0]): (row[-3], row[-2]) for row in shown}
    base = [row[:-3] for row in shown]
    rows = resolve_assertion(base, sides_from_rows(side_rows), vias_from_rows(via_rows), texts)
    outlets = {
        row["source"]["outlet_id"]: str(extra[-1])
        for row, extra in zip(rows, shown, strict=True)
        if extra[-1] is not None
    }
    attach_outlets(rows, outlets)
    attach_ratings(rows, rating_rows)
    summary, flips = _summarize(claim_id, texts[claim_id], rows)
    reversed_sides = set(summary["reversed_sides"])
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
        "answered_by": answered_from_rows(claims).get(claim_id, []),
        "relations": relations_from_rows(relation_rows).get(claim_id, []),
        "reversals": flips,
        "corroboration": corroboration(rows),
        "assertions": rows,
        "assertion_count": summary["assertions"],
        "last_change": last_change_from_rows(change_rows),
    }
