"""What the root callback hands to every command: the --db choice, resolved lazily."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from factdb.config import DatabaseTarget, resolve

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass
class State:
    db_option: str | None
    debug: bool = False

    def target(self) -> DatabaseTarget:
        return resolve(self.db_option)

    @contextmanager
    def session(self, *, write: bool) -> Iterator[Session]:
        """A session on a database at the expected schema; one transaction per command."""
        from factdb import db

        target = self.target()
        db.ensure_schema(target)
        with db.session_scope(target, write=write) as session:
            yield session
