"""Assertion rows resolved for reading: the side each actor rolls up to, via chains, dates as
given, a claim's text, tags and sanctions, and the filters that scope assertions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from factdb.core.dates import APPROXIMATE, format_partial, stored_date, stored_text
from factdb.core.vocabulary import POLARITY
from factdb.storage.reader import Reader

if TYPE_CHECKING:
    pass

from factdb.queries.base import (
    MEMBERSHIP_EDGES,
    Conn,
    Filters,
    Sql,
)
from factdb.queries.selection import (
    claim_conditions,
    counted_condition,
    matching_claim_ids,
)

# --- assertions ------------------------------------------------------------------------------

FIRST_RELAY = (
    "(SELECT v1.actor_id FROM assertion_via AS v1 WHERE v1.assertion_id = a.id AND v1.position = 1)"
)
"""SQL: the first relay of assertion ``a`` (the intermediary nearest to the speaker)."""


def origin_key(actor_id: int, date: str, first_relay: int | None) -> str:
    """An assertion's origin as the ``assertion_origin`` view writes it (docs/design.md,
    Origins and corroboration): its speaker, its date as given (without the approximate
    mark), its first relay or ``-``. tests/test_queries.py holds the two to each other."""
    return f"{actor_id}/{date}/{'-' if first_relay is None else first_relay}"


# The rows of ``assertion_detail``, read from the tables directly: the view resolves every
# actor's side with a recursive walk over the whole hierarchy on each query, while here only
# the actors at hand are walked up (``sides_of``), which keeps ``show`` and ``list`` fast at a
# million assertions. tests/test_queries.py checks that both give the same rows.
BASE_SELECT = (
    "SELECT a.id, a.claim_id, c.text, a.actor_id, ac.name, ac.kind, a.stance, a.date, "
    "a.date_precision, a.source_id, s.url, s.outlet, s.title, s.published, "
    "s.published_precision, a.quote, a.recorded_at, a.retracted_at, a.retraction_reason, "
    "a.qualifier, a.qualifier_note, a.date_approximate, s.outlet_id, "
    f"{FIRST_RELAY} "
    "FROM assertion AS a JOIN claim AS c ON c.id = a.claim_id "
    "JOIN actor AS ac ON ac.id = a.actor_id JOIN source AS s ON s.id = a.source_id"
)


def _walk_up(seed: str) -> str:
    """SQL: the walk up ``part_of`` from the actors ``ac`` that ``seed`` (a FROM … WHERE
    clause naming table actor ``ac``) selects: CTE ``up(actor_id, node, parent)``, a row for
    the actor itself and for each of its ancestors (``node``), with the node's own parent.

    The one definition of the hierarchy walk, behind every actor's side (``sides_sql``) and
    ancestors (``ancestor_ids``). One index look-up per step (a join let PostgreSQL hash the
    whole actor table at every step: 0.5 ms instead of 0.06 ms for one claim). UNION, not
    UNION ALL: a row seen before is not walked again, so a cycle written behind factdb's
    back ends the walk, while a chain of any depth is walked to its top."""
    return (
        "WITH RECURSIVE up(actor_id, node, parent) AS ("
        f" SELECT ac.id, ac.id, ac.part_of_id FROM {seed} UNION"
        " SELECT up.actor_id, up.parent,"
        " (SELECT p.part_of_id FROM actor AS p WHERE p.id = up.parent)"
        " FROM up WHERE up.parent IS NOT NULL)"
    )


PARENT_AT = (
    "COALESCE((SELECT m.parent_id FROM actor_membership AS m WHERE m.actor_id = {node} "
    "AND (m.since IS NULL OR m.since <= {date}) AND {date} < m.until ORDER BY m.until LIMIT 1), "
    "(SELECT p.part_of_id FROM actor AS p WHERE p.id = {node} "
    "AND (p.part_of_since IS NULL OR p.part_of_since <= {date})))"
)
"""SQL: the parent of actor ``node`` on ``date`` (docs/design.md, Memberships over time): the
ended membership whose period holds the date, else the current parent unless the date is
before the current membership began. The same rule as the ``assertion_side`` view."""

DATED_ACTORS = (
    MEMBERSHIP_EDGES + ","
    " dated(actor_id) AS ("
    " SELECT x.actor_id FROM (SELECT actor_id FROM actor_membership"
    " UNION SELECT id FROM actor WHERE part_of_since IS NOT NULL) AS x"
    " UNION SELECT e.child_id FROM dated AS d JOIN edge AS e ON e.parent_id = d.actor_id)"
)
"""SQL (CTEs): ``dated``, the actors whose side may depend on the date: those with an ended
membership or a current one with a start, and every actor below them. Empty (and cheap) in a
hierarchy without dates."""


def sides_sql(seed: str) -> str:
    """SQL: (actor id, side id, side name, assertion id) of the actors ``ac`` that ``seed``
    selects (``_walk_up``): the top of each walk, today's side, with a NULL assertion id. The
    same answer as the ``actor_side`` view (tests/test_queries.py holds them to it): an actor
    whose walk reaches no top (a cycle written behind factdb's back) has no row: it is its
    own side, as in the view.

    A seed of assertions (``ACTORS_OF_ASSERTIONS`` and a condition) adds, for each assertion
    whose speaker is in ``dated``, a row with its side on its date (``PARENT_AT`` at every
    step): the ``assertion_side`` view's answer. ``sides_from_rows`` keeps these apart."""
    current = (
        " SELECT up.actor_id, up.node, (SELECT t.name FROM actor AS t WHERE t.id = up.node),"
        " NULL FROM up WHERE up.parent IS NULL"
    )
    if not seed.startswith(ACTORS_OF_ASSERTIONS):
        return _walk_up(seed) + current
    scope = seed[len(ACTORS_OF_ASSERTIONS) :]
    walk = (
        ", walk(assertion_id, actor_id, node, parent, on_date, depth) AS ("
        " SELECT a.id, a.actor_id, a.actor_id, "
        + PARENT_AT.format(node="a.actor_id", date="a.date")
        + f", a.date, 0 FROM {ACTORS_OF_ASSERTIONS}({scope})"
        " AND a.actor_id IN (SELECT actor_id FROM dated)"
        " UNION ALL SELECT w.assertion_id, w.actor_id, w.parent, "
        + PARENT_AT.format(node="w.parent", date="w.on_date")
        + ", w.on_date, w.depth + 1 FROM walk AS w WHERE w.parent IS NOT NULL AND w.depth < 64)"
    )
    return (
        _walk_up(seed)
        + ", "
        + DATED_ACTORS
        + walk
        + current
        + " UNION ALL SELECT w.actor_id, w.node,"
        " (SELECT t.name FROM actor AS t WHERE t.id = w.node), w.assertion_id"
        " FROM walk AS w WHERE w.parent IS NULL"
    )


ACTORS_OF_ASSERTIONS = "assertion AS a JOIN actor AS ac ON ac.id = a.actor_id WHERE "
"""A seed for ``sides_sql``: the actors of the assertions ``a`` where (a condition follows)."""


class Sides(dict[int, tuple[int, str]]):
    """Each actor's side today ({actor id: (side id, side name)}), and in ``at`` the side of
    each assertion whose speaker's place in the hierarchy has dates, on the assertion's date
    (docs/design.md, Memberships over time). ``of`` is the side an assertion counts for."""

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[int, tuple[int, str]] = {}
        self.dated: set[int] = set()
        """The actors of the assertions in ``at``."""

    def of(self, actor_id: int, assertion_id: int) -> tuple[int, str] | None:
        return self.at.get(assertion_id) or self.get(actor_id)


def sides_from_rows(rows: list[tuple[Any, ...]]) -> Sides:
    sides = Sides()
    for actor_id, node, name, assertion_id in rows:
        if assertion_id is None:
            sides[int(actor_id)] = (int(node), name)
        else:
            sides.at[int(assertion_id)] = (int(node), name)
            sides.dated.add(int(actor_id))
    return sides


def sides_of(conn: Conn, actor_ids: Iterable[int]) -> Sides:
    """Each actor's side today (top-level ``part_of`` ancestor): {actor id: (side id, side
    name)}."""
    wanted = sorted(set(actor_ids))
    if not wanted:
        return Sides()
    r = Reader.of(conn)
    found = sides_from_rows(
        r.rows(sides_sql(f"actor AS ac WHERE {r.member('ac.id', 'ids')}"), {"ids": wanted})
    )
    return _own_sides(r, found, wanted)


def _own_sides(r: Reader, found: Sides, wanted: list[int]) -> Sides:
    """``found`` with every actor of ``wanted`` whose walk reached no top (a cycle written
    behind factdb's back) as its own side, as in the ``actor_side`` view."""
    if len(found) < len(wanted):
        names = dict(
            r.rows("SELECT id, name FROM actor WHERE " + r.member("id", "ids"), {"ids": wanted})
        )
        for actor_id in wanted:
            if actor_id not in found and actor_id in names:
                found[actor_id] = (actor_id, names[actor_id])
    return found


def assertion_sides(r: Reader, rows: list[tuple[Any, ...]]) -> Sides:
    """The sides of base rows (``BASE_SELECT``: id first, actor id fourth): today's for
    each actor, and on its date for each assertion whose speaker's membership has dates, in
    one walk per 20,000 assertions (``sides_sql`` seeded by the assertions)."""
    return sides_of_assertions(r, [row[0] for row in rows], [row[3] for row in rows])


def sides_of_assertions(r: Reader, assertion_ids: list[int], actor_ids: list[int]) -> Sides:
    """``assertion_sides`` of the assertions ``assertion_ids`` by the actors ``actor_ids``."""
    sides = Sides()
    ids = [int(i) for i in assertion_ids]
    for start in range(0, len(ids), 20_000):
        chunk = sides_from_rows(
            r.rows(
                sides_sql(ACTORS_OF_ASSERTIONS + r.member("a.id", "ids")),
                {"ids": ids[start : start + 20_000]},
            )
        )
        sides.update(chunk)
        sides.at.update(chunk.at)
        sides.dated |= chunk.dated
    return _own_sides(r, sides, sorted({int(i) for i in actor_ids}))


def dated_actor_ids(r: Reader) -> set[int]:
    """The actors whose side may depend on the date (``DATED_ACTORS``): the only ones that
    ``assertion_sides`` walks up again for each assertion."""
    return {
        int(actor_id)
        for (actor_id,) in r.rows(f"WITH RECURSIVE {DATED_ACTORS} SELECT actor_id FROM dated")
    }


def ancestor_ids(conn: Conn, actor_id: int) -> set[int]:
    """The ids of every actor above ``actor_id`` in the ``part_of`` hierarchy (``_walk_up``;
    in a cycle written behind factdb's back, every actor of the cycle but itself)."""
    r = Reader.of(conn)
    return {
        int(node)
        for (node,) in r.rows(
            _walk_up("actor AS ac WHERE ac.id = :id") + " SELECT up.node FROM up",
            {"id": actor_id},
        )
        if node != actor_id
    }


_VIAS_SELECT = (
    "SELECT v.assertion_id, ac.name FROM assertion_via AS v JOIN actor AS ac ON ac.id = v.actor_id"
)


def vias_from_rows(rows: Iterable[tuple[Any, ...]]) -> dict[int, list[str]]:
    """{assertion id: its via chain} from rows ordered by assertion and position."""
    vias: dict[int, list[str]] = {}
    for aid, name in rows:
        vias.setdefault(int(aid), []).append(name)
    return vias


def vias_of(r: Reader, assertion_ids: list[int]) -> dict[int, list[str]]:
    sql = (
        f"{_VIAS_SELECT} WHERE {r.member('v.assertion_id', 'ids')} "
        "ORDER BY v.assertion_id, v.position"
    )
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(assertion_ids), 20_000):
        rows += r.rows(sql, {"ids": assertion_ids[start : start + 20_000]})
    return vias_from_rows(rows)


def vias_between(r: Reader, first: int, last: int) -> dict[int, list[str]]:
    """Via chains of the assertions with ids from ``first`` to ``last``: the export reads in
    id order, and a range walks the index where a 20,000-id list made SQLite scan the table."""
    return vias_from_rows(
        r.rows(
            f"{_VIAS_SELECT} WHERE v.assertion_id BETWEEN :first AND :last "
            "ORDER BY v.assertion_id, v.position",
            {"first": first, "last": last},
        )
    )


@lru_cache(maxsize=4096)
def date_text(value: Any, precision: str) -> tuple[dt.date, str]:
    """A stored date as (first day, text as given); dates repeat, so this is cached."""
    start = stored_date(value)
    return start, format_partial(start, precision)


def resolve_assertion(
    rows: list[tuple[Any, ...]],
    sides: Sides,
    vias: dict[int, list[str]],
    texts: dict[int, str] | None = None,
) -> list[dict[str, Any]]:
    """Base rows (``BASE_SELECT``; ``CLAIMS_BASE_SELECT`` with the claims' ``texts``) with
    their sides and via chains, as data (stable field names and
    order): the rows of the ``assertion_detail`` view, which tests/test_queries.py holds them
    to."""
    out = []
    for (
        aid,
        claim_id,
        claim,
        actor_id,
        actor,
        kind,
        stance,
        date,
        precision,
        source_id,
        url,
        outlet,
        title,
        published,
        published_precision,
        quote,
        recorded_at,
        retracted_at,
        reason,
        qualifier,
        qualifier_note,
        approximate,
        outlet_id,
        first_relay,
    ) in rows:
        start, text_ = date_text(date, precision)
        side = sides.of(actor_id, aid)
        approximate = bool(approximate)
        out.append(
            {
                "id": aid,
                "claim_id": claim_id,
                "claim": claim if texts is None else texts[claim_id],
                "actor": actor,
                "actor_kind": kind,
                "side": actor if side is None else side[1],
                "stance": stance,
                "polarity": POLARITY[stance],
                "date": APPROXIMATE + text_ if approximate else text_,
                "date_start": start.isoformat(),
                "date_precision": precision,
                "source": {
                    "id": source_id,
                    "url": url,
                    "outlet": outlet,
                    "outlet_id": outlet_id,
                    "title": title,
                    "published": stored_text(published, published_precision),
                },
                "via": vias.get(aid, []),
                "quote": quote,
                "recorded_at": timestamp_text(recorded_at),
                "retracted": retracted_at is not None,
                "retracted_at": timestamp_text(retracted_at),
                "retraction_reason": reason,
                "qualifier": qualifier,
                "qualifier_note": qualifier_note,
                "date_approximate": approximate,
                "origin": origin_key(actor_id, text_, first_relay),
            }
        )
    return out


def resolve_rows(r: Reader, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """``resolve_assertion`` for base rows selected by any condition: their sides and via chains are
    read by id."""
    if not rows:
        return []
    return resolve_assertion(
        rows, assertion_sides(r, rows), vias_of(r, [int(row[0]) for row in rows])
    )


def assertion_scope(
    conn: Conn, filters: Filters, *, retracted: bool | None = None
) -> tuple[Sql, str]:
    """The condition on assertion ``a`` selecting the counted assertions of the claims that
    match ``filters`` (``limit`` included): shared by the timeline, ``sides_in`` and the
    export. ``retracted`` overrides ``include_retracted`` for the assertions selected (not
    for the conditions that pick the claims): JSON Lines carries retractions."""
    r = Reader.of(conn)
    q = Sql(r)
    own = (
        filters
        if retracted is None
        else Filters(**{**filters.__dict__, "include_retracted": retracted})
    )
    scope = counted_condition(own, "a", q)
    claim_conditions(filters, q)
    if q.where:
        scope += (
            " AND a.claim_id IN (SELECT c.id FROM claim AS c WHERE " + " AND ".join(q.where) + ")"
        )
    if filters.limit is not None:
        q.params["limit_ids"] = matching_claim_ids(r, filters)
        scope += " AND " + r.member("a.claim_id", "limit_ids")
    return q, scope


def sides_in(conn: Conn, filters: Filters) -> list[str]:
    """The sides that took a counted stance on the matching claims, by name."""
    q, scope = assertion_scope(conn, filters)
    sides = sides_from_rows(q.rows(sides_sql(ACTORS_OF_ASSERTIONS + scope)))
    today = (side for actor_id, (_, side) in sides.items() if actor_id not in sides.dated)
    return sorted({*today, *(side for _, side in sides.at.values())})


def assertions_where(
    conn: Conn, condition: str, params: dict[str, Any], order: str
) -> list[dict[str, Any]]:
    """Assertion rows (as in ``assertion_detail``) under a condition on assertion ``a``."""
    r = Reader.of(conn)
    return resolve_rows(r, r.rows(f"{BASE_SELECT} WHERE {condition} ORDER BY {order}", params))


Statement = tuple[str, dict[str, Any]]


CLAIMS_BASE_SELECT = BASE_SELECT.replace(" c.text,", " NULL,", 1).replace(
    " JOIN claim AS c ON c.id = a.claim_id", "", 1
)
"""``BASE_SELECT`` for reads keyed by claim, which read the claims' texts once, apart: one
join fewer to plan (PostgreSQL spent 0.22 of show's 0.34 ms planning the four-way join)."""


def claims_scope(r: Reader, claim_ids: Sequence[int], filters: Filters) -> Sql:
    """The condition (``where[0]``) on assertion ``a`` selecting the counted assertions of
    these claims, with its parameters: the scope of ``detail_statements``."""
    q = Sql(r)
    claims = r.member_of("a.claim_id", "claim_ids", claim_ids, q.params)
    q.where.append(f"{claims} AND {counted_condition(filters, 'a', q)}")
    return q


SHOW_COLUMNS = (
    ", a.supersedes_id, a.folded_into_id, (SELECT o.name FROM actor AS o WHERE o.id = s.outlet_id)"
)
"""SQL: what ``show`` adds to the columns of ``CLAIMS_BASE_SELECT`` (``detail_statements``
with ``show``): the correction links of assertion ``a`` and the name of its source's outlet
actor (``outlets.attach_outlets``)."""


def detail_statements(
    r: Reader, claim_ids: Sequence[int], filters: Filters, *, show: bool = False
) -> list[Statement]:
    """The four independent reads behind the ``assertion_detail`` rows of these claims (the
    claims' texts, tags and sanctions, the rows, their actors' sides, their via chains), for
    one ``Reader.batch``. ``show``: with what ``show`` adds to them, one statement fewer
    each: the sanctions imposed in response (``claims_statement``), and each row's correction
    links and outlet actor (``SHOW_COLUMNS`` after its base columns)."""
    q = claims_scope(r, claim_ids, filters)
    scope = q.where[0]
    select = CLAIMS_BASE_SELECT
    if show:
        select = select.replace(" FROM assertion AS a ", SHOW_COLUMNS + " FROM assertion AS a ", 1)
    return [
        claims_statement(r, claim_ids, answered=show),
        (f"{select} WHERE {scope} ORDER BY a.claim_id, a.date, a.id", q.params),
        (
            sides_sql(ACTORS_OF_ASSERTIONS + scope),
            q.params,
        ),
        (
            f"{_VIAS_SELECT} JOIN assertion AS a ON a.id = v.assertion_id WHERE {scope} "
            "ORDER BY v.assertion_id, v.position",
            q.params,
        ),
    ]


def assertion_rows(conn: Conn, claim_ids: Sequence[int], filters: Filters) -> list[dict[str, Any]]:
    """The ``assertion_detail`` rows of these claims that count under ``filters``."""
    if not claim_ids:
        return []
    r = Reader.of(conn)
    claims, rows, sides, vias = r.batch(detail_statements(r, claim_ids, filters))
    return resolve_assertion(
        rows, sides_from_rows(sides), vias_from_rows(vias), claim_parts_from_rows(claims)[0]
    )


def iso_date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return str(value.isoformat())
    if isinstance(value, dt.date):
        return str(value.isoformat())
    return str(value)


def timestamp_text(value: Any) -> str | None:
    """UTC timestamps as ISO 8601 with offset; SQLite hands them back as naive text (an
    import stamps every row alike, so the text form is cached)."""
    if isinstance(value, str):
        return _timestamp_text(value)
    return iso_date(value)


@lru_cache(maxsize=1024)
def _timestamp_text(value: str) -> str | None:
    return iso_date(dt.datetime.fromisoformat(value))


def claims_statement(r: Reader, claim_ids: Sequence[int], *, answered: bool = False) -> Statement:
    """One read of the claims themselves: rows (0, id, text), (1, id, tag) and
    (2, id, sanction name), tags and names sorted (``claim_parts_from_rows`` splits them);
    ``answered``: and (3, id, name) of each sanction imposed in response to the claim
    (``answered_from_rows``)."""
    params: dict[str, Any] = {}

    def of_claims(column: str) -> str:
        return r.member_of(column, "ids", claim_ids, params)

    responses = (
        "UNION ALL SELECT 3, x.claim_id, s.name FROM sanction_response AS x "
        f"JOIN sanction AS s ON s.id = x.sanction_id WHERE {of_claims('x.claim_id')} "
        if answered
        else ""
    )
    return (
        f"SELECT 0, c.id, c.text FROM claim AS c WHERE {of_claims('c.id')} "
        "UNION ALL SELECT 1, t.claim_id, t.tag FROM claim_tag AS t "
        f"WHERE {of_claims('t.claim_id')} "
        "UNION ALL SELECT 2, cs.claim_id, s.name FROM claim_sanction AS cs "
        f"JOIN sanction AS s ON s.id = cs.sanction_id WHERE {of_claims('cs.claim_id')} "
        f"{responses}ORDER BY 1, 2, 3",
        params,
    )


ClaimParts = tuple[dict[int, str], dict[int, list[str]], dict[int, list[str]]]


def claim_parts_from_rows(rows: Iterable[tuple[Any, ...]]) -> ClaimParts:
    """({id: text}, {id: tags}, {id: sanction names}) from ``claims_statement`` rows."""
    texts: dict[int, str] = {}
    lists: tuple[dict[int, list[str]], dict[int, list[str]]] = (
        defaultdict(list),
        defaultdict(list),
    )
    for kind, claim_id, value in rows:
        if kind == 0:
            texts[int(claim_id)] = value
        elif kind < 3:
            lists[kind - 1][int(claim_id)].append(value)
    return texts, lists[0], lists[1]


def answered_from_rows(rows: Iterable[tuple[Any, ...]]) -> dict[int, list[str]]:
    """{claim id: names of the sanctions imposed in response, sorted} from the rows of
    ``claims_statement`` with ``answered`` (``sanctions.answered_by`` reads the same)."""
    out: dict[int, list[str]] = defaultdict(list)
    for kind, claim_id, value in rows:
        if kind == 3:
            out[int(claim_id)].append(str(value))
    return out


def claim_parts(conn: Conn, claim_ids: Sequence[int]) -> ClaimParts:
    """The texts, tags and sanction names of these claims (``claim_parts_from_rows``)."""
    if not claim_ids:
        return {}, {}, {}
    r = Reader.of(conn)
    return claim_parts_from_rows(r.rows(*claims_statement(r, claim_ids)))


def claims_with_rows(
    conn: Conn, claim_ids: Sequence[int], filters: Filters
) -> list[tuple[int, str, list[dict[str, Any]]]]:
    """(id, text, counted assertion rows) for each claim, in the order given."""
    if not claim_ids:
        return []
    r = Reader.of(conn)
    claims, rows, sides, vias = r.batch(detail_statements(r, claim_ids, filters))
    text_of = claim_parts_from_rows(claims)[0]
    by_claim: dict[int, list[dict[str, Any]]] = {cid: [] for cid in claim_ids}
    for row in resolve_assertion(rows, sides_from_rows(sides), vias_from_rows(vias), text_of):
        by_claim[row["claim_id"]].append(row)
    return [(cid, text_of[cid], rows) for cid, rows in by_claim.items()]
