"""The reads behind ``factdb export`` and the timeline report, streamed in chunks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from factdb.core.csvsafe import escape_formula, escape_formula_sql
from factdb.core.dates import stored_text
from factdb.storage.reader import Reader

if TYPE_CHECKING:
    pass

from factdb.queries.assertions import (
    BASE_SELECT,
    assertion_scope,
    claim_parts,
    date_text,
    sides_of,
    vias_between,
    vias_of,
)
from factdb.queries.base import (
    SANCTION_COLUMNS,
    SANCTION_FROM,
    Conn,
    Filters,
    Sql,
    sanction_fields,
)
from factdb.queries.selection import (
    claim_conditions,
)

TIMELINE_COLUMNS = (
    "assertion_id, claim_id, claim, actor_id, actor, actor_kind, stance, date, date_precision, "
    "source_id, source_url, outlet, source_title, published, published_precision, quote, "
    "recorded_at, retracted_at, retraction_reason, qualifier, qualifier_note, date_approximate, "
    "outlet_id, first_relay_id"
).split(", ")
"""The columns of the rows of ``timeline_chunks`` (those of ``BASE_SELECT``)."""


@dataclass
class TimelineChunk:
    rows: list[tuple[Any, ...]]
    """Base rows, columns as in ``TIMELINE_COLUMNS``."""
    sides: dict[int, tuple[int, str]]
    """{actor id: (side id, side name)} for the actors of these rows."""
    vias: dict[int, list[str]]
    """{assertion id: via chain} for the rows that have one."""


def timeline_chunks(
    conn: Conn, filters: Filters, chunk_size: int = 20_000
) -> Iterator[TimelineChunk]:
    """Every counted assertion of the matching claims in date order, text formula-escaped
    for CSV (``csvsafe.escape_formula_sql``), in bounded chunks read from one ordered query as
    they are consumed (no index orders assertions by date, so paging by (date, id) sorted the whole
    table once per page: 80 s at a million rows)."""
    q, scope = assertion_scope(conn, filters)
    select = BASE_SELECT
    for column in (
        "c.text",
        "ac.name",
        "s.url",
        "s.outlet",
        "s.title",
        "a.quote",
        "a.retraction_reason",
        "a.qualifier_note",
    ):
        select = select.replace(f" {column},", f" {escape_formula_sql(column)},", 1)
    sql = f"{select} WHERE {scope} ORDER BY a.date, a.id"
    for rows in q.r.stream(sql, q.params, chunk_size):
        yield TimelineChunk(
            rows,
            sides_of(q.r, (row[3] for row in rows)),
            vias_of(q.r, [int(row[0]) for row in rows]),
        )


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
        "published_precision, quote, recorded_at, retracted_at, retraction_reason, claim_id"
    ).split(", ")
    q.params["last_id"], q.params["chunk"] = 0, chunk_size
    while True:
        rows = q.rows(
            "SELECT a.id, c.text, ac.name, a.stance, a.date, a.date_precision, s.url, s.outlet, "
            "s.title, s.published, s.published_precision, a.quote, a.recorded_at, "
            "a.retracted_at, a.retraction_reason, a.claim_id "
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


def export_flat(
    conn: Conn, filters: Filters, chunk_size: int = 20_000
) -> Iterator[list[tuple[str, ...]]]:
    """The rows of the flat CSV interchange format (``interchange.CSV_COLUMNS``) for the
    matching claims, formula-escaped, in assertion id order and bounded chunks. Retracted
    assertions only with ``include_retracted`` (the flat format has no retraction columns)."""
    q, where = assertion_scope(conn, Filters(**{**filters.__dict__, "limit": None}))
    r = q.r
    q.params["last_id"], q.params["chunk"] = 0, chunk_size
    e = escape_formula_sql
    sql = (
        f"SELECT a.id, a.claim_id, {e('c.text')}, {e('ac.name')}, a.stance, "
        f"{e('s.url')}, {e('s.outlet')}, {e('s.title')}, {e('a.quote')}, a.date, a.date_precision "
        "FROM assertion AS a JOIN claim AS c ON c.id = a.claim_id "
        "JOIN actor AS ac ON ac.id = a.actor_id JOIN source AS s ON s.id = a.source_id "
        f"WHERE {where} AND a.id > :last_id ORDER BY a.id LIMIT :chunk"
    )

    def joined(lists: dict[int, list[str]]) -> dict[int, str]:
        return {key: str(escape_formula("; ".join(values))) for key, values in lists.items()}

    while True:
        rows = q.rows(sql)
        if not rows:
            return
        ids = [row[0] for row in rows]
        claim_ids = sorted({row[1] for row in rows})
        vias = joined(vias_between(r, ids[0], ids[-1]))
        _, tag_lists, violate_lists = claim_parts(r, claim_ids)
        tags, violates = joined(tag_lists), joined(violate_lists)
        yield [
            (
                *texts[:3],
                date_text(date, precision)[1],
                *texts[3:],
                vias.get(aid, ""),
                tags.get(claim_id, ""),
                violates.get(claim_id, ""),
            )
            for aid, claim_id, *texts, date, precision in rows
        ]
        q.params["last_id"] = ids[-1]


def export_entities(conn: Conn) -> Iterator[dict[str, Any]]:
    """Every actor (parents before their parts), source and sanction as interchange records,
    in a stable order; sources are streamed."""
    r = Reader.of(conn)
    aliases: dict[int, list[str]] = defaultdict(list)
    for actor_id, alias in r.rows(
        "SELECT actor_id, alias FROM actor_alias ORDER BY actor_id, alias"
    ):
        aliases[int(actor_id)].append(alias)
    for actor_id, name, kind, part_of in r.rows(
        "SELECT s.actor_id, s.actor, s.kind, s.part_of FROM actor_side AS s "
        "ORDER BY s.depth, s.actor_id"
    ):
        yield {
            "type": "actor",
            "name": name,
            "kind": kind,
            "part_of": part_of,
            "aliases": aliases.get(int(actor_id), []),
        }
    for chunk in r.stream(
        "SELECT url, outlet, title, published, published_precision, updated, updated_precision "
        "FROM source ORDER BY id"
    ):
        for url, outlet, title, published, published_precision, updated, updated_precision in chunk:
            yield {
                "type": "source",
                "url": url,
                "outlet": outlet,
                "title": title,
                "published": stored_text(published, published_precision),
                "updated": stored_text(updated, updated_precision),
            }
    for row in r.rows(f"SELECT {SANCTION_COLUMNS} {SANCTION_FROM} ORDER BY s.id"):
        yield {"type": "sanction", **sanction_fields(*row)}


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
