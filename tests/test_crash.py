"""Crash safety (docs/reliability.md, crash safety).

* ``factdb import`` SIGKILLed at random moments (seeded): the database stays intact (SQLite
  ``integrity_check`` "ok", ``foreign_key_check`` empty) and holds either everything from
  before or everything from before plus the whole file; a rerun then imports the file.
* ``factdb db upgrade`` SIGKILLed at random moments from an empty database: no revision and
  no tables, or the head revision with every table, view and trigger, never in between; a
  rerun reaches head.
* A full disk during an import (SQLite ``max_page_count``): one error line naming the cause,
  exit 1, and the database unchanged.

Kill moments (seeded random): from the start of the process (before it opens the database,
while it parses), from the moment it holds the write transaction (SQLite: another connection
cannot take the write lock; PostgreSQL: its backend has a transaction id), or from the moment
it commits (SQLite: the ``-wal`` file grows, since factdb's page cache keeps an import's pages
until the commit). The window is shrunk to the write phase actually observed, and a test adds
up to three trials until one kill has hit an open write transaction, so every run proves
something. scripts/stress runs the same trials longer.
"""

from __future__ import annotations

import csv
import hashlib
import random
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from factdb.core.errors import FactdbError
from factdb.interchange.load import import_file
from factdb.storage import db
from factdb.storage.config import TABLES, DatabaseTarget
from tests.conftest import Cli
from tests.helpers import OLD_CSV_COLUMNS
from tests.test_concurrency import (
    factdb_cmd,
    health,
    pg_connect,
    scratch_database,
    table_counts,
    wait_until_pg_idle,
)

# Trials per test: each kill mode once (scripts/stress runs many more).
KILL_TRIALS = {"sqlite": 3, "postgresql": 3}
IMPORT_ROWS = {"sqlite": 30_000, "postgresql": 10_000}
UPGRADE_TRIALS = {"sqlite": 3, "postgresql": 3}
SEED = 20261127

# --- the import file ------------------------------------------------------------------------

STANCES = ["asserts", "supports", "neutral", "disputes", "denies"]


def write_import_csv(path: Path, rows: int, prefix: str) -> dict[str, int]:
    """``rows`` assertions in the interchange format, every name new to the database (made
    unique by ``prefix``); returns how many rows each table gains when the file is imported."""
    actors: set[str] = set()
    claims: set[str] = set()
    sources: set[str] = set()
    tags: set[tuple[str, str]] = set()
    via_rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(OLD_CSV_COLUMNS)
        for i in range(rows):
            claim = f'{prefix} claim {i // 10}: «shipments» via Rason, "quoted", 北朝鮮'
            actor = f"{prefix} actor {i % 50}"
            via = f"{prefix} agency {i % 7}" if i % 4 == 0 else ""
            tag_list = ["arms", f"{prefix}-batch-{i // 1000}"] if i % 10 == 0 else []
            url = f"https://news.example/{prefix}/{i // 3}"
            writer.writerow(
                [
                    claim,
                    actor,
                    STANCES[i % 5],
                    f"{2000 + i % 25}-{1 + i % 12:02d}" if i % 2 else f"{2000 + i % 25}",
                    url,
                    f"{prefix} News",
                    f"Report {i // 3}",
                    f"line {i}, with a comma and a newline\nand more" if i % 9 == 0 else "",
                    via,
                    ";".join(tag_list),
                    "",
                ]
            )
            actors.add(actor)
            actors.add(f"{prefix} News")  # the outlet, an actor of its own
            claims.add(claim)
            sources.add(url)
            if via:
                actors.add(via)
                via_rows += 1
            tags.update((claim, t) for t in tag_list)
    return {t: 0 for t in TABLES} | {
        "actor": len(actors),
        "claim": len(claims),
        "claim_tag": len(tags),
        "source": len(sources),
        "assertion": rows,
        "assertion_via": via_rows,
    }


def plus(before: dict[str, int], delta: dict[str, int]) -> dict[str, int]:
    return {t: before[t] + delta[t] for t in TABLES}


# --- killing a process while it writes ------------------------------------------------------


class WriteProbe:
    """Watches from outside whether a factdb process is writing.

    SQLite: ``writing`` is true while another connection holds the write lock (a ``BEGIN
    IMMEDIATE`` that may not wait fails), ``committing`` once the ``-wal`` file has grown: with
    factdb's page cache a transaction's pages reach the WAL only as it commits. PostgreSQL:
    a factdb backend of the database has a transaction id (it has written); ``committing`` is
    the same.
    """

    def __init__(self, target: DatabaseTarget) -> None:
        self.target = target
        self.conn: Any = None
        self.wal: Path | None = None
        if target.backend == "sqlite":
            assert target.sqlite_path is not None
            self.wal = target.sqlite_path.with_name(target.sqlite_path.name + "-wal")
        else:
            self.conn = pg_connect(target.url)

    def writing(self) -> bool:
        if self.target.backend == "postgresql":
            (n,) = self.conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'factdb' AND backend_xid IS NOT NULL"
            ).fetchone()
            return bool(n)
        if self.conn is None:
            try:  # never create the file: an empty database is one without a file
                self.conn = sqlite3.connect(
                    f"file:{self.target.sqlite_path}?mode=rw",
                    uri=True,
                    timeout=0,
                    isolation_level=None,
                )
            except sqlite3.OperationalError:
                return False
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return True
            raise
        self.conn.execute("ROLLBACK")
        return False

    def committing(self) -> bool:
        if self.wal is None:
            return self.writing()
        try:
            return self.wal.stat().st_size > 0
        except FileNotFoundError:
            return False

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Kill:
    mode: str  # counted from: "spawn" the start, "write" the first write, "commit" the commit
    delay: float
    write_seen: bool = False
    killed: bool = False
    returncode: int | None = None
    seconds: float = 0.0
    write_phase: float | None = None  # how long the write transaction was seen open
    stderr: str = ""


def run_and_kill(target: DatabaseTarget, args: list[str], mode: str, delay: float) -> Kill:
    """Run ``factdb ARGS`` and SIGKILL it ``delay`` seconds after it starts (``spawn``), after
    it starts writing (``write``) or after it starts to commit (``commit``), unless it has
    finished by then."""
    kill = Kill(mode, delay)
    probe = WriteProbe(target)
    try:
        started = time.monotonic()
        proc = subprocess.Popen(
            factdb_cmd(target.url, *args),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = started + delay if mode == "spawn" else None
        write_start = write_end = None
        while proc.poll() is None:
            now = time.monotonic()
            if write_start is None and probe.writing():
                kill.write_seen = True
                write_start = now
            elif write_start is not None and write_end is None and not probe.writing():
                write_end = now
            if deadline is None:
                if mode == "write" and write_start is not None:
                    deadline = write_start + delay
                elif mode == "commit" and probe.committing():
                    kill.write_seen = True
                    deadline = now + delay
            if deadline is not None and time.monotonic() >= deadline:
                proc.send_signal(signal.SIGKILL)
                kill.killed = True
                break
            if now - started > 300:
                proc.kill()
                raise AssertionError(f"factdb {' '.join(args)} ran for 300 s")
            time.sleep(0.001 if mode == "commit" else 0.003)
        _, kill.stderr = proc.communicate()
        kill.returncode = proc.returncode
        kill.killed = kill.killed and proc.returncode == -signal.SIGKILL
        kill.seconds = time.monotonic() - started
        if write_start is not None:
            kill.write_phase = (write_end or started + kill.seconds) - write_start
    finally:
        probe.close()
    if target.backend == "postgresql":
        wait_until_pg_idle(target)
    return kill


# --- item 14: SIGKILL during import ---------------------------------------------------------


@dataclass
class ImportTrial:
    kill: Kill
    before: dict[str, int]
    after: dict[str, int]
    expected: dict[str, int]
    integrity: str
    fk_problems: list[Any] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.after == self.before:
            return "rolled back"
        if self.after == plus(self.before, self.expected):
            return "committed"
        return "PARTIAL"

    @property
    def hit(self) -> bool:
        """The kill interrupted an open write transaction, which was rolled back."""
        return self.kill.killed and self.kill.write_seen and self.outcome == "rolled back"

    @property
    def ok(self) -> bool:
        return (
            self.outcome != "PARTIAL"
            and self.integrity == "ok"
            and not self.fk_problems
            and (self.kill.killed or self.kill.returncode == 0)
            and (self.kill.killed or self.outcome == "committed")
        )


def import_kill_trials(
    target: DatabaseTarget,
    directory: Path,
    trials: int,
    rows: int,
    rng: random.Random,
    extra: int = 0,
) -> tuple[list[ImportTrial], dict[str, Any]]:
    """``trials`` imports of new files, each SIGKILLed at a random moment, and up to ``extra``
    more until one kill has hit an open write transaction; then the file of a rolled-back
    trial (else the last) is imported again, unharmed, and must load completely. Returns the
    trials and the rerun's result."""
    results: list[ImportTrial] = []
    files: list[tuple[Path, dict[str, int], str]] = []
    window = 0.3  # seconds of writing to spread kills over; shrunk to what is observed
    modes = (
        ["write", "commit", "spawn", "write", "commit"]
        if target.backend == "sqlite"
        else ["write", "write", "spawn"]
    )
    n = 0
    while n < trials or (n < trials + extra and not any(t.hit for t in results)):
        path = directory / f"import-{n}.csv"
        delta = write_import_csv(path, rows, f"t{n}x{rng.randrange(10**6)}")
        before = table_counts(target)
        mode = modes[n % len(modes)] if n < trials else "write"
        n += 1
        delay = {"spawn": 1.5, "write": window, "commit": 0.005}[mode] * rng.random()
        kill = run_and_kill(target, ["import", str(path)], mode, delay)
        if kill.write_phase and (not kill.killed or kill.write_phase < kill.delay):
            window = min(window, 0.8 * kill.write_phase)
        integrity, fk = health(target)
        trial = ImportTrial(kill, before, table_counts(target), delta, integrity, fk)
        results.append(trial)
        files.append((path, delta, trial.outcome))
    # Rerun a file whose import was rolled back (all of it must load), else the last one
    # (already there: nothing changes).
    rolled = [(path, delta) for path, delta, outcome in files if outcome == "rolled back"]
    path, delta = rolled[0] if rolled else (files[-1][0], dict.fromkeys(TABLES, 0))
    before = table_counts(target)
    done = subprocess.run(
        factdb_cmd(target.url, "import", str(path)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    integrity, fk = health(target)
    rerun = {
        "returncode": done.returncode,
        "stderr": done.stderr,
        "after": table_counts(target),
        "expected": plus(before, delta),
        "integrity": integrity,
        "fk_problems": fk,
    }
    return results, rerun


@pytest.mark.slow
def test_sigkill_during_import_is_all_or_nothing(target: DatabaseTarget, tmp_path: Path) -> None:
    Cli(target).ok("seed")  # committed rows that must survive every kill
    db.dispose_all()
    seeded = table_counts(target)
    rng = random.Random(f"{SEED}-{target.backend}")
    trials, rerun = import_kill_trials(
        target, tmp_path, KILL_TRIALS[target.backend], IMPORT_ROWS[target.backend], rng, extra=3
    )
    report = [
        (t.kill.mode, round(t.kill.delay, 3), t.kill.write_seen, t.kill.killed, t.outcome)
        for t in trials
    ]
    for trial in trials:
        assert trial.integrity == "ok", report
        assert trial.fk_problems == [], report
        assert trial.outcome in ("rolled back", "committed"), (report, trial.before, trial.after)
        if not trial.kill.killed:
            assert trial.kill.returncode == 0, trial.kill.stderr
            assert trial.outcome == "committed", report
    # The trials proved something: at least one kill hit an open write transaction.
    assert any(t.hit for t in trials), report
    assert trials[0].before == seeded
    assert rerun["returncode"] == 0, rerun["stderr"]
    assert rerun["after"] == rerun["expected"]
    assert rerun["integrity"] == "ok" and rerun["fk_problems"] == []


# --- item 17: SIGKILL during `db upgrade` ---------------------------------------------------


@dataclass(frozen=True)
class SchemaState:
    revision: str | None
    objects: frozenset[tuple[str, str]]  # (kind, name): tables, views, triggers, functions

    def describe(self) -> str:
        return f"revision {self.revision}, {len(self.objects)} objects"


def schema_state(target: DatabaseTarget) -> SchemaState:
    """The revision and every schema object, read through a connection of its own."""
    if target.backend == "sqlite":
        assert target.sqlite_path is not None
        conn = sqlite3.connect(target.sqlite_path)
        try:
            objects = frozenset(
                (kind, name)
                for kind, name in conn.execute("SELECT type, name FROM sqlite_master")
                if not name.startswith("sqlite_")
            )
            revision = None
            if ("table", "alembic_version") in objects:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = None if row is None else str(row[0])
        finally:
            conn.close()
        return SchemaState(revision, objects)
    with pg_connect(target.url) as conn:
        rows = conn.execute(
            """
            SELECT 'table', table_name FROM information_schema.tables
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
            UNION ALL SELECT 'view', table_name FROM information_schema.views
             WHERE table_schema = 'public'
            UNION ALL SELECT 'trigger', tgname FROM pg_trigger WHERE NOT tgisinternal
            UNION ALL SELECT 'function', p.proname FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
            UNION ALL SELECT 'index', indexname FROM pg_indexes WHERE schemaname = 'public'
            """
        ).fetchall()
        objects = frozenset((str(k), str(n)) for k, n in rows)
        revision = None
        if ("table", "alembic_version") in objects:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = None if row is None else str(row[0])
    return SchemaState(revision, objects)


EMPTY = SchemaState(None, frozenset())


@dataclass
class UpgradeTrial:
    kill: Kill
    state: SchemaState
    rerun_returncode: int
    rerun_stderr: str
    final: SchemaState

    @property
    def hit(self) -> bool:
        """The kill interrupted the open migration transaction, which was rolled back."""
        return self.kill.killed and self.kill.write_seen and self.state == EMPTY

    def outcome(self, empty: SchemaState, head: SchemaState) -> str:
        if self.state == empty:
            return "old (empty)"
        if self.state == head:
            return "head"
        return "BETWEEN"


def upgrade_kill_trials(
    backend: str, directory: Path, trials: int, rng: random.Random, extra: int = 0
) -> list[UpgradeTrial]:
    """Each trial: a new empty database, ``factdb db upgrade`` SIGKILLed at a random moment,
    its state read, then ``db upgrade`` run again to the end. Up to ``extra`` more trials
    until one kill has hit the open migration transaction."""
    results: list[UpgradeTrial] = []
    window = 0.05  # seconds of writing to spread kills over; shrunk to what is observed
    modes = ["write", "spawn", "commit", "write"]
    n = 0
    while n < trials or (n < trials + extra and not any(t.hit for t in results)):
        mode = modes[n % len(modes)] if n < trials else "write"
        n += 1
        with scratch_database(backend, directory, at_head=False) as target:
            delay = {"spawn": 1.4, "write": window, "commit": 0.003}[mode] * rng.random()
            kill = run_and_kill(target, ["db", "upgrade"], mode, delay)
            if kill.write_phase and (not kill.killed or kill.write_phase < kill.delay):
                window = min(window, 0.8 * kill.write_phase)
            state = schema_state(target)
            rerun = subprocess.run(
                factdb_cmd(target.url, "db", "upgrade"), capture_output=True, text=True, timeout=120
            )
            results.append(
                UpgradeTrial(kill, state, rerun.returncode, rerun.stderr, schema_state(target))
            )
    return results


@pytest.mark.slow
def test_sigkill_during_upgrade_leaves_old_or_new_schema(
    target: DatabaseTarget, empty_target: DatabaseTarget, tmp_path: Path
) -> None:
    head = schema_state(target)  # the fixture's database, upgraded to head undisturbed
    empty = schema_state(empty_target)
    assert head.revision == db.SCHEMA_HEAD and empty == EMPTY
    assert {("table", t) for t in TABLES} <= head.objects
    rng = random.Random(f"{SEED}-upgrade-{target.backend}")
    trials = upgrade_kill_trials(
        target.backend, tmp_path, UPGRADE_TRIALS[target.backend], rng, extra=3
    )
    report = [
        (t.kill.mode, round(t.kill.delay, 3), t.kill.killed, t.outcome(empty, head)) for t in trials
    ]
    for trial in trials:
        assert trial.outcome(empty, head) != "BETWEEN", (report, trial.state.describe())
        assert trial.rerun_returncode == 0, trial.rerun_stderr
        assert trial.final == head, report
    # The trials proved something: at least one kill hit the open migration transaction.
    assert any(t.hit for t in trials), report


# --- item 15: a full disk during import (SQLite) --------------------------------------------


def _limit_database_size(monkeypatch: pytest.MonkeyPatch, extra_pages: int) -> None:
    """Every new SQLite connection of factdb may grow the file by ``extra_pages`` pages only:
    ``PRAGMA max_page_count`` is per connection, so it is set as each one opens."""
    original = db._sqlite_engine

    def limited(url: str, **options: Any) -> Any:
        engine = original(url, **options)

        @event.listens_for(engine, "connect")
        def _limit(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            (pages,) = cur.execute("PRAGMA page_count").fetchone()
            cur.execute(f"PRAGMA max_page_count={pages + extra_pages}")
            cur.close()

        return engine

    db.dispose_all()
    monkeypatch.setattr(db, "_sqlite_engine", limited)


def _snapshot(target: DatabaseTarget, cli: Cli, path: Path) -> tuple[dict[str, int], str]:
    """Row counts and the SHA-256 of a full JSON Lines export."""
    cli.ok("export", str(path))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.unlink()
    return table_counts(target), digest


@pytest.mark.sqlite_only
def test_full_disk_during_import_in_process_changes_nothing(
    target: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(target)
    cli.ok("seed")
    before = _snapshot(target, cli, tmp_path / "before.jsonl")
    big = tmp_path / "big.csv"
    write_import_csv(big, 5_000, "full")
    _limit_database_size(monkeypatch, extra_pages=20)
    with pytest.raises(Exception) as raised:
        with db.session_scope(target) as session:
            import_file(session, big, str(big), "csv")
    assert "full" in str(raised.value).lower()
    # The same limited connections still read and answer.
    with db.session_scope(target, write=False) as session:
        count = session.execute(text("SELECT count(*) FROM assertion")).scalar_one()
    assert count == before[0]["assertion"]
    monkeypatch.undo()
    db.dispose_all()
    assert _snapshot(target, cli, tmp_path / "after.jsonl") == before
    assert health(target) == ("ok", [])
    # The domain layer raises what it raises elsewhere: SQLAlchemy's OperationalError (as
    # every other database error) or a FactdbError, never a bare driver exception that
    # session_scope's busy mapping and the CLI's error messages do not know.
    assert isinstance(raised.value, OperationalError | FactdbError), type(raised.value)


@pytest.mark.sqlite_only
def test_full_disk_during_cli_import_is_one_line_and_changes_nothing(
    target: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(target)
    cli.ok("seed")
    before = _snapshot(target, cli, tmp_path / "before.jsonl")
    big = tmp_path / "big.csv"
    write_import_csv(big, 5_000, "full")
    _limit_database_size(monkeypatch, extra_pages=20)
    result = cli("import", str(big))
    monkeypatch.undo()
    db.dispose_all()
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert _snapshot(target, cli, tmp_path / "after.jsonl") == before
    assert health(target) == ("ok", [])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "full" in lines[0].lower()
    # A full disk is the environment, not a bug: no "internal error … rerun with --debug".
    assert "internal error" not in lines[0] and "--debug" not in lines[0], lines[0]
    # With room again, the same import goes through.
    cli.ok("import", str(big))
    assert table_counts(target)["assertion"] == before[0]["assertion"] + 5_000
