"""Every read behind ``list``, ``show``, the reports and the ``show``/``list`` of actors,
sources and sanctions. The rows are those of the analytical views of the migrations
(``assertion_detail``, ``actor_side``, ``claim_summary``), so the CLI, the reports and a
user's SQL never disagree; the hot paths read the tables directly with the same meaning
(tests/test_queries.py holds them to it).

All SQL for these reads lives here. Polarity is spelled through stance sets, the same scale
as DESIGN.md: asserts +2, supports +1, neutral 0, disputes −1, denies −2.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, bindparam, text
from sqlmodel import Session

from factdb.actors import aliases_of, descendant_ids, get_actor, side_of
from factdb.claims import get_claim
from factdb.dates import PartialDate, format_partial, stored_text
from factdb.errors import InvalidInput
from factdb.models import POLARITY, Actor, Stance
from factdb.sanctions import get_sanction
from factdb.sources import get_source

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
    where: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    dates: set[str] = field(default_factory=set)
    expanding: set[str] = field(default_factory=set)

    def statement(self, sql: str) -> Any:
        stmt = text(sql)
        binds = [bindparam(name, type_=Date) for name in self.dates]
        binds += [bindparam(name, expanding=True) for name in self.expanding]
        return stmt.bindparams(*binds) if binds else stmt


def _counted(filters: Filters, alias: str, q: _Sql) -> str:
    """SQL condition: assertion ``alias`` (of the assertion table) counts under these filters
    (retraction, dates)."""
    parts = []
    if not filters.include_retracted:
        parts.append(f"{alias}.retracted_at IS NULL")
    if filters.as_of is not None:
        q.params["as_of_end"] = filters.as_of.end
        q.dates.add("as_of_end")
        parts.append(f"{alias}.date <= :as_of_end")
    if filters.until is not None:
        q.params["until_end"] = filters.until.end
        q.dates.add("until_end")
        parts.append(f"{alias}.date <= :until_end")
    if filters.since is not None:
        q.params["since_start"] = filters.since.start
        q.dates.add("since_start")
        parts.append(f"{alias}.date >= :since_start")
    return " AND ".join(parts) if parts else "1 = 1"


def matching_claim_ids(session: Session, filters: Filters) -> list[int]:
    """Ids of the claims that match ``filters``, in id order, at most ``limit``."""
    q = _Sql()
    _claim_conditions(session, filters, q)
    sql = "SELECT c.id FROM claim AS c"
    if q.where:
        sql += " WHERE " + " AND ".join(q.where)
    sql += " ORDER BY c.id"
    if filters.limit is not None:
        if filters.limit < 0:
            raise InvalidInput("--limit", "must be zero or more")
        q.params["limit"] = filters.limit
        sql += " LIMIT :limit"
    return [int(r[0]) for r in session.execute(q.statement(sql), q.params)]


def count_claims(session: Session, filters: Filters) -> int:
    """How many claims match ``filters`` (``limit`` ignored)."""
    q = _Sql()
    _claim_conditions(session, filters, q)
    sql = "SELECT count(*) FROM claim AS c"
    if q.where:
        sql += " WHERE " + " AND ".join(q.where)
    return int(session.execute(q.statement(sql), q.params).scalar_one())


def _claim_conditions(session: Session, filters: Filters, q: _Sql) -> None:
    """Add to ``q`` the conditions on claim ``c`` that ``filters`` (but not ``limit``) set."""
    counted = _counted(filters, "a", q)
    exists = f"EXISTS (SELECT 1 FROM assertion AS a WHERE a.claim_id = c.id AND {counted}"
    if filters.windowed:
        q.where.append(exists + ")")
    if filters.actor:
        actor = get_actor(session, filters.actor, "--actor")
        assert actor.id is not None
        q.params["actor_ids"] = descendant_ids(session, actor.id)
        q.expanding.add("actor_ids")
        q.where.append(exists + " AND a.actor_id IN :actor_ids)")
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
        sanction = get_sanction(session, filters.sanction, "--sanction")
        q.params["sanction_id"] = sanction.id
        q.where.append(
            "EXISTS (SELECT 1 FROM claim_sanction AS cs WHERE cs.claim_id = c.id "
            "AND cs.sanction_id = :sanction_id)"
        )
    if filters.search:
        # Every word of the search, as a prefix, in the claim's text or in one of its counted
        # quotes, through the full-text indexes of migration 0003 (FTS5 / tsvector + GIN).
        words = re.findall(r"\w+", filters.search)
        if not words:
            raise InvalidInput("--search", "needs at least one word")
        quoted = counted.replace("a.", "qa.")
        if session.get_bind().dialect.name == "postgresql":
            q.params["fts"] = " & ".join(f"{w.lower()}:*" for w in words)
            q.where.append(
                "(to_tsvector('simple', c.text) @@ to_tsquery('simple', :fts) OR c.id IN "
                "(SELECT qa.claim_id FROM assertion AS qa WHERE to_tsvector('simple', "
                f"coalesce(qa.quote, '')) @@ to_tsquery('simple', :fts) AND {quoted}))"
            )
        else:
            q.params["fts"] = " ".join(f'"{w}"*' for w in words)
            q.where.append(
                "(c.id IN (SELECT rowid FROM claim_fts WHERE claim_fts MATCH :fts) OR c.id IN "
                "(SELECT qa.claim_id FROM assertion AS qa WHERE qa.id IN (SELECT rowid FROM "
                f"quote_fts WHERE quote_fts MATCH :fts) AND {quoted}))"
            )
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


DETAIL_COLUMNS = (
    "assertion_id, claim_id, claim, actor_id, actor, actor_kind, side_id, side, stance, "
    "polarity, date, date_start, date_precision, source_id, source_url, outlet, source_title, "
    "source_published, via, quote, recorded_at, retracted_at, retraction_reason"
)
"""The columns of the ``assertion_detail`` view, which the rows below reproduce."""

# The rows of ``assertion_detail``, read from the tables directly: the view resolves every
# actor's side with a recursive walk over the whole hierarchy on each query, while here only
# the actors at hand are walked up (``sides_of``), which keeps ``show`` and ``list`` fast at a
# million assertions (issue 6). tests/test_queries.py checks that both give the same rows.
_BASE_SELECT = (
    "SELECT a.id AS assertion_id, a.claim_id, c.text AS claim, a.actor_id, ac.name AS actor, "
    "ac.kind AS actor_kind, a.stance, a.date AS date_start, a.date_precision, a.source_id, "
    "s.url AS source_url, s.outlet, s.title AS source_title, s.published, "
    "s.published_precision, a.quote, a.recorded_at, a.retracted_at, a.retraction_reason "
    "FROM assertion AS a JOIN claim AS c ON c.id = a.claim_id "
    "JOIN actor AS ac ON ac.id = a.actor_id JOIN source AS s ON s.id = a.source_id"
)


def sides_of(session: Session, actor_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """Each actor's side (top-level ``part_of`` ancestor): {actor id: (side id, side name)}.

    Walks up from the given actors only; a hierarchy deeper than 64 levels (or a cycle
    written behind factdb's back) stops there, as the view's walk would never reach it."""
    wanted = sorted(set(actor_ids))
    if not wanted:
        return {}
    stmt = text(
        "WITH RECURSIVE up(actor_id, node, parent, depth) AS ("
        " SELECT id, id, part_of_id, 0 FROM actor WHERE id IN :ids"
        " UNION ALL"
        " SELECT up.actor_id, a.id, a.part_of_id, up.depth + 1 FROM up"
        " JOIN actor AS a ON a.id = up.parent WHERE up.depth < 64)"
        " SELECT up.actor_id, up.node, a.name, up.parent FROM up"
        " JOIN actor AS a ON a.id = up.node ORDER BY up.actor_id, up.depth"
    ).bindparams(bindparam("ids", expanding=True))
    found: dict[int, tuple[int, str]] = {}
    for actor_id, node, name, parent in session.execute(stmt, {"ids": wanted}):
        if parent is None or int(actor_id) not in found:
            found[int(actor_id)] = (int(node), name)
    return found


def _vias(session: Session, assertion_ids: list[int]) -> dict[int, list[str]]:
    vias: dict[int, list[str]] = {}
    if not assertion_ids:
        return vias
    stmt = text(
        "SELECT v.assertion_id, ac.name FROM assertion_via AS v JOIN actor AS ac "
        "ON ac.id = v.actor_id WHERE v.assertion_id IN :ids ORDER BY v.assertion_id, v.position"
    ).bindparams(bindparam("ids", expanding=True))
    for start in range(0, len(assertion_ids), 20_000):
        for aid, name in session.execute(stmt, {"ids": assertion_ids[start : start + 20_000]}):
            vias.setdefault(int(aid), []).append(name)
    return vias


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _resolve(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Complete base rows into ``assertion_detail`` rows, then into data (``_detail``)."""
    if not rows:
        return []
    sides = sides_of(session, (r["actor_id"] for r in rows))
    vias = _vias(session, [int(r["assertion_id"]) for r in rows])
    out = []
    for r in rows:
        start = _as_date(r["date_start"])
        side_id, side = sides.get(int(r["actor_id"]), (r["actor_id"], r["actor"]))
        published = r["published"]
        r.update(
            side_id=side_id,
            side=side,
            polarity=POLARITY[Stance(r["stance"])],
            date=format_partial(start, r["date_precision"]),
            date_start=start,
            source_published=stored_text(published, r["published_precision"]),
            via="; ".join(vias.get(int(r["assertion_id"]), [])) or None,
        )
        out.append(_detail(r))
    return out


def _assertion_scope(session: Session, filters: Filters) -> tuple[_Sql, str]:
    """The condition on assertion ``a`` selecting the counted assertions of the claims that
    match ``filters`` (``limit`` included): shared by the timeline and ``sides_in``."""
    q = _Sql()
    scope = _counted(filters, "a", q)
    _claim_conditions(session, filters, q)
    if q.where:
        scope += (
            " AND a.claim_id IN (SELECT c.id FROM claim AS c WHERE " + " AND ".join(q.where) + ")"
        )
    if filters.limit is not None:
        q.params["limit_ids"] = matching_claim_ids(session, filters)
        q.expanding.add("limit_ids")
        scope += " AND a.claim_id IN :limit_ids"
    return q, scope


def sides_in(session: Session, filters: Filters) -> list[str]:
    """The sides that took a counted stance on the matching claims, by name."""
    q, scope = _assertion_scope(session, filters)
    actor_ids = [
        int(r[0])
        for r in session.execute(
            q.statement(f"SELECT DISTINCT a.actor_id FROM assertion AS a WHERE {scope}"), q.params
        )
    ]
    return sorted({side for _, side in sides_of(session, actor_ids).values()})


def timeline_chunks(
    session: Session, filters: Filters, chunk_size: int = 20_000
) -> Iterator[list[dict[str, Any]]]:
    """Every counted assertion of the matching claims in date order, in bounded chunks
    (keyset pagination on (date, id), so memory stays flat)."""
    q, scope = _assertion_scope(session, filters)
    q.params["chunk"] = chunk_size
    last: tuple[Any, int] | None = None
    while True:
        page = ""
        if last is not None:
            q.params["last_date"], q.params["last_id"] = last
            q.dates.add("last_date")
            page = " AND (a.date > :last_date OR (a.date = :last_date AND a.id > :last_id))"
        sql = f"{_BASE_SELECT} WHERE {scope}{page} ORDER BY a.date, a.id LIMIT :chunk"
        rows = [dict(r._mapping) for r in session.execute(q.statement(sql), q.params)]
        if not rows:
            return
        last = (_as_date(rows[-1]["date_start"]), int(rows[-1]["assertion_id"]))
        yield _resolve(session, rows)
        if len(rows) < chunk_size:
            return


def _assertions_where(
    session: Session, condition: str, params: dict[str, Any], order: str
) -> list[dict[str, Any]]:
    """Assertion rows (as in ``assertion_detail``) under a condition on assertion ``a``."""
    rows = session.execute(text(f"{_BASE_SELECT} WHERE {condition} ORDER BY {order}"), params)
    return _resolve(session, [dict(r._mapping) for r in rows])


def assertion_rows(
    session: Session, claim_ids: Sequence[int], filters: Filters
) -> list[dict[str, Any]]:
    """The ``assertion_detail`` rows of these claims that count under ``filters``."""
    if not claim_ids:
        return []
    q = _Sql()
    counted = _counted(filters, "a", q)
    q.params["claim_ids"] = list(claim_ids)
    q.expanding.add("claim_ids")
    sql = (
        f"{_BASE_SELECT} WHERE a.claim_id IN :claim_ids AND {counted} "
        "ORDER BY a.claim_id, a.date, a.id"
    )
    return _resolve(
        session, [dict(r._mapping) for r in session.execute(q.statement(sql), q.params)]
    )


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
    """UTC timestamps as ISO 8601 with offset; SQLite hands them back as naive text."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return _iso(value)


def _detail(row: dict[str, Any]) -> dict[str, Any]:
    """One assertion as data (UX.md "Machine output"): stable field names and order."""
    return {
        "id": row["assertion_id"],
        "claim_id": row["claim_id"],
        "claim": row["claim"],
        "actor": row["actor"],
        "actor_kind": row["actor_kind"],
        "side": row["side"],
        "stance": row["stance"],
        "polarity": int(row["polarity"]),
        "date": row["date"],
        "date_start": _iso(row["date_start"]),
        "date_precision": row["date_precision"],
        "source": {
            "id": row["source_id"],
            "url": row["source_url"],
            "outlet": row["outlet"],
            "title": row["source_title"],
            "published": row["source_published"],
        },
        "via": row["via"].split("; ") if row["via"] else [],
        "quote": row["quote"],
        "recorded_at": _timestamp(row["recorded_at"]),
        "retracted": row["retracted_at"] is not None,
        "retracted_at": _timestamp(row["retracted_at"]),
        "retraction_reason": row["retraction_reason"],
    }


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
        flip = None
        for later in items:
            earlier = [
                e
                for e in items
                if e["date_start"] < later["date_start"]
                and (e["polarity"] > 0) != (later["polarity"] > 0)
            ]
            if earlier:
                flip = (earlier[-1], later)
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


def _tags(session: Session, claim_ids: Sequence[int]) -> dict[int, list[str]]:
    if not claim_ids:
        return {}
    stmt = text(
        "SELECT claim_id, tag FROM claim_tag WHERE claim_id IN :ids ORDER BY claim_id, tag"
    ).bindparams(bindparam("ids", expanding=True))
    tags: dict[int, list[str]] = defaultdict(list)
    for cid, tag in session.execute(stmt, {"ids": list(claim_ids)}):
        tags[int(cid)].append(tag)
    return tags


def _sanctions(session: Session, claim_ids: Sequence[int]) -> dict[int, list[str]]:
    if not claim_ids:
        return {}
    stmt = text(
        "SELECT cs.claim_id, s.name FROM claim_sanction AS cs JOIN sanction AS s "
        "ON s.id = cs.sanction_id WHERE cs.claim_id IN :ids ORDER BY cs.claim_id, s.name"
    ).bindparams(bindparam("ids", expanding=True))
    names: dict[int, list[str]] = defaultdict(list)
    for cid, name in session.execute(stmt, {"ids": list(claim_ids)}):
        names[int(cid)].append(name)
    return names


def claim_texts(session: Session, claim_ids: Sequence[int]) -> dict[int, str]:
    if not claim_ids:
        return {}
    stmt = text("SELECT id, text FROM claim WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    return {int(cid): text_ for cid, text_ in session.execute(stmt, {"ids": list(claim_ids)})}


def claims_with_rows(
    session: Session, claim_ids: Sequence[int], filters: Filters
) -> list[tuple[int, str, list[dict[str, Any]]]]:
    """(id, text, counted assertion rows) for each claim, in the order given."""
    by_claim: dict[int, list[dict[str, Any]]] = {cid: [] for cid in claim_ids}
    for row in assertion_rows(session, claim_ids, filters):
        by_claim[row["claim_id"]].append(row)
    texts = claim_texts(session, claim_ids)
    return [(cid, texts[cid], rows) for cid, rows in by_claim.items()]


def list_claims(session: Session, filters: Filters) -> list[dict[str, Any]]:
    """One row per matching claim with its sides at a glance."""
    ids = matching_claim_ids(session, filters)
    tags = _tags(session, ids)
    sanctions = _sanctions(session, ids)
    result = []
    for cid, claim, rows in claims_with_rows(session, ids, filters):
        summary = summarize(cid, claim, rows)
        summary["tags"] = tags.get(cid, [])
        summary["violates"] = sanctions.get(cid, [])
        result.append(summary)
    return result


def show_claim(
    session: Session,
    claim_id: int,
    *,
    as_of: PartialDate | None = None,
    include_retracted: bool = False,
) -> dict[str, Any]:
    """The side-by-side view of one claim as data: the claim, its summary, its assertions."""
    claim = get_claim(session, claim_id)
    filters = Filters(as_of=as_of, include_retracted=include_retracted)
    rows = assertion_rows(session, [claim_id], filters)
    summary, flips = _summarize(claim_id, claim.text, rows)
    reversed_sides = set(summary["reversed_sides"])
    for row in rows:
        row["group"] = _group(row["polarity"])
        row["side_reversed"] = row["side"] in reversed_sides
        del row["claim"], row["claim_id"]
    return {
        **summary,
        "as_of": str(as_of) if as_of else None,
        "tags": _tags(session, [claim_id]).get(claim_id, []),
        "violates": _sanctions(session, [claim_id]).get(claim_id, []),
        "reversals": flips,
        "assertions": rows,
        "assertion_count": summary["assertions"],
    }


# --- actors, sources, sanctions ------------------------------------------------------------


def list_actors(session: Session) -> list[dict[str, Any]]:
    sql = text(
        "SELECT s.actor_id, s.actor, s.kind, s.part_of, s.side, "
        "(SELECT count(*) FROM assertion AS a WHERE a.actor_id = s.actor_id) AS assertions "
        "FROM actor_side AS s ORDER BY s.side, s.depth, s.actor"
    )
    alias_rows = session.execute(
        text("SELECT actor_id, alias FROM actor_alias ORDER BY actor_id, alias")
    )
    aliases: dict[int, list[str]] = defaultdict(list)
    for aid, alias in alias_rows:
        aliases[int(aid)].append(alias)
    return [
        {
            "id": r.actor_id,
            "name": r.actor,
            "kind": r.kind,
            "part_of": r.part_of,
            "side": r.side,
            "aliases": aliases.get(int(r.actor_id), []),
            "assertions": int(r.assertions),
        }
        for r in session.execute(sql)
    ]


def show_actor(session: Session, ref: str) -> dict[str, Any]:
    actor = get_actor(session, ref)
    assert actor.id is not None
    parent = session.get(Actor, actor.part_of_id) if actor.part_of_id else None
    parts = (
        session.execute(
            text("SELECT name FROM actor WHERE part_of_id = :id ORDER BY name"), {"id": actor.id}
        )
        .scalars()
        .all()
    )
    assertions = _assertions_where(session, "a.actor_id = :id", {"id": actor.id}, "a.date, a.id")
    return {
        "id": actor.id,
        "name": actor.name,
        "kind": actor.kind,
        "part_of": parent.name if parent else None,
        "side": side_of(session, actor).name,
        "aliases": aliases_of(session, actor.id),
        "parts": list(parts),
        "assertions": assertions,
    }


def list_sources(session: Session, source_id: int | None = None) -> list[dict[str, Any]]:
    """Every source (or one) with how many assertions and claims it carries."""
    where = "" if source_id is None else " WHERE s.id = :id"
    sql = text(
        "SELECT s.id, s.url, s.outlet, s.title, s.published, s.published_precision, "
        "(SELECT count(*) FROM assertion AS a WHERE a.source_id = s.id) AS assertions, "
        "(SELECT count(DISTINCT a.claim_id) FROM assertion AS a WHERE a.source_id = s.id) "
        f"AS claims FROM source AS s{where} ORDER BY s.id"
    )
    return [_source_row(dict(r._mapping)) for r in session.execute(sql, {"id": source_id})]


def _source_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "url": r["url"],
        "outlet": r["outlet"],
        "title": r["title"],
        "published": stored_text(r["published"], r["published_precision"]),
        "assertions": int(r["assertions"]),
        "claims": int(r["claims"]),
    }


def show_source(session: Session, ref: str) -> dict[str, Any]:
    source = get_source(session, ref)
    [row] = list_sources(session, source.id)
    assertions = _assertions_where(
        session, "a.source_id = :id", {"id": source.id}, "a.claim_id, a.date, a.id"
    )
    return {**row, "assertion_list": assertions}


def list_sanctions(session: Session, sanction_id: int | None = None) -> list[dict[str, Any]]:
    """Every sanction (or one) with how many claims allege its violation."""
    where = "" if sanction_id is None else " WHERE s.id = :id"
    sql = text(
        "SELECT s.id, s.name, s.authority, s.adopted, s.adopted_precision, t.name AS target, "
        "s.measures, s.url, (SELECT count(*) FROM claim_sanction AS cs "
        "WHERE cs.sanction_id = s.id) AS claims "
        f"FROM sanction AS s LEFT JOIN actor AS t ON t.id = s.target_actor_id{where} "
        "ORDER BY s.name"
    )
    out = []
    for r in session.execute(sql, {"id": sanction_id}):
        adopted = stored_text(r.adopted, r.adopted_precision)
        out.append(
            {
                "id": r.id,
                "name": r.name,
                "authority": r.authority,
                "adopted": adopted,
                "target": r.target,
                "measures": r.measures,
                "url": r.url,
                "claims": int(r.claims),
            }
        )
    return out


def show_sanction(session: Session, ref: str, filters: Filters | None = None) -> dict[str, Any]:
    sanction = get_sanction(session, ref)
    [row] = list_sanctions(session, sanction.id)
    base = filters or Filters()
    base.sanction = sanction.name
    return {**row, "claim_list": list_claims(session, base)}
