"""Messages for errors that are not ``FactdbError``: a database that cannot be reached, a
constraint the database enforced, or a bug (then: how to see the traceback)."""

from __future__ import annotations


def describe_unexpected(exc: Exception) -> tuple[str, int]:
    from sqlalchemy.exc import IntegrityError, OperationalError

    from factdb.db import is_busy

    if isinstance(exc, OperationalError):
        if is_busy(exc):
            return "database is busy (another factdb holds the write lock); try again", 1
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return f"database error: {first}", 1
    if isinstance(exc, IntegrityError):
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return f"refused by the database: {first}", 1
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"internal error: {type(exc).__name__}: {first} (rerun with --debug for details)", 1
