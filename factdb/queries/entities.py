"""``list`` and ``show`` of actors, sources and sanctions."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from factdb.core.dates import stored_text
from factdb.core.errors import NotFound
from factdb.core.keys import parse_id
from factdb.queries.history import last_change
from factdb.queries.identifiers import (
    actor_external_ids,
    all_actor_external_ids,
)
from factdb.queries.outlets import outlet_source_count
from factdb.queries.ratings import actor_ratings
from factdb.storage.reader import Reader

if TYPE_CHECKING:
    pass

from factdb.queries.assertions import (
    assertions_where,
    sides_of,
)
from factdb.queries.base import (
    Conn,
    actor_ref,
)
from factdb.queries.memberships import alias_periods, memberships
from factdb.queries.sanctions import actor_sanction_counts
from factdb.queries.story import actor_statements

# --- actors, sources, sanctions ------------------------------------------------------------


def list_actors(conn: Conn) -> list[dict[str, Any]]:
    r = Reader.of(conn)
    aliases: dict[int, list[str]] = defaultdict(list)
    for aid, alias in r.rows("SELECT actor_id, alias FROM actor_alias ORDER BY actor_id, alias"):
        aliases[int(aid)].append(alias)
    ids = all_actor_external_ids(r)
    return [
        {
            "id": actor_id,
            "name": actor,
            "kind": kind,
            "part_of": part_of,
            "side": side,
            "aliases": aliases.get(int(actor_id), []),
            "ids": ids.get(int(actor_id), []),
            "assertions": int(assertions),
        }
        for actor_id, actor, kind, part_of, side, assertions in r.rows(
            "SELECT s.actor_id, s.actor, s.kind, s.part_of, s.side, "
            "(SELECT count(*) FROM assertion AS a WHERE a.actor_id = s.actor_id) "
            "FROM actor_side AS s ORDER BY s.side, s.depth, s.actor"
        )
    ]


def show_actor(conn: Conn, ref: str) -> dict[str, Any]:
    """One actor: its names, external ids (``ids``), hierarchy (``memberships``) and side,
    how many sources it is the outlet of
    (``outlet_of_sources``), how many sanctions target it and name it as their authority
    (``target_of_sanctions``, ``authority_of_sanctions``), its ``reliability`` grade now and
    every rating it was given (``ratings.actor_ratings``), and in ``assertions`` the
    statements of the actor and of its parts at any depth, in date order
    (``story.actor_statements``)."""
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
    assertions = actor_statements(r, actor_id)
    return {
        "id": actor_id,
        "name": name,
        "kind": kind,
        "part_of": parent,
        "memberships": memberships(r, actor_id),
        "alias_periods": alias_periods(r, actor_id),
        "side": sides_of(r, [actor_id])[actor_id][1],
        "aliases": aliases,
        "ids": actor_external_ids(r, actor_id),
        "parts": parts,
        "outlet_of_sources": outlet_source_count(r, actor_id),
        **actor_sanction_counts(r, actor_id),
        **actor_ratings(r, actor_id),
        "assertions": assertions,
        "last_change": last_change(r, "actor_id", actor_id),
    }


def list_sources(conn: Conn, source_id: int | None = None) -> list[dict[str, Any]]:
    """Every source (or one) with its outlet (as given, and as an actor: ``outlet_id``,
    ``outlet_actor``, its current name) and how many assertions and claims it carries."""
    where = "" if source_id is None else " WHERE s.id = :id"
    rows = Reader.of(conn).rows(
        "SELECT s.id, s.url, s.outlet, s.outlet_id, o.name, s.title, s.published, "
        "s.published_precision, "
        "(SELECT count(*) FROM assertion AS a WHERE a.source_id = s.id), "
        "(SELECT count(DISTINCT a.claim_id) FROM assertion AS a WHERE a.source_id = s.id) "
        f"FROM source AS s LEFT JOIN actor AS o ON o.id = s.outlet_id{where} ORDER BY s.id",
        {} if source_id is None else {"id": source_id},
    )
    return [
        {
            "id": sid,
            "url": url,
            "outlet": outlet,
            "outlet_id": outlet_id,
            "outlet_actor": outlet_actor,
            "title": title,
            "published": stored_text(published, precision),
            "assertions": int(assertions),
            "claims": int(claims),
        }
        for (
            sid,
            url,
            outlet,
            outlet_id,
            outlet_actor,
            title,
            published,
            precision,
            assertions,
            claims,
        ) in rows
    ]


def source_ref(conn: Conn, ref: str) -> int:
    """A source's id by id or URL."""
    r = Reader.of(conn)
    found = None
    number = parse_id(ref)
    if number is not None:
        if r.holds_id(number):
            found = r.scalar("SELECT id FROM source WHERE id = :id", {"id": number})
    elif "://" in ref:
        from factdb.core.keys import normalize_url

        _, key = normalize_url(ref, "SOURCE")
        found = r.scalar("SELECT id FROM source WHERE key = :key", {"key": key})
    if found is None:
        raise NotFound("source", ref, "give its id or URL; see `factdb source list`")
    return int(found)


def show_source(conn: Conn, ref: str) -> dict[str, Any]:
    r = Reader.of(conn)
    source_id = source_ref(r, ref)
    [row] = list_sources(r, source_id)
    assertions = assertions_where(
        r, "a.source_id = :id", {"id": source_id}, "a.claim_id, a.date, a.id"
    )
    return {**row, "assertion_list": assertions}
