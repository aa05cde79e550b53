"""One error hierarchy for the whole package.

The CLI maps these to exit codes in one place (``factdb.cli.app.main``): ``UsageError`` and
``InvalidInput`` are the user's mistake in what they typed (exit 2), every other
``FactdbError`` is a failed operation (exit 1). Messages are built in ``__str__`` from fields,
so a caller can also read the fields.
"""

from __future__ import annotations

from dataclasses import dataclass


def first_line(error: object, default: str = "") -> str:
    """The first line of an error's message (a driver's message goes on with details)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else default


def is_busy_message(error: object) -> bool:
    """Whether a driver's error says another connection holds the lock."""
    message = str(error).lower()
    return "database is locked" in message or "database is busy" in message


READ_ONLY_SQLSTATE = "25006"
"""PostgreSQL's read_only_sql_transaction: a write on a hot standby, or in a read-only
transaction."""
UNIQUE_SQLSTATE = "23505"
"""PostgreSQL's unique_violation: a concurrent transaction created the same natural key."""


def is_unique_violation(error: BaseException) -> bool:
    """A unique-key conflict (a concurrent writer created the same natural key), whether
    SQLAlchemy wrapped the driver's error, the reader mapped it, or the driver raised it."""
    orig = getattr(error, "orig", None) or error
    return sqlstate_of(error) == UNIQUE_SQLSTATE or "UNIQUE constraint failed" in str(orig)


def sqlstate_of(error: BaseException) -> str | None:
    """The SQLSTATE of a driver's error, whether SQLAlchemy wrapped it, factdb's reader
    mapped it (``DatabaseError``), or the raw driver raised it; None for anything else."""
    for candidate in (error, getattr(error, "orig", None)):
        code = getattr(candidate, "sqlstate", None)
        if isinstance(code, str):
            return code
    return None


class FactdbError(Exception):
    """Base of every error a user can cause; never a bug."""

    exit_code = 1


class NotFound(FactdbError):
    def __init__(self, what: str, key: object, hint: str | None = None) -> None:
        super().__init__(what, key)
        self.what = what
        self.key = key
        self.hint = hint

    def __str__(self) -> str:
        msg = f"no {self.what} {self.key!r}"
        return f"{msg}; {self.hint}" if self.hint else msg


class MessageError(FactdbError):
    """An error whose message is given whole."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Conflict(MessageError):
    """The operation clashes with what is recorded (a name taken, a source already there)."""


class SchemaError(MessageError):
    """The database is not at the schema this factdb expects."""


class DatabaseBusy(FactdbError):
    def __str__(self) -> str:
        return "database is busy (another factdb holds the write lock); try again"


class DatabaseError(FactdbError):
    """The database refused a read (the driver's first line of explanation)."""

    def __init__(self, reason: str, sqlstate: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sqlstate = sqlstate

    def __str__(self) -> str:
        return f"database error: {self.reason}"


class ReadOnlyDatabase(FactdbError):
    """A write sent to a database that takes only reads: a PostgreSQL hot standby (in
    recovery), or a server whose transactions are read-only (``default_transaction_read_only``).
    """

    def __init__(self, url: str, standby: bool) -> None:
        super().__init__(url, standby)
        self.url = url
        self.standby = standby

    def __str__(self) -> str:
        if self.standby:
            return (
                f"the database at {self.url} is a read-only standby; send writes to the "
                "primary (--db), reads may use --read-db"
            )
        return (
            f"the database at {self.url} takes no writes (its transactions are read-only: "
            "default_transaction_read_only); nothing was changed"
        )


class DatabaseUnavailable(FactdbError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot open database {self.url}: {self.reason}"


@dataclass
class InvalidInput(FactdbError):
    """A value the user gave is not acceptable.

    ``field`` is the option or column (``--date``, ``stance``); ``path``/``line``/``column``
    locate it in a file when it came from one.
    """

    field: str
    reason: str
    path: str | None = None
    line: int | None = None
    column: int | None = None

    exit_code = 2

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{self.field}: {self.reason}"
