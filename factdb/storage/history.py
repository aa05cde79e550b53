"""Who made a change, through which command, and why: the change context of a write.

The rows themselves are recorded by the database's triggers (migration 0006) into ``change``,
whoever writes. A factdb write transaction also says who it is: ``begin`` puts the id of its
change set into ``change_current`` (the triggers copy it into every ``change`` row), and
``finish`` removes it again and writes the ``change_set`` row (user, database role, command,
reason), both before the commit, so no other transaction ever sees ``change_current`` filled.
A transaction that changed nothing leaves no ``change_set`` row.

A bulk import sets ``change_current.bulk``: the insert triggers stand aside, and ``finish``
records one change per table instead, the rows it gained and the range of their new ids
(docs/design.md, History). Updates and deletes are recorded row by row as always.

Ids of change sets: SQLite serializes writers (BEGIN IMMEDIATE), so the next id is one above
the highest; PostgreSQL draws it from the table's sequence.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from factdb.storage.config import TABLES, ChangeContext
from factdb.storage.reader import Reader

ID_TABLES = ("actor", "actor_alias", "claim", "source", "assertion", "sanction")
"""The tables whose rows have an id; the others (links) are counted."""


def now_text() -> str:
    """The time as the triggers write it: UTC, ISO 8601, milliseconds, ``Z``."""
    moment = dt.datetime.now(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Opened:
    """A change context in progress: its change set, and for a bulk import what each table
    held at the start (the highest id, or the row count of a link table)."""

    set_id: int
    before: dict[str, int] = field(default_factory=dict)

    @property
    def bulk(self) -> bool:
        return bool(self.before)


def begin(r: Reader, *, bulk: bool = False) -> Opened:
    """Open the change context of the transaction on ``r``."""
    if r.postgresql:
        set_id = int(r.scalar("SELECT nextval(pg_get_serial_sequence('change_set', 'id'))"))
    else:
        set_id = int(
            r.scalar(
                "SELECT max(coalesce((SELECT max(id) FROM change_set), 0), "
                "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'change_set'), 0)) + 1"
            )
        )
    r.run("DELETE FROM change_current")
    r.run(
        "INSERT INTO change_current (set_id, bulk) VALUES (:id, :bulk)",
        {"id": set_id, "bulk": 1 if bulk else 0},
    )
    opened = Opened(set_id)
    if bulk:
        for table in TABLES:
            column = "max(id)" if table in ID_TABLES else "count(*)"
            opened.before[table] = int(r.scalar(f"SELECT coalesce({column}, 0) FROM {table}"))
    return opened


def _bulk_summary(r: Reader, opened: Opened, at: str) -> None:
    """One change per table a bulk import wrote to: how many rows, which new ids."""
    for table, before in opened.before.items():
        if table in ID_TABLES:
            rows, first, last = r.first(
                f"SELECT count(*), min(id), max(id) FROM {table} WHERE id > :before",
                {"before": before},
            ) or (0, None, None)
            rows = int(rows)
            summary: dict[str, object] = {"rows": rows, "ids": [first, last]}
        else:
            rows = int(r.scalar(f"SELECT count(*) FROM {table}")) - before
            first = last = None
            summary = {"rows": rows}
        if rows <= 0:
            continue
        r.run(
            "INSERT INTO change (set_id, at, db_role, table_name, op, row_key, new, id_from, "
            f"id_to) VALUES (:set, :at, {'current_user' if r.postgresql else 'NULL'}, :table, "
            "'insert', '*', :new, :first, :last)",
            {
                "set": opened.set_id,
                "at": at,
                "table": table,
                "new": json.dumps(summary),
                "first": first,
                "last": last,
            },
        )


def finish(r: Reader, opened: Opened, change: ChangeContext) -> None:
    """Close the context: the change set is written when the transaction changed a row."""
    at = now_text()
    if opened.bulk:
        _bulk_summary(r, opened, at)
    r.run("DELETE FROM change_current")
    role = "current_user" if r.postgresql else "NULL"
    r.run(
        "INSERT INTO change_set (id, at, user_name, db_role, command, reason) "
        f"SELECT :id, :at, :user, {role}, :command, :reason "
        "WHERE EXISTS (SELECT 1 FROM change WHERE set_id = :id)",
        {
            "id": opened.set_id,
            "at": at,
            "user": change.user,
            "command": change.command,
            "reason": change.reason,
        },
    )
