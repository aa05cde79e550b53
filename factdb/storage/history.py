"""Who made a change, through which command, and why: the change context of a write.

The rows themselves are recorded by the database's triggers (migration 0006) into ``change``,
whoever writes. A factdb write transaction also says who it is: ``begin`` puts the id of its
change set into ``change_current`` (the triggers copy it into every ``change`` row), and
``finish`` removes it again and writes the ``change_set`` row (user, database role, command,
reason), both before the commit, so no other transaction ever sees ``change_current`` filled.
A transaction that changed nothing leaves no ``change_set`` row.

Ids of change sets: SQLite serializes writers (BEGIN IMMEDIATE), so the next id is one above
the highest; PostgreSQL draws it from the table's sequence.
"""

from __future__ import annotations

import datetime as dt

from factdb.storage.config import ChangeContext
from factdb.storage.reader import Reader


def now_text() -> str:
    """The time as the triggers write it: UTC, ISO 8601, milliseconds, ``Z``."""
    moment = dt.datetime.now(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def begin(r: Reader) -> int:
    """Open the change context of the transaction on ``r``; returns its change set id."""
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
    r.run("INSERT INTO change_current (set_id) VALUES (:id)", {"id": set_id})
    return set_id


def finish(r: Reader, set_id: int, change: ChangeContext) -> None:
    """Close the context: the change set is written when the transaction changed a row."""
    r.run("DELETE FROM change_current")
    role = "current_user" if r.postgresql else "NULL"
    r.run(
        "INSERT INTO change_set (id, at, user_name, db_role, command, reason) "
        f"SELECT :id, :at, :user, {role}, :command, :reason "
        "WHERE EXISTS (SELECT 1 FROM change WHERE set_id = :id)",
        {
            "id": set_id,
            "at": now_text(),
            "user": change.user,
            "command": change.command,
            "reason": change.reason,
        },
    )
