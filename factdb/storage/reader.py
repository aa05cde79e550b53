"""Read-only SQL on the driver's own connection, for ``factdb.queries``.

``show`` and ``list`` are what users run most, and a whole ``factdb show`` process used to
spend three quarters of its time importing SQLAlchemy and SQLModel. So the reads run
on a ``Reader``: a DB-API connection (``sqlite3`` or ``psycopg``) with one spelling of SQL for
both backends:

- parameters are written ``:name`` (``%(name)s`` for psycopg is derived once per statement);
- a list of ids is matched with ``reader.member(column, name)``: ``json_each`` on SQLite,
  ``= ANY(array)`` on PostgreSQL, so a statement's text does not change with the list's length
  (each backend then reuses its prepared statement);
- dates are passed as ``datetime.date`` and sent as ISO text to SQLite.

A ``Reader`` comes either from a session (``Reader.of(session)``: the same connection and
transaction, for the reports, the export and the tests) or from ``open_reader`` (the fast path
of the CLI: no SQLAlchemy at all, a read-only transaction on a database already at the
expected schema; anything else falls back to the full path, which creates, explains or
refuses exactly as before).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from factdb.core.errors import (
    DatabaseBusy,
    DatabaseError,
    DatabaseUnavailable,
    first_line,
    is_busy_message,
)
from factdb.storage.config import BUSY_TIMEOUT_MS, SCHEMA_HEAD, DatabaseTarget

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PG_OPTIONS = "-c plan_cache_mode=force_custom_plan -c jit=off"
"""psycopg prepares a statement run five times; PostgreSQL then plans it once for any
parameters, which for ``list`` (a list of ids, a limit) chose plans 10× slower than planning
with the values at hand (measured on the benchmark database): planning each time costs less.
JIT compilation took 9 ms for a side walk that runs in 1.5 ms: off. For the reader's own
connection only: on a writing connection the foreign-key triggers' plans would be planned
again for every row (a million-row import took 57 s instead of 35 s)."""

ID_LIMIT_SQLITE = 2**63 - 1
ID_LIMIT_POSTGRESQL = 2**31 - 1
"""The largest id an INTEGER column holds on each backend."""
ROW_LIMIT = 2**63 - 1
"""The largest ``LIMIT`` both backends take: a larger one is no limit at all."""

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_STREAMS = itertools.count(1)
"""Names of PostgreSQL server-side cursors, unique in the process."""


class Reader:
    """Read-only queries on one DB-API connection, in the caller's transaction."""

    def __init__(self, conn: Any, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect
        self._sql: dict[str, str] = {}

    @classmethod
    def of(cls, source: Session | Reader) -> Reader:
        """The reader of a session (its connection, its transaction, its pending writes
        flushed), or the reader itself."""
        if isinstance(source, Reader):
            return source
        source.flush()  # what the session wrote is visible to the SQL, as with autoflush
        conn = source.connection()
        return cls(conn.connection.driver_connection, conn.dialect.name)

    @property
    def postgresql(self) -> bool:
        return self.dialect == "postgresql"

    def holds_id(self, value: int) -> bool:
        """Whether ``value`` can be a record's id here: the id columns are INTEGER, 32 bits on
        PostgreSQL and 64 on SQLite. Beyond that the drivers raise instead of finding nothing
        (docs/reliability.md, ids)."""
        limit = ID_LIMIT_POSTGRESQL if self.postgresql else ID_LIMIT_SQLITE
        return -limit - 1 <= value <= limit

    def member(self, column: str, name: str) -> str:
        """SQL: ``column`` is one of the ids in list parameter ``name``."""
        if self.postgresql:
            return f"{column} = ANY(:{name})"
        return f"{column} IN (SELECT value FROM json_each(:{name}))"

    def member_of(self, column: str, name: str, ids: Sequence[int], params: dict[str, Any]) -> str:
        """SQL: ``column`` is one of ``ids``, put in ``params`` as parameter ``name``: an
        equality for one id, ``member`` for more. A plan PostgreSQL keeps for any values
        (``batch``, ``planned_once``) expects ``= ANY(array)`` to match ten ids' rows, and for
        ``show``'s one claim hashed the whole actor table instead of looking up its few
        actors."""
        if len(ids) == 1:
            params[name] = ids[0]
            return f"{column} = :{name}"
        params[name] = list(ids)
        return self.member(column, name)

    def _prepare(self, sql: str) -> str:
        prepared = self._sql.get(sql)
        if prepared is None:
            prepared = _PARAM.sub(r"%(\1)s", sql.replace("%", "%%")) if self.postgresql else sql
            self._sql[sql] = prepared
        return prepared

    def _params(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.postgresql:
            return params
        out = {}
        for key, value in params.items():
            if isinstance(value, list | tuple):
                value = json.dumps(list(value))
            else:
                value = sqlite_value(value)
            out[key] = value
        return out

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row of a query, as tuples."""
        cur = self.conn.cursor()
        try:
            cur.execute(self._prepare(sql), self._params(params or {}))
            return list(cur.fetchall())
        except Exception as exc:
            raise _driver_error(exc) from None
        finally:
            cur.close()

    def run(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """A statement that returns no rows, in the caller's transaction (the change context
        a write transaction records, ``storage.history``)."""
        cur = self.conn.cursor()
        try:
            cur.execute(self._prepare(sql), self._params(params or {}))
        except Exception as exc:
            raise _driver_error(exc) from None
        finally:
            cur.close()

    def at_head(self) -> bool:
        """Whether the database holds factdb's schema at ``SCHEMA_HEAD`` (a database with no
        schema, or one that cannot be read now, is not)."""
        try:
            return bool(self.scalar("SELECT version_num FROM alembic_version") == SCHEMA_HEAD)
        except (DatabaseError, DatabaseBusy):
            return False

    def insert(self, sql: str, params: dict[str, Any] | None = None) -> int:
        """An ``INSERT … RETURNING id`` of one row, in the caller's transaction: the new id."""
        return int(self.rows(sql, params)[0][0])

    def stream(
        self, sql: str, params: dict[str, Any] | None = None, size: int = 20_000
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of one query in chunks of ``size``, read as they are consumed: one sort
        for an ordered report instead of one per page (PostgreSQL: a server-side cursor)."""
        if self.postgresql:
            cur = self.conn.cursor(name=f"factdb_stream_{next(_STREAMS)}")
            cur.itersize = size
        else:
            cur = self.conn.cursor()
        try:
            cur.execute(self._prepare(sql), self._params(params or {}))
            while True:
                rows = cur.fetchmany(size)
                if not rows:
                    return
                yield list(rows)
        except Exception as exc:
            raise _driver_error(exc) from None
        finally:
            cur.close()

    def batch(
        self, statements: list[tuple[str, dict[str, Any]]], *, planned_once: bool = False
    ) -> list[list[tuple[Any, ...]]]:
        """The rows of several independent queries, in order; PostgreSQL gets them in one
        round trip (pipeline mode).

        ``planned_once``: statements whose best plan does not depend on their values (those
        keyed by one record's id, as ``show``'s): on PostgreSQL each is prepared at its first
        run and its generic plan reused by the next (``PG_OPTIONS`` plans every other
        statement for its values). Planning was three quarters of ``show``'s time."""
        if not self.postgresql or (len(statements) < 2 and not planned_once):
            return [self.rows(sql, params) for sql, params in statements]
        try:
            with self.conn.pipeline():
                if planned_once:
                    self.conn.execute("SET plan_cache_mode = force_generic_plan")
                cursors = []
                for sql, params in statements:
                    cur = self.conn.cursor()
                    cur.execute(self._prepare(sql), params, prepare=planned_once or None)
                    cursors.append(cur)
                if planned_once:
                    self.conn.execute("RESET plan_cache_mode")
                return [list(cur.fetchall()) for cur in cursors]
        except Exception as exc:
            raise _driver_error(exc) from None

    def first(self, sql: str, params: dict[str, Any] | None = None) -> tuple[Any, ...] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        row = self.first(sql, params)
        return None if row is None else row[0]


def sqlite_value(value: Any) -> Any:
    """A value as SQLite stores it: dates as ISO text, timestamps in UTC as SQLAlchemy's
    SQLite ``DateTime`` writes and reads them back (``2026-12-02 19:30:00.123456``)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _driver_error(exc: Exception) -> Exception:
    """A driver error as the one line the CLI prints; anything else unchanged."""
    module = type(exc).__module__
    if not (module.startswith("sqlite3") or module.startswith("psycopg")):
        return exc
    if is_busy_message(exc):
        return DatabaseBusy()
    return DatabaseError(first_line(exc, type(exc).__name__), getattr(exc, "sqlstate", None))


@contextmanager
def open_reader(target: DatabaseTarget) -> Iterator[Reader | None]:
    """A reader straight on the driver, in a read-only transaction, when the database is
    there and at the expected schema; ``None`` otherwise (the caller takes the full path)."""
    if target.backend == "sqlite":
        conn = _sqlite(target)
        dialect = "sqlite"
    else:
        conn = _postgresql(target)
        dialect = "postgresql"
    if conn is None:
        yield None
        return
    try:
        reader = Reader(conn, dialect)
        if not reader.at_head():
            conn.rollback()
            yield None
            return
        yield reader
        conn.rollback()
    finally:
        conn.close()


def sqlite_connect(target: DatabaseTarget, *setup: str) -> Any:
    """A ``sqlite3`` connection to the file of ``target`` in autocommit mode (the caller
    begins its transaction), with the ``setup`` statements run; ``None`` when there is no such
    file or it cannot be opened (the caller takes the session path, which says why). The busy
    timeout is the driver's; a statement of ``setup`` that waits longer raises
    ``DatabaseBusy``."""
    import sqlite3

    path = target.sqlite_path
    if path is None or not path.is_file():
        return None
    try:
        # mode=rw: never creates a file (a new database is created at head by storage.db).
        conn = sqlite3.connect(
            f"file:{path}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
        )
    except sqlite3.Error:
        return None
    try:
        for statement in setup:
            conn.execute(statement)
    except sqlite3.Error as exc:
        conn.close()
        if is_busy_message(exc):
            raise DatabaseBusy() from None
        return None
    return conn


def _sqlite(target: DatabaseTarget) -> Any:
    # query_only: never writes, whatever the SQL; one snapshot for every query of the command.
    return sqlite_connect(target, "PRAGMA query_only = ON", "BEGIN DEFERRED")


def pg_connect(target: DatabaseTarget, options: str) -> Any:
    """A ``psycopg`` connection to ``target`` with these server ``options``; a server that
    cannot be reached is ``DatabaseUnavailable``, one line."""
    import psycopg

    try:
        return psycopg.connect(
            target.libpq_url, connect_timeout=10, application_name="factdb", options=options
        )
    except psycopg.Error as exc:
        raise DatabaseUnavailable(target.redacted, first_line(exc, "cannot connect")) from None


def _postgresql(target: DatabaseTarget) -> Any:
    conn = pg_connect(target, PG_OPTIONS)
    conn.read_only = True
    return conn
