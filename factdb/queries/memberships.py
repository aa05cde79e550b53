"""Memberships over time: an actor's current parent (with the date it joined, when given)
and the memberships that ended (docs/design.md, Memberships over time)."""

from __future__ import annotations

from typing import Any

from factdb.core.dates import stored_text
from factdb.queries.base import MEMBERSHIP_EDGES, Conn
from factdb.storage.reader import Reader

MEMBERSHIPS_SELECT = (
    "SELECT p.id, p.name, a.part_of_since, a.part_of_since_precision, NULL, NULL, 1 "
    "FROM actor AS a JOIN actor AS p ON p.id = a.part_of_id WHERE a.id = :id "
    "UNION ALL "
    "SELECT p.id, p.name, m.since, m.since_precision, m.until, m.until_precision, 0 "
    "FROM actor_membership AS m JOIN actor AS p ON p.id = m.parent_id WHERE m.actor_id = :id"
)


def memberships(conn: Conn, actor_id: int) -> list[dict[str, Any]]:
    """Every membership of the actor, the current one and those that ended, oldest first
    (by their end; the current last): parent, parent_id, since, until (dates as given or
    None), current."""
    rows = Reader.of(conn).rows(MEMBERSHIPS_SELECT, {"id": actor_id})
    rows.sort(key=lambda row: (int(row[6]), str(row[4] or ""), str(row[2] or "")))
    return [
        {
            "parent": parent,
            "parent_id": int(parent_id),
            "since": stored_text(since, since_p),
            "until": stored_text(until, until_p),
            "current": bool(current),
        }
        for parent_id, parent, since, since_p, until, until_p, current in rows
    ]


def ancestors_any_period(conn: Conn, actor_id: int) -> list[tuple[int, int]]:
    """Every (actor, parent) edge above ``actor_id`` through current and ended memberships:
    what a new membership must not close a cycle with."""
    return [
        (int(child), int(parent))
        for child, parent in Reader.of(conn).rows(
            f"WITH RECURSIVE {MEMBERSHIP_EDGES},"
            " up(child_id, parent_id) AS (SELECT child_id, parent_id FROM edge"
            " WHERE child_id = :id UNION"
            " SELECT e.child_id, e.parent_id FROM up JOIN edge AS e ON e.child_id = up.parent_id)"
            " SELECT child_id, parent_id FROM up",
            {"id": actor_id},
        )
    ]


def alias_periods(conn: Conn, actor_id: int) -> list[dict[str, Any]]:
    """The aliases of the actor that carry dates: alias, since, until (as given or None)."""
    return [
        {"alias": alias, "since": stored_text(s, sp), "until": stored_text(u, up)}
        for alias, s, sp, u, up in Reader.of(conn).rows(
            "SELECT alias, since, since_precision, until, until_precision FROM actor_alias "
            "WHERE actor_id = :id AND (since IS NOT NULL OR until IS NOT NULL) ORDER BY alias",
            {"id": actor_id},
        )
    ]
