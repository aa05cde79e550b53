"""The reads behind ``factdb site``: the claims of ``show`` many at a time, the actors they
name, what each actor (and its parts) said and carried, in bounded batches.

``claim_details`` gives, for many claims in one round trip, the data ``show_claim`` gives for
one (tests/test_site.py holds them equal), plus the retracted assertions that did not count
(a page shows them struck through). The site reads claims in batches of ``CLAIM_BATCH`` and
actors in batches of ``ACTOR_BATCH``, so its memory does not grow with the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from factdb.core.dates import stored_text
from factdb.queries.assertions import (
    assertion_scope,
    claim_parts_from_rows,
    claims_scope,
    date_text,
    detail_statements,
    resolve_assertion,
    sides_from_rows,
    vias_from_rows,
)
from factdb.queries.base import Conn, Filters
from factdb.queries.claims import _group, corroboration, reversals, summarize
from factdb.queries.outlets import attach_outlets, outlets_from_rows, outlets_statement
from factdb.queries.ratings import attach_ratings, ratings_statement
from factdb.queries.relations import relations_from_rows, relations_statement
from factdb.queries.sanctions import answered_by
from factdb.queries.selection import matching_claim_ids
from factdb.storage.reader import Reader

CLAIM_BATCH = 500
ACTOR_BATCH = 200


def claim_details(conn: Conn, claim_ids: Sequence[int], filters: Filters) -> list[dict[str, Any]]:
    """``show_claim``'s data for each of these claims (counted under the date window, the
    rating filters and ``include_retracted`` of ``filters``), in the order given, each with
    ``uncounted_retracted``: the retracted assertions in the window that did not count."""
    if not claim_ids:
        return []
    r = Reader.of(conn)
    window = Filters(
        since=filters.since,
        until=filters.until,
        as_of=filters.as_of,
        include_retracted=True,
        min_reliability=filters.min_reliability,
        min_credibility=filters.min_credibility,
    )
    scope = claims_scope(r, claim_ids, window)
    claims, base, side_rows, via_rows, relation_rows, outlet_rows, rating_rows = r.batch(
        [
            *detail_statements(r, claim_ids, window),
            relations_statement(r, claim_ids),
            outlets_statement(r, claim_ids),
            ratings_statement(scope.where[0], scope.params),
        ]
    )
    texts, tags, sanctions = claim_parts_from_rows(claims)
    answers = answered_by(r, claim_ids)
    relations = relations_from_rows(relation_rows)
    rows = resolve_assertion(base, sides_from_rows(side_rows), vias_from_rows(via_rows), texts)
    attach_outlets(rows, outlets_from_rows(outlet_rows))
    attach_ratings(rows, rating_rows)
    links = {
        int(i): (s, f)
        for i, s, f in r.rows(
            "SELECT id, supersedes_id, folded_into_id FROM assertion WHERE "
            f"{r.member('claim_id', 'ids')} "
            "AND (supersedes_id IS NOT NULL OR folded_into_id IS NOT NULL)",
            {"ids": list(claim_ids)},
        )
    }
    by_claim: dict[int, list[dict[str, Any]]] = {cid: [] for cid in claim_ids}
    for row in rows:
        by_claim[row["claim_id"]].append(row)
    out = []
    for cid in claim_ids:
        if cid not in texts:
            continue
        every = by_claim[cid]
        counted = [a for a in every if filters.include_retracted or not a["retracted"]]
        counted_ids = {a["id"] for a in counted}
        summary = summarize(cid, texts[cid], counted)
        flips = reversals(counted)
        reversed_sides = set(summary["reversed_sides"])
        for row in every:
            row["supersedes"], row["folded_into"] = links.get(row["id"], (None, None))
            row["group"] = _group(row["polarity"])
            row["side_reversed"] = row["side"] in reversed_sides
            del row["claim"], row["claim_id"]
        out.append(
            {
                **summary,
                "as_of": str(filters.as_of) if filters.as_of else None,
                "tags": tags.get(cid, []),
                "violates": sanctions.get(cid, []),
                "answered_by": answers.get(cid, []),
                "relations": relations.get(cid, []),
                "reversals": flips,
                "corroboration": corroboration(counted),
                "assertions": counted,
                "assertion_count": summary["assertions"],
                "uncounted_retracted": [a for a in every if a["id"] not in counted_ids],
            }
        )
    return out


def claim_batches(
    conn: Conn, filters: Filters, ids: Sequence[int] | None = None, size: int = CLAIM_BATCH
) -> Iterator[list[dict[str, Any]]]:
    """``claim_details`` of the claims matching ``filters`` (or of ``ids``), ``size`` at a
    time, in id order."""
    r = Reader.of(conn)
    chosen = list(ids) if ids is not None else matching_claim_ids(r, filters)
    for start in range(0, len(chosen), size):
        yield claim_details(r, chosen[start : start + size], filters)


@dataclass
class SiteActors:
    """Every actor (the hierarchy is small beside the assertions), and those the site names."""

    actors: dict[int, dict[str, Any]]
    """{id: {id, name, kind, part_of (id or None), aliases}} for every actor."""
    named: list[int]
    """The actors the chosen claims name (speakers, relays) and their ancestors, by id."""
    parts: dict[int, list[int]] = field(default_factory=dict)
    """{id: the ids of its direct parts, current and former (docs/design.md, Memberships
    over time: a body's page lists what its members said while they were and since)}."""

    def by_name(self) -> dict[str, int]:
        return {a["name"]: i for i, a in self.actors.items()}

    def below(self, actor_id: int) -> set[int]:
        """The actor and every actor under it (a cycle written behind factdb's back ends)."""
        seen = {actor_id}
        todo = [actor_id]
        while todo:
            for child in self.parts.get(todo.pop(), []):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen

    def above(self, actor_id: int) -> list[int]:
        """The chain of parents, nearest first (at most 64 steps, as the reads walk)."""
        chain: list[int] = []
        current = self.actors[actor_id]["part_of"]
        while current is not None and current not in chain and len(chain) < 64:
            chain.append(current)
            current = self.actors.get(current, {}).get("part_of")
        return chain


def site_actors(conn: Conn, filters: Filters) -> SiteActors:
    r = Reader.of(conn)
    aliases: dict[int, list[str]] = defaultdict(list)
    for aid, alias in r.rows("SELECT actor_id, alias FROM actor_alias ORDER BY actor_id, alias"):
        aliases[int(aid)].append(alias)
    actors = {
        int(i): {
            "id": int(i),
            "name": name,
            "kind": kind,
            "part_of": None if parent is None else int(parent),
            "since": stored_text(since, since_p),
            "aliases": aliases.get(int(i), []),
            "ended": [],
        }
        for i, name, kind, parent, since, since_p in r.rows(
            "SELECT id, name, kind, part_of_id, part_of_since, part_of_since_precision "
            "FROM actor ORDER BY id"
        )
    }
    for aid, parent, since, since_p, until, until_p in r.rows(
        "SELECT actor_id, parent_id, since, since_precision, until, until_precision "
        "FROM actor_membership ORDER BY actor_id, until, id"
    ):
        actors[int(aid)]["ended"].append(
            {
                "parent": int(parent),
                "since": stored_text(since, since_p),
                "until": stored_text(until, until_p),
            }
        )
    q, scope = assertion_scope(r, filters)
    named = {
        int(i)
        for (i,) in q.rows(
            f"SELECT DISTINCT a.actor_id FROM assertion AS a WHERE {scope} UNION "
            "SELECT DISTINCT v.actor_id FROM assertion_via AS v JOIN assertion AS a "
            f"ON a.id = v.assertion_id WHERE {scope}"
        )
    }
    # every sanction has a page, which links to its authority and targets
    named.update(
        int(i)
        for (i,) in r.rows(
            "SELECT authority_id FROM sanction WHERE authority_id IS NOT NULL "
            "UNION SELECT actor_id FROM sanction_target"
        )
    )
    site = SiteActors(actors, [])
    for i, a in actors.items():
        for parent in {a["part_of"], *(m["parent"] for m in a["ended"])} - {None}:
            site.parts.setdefault(parent, []).append(i)
    for children in site.parts.values():
        children.sort(key=lambda i: actors[i]["name"])
    for i in list(named):
        named.update(site.above(i))
        for m in actors[i]["ended"] if i in actors else []:
            named.add(m["parent"])
            named.update(site.above(m["parent"]))
    site.named = sorted(i for i in named if i in actors)
    return site


def actor_statements(
    conn: Conn, filters: Filters, site: SiteActors, actor_ids: Sequence[int]
) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """For each of ``actor_ids``: ``said``, the counted assertions of the chosen claims by it
    or any of its parts, and ``carried``, those it relayed (``via``), each in date order."""
    r = Reader.of(conn)
    wanted: dict[int, set[int]] = {i: site.below(i) for i in actor_ids}
    speakers = sorted(set().union(*wanted.values())) if wanted else []
    q, scope = assertion_scope(r, filters)
    select = (
        "SELECT a.id, a.claim_id, c.text, a.actor_id, a.stance, a.date, a.date_precision, "
        "a.retracted_at FROM assertion AS a JOIN claim AS c ON c.id = a.claim_id"
    )
    q.params["speakers"] = speakers
    q.params["relays"] = list(actor_ids)
    said_rows = q.rows(
        f"{select} WHERE {scope} AND {r.member('a.actor_id', 'speakers')} ORDER BY a.date, a.id"
    )
    carried_rows = q.rows(
        "SELECT v.actor_id, a.id, a.claim_id, c.text, a.actor_id, a.stance, a.date, "
        "a.date_precision, a.retracted_at FROM assertion_via AS v "
        "JOIN assertion AS a ON a.id = v.assertion_id JOIN claim AS c ON c.id = a.claim_id "
        f"WHERE {r.member('v.actor_id', 'relays')} AND {scope} ORDER BY a.date, a.id"
    )

    def record(row: tuple[Any, ...]) -> dict[str, Any]:
        aid, claim_id, claim, actor_id, stance, date, precision, retracted_at = row
        start, text = date_text(date, precision)
        return {
            "id": int(aid),
            "claim_id": int(claim_id),
            "claim": claim,
            "actor": site.actors[int(actor_id)]["name"],
            "stance": stance,
            "date": text,
            "date_start": start.isoformat(),
            "retracted": retracted_at is not None,
        }

    out: dict[int, dict[str, list[dict[str, Any]]]] = {
        i: {"said": [], "carried": []} for i in actor_ids
    }
    owners: dict[int, list[int]] = defaultdict(list)
    for owner, below in wanted.items():
        for speaker in below:
            owners[speaker].append(owner)
    for row in said_rows:
        item = record(row)
        for owner in owners.get(int(row[3]), []):
            out[owner]["said"].append(item)
    for relay, *rest in carried_rows:
        out[int(relay)]["carried"].append(record(tuple(rest)))
    return out
