"""What the root callback hands to every command: the --db choice, resolved lazily."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from factdb.storage.config import DatabaseTarget, resolve

if TYPE_CHECKING:
    from sqlmodel import Session

    from factdb.storage.reader import Reader

T = TypeVar("T")
P = ParamSpec("P")


@dataclass
class State:
    db_option: str | None
    debug: bool = False

    def target(self) -> DatabaseTarget:
        return resolve(self.db_option)

    @contextmanager
    def session(self, *, write: bool, bulk: bool = False) -> Iterator[Session]:
        """A session on a database at the expected schema; one transaction per command."""
        from factdb.storage import db

        target = self.target()
        db.ensure_schema(target)
        with db.session_scope(target, write=write, bulk=bulk) as session:
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session | Reader]:
        """For reads: straight on the driver when the database is there at the expected schema
        (no SQLAlchemy to import: ``show`` and ``list`` start fast), otherwise a read session,
        which creates a new SQLite database at head or says what is wrong, as every command
        does."""
        from factdb.storage.reader import open_reader

        with open_reader(self.target()) as reader:
            if reader is not None:
                yield reader
                return
        with self.session(write=False) as session:
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

    def transact(self, work: Callable[[Session], T], *, bulk: bool = False) -> T:
        """``work`` in one write transaction, retried if a concurrent writer won a race."""
        from factdb.storage import db

        target = self.target()
        db.ensure_schema(target)
        return db.transact(target, work, bulk=bulk)
