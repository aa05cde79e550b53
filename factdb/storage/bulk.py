"""Bulk writes for imports: ids assigned up front, rows written as tuples through the driver.

One ORM object per row costs 41–67× raw executemany and gigabytes at a million rows
(docs/performance.md); SQLAlchemy Core with RETURNING is still 3–5×. Here SQLite gets the
driver's ``executemany`` with ids taken after ``max(id)`` — safe because an import holds
SQLite's write lock from its first statement (BEGIN IMMEDIATE) — and PostgreSQL gets
``COPY … FROM STDIN`` with ids drawn from the table's sequence.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from factdb.storage.reader import sqlite_value as sqlite_value


def dialect(session: Session) -> str:
    return str(session.get_bind().dialect.name)


def raw_connection(session: Session) -> Any:
    """The driver's connection under the session's transaction."""
    return session.connection().connection.dbapi_connection


SEQUENCE = "(SELECT pg_get_serial_sequence('{table}', 'id')::regclass AS seq OFFSET 0) AS s"
"""PostgreSQL, as a FROM item: the id sequence of ``table``, looked up once (``OFFSET 0``
keeps the planner from pulling the lookup into every row: 20,000 ``nextval`` took 155 ms
with it, 25 ms without)."""


def reserve_ids(session: Session, table: str, count: int) -> list[int]:
    """``count`` fresh ids for ``table`` (which must be one of factdb's own tables)."""
    if count == 0:
        return []
    if dialect(session) == "postgresql":
        # One array value, not one row per id: a million ids cost seconds as rows.
        ids = session.execute(
            text(
                f"SELECT array_agg(nextval(s.seq)) FROM {SEQUENCE.format(table=table)}, "
                "generate_series(1, :n)"
            ),
            {"n": count},
        ).scalar_one()
        return [int(i) for i in ids]
    start = next_sqlite_id(session, table)
    return list(range(start, start + count))


def next_sqlite_id(session: Session, table: str) -> int:
    """The id SQLite gives the next row of ``table``: above every id it ever had when the table
    is ``AUTOINCREMENT`` (``sqlite_sequence``), so an id is never given twice."""
    return int(
        session.execute(
            text(
                f"SELECT max(coalesce((SELECT max(id) FROM {table}), 0), coalesce((SELECT seq "
                "FROM sqlite_sequence WHERE name = :table), 0)) + 1"
            ),
            {"table": table},
        ).scalar_one()
    )


def _wrapped(statement: str, exc: Exception, base: type[Exception]) -> Exception:
    """The driver's error as SQLAlchemy's (OperationalError, IntegrityError …), as every other
    database error reaches the domain: the busy mapping and the CLI's messages know those."""
    from sqlalchemy.exc import DBAPIError

    return DBAPIError.instance(statement, None, exc, base)


def check_failed(statement: str, what: str) -> Exception:
    """A CHECK constraint broken by rows written in bulk, as the IntegrityError the database
    itself would have raised."""
    return _wrapped(
        statement, sqlite3.IntegrityError(f"CHECK constraint failed: {what}"), sqlite3.Error
    )


def insert_rows(
    session: Session,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    convert: bool = True,
) -> int:
    """Write rows (tuples in ``columns`` order) to ``table``; returns how many.

    ``convert=False`` promises that dates and timestamps are already in the backend's form
    (see ``sqlite_value``), which saves a call per value on the hot path of an import."""
    count = 0
    raw = raw_connection(session)
    if dialect(session) == "postgresql":
        import psycopg

        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        except psycopg.Error as exc:
            raise _wrapped(statement, exc, psycopg.Error) from exc
        return count
    placeholders = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    batch: list[tuple[Any, ...]] = []
    try:
        if not convert and isinstance(rows, list):
            # Already tuples in the backend's form: straight to the driver, no copy.
            if rows:
                raw.executemany(statement, rows)
            return len(rows)
        for row in rows:
            batch.append(tuple(sqlite_value(v) for v in row) if convert else tuple(row))
            if len(batch) >= 20_000:
                raw.executemany(statement, batch)
                count += len(batch)
                batch = []
        if batch:
            raw.executemany(statement, batch)
            count += len(batch)
    except sqlite3.Error as exc:
        raise _wrapped(statement, exc, sqlite3.Error) from exc
    return count


def copy_text(value: Any) -> str:
    """A value in PostgreSQL's COPY text format: ``\\N`` for NULL, backslash escapes for the
    characters that separate fields and rows."""
    if value is None:
        return "\\N"
    text_ = str(value)
    if "\\" in text_ or "\t" in text_ or "\n" in text_ or "\r" in text_:
        text_ = (
            text_.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text_


class BackgroundCopy:
    """``COPY … FROM STDIN`` of data already in COPY text format, in a thread of its own.

    The thread uses only the driver connection (psycopg serializes its use), and the caller
    must ``wait`` (or ``join``) before using the session again. Sending and waiting for the
    server release the GIL, so the caller keeps parsing while the server checks rows."""

    def __init__(
        self,
        session: Session,
        copies: list[tuple[str, Sequence[str], str]],
        after: Sequence[str] = (),
    ) -> None:
        """``copies``: (table, columns, data); ``after``: statements run once they are done,
        whose row counts ``wait`` returns."""
        self.raw = raw_connection(session)
        self.copies = copies
        self.after = after
        self.rowcounts: list[int] = []
        self.error: BaseException | None = None
        self.statement = ""
        self.thread = threading.Thread(target=self._run, name="factdb-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            with self.raw.cursor() as cursor:
                for table, columns, data in self.copies:
                    if not data:
                        continue
                    self.statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                    with cursor.copy(self.statement) as copy:
                        copy.write(data)
                for statement in self.after:
                    self.statement = statement
                    cursor.execute(statement)
                    self.rowcounts.append(cursor.rowcount)
        except BaseException as exc:  # re-raised by wait(), in the caller's thread
            self.error = exc

    def join(self) -> None:
        self.thread.join()

    def wait(self) -> list[int]:
        """Join the thread; raise its error, or return the row counts of ``after``."""
        self.join()
        error, self.error = self.error, None
        if error is not None:
            import psycopg

            if isinstance(error, psycopg.Error):
                raise _wrapped(self.statement, error, psycopg.Error) from error
            raise error
        return self.rowcounts
