"""What the root callback hands to every command: the --db and --read-db choices, resolved
lazily."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from factdb.storage.config import ChangeContext, DatabaseTarget, resolve, resolve_read

if TYPE_CHECKING:
    from sqlmodel import Session

    from factdb.storage.reader import Reader

T = TypeVar("T")
COMMAND_PATH = "factdb"
"""The command being run (``factdb actor merge``), set by the root group from its command
line (``FactdbGroup.command_path``)."""
P = ParamSpec("P")


@dataclass
class State:
    db_option: str | None
    debug: bool = False
    as_user: str | None = None
    read_db_option: str | None = None

    def target(self) -> DatabaseTarget:
        return resolve(self.db_option)

    def read_target(self) -> DatabaseTarget:
        """Where ``reader()`` reads: ``--read-db``, else $FACTDB_READ_DATABASE_URL (a hot
        standby, a copy), else ``target()``. Writes always go to ``target()``."""
        return resolve_read(self.read_db_option) or self.target()

    def change(self, reason: str | None) -> ChangeContext:
        """Who makes a write, through which command, and why: recorded with every row it
        changes (docs/design.md, history)."""
        return ChangeContext(user=self.user(), command=COMMAND_PATH, reason=reason)

    def user(self) -> str:
        """``--as``, else $FACTDB_USER, else the operating system's user name."""
        import getpass
        import os

        for candidate in (self.as_user, os.environ.get("FACTDB_USER")):
            if candidate is not None and candidate.strip():
                return candidate.strip()
        try:
            return getpass.getuser()
        except (OSError, KeyError):
            return "unknown"

    @contextmanager
    def session(
        self, *, write: bool, bulk: bool = False, reason: str | None = None
    ) -> Iterator[Session]:
        """A session on a database at the expected schema; one transaction per command. A
        write session records who, which command and ``reason`` with every change."""
        from factdb.storage import db

        target = self.target()
        db.ensure_schema(target)
        change = self.change(reason) if write else None
        with db.session_scope(target, write=write, bulk=bulk, change=change) as session:
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session | Reader]:
        """For reads: straight on the driver when the database is there at the expected schema
        (no SQLAlchemy to import: ``show`` and ``list`` start fast), otherwise a read session,
        which creates a new SQLite database at head or says what is wrong, as every command
        does. On ``read_target()``: a database named only for reads is never created."""
        from factdb.storage.reader import open_reader

        target = self.read_target()
        with open_reader(target) as reader:
            if reader is not None:
                yield reader
                return
        from factdb.storage import db

        db.ensure_schema(target)  # never creates a database named only for reads
        with db.session_scope(target, write=False) as session:
            yield session

    def read(
        self,
        query: Callable[Concatenate[Session | Reader, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """The result of one query (from ``factdb.queries``) run on a ``reader()``."""
        with self.reader() as conn:
            return query(conn, *args, **kwargs)

    @contextmanager
    def writing(self, reason: str | None = None) -> Iterator[Session | Reader]:
        """For the main job's writes (``domain.records``, ``domain.stances``), which run on
        either connection: one write transaction straight on the driver when the database is
        there at the expected schema (no SQLAlchemy to import: ``add`` starts as fast as
        ``show``), otherwise a write ``session`` (which creates, explains or refuses)."""
        from factdb.storage.writer import open_writer

        target = self.target()
        change = self.change(reason)
        with open_writer(target, change) as writer:
            if writer is not None:
                yield writer
                return
        with self.session(write=True, reason=reason) as session:
            yield session

    def record(
        self,
        work: Callable[[Session | Reader], T],
        *,
        reason: str | None = None,
        attempts: int = 3,
    ) -> T:
        """``work`` in one ``writing()`` transaction, retried when a concurrent writer won a
        race (as ``transact``: two PostgreSQL transactions creating the same new actor; the
        loser runs again and finds it)."""
        from factdb.core.errors import is_unique_violation

        for attempt in range(1, attempts + 1):
            try:
                with self.writing(reason) as conn:
                    return work(conn)
            except Exception as exc:
                if attempt == attempts or not is_unique_violation(exc):
                    raise
        raise AssertionError("unreachable")

    def transact(
        self, work: Callable[[Session], T], *, bulk: bool = False, reason: str | None = None
    ) -> T:
        """``work`` in one write transaction, retried if a concurrent writer won a race; the
        change is recorded as in ``session``."""
        from factdb.storage import db

        target = self.target()
        db.ensure_schema(target)
        return db.transact(target, work, bulk=bulk, change=self.change(reason))
