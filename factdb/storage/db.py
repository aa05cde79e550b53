"""Engines, sessions and the schema state, for SQLite and PostgreSQL.

Engines are built lazily, one per URL, so ``factdb --help`` never touches a database.

SQLite connections get WAL, foreign keys, a busy timeout, and write transactions that take the
write lock up front with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes
fails with "database is locked" under concurrency without waiting (docs/reliability.md,
concurrency)."""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from factdb.core.errors import (
    DatabaseBusy,
    DatabaseUnavailable,
    SchemaError,
    first_line,
    is_busy_message,
    is_unique_violation,
)
from factdb.storage.config import BUSY_TIMEOUT_MS as BUSY_TIMEOUT_MS
from factdb.storage.config import KNOWN_REVISIONS as KNOWN_REVISIONS
from factdb.storage.config import SCHEMA_HEAD as SCHEMA_HEAD
from factdb.storage.config import TABLES, ChangeContext, DatabaseTarget
from factdb.storage.writer import in_recovery as in_recovery
from factdb.storage.writer import refusing_read_only as refusing_read_only

T = TypeVar("T")
_engines: dict[tuple[str, bool, bool], Engine] = {}


BULK_CACHE_KIB = 65536
"""SQLite's page cache for a bulk import's connection (the default is 2 MB)."""


def _sqlite_engine(url: str, *, migrating: bool, bulk: bool = False) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN; the driver would emit a deferred one.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Batch migrations copy and drop tables; with foreign keys on, dropping a parent would
        # cascade into its children (alembic batch docs), so migrations run with them off and
        # check them afterwards with PRAGMA foreign_key_check.
        #
        # Bulk imports write ids they resolved themselves in the same locked transaction, so
        # they cannot dangle; checking three parents per row would cost about 2.4× on a
        # million rows (docs/performance.md). They also get a larger page cache for the indexes.
        cur.execute(f"PRAGMA foreign_keys={'OFF' if migrating or bulk else 'ON'}")
        if bulk:
            cur.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("factdb_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def get_engine(target: DatabaseTarget, *, migrating: bool = False, bulk: bool = False) -> Engine:
    key = (target.url, migrating, bulk)
    engine = _engines.get(key)
    if engine is None:
        if target.backend == "sqlite":
            path = target.sqlite_path
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise DatabaseUnavailable(target.redacted, exc.strerror or str(exc)) from None
            engine = _sqlite_engine(target.url, migrating=migrating, bulk=bulk)
        else:
            engine = create_engine(
                target.url,
                connect_args={
                    "connect_timeout": 10,
                    "application_name": "factdb",
                    # Not the reader's plan_cache_mode: the foreign-key triggers' cached plans
                    # would be planned again for every row of an import (+40% at 1M).
                    "options": "-c jit=off",
                },
                pool_pre_ping=False,
            )
        _engines[key] = engine
    return engine


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def is_busy(exc: BaseException) -> bool:
    return is_busy_message(getattr(exc, "orig", exc))


@contextmanager
def session_scope(
    target: DatabaseTarget,
    *,
    write: bool = True,
    bulk: bool = False,
    change: ChangeContext | None = None,
) -> Iterator[Session]:
    """One transaction per command: commit on success, roll back on any error.

    Read sessions start a deferred transaction on SQLite, so readers never wait for writers.
    ``bulk`` is for imports (see ``_sqlite_engine``).
    """
    engine = get_engine(target, bulk=bulk).execution_options(
        factdb_begin="IMMEDIATE" if write else "DEFERRED"
    )
    try:
        with (
            refusing_read_only(target) if write else nullcontext(),
            Session(engine, expire_on_commit=False, autoflush=True) as session,
        ):
            try:
                if change is not None:
                    from factdb.storage import history
                    from factdb.storage.reader import Reader

                    opened = history.begin(Reader.of(session), bulk=bulk)
                yield session
                if change is not None:
                    history.finish(Reader.of(session), opened, change)
                if write:
                    session.commit()
                else:
                    session.rollback()
            except BaseException:
                session.rollback()
                raise
    except OperationalError as exc:
        if is_busy(exc):
            raise DatabaseBusy() from None
        raise


def transact(
    target: DatabaseTarget,
    work: Callable[[Session], T],
    *,
    attempts: int = 3,
    bulk: bool = False,
    change: ChangeContext | None = None,
) -> T:
    """Run ``work`` in one write transaction, retried when a concurrent writer won a race.

    Get-or-create on PostgreSQL can collide on a natural key (two processes create the same
    new actor at once); the loser's transaction is rolled back and run again, and then finds
    the row. SQLite serializes writers with BEGIN IMMEDIATE, so it never needs the retry.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(target, write=True, bulk=bulk, change=change) as session:
                return work(session)
        except Exception as exc:
            if attempt == attempts or not is_unique_violation(exc):
                raise
    raise AssertionError("unreachable")


def analyze(target: DatabaseTarget) -> None:
    """Refresh the query planner's statistics after a large import, in its own short
    transaction once the import has committed. PostgreSQL planned ``show`` at 24 ms and
    ``list --contested`` at 770 ms right after a million-row import, until autovacuum got to
    the tables (0.9 ms and 4 ms after ``ANALYZE``). SQLite plans without statistics here."""
    if target.backend != "postgresql":
        return
    with get_engine(target).connect() as conn:
        conn.exec_driver_sql("ANALYZE " + ", ".join(TABLES))
        conn.commit()


# --- schema state --------------------------------------------------------------------------


def migrations_path() -> Path:
    """The alembic script directory, shipped inside the package as ``factdb.migrations``."""
    return Path(str(importlib.resources.files("factdb.migrations")))


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect().execution_options(factdb_begin="DEFERRED") as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            conn.rollback()
    except OperationalError as exc:
        if is_busy(exc):
            raise DatabaseBusy() from None
        raise DatabaseUnavailable("", first_line(exc.orig)) from None
    return None if row is None else str(row[0])


def _has_user_tables(engine: Engine) -> bool:
    with engine.connect().execution_options(factdb_begin="DEFERRED") as conn:
        names = set(inspect(conn).get_table_names())
        conn.rollback()
    return bool(names & set(TABLES))


def ensure_schema(target: DatabaseTarget) -> None:
    """Make sure the database is at the schema this code expects.

    A new or empty SQLite file (the embedded default, or a new ``--db`` path) is created at
    head. Anything else behind head gets an error naming ``factdb db upgrade``: a shared
    PostgreSQL is never migrated silently. A database named only for reads (``--read-db``)
    is never created: a SQLite file that is not there is an error.
    """
    path = target.sqlite_path
    if target.for_reads and path is not None and not path.is_file():
        raise DatabaseUnavailable(target.redacted, "no such database file")
    try:
        engine = get_engine(target)
        revision = current_revision(engine)
    except DatabaseUnavailable as exc:
        raise DatabaseUnavailable(target.redacted, exc.reason) from None
    except OperationalError as exc:
        raise DatabaseUnavailable(target.redacted, first_line(exc.orig)) from None
    if revision == SCHEMA_HEAD:
        return
    if (
        revision is None
        and target.backend == "sqlite"
        and not target.for_reads
        and not _has_user_tables(engine)
    ):
        upgrade(target, "head")
        return
    hint = "factdb db upgrade" if target.origin == "default" else "factdb --db … db upgrade"
    if revision is None:
        raise SchemaError(
            f"database {target.redacted} has no factdb schema; run `{hint}` to create it"
        )
    if revision not in KNOWN_REVISIONS:
        raise SchemaError(
            f"database schema is at revision {revision}, which this factdb does not ship "
            f"(it knows {', '.join(KNOWN_REVISIONS)}); use the factdb that created it"
        )
    raise SchemaError(
        f"database schema is at revision {revision}, behind {SCHEMA_HEAD}; run `{hint}`"
    )


# --- alembic -------------------------------------------------------------------------------


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """For alembic's autogenerate: skip what migrations create by hand, outside the models
    (SQLite's FTS5 tables and their shadow tables, PostgreSQL's full-text indexes)."""
    if name is None:
        return True
    if type_ == "table" and "_fts" in name:
        return False
    return not (type_ == "index" and name.endswith("_fts"))


def alembic_config(target: DatabaseTarget) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_path()))
    cfg.attributes["factdb_target"] = target
    return cfg


def _run_alembic(target: DatabaseTarget, action: str, revision: str) -> None:
    from alembic import command
    from alembic.util.exc import CommandError

    engine = get_engine(target, migrating=True)
    cfg = alembic_config(target)
    try:
        # One transaction for the whole run: SQLite and PostgreSQL both roll DDL back, so a
        # failed or killed upgrade leaves the database at the old revision (docs/reliability.md,
        # migrations).
        with refusing_read_only(target), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            getattr(command, action)(cfg, revision)
            if target.backend == "sqlite":
                problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise SchemaError(
                        f"{action} would break {len(problems)} foreign key(s); nothing changed"
                    )
    except CommandError as exc:
        raise SchemaError(f"cannot {action} to {revision!r}: {exc}") from None
    except OperationalError as exc:
        if is_busy(exc):
            raise DatabaseBusy() from None
        raise
    finally:
        engine.dispose()
        _engines.pop((target.url, True, False), None)


def upgrade(target: DatabaseTarget, revision: str = "head") -> None:
    _run_alembic(target, "upgrade", revision)


def downgrade(target: DatabaseTarget, revision: str) -> None:
    _run_alembic(target, "downgrade", revision)


def history() -> list[dict[str, str | None]]:
    from alembic.script import ScriptDirectory

    cfg = alembic_config(DatabaseTarget("sqlite://", "none"))
    script = ScriptDirectory.from_config(cfg)
    return [
        {
            "revision": rev.revision,
            "down_revision": str(rev.down_revision or "") or None,
            "message": rev.doc,
        }
        for rev in script.walk_revisions()
    ]


@dataclass
class DatabaseInfo:
    backend: str
    url: str
    origin: str
    revision: str | None
    head: str
    counts: dict[str, int]


def info(target: DatabaseTarget) -> DatabaseInfo:
    engine = get_engine(target)
    revision = current_revision(engine)
    counts: dict[str, int] = {}
    if revision is not None:
        with engine.connect().execution_options(factdb_begin="DEFERRED") as conn:
            for table in TABLES:
                counts[table] = int(
                    conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                )
            conn.rollback()
    return DatabaseInfo(
        target.backend, target.redacted, target.origin, revision, SCHEMA_HEAD, counts
    )


@dataclass
class BackupResult:
    path: str
    method: str
    bytes: int


def backup(target: DatabaseTarget, destination: Path) -> BackupResult:
    """A consistent copy made while other commands run, to a new file.

    SQLite: the online backup API, never a file copy (a copy taken mid-transaction can be
    wrong or malformed, docs/reliability.md, crash safety). PostgreSQL: ``pg_dump`` in its
    custom format. Either way the copy is written to a temporary file of factdb's own beside
    the destination and renamed into place when complete (``factdb.core.files.staged``).
    """
    import shutil
    import sqlite3
    import subprocess

    from factdb.core.errors import InvalidInput
    from factdb.core.files import staged

    if target.backend == "sqlite":
        source_path = target.sqlite_path
        if source_path is None or not source_path.exists():
            raise DatabaseUnavailable(target.redacted, "no such database file")
        with staged(destination, "FILE", new_only=True) as stage:
            try:
                src = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
                dst = sqlite3.connect(stage.path)
                try:
                    src.backup(dst)
                    check = dst.execute("PRAGMA integrity_check").fetchone()[0]
                    dst.execute("PRAGMA journal_mode=DELETE")
                finally:
                    dst.close()
                    src.close()
            except (sqlite3.Error, OSError) as exc:
                raise InvalidInput("FILE", f"cannot write the backup: {exc}") from None
            if check != "ok":
                raise SchemaError(f"the copy failed its integrity check: {check}")
        return BackupResult(str(destination), "sqlite backup API", destination.stat().st_size)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise SchemaError(
            "backing up PostgreSQL needs pg_dump on the PATH; run "
            "`pg_dump --format=custom` against the server"
        )
    argv, env = pg_dump_command(target, pg_dump)
    with staged(destination, "FILE", new_only=True) as stage:
        try:
            completed = subprocess.run(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stage.fd,
                stderr=subprocess.PIPE,
                text=True,
                check=False,
            )
        except OSError as exc:
            raise SchemaError(f"cannot run pg_dump: {exc.strerror or exc}") from None
        if completed.returncode != 0:
            raise SchemaError(f"pg_dump: {first_line(completed.stderr, 'failed')}")
    return BackupResult(str(destination), "pg_dump --format=custom", destination.stat().st_size)


def pg_dump_command(target: DatabaseTarget, pg_dump: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump's arguments (the output goes to its standard output) and environment. The
    password goes in the environment (PGPASSWORD), never on the command line, where every user
    of the machine can read it; user, host, port, database and options go in a URL without
    it."""
    import os

    url, password = target.libpq_without_password()
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    return [pg_dump, "--format=custom", f"--dbname={url}"], env
