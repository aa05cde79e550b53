"""Engines and sessions (docs/reliability.md, concurrency): SQLite connection settings, the
write lock taken up front, rollback on error, and start-up imports (docs/design.md,
Architecture)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from factdb.core.errors import DatabaseBusy
from factdb.storage import db
from factdb.storage.config import DatabaseTarget
from factdb.storage.models import Claim
from tests.conftest import add_args

HEAVY = ("pandas", "numpy", "sqlalchemy", "sqlmodel", "alembic", "psycopg")


def _pragmas(conn: Connection) -> tuple[str, int, int]:
    execute = conn.exec_driver_sql
    return (
        str(execute("PRAGMA journal_mode").scalar()).lower(),
        int(execute("PRAGMA foreign_keys").scalar_one()),
        int(execute("PRAGMA busy_timeout").scalar_one()),
    )


def _claims(target: DatabaseTarget) -> int:
    with db.session_scope(target, write=False) as s:
        return s.exec(select(func.count()).select_from(Claim)).one()


def _raw(target: DatabaseTarget) -> sqlite3.Connection:
    """A second, independent connection, as another process would have: no waiting."""
    assert target.sqlite_path is not None
    return sqlite3.connect(target.sqlite_path, timeout=0, isolation_level=None)


# --- SQLite connection settings -------------------------------------------------------------


@pytest.mark.sqlite_only
def test_every_new_sqlite_connection_is_configured(target: DatabaseTarget) -> None:
    engine = db.get_engine(target)
    # Several connections open at once (each a new DBAPI connection), then fresh ones again.
    for _round in range(2):
        conns = [engine.connect() for _ in range(3)]
        try:
            for conn in conns:
                assert _pragmas(conn) == ("wal", 1, 5000)
                conn.rollback()
        finally:
            for conn in conns:
                conn.close()
        engine.dispose()


@pytest.mark.sqlite_only
def test_sessions_get_the_same_settings(target: DatabaseTarget) -> None:
    for write in (True, False):
        with db.session_scope(target, write=write) as s:
            assert _pragmas(s.connection()) == ("wal", 1, 5000)


@pytest.mark.sqlite_only
def test_migrating_engine_has_foreign_keys_off(target: DatabaseTarget) -> None:
    """Batch migrations copy and drop tables; foreign keys are off only while migrating."""
    with db.get_engine(target, migrating=True).connect() as conn:
        assert _pragmas(conn) == ("wal", 0, 5000)
        conn.rollback()
    with db.get_engine(target).connect() as conn:
        assert _pragmas(conn)[1] == 1
        conn.rollback()


@pytest.mark.sqlite_only
def test_wal_is_persistent_in_the_file(target: DatabaseTarget) -> None:
    with db.get_engine(target).connect() as conn:
        conn.rollback()
    raw = _raw(target)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


@pytest.mark.postgres_only
def test_postgresql_connections_name_the_application(target: DatabaseTarget) -> None:
    with db.get_engine(target).connect() as conn:
        assert conn.execute(text("SHOW application_name")).scalar() == "factdb"
        conn.rollback()


# --- the write lock -------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_write_session_holds_the_write_lock_from_begin(target: DatabaseTarget) -> None:
    """BEGIN IMMEDIATE: a get-or-create that reads first already owns the lock, so it can
    never fail to upgrade a read transaction (docs/reliability.md, concurrency)."""
    raw = _raw(target)
    try:
        with db.session_scope(target, write=True) as s:
            s.execute(text("SELECT count(*) FROM claim"))  # a read: the transaction has begun
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                raw.execute("BEGIN IMMEDIATE")
            # readers are never blocked (WAL)
            assert raw.execute("SELECT count(*) FROM claim").fetchone() == (0,)
            s.add(Claim(text="x", text_key="x"))
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("ROLLBACK")
        assert raw.execute("SELECT count(*) FROM claim").fetchone() == (1,)
    finally:
        raw.close()


@pytest.mark.sqlite_only
def test_read_session_does_not_take_the_write_lock(target: DatabaseTarget) -> None:
    raw = _raw(target)
    try:
        with db.session_scope(target, write=False) as s:
            s.execute(text("SELECT count(*) FROM claim"))
            raw.execute("BEGIN IMMEDIATE")
            raw.execute(
                "INSERT INTO claim (text, text_key, created_at) VALUES ('y', 'y', '2024-01-01')"
            )
            raw.execute("COMMIT")
            # the read session keeps its snapshot
            assert s.execute(text("SELECT count(*) FROM claim")).scalar() == 0
    finally:
        raw.close()
    assert _claims(target) == 1


@pytest.mark.sqlite_only
def test_busy_database_raises_database_busy(
    target: DatabaseTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the busy timeout a writer gets DatabaseBusy ("try again"), not a raw error;
    a reader meanwhile answers at once."""
    db.dispose_all()
    default = db.BUSY_TIMEOUT_MS
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    raw = _raw(target)
    try:
        raw.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with pytest.raises(DatabaseBusy):
            with db.session_scope(target, write=True) as s:
                s.execute(text("SELECT 1"))
        waited = time.monotonic() - started
        # It waited its (shortened) busy timeout, and not the default one.
        assert 0.15 <= waited < default / 1000, waited
        # The lock is held throughout: a reader that waited for it would fail as busy too.
        assert _claims(target) == 0
    finally:
        raw.close()
        db.dispose_all()


# --- transactions ---------------------------------------------------------------------------


def test_session_commits_on_success(target: DatabaseTarget) -> None:
    with db.session_scope(target) as s:
        s.add(Claim(text="North Korea shipped arms", text_key="north korea shipped arms"))
    assert _claims(target) == 1


def test_session_rolls_back_on_exception(target: DatabaseTarget) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with db.session_scope(target) as s:
            s.add(Claim(text="a", text_key="a"))
            s.flush()
            s.execute(
                text(
                    "INSERT INTO claim (text, text_key, created_at) "
                    "VALUES ('b', 'b', CURRENT_TIMESTAMP)"
                )
            )
            raise RuntimeError("boom")
    assert _claims(target) == 0


def test_session_rolls_back_everything_on_a_database_error(target: DatabaseTarget) -> None:
    """One transaction per command: rows written before the failing one are gone too."""
    with pytest.raises(IntegrityError):
        with db.session_scope(target) as s:
            s.add(Claim(text="a", text_key="a"))
            s.flush()
            s.add(Claim(text="A!", text_key="a"))
            s.flush()
    assert _claims(target) == 0
    # and the database is usable afterwards
    with db.session_scope(target) as s:
        s.add(Claim(text="a", text_key="a"))
    assert _claims(target) == 1


def test_read_session_never_commits(target: DatabaseTarget) -> None:
    with db.session_scope(target, write=False) as s:
        s.add(Claim(text="a", text_key="a"))
        s.flush()
    assert _claims(target) == 0


def test_interrupt_rolls_back(target: DatabaseTarget) -> None:
    with pytest.raises(KeyboardInterrupt):
        with db.session_scope(target) as s:
            s.add(Claim(text="a", text_key="a"))
            s.flush()
            raise KeyboardInterrupt
    assert _claims(target) == 0


# --- start-up imports -----------------------------------------------------------------------


def _imported(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("FACTDB_DATABASE_URL", "PYTHONPATH")}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "factdb", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = set()
    other = []
    for line in result.stderr.splitlines():
        if line.startswith("import time:"):
            name = line.rsplit("|", 1)[-1].strip()
            if name != "package":  # the header line
                modules.add(name.split(".")[0])
        else:
            other.append(line)
    result.stderr = "\n".join(other)
    return result, modules


@pytest.mark.parametrize("args", [["--help"], ["add", "--help"]], ids=["root", "add"])
def test_help_imports_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    result, modules = _imported(args, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    assert "factdb" in modules
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


WRITES_BY_HAND = [
    add_args(
        "North Korea shipped arms",
        by="White House",
        stance="asserts",
        source="https://example.org/a",
        date="2024-02",
        via=["Reuters"],
        tags=["arms"],
    ),
    ["assertion", "correct", "1", "--quote", "It shipped arms.", "--reason", "the quote"],
    ["retract", "2", "--reason", "withdrawn"],
    ["actor", "add", "Kremlin press office", "--alias", "Kremlin", "--id", "Q12345678"],
    ["source", "add", "https://example.org/b", "--outlet", "Example News", "--title", "A story"],
    ["claim", "tag", "1", "deliveries"],
]


def test_writes_by_hand_import_no_orm(target: DatabaseTarget, tmp_path: Path) -> None:
    """The main job's writes on a database at head run on the driver's connection
    (``storage.writer``): no SQLAlchemy, SQLModel or pydantic, no alembic (the schema check
    compares with ``SCHEMA_HEAD``), no pandas; their lines into a pipe need no rich
    (``render.Line``); and they write what they say."""
    for args in WRITES_BY_HAND:
        result, modules = _imported(["--db", target.url, *args], tmp_path)
        assert result.returncode == 0, (args, result.stderr)
        assert "factdb" in modules
        assert result.stdout.strip(), args
        heavy = modules & {
            "sqlalchemy",
            "sqlmodel",
            "pydantic",
            "alembic",
            "pandas",
            "numpy",
            "rich",
        }
        assert not heavy, (args[0], sorted(heavy))
    assert _claims(target) == 1
    with db.session_scope(target, write=False) as s:
        counts = {
            table: s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("assertion", "assertion_via", "actor", "actor_alias", "source")
        }
        retracted = s.execute(
            text("SELECT id, retraction_reason FROM assertion WHERE retracted_at IS NOT NULL")
        ).all()
        sets = s.execute(text("SELECT command FROM change_set ORDER BY id")).scalars().all()
    # White House, Reuters; Kremlin press office; Example News (the outlet)
    assert counts == {
        "assertion": 2,
        "assertion_via": 2,
        "actor": 4,
        "actor_alias": 1,
        "source": 2,
    }
    assert sorted(retracted) == [(1, "corrected: the quote"), (2, "withdrawn")]
    assert sets == [
        "factdb add",
        "factdb assertion correct",
        "factdb retract",
        "factdb actor add",
        "factdb source add",
        "factdb claim tag",
    ]


def test_a_write_behind_head_says_upgrade(target: DatabaseTarget, tmp_path: Path) -> None:
    """A database behind head gets the one line naming `factdb db upgrade` from the fast
    path of a write too, and nothing is written."""
    with db.session_scope(target, write=True) as s:
        s.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    result, _ = _imported(["--db", target.url, *WRITES_BY_HAND[0]], tmp_path)
    assert result.returncode != 0
    assert "behind" in result.stderr and "db upgrade`" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert _claims(target) == 0
