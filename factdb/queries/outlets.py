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

OutletActors = dict[int, tuple[int, str]]
"""{source id: (outlet actor id, its current name)} for the sources that have one."""


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
    """One read, for ``Reader.batch``: (source id, outlet id, outlet name) of every source an
    assertion of these claims is reported in, whose outlet is an actor."""
    return (
        "SELECT s.id, o.id, o.name FROM source AS s JOIN actor AS o ON o.id = s.outlet_id "
        "WHERE s.id IN (SELECT a.source_id FROM assertion AS a WHERE "
        f"{r.member('a.claim_id', 'outlet_claim_ids')})",
        {"outlet_claim_ids": list(claim_ids)},
    )


def outlets_from_rows(rows: Iterable[tuple[Any, ...]]) -> OutletActors:
    return {int(sid): (int(oid), str(name)) for sid, oid, name in rows}


def attach_outlets(rows: Iterable[dict[str, Any]], outlets: OutletActors) -> None:
    """Give the ``source`` of each assertion row ``outlet_id`` and ``outlet_actor`` (the
    actor's current name; None for a source without one), right after its ``outlet``."""
    for row in rows:
        source = row["source"]
        outlet_id, actor = outlets.get(source["id"], (None, None))
        fields = list(source.items())
        at = next(i for i, (k, _) in enumerate(fields) if k == "outlet") + 1
        row["source"] = dict(
            [*fields[:at], ("outlet_id", outlet_id), ("outlet_actor", actor), *fields[at:]]
        )


def outlet_source_count(conn: Conn, actor_id: int) -> int:
    """How many sources have this actor as their outlet."""
    r = Reader.of(conn)
    return int(r.scalar("SELECT count(*) FROM source WHERE outlet_id = :id", {"id": actor_id}) or 0)
