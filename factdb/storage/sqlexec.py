"""``factdb sql``: ad-hoc SQL that is read-only by construction, with a deadline.

SQLite (docs/reliability.md, ad-hoc SQL): ``mode=ro`` plus ``query_only`` still let ATTACH,
VACUUM INTO, temp objects and ``PRAGMA query_only=0`` through. Read-only queries therefore run
on a ``mode=ro`` connection with no attachable databases (``setlimit``) and an authorizer that
allows only reading: SELECT, READ, RECURSIVE, harmless functions and a list of introspection
PRAGMAs. A progress handler enforces the deadline.

PostgreSQL: a read-only transaction alone is escaped by ``COMMIT; INSERT``, ``COPY … TO``
and ``SET statement_timeout = 0``. Statements go through the extended protocol (one per
call), inside ``BEGIN READ ONLY`` with ``SET LOCAL ROLE factdb_reader`` (a SELECT-only role
created by migration 0002 where the migrating user may create roles), and a client-side timer
cancels the query at the deadline whatever the server settings say.
"""

from __future__ import annotations

import datetime as dt
import decimal
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from factdb.core.errors import FactdbError, InvalidInput, first_line
from factdb.storage.config import DatabaseTarget

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_ROWS = 100_000
READER_ROLE = "factdb_reader"

# Introspection only; none of these takes a value that changes anything.
_ALLOWED_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "collation_list",
        "function_list",
        "pragma_list",
        "database_list",
        "compile_options",
        "data_version",  # read by FTS5 on its own (full-text search tables, migration 0003)
    }
)
_DENIED_FUNCTIONS = frozenset(
    {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer", "zipfile"}
)


class QueryRefused(FactdbError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class QueryFailed(FactdbError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class QueryTimeout(FactdbError):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds

    def __str__(self) -> str:
        return f"query stopped after its time limit of {self.seconds:g} s; raise it with --timeout"


@dataclass
class SqlResult:
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    truncated: bool = False
    rowcount: int = -1
    statements: int = 1

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


READ_ONLY_HINT = "the query was refused: factdb sql is read-only; use --write to change data"


def parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip().isidentifier():
            raise InvalidInput("-p", f"{pair!r} is not NAME=VALUE")
        params[name.strip()] = value
    return params


def split_statements(sql: str) -> list[str]:
    """Split on statement boundaries that SQLite's tokenizer recognizes (quotes, comments)."""
    statements, current = [], ""
    for part in sql.split(";"):
        current += part + ";"
        if sqlite3.complete_statement(current):
            text = current.strip().rstrip(";").strip()
            if text and not _only_comments(text):
                statements.append(text)
            current = ""
    rest = current.rstrip(";").strip()
    if rest and not _only_comments(rest):
        statements.append(rest)
    return statements


def _only_comments(text: str) -> bool:
    lines = [ln.strip() for ln in text.splitlines()]
    return all(not ln or ln.startswith("--") for ln in lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def run_sql(
    target: DatabaseTarget,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    write: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> SqlResult:
    if not sql.strip():
        raise InvalidInput("SQL", "is empty")
    if timeout <= 0:
        raise InvalidInput("--timeout", "must be more than 0 seconds")
    statements = split_statements(sql)
    if not statements:
        raise InvalidInput("SQL", "holds no statement")
    if not write and len(statements) > 1:
        raise QueryRefused(
            f"{READ_ONLY_HINT} (and it runs one statement at a time; {len(statements)} given)"
        )
    if target.backend == "sqlite":
        return _run_sqlite(target, statements, dict(params or {}), write, timeout, max_rows)
    return _run_postgresql(target, statements, dict(params or {}), write, timeout, max_rows)


# --- SQLite --------------------------------------------------------------------------------


def _authorizer(write: bool) -> Any:
    def authorize(
        action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None
    ) -> int:
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            # Only reading: a value (arg2) would set it; data_version takes none.
            ok = name in _ALLOWED_PRAGMAS and (
                arg2 is None or name not in ("database_list", "data_version")
            )
            return sqlite3.SQLITE_OK if ok else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            return (
                sqlite3.SQLITE_DENY
                if (arg2 or "").lower() in _DENIED_FUNCTIONS
                else sqlite3.SQLITE_OK
            )
        if write:
            return sqlite3.SQLITE_OK
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_UPDATE and (arg1 or "").lower() == "sqlite_master":
            # Table-valued pragmas (pragma_table_info) announce an internal update of the
            # schema table; the connection is mode=ro and query_only, so nothing is written.
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    return authorize


def _run_sqlite(
    target: DatabaseTarget,
    statements: list[str],
    params: dict[str, Any],
    write: bool,
    timeout: float,
    max_rows: int,
) -> SqlResult:
    path = target.sqlite_path
    if path is None or not path.exists():
        raise QueryFailed(f"no database file at {path}")
    uri = f"file:{path}?mode={'rw' if write else 'ro'}"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=5.0)
    except sqlite3.Error as exc:
        raise QueryFailed(f"cannot open {path}: {exc}") from None
    deadline = time.monotonic() + timeout
    try:
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA foreign_keys=ON")
        if not write:
            conn.execute("PRAGMA query_only=1")
        conn.set_authorizer(_authorizer(write))
        conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 1000)
        result = SqlResult(statements=len(statements))
        if write:
            conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                cur = conn.execute(statement, params)
                if cur.description is not None:
                    result.columns = [d[0] for d in cur.description]
                    rows = cur.fetchmany(max_rows + 1)
                    result.truncated = len(rows) > max_rows
                    result.rows = [[_jsonable(v) for v in row] for row in rows[:max_rows]]
                result.rowcount = cur.rowcount
            if write:
                conn.execute("COMMIT")
        except BaseException:
            if write and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result
    except sqlite3.DatabaseError as exc:
        message = str(exc)
        if "interrupted" in message:
            raise QueryTimeout(timeout) from None
        if any(
            word in message
            for word in ("not authorized", "authorization denied", "readonly", "read-only")
        ):
            raise QueryRefused(f"{READ_ONLY_HINT} ({message})") from None
        if "locked" in message or "busy" in message:
            raise QueryFailed(
                "database is busy (another factdb holds the write lock); try again"
            ) from None
        raise QueryFailed(f"SQL error: {message}") from None
    except sqlite3.Warning as exc:
        raise QueryRefused(f"{READ_ONLY_HINT} ({exc})") from None
    except (sqlite3.ProgrammingError, sqlite3.InterfaceError, OverflowError) as exc:
        raise QueryFailed(f"SQL error: {exc}") from None
    finally:
        conn.close()


# --- PostgreSQL ----------------------------------------------------------------------------


def _run_postgresql(
    target: DatabaseTarget,
    statements: list[str],
    params: dict[str, Any],
    write: bool,
    timeout: float,
    max_rows: int,
) -> SqlResult:
    import psycopg
    from sqlalchemy import text

    from factdb.storage.db import get_engine

    engine = get_engine(target)
    result = SqlResult(statements=len(statements))
    timed_out = threading.Event()
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None

        def cancel() -> None:
            timed_out.set()
            canceller = getattr(raw, "cancel_safe", None) or raw.cancel
            canceller()

        timer = threading.Timer(timeout, cancel)
        try:
            if not write:
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                has_role = conn.exec_driver_sql(
                    "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %(r)s) AND "
                    "pg_has_role(current_user, %(r)s, 'MEMBER')",
                    {"r": READER_ROLE},
                ).scalar()
                if has_role:
                    conn.exec_driver_sql(f"SET LOCAL ROLE {READER_ROLE}")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout * 1000) + 500}")
            timer.start()
            for statement in statements:
                cur = conn.execute(text(statement), params)
                if cur.returns_rows:
                    result.columns = list(cur.keys())
                    rows = cur.fetchmany(max_rows + 1)
                    result.truncated = len(rows) > max_rows
                    result.rows = [[_jsonable(v) for v in row] for row in rows[:max_rows]]
                result.rowcount = cur.rowcount
            if write:
                conn.commit()
            else:
                conn.rollback()
        except Exception as exc:
            conn.rollback()
            orig = getattr(exc, "orig", exc)
            message = first_line(orig, repr(orig))
            if timed_out.is_set() or isinstance(orig, psycopg.errors.QueryCanceled):
                raise QueryTimeout(timeout) from None
            if (
                isinstance(
                    orig,
                    psycopg.errors.ReadOnlySqlTransaction | psycopg.errors.InsufficientPrivilege,
                )
                and not write
            ):
                raise QueryRefused(f"{READ_ONLY_HINT} ({message})") from None
            if "cannot insert multiple commands" in message:
                raise QueryRefused(f"{READ_ONLY_HINT} (one statement at a time)") from None
            raise QueryFailed(f"SQL error: {message}") from None
        finally:
            timer.cancel()
    return result
