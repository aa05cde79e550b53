"""Which database to use, decided at call time: ``--db`` > ``FACTDB_DATABASE_URL`` > default.

Nothing here connects. A plain path means SQLite; ``postgresql://`` (or ``postgres://``) means
PostgreSQL through psycopg 3. The default is an embedded SQLite file in the user's data
directory (platformdirs), which ``factdb db info`` prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from factdb.core.errors import InvalidInput

KNOWN_REVISIONS = ("0001", "0002", "0003", "0004")
"""Every revision this factdb ships, oldest first; a test checks it against ``migrations/``."""
SCHEMA_HEAD = KNOWN_REVISIONS[-1]
"""The alembic head this code expects; a test checks it against ``migrations/``. Kept as a
constant so that commands check the schema without importing alembic (start-up time)."""
BUSY_TIMEOUT_MS = 5000
"""How long a command waits for another one's write lock before saying the database is busy."""

ENV_VAR = "FACTDB_DATABASE_URL"
DEFAULT_FILENAME = "factdb.sqlite3"


@dataclass(frozen=True)
class DatabaseTarget:
    url: str
    """SQLAlchemy URL with the driver named (``sqlite:///…``, ``postgresql+psycopg://…``)."""
    origin: str
    """``--db``, ``FACTDB_DATABASE_URL`` or ``default``."""

    @property
    def backend(self) -> str:
        return "postgresql" if self.url.startswith("postgresql") else "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        if self.backend != "sqlite":
            return None
        path = self.url.removeprefix("sqlite:///")
        return None if path in ("", ":memory:") else Path(path)

    @property
    def libpq_url(self) -> str:
        """The URL as libpq and psycopg take it (no SQLAlchemy driver name)."""
        return self.url.replace("postgresql+psycopg://", "postgresql://", 1)

    @property
    def redacted(self) -> str:
        return redact(self.url)


def default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("factdb", appauthor=False) / DEFAULT_FILENAME


def to_sqlalchemy_url(value: str, field: str = "--db") -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(field, "is empty; give a file path or a postgresql:// URL")
    lowered = value.lower()
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if lowered.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    if lowered.startswith("sqlite:///"):
        return value
    if "://" in value:
        scheme = value.split("://", 1)[0]
        raise InvalidInput(
            field, f"unsupported database URL scheme {scheme!r}; use a file path or postgresql://"
        )
    return "sqlite:///" + str(Path(value).expanduser().resolve())


def resolve(cli_value: str | None, environ: dict[str, str] | None = None) -> DatabaseTarget:
    env = os.environ if environ is None else environ
    if cli_value is not None:
        return DatabaseTarget(to_sqlalchemy_url(cli_value), "--db")
    from_env = env.get(ENV_VAR)
    if from_env:
        return DatabaseTarget(to_sqlalchemy_url(from_env, ENV_VAR), ENV_VAR)
    return DatabaseTarget("sqlite:///" + str(default_path()), "default")


def redact(url: str) -> str:
    """Hide the password of a URL, in its user part or its query string; it is never
    printed."""
    parts = urlsplit(url)
    if parts.password is None and "pass" not in parts.query.lower():
        return url  # nothing to hide; urlunsplit would also fold sqlite:////abs paths
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[-1]
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{host}")
    if parts.query:
        pairs = [
            (k, "***" if k.lower() in ("password", "pass", "passwd", "sslpassword") else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        parts = parts._replace(query="&".join(f"{k}={v}" for k, v in pairs))
    return urlunsplit(parts)
