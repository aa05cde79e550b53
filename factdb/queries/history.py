"""The change history as data: what changed (table, row, values before and after), when, by
whom, through which command and why, newest first (``factdb history``), and the last change
of a record (``show``, ``actor show``).

The rows are written by the database's triggers (migration 0006, ``storage.history``), so a
change made through ``factdb sql --write`` or another SQL client is here too: without a
change set, it is shown as made by ``(direct SQL)`` and, on PostgreSQL, its database role.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from factdb.queries.base import Conn
from factdb.queries.relations import phrase
from factdb.storage.reader import Reader

DIRECT_SQL = "(direct SQL)"
"""Who made a change that no factdb command recorded a change set for."""

IDENTITY: dict[str, list[str]] = {
    "actor": ["name", "kind", "part_of_id"],
    "actor_alias": ["alias", "actor_id"],
    "claim": ["text"],
    "claim_tag": ["tag", "claim_id"],
    "source": ["url", "outlet", "title", "published"],
    "assertion": ["claim_id", "actor_id", "stance", "date", "source_id", "quote"],
    "assertion_via": ["assertion_id", "position", "actor_id"],
    "sanction": ["name", "authority", "programme", "adopted"],
    "claim_sanction": ["claim_id", "sanction_id"],
    "actor_membership": ["actor_id", "parent_id", "since", "until"],
    "sanction_target": ["sanction_id", "actor_id", "listed", "delisted"],
    "sanction_response": ["sanction_id", "claim_id"],
}
"""The fields that say which record a row is, in a one-line summary of an insert or delete."""

QUIET = {"name_key", "alias_key", "text_key", "key", "created_at", "recorded_at"}
"""Derived or bookkeeping fields, left out of a summary of an update when they merely follow
another field."""


@dataclass
class HistoryQuery:
    """What ``factdb history`` selects; every part optional (all changes)."""

    claim_id: int | None = None
    actor_id: int | None = None
    source_id: int | None = None
    sanction_id: int | None = None
    since: str | None = None
    """ISO date or time: changes at or after it."""
    user: str | None = None
    limit: int | None = None


ABOUT_COLUMN = {
    "claim_id": "claim",
    "actor_id": "actor",
    "source_id": "source",
    "sanction_id": "sanction",
}


def _value(value: Any) -> str:
    if value is None:
        return "∅"
    if isinstance(value, str):
        return repr(value) if len(value) <= 80 else repr(value[:77] + "…")
    return str(value)


def describe(table: str, op: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    """One line: what a change did to its row."""
    if op == "update" and old is not None and new is not None:
        changed = [k for k in new if old.get(k) != new.get(k)]
        shown = [k for k in changed if k not in QUIET] or changed
        return "; ".join(f"{k}: {_value(old.get(k))} → {_value(new.get(k))}" for k in shown)
    row = new if new is not None else old
    assert row is not None
    if table == "claim_relation" and "kind" in row:
        return relation_text(row)
    if "rows" in row:  # a bulk import's change: how many rows, which ids
        ids = row.get("ids")
        span = f" (ids {ids[0]}–{ids[1]})" if ids else ""
        return f"{row['rows']} rows{span}, by a bulk import"
    if table == "rating":
        return describe_rating(row)
    if table == "external_id":
        return describe_external_id(row)
    fields = [
        f"{k}={_value(row.get(k))}" for k in IDENTITY.get(table, []) if row.get(k) is not None
    ]
    return ", ".join(fields)


def relation_text(row: dict[str, Any]) -> str:
    """A row of ``claim_relation`` as a sentence: "claim 5 is part of claim 1"."""
    try:
        how = phrase(str(row["kind"]))
    except KeyError:  # a kind the schema refuses: never written, shown as it is
        how = _value(row["kind"])
    return f"claim {row.get('claim_id')} {how} claim {row.get('other_claim_id')}"


def _relation_ends(r: Reader, column: str) -> str:
    """SQL: a change of ``claim_relation`` whose row, before or after, has claim ``:column``
    at either end (the change's ``claim_id`` is only the row's own ``claim_id``)."""
    ends = []
    for version in ("old", "new"):
        for field in ("claim_id", "other_claim_id"):
            if r.postgresql:
                ends.append(f"(c.{version}::jsonb ->> '{field}') = :{column}_key")
            else:
                ends.append(f"json_extract(c.{version}, '$.{field}') = :{column}")
    return f"(c.table_name = 'claim_relation' AND ({' OR '.join(ends)}))"


def describe_external_id(row: dict[str, Any]) -> str:
    """An external id row in words: ``wikidata:'Q7747' of actor 12``."""
    owner = (
        f"actor {row['actor_id']}"
        if row.get("actor_id") is not None
        else f"sanction {row.get('sanction_id')}"
    )
    return f"{row.get('scheme')}:{_value(row.get('value'))} of {owner}"


def describe_rating(row: dict[str, Any]) -> str:
    """A rating row in words: ``actor 3 rated E (unreliable) by erin: 'state media'``, or
    ``assertion 7: grade withdrawn by erin: '…'``."""
    from factdb.core.vocabulary import CREDIBILITY_MEANING, RELIABILITY_MEANING

    if row.get("actor_id") is not None:
        record, meanings = f"actor {row['actor_id']}", RELIABILITY_MEANING
    else:
        record, meanings = f"assertion {row.get('assertion_id')}", CREDIBILITY_MEANING
    grade = row.get("grade")
    reason = f": {_value(row['reason'])}" if row.get("reason") is not None else ""
    if grade is None:
        return f"{record}: grade withdrawn by {row.get('rated_by')}{reason}"
    meaning = meanings.get(str(grade))
    graded = f"{grade} ({meaning})" if meaning else _value(grade)
    return f"{record} rated {graded} by {row.get('rated_by')}{reason}"


def _decode(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(json.loads(text))


def history(conn: Conn, query: HistoryQuery) -> list[dict[str, Any]]:
    """The changes ``query`` selects, newest first. A record's history also holds the change
    sets that deleted it (a merge), whole, so that what became of it can be read there; a
    claim's history holds the changes of every relation with the claim at either end."""
    r = Reader.of(conn)
    where: list[str] = []
    params: dict[str, Any] = {}
    for column, table in ABOUT_COLUMN.items():
        value = getattr(query, column)
        if value is None:
            continue
        params[column] = value
        params[f"{column}_key"] = str(value)
        bulk = f"(c.table_name = '{table}' AND c.id_from <= :{column} AND c.id_to >= :{column})"
        if column != "sanction_id":
            bulk += (
                " OR (c.table_name = 'assertion' AND c.id_from IS NOT NULL AND EXISTS (SELECT 1 "
                f"FROM assertion AS a WHERE a.{column} = :{column} "
                "AND a.id BETWEEN c.id_from AND c.id_to))"
            )
        relations = f" OR {_relation_ends(r, column)}" if column == "claim_id" else ""
        where.append(
            f"(c.{column} = :{column} OR c.set_id IN (SELECT d.set_id FROM change AS d "
            f"WHERE d.table_name = '{table}' AND d.row_key = :{column}_key AND d.op = 'delete' "
            f"AND d.set_id IS NOT NULL) OR {bulk}{relations})"
        )
    if query.since is not None:
        where.append("c.at >= :since")
        params["since"] = query.since
    if query.user is not None:
        if query.user == DIRECT_SQL:
            where.append("s.id IS NULL")
        else:
            where.append("lower(s.user_name) = lower(:user)")
            params["user"] = query.user
    sql = (
        "SELECT c.id, c.at, s.user_name, coalesce(s.db_role, c.db_role), s.command, s.reason, "
        "c.set_id, c.table_name, c.op, c.row_key, c.old, c.new "
        "FROM change AS c LEFT JOIN change_set AS s ON s.id = c.set_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY c.id DESC"
        + ("" if query.limit is None else " LIMIT :limit")
    )
    if query.limit is not None:
        params["limit"] = query.limit
    out = []
    for cid, at, user, role, command, reason, set_id, table, op, key, old, new in r.rows(
        sql, params
    ):
        before, after = _decode(old), _decode(new)
        out.append(
            {
                "change": int(cid),
                "at": str(at),
                "user": user if user is not None else DIRECT_SQL,
                "db_role": role,
                "command": command,
                "reason": reason,
                "change_set": None if set_id is None else int(set_id),
                "table": table,
                "op": op,
                "row": key,
                "what": describe(table, op, before, after),
                "old": before,
                "new": after,
            }
        )
    return out


def last_change_statement(column: str, value: int) -> tuple[str, dict[str, Any]]:
    """One read, for ``Reader.batch``: the newest change about a record (``last_change``)."""
    assert column in ABOUT_COLUMN
    return (
        "SELECT c.at, s.user_name, coalesce(s.db_role, c.db_role), s.command "
        f"FROM change AS c LEFT JOIN change_set AS s ON s.id = c.set_id WHERE c.{column} = :v "
        "ORDER BY c.id DESC LIMIT 1",
        {"v": value},
    )


def last_change(conn: Conn, column: str, value: int) -> dict[str, Any] | None:
    """When a record (``column`` = ``value``: claim_id, actor_id …) or anything about it last
    changed, by whom and through which command; None before the history was kept."""
    return last_change_from_rows(Reader.of(conn).rows(*last_change_statement(column, value)))


def last_change_from_rows(rows: list[tuple[Any, ...]]) -> dict[str, Any] | None:
    if not rows:
        return None
    at, user, role, command = rows[0]
    return {
        "at": str(at),
        "user": user if user is not None else DIRECT_SQL,
        "db_role": role,
        "command": command,
    }
