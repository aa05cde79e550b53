"""Which database to use, decided at call time: ``--db`` > ``FACTDB_DATABASE_URL`` > default.

Reads may go elsewhere: ``--read-db`` > ``FACTDB_READ_DATABASE_URL`` names a database to read
from (a PostgreSQL hot standby, a copy of a SQLite file); without either, reads go where
writes go (``resolve_read``).

Nothing here connects. A plain path means SQLite; ``postgresql://`` (or ``postgres://``) means
PostgreSQL through psycopg 3. The default is an embedded SQLite file in the user's data
directory (platformdirs), which ``factdb db info`` prints.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from factdb.core.errors import InvalidInput

KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010")
"""Every revision this factdb ships, oldest first; a test checks it against ``migrations/``."""
SCHEMA_HEAD = KNOWN_REVISIONS[-1]
"""The alembic head this code expects; a test checks it against ``migrations/``. Kept as a
constant so that commands check the schema without importing alembic (start-up time)."""
BUSY_TIMEOUT_MS = 5000
"""How long a command waits for another one's write lock before saying the database is busy."""

TABLES = (
    "actor",
    "actor_alias",
    "claim",
    "claim_tag",
    "source",
    "assertion",
    "assertion_via",
    "sanction",
    "claim_sanction",
    "claim_relation",
    "rating",
    "actor_membership",
    "sanction_target",
    "sanction_response",
    "external_id",
)
"""The tables of the record, parents before children (``storage.models``)."""
HISTORY_TABLES = ("change_set", "change", "change_current")
"""The tables of the change history (``storage.history``)."""

ENV_VAR = "FACTDB_DATABASE_URL"
READ_ENV_VAR = "FACTDB_READ_DATABASE_URL"
READ_ORIGINS = ("--read-db", READ_ENV_VAR)
DEFAULT_FILENAME = "factdb.sqlite3"


@dataclass(frozen=True)
class ChangeContext:
    """Who writes, through which command, and why: recorded with every change a write
    transaction makes (``storage.history``)."""

    user: str
    command: str
    reason: str | None = None


@dataclass(frozen=True)
class DatabaseTarget:
    url: str
    """SQLAlchemy URL with the driver named (``sqlite:///…``, ``postgresql+psycopg://…``)."""
    origin: str
    """``--db``, ``FACTDB_DATABASE_URL`` or ``default``; ``--read-db`` or
    ``FACTDB_READ_DATABASE_URL`` for a database only read from (``resolve_read``)."""

    @property
    def for_reads(self) -> bool:
        """Named only to be read from: never created, upgraded or written by factdb."""
        return self.origin in READ_ORIGINS

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

    def libpq_without_password(self) -> tuple[str, str | None]:
        """The libpq URL without its password (user, host, port, database and options kept),
        and the password, decoded, or None: for a program that takes the password from its
        environment (``pg_dump``), never from its command line."""
        return _take_password(self.libpq_url)


_PASSWORD_KEYS = "password|pass|passwd|sslpassword"
_QUERY_SECRET = re.compile(
    rf"(?i)(?P<key>[?&](?:{_PASSWORD_KEYS})=)(?P<value>[^&]*(?:&(?![\w.-]+=)[^&]*)*)"
)
"""A password in the query string; its value runs on over an ``&`` that starts no other
``name=``, in case the password holds one."""
_HOST = r"(?:\[[^\]@/?#]*\]|[^\s/?#@\[\]:,]*)(?::[0-9]*)?"
_HOSTS = re.compile(rf"{_HOST}(?:,{_HOST})*")
_AFTER_USERINFO = re.compile(rf"{_HOST}(?:,{_HOST})*(?:/[^@?#/]*)?(?:\?.*)?", re.DOTALL)


def _plain_host(rest: str) -> bool:
    """Whether what a strict reader takes for the authority is a host list without user
    information."""
    end = min((i for i in (rest.find(c) for c in "/?#") if i != -1), default=len(rest))
    return "@" not in rest[:end] and _HOSTS.fullmatch(rest[:end]) is not None


def _split_userinfo(rest: str) -> tuple[str | None, str]:
    """What follows ``scheme://`` as (user information or None, what follows its ``@``).

    A URL carries a password percent-encoded; typed as is, it may hold ``@ : / ? #``, which
    end the user information or the host for a strict reader (urlsplit, libpq), which then
    takes part of the password for a host, a port or a query, and prints it in its errors.
    Here the user information ends at the first ``@`` that a plausible host list, database
    name and query follow; without an ``@`` in what a strict reader takes for the host, a
    valid ``host[:port]`` there means there is none."""
    if _plain_host(rest):
        return None, rest
    at = rest.find("@")
    while at != -1:
        userinfo, after = rest[:at], rest[at + 1 :]
        if any(c in userinfo.partition(":")[0] for c in "/?#"):
            break
        if _AFTER_USERINFO.fullmatch(after):
            return userinfo, after
        at = rest.find("@", at + 1)
    return None, rest


def _encode(part: str) -> str:
    """A user name or password percent-encoded once, whether it was typed encoded or not
    (a ``%`` that starts no ``%XX`` is a plain character)."""
    return quote(unquote(part), safe="")


def _normalize(rest: str) -> str:
    """The user name and password percent-encoded, and a password in the query string too,
    so that SQLAlchemy, psycopg and pg_dump all read the URL as the user meant it."""
    userinfo, after = _split_userinfo(rest)
    if userinfo is not None:
        user, colon, password = userinfo.partition(":")
        rest = _encode(user) + (":" + _encode(password) if colon else "") + "@" + after
    return _QUERY_SECRET.sub(lambda m: m["key"] + _encode(m["value"]), rest)


def _take_password(url: str) -> tuple[str, str | None]:
    scheme, sep, rest = url.partition("://")
    password: str | None = None
    userinfo, after = _split_userinfo(rest)
    if userinfo is not None:
        user, colon, secret = userinfo.partition(":")
        if colon:
            password = unquote(secret)
        rest = f"{user}@{after}"
    found = _QUERY_SECRET.search(rest)
    while found is not None:
        if found["key"][1:].lower() == "password=":
            password = unquote(found["value"])
        rest = rest[: found.start()] + found["key"][0] + rest[found.end() :]
        rest = rest.replace("?&", "?", 1).rstrip("?&")
        found = _QUERY_SECRET.search(rest)
    return f"{scheme}{sep}{rest}", password


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
            return "postgresql+psycopg://" + _normalize(value[len(prefix) :])
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
        target = DatabaseTarget(to_sqlalchemy_url(cli_value), "--db")
    elif env.get(ENV_VAR):
        target = DatabaseTarget(to_sqlalchemy_url(env[ENV_VAR], ENV_VAR), ENV_VAR)
    else:
        return DatabaseTarget("sqlite:///" + str(default_path()), "default")
    return _remember_password(target)


def resolve_read(
    cli_value: str | None, environ: dict[str, str] | None = None
) -> DatabaseTarget | None:
    """The database reads go to when it is not the one writes go to: ``--read-db``, else
    ``FACTDB_READ_DATABASE_URL``; None when neither is given (reads go to ``resolve``'s)."""
    env = os.environ if environ is None else environ
    if cli_value is not None:
        target = DatabaseTarget(to_sqlalchemy_url(cli_value, "--read-db"), "--read-db")
    elif env.get(READ_ENV_VAR):
        target = DatabaseTarget(to_sqlalchemy_url(env[READ_ENV_VAR], READ_ENV_VAR), READ_ENV_VAR)
    else:
        return None
    return _remember_password(target)


def _remember_password(target: DatabaseTarget) -> DatabaseTarget:
    if target.backend == "postgresql":
        _, password = target.libpq_without_password()
        if password and len(password) >= SCRUB_FROM:
            _secrets.add(password)
    return target


SCRUB_FROM = 4
"""Passwords this long or longer are also blotted out of error messages (``scrub``); a
shorter one would blot out ordinary words."""
_secrets: set[str] = set()
"""The passwords of the databases resolved in this process."""


def scrub(text: str) -> str:
    """``text`` with every password of a resolved database, as typed or percent-encoded,
    replaced by ``***``: the last guard before an error message is printed, for a driver
    that would quote the connection string it was given."""
    for secret in sorted(_secrets, key=len, reverse=True):
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            text = text.replace(form, "***")
    return text


def redact(url: str) -> str:
    """The URL with its password hidden, in the user information or the query string,
    however it was typed (``_split_userinfo``); it is never printed."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.lower().startswith("postgres"):
        return url  # a SQLite path: nothing to hide
    userinfo, after = _split_userinfo(rest)
    if userinfo is not None:
        user, colon, _ = userinfo.partition(":")
        rest = f"{user}:***@{after}" if colon else rest
    elif "@" in rest and not _plain_host(rest):
        rest = "***@" + rest.rpartition("@")[2]  # unreadable: hide all that may be secret
    rest = _QUERY_SECRET.sub(lambda m: m["key"] + "***", rest)
    return f"{scheme}://{rest}"
