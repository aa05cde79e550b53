"""The reads behind ``factdb export`` and the timeline report, streamed in chunks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from factdb.core.csvsafe import escape_formula, escape_formula_sql
from factdb.core.dates import APPROXIMATE, stored_text
from factdb.core.keys import name_key
from factdb.core.vocabulary import POLARITY
from factdb.storage.reader import Reader

if TYPE_CHECKING:
    pass

from factdb.queries.assertions import (
    Sides,
    assertion_scope,
    claim_parts,
    dated_actor_ids,
    sides_of,
    sides_of_assertions,
    vias_between,
)
from factdb.queries.base import (
    SANCTION_COLUMNS,
    SANCTION_FROM,
    Conn,
    Filters,
    Sql,
    actor_keys,
    sanction_fields,
)
from factdb.queries.identifiers import all_actor_external_ids, all_sanction_external_ids
from factdb.queries.sanctions import sanction_targets
from factdb.queries.selection import (
    claim_conditions,
)

TIMELINE_TEXT_SQL = (
    (
        "{id}",
        "{date}",
        "coalesce(a.date_precision, '')",
        "{claim_id}",
        "{claim}",
        "{actor}",
        "coalesce(ac.kind, '')",
    ),
    ("coalesce(a.stance, '')", "{polarity}", "{via}", "{quote}")
    + ("{url}", "{outlet}", "{title}", "{published}"),
    ("{retraction_reason}", "coalesce(a.qualifier, '')", "{qualifier_note}"),
)
"""The three runs of the timeline report's columns that the database writes as text (the
columns between them need Python: the side, the timestamps, whether retracted)."""

UNIT_SEPARATOR = "\x1f"
"""What joins the fields of a run of ``TimelineChunk``: a control character that text seldom
holds (where it does, the run splits into too many fields, and ``TimelineChunk.fields``
reads them apart)."""


@dataclass
class TimelineChunk:
    rows: list[tuple[Any, ...]]
    """(assertion id, actor id, recorded_at, retracted_at, then the three runs of
    ``TIMELINE_TEXT_SQL``, the text of each run's fields joined with ``UNIT_SEPARATOR``:
    assertion_id to actor_kind, stance to source_published, retraction_reason to
    qualifier_note): text formula-escaped, empty for none; the timestamps as stored. One
    value per run, not per field: reading each field as a Python object took a tenth of the
    report's time."""
    sides: Sides
    """The sides of these rows (``assertions.Sides``)."""
    fields: Callable[[int], list[str]]
    """The text fields of the three runs of one assertion, by its id, read again: for a row
    whose text holds ``UNIT_SEPARATOR``."""


TIMELINE_HEAD = 4
"""How many fields of a ``TimelineChunk`` row come before the text columns."""


def timeline_chunks(
    conn: Conn, filters: Filters, chunk_size: int = 20_000
) -> Iterator[TimelineChunk]:
    """Every counted assertion of the matching claims in date order, in bounded chunks read
    from one ordered query as they are consumed (no index orders assertions by date, so paging
    by (date, id) sorted the whole table once per page: 80 s at a million rows). The database
    writes the columns it can as text, as ``export_flat`` does: formula-escaped
    (``csvsafe.escape_formula_sql``), dates as given, via chains joined, numbers as Python
    prints them."""
    q, scope = assertion_scope(conn, filters)
    r = q.r

    def e(column: str) -> str:
        return escape_formula_sql(column, sqlite=not r.postgresql)

    polarity = " ".join(
        f"WHEN '{stance.value}' THEN '{value}'" for stance, value in POLARITY.items()
    )
    values = {
        "id": "CAST(a.id AS TEXT)",
        "date": given_date_sql(r),
        "claim_id": "CAST(a.claim_id AS TEXT)",
        "claim": e("c.text"),
        "actor": e("ac.name"),
        "polarity": f"CASE a.stance {polarity} ELSE '' END",
        "via": via_text_sql(r),
        "quote": e("a.quote"),
        "url": e("s.url"),
        "outlet": e("s.outlet"),
        "title": e("s.title"),
        "published": (
            f"coalesce({partial_date_sql(r, 's.published', 's.published_precision')}, '')"
        ),
        "retraction_reason": e("a.retraction_reason"),
        "qualifier_note": e("a.qualifier_note"),
    }
    # Every field is text, never NULL: ``||`` joins them.
    joined = " || chr(31) || " if r.postgresql else " || char(31) || "
    runs = ", ".join(joined.join(f.format(**values) for f in run) for run in TIMELINE_TEXT_SQL)
    tables = (
        "FROM assertion AS a JOIN claim AS c ON c.id = a.claim_id "
        "JOIN actor AS ac ON ac.id = a.actor_id JOIN source AS s ON s.id = a.source_id"
    )
    sql = (
        f"SELECT a.id, a.actor_id, a.recorded_at, a.retracted_at, {runs} {tables} "
        f"WHERE {scope} ORDER BY a.date, a.id"
    )
    each = ", ".join(f.format(**values) for run in TIMELINE_TEXT_SQL for f in run)
    apart = f"SELECT {each} {tables} WHERE a.id = :id"

    def fields(assertion_id: int) -> list[str]:
        return [str(value) for value in r.rows(apart, {"id": assertion_id})[0]]

    # Today's sides by actor, walked once for each (a few thousand actors, where one walk
    # seeded by each chunk's assertions took a quarter of the report's time); on their dates
    # only for the assertions of actors whose side may change (none without dated memberships).
    today = Sides()
    dated = dated_actor_ids(r)
    for rows in r.stream(sql, q.params, chunk_size):
        actors = {row[1] for row in rows}
        new = sorted(actors - today.keys())
        if new:
            today.update(sides_of(r, new))
        sides = Sides()
        sides.update((actor, today[actor]) for actor in actors if actor in today)
        if dated:
            seen = [(row[0], row[1]) for row in rows if row[1] in dated]
            if seen:
                on_dates = sides_of_assertions(r, [i for i, _ in seen], [a for _, a in seen])
                sides.at, sides.dated = on_dates.at, on_dates.dated
        yield TimelineChunk(rows, sides, fields)


def sources_in(conn: Conn, filters: Filters) -> list[dict[str, Any]]:
    """The sources of the counted assertions of the matching claims (the assertions of the
    timeline report under the same filters), in id order, each with how many of those
    assertions it carries and on how many claims."""
    q, scope = assertion_scope(conn, filters)
    rows = q.rows(
        "SELECT s.id, s.url, s.outlet, s.title, s.published, s.published_precision, "
        "count(*), count(DISTINCT a.claim_id) "
        "FROM assertion AS a JOIN source AS s ON s.id = a.source_id "
        f"WHERE {scope} GROUP BY s.id, s.url, s.outlet, s.title, s.published, "
        "s.published_precision ORDER BY s.id"
    )
    return [
        {
            "id": int(sid),
            "url": url,
            "outlet": outlet,
            "title": title,
            "published": stored_text(published, precision),
            "assertions": int(assertions),
            "claims": int(claims),
        }
        for sid, url, outlet, title, published, precision, assertions, claims in rows
    ]


# --- the export ------------------------------------------------------------------------------


def export_assertions(
    conn: Conn, filters: Filters, chunk_size: int = 20_000
) -> Iterator[list[dict[str, Any]]]:
    """Every assertion of the matching claims, retracted ones included (the caller decides),
    in id order and bounded chunks, with names, via chains, tags and sanctions resolved."""
    q, where = assertion_scope(conn, Filters(**{**filters.__dict__, "limit": None}), retracted=True)
    r = q.r
    names = (
        "id, claim, actor, stance, date, date_precision, source_url, outlet, title, published, "
        "published_precision, quote, recorded_at, retracted_at, retraction_reason, "
        "qualifier, qualifier_note, date_approximate, claim_id"
    ).split(", ")
    q.params["last_id"], q.params["chunk"] = 0, chunk_size
    while True:
        rows = q.rows(
            "SELECT a.id, c.text, ac.name, a.stance, a.date, a.date_precision, s.url, s.outlet, "
            "s.title, s.published, s.published_precision, a.quote, a.recorded_at, "
            "a.retracted_at, a.retraction_reason, a.qualifier, a.qualifier_note, "
            "a.date_approximate, a.claim_id "
            "FROM assertion AS a JOIN claim AS c ON c.id = a.claim_id "
            "JOIN actor AS ac ON ac.id = a.actor_id JOIN source AS s ON s.id = a.source_id "
            f"WHERE {where} AND a.id > :last_id ORDER BY a.id LIMIT :chunk"
        )
        if not rows:
            return
        ids = [int(row[0]) for row in rows]
        vias = vias_between(r, ids[0], ids[-1])
        claim_ids = sorted({int(row[-1]) for row in rows})
        _, tags, violates = claim_parts(r, claim_ids)
        chunk = []
        for row in rows:
            d = dict(zip(names, row, strict=True))
            d["via"] = vias.get(int(d["id"]), [])
            d["tags"] = tags.get(int(d["claim_id"]), [])
            d["violates"] = violates.get(int(d["claim_id"]), [])
            chunk.append(d)
        yield chunk
        q.params["last_id"] = ids[-1]


def partial_date_sql(r: Reader, column: str, precision: str) -> str:
    """SQL: stored date ``column`` of precision ``precision`` as given (``stored_text``),
    NULL without either."""
    if r.postgresql:
        year, month, day = (f"to_char({column}, '{f}')" for f in ("YYYY", "YYYY-MM", "YYYY-MM-DD"))
    else:
        year, month, day = (f"substr({column}, 1, {n})" for n in (4, 7, 10))
    return (
        f"CASE WHEN {precision} IS NULL THEN NULL WHEN {precision} = 'year' THEN {year} "
        f"WHEN {precision} = 'month' THEN {month} ELSE {day} END"
    )


def given_date_sql(r: Reader) -> str:
    """SQL: the date of assertion ``a`` as given (``format_given``: ``~`` in front of an
    approximate one), from its first day as stored (ISO text on SQLite, a date on PostgreSQL)."""
    return f"CASE WHEN a.date_approximate THEN '{APPROXIMATE}' ELSE '' END || " + partial_date_sql(
        r, "a.date", "a.date_precision"
    )


def via_text_sql(r: Reader) -> str:
    """SQL: the via chain of assertion ``a``, names joined with ``"; "`` in position order and
    formula-escaped, the empty text without one. SQLite (before 3.44) has no ORDER BY inside
    an aggregate: it joins the rows in the order it visits them, and CROSS JOIN makes it walk
    ``assertion_via`` first, along its primary key (assertion, position); an ordered subquery
    instead took 0.7 s more per 200,000 assertions with four or five relays each."""
    if r.postgresql:
        joined = escape_formula_sql("string_agg(x.name, '; ' ORDER BY v.position)")
        return (
            f"(SELECT {joined} FROM assertion_via AS v JOIN actor AS x ON x.id = v.actor_id "
            "WHERE v.assertion_id = a.id)"
        )
    joined = escape_formula_sql("group_concat(x.name, '; ')", sqlite=True)
    return (
        f"(SELECT {joined} FROM assertion_via AS v CROSS JOIN actor AS x "
        "ON x.id = v.actor_id WHERE v.assertion_id = a.id)"
    )


@dataclass
class FlatChunk:
    rows: list[tuple[Any, ...]]
    """(claim, actor, stance, date, source_url, outlet, title, quote, via, claim id,
    qualifier, qualifier_note): the columns of the flat CSV format without tags and
    sanctions, every one text (empty for none) but the claim id, formula-escaped."""
    tags: dict[int, str]
    """{claim id: its tags joined with ``"; "``, formula-escaped} for those that have any."""
    violates: dict[int, str]
    """{claim id: the names of its sanctions, as ``tags``}."""


def export_flat(conn: Conn, filters: Filters, chunk_size: int = 20_000) -> Iterator[FlatChunk]:
    """The rows of the flat CSV interchange format (``interchange.CSV_COLUMNS``) for the
    matching claims, formula-escaped, in assertion id order and bounded chunks read from one
    query as they are consumed: the database writes every value as text (dates as given, via
    chains joined), so that a line is Python's ``",".join`` of the fields. Retracted
    assertions only with ``include_retracted`` (the flat format has no retraction columns)."""
    q, where = assertion_scope(conn, Filters(**{**filters.__dict__, "limit": None}))
    r = q.r

    def e(column: str) -> str:
        return escape_formula_sql(column, sqlite=not r.postgresql)

    sql = (
        f"SELECT {e('c.text')}, {e('ac.name')}, coalesce(a.stance, ''), {given_date_sql(r)}, "
        f"{e('s.url')}, {e('s.outlet')}, {e('s.title')}, {e('a.quote')}, {via_text_sql(r)}, "
        f"a.claim_id, coalesce(a.qualifier, ''), {e('a.qualifier_note')} "
        "FROM assertion AS a JOIN claim AS c ON c.id = a.claim_id "
        "JOIN actor AS ac ON ac.id = a.actor_id JOIN source AS s ON s.id = a.source_id "
        f"WHERE {where} ORDER BY a.id"
    )

    def joined(lists: dict[int, list[str]]) -> dict[int, str]:
        return {key: str(escape_formula("; ".join(values))) for key, values in lists.items()}

    for rows in r.stream(sql, q.params, chunk_size):
        _, tags, violates = claim_parts(r, sorted({row[9] for row in rows}))
        yield FlatChunk(rows, joined(tags), joined(violates))


def export_entities(conn: Conn, filters: Filters | None = None) -> Iterator[dict[str, Any]]:
    """Every actor (parents before their parts), source and sanction as interchange records,
    in a stable order; sources are streamed. Actors and sanctions that have external ids carry
    them (``ids``, ``scheme:value``).

    A source's outlet is written as given; an import finds its actor by that name (or
    creates one of kind ``media``). Where that would not be the source's outlet actor (the
    actor was renamed, or the source has none), the record says which it is:
    ``outlet_actor``, its name or null."""
    r = Reader.of(conn)
    keys = actor_keys(r)
    names = {int(i): str(n) for i, n in r.rows("SELECT id, name FROM actor")}
    named: dict[str, int | None] = {}  # outlet -> the actor it names
    aliases: dict[int, list[str]] = defaultdict(list)
    for actor_id, alias in r.rows(
        "SELECT actor_id, alias FROM actor_alias ORDER BY actor_id, alias"
    ):
        aliases[int(actor_id)].append(alias)
    since = {
        int(i): stored_text(d, p)
        for i, d, p in r.rows(
            "SELECT id, part_of_since, part_of_since_precision FROM actor "
            "WHERE part_of_since IS NOT NULL"
        )
    }
    ended: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for actor_id, parent, start, start_p, until, until_p in r.rows(
        "SELECT m.actor_id, p.name, m.since, m.since_precision, m.until, m.until_precision "
        "FROM actor_membership AS m JOIN actor AS p ON p.id = m.parent_id "
        "ORDER BY m.actor_id, m.until, m.id"
    ):
        ended[int(actor_id)].append(
            {
                "parent": parent,
                "since": stored_text(start, start_p),
                "until": stored_text(until, until_p),
            }
        )
    periods: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for actor_id, alias, start, start_p, until, until_p in r.rows(
        "SELECT actor_id, alias, since, since_precision, until, until_precision FROM actor_alias "
        "WHERE since IS NOT NULL OR until IS NOT NULL ORDER BY actor_id, alias"
    ):
        periods[int(actor_id)].append(
            {
                "alias": alias,
                "since": stored_text(start, start_p),
                "until": stored_text(until, until_p),
            }
        )
    actor_ids = all_actor_external_ids(r)
    for actor_id, name, kind, part_of in r.rows(
        "SELECT s.actor_id, s.actor, s.kind, s.part_of FROM actor_side AS s "
        "ORDER BY s.depth, s.actor_id"
    ):
        record: dict[str, Any] = {
            "type": "actor",
            "name": name,
            "kind": kind,
            "part_of": part_of,
            "aliases": aliases.get(int(actor_id), []),
        }
        # Written only when there are: files of databases without them stay as they were.
        if int(actor_id) in actor_ids:
            record["ids"] = actor_ids[int(actor_id)]
        if int(actor_id) in since:
            record["part_of_since"] = since[int(actor_id)]
        if int(actor_id) in ended:
            record["memberships"] = ended[int(actor_id)]
        if int(actor_id) in periods:
            record["alias_periods"] = periods[int(actor_id)]
        yield record
    for chunk in r.stream(
        "SELECT url, outlet, title, published, published_precision, updated, updated_precision, "
        "outlet_id FROM source ORDER BY id"
    ):
        for (
            url,
            outlet,
            title,
            published,
            published_precision,
            updated,
            updated_precision,
            outlet_id,
        ) in chunk:
            record = {
                "type": "source",
                "url": url,
                "outlet": outlet,
                "title": title,
                "published": stored_text(published, published_precision),
                "updated": stored_text(updated, updated_precision),
            }
            if outlet is None:
                if outlet_id is not None:
                    record["outlet_actor"] = names[int(outlet_id)]
            else:
                if outlet not in named:
                    named[outlet] = keys.get(name_key(outlet))
                expected = named[outlet]
                if expected is None or outlet_id is None or int(outlet_id) != expected:
                    record["outlet_actor"] = None if outlet_id is None else names[int(outlet_id)]
            yield record
    yield from _sanction_records(r, keys, filters)


def _sanction_records(
    r: Reader, keys: dict[str, int], filters: Filters | None
) -> Iterator[dict[str, Any]]:
    """Every sanction as a record: its authority as given (and ``authority_actor`` where
    that name would not find its actor, as a source's ``outlet_actor``), ``targets`` with
    their dates, and ``responds_to``: the texts of the claims it was imposed in response to,
    those ``filters`` choose (all without filters)."""
    targets = sanction_targets(r)
    sanction_ids = all_sanction_external_ids(r)
    q = Sql(r)
    if filters is not None:
        claim_conditions(filters, q)
    where = f" WHERE {' AND '.join(q.where)}" if q.where else ""
    responses: dict[int, list[str]] = defaultdict(list)
    for sid, claim in q.rows(
        "SELECT x.sanction_id, c.text FROM sanction_response AS x JOIN claim AS c "
        f"ON c.id = x.claim_id{where} ORDER BY x.sanction_id, c.id"
    ):
        responses[int(sid)].append(str(claim))
    for sid, *row in r.rows(f"SELECT s.id, {SANCTION_COLUMNS} {SANCTION_FROM} ORDER BY s.id"):
        fields = sanction_fields(*row)
        record: dict[str, Any] = {"type": "sanction", "name": fields["name"]}
        authority, actor_id = fields["authority"], fields["authority_id"]
        record["authority"] = authority
        if (authority is None and actor_id is not None) or (
            authority is not None and keys.get(name_key(authority)) != actor_id
        ):
            record["authority_actor"] = fields["authority_actor"]
        record.update(
            programme=fields["programme"],
            adopted=fields["adopted"],
            targets=[
                {"actor": t["actor"], "listed": t["listed"], "delisted": t["delisted"]}
                for t in targets.get(int(sid), [])
            ],
            responds_to=responses.get(int(sid), []),
            measures=fields["measures"],
            url=fields["url"],
        )
        if int(sid) in sanction_ids:
            record["ids"] = sanction_ids[int(sid)]
        yield record


def export_claims(
    conn: Conn, filters: Filters, chunk_size: int = 20_000
) -> Iterator[list[tuple[int, str, list[str], list[str]]]]:
    """(id, text, tags, sanctions) of every matching claim, in id order and bounded chunks."""
    r = Reader.of(conn)
    q = Sql(r)
    claim_conditions(filters, q)
    where = " AND ".join([*q.where, "c.id > :last_id"])
    q.params["last_id"], q.params["chunk"] = 0, chunk_size
    while True:
        ids = [
            int(c[0])
            for c in q.rows(f"SELECT c.id FROM claim AS c WHERE {where} ORDER BY c.id LIMIT :chunk")
        ]
        if not ids:
            return
        texts, tags, violates = claim_parts(r, ids)
        yield [(cid, texts[cid], tags.get(cid, []), violates.get(cid, [])) for cid in ids]
        q.params["last_id"] = ids[-1]


def export_relations(conn: Conn, filters: Filters) -> list[tuple[str, str, str]]:
    """(claim, kind, other claim) of every relation between two matching claims, in id order
    (``claim_relation``: a symmetric kind with the lower id first)."""
    r = Reader.of(conn)
    q = Sql(r)
    claim_conditions(filters, q)
    sql = (
        "SELECT c1.text, r.kind, c2.text FROM claim_relation AS r "
        "JOIN claim AS c1 ON c1.id = r.claim_id JOIN claim AS c2 ON c2.id = r.other_claim_id"
    )
    if q.where:
        matching = "SELECT c.id FROM claim AS c WHERE " + " AND ".join(q.where)
        sql += f" WHERE r.claim_id IN ({matching}) AND r.other_claim_id IN ({matching})"
    return [(str(a), str(k), str(b)) for a, k, b in q.rows(sql + " ORDER BY r.id")]


RATING_NAMES = (
    "actor, grade, rated_by, rated_at, reason, claim, assertion_actor, stance, date, "
    "date_precision, date_approximate, source_url, outlet, title, published, published_precision"
).split(", ")
"""The fields of the rows of ``export_ratings``."""


def export_ratings(conn: Conn, filters: Filters) -> Iterator[list[dict[str, Any]]]:
    """Every rating, in id order and chunks: of every actor, and of the assertions that the
    export writes (those of the matching claims, retracted ones included), each with the
    fields that name its assertion (``actor`` is None for those)."""
    q, where = assertion_scope(conn, Filters(**{**filters.__dict__, "limit": None}), retracted=True)
    sql = (
        "SELECT g.id, ac.name, g.grade, g.rated_by, g.rated_at, g.reason, c.text, aa.name, "
        "a.stance, a.date, a.date_precision, a.date_approximate, s.url, s.outlet, s.title, "
        "s.published, s.published_precision FROM rating AS g "
        "LEFT JOIN actor AS ac ON ac.id = g.actor_id "
        "LEFT JOIN assertion AS a ON a.id = g.assertion_id "
        "LEFT JOIN claim AS c ON c.id = a.claim_id "
        "LEFT JOIN actor AS aa ON aa.id = a.actor_id "
        "LEFT JOIN source AS s ON s.id = a.source_id "
        f"WHERE (g.actor_id IS NOT NULL OR ({where})) ORDER BY g.id"
    )
    for rows in q.r.stream(sql, q.params):
        yield [dict(zip(RATING_NAMES, row[1:], strict=True)) for row in rows]
