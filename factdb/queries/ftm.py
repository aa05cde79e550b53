"""The reads behind ``factdb export --format ftm`` (docs/design.md, FollowTheMoney): every
actor with its aliases and external ids, every membership (current and ended) and every
sanction target with its sanction. Rows come in the order of their natural keys, never of
database ids, so that two databases holding the same records export the same bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from factdb.core.dates import stored_text
from factdb.queries.base import Conn
from factdb.storage.reader import Reader


@dataclass
class FtmActor:
    id: int
    name: str
    key: str
    """The actor's ``name_key``: its natural key."""
    kind: str
    aliases: list[str] = field(default_factory=list)
    ids: list[tuple[str, str]] = field(default_factory=list)
    """External ids, (scheme, value), sorted."""


@dataclass
class FtmMembership:
    actor_id: int
    parent_id: int
    since: str | None
    """A partial date as given (``2024-02``) or None; so is ``until``."""
    until: str | None
    """None for the current parent (``actor.part_of_id``)."""


@dataclass
class FtmDesignation:
    """One target of a sanction, with the sanction's fields."""

    sanction: str
    sanction_key: str
    authority: str | None
    """The authority as given, else the name of its actor."""
    adopted: str | None
    programme: str | None
    measures: str | None
    url: str | None
    actor_id: int
    listed: str | None
    delisted: str | None


@dataclass
class FtmData:
    actors: list[FtmActor]
    memberships: list[FtmMembership]
    designations: list[FtmDesignation]
    untargeted: list[str]
    """The names of the sanctions without a target (FtM's Sanction needs an entity)."""


def ftm_data(conn: Conn) -> FtmData:
    r = Reader.of(conn)
    actors: dict[int, FtmActor] = {}
    for actor_id, name, name_key_, kind in r.rows(
        "SELECT id, name, name_key, kind FROM actor ORDER BY name_key"
    ):
        actors[int(actor_id)] = FtmActor(int(actor_id), str(name), str(name_key_), str(kind))
    for actor_id, alias in r.rows(
        "SELECT actor_id, alias FROM actor_alias ORDER BY alias_key, alias"
    ):
        actors[int(actor_id)].aliases.append(str(alias))
    for actor_id, scheme, value in r.rows(
        "SELECT actor_id, scheme, value FROM external_id WHERE actor_id IS NOT NULL "
        "ORDER BY scheme, value"
    ):
        actors[int(actor_id)].ids.append((str(scheme), str(value)))

    def key(actor_id: Any) -> str:
        return actors[int(actor_id)].key

    memberships = [
        FtmMembership(int(a), int(p), stored_text(since, precision), None)
        for a, p, since, precision in r.rows(
            "SELECT id, part_of_id, part_of_since, part_of_since_precision FROM actor "
            "WHERE part_of_id IS NOT NULL"
        )
    ]
    memberships.extend(
        FtmMembership(int(a), int(p), stored_text(since, since_p), stored_text(until, until_p))
        for a, p, since, since_p, until, until_p in r.rows(
            "SELECT actor_id, parent_id, since, since_precision, until, until_precision "
            "FROM actor_membership"
        )
    )
    memberships.sort(
        key=lambda m: (key(m.actor_id), key(m.parent_id), m.since or "", m.until or "~")
    )

    designations = [
        FtmDesignation(
            sanction=str(name),
            sanction_key=str(skey),
            authority=authority or authority_actor,
            adopted=stored_text(adopted, adopted_p),
            programme=programme,
            measures=measures,
            url=url,
            actor_id=int(actor_id),
            listed=stored_text(listed, listed_p),
            delisted=stored_text(delisted, delisted_p),
        )
        for (
            name,
            skey,
            authority,
            authority_actor,
            adopted,
            adopted_p,
            programme,
            measures,
            url,
            actor_id,
            listed,
            listed_p,
            delisted,
            delisted_p,
        ) in r.rows(
            "SELECT s.name, s.name_key, s.authority, a.name, s.adopted, s.adopted_precision, "
            "s.programme, s.measures, s.url, t.actor_id, t.listed, t.listed_precision, "
            "t.delisted, t.delisted_precision "
            "FROM sanction_target AS t JOIN sanction AS s ON s.id = t.sanction_id "
            "LEFT JOIN actor AS a ON a.id = s.authority_id"
        )
    ]
    designations.sort(key=lambda d: (d.sanction_key, key(d.actor_id)))
    untargeted = [
        str(name)
        for (name,) in r.rows(
            "SELECT name FROM sanction AS s WHERE NOT EXISTS "
            "(SELECT 1 FROM sanction_target AS t WHERE t.sanction_id = s.id) ORDER BY name_key"
        )
    ]
    return FtmData(list(actors.values()), memberships, designations, untargeted)


def ftm_index(conn: Conn) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """What an FtM import matches with, read once: every actor name and alias key -> the
    actor's id, and every actor's external id (scheme, value) -> the actor's id."""
    r = Reader.of(conn)
    keys = {str(k): int(i) for i, k in r.rows("SELECT id, name_key FROM actor")}
    keys.update((str(k), int(i)) for i, k in r.rows("SELECT actor_id, alias_key FROM actor_alias"))
    ids: dict[tuple[str, str], int] = {}
    for actor_id, scheme, value in r.rows(
        "SELECT actor_id, scheme, value FROM external_id WHERE actor_id IS NOT NULL"
    ):
        ids[(str(scheme), str(value))] = int(actor_id)
    return keys, ids


def taken_external_ids(conn: Conn) -> set[tuple[str, str]]:
    """Every (scheme, value) recorded, of actors and sanctions."""
    r = Reader.of(conn)
    return {(str(s), str(v)) for s, v in r.rows("SELECT scheme, value FROM external_id")}


def parents(conn: Conn) -> dict[int, tuple[int | None, str | None]]:
    """Every actor's current parent and the start of that membership (ISO text)."""
    r = Reader.of(conn)
    return {
        int(i): (None if p is None else int(p), _iso(since))
        for i, p, since in r.rows("SELECT id, part_of_id, part_of_since FROM actor")
    }


def sanction_targets(conn: Conn) -> dict[tuple[int, int], tuple[Any, Any]]:
    """Every (sanction, actor) target -> its listed and delisted dates (ISO text)."""
    r = Reader.of(conn)
    return {
        (int(s), int(a)): (_iso(listed), _iso(delisted))
        for s, a, listed, delisted in r.rows(
            "SELECT sanction_id, actor_id, listed, delisted FROM sanction_target"
        )
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


__all__ = [
    "FtmActor",
    "FtmData",
    "FtmDesignation",
    "FtmMembership",
    "ftm_data",
    "ftm_index",
    "parents",
    "sanction_targets",
    "taken_external_ids",
]
