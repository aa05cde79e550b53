"""Outlets as actors: a source's outlet is the actor ``source.outlet_id`` names (migration
0008), while ``source.outlet`` keeps the name as given (docs/design.md, "Outlets").

The reads here add the outlet's actor to what ``show``, ``source list|show`` and
``actor show`` print, and ``outlet_label`` is the one way a table writes an outlet."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from factdb.core.keys import name_key
from factdb.queries.base import Conn
from factdb.storage.reader import Reader

OutletActors = dict[int, str]
"""{outlet actor id: its current name}."""


def outlet_label(given: str | None, actor: str | None) -> str | None:
    """An outlet as a table prints it: the actor's current name, followed by the name as the
    source gave it when that is another name (an alias, or a name the actor had before a
    rename): ``Associated Press (as given: AP)``. A spelling that only differs in case or
    spacing is the same name. Without an actor, the name as given; None without an outlet."""
    if actor is None:
        return given
    if given is None or name_key(given) == name_key(actor):
        return actor
    return f"{actor} (as given: {given})"


def outlets_statement(r: Reader, claim_ids: Sequence[int]) -> tuple[str, dict[str, Any]]:
    """One read, for ``Reader.batch``: (id, name) of the outlet actor of every source an
    assertion of these claims is reported in (the rows carry ``source.outlet_id`` already)."""
    params: dict[str, Any] = {}
    return (
        "SELECT o.id, o.name FROM actor AS o WHERE o.id IN (SELECT s.outlet_id FROM source AS s "
        "JOIN assertion AS a ON a.source_id = s.id WHERE "
        f"{r.member_of('a.claim_id', 'outlet_claim_ids', claim_ids, params)})",
        params,
    )


def outlets_from_rows(rows: Iterable[tuple[Any, ...]]) -> OutletActors:
    return {int(oid): str(name) for oid, name in rows}


def attach_outlets(rows: Iterable[dict[str, Any]], outlets: OutletActors) -> None:
    """Give the ``source`` of each assertion row ``outlet_actor`` (the actor's current name;
    None for a source without one), right after its ``outlet_id``."""
    for row in rows:
        source = row["source"]
        outlet_id = source["outlet_id"]
        actor = None if outlet_id is None else outlets.get(outlet_id)
        fields = list(source.items())
        at = list(source).index("outlet_id") + 1
        row["source"] = dict([*fields[:at], ("outlet_actor", actor), *fields[at:]])


def outlet_source_count(conn: Conn, actor_id: int) -> int:
    """How many sources have this actor as their outlet."""
    r = Reader.of(conn)
    return int(r.scalar("SELECT count(*) FROM source WHERE outlet_id = :id", {"id": actor_id}) or 0)
