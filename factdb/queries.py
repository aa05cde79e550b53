"""Every read behind ``list``, ``show``, the reports, the export and the ``show``/``list`` of
actors, sources and sanctions. The rows are those of the analytical views of the migrations
(``assertion_detail``, ``actor_side``, ``claim_summary``), so the CLI, the reports and a
user's SQL never disagree; the hot paths read the tables directly with the same meaning
(tests/test_queries.py holds them to it).

All SQL for these reads lives here, run through ``factdb.reader.Reader`` on the driver's
connection: a function takes either a session (the reports, the tests) or a reader (the fast
path of ``show`` and ``list``, which never imports SQLAlchemy). Polarity is spelled through
stance sets, the same scale as DESIGN.md: asserts +2, supports +1, neutral 0, disputes −1,
denies −2.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeAlias

from factdb.dates import PartialDate, format_partial, stored_date, stored_text
from factdb.errors import InvalidInput, NotFound
from factdb.hints import closest_names, describe_suggestions
from factdb.keys import name_key
from factdb.reader import Reader
from factdb.vocabulary import POLARITY, Stance

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Conn: TypeAlias = "Session | Reader"
"""What every read takes: a session (its connection and transaction) or a reader."""

COMMON_QUOTE_HITS = 1000
"""From this many matching quotes on, a word is common: ``list --search`` with a limit then
walks the claims in order instead of resolving every match (``_search``)."""
POSITIVE = "('asserts', 'supports')"
NEGATIVE = "('disputes', 'denies')"


@dataclass
class Filters:
    """The filters shared by ``list``, ``report`` and ``export`` (DESIGN.md)."""

    actor: str | None = None
    stance: Stance | None = None
    tag: str | None = None
    since: PartialDate | None = None
    until: PartialDate | None = None
    as_of: PartialDate | None = None
    contested: bool = False
    reversed: bool = False
    search: str | None = None
    sanction: str | None = None
    include_retracted: bool = False
    limit: int | None = None

    @property
    def windowed(self) -> bool:
        return any(d is not None for d in (self.since, self.until, self.as_of))


@dataclass
class _Sql:
    """Conditions and their parameters, built up for one statement on reader ``r``."""

    r: Reader
    where: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.r.rows(sql, self.params)


# --- look-ups by what a user types -----------------------------------------------------------


def actor_ref(conn: Conn, ref: str) -> tuple[int, str]:
    """(id, name) of an actor by name, alias or numeric id; ``NotFound`` with a did-you-mean
    hint (``actors.get_actor`` is this, as an ORM object)."""
    r = Reader.of(conn)
    key = name_key(ref)
    row = r.first("SELECT id, name FROM actor WHERE name_key = :key", {"key": key}) or r.first(
        "SELECT a.id, a.name FROM actor_alias AS x JOIN actor AS a ON a.id = x.actor_id "
        "WHERE x.alias_key = :key",
        {"key": key},
    )
    if row is None and ref.strip().isdigit():
        row = r.first("SELECT id, name FROM actor WHERE id = :id", {"id": int(ref)})
    if row is None:
        found = closest_names(ref, actor_name_pairs(r))
        raise NotFound(
            "actor", ref, f"did you mean {describe_suggestions(found)}?" if found else None
        )
    return int(row[0]), str(row[1])


def actor_name_pairs(conn: Conn) -> list[tuple[str, str]]:
    """Every (name or alias, actor name) pair, for "did you mean" hints."""
    r = Reader.of(conn)
    pairs = [(str(n), str(n)) for (n,) in r.rows("SELECT name FROM actor")]
    pairs += [
        (str(alias), str(n))
        for alias, n in r.rows(
            "SELECT x.alias, a.name FROM actor_alias AS x JOIN actor AS a ON a.id = x.actor_id"
        )
    ]
    return pairs


def sanction_ref(conn: Conn, ref: str) -> tuple[int, str]:
    """(id, name) of a sanction by name or numeric id (``sanctions.get_sanction`` is this, as
    an ORM object)."""
    r = Reader.of(conn)
    row = r.first("SELECT id, name FROM sanction WHERE name_key = :key", {"key": name_key(ref)})
    if row is None and ref.strip().isdigit():
        row = r.first("SELECT id, name FROM sanction WHERE id = :id", {"id": int(ref)})
    if row is None:
        raise NotFound("sanction", ref, "add it first with `factdb sanction add NAME`")
    return int(row[0]), str(row[1])


def descendant_ids(conn: Conn, actor_id: int) -> list[int]:
    """The actor and every actor that is part of it, at any depth (``UNION`` stops at a cycle
    written behind factdb's back)."""
    return [
        int(row[0])
        for row in Reader.of(conn).rows(
            "WITH RECURSIVE parts(id) AS (SELECT id FROM actor WHERE id = :id UNION "
            "SELECT a.id FROM actor AS a JOIN parts ON a.part_of_id = parts.id) "
            "SELECT id FROM parts",
            {"id": actor_id},
        )
    ]


# --- which claims ----------------------------------------------------------------------------


def _counted(filters: Filters, alias: str, q: _Sql) -> str:
    """SQL condition: assertion ``alias`` (of the assertion table) counts under these filters
    (retraction, dates)."""
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
    return " AND ".join(parts) if parts else "1 = 1"


def matching_claim_ids(conn: Conn, filters: Filters) -> list[int]:
    """Ids of the claims that match ``filters``, in id order, at most ``limit``."""
    q = _Sql(Reader.of(conn))
    _claim_conditions(filters, q)
    sql = "SELECT c.id FROM claim AS c"
    if q.where:
        sql += " WHERE " + " AND ".join(q.where)
    sql += " ORDER BY c.id"
    if filters.limit is not None:
        if filters.limit < 0:
            raise InvalidInput("--limit", "must be zero or more")
        q.params["limit"] = filters.limit
        sql += " LIMIT :limit"
    return [int(row[0]) for row in q.rows(sql)]


def count_claims(conn: Conn, filters: Filters) -> int:
    """How many claims match ``filters`` (``limit`` ignored)."""
    q = _Sql(Reader.of(conn))
    _claim_conditions(filters, q)
    sql = "SELECT count(*) FROM claim AS c"
    if q.where:
        sql += " WHERE " + " AND ".join(q.where)
    return int(q.rows(sql)[0][0])


def _claim_conditions(filters: Filters, q: _Sql) -> None:
    """Add to ``q`` the conditions on claim ``c`` that ``filters`` (but not ``limit``) set."""
    r = q.r
    counted = _counted(filters, "a", q)
    exists = f"EXISTS (SELECT 1 FROM assertion AS a WHERE a.claim_id = c.id AND {counted}"
    if filters.windowed:
        q.where.append(exists + ")")
    if filters.actor:
        actor_id, _ = actor_ref(r, filters.actor)
        q.params["actor_ids"] = descendant_ids(r, actor_id)
        q.where.append(exists + " AND " + r.member("a.actor_id", "actor_ids") + ")")
    if filters.stance is not None:
        q.params["stance"] = filters.stance.value
        q.where.append(exists + " AND a.stance = :stance)")
    if filters.tag:
        from factdb.keys import tag_key

        q.params["tag"] = tag_key(filters.tag)
        q.where.append(
            "EXISTS (SELECT 1 FROM claim_tag AS t WHERE t.claim_id = c.id AND t.tag = :tag)"
        )
    if filters.sanction:
        q.params["sanction_id"], _ = sanction_ref(r, filters.sanction)
        q.where.append(
            "EXISTS (SELECT 1 FROM claim_sanction AS cs WHERE cs.claim_id = c.id "
            "AND cs.sanction_id = :sanction_id)"
        )
    if filters.search:
        _search(filters, q, counted)
    if filters.contested:
        q.where.append(exists + f" AND a.stance IN {POSITIVE})")
        q.where.append(exists + f" AND a.stance IN {NEGATIVE})")
    if filters.reversed:
        later = _counted(filters, "y", q)
        q.where.append(
            exists + " AND EXISTS (SELECT 1 FROM actor_side AS xs "
            "JOIN actor_side AS ys ON ys.side_id = xs.side_id "
            "JOIN assertion AS y ON y.actor_id = ys.actor_id AND y.claim_id = a.claim_id "
            f"WHERE xs.actor_id = a.actor_id AND y.date > a.date AND {later} AND ("
            f"(a.stance IN {POSITIVE} AND y.stance IN {NEGATIVE}) OR "
            f"(a.stance IN {NEGATIVE} AND y.stance IN {POSITIVE}))))"
        )


def _search(filters: Filters, q: _Sql, counted: str) -> None:
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
    quoted = counted.replace("a.", "qa.")
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
        q.where.append(
            f"({text_match('c')} OR EXISTS (SELECT 1 FROM assertion AS qa WHERE "
            f"qa.claim_id = c.id AND {quoted} AND {quote_match('qa')}{fence}))"
        )
    else:
        q.where.append(
            f"c.id IN (SELECT x.id FROM claim AS x WHERE {text_match('x')} UNION "
            f"SELECT qa.claim_id FROM assertion AS qa WHERE {quote_match('qa')} AND {quoted})"
        )


# --- assertions ------------------------------------------------------------------------------

# The rows of ``assertion_detail``, read from the tables directly: the view resolves every
# actor's side with a recursive walk over the whole hierarchy on each query, while here only
# the actors at hand are walked up (``sides_of``), which keeps ``show`` and ``list`` fast at a
# million assertions (issue 6). tests/test_queries.py checks that both give the same rows.
_BASE_SELECT = (
    "SELECT a.id, a.claim_id, c.text, a.actor_id, ac.name, ac.kind, a.stance, a.date, "
    "a.date_precision, a.source_id, s.url, s.outlet, s.title, s.published, "
    "s.published_precision, a.quote, a.recorded_at, a.retracted_at, a.retraction_reason "
    "FROM assertion AS a JOIN claim AS c ON c.id = a.claim_id "
    "JOIN actor AS ac ON ac.id = a.actor_id JOIN source AS s ON s.id = a.source_id"
)


def _sides_sql(seed: str) -> str:
    """SQL: (actor id, side id, side name) of the actors ``ac`` that ``seed`` (a FROM … WHERE
    clause naming table actor ``ac``) selects, walking up ``part_of`` from them only, one
    index look-up per step (a join let PostgreSQL hash the whole actor table at every step:
    0.5 ms instead of 0.06 ms for one claim). An actor whose walk reaches no top (a cycle
    written behind factdb's back, or deeper than 64) has no row: it is its own side, as in
    the view."""
    return (
        "WITH RECURSIVE up(actor_id, node, parent, depth) AS ("
        f" SELECT DISTINCT ac.id, ac.id, ac.part_of_id, 0 FROM {seed} UNION ALL"
        " SELECT up.actor_id, up.parent,"
        " (SELECT p.part_of_id FROM actor AS p WHERE p.id = up.parent), up.depth + 1"
        " FROM up WHERE up.parent IS NOT NULL AND up.depth < 64)"
        " SELECT up.actor_id, up.node, (SELECT t.name FROM actor AS t WHERE t.id = up.node)"
        " FROM up WHERE up.parent IS NULL"
    )


_ACTORS_OF_ASSERTIONS = "assertion AS a JOIN actor AS ac ON ac.id = a.actor_id WHERE "
"""A seed for ``_sides_sql``: the actors of the assertions ``a`` where (a condition follows)."""


def _sides(rows: list[tuple[Any, ...]]) -> dict[int, tuple[int, str]]:
    return {int(actor_id): (int(node), name) for actor_id, node, name in rows}


def sides_of(conn: Conn, actor_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """Each actor's side (top-level ``part_of`` ancestor): {actor id: (side id, side name)}."""
    wanted = sorted(set(actor_ids))
    if not wanted:
        return {}
    r = Reader.of(conn)
    found = _sides(
        r.rows(_sides_sql(f"actor AS ac WHERE {r.member('ac.id', 'ids')}"), {"ids": wanted})
    )
    if len(found) < len(wanted):
        names = dict(
            r.rows("SELECT id, name FROM actor WHERE " + r.member("id", "ids"), {"ids": wanted})
        )
        for actor_id in wanted:
            if actor_id not in found and actor_id in names:
                found[actor_id] = (actor_id, names[actor_id])
    return found


_VIAS_SELECT = (
    "SELECT v.assertion_id, ac.name FROM assertion_via AS v JOIN actor AS ac ON ac.id = v.actor_id"
)


def _vias(rows: Iterable[tuple[Any, ...]]) -> dict[int, list[str]]:
    """{assertion id: its via chain} from rows ordered by assertion and position."""
    vias: dict[int, list[str]] = {}
    for aid, name in rows:
        vias.setdefault(int(aid), []).append(name)
    return vias


def _vias_of(r: Reader, assertion_ids: list[int]) -> dict[int, list[str]]:
    sql = (
        f"{_VIAS_SELECT} WHERE {r.member('v.assertion_id', 'ids')} "
        "ORDER BY v.assertion_id, v.position"
    )
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(assertion_ids), 20_000):
        rows += r.rows(sql, {"ids": assertion_ids[start : start + 20_000]})
    return _vias(rows)


def _vias_between(r: Reader, first: int, last: int) -> dict[int, list[str]]:
    """Via chains of the assertions with ids from ``first`` to ``last``: the export reads in
    id order, and a range walks the index where a 20,000-id list made SQLite scan the table."""
    return _vias(
        r.rows(
            f"{_VIAS_SELECT} WHERE v.assertion_id BETWEEN :first AND :last "
            "ORDER BY v.assertion_id, v.position",
            {"first": first, "last": last},
        )
    )


@lru_cache(maxsize=4096)
def _date_text(value: Any, precision: str) -> tuple[dt.date, str]:
    """A stored date as (first day, text as given); dates repeat, so this is cached."""
    start = stored_date(value)
    return start, format_partial(start, precision)


def _resolve(
    rows: list[tuple[Any, ...]],
    sides: dict[int, tuple[int, str]],
    vias: dict[int, list[str]],
    texts: dict[int, str] | None = None,
) -> list[dict[str, Any]]:
    """Base rows (``_BASE_SELECT``; ``_CLAIMS_BASE_SELECT`` with the claims' ``texts``) with
    their sides and via chains, as data (UX.md "Machine output": stable field names and
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
    ) in rows:
        start, text_ = _date_text(date, precision)
        side = sides.get(actor_id)
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
                "date": text_,
                "date_start": start.isoformat(),
                "date_precision": precision,
                "source": {
                    "id": source_id,
                    "url": url,
                    "outlet": outlet,
                    "title": title,
                    "published": stored_text(published, published_precision),
                },
                "via": vias.get(aid, []),
                "quote": quote,
                "recorded_at": _timestamp(recorded_at),
                "retracted": retracted_at is not None,
                "retracted_at": _timestamp(retracted_at),
                "retraction_reason": reason,
            }
        )
    return out


def _resolve_rows(r: Reader, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """``_resolve`` for base rows selected by any condition: their sides and via chains are
    read by id."""
    if not rows:
        return []
    return _resolve(
        rows, sides_of(r, (row[3] for row in rows)), _vias_of(r, [int(row[0]) for row in rows])
    )


def _assertion_scope(
    conn: Conn, filters: Filters, *, retracted: bool | None = None
) -> tuple[_Sql, str]:
    """The condition on assertion ``a`` selecting the counted assertions of the claims that
    match ``filters`` (``limit`` included): shared by the timeline, ``sides_in`` and the
    export. ``retracted`` overrides ``include_retracted`` for the assertions selected (not
    for the conditions that pick the claims): JSON Lines carries retractions."""
    r = Reader.of(conn)
    q = _Sql(r)
    own = (
        filters
        if retracted is None
        else Filters(**{**filters.__dict__, "include_retracted": retracted})
    )
    scope = _counted(own, "a", q)
    _claim_conditions(filters, q)
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
    q, scope = _assertion_scope(conn, filters)
    actor_ids = [
        int(row[0])
        for row in q.rows(f"SELECT DISTINCT a.actor_id FROM assertion AS a WHERE {scope}")
    ]
    return sorted({side for _, side in sides_of(q.r, actor_ids).values()})


TIMELINE_COLUMNS = (
    "assertion_id, claim_id, claim, actor_id, actor, actor_kind, stance, date, date_precision, "
    "source_id, source_url, outlet, source_title, published, published_precision, quote, "
    "recorded_at, retracted_at, retraction_reason"
).split(", ")
"""The columns of the rows of ``timeline_chunks`` (those of ``_BASE_SELECT``)."""


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
    for CSV (``_csv_text``), in bounded chunks read from one ordered query as they are
    consumed (no index orders assertions by date, so paging by (date, id) sorted the whole
    table once per page: 80 s at a million rows)."""
    q, scope = _assertion_scope(conn, filters)
    select = _BASE_SELECT
    for column in ("c.text", "ac.name", "s.url", "s.outlet", "s.title", "a.quote"):
        select = select.replace(f" {column},", f" {_csv_text(column)},", 1)
    select = select.replace(" a.retraction_reason ", f" {_csv_text('a.retraction_reason')} ", 1)
    sql = f"{select} WHERE {scope} ORDER BY a.date, a.id"
    for rows in q.r.stream(sql, q.params, chunk_size):
        yield TimelineChunk(
            rows,
            sides_of(q.r, (row[3] for row in rows)),
            _vias_of(q.r, [int(row[0]) for row in rows]),
        )


def _assertions_where(
    conn: Conn, condition: str, params: dict[str, Any], order: str
) -> list[dict[str, Any]]:
    """Assertion rows (as in ``assertion_detail``) under a condition on assertion ``a``."""
    r = Reader.of(conn)
    return _resolve_rows(r, r.rows(f"{_BASE_SELECT} WHERE {condition} ORDER BY {order}", params))


Statement = tuple[str, dict[str, Any]]


_CLAIMS_BASE_SELECT = _BASE_SELECT.replace(" c.text,", " NULL,", 1).replace(
    " JOIN claim AS c ON c.id = a.claim_id", "", 1
)
"""``_BASE_SELECT`` for reads keyed by claim, which read the claims' texts once, apart: one
join fewer to plan (PostgreSQL spent 0.22 of show's 0.34 ms planning the four-way join)."""


def _detail_statements(r: Reader, claim_ids: Sequence[int], filters: Filters) -> list[Statement]:
    """The four independent reads behind the ``assertion_detail`` rows of these claims (the
    claims' texts, tags and sanctions, the rows, their actors' sides, their via chains), for
    one ``Reader.batch``."""
    q = _Sql(r)
    scope = f"{r.member('a.claim_id', 'claim_ids')} AND {_counted(filters, 'a', q)}"
    q.params["claim_ids"] = list(claim_ids)
    return [
        _claims_statement(r, claim_ids),
        (f"{_CLAIMS_BASE_SELECT} WHERE {scope} ORDER BY a.claim_id, a.date, a.id", q.params),
        (
            _sides_sql(_ACTORS_OF_ASSERTIONS + scope),
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
    claims, rows, sides, vias = r.batch(_detail_statements(r, claim_ids, filters))
    return _resolve(rows, _sides(sides), _vias(vias), _claim_parts(claims)[0])


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return str(value.isoformat())
    if isinstance(value, dt.date):
        return str(value.isoformat())
    return str(value)


def _timestamp(value: Any) -> str | None:
    """UTC timestamps as ISO 8601 with offset; SQLite hands them back as naive text (an
    import stamps every row alike, so the text form is cached)."""
    if isinstance(value, str):
        return _timestamp_text(value)
    return _iso(value)


@lru_cache(maxsize=1024)
def _timestamp_text(value: str) -> str | None:
    return _iso(dt.datetime.fromisoformat(value))


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


def _claims_statement(r: Reader, claim_ids: Sequence[int]) -> Statement:
    """One read of the claims themselves: rows (0, id, text), (1, id, tag) and
    (2, id, sanction name), tags and names sorted (``_claim_parts`` splits them)."""
    return (
        f"SELECT 0, c.id, c.text FROM claim AS c WHERE {r.member('c.id', 'ids')} "
        f"UNION ALL SELECT 1, t.claim_id, t.tag FROM claim_tag AS t "
        f"WHERE {r.member('t.claim_id', 'ids')} "
        "UNION ALL SELECT 2, cs.claim_id, s.name FROM claim_sanction AS cs "
        f"JOIN sanction AS s ON s.id = cs.sanction_id WHERE {r.member('cs.claim_id', 'ids')} "
        "ORDER BY 1, 2, 3",
        {"ids": list(claim_ids)},
    )


ClaimParts = tuple[dict[int, str], dict[int, list[str]], dict[int, list[str]]]


def _claim_parts(rows: Iterable[tuple[Any, ...]]) -> ClaimParts:
    """({id: text}, {id: tags}, {id: sanction names}) from ``_claims_statement`` rows."""
    texts: dict[int, str] = {}
    lists: tuple[dict[int, list[str]], dict[int, list[str]]] = (
        defaultdict(list),
        defaultdict(list),
    )
    for kind, claim_id, value in rows:
        if kind == 0:
            texts[int(claim_id)] = value
        else:
            lists[kind - 1][int(claim_id)].append(value)
    return texts, lists[0], lists[1]


def claim_parts(conn: Conn, claim_ids: Sequence[int]) -> ClaimParts:
    """The texts, tags and sanction names of these claims (``_claim_parts``)."""
    if not claim_ids:
        return {}, {}, {}
    r = Reader.of(conn)
    return _claim_parts(r.rows(*_claims_statement(r, claim_ids)))


def claims_with_rows(
    conn: Conn, claim_ids: Sequence[int], filters: Filters
) -> list[tuple[int, str, list[dict[str, Any]]]]:
    """(id, text, counted assertion rows) for each claim, in the order given."""
    if not claim_ids:
        return []
    r = Reader.of(conn)
    claims, rows, sides, vias = r.batch(_detail_statements(r, claim_ids, filters))
    text_of = _claim_parts(claims)[0]
    by_claim: dict[int, list[dict[str, Any]]] = {cid: [] for cid in claim_ids}
    for row in _resolve(rows, _sides(sides), _vias(vias), text_of):
        by_claim[row["claim_id"]].append(row)
    return [(cid, text_of[cid], rows) for cid, rows in by_claim.items()]


def list_claims(conn: Conn, filters: Filters) -> list[dict[str, Any]]:
    """One row per matching claim with its sides at a glance.

    A summary needs only side, stance, polarity, dates and actor of each counted assertion
    (no sources, quotes or via chains); the five reads after the matching ids are independent
    and go to PostgreSQL in one round trip."""
    r = Reader.of(conn)
    ids = matching_claim_ids(r, filters)
    if not ids:
        return []
    q = _Sql(r)
    scope = f"{r.member('a.claim_id', 'claim_ids')} AND {_counted(filters, 'a', q)}"
    q.params["claim_ids"] = ids
    claims, rows, side_rows = r.batch(
        [
            _claims_statement(r, ids),
            (
                "SELECT a.claim_id, a.id, a.actor_id, ac.name, a.stance, a.date, "
                "a.date_precision FROM assertion AS a JOIN actor AS ac ON ac.id = a.actor_id "
                f"WHERE {scope} ORDER BY a.claim_id, a.date, a.id",
                q.params,
            ),
            (
                _sides_sql(_ACTORS_OF_ASSERTIONS + scope),
                q.params,
            ),
        ]
    )
    sides = _sides(side_rows)
    by_claim: dict[int, list[dict[str, Any]]] = {cid: [] for cid in ids}
    for claim_id, aid, actor_id, actor, stance, date, precision in rows:
        start, text_ = _date_text(date, precision)
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
    text_of, tags_of, sanctions_of = _claim_parts(claims)
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
    filters = Filters(as_of=as_of, include_retracted=include_retracted)
    claims, base, side_rows, via_rows = r.batch(_detail_statements(r, [claim_id], filters))
    texts, tags, sanctions = _claim_parts(claims)
    if claim_id not in texts:
        raise NotFound("claim", claim_id, "see `factdb list`")
    rows = _resolve(base, _sides(side_rows), _vias(via_rows), texts)
    summary, flips = _summarize(claim_id, texts[claim_id], rows)
    reversed_sides = set(summary["reversed_sides"])
    for row in rows:
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
    }


# --- the export ------------------------------------------------------------------------------


def export_assertions(
    conn: Conn, filters: Filters, chunk_size: int = 20_000
) -> Iterator[list[dict[str, Any]]]:
    """Every assertion of the matching claims, retracted ones included (the caller decides),
    in id order and bounded chunks, with names, via chains, tags and sanctions resolved."""
    q, where = _assertion_scope(
        conn, Filters(**{**filters.__dict__, "limit": None}), retracted=True
    )
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
        vias = _vias_between(r, ids[0], ids[-1])
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


def _csv_text(expr: str) -> str:
    """SQL: text ``expr`` as ``csvsafe.escape_formula`` writes it into CSV (NULL as empty),
    so the flat export does no per-cell work in Python."""
    from factdb.csvsafe import FORMULA_START

    starts = ", ".join("'" + c.replace("'", "''") + "'" for c in FORMULA_START)
    return (
        f"CASE WHEN substr({expr}, 1, 1) IN ({starts}) THEN '''' || {expr} "
        f"ELSE coalesce({expr}, '') END"
    )


def export_flat(
    conn: Conn, filters: Filters, chunk_size: int = 20_000
) -> Iterator[list[tuple[str, ...]]]:
    """The rows of the flat CSV interchange format (``interchange.CSV_COLUMNS``) for the
    matching claims, formula-escaped, in assertion id order and bounded chunks. Retracted
    assertions only with ``include_retracted`` (the flat format has no retraction columns)."""
    from factdb.csvsafe import escape_formula

    q, where = _assertion_scope(conn, Filters(**{**filters.__dict__, "limit": None}))
    r = q.r
    q.params["last_id"], q.params["chunk"] = 0, chunk_size
    sql = (
        f"SELECT a.id, a.claim_id, {_csv_text('c.text')}, {_csv_text('ac.name')}, a.stance, "
        f"{_csv_text('s.url')}, {_csv_text('s.outlet')}, {_csv_text('s.title')}, "
        f"{_csv_text('a.quote')}, a.date, a.date_precision "
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
        vias = joined(_vias_between(r, ids[0], ids[-1]))
        _, tag_lists, violate_lists = claim_parts(r, claim_ids)
        tags, violates = joined(tag_lists), joined(violate_lists)
        yield [
            (
                *texts[:3],
                _date_text(date, precision)[1],
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
    for row in r.rows(f"SELECT {_SANCTION_COLUMNS} {_SANCTION_FROM} ORDER BY s.id"):
        yield {"type": "sanction", **_sanction(*row)}


def export_claims(
    conn: Conn, filters: Filters, chunk_size: int = 20_000
) -> Iterator[list[tuple[int, str, list[str], list[str]]]]:
    """(id, text, tags, sanctions) of every matching claim, in id order and bounded chunks."""
    r = Reader.of(conn)
    q = _Sql(r)
    _claim_conditions(filters, q)
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


# --- actors, sources, sanctions ------------------------------------------------------------


def list_actors(conn: Conn) -> list[dict[str, Any]]:
    r = Reader.of(conn)
    aliases: dict[int, list[str]] = defaultdict(list)
    for aid, alias in r.rows("SELECT actor_id, alias FROM actor_alias ORDER BY actor_id, alias"):
        aliases[int(aid)].append(alias)
    return [
        {
            "id": actor_id,
            "name": actor,
            "kind": kind,
            "part_of": part_of,
            "side": side,
            "aliases": aliases.get(int(actor_id), []),
            "assertions": int(assertions),
        }
        for actor_id, actor, kind, part_of, side, assertions in r.rows(
            "SELECT s.actor_id, s.actor, s.kind, s.part_of, s.side, "
            "(SELECT count(*) FROM assertion AS a WHERE a.actor_id = s.actor_id) "
            "FROM actor_side AS s ORDER BY s.side, s.depth, s.actor"
        )
    ]


def show_actor(conn: Conn, ref: str) -> dict[str, Any]:
    r = Reader.of(conn)
    actor_id, _ = actor_ref(r, ref)
    row = r.first(
        "SELECT a.name, a.kind, p.name FROM actor AS a LEFT JOIN actor AS p "
        "ON p.id = a.part_of_id WHERE a.id = :id",
        {"id": actor_id},
    )
    assert row is not None
    name, kind, parent = row
    parts = [
        n
        for (n,) in r.rows(
            "SELECT name FROM actor WHERE part_of_id = :id ORDER BY name", {"id": actor_id}
        )
    ]
    aliases = [
        a
        for (a,) in r.rows(
            "SELECT alias FROM actor_alias WHERE actor_id = :id ORDER BY alias", {"id": actor_id}
        )
    ]
    assertions = _assertions_where(r, "a.actor_id = :id", {"id": actor_id}, "a.date, a.id")
    return {
        "id": actor_id,
        "name": name,
        "kind": kind,
        "part_of": parent,
        "side": sides_of(r, [actor_id])[actor_id][1],
        "aliases": aliases,
        "parts": parts,
        "assertions": assertions,
    }


def list_sources(conn: Conn, source_id: int | None = None) -> list[dict[str, Any]]:
    """Every source (or one) with how many assertions and claims it carries."""
    where = "" if source_id is None else " WHERE s.id = :id"
    rows = Reader.of(conn).rows(
        "SELECT s.id, s.url, s.outlet, s.title, s.published, s.published_precision, "
        "(SELECT count(*) FROM assertion AS a WHERE a.source_id = s.id), "
        "(SELECT count(DISTINCT a.claim_id) FROM assertion AS a WHERE a.source_id = s.id) "
        f"FROM source AS s{where} ORDER BY s.id",
        {} if source_id is None else {"id": source_id},
    )
    return [
        {
            "id": sid,
            "url": url,
            "outlet": outlet,
            "title": title,
            "published": stored_text(published, precision),
            "assertions": int(assertions),
            "claims": int(claims),
        }
        for sid, url, outlet, title, published, precision, assertions, claims in rows
    ]


def source_ref(conn: Conn, ref: str) -> int:
    """A source's id by id or URL."""
    r = Reader.of(conn)
    found = None
    if ref.strip().isdigit():
        found = r.scalar("SELECT id FROM source WHERE id = :id", {"id": int(ref)})
    elif "://" in ref:
        from factdb.keys import normalize_url

        _, key = normalize_url(ref, "SOURCE")
        found = r.scalar("SELECT id FROM source WHERE key = :key", {"key": key})
    if found is None:
        raise NotFound("source", ref, "give its id or URL; see `factdb source list`")
    return int(found)


def show_source(conn: Conn, ref: str) -> dict[str, Any]:
    r = Reader.of(conn)
    source_id = source_ref(r, ref)
    [row] = list_sources(r, source_id)
    assertions = _assertions_where(
        r, "a.source_id = :id", {"id": source_id}, "a.claim_id, a.date, a.id"
    )
    return {**row, "assertion_list": assertions}


_SANCTION_COLUMNS = "s.name, s.authority, s.adopted, s.adopted_precision, t.name, s.measures, s.url"
_SANCTION_FROM = "FROM sanction AS s LEFT JOIN actor AS t ON t.id = s.target_actor_id"


def _sanction(
    name: str, authority: Any, adopted: Any, precision: Any, target: Any, measures: Any, url: Any
) -> dict[str, Any]:
    """A sanction's own fields (``_SANCTION_COLUMNS``) as data, for ``list`` and the export."""
    return {
        "name": name,
        "authority": authority,
        "adopted": stored_text(adopted, precision),
        "target": target,
        "measures": measures,
        "url": url,
    }


def list_sanctions(conn: Conn, sanction_id: int | None = None) -> list[dict[str, Any]]:
    """Every sanction (or one) with how many claims allege its violation."""
    where = "" if sanction_id is None else " WHERE s.id = :id"
    rows = Reader.of(conn).rows(
        f"SELECT s.id, {_SANCTION_COLUMNS}, (SELECT count(*) FROM claim_sanction AS cs "
        f"WHERE cs.sanction_id = s.id) {_SANCTION_FROM}{where} ORDER BY s.name",
        {} if sanction_id is None else {"id": sanction_id},
    )
    return [
        {"id": sid, **_sanction(*fields), "claims": int(claims)} for sid, *fields, claims in rows
    ]


def show_sanction(conn: Conn, ref: str, filters: Filters | None = None) -> dict[str, Any]:
    r = Reader.of(conn)
    sanction_id, name = sanction_ref(r, ref)
    [row] = list_sanctions(r, sanction_id)
    base = filters or Filters()
    base.sanction = name
    return {**row, "claim_list": list_claims(r, base)}
