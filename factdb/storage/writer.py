"""Write transactions on the driver's own connection, for the commands a user types by hand.

``factdb add`` used to spend four fifths of its second importing SQLAlchemy, SQLModel and
pydantic to write three rows. The main job's writes (``add``, ``retract``, ``assertion
correct``, ``actor add``, ``source add``) are written in SQL through a ``Reader``
(``factdb.domain.records``, ``factdb.domain.stances``), so they run here: a ``sqlite3`` or
``psycopg`` connection in one write transaction, with the change context every factdb write
records (``storage.history``) and the same settings as the engines of ``storage.db``:

- SQLite: write-ahead log, foreign keys on, the busy timeout, ``BEGIN IMMEDIATE`` (the write
  lock up front, as every factdb write transaction takes it);
- PostgreSQL: the default isolation, JIT off, and a write refused by a read-only server (a hot
  standby) reported as one line (``refusing_read_only``).

The fast path is taken only on a database that is there at the expected schema; anything
else (a new SQLite file, a database behind head, a server that cannot be reached) goes
through ``storage.db``, which creates, explains or refuses as every command does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from factdb.core.errors import (
    READ_ONLY_SQLSTATE,
    DatabaseBusy,
    DatabaseError,
    ReadOnlyDatabase,
    first_line,
    is_busy_message,
    sqlstate_of,
)
from factdb.storage.config import (
    BUSY_TIMEOUT_MS,
    ChangeContext,
    DatabaseTarget,
    redact,
)
from factdb.storage.reader import Reader, pg_connect, sqlite_connect

WRITE_OPTIONS = "-c jit=off"
"""PostgreSQL options of a writing connection: not the reader's ``plan_cache_mode`` (the
foreign-key triggers' cached plans would be planned again for every row)."""


def in_recovery(target: DatabaseTarget) -> bool:
    """Whether a PostgreSQL server is a hot standby (``pg_is_in_recovery()``); when it cannot
    be asked, assumed so (the usual reason a server refuses every write)."""
    if target.backend != "postgresql":
        return False
    import psycopg

    try:
        with psycopg.connect(target.libpq_url, connect_timeout=10, autocommit=True) as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            return bool(row and row[0])
    except Exception:
        return True


@contextmanager
def refusing_read_only(target: DatabaseTarget) -> Iterator[None]:
    """Around a write: PostgreSQL's refusal of a write in a read-only server (SQLSTATE 25006,
    a hot standby or ``default_transaction_read_only``), however it surfaced (SQLAlchemy, the
    reader, the raw driver), becomes one line naming the database (``ReadOnlyDatabase``)."""
    try:
        yield
    except ReadOnlyDatabase:
        raise
    except Exception as exc:
        if target.backend == "postgresql" and sqlstate_of(exc) == READ_ONLY_SQLSTATE:
            raise ReadOnlyDatabase(redact(target.libpq_url), in_recovery(target)) from None
        raise


@contextmanager
def open_writer(target: DatabaseTarget, change: ChangeContext) -> Iterator[Reader | None]:
    """One write transaction on the driver, recorded with ``change``, committed when the
    block ends and rolled back if it raises; ``None`` when the database is not there at the
    expected schema (the caller takes the session path)."""
    from factdb.storage import history

    conn = _sqlite(target) if target.backend == "sqlite" else pg_connect(target, WRITE_OPTIONS)
    if conn is None:
        yield None
        return
    writer = Reader(conn, target.backend)
    try:
        with refusing_read_only(target):
            if not writer.at_head():
                conn.rollback()
                yield None
                return
            opened = history.begin(writer)
            yield writer
            history.finish(writer, opened, change)
            try:
                conn.commit()
            except Exception as exc:
                raise _commit_error(exc) from None
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


def _commit_error(exc: Exception) -> Exception:
    if is_busy_message(exc):
        return DatabaseBusy()
    return DatabaseError(first_line(exc, type(exc).__name__), sqlstate_of(exc))


def _sqlite(target: DatabaseTarget) -> Any:
    # The settings of storage.db's engine, and its write transactions' BEGIN IMMEDIATE.
    return sqlite_connect(
        target,
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",
        "BEGIN IMMEDIATE",
    )
