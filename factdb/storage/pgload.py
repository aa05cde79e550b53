"""PostgreSQL: loading an empty assertion table with its indexes and foreign keys built after.

A row COPYed into ``assertion`` costs the server far more than the row itself: three
foreign-key checks (each a query of its own), the unique natural key, two more b-trees and
the full-text (GIN) index, all maintained row by row in random order. Into an EMPTY table the
same work is done set-based after the load, in the import's one transaction:

1. ``LOCK TABLE assertion, assertion_via IN ACCESS EXCLUSIVE MODE``; the tables are checked
   empty again under the lock.
2. Their foreign keys and their indexes other than the primary keys are dropped, their
   definitions kept as the catalog gives them (``pg_get_constraintdef``,
   ``pg_get_indexdef``), so what is put back is exactly what was there.
3. The rows are COPYed (``csvimport``) with ids in file order. The importer keeps no set of
   the natural keys it wrote (it grew with the file: a peak of 1 GB at ten million rows).
4. The unique index of live natural keys is built first, under a savepoint. When the file
   repeated an assertion, the build fails; then the later rows of each natural key are
   deleted with their via chains and the ids above the first of them closed up, so that the
   ids stay contiguous in file order as on SQLite, all set-based (``drop_repeats``).
5. The other indexes are built (sorted, with ``maintenance_work_mem`` raised by ``SET LOCAL``) and
   the foreign keys added back; adding a foreign key checks every row in one anti-join.

DDL is transactional on PostgreSQL: a failed import (a bad row, a broken constraint found
when it is added back, a killed process) rolls back the DDL with the rows, and the schema is
as it was. The price is the locks: dropping a foreign key takes ACCESS EXCLUSIVE on both its
table and the table it references, so ``assertion``, ``assertion_via``, ``actor``, ``claim``
and ``source`` are closed to every other transaction, readers included, until the import
commits. That is acceptable only when the database is being loaded, hence only into an empty
assertion table; an import into a populated database takes none of these locks
(docs/performance.md, PostgreSQL import; docs/reliability.md).

Only a recorded bulk import takes this path (``change_current.bulk``, set by
``history.begin``), never a dry run. Its history is the bulk summary of ``history.finish``
whatever the triggers do, so the statement-level insert triggers, which stand aside in a bulk
import, are disabled too: they would still have every row copied into their transition
table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel import Session

TABLES = ("assertion", "assertion_via")
"""Loaded with their indexes after: the rows of an import are almost all theirs."""
HISTORY_TRIGGERS = {
    "assertion": "change_assertion_insert",
    "assertion_via": "change_assertion_via_insert",
}
LIVE_KEY = "ux_assertion_live_key"
"""The unique index of live natural keys: built first after the load, it finds repeats."""
NATURAL_KEY = ("claim_id", "actor_id", "stance", "date", "date_precision", "source_id")
"""The columns of an assertion's natural key (unique among live assertions)."""
ROW_TRIGGERS = {"assertion": "change_assertion_row", "assertion_via": "change_assertion_via_row"}
"""The history's row triggers (updates and deletes), off while repeats are taken out: those
rows never were."""
MAINTENANCE_WORK_MEM = "256MB"
"""For the index builds of the load (the server's default, 64MB, sorts a GIN build of a
million quotes in many passes)."""

_FOREIGN_KEYS = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
FROM pg_constraint
WHERE contype = 'f' AND conrelid IN ('assertion'::regclass, 'assertion_via'::regclass)
ORDER BY conrelid::regclass::text, conname
"""
_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index AS i
WHERE i.indrelid IN ('assertion'::regclass, 'assertion_via'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
ORDER BY 1
"""


@dataclass
class Saved:
    """What was dropped for the load, to be put back as it was."""

    foreign_keys: list[tuple[str, str, str]] = field(default_factory=list)
    indexes: list[tuple[str, str]] = field(default_factory=list)
    triggers: list[tuple[str, str]] = field(default_factory=list)


def _empty(session: Session) -> bool:
    return all(
        session.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is None for table in TABLES
    )


def _recorded_bulk(session: Session) -> bool:
    return (
        session.execute(text("SELECT 1 FROM change_current WHERE bulk <> 0 LIMIT 1")).first()
        is not None
    )


def drop_for_load(session: Session) -> Saved | None:
    """Drop the foreign keys, secondary indexes and insert history triggers of an empty
    assertion table for a bulk load; None (nothing done, no lock taken) if the tables hold
    rows or this is not a recorded bulk import."""
    if not _recorded_bulk(session) or not _empty(session):
        return None
    session.execute(text(f"LOCK TABLE {', '.join(TABLES)} IN ACCESS EXCLUSIVE MODE"))
    if not _empty(session):  # a writer committed rows between the look and the lock
        return None
    saved = Saved(
        foreign_keys=[(str(t), str(n), str(d)) for t, n, d in session.execute(text(_FOREIGN_KEYS))],
        indexes=[(str(n), str(d)) for n, d in session.execute(text(_INDEXES))],
        triggers=list(HISTORY_TRIGGERS.items()),
    )
    for table, name, _ in saved.foreign_keys:
        session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in saved.indexes:
        session.execute(text(f"DROP INDEX {name}"))
    for table, trigger in saved.triggers:
        session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
    return saved


_REPEATS = f"""
CREATE TEMP TABLE import_repeat ON COMMIT DROP AS
SELECT id FROM (
    SELECT id, row_number() OVER (PARTITION BY {", ".join(NATURAL_KEY)} ORDER BY id) AS n
    FROM assertion WHERE retracted_at IS NULL
) AS ranked WHERE n > 1
"""
_RENUMBER = """
CREATE TEMP TABLE import_renumber ON COMMIT DROP AS
SELECT id AS old, :first + row_number() OVER (ORDER BY id) - 1 AS new
FROM assertion WHERE id >= :first
"""


def drop_repeats(session: Session, saved: Saved) -> int:
    """After the load, before the importer counts it: build the unique index of live natural
    keys; if the file repeated an assertion, keep the first row of each natural key (the
    lowest id), delete the others with their via chains, close up the ids above the first
    deleted one (new = old minus the deleted ids below it, in two steps through negative ids
    so that the primary keys never meet), set the sequence back, and build the index. Returns
    how many rows were deleted. The tables are held ACCESS EXCLUSIVE and their foreign keys
    are off, so nothing else sees or refers to these ids yet."""
    from sqlalchemy.exc import IntegrityError

    definition = dict(saved.indexes)[LIVE_KEY]
    session.execute(text(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'"))
    try:
        with session.begin_nested():
            session.execute(text(definition))
        return 0
    except IntegrityError:
        pass  # a natural key repeated: back at the savepoint, without the index
    session.execute(text(_REPEATS))
    deleted, first = session.execute(text("SELECT count(*), min(id) FROM import_repeat")).one()
    for table, trigger in ROW_TRIGGERS.items():
        session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
    session.execute(
        text("DELETE FROM assertion_via WHERE assertion_id IN (SELECT id FROM import_repeat)")
    )
    session.execute(text("DELETE FROM assertion WHERE id IN (SELECT id FROM import_repeat)"))
    session.execute(text(_RENUMBER), {"first": first})
    for table, column in (("assertion", "id"), ("assertion_via", "assertion_id")):
        session.execute(
            text(
                f"UPDATE {table} SET {column} = -r.new FROM import_renumber AS r "
                f"WHERE {column} = r.old"
            )
        )
        session.execute(text(f"UPDATE {table} SET {column} = -{column} WHERE {column} < 0"))
    for table, trigger in ROW_TRIGGERS.items():
        session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))
    session.execute(
        text(
            "SELECT setval(pg_get_serial_sequence('assertion', 'id'), "
            "(SELECT max(id) FROM assertion))"
        )
    )
    session.execute(text("DROP TABLE import_repeat, import_renumber"))
    session.execute(text(definition))
    return int(deleted)


def restore_after_load(session: Session, saved: Saved) -> None:
    """Build the indexes (but the one ``drop_repeats`` built) and add the foreign keys back,
    set-based; any row breaking one raises here, and the import's transaction rolls back with
    the DDL."""
    session.execute(text(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'"))
    for name, definition in saved.indexes:
        built = session.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar()
        if built is None:
            session.execute(text(definition))
    for table, name, definition in saved.foreign_keys:
        session.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
    for table, trigger in saved.triggers:
        session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))


@contextmanager
def indexes_after_load(session: Session) -> Iterator[Saved | None]:
    """``drop_for_load`` before, ``restore_after_load`` after a load that succeeded; yields
    what was dropped, None when the path was not taken. A load that raises leaves the
    rollback to the caller's transaction."""
    saved = drop_for_load(session)
    yield saved
    if saved is not None:
        restore_after_load(session, saved)
