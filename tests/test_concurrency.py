"""Concurrent writers (docs/reliability.md, concurrency), on both backends.

Several processes add assertions to one database at once, all of them creating the same new
claims, actor, via actors, sources and tags (get-or-create races): no add may fail, every
assertion is kept exactly once, and every natural key has exactly one row. An import that
collides with another writer on a new natural key still succeeds. On SQLite a writer blocked
past the busy timeout fails with one line naming the busy database while readers keep
answering.

The helpers here (worker code, counts, integrity checks, scratch databases) are shared with
tests/test_crash.py, tests/test_backup.py and scripts/stress.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from factdb.storage import db
from factdb.storage.config import TABLES, DatabaseTarget
from tests.conftest import add_args, pg_admin_url

# Per race in the suite; scripts/stress runs longer races (--workers, --rounds, --adds).
WORKERS = 4
ROUNDS = 10
ADDS = 50

# --- shared helpers -------------------------------------------------------------------------


def factdb_cmd(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "factdb", "--db", url, *args]


def plain_pg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def pg_connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(plain_pg_url(url), autocommit=True)


def table_counts(target: DatabaseTarget) -> dict[str, int]:
    """Rows per table, through a connection of its own (as another process would see them).
    On SQLite, opening the file recovers a WAL left behind by a killed process."""
    if target.backend == "sqlite":
        assert target.sqlite_path is not None
        conn = sqlite3.connect(target.sqlite_path)
        try:
            return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}
        finally:
            conn.close()
    with pg_connect(target.url) as conn:
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}


def sqlite_health(path: Path | str) -> tuple[str, list[Any]]:
    """``PRAGMA integrity_check`` (all messages joined) and ``PRAGMA foreign_key_check``."""
    conn = sqlite3.connect(path)
    try:
        integrity = "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
        problems = [tuple(r) for r in conn.execute("PRAGMA foreign_key_check")]
    finally:
        conn.close()
    return integrity, problems


def health(target: DatabaseTarget) -> tuple[str, list[Any]]:
    """SQLite: integrity and foreign-key checks. PostgreSQL enforces foreign keys itself and
    has no integrity pragma; report "ok" with no problems."""
    if target.backend == "sqlite":
        assert target.sqlite_path is not None
        return sqlite_health(target.sqlite_path)
    return "ok", []


def wait_until_pg_idle(target: DatabaseTarget, timeout: float = 15.0) -> None:
    """Wait until no factdb backend of the database is in a transaction or a statement: after
    a SIGKILL the server rolls the dead client's transaction back once it notices the closed
    socket. (Idle pooled connections, such as the test process's own, hold nothing.)"""
    deadline = time.monotonic() + timeout
    with pg_connect(target.url) as conn:
        while True:
            (n,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'factdb' AND state <> 'idle'"
            ).fetchone()
            if n == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{n} factdb backend(s) still connected after {timeout} s")
            time.sleep(0.02)


@contextmanager
def scratch_database(backend: str, directory: Path, *, at_head: bool) -> Iterator[DatabaseTarget]:
    """A new database of its own, empty or at the schema head, removed afterwards."""
    if backend == "sqlite":
        path = directory / f"scratch-{uuid.uuid4().hex[:8]}.db"
        target = DatabaseTarget(f"sqlite:///{path}", "--db")
        if at_head:
            db.upgrade(target)
        try:
            yield target
        finally:
            db.dispose_all()
        return
    admin = pg_admin_url()
    if admin is None:
        raise RuntimeError("FACTDB_TEST_POSTGRES_URL is not set")
    name = f"factdb_s_{uuid.uuid4().hex[:10]}"
    with pg_connect(admin) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    target = DatabaseTarget(admin.rpartition("/")[0] + "/" + name, "--db")
    try:
        if at_head:
            db.upgrade(target)
        yield target
    finally:
        db.dispose_all()
        for attempt in range(3):
            try:
                with pg_connect(admin) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                break
            except Exception:
                time.sleep(0.2 * (attempt + 1))


# --- the concurrent writers -----------------------------------------------------------------

WORKER = r"""
import datetime as dt, json, os, sys, time
from sqlalchemy import text
from factdb.storage import db
from factdb.core import errors as errors_module
from factdb.domain.stances import add_assertion
from factdb.storage.config import DatabaseTarget
from factdb.cli.state import State
from factdb.core.dates import PartialDate
from factdb.storage.models import Stance

url, go = sys.argv[1], sys.argv[5]
worker, rounds, adds = (int(a) for a in sys.argv[2:5])
target = DatabaseTarget(url, "--db")
state = State(url)
stances = list(Stance)
retries = 0
_unique = errors_module.is_unique_violation  # State.record asks this before it retries


def _counting(exc):  # counts the lost get-or-create races retried (scripts/stress prints them)
    global retries
    counted = _unique(exc)
    retries += counted
    return counted


errors_module.is_unique_violation = _counting
with db.session_scope(target, write=False) as s:
    pragmas = (
        [str(s.execute(text(f"PRAGMA {p}")).scalar()).lower()
         for p in ("journal_mode", "foreign_keys", "busy_timeout")]
        if target.backend == "sqlite" else None
    )
while not os.path.exists(go):  # start together: imports and connections are ready
    time.sleep(0.002)
t0 = float(open(go).read())
errors = 0
started = time.monotonic()


def attempt(label, **kwargs):
    global errors
    try:
        # The names are alike on purpose ("Round actor 1", "Round actor 2"): each is new.
        # As `factdb add` writes: on the driver's connection, retried when a race is lost.
        state.record(lambda conn: add_assertion(conn, new_actor=True, **kwargs))
    except Exception as exc:
        errors += 1
        print(f"worker {worker} {label}: {type(exc).__name__}: {exc}".splitlines()[0],
              file=sys.stderr)


# Rounds in lockstep (a shared clock): every worker creates the same new claim, actor, via
# actor, source and tag at the same moment.
for r in range(rounds):
    time.sleep(max(0.0, t0 + r * 0.06 - time.time()))
    attempt(
        f"round {r}",
        by=f"Round actor {r}",
        text=f"Round claim {r}",
        source_url=f"https://race.example/round/{r}?utm_medium=w{worker}",
        stance=stances[worker % 5],
        date=PartialDate(dt.date(2001, 1, 1) + dt.timedelta(days=worker), "day"),
        via=[f"Round via {r}"],
        tags=[f"round-{r}"],
        quote=f"worker {worker}, round {r}",
    )
# Then as fast as each can: shared new rows every few adds, one assertion per add.
for j in range(adds):
    attempt(
        f"add {j}",
        by="Race Actor",
        text=f"Race claim {j // 5}",
        source_url=f"https://race.example/report/{j // 10}?utm_source=w{worker}",
        stance=stances[j % 5],
        date=PartialDate(dt.date(2000, 1, 1) + dt.timedelta(days=worker * 10000 + j), "day"),
        via=[f"Race Via {j // 20}"] if j % 2 else None,
        tags=["race", f"batch-{j // 25}"],
        quote=f"worker {worker}, add {j}",
    )
print(json.dumps({"worker": worker, "errors": errors, "retries": retries, "pragmas": pragmas,
                  "seconds": round(time.monotonic() - started, 3)}))
"""


def expected_race_rows(workers: int, rounds: int, adds: int) -> dict[str, int]:
    """Row counts after the race on an empty database, from the formulas of ``WORKER``."""
    odd = [j for j in range(adds) if j % 2]
    return {t: 0 for t in TABLES} | {
        "actor": 2 * rounds + (1 + len({j // 20 for j in odd}) if adds else 0),
        "claim": rounds + len({j // 5 for j in range(adds)}),
        "claim_tag": rounds + sum(len({"race", f"batch-{j // 25}"}) for j in range(0, adds, 5)),
        "source": rounds + len({j // 10 for j in range(adds)}),
        "assertion": workers * (rounds + adds),
        "assertion_via": workers * (rounds + len(odd)),
    }


@dataclass
class RaceResult:
    workers: int
    rounds: int
    adds: int
    seconds: float
    returncodes: list[int]
    errors: int
    retries: int
    stderr: list[str]
    pragmas: list[Any]
    counts: dict[str, int]
    expected: dict[str, int]
    integrity: str
    fk_problems: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.returncodes == [0] * self.workers
            and self.errors == 0
            and not self.stderr
            and self.counts == self.expected
            and self.integrity == "ok"
            and not self.fk_problems
        )


def run_race(
    target: DatabaseTarget, workers: int, rounds: int, adds: int, directory: Path
) -> RaceResult:
    """``workers`` processes on one database at head with no rows: ``rounds`` lockstep adds
    of the same new rows, then ``adds`` adds each as fast as they go."""
    go = directory / f"go-{uuid.uuid4().hex[:8]}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, target.url, str(w), str(rounds), str(adds), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    started = time.monotonic()
    ready = go.with_suffix(".tmp")
    ready.write_text(str(time.time() + 1.0))  # imports and connections take < 1 s
    ready.replace(go)
    reports: list[dict[str, Any]] = []
    stderr: list[str] = []
    codes: list[int] = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        codes.append(proc.returncode)
        stderr += [line for line in err.splitlines() if line.strip()]
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if lines:
            reports.append(json.loads(lines[-1]))
    seconds = time.monotonic() - started
    integrity, fk = health(target)
    return RaceResult(
        workers=workers,
        rounds=rounds,
        adds=adds,
        seconds=seconds,
        returncodes=codes,
        errors=sum(r["errors"] for r in reports) + (workers - len(reports)) * (rounds + adds),
        retries=sum(r["retries"] for r in reports),
        stderr=stderr,
        pragmas=[r["pragmas"] for r in reports],
        counts=table_counts(target),
        expected=expected_race_rows(workers, rounds, adds),
        integrity=integrity,
        fk_problems=fk,
    )


@pytest.mark.slow
def test_concurrent_writers_race_on_the_same_new_rows(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    """Items 10, 11 and 13: no add fails, every assertion is kept once, and each new claim,
    actor, source and tag that every worker tried to create at once has exactly one row."""
    result = run_race(target, WORKERS, ROUNDS, ADDS, tmp_path)
    assert result.stderr == [], result.stderr[:10]
    assert result.returncodes == [0] * WORKERS
    assert result.errors == 0
    assert result.counts == result.expected
    assert result.integrity == "ok"
    assert result.fk_problems == []
    # Item 13: every worker's own new connection was configured.
    if target.backend == "sqlite":
        # BEGIN IMMEDIATE serialises the writers: none can lose a get-or-create race.
        assert result.retries == 0
        assert result.pragmas == [["wal", "1", str(db.BUSY_TIMEOUT_MS)]] * WORKERS
    with db.session_scope(target, write=False) as s:
        actors = s.execute(text("SELECT name FROM actor ORDER BY id")).scalars().all()
        claims = s.execute(text("SELECT text FROM claim ORDER BY id")).scalars().all()
        sources = s.execute(text("SELECT key FROM source ORDER BY id")).scalars().all()
        quotes = s.execute(text("SELECT quote FROM assertion")).scalars().all()
        race_actor = s.execute(
            text(
                "SELECT count(*) FROM assertion a JOIN actor ON actor.id = a.actor_id "
                "WHERE actor.name = 'Race Actor'"
            )
        ).scalar_one()
    assert sorted(actors) == sorted(
        [
            *(f"Round actor {r}" for r in range(ROUNDS)),
            *(f"Round via {r}" for r in range(ROUNDS)),
            "Race Actor",
            *{f"Race Via {j // 20}" for j in range(1, ADDS, 2)},
        ]
    )
    assert sorted(claims) == sorted(
        [
            *(f"Round claim {r}" for r in range(ROUNDS)),
            *{f"Race claim {j // 5}" for j in range(ADDS)},
        ]
    )
    # one source per URL although every worker gave it another tracking parameter
    assert len(sources) == len(set(sources)) == ROUNDS + len({j // 10 for j in range(ADDS)})
    assert sorted(quotes) == sorted(
        [
            *(f"worker {w}, round {r}" for w in range(WORKERS) for r in range(ROUNDS)),
            *(f"worker {w}, add {j}" for w in range(WORKERS) for j in range(ADDS)),
        ]
    )
    assert race_actor == WORKERS * ADDS


# --- a writer blocked past the busy timeout (SQLite) -----------------------------------------


def _error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.sqlite_only
def test_writer_blocked_past_the_busy_timeout_fails_cleanly_while_readers_answer(
    target: DatabaseTarget,
) -> None:
    """Item 12: another process holds the write lock beyond the busy timeout."""
    add = factdb_cmd(
        target.url,
        *add_args(
            "North Korea shipped artillery shells to Russia",
            by="White House",
            stance="asserts",
            source="https://example.org/kirby",
            date="2023-10-13",
        ),
    )
    subprocess.run(add, check=True, capture_output=True)
    assert target.sqlite_path is not None
    holder = sqlite3.connect(target.sqlite_path, isolation_level=None, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute(
            "INSERT INTO claim (text, text_key, created_at) "
            "VALUES ('uncommitted', 'uncommitted', '2024-01-01 00:00:00')"
        )
        started = time.monotonic()
        writer = subprocess.Popen(
            factdb_cmd(
                target.url,
                *add_args(
                    "Russia paid in oil",
                    by="Russia",
                    stance="denies",
                    source="https://example.org/denial",
                    date="2024",
                ),
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Readers answer meanwhile (the lock is held throughout: a reader that waited for it
        # would fail as busy too), and see only committed rows.
        for _ in range(2):
            reader = subprocess.run(
                factdb_cmd(target.url, "list", "--format", "json"),
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert reader.returncode == 0, reader.stderr
            claims = [row["claim"] for row in json.loads(reader.stdout)]
            assert claims == ["North Korea shipped artillery shells to Russia"], reader.stdout
            if time.monotonic() - started < db.BUSY_TIMEOUT_MS / 1000:
                # the writer cannot have given up yet (on a loaded machine the readers may
                # take longer than its busy timeout; its wait is checked below then)
                assert writer.poll() is None
        try:
            out, err = writer.communicate(timeout=db.BUSY_TIMEOUT_MS / 1000 + 15)
        except subprocess.TimeoutExpired:
            writer.kill()
            writer.communicate()
            pytest.fail("the blocked writer waited past its busy timeout")
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert writer.returncode == 1, (out, err)
    assert "busy" in _error_line(err)
    assert out == ""
    assert waited >= db.BUSY_TIMEOUT_MS / 1000 - 0.1, waited
    # Nothing of the failed add was written; once the lock is free, the same add works.
    assert table_counts(target)["claim"] == 1
    again = subprocess.run(writer.args, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert table_counts(target)["claim"] == 2


def test_import_finds_an_actor_created_meanwhile_by_another_writer(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    """Two writers at once, one of them an import: another client creates one of the file's
    new actors and commits while the import waits to write it (an analyst's ``add`` during a
    colleague's import; or two imports of overlapping files). On SQLite the import waits for the
    write lock and then sees the actor; on PostgreSQL its insert waits on the unique index
    and then collides, and, like ``add``, it must retry and find the row."""
    from tests.test_crash import write_import_csv

    path = tmp_path / "one.csv"
    delta = write_import_csv(path, 2_000, "meanwhile")
    before = table_counts(target)
    name, key = "meanwhile actor 0", "meanwhile actor 0"
    insert = (
        "INSERT INTO actor (name, name_key, kind, created_at) "
        f"VALUES ('{name}', '{key}', 'person', '2024-01-01 00:00:00')"
    )
    if target.backend == "sqlite":
        assert target.sqlite_path is not None
        other: Any = sqlite3.connect(target.sqlite_path, isolation_level=None, timeout=0)
        other.execute("BEGIN IMMEDIATE")
    else:
        other = pg_connect(target.url)
        other.autocommit = False
    try:
        other.execute(insert)
        importer = subprocess.Popen(
            factdb_cmd(target.url, "import", str(path)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        if target.backend == "postgresql":
            with pg_connect(target.url) as watch:  # until the import waits on our row
                while not watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = 'factdb' AND wait_event_type = 'Lock'"
                ).fetchone()[0]:
                    assert importer.poll() is None, importer.communicate()
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
        else:
            time.sleep(1.5)  # the import is waiting for the write lock (busy timeout 5 s)
            assert importer.poll() is None
        if target.backend == "sqlite":
            other.execute("COMMIT")
        else:
            other.commit()
        _, err = importer.communicate(timeout=120)
    finally:
        other.close()
    assert (importer.returncode, err.strip()) == (0, ""), err
    assert table_counts(target) == {t: before[t] + delta[t] for t in TABLES}
