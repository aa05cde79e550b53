"""Reads served by another database (docs/design.md, "Reads from a standby"): ``--read-db`` /
``FACTDB_READ_DATABASE_URL`` send every read-only command there while writes still go to
``--db``; a write sent to a PostgreSQL hot standby fails with one line.

The PostgreSQL tests need a hot standby streaming from the server of FACTDB_TEST_POSTGRES_URL:
FACTDB_TEST_STANDBY_URL names it (scripts/test sets one up on port 5433 and sets
FACTDB_TEST_REQUIRE_STANDBY=1, under which a missing or unusable standby fails these tests
instead of skipping them). The databases are made on the primary by the usual fixtures; the
standby sees each one once it has replayed the primary's WAL up to then (``wait_for_replay``).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factdb.core.errors import InvalidInput
from factdb.storage import db
from factdb.storage.config import (
    ENV_VAR,
    READ_ENV_VAR,
    DatabaseTarget,
    resolve_read,
    to_sqlalchemy_url,
)
from tests.conftest import Cli, Result, _pg_exec, _replace_db

STANDBY_ENV = "FACTDB_TEST_STANDBY_URL"
REQUIRE_ENV = "FACTDB_TEST_REQUIRE_STANDBY"
REPLAY_TIMEOUT_S = 60.0
STANDBY_LINE = "is a read-only standby; send writes to the primary (--db), reads may use --read-db"

NEW_CLAIM = "North Korean troops have been deployed to Russia to fight against Ukraine"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """``factdb ARGS`` in-process (the database options given by the caller)."""
    from factdb.cli.app import app

    result = CliRunner().invoke(app, list(args), env=env)
    return Result(result.exit_code, result.stdout, result.stderr)


def add_new_claim(cli: Cli) -> int:
    out = cli.add(
        NEW_CLAIM,
        by="John Kirby",
        stance="asserts",
        date="2024-10-18",
        source="https://example.org/nis-briefing",
        format="json",
    ).json()
    return int(out["claim_id"])


def claim_ids(result: Result) -> set[int]:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return {row["id"] for row in result.json()}


def assert_one_line_error(result: Result, text: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], result.stderr
    assert "Traceback" not in result.stderr


# --- resolving the read target ----------------------------------------------------------------


def test_reads_go_where_writes_go_unless_told(tmp_path: Path) -> None:
    assert resolve_read(None, {ENV_VAR: str(tmp_path / "w.db")}) is None
    from_env = resolve_read(None, {READ_ENV_VAR: str(tmp_path / "r.db")})
    assert from_env == DatabaseTarget("sqlite:///" + str(tmp_path / "r.db"), READ_ENV_VAR)
    assert from_env.for_reads
    flag = resolve_read(str(tmp_path / "f.db"), {READ_ENV_VAR: str(tmp_path / "r.db")})
    assert flag == DatabaseTarget("sqlite:///" + str(tmp_path / "f.db"), "--read-db")
    pg = resolve_read("postgres://u:pw@h:5433/d", {})
    assert pg is not None and pg.url == "postgresql+psycopg://u:pw@h:5433/d"


def test_a_bad_read_url_names_the_option() -> None:
    with pytest.raises(InvalidInput) as err:
        resolve_read("mysql://h/d", {})
    assert err.value.field == "--read-db"
    result = run("--read-db", "mysql://h/d", "list")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --read-db: unsupported database URL scheme 'mysql'; use a file path or "
        "postgresql://"
    )


# --- SQLite: reading a copy ------------------------------------------------------------------


def _copy(target: DatabaseTarget, to: Path) -> Path:
    """A consistent copy of a SQLite database (the backup API, as `db backup` makes one)."""
    assert target.sqlite_path is not None
    src = sqlite3.connect(target.sqlite_path)
    dst = sqlite3.connect(to)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return to


@pytest.mark.sqlite_only
def test_sqlite_reads_from_the_copy_and_writes_to_db(
    seeded_cli: Cli, target: DatabaseTarget, tmp_path: Path
) -> None:
    copy = _copy(target, tmp_path / "copy.sqlite3")
    before = claim_ids(seeded_cli("list", "--format", "json"))
    new_id = add_new_claim(seeded_cli)  # to --db: not in the copy
    read = ("--read-db", f"sqlite:///{copy}")
    assert claim_ids(seeded_cli(*read, "list", "--format", "json")) == before
    assert claim_ids(seeded_cli("list", "--format", "json")) == before | {new_id}
    missing = seeded_cli(*read, "show", str(new_id))
    assert missing.exit_code == 1 and f"no claim {new_id};" in missing.stderr
    count = seeded_cli(*read, "sql", "SELECT count(*) AS n FROM claim", "--format", "json")
    assert count.json() == [{"n": len(before)}]
    # A write with --read-db given still goes to --db, sql --write included.
    seeded_cli.ok(*read, "sql", "--write", "DELETE FROM claim_tag")
    tags = seeded_cli.ok("sql", "SELECT count(*) AS n FROM claim_tag", "--format", "json")
    assert tags.json() == [{"n": 0}]
    tags = seeded_cli.ok(*read, "sql", "SELECT count(*) AS n FROM claim_tag", "--format", "json")
    assert tags.json()[0]["n"] > 0


@pytest.mark.sqlite_only
def test_sqlite_read_env_var_and_every_read_command(
    seeded_cli: Cli, target: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = _copy(target, tmp_path / "copy.sqlite3")
    new_id = add_new_claim(seeded_cli)
    monkeypatch.setenv(READ_ENV_VAR, str(copy))
    assert new_id not in claim_ids(seeded_cli("list", "--format", "json"))
    assert seeded_cli("timeline", str(new_id)).exit_code == 1
    assert "John Kirby" in seeded_cli.ok("actor", "show", "John Kirby").stdout
    out = tmp_path / "export.jsonl"
    seeded_cli.ok("export", str(out), "--format", "jsonl")
    assert NEW_CLAIM not in out.read_text(encoding="utf-8")
    history = seeded_cli.ok("history", "claim", "1", "--format", "json").json()
    assert history
    monkeypatch.delenv(READ_ENV_VAR)
    assert new_id in claim_ids(seeded_cli("list", "--format", "json"))


@pytest.mark.sqlite_only
def test_a_read_target_is_never_created_nor_migrated(seeded_cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sqlite3"
    result = seeded_cli("--read-db", str(missing), "list")
    assert_one_line_error(result, "no such database file")
    assert not missing.exists()
    bare = tmp_path / "bare.sqlite3"
    with sqlite3.connect(bare) as conn:
        conn.execute("CREATE TABLE unrelated (x INTEGER)")
    conn.close()
    result = seeded_cli("--read-db", str(bare), "list")
    assert_one_line_error(result, "has no factdb schema")
    with sqlite3.connect(bare) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert names == {"unrelated"}


# --- PostgreSQL: a hot standby ----------------------------------------------------------------


def _unusable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1: scripts/test set up a standby)")
    pytest.skip(f"{reason} (scripts/test sets up a standby)")


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _scalar(url: str, sql: str) -> object:
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True, connect_timeout=10) as conn:
        row = conn.execute(sql).fetchone()
    return None if row is None else row[0]


def wait_for_replay(primary: DatabaseTarget, standby: DatabaseTarget) -> None:
    """Until the standby has replayed the primary's WAL as of now (what was committed on the
    primary before this call is then visible on the standby). The position is where the WAL
    has been inserted, not written: with ``synchronous_commit = off`` (the test databases'
    setting) a commit returns before its record is written, and the written position can
    still be short of it."""
    import psycopg

    lsn = _scalar(primary.url, "SELECT pg_current_wal_insert_lsn()::text")
    admin = _replace_db(standby.url, "postgres")
    deadline = time.monotonic() + REPLAY_TIMEOUT_S
    while True:
        try:
            done = _scalar(admin, f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn")
        except psycopg.OperationalError:
            done = False
        if done:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"the standby did not replay the primary's WAL up to {lsn} in time")
        time.sleep(0.05)


@pytest.fixture
def standby(target: DatabaseTarget) -> DatabaseTarget:
    """The test's database as the standby serves it, once replayed there."""
    import psycopg

    url = os.environ.get(STANDBY_ENV)
    if not url:
        _unusable(f"{STANDBY_ENV} is not set")
    assert url is not None
    admin = to_sqlalchemy_url(url)
    try:
        in_recovery = _scalar(admin, "SELECT pg_is_in_recovery()")
        theirs = _scalar(admin, "SELECT system_identifier FROM pg_control_system()")
    except psycopg.Error as exc:
        _unusable(f"cannot connect to the standby at {STANDBY_ENV}: {exc}")
        raise
    ours = _scalar(target.url, "SELECT system_identifier FROM pg_control_system()")
    if in_recovery is not True or theirs != ours:
        _unusable(f"{STANDBY_ENV} is not a hot standby of FACTDB_TEST_POSTGRES_URL's server")
    name = target.url.rpartition("/")[2]
    replica = DatabaseTarget(_replace_db(admin, name), "--read-db")
    wait_for_replay(target, replica)
    return replica


@pytest.mark.postgres_only
def test_reads_from_the_standby_see_what_was_written_on_the_primary(
    seeded_cli: Cli, target: DatabaseTarget, standby: DatabaseTarget, tmp_path: Path
) -> None:
    new_id = add_new_claim(seeded_cli)  # --db: the primary
    wait_for_replay(target, standby)
    read = ("--read-db", _libpq(standby.url))
    assert new_id in claim_ids(seeded_cli(*read, "list", "--format", "json"))
    shown = seeded_cli.ok(*read, "show", str(new_id), "--format", "json").json()
    assert shown["claim"] == NEW_CLAIM
    assert seeded_cli.ok(*read, "timeline", str(new_id)).stdout.startswith(f"Claim {new_id}")
    out = tmp_path / "export.jsonl"
    seeded_cli.ok(*read, "export", str(out), "--format", "jsonl")
    assert NEW_CLAIM in out.read_text(encoding="utf-8")
    count = seeded_cli.ok(*read, "sql", "SELECT count(*) AS n FROM claim", "--format", "json")
    assert count.json() == [{"n": len(claim_ids(seeded_cli("list", "--format", "json")))}]
    assert "John Kirby" in seeded_cli.ok(*read, "actor", "show", "John Kirby").stdout
    assert seeded_cli.ok(*read, "history", "claim", str(new_id), "--format", "json").json()
    report = seeded_cli.ok(*read, "report", "side-by-side")
    assert NEW_CLAIM in report.stdout


@pytest.mark.postgres_only
def test_reads_are_as_of_the_standby_replay_and_writes_go_to_the_primary(
    seeded_cli: Cli, target: DatabaseTarget, standby: DatabaseTarget
) -> None:
    """With --read-db, a write still goes to --db, sql --write included; the standby shows it
    once it has replayed it."""
    read = ("--read-db", _libpq(standby.url))
    seeded_cli.ok(*read, "sql", "--write", "UPDATE claim SET text = 'reworded' WHERE id = 1")
    assert _scalar(target.url, "SELECT text FROM claim WHERE id = 1") == "reworded"
    wait_for_replay(target, standby)
    shown = seeded_cli.ok(*read, "show", "1", "--format", "json").json()
    assert shown["claim"] == "reworded"


@pytest.mark.postgres_only
def test_a_write_sent_to_the_standby_fails_with_one_line(
    seeded_cli: Cli, target: DatabaseTarget, standby: DatabaseTarget
) -> None:
    to_standby = Cli(DatabaseTarget(standby.url, "--db"))
    before = _scalar(target.url, "SELECT count(*) FROM assertion")
    for args in (
        [
            "add",
            NEW_CLAIM,
            "--by",
            "John Kirby",
            "--stance",
            "asserts",
            "--date",
            "2024-10",
            "--source",
            "https://example.org/nis-briefing",
        ],
        ["actor", "add", "Republic of Korea", "--kind", "state"],
        ["claim", "tag", "1", "new-tag"],
        ["sql", "--write", "DELETE FROM claim_tag"],
    ):
        result = to_standby(*args)
        assert_one_line_error(result, STANDBY_LINE)
        assert f"error: the database at postgresql://{standby.url.partition('://')[2]}" not in (
            result.stderr
        )  # the password is hidden
        assert "@" + standby.url.partition("@")[2] + " " + STANDBY_LINE in result.stderr
    assert _scalar(target.url, "SELECT count(*) FROM assertion") == before
    # Reads with --db on the standby work as on any database.
    assert to_standby.ok("list", "--format", "json").json()


@pytest.mark.postgres_only
def test_a_read_only_primary_refuses_writes_with_one_line(
    seeded_cli: Cli, target: DatabaseTarget
) -> None:
    """Not a standby, but a server whose transactions are read-only (a full disk on some
    hosted services does this): the same refusal, worded for it."""
    name = target.url.rpartition("/")[2]
    _pg_exec(target.url, f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    db.dispose_all()  # the setting holds for new sessions
    result = seeded_cli("actor", "add", "Republic of Korea", "--kind", "state")
    assert_one_line_error(result, "takes no writes (its transactions are read-only")
    assert seeded_cli.ok("list", "--format", "json").json()


def test_the_read_option_does_not_make_a_command_line_load_every_command() -> None:
    """``factdb --read-db URL list`` loads only the module of ``list``, as ``--db`` does."""
    from factdb.cli.app import command_named

    assert command_named(["--read-db", "copy.sqlite3", "list"]) == "list"
    assert command_named(["--read-db=copy.sqlite3", "--db", "p.sqlite3", "show", "1"]) == "show"
