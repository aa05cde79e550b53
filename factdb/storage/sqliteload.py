"""SQLite: the set-based work of a bulk load, done once after it instead of once a row.

An import writes its rows in batches inside one transaction (``csvimport``, ``jsonl``). Row
by row, SQLite would also run every full-text trigger, test every idle history trigger,
evaluate every CHECK constraint (a temporary index per ``IN`` list) and insert into every
secondary index in random order. Each context manager here takes one of those out for the
load and does its work set-based afterwards, inside the same transaction, putting back
exactly what was there (the SQL read from ``sqlite_master``), so a failed import rolls back
with the schema as it was (docs/performance.md, Import).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import CheckConstraint, Table, bindparam, text
from sqlmodel import Session

from factdb.storage import bulk
from factdb.storage.models import Actor, Assertion, AssertionVia, Sanction, Source, table_of


def _set_aside(
    session: Session, kind: str, *, names: list[str] | None = None, sql_like: str = "%"
) -> list[tuple[str, str]]:
    """Drop the schema objects of ``kind`` (index, trigger) named ``names``, or whose SQL is
    like ``sql_like``, inside the caller's transaction; returns (name, SQL) of each, as
    ``sqlite_master`` holds it, for ``_put_back`` to create them again exactly as they were."""
    if names is not None:
        statement = text(
            "SELECT name, sql FROM sqlite_master WHERE type = :kind AND name IN :names"
        ).bindparams(bindparam("names", expanding=True))
        params: dict[str, Any] = {"kind": kind, "names": names}
    else:
        statement = text("SELECT name, sql FROM sqlite_master WHERE type = :kind AND sql LIKE :l")
        params = {"kind": kind, "l": sql_like}
    saved = [(str(name), str(sql)) for name, sql in session.execute(statement, params)]
    for name, _ in saved:
        session.execute(text(f'DROP {kind.upper()} "{name}"'))
    return saved


def _put_back(session: Session, saved: list[tuple[str, str]]) -> None:
    for _, sql in saved:
        session.execute(text(sql))


@contextmanager
def idle_triggers_out(session: Session) -> Iterator[None]:
    """Take out, for the load, the history's insert triggers that a bulk import makes idle.

    Each of them is ``WHEN NOT EXISTS (SELECT 1 FROM change_current WHERE bulk <> 0)``: under
    a bulk import (``history.begin(bulk=True)``) it does nothing, yet SQLite runs the test
    for every row inserted, which cost more than the insert itself (450,000 via rows: 3.4 s
    with the trigger, 0.8 s without). They are dropped inside the import's transaction only
    while ``change_current`` says bulk, and put back exactly as they were (their SQL from
    sqlite_master), so a failed import rolls back with them in place."""
    bulk_now = session.execute(text("SELECT 1 FROM change_current WHERE bulk <> 0 LIMIT 1")).first()
    saved: list[tuple[str, str]] = []
    if bulk_now is not None:
        saved = _set_aside(session, "trigger", sql_like="%FROM change_current WHERE bulk <> 0%")
    yield
    _put_back(session, saved)


FTS_TRIGGERS = {
    "claim_fts_insert": ("claim_fts", "text", "claim"),
    "quote_fts_insert": ("quote_fts", "quote", "assertion"),
}


@contextmanager
def fts_set_based(session: Session) -> Iterator[None]:
    """Index the claims and quotes of a bulk import in one set-based statement each instead
    of one trigger call per row, inside the import's transaction: the triggers are taken out,
    the new rows are indexed with INSERT … SELECT, and the triggers are put back exactly as
    they were (their SQL read from sqlite_master), so the index stays current and the change
    is atomic (a failed import rolls the triggers back with the rest)."""
    saved = _set_aside(session, "trigger", names=list(FTS_TRIGGERS))
    first = {name: next_id(session, FTS_TRIGGERS[name][2]) for name, _ in saved}
    yield
    for name, _ in saved:
        fts, column, table = FTS_TRIGGERS[name]
        session.execute(
            text(
                f"INSERT INTO {fts}(rowid, {column}) SELECT id, {column} FROM {table} "
                f"WHERE id >= :first AND {column} IS NOT NULL"
            ),
            {"first": first[name]},
        )
    _put_back(session, saved)


def next_id(session: Session, table: str, column: str = "id") -> int:
    """The id SQLite gives the next row of ``table``: one more than the largest it ever had
    (``AUTOINCREMENT``: ``sqlite_sequence``), or than the largest ``column`` otherwise."""
    if column == "id":
        return bulk.next_sqlite_id(session, table)
    return int(
        session.execute(text(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}")).scalar_one()
    )


CHECKED_TABLES: tuple[tuple[Table, str], ...] = (
    (table_of(Actor), "id"),
    (table_of(Source), "id"),
    (table_of(Assertion), "id"),
    (table_of(AssertionVia), "assertion_id"),
    (table_of(Sanction), "id"),
)
"""The tables with CHECK constraints an import writes in bulk, and the column whose values
grow with each new row (ids assigned after ``max(id)`` on SQLite)."""


@contextmanager
def checks_after_load(session: Session) -> Iterator[None]:
    """Check the CHECK constraints of the bulk-written rows once, set-based, after the load.

    SQLite evaluates each ``x IN ('a', 'b', …)`` CHECK of an INSERT by building a small
    temporary index per row, which costs more than the insert itself (about 2.7 s of a
    million assertions). The importer writes only values it has validated, so during the
    load the connection skips CHECK constraints (``PRAGMA ignore_check_constraints``, reset
    whatever happens), and afterwards one query per table counts the new rows that break any
    of the table's CHECK constraints, with the constraints' own SQL from the models. Any such
    row fails the import like a failed CHECK would, and the transaction rolls back."""
    raw = bulk.raw_connection(session)
    first = {table.name: next_id(session, table.name, column) for table, column in CHECKED_TABLES}
    raw.execute("PRAGMA ignore_check_constraints=ON")
    try:
        yield
    finally:
        raw.execute("PRAGMA ignore_check_constraints=OFF")
    for table, column in CHECKED_TABLES:
        checks = [str(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)]
        if not checks:
            continue
        condition = " AND ".join(f"({c})" for c in checks)
        statement = (
            f"SELECT count(*) FROM {table.name} WHERE {column} >= :first AND NOT ({condition})"
        )
        broken = session.execute(text(statement), {"first": first[table.name]}).scalar_one()
        if broken:
            raise bulk.check_failed(statement, f"{broken} new {table.name} row(s)")


# Secondary indexes of the assertion tables: random order under a bulk load, so into an empty
# table they are built once afterwards, sorted (docs/performance.md), not row by row.
AFTER_LOAD_INDEXES = (
    "ix_assertion_claim_id",
    "ix_assertion_actor_id",
    "ix_assertion_source_id",
    "ix_assertion_via_actor_id",
)


@contextmanager
def indexes_after_load(session: Session) -> Iterator[None]:
    """Into an empty assertion table, drop its secondary indexes and build them after the
    load, in the same transaction (atomic: a failed import restores them with the rest)."""
    empty = session.execute(text("SELECT 1 FROM assertion LIMIT 1")).first() is None
    saved: list[tuple[str, str]] = []
    if empty:
        saved = _set_aside(session, "index", names=list(AFTER_LOAD_INDEXES))
    yield
    _put_back(session, saved)


@contextmanager
def bulk_load(session: Session, *, indexes: bool) -> Iterator[None]:
    """All of the above for one load: the full-text index filled after it, its CHECKs checked
    after it, the idle history triggers aside, and with ``indexes`` the assertion tables'
    secondary indexes built after it (into an empty table). What the caller runs after its
    ``yield`` inside the block comes before that work."""
    with (
        fts_set_based(session),
        indexes_after_load(session) if indexes else nullcontext(),
        checks_after_load(session),
        idle_triggers_out(session),
    ):
        yield
