"""``factdb sql``: ad-hoc SQL with a deadline, read-only by construction unless ``--write``.

What holds, exactly (docs/reliability.md, ad-hoc SQL, names the tests that hold each point):

Read-only, SQLite. One statement (SQLite's own tokenizer splits the text; the driver runs one
statement per call) on a connection opened ``mode=ro`` with ``query_only``, no attachable
database, and an authorizer that allows reading only: SELECT, READ, RECURSIVE, functions but
``load_extension`` and the file ones, introspection PRAGMAs without a value. It refuses
transaction control too (BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE).

Read-only, PostgreSQL. The text goes whole as ONE statement of the extended protocol
(``PQsendQueryParams``, whose parse step refuses text with more than one), on a connection of
its own that logs in as the database's reader role, in ``BEGIN READ ONLY`` whose first query
(setting ``statement_timeout``) makes it impossible to switch to read-write; it is never
committed. A statement whose first keywords are transaction control is refused before it is
sent. The reader role is LOGIN, NOINHERIT, member of no role, with no other attribute, and may
CONNECT, use schema public and SELECT its tables, nothing more; so the SQL cannot become
another role (``SET ROLE``, ``set_config('role', …)``, ``SET SESSION AUTHORIZATION``), signal
other roles' sessions, read server files or change anything. Migration 0005 makes it, with a
random name and password (kept in ``factdb_private.sql_reader``, which only the owner may
read), when the migrating role may CREATEROLE; otherwise the first read-only ``sql`` of a role
that may makes it, and until then read-only ``sql`` is refused with a one-line error naming the
fix. Before each use the role is checked to be still that (no attribute, no membership, no
write privilege or ownership, no SECURITY DEFINER function it may call); a role given more is
refused.

``--write``. The statements, split by each backend's own lexical rules (PostgreSQL: quotes,
``E''`` strings, dollar quotes, nested comments, ``BEGIN ATOMIC`` bodies), run one by one, each
alone through the extended protocol on PostgreSQL, in ONE transaction that is committed only
when all have succeeded. Transaction control in the text (BEGIN, START, COMMIT, END, ROLLBACK,
ABORT, SAVEPOINT, RELEASE, PREPARE TRANSACTION) is refused before anything runs (PostgreSQL:
by each statement's first keywords) or when it is compiled (SQLite: the authorizer), and the
transaction is checked to be still open after every statement.

The deadline (``--timeout``: finite, more than 0, at most a day) starts when ``run_sql`` is
called and bounds connecting, running, fetching and, through ``SqlResult.check_deadline``,
rendering. SQLite runs in a worker thread with a progress handler; at the deadline the caller
interrupts it and, if a single call SQLite cannot interrupt still runs (``printf('%.*c',
2000000000, 'x')``), stops waiting for it: the CLI exits, which ends it. A write is never
committed once the caller has given up. PostgreSQL: the client waits on the socket no longer
than the deadline, then cancels the statement and closes the connection. Memory: one value is
at most ``VALUE_CAP`` bytes (SQLite: ``SQLITE_LIMIT_LENGTH``; PostgreSQL: each value's length
is checked before it is converted), and rows past ``max_rows`` or past ``RESULT_CAP`` bytes
are cut, ``SqlResult.cut_note`` saying so.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import secrets
import select
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from factdb.core.errors import (
    READ_ONLY_SQLSTATE,
    DatabaseError,
    FactdbError,
    InvalidInput,
    first_line,
)
from factdb.storage import history
from factdb.storage.config import HISTORY_TABLES, ChangeContext, DatabaseTarget
from factdb.storage.reader import Reader

DEFAULT_TIMEOUT = 5.0
MAX_TIMEOUT = 86_400.0
DEFAULT_MAX_ROWS = 100_000
VALUE_CAP = 16 * 2**20
"""Bytes in one value (a text or a blob)."""
RESULT_CAP = 256 * 2**20
"""Bytes in the rows kept of one result; the rest is cut like rows past ``max_rows``."""
TABLE_CELL_CAP = 10_000
"""Characters of one value shown in ``-f table`` (csv and json show all): bounds the time rich
takes for one cell between two deadline checks."""
READER_TABLE = "factdb_private.sql_reader"
_GRACE = 0.5
"""Seconds given to a cancelled query to unwind before the caller stops waiting."""

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
_SCHEMA_ACTIONS = frozenset(
    getattr(sqlite3, name)
    for name in dir(sqlite3)
    if name.startswith(("SQLITE_CREATE_", "SQLITE_DROP_"))
    or name in ("SQLITE_ALTER_TABLE", "SQLITE_REINDEX", "SQLITE_ANALYZE")
)
"""What ``--write`` may not do: the schema changes through migrations only, and a dropped
table or trigger would take rows or the history with it unrecorded."""
_WRITE_LEADS = frozenset(
    {"select", "with", "insert", "update", "delete", "merge", "values", "table", "explain"}
)
"""PostgreSQL: the first keywords ``--write`` runs. No DDL, TRUNCATE (which bypasses the
history's row triggers) or DO block."""
_TRANSACTION_WORDS = frozenset(
    {"abort", "begin", "commit", "end", "release", "rollback", "savepoint", "start"}
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
    def __init__(self, seconds: float, *, committed: bool = False) -> None:
        super().__init__(seconds)
        self.seconds = seconds
        self.committed = committed

    def __str__(self) -> str:
        if self.committed:
            return (
                f"the changes were committed, but printing the result stopped at the time "
                f"limit of {self.seconds:g} s; raise it with --timeout"
            )
        return f"query stopped after its time limit of {self.seconds:g} s; raise it with --timeout"


@dataclass
class SqlResult:
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    truncated: bool = False
    cut_note: str | None = None
    """Why the rows were cut (``max_rows`` or ``RESULT_CAP``), for people."""
    rowcount: int = -1
    statements: int = 1
    timeout: float = DEFAULT_TIMEOUT
    deadline: float = math.inf
    """``time.monotonic()`` at which the command's time is up, rendering included."""
    committed: bool = False
    """``--write``: the transaction was committed."""

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def check_deadline(self) -> None:
        """Raise ``QueryTimeout`` once the deadline has passed (the renderer calls this)."""
        if time.monotonic() > self.deadline:
            raise QueryTimeout(self.timeout, committed=self.committed)


READ_ONLY_HINT = "the query was refused: factdb sql is read-only; use --write to change data"
TRANSACTION_HINT = (
    "the query was refused: factdb sql runs the SQL in one transaction of its own; "
    "leave out BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE and PREPARE TRANSACTION"
)


def valid_timeout(timeout: float) -> float:
    """``timeout`` if it is a finite number of seconds in (0, a day], else ``InvalidInput``."""
    if not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise InvalidInput(
            "--timeout", f"must be a number of seconds more than 0 and at most {MAX_TIMEOUT:g}"
        )
    return timeout


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
    change: ChangeContext | None = None,
) -> SqlResult:
    """Run ``sql``; with ``write``, in one transaction recorded in the change history as
    ``change`` (who and which command; the database's triggers record the rows)."""
    timeout = valid_timeout(timeout)
    deadline = time.monotonic() + timeout
    if not sql.strip():
        raise InvalidInput("SQL", "is empty")
    if "\x00" in sql:  # libpq would cut the text there, silently
        raise InvalidInput("SQL", "holds a NUL character")
    if max_rows < 1:
        raise InvalidInput("--max-rows", "must be at least 1")
    rows = _Rows(max_rows, deadline, timeout)
    if target.backend == "sqlite":
        statements = split_statements(sql)
        if not statements:
            raise InvalidInput("SQL", "holds no statement")
        if not write and len(statements) > 1:
            raise QueryRefused(
                f"{READ_ONLY_HINT} (and it runs one statement at a time; {len(statements)} given)"
            )
        return _run_sqlite(target, statements, dict(params or {}), write, rows, change)
    from factdb.storage.db import refusing_read_only

    with refusing_read_only(target) if write else nullcontext():
        return _run_postgresql(
            target, sql, {k: str(v) for k, v in (params or {}).items()}, write, rows, change
        )


# --- rows, with the caps -------------------------------------------------------------------


def _size(value: Any) -> int:
    if isinstance(value, str | bytes):
        return len(value)
    return 8


class _Rows:
    """Collects the rows of one result within ``max_rows`` and ``RESULT_CAP``."""

    def __init__(self, max_rows: int, deadline: float, timeout: float) -> None:
        self.max_rows = max_rows
        self.deadline = deadline
        self.timeout = timeout
        self._bytes = 0

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise QueryTimeout(self.timeout)

    def result(self, statements: int) -> SqlResult:
        return SqlResult(statements=statements, timeout=self.timeout, deadline=self.deadline)

    def start(self, result: SqlResult, columns: list[str]) -> None:
        result.columns = columns
        result.rows = []
        result.truncated = False
        result.cut_note = None
        self._bytes = 0

    def add(self, result: SqlResult, row: list[Any], size: int | None = None) -> bool:
        """Keep ``row`` (of ``size`` bytes, by default counted here); False once the result is
        full (the row is not kept)."""
        if result.truncated:
            return False
        if size is None:
            size = sum(_size(v) for v in row)
        if len(result.rows) >= self.max_rows:
            result.truncated = True
            result.cut_note = (
                f"only the first {self.max_rows} rows are shown; raise --max-rows for more"
            )
            return False
        if self._bytes + size > RESULT_CAP:
            result.truncated = True
            result.cut_note = (
                f"only the first {len(result.rows)} rows are shown: the result passed "
                f"{RESULT_CAP // 2**20} MiB; select fewer rows or columns"
            )
            return False
        self._bytes += size
        result.rows.append([_jsonable(v) for v in row])
        return True


def _missing_parameter(name: str) -> InvalidInput:
    return InvalidInput("-p", f"no value for :{name}; give it with -p {name}=VALUE")


def _value_too_big() -> QueryFailed:
    return QueryFailed(
        f"a value is over factdb sql's limit of {VALUE_CAP // 2**20} MiB per value; "
        "select a part of it (substr)"
    )


# --- SQLite --------------------------------------------------------------------------------


def _authorizer(write: bool, denied: list[str]) -> Any:
    """The SQLite authorizer; what it denies is appended to ``denied`` (for the message)."""

    def deny(what: str) -> int:
        denied.append(what)
        return sqlite3.SQLITE_DENY

    def authorize(
        action: int, arg1: str | None, arg2: str | None, _db: str | None, trigger: str | None
    ) -> int:
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return deny("ATTACH and DETACH")
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            return deny("transaction")  # factdb owns the transaction (--write: all or nothing)
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            # Only reading: a value (arg2) would set it; data_version takes none.
            ok = name in _ALLOWED_PRAGMAS and (
                arg2 is None or name not in ("database_list", "data_version")
            )
            return sqlite3.SQLITE_OK if ok else deny(f"PRAGMA {name}")
        if action == sqlite3.SQLITE_FUNCTION:
            name = (arg2 or "").lower()
            return deny(f"the function {name}") if name in _DENIED_FUNCTIONS else sqlite3.SQLITE_OK
        if write:
            if action in _SCHEMA_ACTIONS and not (arg1 or "").startswith("sqlite_"):
                return deny("changing the schema")
            if (
                action in (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE)
                and (arg1 or "").lower() in HISTORY_TABLES
                and not (trigger or "").startswith("change_")
            ):
                return deny("writing the change history")
            return sqlite3.SQLITE_OK
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_UPDATE and (arg1 or "").lower() == "sqlite_master":
            # Table-valued pragmas (pragma_table_info) announce an internal update of the
            # schema table; the connection is mode=ro and query_only, so nothing is written.
            return sqlite3.SQLITE_OK
        return deny("writing")

    return authorize


@dataclass
class _Job:
    """What the caller and the SQLite worker thread share; ``lock`` guards the connection's
    life and the decision to commit, so a write is never committed once the caller has given
    up on it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    finished: threading.Event = field(default_factory=threading.Event)
    conn: sqlite3.Connection | None = None
    cancelled: bool = False
    committed: bool = False
    result: SqlResult | None = None
    error: BaseException | None = None
    denied: list[str] = field(default_factory=list)
    """What the authorizer refused, last last."""


def _run_sqlite(
    target: DatabaseTarget,
    statements: list[str],
    params: dict[str, Any],
    write: bool,
    rows: _Rows,
    change: ChangeContext | None = None,
) -> SqlResult:
    path = target.sqlite_path
    if path is None or not path.exists():
        raise QueryFailed(f"no database file at {path}")
    job = _Job()
    worker = threading.Thread(
        target=_sqlite_work,
        args=(
            job,
            f"file:{path}?mode={'rw' if write else 'ro'}",
            statements,
            params,
            write,
            rows,
            change,
        ),
        name="factdb-sql",
        daemon=True,  # an uninterruptible function call must not keep the process alive
    )
    worker.start()
    if not job.finished.wait(max(0.0, rows.deadline - time.monotonic())):
        with job.lock:
            if not job.committed:
                job.cancelled = True
                if job.conn is not None:
                    job.conn.interrupt()
        if not job.committed:
            job.finished.wait(_GRACE)
            raise QueryTimeout(rows.timeout)
        job.finished.wait()
    if job.error is not None:
        if job.cancelled:
            raise QueryTimeout(rows.timeout)
        raise _sqlite_error(job.error, rows.timeout, path, write, job.denied)
    assert job.result is not None
    return job.result


def _sqlite_work(
    job: _Job,
    uri: str,
    statements: list[str],
    params: dict[str, Any],
    write: bool,
    rows: _Rows,
    change: ChangeContext | None,
) -> None:
    try:
        busy = min(5.0, max(0.0, rows.deadline - time.monotonic()))
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy)
        with job.lock:
            if job.cancelled:
                conn.close()
                return
            job.conn = conn
        try:
            job.result = _sqlite_statements(job, conn, statements, params, write, rows, change)
        finally:
            with job.lock:
                job.conn = None
                try:
                    if conn.in_transaction:
                        conn.set_authorizer(None)
                        conn.execute("ROLLBACK")
                finally:
                    conn.close()
    except BaseException as exc:  # handed to the caller, which maps it
        job.error = exc
    finally:
        job.finished.set()


def _sqlite_statements(
    job: _Job,
    conn: sqlite3.Connection,
    statements: list[str],
    params: dict[str, Any],
    write: bool,
    rows: _Rows,
    change: ChangeContext | None = None,
) -> SqlResult:
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, VALUE_CAP)
    conn.execute("PRAGMA foreign_keys=ON")
    if not write:
        conn.execute("PRAGMA query_only=1")
    deadline = rows.deadline
    conn.set_progress_handler(
        lambda: 1 if job.cancelled or time.monotonic() > deadline else 0, 1000
    )
    opened = None
    if write:
        conn.execute("BEGIN IMMEDIATE")
        if change is not None:
            opened = history.begin(Reader(conn, "sqlite"))
    conn.set_authorizer(_authorizer(write, job.denied))
    result = rows.result(len(statements))
    for statement in statements:
        cur = conn.execute(statement, params)
        if cur.description is not None:
            rows.start(result, [d[0] for d in cur.description])
            while batch := cur.fetchmany(256):
                rows.check()
                if not all(rows.add(result, list(row)) for row in batch):
                    break
        result.rowcount = cur.rowcount
        if write and not conn.in_transaction:
            raise QueryRefused(TRANSACTION_HINT)  # the authorizer should have said so first
    if write:
        conn.set_authorizer(None)
        if change is not None and opened is not None:
            history.finish(Reader(conn, "sqlite"), opened, change)
        with job.lock:
            if job.cancelled:
                raise QueryTimeout(rows.timeout)
            conn.execute("COMMIT")
            job.committed = result.committed = True
    return result


def _sqlite_error(
    exc: BaseException, timeout: float, path: Any, write: bool, denied: list[str]
) -> BaseException:
    if isinstance(exc, FactdbError):
        return exc
    message = str(exc)
    if isinstance(exc, sqlite3.ProgrammingError) and (
        m := re.search(r"supply a value for binding parameter [:@$]?(\w+)", message)
    ):
        return _missing_parameter(m.group(1))
    if isinstance(exc, sqlite3.DatabaseError):
        if "interrupted" in message:
            return QueryTimeout(timeout)
        if "too big" in message:
            return _value_too_big()
        if any(
            word in message
            for word in ("not authorized", "authorization denied", "readonly", "read-only")
        ):
            if denied and denied[-1] == "transaction":
                return QueryRefused(TRANSACTION_HINT)
            if write:
                what = denied[-1] if denied else "this"
                return QueryRefused(f"the query was refused: factdb sql does not allow {what}")
            return QueryRefused(f"{READ_ONLY_HINT} ({message})")
        if "locked" in message or "busy" in message:
            return QueryFailed("database is busy (another factdb holds the write lock); try again")
        if "unable to open" in message:
            return QueryFailed(f"cannot open {path}: {message}")
        return QueryFailed(f"SQL error: {message}")
    if isinstance(exc, sqlite3.Warning):
        return QueryRefused(f"{READ_ONLY_HINT} ({exc})")
    if isinstance(exc, sqlite3.Error | OverflowError | ValueError | MemoryError):
        return QueryFailed(f"SQL error: {first_line(exc, type(exc).__name__)}")
    return exc


# --- PostgreSQL: reading the text -----------------------------------------------------------


@dataclass
class PgStatement:
    text: str
    """The statement with each ``:name`` replaced by ``$n``."""
    names: list[str]
    """The parameter names, ``$1`` first."""
    lead: tuple[str, str]
    """The first two keywords, lower case ("" where the statement starts otherwise)."""
    identifiers: frozenset[str] = frozenset()
    """Every word and quoted name of the statement, lower case (``U&""`` names as written)."""

    @property
    def controls_transaction(self) -> bool:
        first, second = self.lead
        return first in _TRANSACTION_WORDS or (first == "prepare" and second == "transaction")


_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*)?\$")


def _ident_start(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch == "_") or not ch.isascii()


def _ident_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "_$") or not ch.isascii()


def _quoted_end(sql: str, i: int, quote: str, backslash: bool) -> int:
    """The index after the closing ``quote`` of a literal whose body starts at ``i``."""
    n = len(sql)
    while i < n:
        ch = sql[i]
        if backslash and ch == "\\":
            i += 2
        elif ch == quote:
            if i + 1 < n and sql[i + 1] == quote:
                i += 2
            else:
                return i + 1
        else:
            i += 1
    return n


def _pg_tokens(sql: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) over PostgreSQL's lexical rules, as far as splitting needs them:
    whitespace, ``--`` and nested ``/* */`` comments, ``'…'``, ``E'…'`` (backslash escapes),
    ``U&'…'``/``B'…'``/``X'…'``/``N'…'``, ``"…"``, dollar quotes, identifiers (which may hold
    ``$``), ``:name`` parameters (not ``::``), ``$1``, ``;`` and parentheses."""
    i, n = 0, len(sql)
    while i < n:
        kind, j = _pg_token(sql, i)
        yield kind, i, j
        i = j


def _pg_token(sql: str, i: int) -> tuple[str, int]:
    """The kind and end of the token that starts at ``i`` (see ``_pg_tokens``)."""
    n, ch = len(sql), sql[i]
    if ch.isspace():  # more than the server's whitespace: then a keyword is found sooner
        j = i + 1
        while j < n and sql[j].isspace():
            j += 1
        return "space", j
    if sql.startswith("--", i):
        j = i
        while j < n and sql[j] not in "\r\n":
            j += 1
        return "space", j
    if sql.startswith("/*", i):
        depth, j = 1, i + 2
        while j < n and depth:
            if sql.startswith("/*", j):
                depth, j = depth + 1, j + 2
            elif sql.startswith("*/", j):
                depth, j = depth - 1, j + 2
            else:
                j += 1
        return "space", j if not depth else n
    if ch == "'":
        return "string", _quoted_end(sql, i + 1, "'", False)
    if ch == '"':
        return "name", _quoted_end(sql, i + 1, '"', False)
    if ch == "$":
        m = _DOLLAR_TAG.match(sql, i)
        if m:
            close = sql.find(m.group(), m.end())
            return "string", n if close < 0 else close + len(m.group())
        j = i + 1
        while j < n and sql[j].isdigit():
            j += 1
        return ("positional" if j > i + 1 else "other"), j
    if _ident_start(ch):
        j = i + 1
        while j < n and _ident_char(sql[j]):
            j += 1
        word = sql[i:j].lower()
        if j < n and sql[j] == "'" and word in ("e", "b", "x", "n"):
            return "string", _quoted_end(sql, j + 1, "'", word == "e")
        if word == "u" and sql.startswith("&'", j):
            return "string", _quoted_end(sql, j + 2, "'", False)
        if word == "u" and sql.startswith('&"', j):
            return "name", _quoted_end(sql, j + 2, '"', False)
        return "word", j
    if ch.isdigit():
        j = i + 1
        while j < n and sql[j].isdigit():
            j += 1
        return "other", j
    if ch == ":":
        if sql.startswith("::", i):
            return "other", i + 2
        if (
            i + 1 < n
            and _ident_start(sql[i + 1])
            and not (i > 0 and (_ident_char(sql[i - 1]) or sql[i - 1] in ":\\"))
        ):
            j = i + 2
            while j < n and _ident_char(sql[j]) and sql[j] != "$":
                j += 1
            return "param", j
        return "other", i + 1
    if ch == ";":
        return "semicolon", i + 1
    return "other", i + 1


def pg_statements(sql: str, *, split: bool) -> list[PgStatement]:
    """The statements of ``sql`` by PostgreSQL's lexical rules (one when ``split`` is False),
    with ``:name`` parameters numbered. Safety does not rest on this being right: every
    statement goes alone through the extended protocol, which refuses more than one."""
    statements: list[PgStatement] = []
    parts: list[str] = []
    names: list[str] = []
    lead: list[str] = []
    idents: set[str] = set()
    depth = atomic = 0
    previous = ""
    significant = False

    def finish() -> None:
        nonlocal parts, names, lead, significant
        if significant:
            words = [*lead, "", ""]
            statements.append(
                PgStatement("".join(parts).strip(), names, (words[0], words[1]), frozenset(idents))
            )
        parts, names, lead, significant = [], [], [], False
        idents.clear()

    for kind, start, end in _pg_tokens(sql):
        token = sql[start:end]
        if kind == "semicolon" and split and depth == 0 and atomic == 0:
            finish()
            continue
        if kind == "positional":
            raise InvalidInput(
                "SQL", f"positional parameters such as {token} are not supported; use :name"
            )
        if kind != "space" and kind != "semicolon":
            if len(lead) < 2:
                lead.append(token.lower() if kind == "word" else "")
            significant = True
        if kind == "param":
            name = token[1:]
            if name not in names:
                names.append(name)
            token = f"${names.index(name) + 1}"
        elif kind == "name":
            idents.add(token.strip('"').replace('""', '"').lower())
        elif kind == "word":
            word = token.lower()
            idents.add(word)
            if previous == "begin" and word == "atomic":
                atomic += 1
            elif atomic and word == "case":
                atomic += 1
            elif atomic and word == "end":
                atomic -= 1
            previous = word
        elif kind == "other" and token in "()":
            depth = depth + 1 if token == "(" else max(0, depth - 1)
        parts.append(token)
    finish()
    return statements


# --- PostgreSQL: the reader role ------------------------------------------------------------


def _needs_createrole(user: str) -> QueryRefused:
    return QueryRefused(
        f"read-only factdb sql on PostgreSQL runs as a reader role of the database, which "
        f"{user} may not create (no CREATEROLE): grant it (ALTER ROLE {user} CREATEROLE) or "
        f"run one read-only factdb sql as a role that has it; --write runs trusted SQL as {user}"
    )


_READER_CHECK = """
SELECT r.rolname,
       concat_ws(', ',
           CASE WHEN r.rolsuper THEN 'SUPERUSER' END,
           CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END,
           CASE WHEN r.rolcreatedb THEN 'CREATEDB' END,
           CASE WHEN r.rolreplication THEN 'REPLICATION' END,
           CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END,
           CASE WHEN NOT r.rolcanlogin THEN 'NOLOGIN' END) AS attributes,
       (SELECT string_agg(m.roleid::regrole::text, ', ')
          FROM pg_auth_members m WHERE m.member = r.oid) AS member_of,
       (SELECT string_agg(c.oid::regclass::text, ', ')
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg\\_to%%'
           AND (c.relowner = r.oid OR has_table_privilege(
                r.oid, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER'))) AS writes,
       (SELECT string_agg(p.oid::regprocedure::text, ', ')
          FROM pg_proc p
         WHERE p.prosecdef
           AND p.pronamespace NOT IN ('pg_catalog'::regnamespace,
                                      'information_schema'::regnamespace)
           AND has_function_privilege(r.oid, p.oid, 'EXECUTE')) AS definers
  FROM pg_roles r WHERE r.rolname = %s
"""


def _reader_problem(row: Any) -> str | None:
    _name, attributes, member_of, writes, definers = row
    if attributes:
        return f"has {attributes}"
    if member_of:
        return f"is a member of {member_of}"
    if writes:
        return f"may change or owns {writes}"
    if definers:
        return f"may call SECURITY DEFINER functions ({definers})"
    return None


def _reader_login(target: DatabaseTarget, rows: _Rows) -> tuple[str, str]:
    """The reader role's name and password, made first if the database has none (as the
    owner, never running the user's SQL; within the deadline)."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    from factdb.storage.db import get_engine

    def within_deadline(conn: Any) -> None:
        ms = max(1, int((rows.deadline - time.monotonic()) * 1000))
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")

    try:
        with get_engine(target).connect() as conn:
            try:
                within_deadline(conn)
                row = conn.exec_driver_sql(
                    f"SELECT role, password FROM {READER_TABLE} ORDER BY role LIMIT 1"
                ).first()
                state = None
                if row is not None:
                    state = conn.exec_driver_sql(_READER_CHECK, (row[0],)).first()
                if row is None or state is None:
                    conn.rollback()
                    within_deadline(conn)
                    row = _make_reader(conn)
                elif (problem := _reader_problem(state)) is not None:
                    raise QueryRefused(
                        f"the reader role {row[0]} {problem}; factdb sql will not run as it "
                        f"(drop the grant, or run `DELETE FROM {READER_TABLE}` so that a "
                        "new reader is made)"
                    )
                conn.commit()
                return str(row[0]), str(row[1])
            finally:
                conn.rollback()
    except DBAPIError as exc:
        orig = exc.orig
        if isinstance(orig, psycopg.errors.QueryCanceled):
            raise QueryTimeout(rows.timeout) from None
        if isinstance(orig, psycopg.errors.InsufficientPrivilege):
            raise QueryRefused(
                f"read-only factdb sql on PostgreSQL logs in as the database's reader role, "
                f"whose password ({READER_TABLE}) only the database owner may read: "
                f"{first_line(orig)}"
            ) from None
        if getattr(orig, "sqlstate", None) == READ_ONLY_SQLSTATE:
            raise QueryRefused(
                "read-only factdb sql logs in as the database's reader role, which this "
                "read-only database (a standby) does not have yet and cannot make: run one "
                "read-only factdb sql on the primary (--db) first"
            ) from None
        raise QueryFailed(f"cannot find the reader role: {first_line(orig)}") from None


def _make_reader(conn: Any) -> Any:
    """Make the reader role (what migration 0005 does when it may) and return its row."""
    user, can, database = conn.exec_driver_sql(
        "SELECT current_user, rolsuper OR rolcreaterole, current_database() "
        "FROM pg_roles WHERE rolname = current_user"
    ).one()
    if not can:
        raise _needs_createrole(user)
    conn.exec_driver_sql(f"LOCK TABLE {READER_TABLE} IN EXCLUSIVE MODE")
    row = conn.exec_driver_sql(
        f"SELECT s.role, s.password FROM {READER_TABLE} s JOIN pg_roles r ON r.rolname = s.role "
        "ORDER BY s.role LIMIT 1"
    ).first()
    if row is not None:  # another factdb made it meanwhile
        return row
    slug = re.sub(r"[^a-z0-9_]", "", database.lower())[:24]
    role = f"factdb_sql_{slug}_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(24)
    pgconn = conn.connection.dbapi_connection.pgconn
    verifier = pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
    quoted = '"' + role + '"'
    database_name = '"' + str(database).replace('"', '""') + '"'
    for statement in (
        f"CREATE ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
        f"NOREPLICATION NOBYPASSRLS PASSWORD '{verifier.decode()}'",
        f"ALTER ROLE {quoted} SET default_transaction_read_only = on",
        f"GRANT CONNECT ON DATABASE {database_name} TO {quoted}",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {quoted}",
        f"DELETE FROM {READER_TABLE}",
    ):
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql(
        f"INSERT INTO {READER_TABLE} (role, password) VALUES (%s, %s)", (role, password)
    )
    return (role, password)


# --- PostgreSQL: running --------------------------------------------------------------------


def _pg_connect(conninfo: str, rows: _Rows, who: str) -> Any:
    import psycopg

    remaining = rows.deadline - time.monotonic()
    try:
        return psycopg.connect(
            conninfo,
            autocommit=True,
            connect_timeout=max(2, math.ceil(remaining)),
            application_name="factdb sql",
            client_encoding="UTF8",
            options="-c jit=off -c standard_conforming_strings=on "
            f"-c idle_in_transaction_session_timeout={int(rows.timeout * 1000) + 60_000}",
        )
    except psycopg.Error as exc:
        if time.monotonic() > rows.deadline:
            raise QueryTimeout(rows.timeout) from None
        raise QueryFailed(f"cannot connect as {who}: {first_line(exc, 'failed')}") from None


class _PgSession:
    """One statement at a time through libpq's extended protocol (``PQsendQueryParams``: the
    server refuses text with more than one statement), the client waiting on the socket no
    longer than the deadline and cancelling the statement then."""

    def __init__(self, conn: Any, rows: _Rows, write: bool) -> None:
        from psycopg.adapt import Transformer

        self.conn = conn
        self.pg = conn.pgconn
        self.rows = rows
        self.write = write
        self.tx = Transformer(conn)
        self.cancelled = False

    def _wait(self, readable: bool) -> None:
        remaining = self.rows.deadline - time.monotonic()
        if remaining <= 0 and not self.cancelled:
            self.cancelled = True
            try:
                self.conn.cancel_safe(timeout=_GRACE)
            except Exception:  # the server may be gone; closing the connection ends it
                raise QueryTimeout(self.rows.timeout) from None
        if self.cancelled:
            remaining = self.rows.deadline + _GRACE - time.monotonic()
            if remaining <= 0:
                raise QueryTimeout(self.rows.timeout)
        fd = self.pg.socket
        select.select([fd] if readable else [], [] if readable else [fd], [], max(0, remaining))

    def _results(self) -> Iterator[Any]:
        from psycopg import pq

        while self.pg.flush():
            self._wait(readable=False)
        while True:
            self.pg.consume_input()
            while not self.pg.is_busy():
                res = self.pg.get_result()
                if res is None:
                    return
                yield res
                if res.status in (pq.ExecStatus.COPY_OUT, pq.ExecStatus.COPY_IN):
                    return
            self._wait(readable=True)

    def run(self, statement: str, values: list[str], result: SqlResult | None) -> bool:
        """Run one statement; False when a read-only result was cut and the statement left
        running (the connection is closed next)."""
        from psycopg import pq

        self.pg.send_query_params(
            statement.encode(), [v.encode() for v in values], result_format=pq.Format.TEXT
        )
        if pq.version() >= 170000:
            self.pg.set_chunked_rows_mode(256)
        else:
            self.pg.set_single_row_mode()
        first = True
        keep = True
        for res in self._results():
            status = res.status
            if status in (pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK):
                if result is None:
                    continue
                if first:
                    self.rows.start(result, [res.fname(i).decode() for i in range(res.nfields)])
                    self.tx.set_pgresult(res)
                    first = False
                else:
                    self.tx.set_pgresult(res, set_loaders=False)
                if keep:
                    keep = self._keep(res, result)
                    if not keep and not self.write:
                        return False
            elif status == pq.ExecStatus.TUPLES_OK:
                if result is not None:
                    if first:
                        self.rows.start(result, [res.fname(i).decode() for i in range(res.nfields)])
                    result.rowcount = res.command_tuples if res.command_tuples is not None else -1
            elif status == pq.ExecStatus.COMMAND_OK:
                if result is not None:
                    result.rowcount = res.command_tuples if res.command_tuples is not None else -1
            elif status == pq.ExecStatus.EMPTY_QUERY:
                raise InvalidInput("SQL", "holds no statement")
            elif status in (pq.ExecStatus.COPY_OUT, pq.ExecStatus.COPY_IN):
                raise QueryRefused(
                    "the query was refused: factdb sql does not run COPY … TO STDOUT / FROM "
                    "STDIN; use SELECT with -f csv, or factdb import"
                )
            else:
                raise self._error(res)
        return True

    def _keep(self, res: Any, result: SqlResult) -> bool:
        self.rows.check()
        for i in range(res.ntuples):
            raw = [res.get_value(i, c) for c in range(res.nfields)]
            size = 0
            for value in raw:
                if value is not None:
                    if len(value) > VALUE_CAP:
                        raise _value_too_big()
                    size += len(value)
            if not self.rows.add(result, self._load(raw), size):
                return False
        return True

    def _load(self, raw: list[bytes | None]) -> list[Any]:
        try:
            return list(self.tx.load_sequence(raw))
        except Exception:  # e.g. 'infinity'::date, JSON nested too deep for Python
            values: list[Any] = []
            for i, value in enumerate(raw):
                one: list[bytes | None] = [None] * len(raw)
                one[i] = value
                try:
                    values.append(self.tx.load_sequence(one)[i])
                except Exception:
                    values.append(None if value is None else value.decode("utf-8", "replace"))
            return values

    def _error(self, res: Any) -> FactdbError:
        from psycopg import pq

        state = (res.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
        message = (res.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b"").decode()
        message = first_line(message or res.error_message.decode("utf-8", "replace"), "failed")
        if state == "57014" and (self.cancelled or time.monotonic() > self.rows.deadline):
            return QueryTimeout(self.rows.timeout)
        if "cannot insert multiple commands" in message:
            if self.write:
                return QueryFailed(f"SQL error: {message} (statements are split at ';')")
            return QueryRefused(f"{READ_ONLY_HINT} (and it runs one statement at a time)")
        if not self.write and state in (READ_ONLY_SQLSTATE, "42501"):
            return QueryRefused(f"{READ_ONLY_HINT} ({message})")
        if state == READ_ONLY_SQLSTATE:  # --write on a standby: run_sql names the database
            return DatabaseError(message, state)
        return QueryFailed(f"SQL error: {message}")

    def command(self, statement: str) -> None:
        self.run(statement, [], None)

    def check_open(self) -> None:
        from psycopg import pq

        if self.pg.transaction_status != pq.TransactionStatus.INTRANS:
            raise QueryRefused(TRANSACTION_HINT)


def _run_postgresql(
    target: DatabaseTarget,
    sql: str,
    params: dict[str, str],
    write: bool,
    rows: _Rows,
    change: ChangeContext | None = None,
) -> SqlResult:
    from psycopg.conninfo import make_conninfo

    statements = pg_statements(sql, split=write)
    if not statements:
        raise InvalidInput("SQL", "holds no statement")
    for statement in statements:
        if statement.controls_transaction:
            raise QueryRefused(TRANSACTION_HINT)
        if write and set(HISTORY_TABLES) & statement.identifiers:
            raise QueryRefused(
                "--write may not name the change history's tables (read them without --write)"
            )
        if write and statement.lead[0] not in _WRITE_LEADS:
            raise QueryRefused(
                f"--write changes data only (SELECT, INSERT, UPDATE, DELETE …), not "
                f"{statement.lead[0].upper() or 'this statement'}: the schema changes through "
                "`factdb db upgrade`"
            )
        for name in statement.names:
            if name not in params:
                raise _missing_parameter(name)
    if write:
        conninfo, who = target.libpq_url, "the database owner"
    else:
        role, password = _reader_login(target, rows)
        conninfo, who = make_conninfo(target.libpq_url, user=role, password=password), role
    conn = _pg_connect(conninfo, rows, who)
    try:
        session = _PgSession(conn, rows, write)
        session.command("BEGIN" if write else "BEGIN READ ONLY")
        # A query, not SET: after it, the transaction can no longer be made read-write.
        ms = int(rows.timeout * 1000) + 500
        session.command(f"SELECT set_config('statement_timeout', '{ms}', true)")
        opened = history.begin(Reader(conn, "postgresql")) if write and change else None
        result = rows.result(len(statements))
        for statement in statements:
            if not session.run(statement.text, [params[n] for n in statement.names], result):
                return result  # cut short; read-only, so there is nothing to commit
            session.check_open()
        if write:
            if opened is not None and change is not None:
                history.finish(Reader(conn, "postgresql"), opened, change)
            session.command("COMMIT")
            result.committed = True
        return result
    finally:
        conn.close()
