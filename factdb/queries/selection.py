"""Which claims match the filters of ``list`` (and of every report and export): the
conditions, the count, and the two plans of ``--search``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from factdb.core.errors import InvalidInput
from factdb.storage.reader import ROW_LIMIT, Reader

if TYPE_CHECKING:
    pass

from factdb.queries.base import (
    COMMON_QUOTE_HITS,
    NEGATIVE,
    POSITIVE,
    Conn,
    Filters,
    Sql,
    actor_ref,
    descendant_ids,
    sanction_ref,
)
from factdb.queries.ratings import rating_conditions
from factdb.queries.relations import related_condition

# --- which claims ----------------------------------------------------------------------------

ORIGIN_SQL = (
    "CAST(a.actor_id AS TEXT) || '/' || CAST(a.date AS TEXT) || '/' || a.date_precision || '/' "
    "|| COALESCE(CAST(v1.actor_id AS TEXT), '-')"
)
"""SQL: the origin of assertion ``a`` with its first relay ``v1``, for counting within one
claim: the speaker, the date and its precision (one to one with the date as given), the first
relay. Distinct exactly where the ``assertion_origin`` view's ``origin`` is (docs/design.md,
Origins and corroboration; tests/test_corroboration.py holds them to each other)."""


def counted_condition(filters: Filters, alias: str, q: Sql) -> str:
    """SQL condition: assertion ``alias`` (of the assertion table) counts under these filters
    (retraction, dates, the grades of ``--min-reliability`` and ``--min-credibility``)."""
    parts = []
    if not filters.include_retracted:
        parts.append(f"{alias}.retracted_at IS NULL")
    if filters.as_of is not None:
        q.params["as_of_end"] = filters.as_of.end
        parts.append(f"{alias}.date <= :as_of_end")
    if filters.until is not None:
        q.params["until_end"] = filters.until.end
        parts.append(f"{alias}.date <= :until_end")
    if filters.since is not None:
        q.params["since_start"] = filters.since.start
        parts.append(f"{alias}.date >= :since_start")
    parts += rating_conditions(filters.min_reliability, filters.min_credibility, alias)
    return " AND ".join(parts) if parts else "1 = 1"


def matching_claim_ids(conn: Conn, filters: Filters) -> list[int]:
    """Ids of the claims that match ``filters``, in id order, at most ``limit``."""
    q = Sql(Reader.of(conn))
    claim_conditions(filters, q)
    sql = "SELECT c.id FROM claim AS c"
    if q.where:
        sql += " WHERE " + " AND ".join(q.where)
    sql += " ORDER BY c.id"
    if filters.limit is not None:
        if filters.limit < 0:
            raise InvalidInput("--limit", "must be zero or more")
        if filters.limit <= ROW_LIMIT:  # more than any table can hold is no limit at all
            q.params["limit"] = filters.limit
            sql += " LIMIT :limit"
    return [int(row[0]) for row in q.rows(sql)]


def count_claims(conn: Conn, filters: Filters) -> int:
    """How many claims match ``filters`` (``limit`` ignored)."""
    q = Sql(Reader.of(conn))
    claim_conditions(filters, q)
    sql = "SELECT count(*) FROM claim AS c"
    if q.where:
        sql += " WHERE " + " AND ".join(q.where)
    return int(q.rows(sql)[0][0])


def claim_conditions(filters: Filters, q: Sql) -> None:
    """Add to ``q`` the conditions on claim ``c`` that ``filters`` (but not ``limit``) set."""
    r = q.r
    counted = counted_condition(filters, "a", q)
    exists = f"EXISTS (SELECT 1 FROM assertion AS a WHERE a.claim_id = c.id AND {counted}"
    if filters.windowed or filters.graded:
        q.where.append(exists + ")")
    if filters.actor:
        actor_id, _ = actor_ref(r, filters.actor)
        q.params["actor_ids"] = descendant_ids(r, actor_id)
        q.where.append(exists + " AND " + r.member("a.actor_id", "actor_ids") + ")")
    if filters.via:
        via_id, _ = actor_ref(r, filters.via)
        q.params["via_ids"] = descendant_ids(r, via_id)
        q.where.append(
            exists + " AND EXISTS (SELECT 1 FROM assertion_via AS v WHERE v.assertion_id = a.id "
            "AND " + r.member("v.actor_id", "via_ids") + "))"
        )
    if filters.outlet:
        outlet_id, _ = actor_ref(r, filters.outlet)
        q.params["outlet_ids"] = descendant_ids(r, outlet_id)
        q.where.append(
            exists
            + " AND a.source_id IN (SELECT s.id FROM source AS s WHERE "
            + r.member("s.outlet_id", "outlet_ids")
            + "))"
        )
    if filters.stance is not None:
        q.params["stance"] = filters.stance.value
        q.where.append(exists + " AND a.stance = :stance)")
    if filters.tag:
        from factdb.core.keys import tag_key

        q.params["tag"] = tag_key(filters.tag)
        q.where.append(
            "EXISTS (SELECT 1 FROM claim_tag AS t WHERE t.claim_id = c.id AND t.tag = :tag)"
        )
    if filters.sanction:
        q.params["sanction_id"], _ = sanction_ref(r, filters.sanction)
        q.where.append(
            "(EXISTS (SELECT 1 FROM claim_sanction AS cs WHERE cs.claim_id = c.id "
            "AND cs.sanction_id = :sanction_id) OR EXISTS (SELECT 1 FROM sanction_response "
            "AS sr WHERE sr.claim_id = c.id AND sr.sanction_id = :sanction_id))"
        )
    if filters.related_to is not None:
        q.where.append(related_condition(r, filters.related_to))
        q.params["related_to"] = filters.related_to
    if filters.search:
        search_condition(filters, q)
    if filters.contested:
        q.where.append(exists + f" AND a.stance IN {POSITIVE})")
        q.where.append(exists + f" AND a.stance IN {NEGATIVE})")
    if filters.min_origins is not None:
        if filters.min_origins < 1:
            raise InvalidInput("--min-origins", "must be 1 or more")
        q.params["min_origins"] = filters.min_origins
        q.where.append(
            "EXISTS (SELECT 1 FROM assertion AS a LEFT JOIN assertion_via AS v1 "
            "ON v1.assertion_id = a.id AND v1.position = 1 "
            f"WHERE a.claim_id = c.id AND {counted} AND a.stance <> 'neutral' "
            f"GROUP BY CASE WHEN a.stance IN {POSITIVE} THEN 1 ELSE -1 END "
            f"HAVING COUNT(DISTINCT {ORIGIN_SQL}) >= :min_origins)"
        )
    if filters.reversed:
        later = counted_condition(filters, "y", q)
        q.where.append(
            exists + " AND EXISTS (SELECT 1 FROM assertion_side AS xs "
            "JOIN assertion AS y ON y.claim_id = a.claim_id "
            "JOIN assertion_side AS ys ON ys.assertion_id = y.id AND ys.side_id = xs.side_id "
            f"WHERE xs.assertion_id = a.id AND y.date > a.date AND {later} AND ("
            f"(a.stance IN {POSITIVE} AND y.stance IN {NEGATIVE}) OR "
            f"(a.stance IN {NEGATIVE} AND y.stance IN {POSITIVE}))))"
        )


def search_condition(filters: Filters, q: Sql) -> None:
    """Every word of the search, as a prefix, in the claim's text or in one of its counted
    quotes, through the full-text indexes of migration 0003 (FTS5 / tsvector + GIN).

    Two plans, chosen by how common the words are. A rare word goes from its few matches to
    their claims. A common word with a limit walks the claims in id order and stops at the
    limit; resolving every match first cost 78 ms at a million assertions for a word in 15%
    of the claims, the walk 13 ms (SQLite; PostgreSQL likewise)."""
    assert filters.search is not None
    words = re.findall(r"\w+", filters.search)
    if not words:
        raise InvalidInput("--search", "needs at least one word")
    quoted = counted_condition(filters, "qa", q)
    if q.r.postgresql:
        q.params["fts"] = " & ".join(f"{w.lower()}:*" for w in words)

        def text_match(claim: str) -> str:
            return f"to_tsvector('simple', {claim}.text) @@ to_tsquery('simple', :fts)"

        def quote_match(assertion: str) -> str:
            return (
                f"to_tsvector('simple', coalesce({assertion}.quote, '')) "
                "@@ to_tsquery('simple', :fts)"
            )

        hits = f"SELECT 1 FROM assertion AS qa WHERE {quote_match('qa')}"
    else:
        q.params["fts"] = " ".join(f'"{w}"*' for w in words)

        def text_match(claim: str) -> str:
            return f"{claim}.id IN (SELECT rowid FROM claim_fts WHERE claim_fts MATCH :fts)"

        def quote_match(assertion: str) -> str:
            return f"{assertion}.id IN (SELECT rowid FROM quote_fts WHERE quote_fts MATCH :fts)"

        hits = "SELECT 1 FROM quote_fts WHERE quote_fts MATCH :fts"
    common = filters.limit is not None and (
        q.r.scalar(f"SELECT count(*) FROM ({hits} LIMIT {COMMON_QUOTE_HITS}) AS hits", q.params)
        == COMMON_QUOTE_HITS
    )
    if common:
        # PostgreSQL turns an EXISTS under OR into a hash of every match (81 ms at 1M);
        # OFFSET 0 keeps it a per-claim check (1.9 ms). SQLite walks as written.
        fence = " OFFSET 0" if q.r.postgresql else ""
        # SQLite: with `qa.id IN (…)` as written, the index on (claim_id) (whose entries end
        # with the rowid) let SQLite probe (claim_id, id) once per match of the word, for
        # every claim walked: 471 ms at a million assertions for a word in 15% of the claims.
        # The unary + makes the match a test of each of the claim's few assertions (29 ms).
        in_claim = quote_match("qa") if q.r.postgresql else "+" + quote_match("qa")
        q.where.append(
            f"({text_match('c')} OR EXISTS (SELECT 1 FROM assertion AS qa WHERE "
            f"qa.claim_id = c.id AND {quoted} AND {in_claim}{fence}))"
        )
    else:
        q.where.append(
            f"c.id IN (SELECT x.id FROM claim AS x WHERE {text_match('x')} UNION "
            f"SELECT qa.claim_id FROM assertion AS qa WHERE {quote_match('qa')} AND {quoted})"
        )
