"""Messages for errors that are not ``FactdbError``: a database that cannot be reached, a
constraint the database enforced, or a bug (then: how to see the traceback)."""

from __future__ import annotations


def describe_unexpected(exc: Exception) -> tuple[str, int]:
    from sqlalchemy.exc import IntegrityError, OperationalError

    from factdb.core.errors import DatabaseBusy, DatabaseError, first_line, is_busy_message

    if isinstance(exc, OperationalError):
        if is_busy_message(exc.orig or exc):
            return str(DatabaseBusy()), 1
        return str(DatabaseError(first_line(exc.orig or exc))), 1
    if isinstance(exc, IntegrityError):
        return f"refused by the database: {first_line(exc.orig or exc)}", 1
    first = first_line(exc)
    return f"internal error: {type(exc).__name__}: {first} (rerun with --debug for details)", 1
