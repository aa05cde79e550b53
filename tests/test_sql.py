"""``factdb sql`` (factdb.storage.sqlexec.run_sql and the CLI): read-only by construction, bound
parameters, a time limit that the user cannot switch off, one transaction for ``--write``.

docs/reliability.md, ad-hoc SQL. Every test runs on SQLite and PostgreSQL
unless its name says otherwise. "Unchanged" means the same tables, the same per-table row
counts and the same SHA-256 of an ordered dump of every row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from factdb.storage import db
from factdb.storage.config import DatabaseTarget
from factdb.storage.sqlexec import QueryRefused, QueryTimeout, run_sql
from tests.conftest import Result

RUNAWAY = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r) SELECT count(*) FROM r"
INJECTION = "x'); DROP TABLE claim;--"
# Seconds past its --timeout that a stopped command may take on a loaded machine (the suite
# runs in parallel on a shared one); every statement stopped here would run far longer than
# its limit plus this if it were not stopped.
SLACK = 3.0


# --- helpers --------------------------------------------------------------------------------


def snapshot(target: DatabaseTarget) -> tuple[dict[str, int], str]:
    """Per-table row counts and a hash of every row, in a stable order."""
    db.dispose_all()  # a fresh connection: nothing cached, no temp objects carried over
    engine = db.get_engine(target)
    counts: dict[str, int] = {}
    lines: list[str] = []
    with engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
            counts[name] = len(rows)
            lines.extend(sorted(f"{name}|{tuple(row)!r}" for row in rows))
    db.dispose_all()
    return counts, hashlib.sha256("\n".join(lines).encode()).hexdigest()


def refused(result: Result) -> str:
    """exit 1, one stderr line naming --write, nothing on stdout, no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def files_under(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def not_db_files(names: set[str]) -> set[str]:
    """Leave out the database file and its -wal/-shm/-journal companions."""
    return {n for n in names if not n.startswith("factdb.sqlite3")}


# --- reading ------------------------------------------------------------------------------


def test_select_json_keeps_integer_types(seeded_cli):
    rows = seeded_cli.ok(
        "sql", "SELECT id, text, length(text) AS n FROM claim ORDER BY id", "-f", "json"
    ).json()
    assert len(rows) == 14
    assert [r["id"] for r in rows] == list(range(1, 15))
    assert all(type(r["id"]) is int and type(r["n"]) is int for r in rows)
    assert rows[0]["text"].startswith("North Korea has shipped weapons")
    [count] = seeded_cli.ok("sql", "SELECT count(*) AS n FROM assertion", "-f", "json").json()
    assert count == {"n": 18}
    assert type(count["n"]) is int


def test_bound_parameter(seeded_cli):
    rows = seeded_cli.ok(
        "sql", "SELECT id, text FROM claim WHERE id = :id", "-p", "id=1", "-f", "json"
    ).json()
    assert len(rows) == 1
    assert rows[0]["id"] == 1
    # a value that looks like SQL is only a value
    none = seeded_cli.ok(
        "sql", "SELECT id FROM claim WHERE text = :t", "-p", "t=' OR 1=1 --", "-f", "json"
    )
    assert none.json() == []


def test_bad_parameter_is_usage_error(seeded_cli):
    result = seeded_cli("sql", "SELECT :x", "-p", "no-equals-sign")
    assert result.exit_code == 2
    assert "-p" in result.stderr
    assert "Traceback" not in result.stderr


def test_injection_value_stored_verbatim_with_write(seeded_cli):
    seeded_cli.ok(
        "sql",
        "INSERT INTO claim_tag (claim_id, tag) VALUES (1, :t)",
        "-p",
        f"t={INJECTION}",
        "--write",
    )
    rows = seeded_cli.ok(
        "sql",
        "SELECT claim_id, tag FROM claim_tag WHERE tag = :t",
        "-p",
        f"t={INJECTION}",
        "-f",
        "json",
    ).json()
    assert rows == [{"claim_id": 1, "tag": INJECTION}]
    # claim is still there, with all its rows
    [count] = seeded_cli.ok("sql", "SELECT count(*) AS n FROM claim", "-f", "json").json()
    assert count["n"] == 14


def test_run_sql_directly(target):
    result = run_sql(target, "SELECT 1 AS one, 'a' AS letter")
    assert result.columns == ["one", "letter"]
    assert result.rows == [[1, "a"]]
    assert result.truncated is False
    with pytest.raises(QueryRefused) as caught:
        run_sql(target, "DELETE FROM claim")
    assert "--write" in str(caught.value)


# --- refused without --write ----------------------------------------------------------------

WRITES_BOTH = [
    "INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'x')",
    "UPDATE claim SET text = 'changed' WHERE id = 1",
    "DELETE FROM claim_tag",
    "DELETE FROM assertion_via",
    "DROP TABLE claim_tag",
    "DROP VIEW assertion_detail",
    "CREATE TABLE evil (x integer)",
    "CREATE TEMP TABLE evil (x integer)",
    "CREATE VIEW evil AS SELECT 1",
    "SELECT 1; DELETE FROM claim",
    "SELECT 1; DELETE FROM claim_tag",
]
# {abs} is replaced by a fresh absolute path in the system's temp directory.
WRITES_SQLITE = [
    "PRAGMA query_only=0",
    "PRAGMA writable_schema=1",
    "PRAGMA user_version=9",
    "PRAGMA journal_mode=DELETE",
    "ATTACH 'x.db' AS x",
    "ATTACH 'file:rwc.db?mode=rwc' AS x",
    "ATTACH ':memory:' AS m",
    "ATTACH '{abs}' AS x",
    "VACUUM INTO 'copy.db'",
    "VACUUM INTO '{abs}'",
    "VACUUM",
    "ANALYZE",
    "REINDEX",
    "select load_extension('x')",
    "CREATE TEMP TRIGGER t AFTER INSERT ON claim BEGIN SELECT 1; END",
    "CREATE TEMP VIEW v AS SELECT 1",
]
WRITES_POSTGRESQL = [
    "COPY claim TO '{abs}'",
    "select pg_read_file('/etc/hostname')",
    "select lo_import('/etc/hostname')",
    "select pg_ls_dir('.')",
    "select nextval('claim_id_seq')",
    "SELECT 1; COMMIT; INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'x')",
    "DO $$BEGIN DELETE FROM claim_tag; END$$",
]


def _cases() -> list[Any]:
    cases = [pytest.param(sql, id=sql[:40]) for sql in WRITES_BOTH]
    cases += [
        pytest.param(sql, id="sqlite_only:" + sql[:40], marks=pytest.mark.sqlite_only)
        for sql in WRITES_SQLITE
    ]
    cases += [
        pytest.param(sql, id="pg_only:" + sql[:40], marks=pytest.mark.postgres_only)
        for sql in WRITES_POSTGRESQL
    ]
    return cases


@pytest.mark.parametrize("sql", _cases())
def test_write_refused_without_write(seeded_cli, target, tmp_path, monkeypatch, sql):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    outside = Path(tempfile.gettempdir()) / f"factdb-escape-{uuid.uuid4().hex}.db"
    statement = sql.replace("{abs}", str(outside))
    temp_names = {"x.db", "rwc.db", "copy.db"}
    temp_before = {n for n in temp_names if (Path(tempfile.gettempdir()) / n).exists()}
    db_dir_before = not_db_files(files_under(tmp_path))
    before = snapshot(target)

    line = refused(seeded_cli("sql", statement))
    assert "--write" in line, line

    assert snapshot(target) == before
    assert files_under(cwd) == set(), "a file was created in the working directory"
    assert not_db_files(files_under(tmp_path)) == db_dir_before
    assert not outside.exists(), f"{outside} was created"
    assert {n for n in temp_names if (Path(tempfile.gettempdir()) / n).exists()} == temp_before
    seeded_cli.ok("sql", "SELECT count(*) FROM claim")  # the next command works


@pytest.mark.postgres_only
def test_set_config_read_write_refused_postgresql(seeded_cli, target):
    before = snapshot(target)
    result = seeded_cli("sql", "select set_config('transaction_read_only', 'off', false)")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert snapshot(target) == before


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "sql", ["SET default_transaction_read_only = off", "RESET ROLE", "SET ROLE NONE"]
)
@pytest.mark.postgres_only
def test_role_or_setting_change_does_not_carry_over_postgresql(seeded_cli, target, sql):
    """A session-level SET in one call must not make the next call writable."""
    before = snapshot(target)
    seeded_cli("sql", sql)  # allowed or refused: either way, not carried over
    line = refused(seeded_cli("sql", "INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'x')"))
    assert "--write" in line
    assert snapshot(target) == before


@pytest.mark.sqlite_only
def test_read_only_pragma_works_sqlite(seeded_cli):
    rows = seeded_cli.ok("sql", "PRAGMA table_info(claim)", "-f", "json").json()
    assert {"id", "text", "text_key"} <= {r["name"] for r in rows}
    indexes = seeded_cli.ok("sql", "PRAGMA index_list(claim)", "-f", "json").json()
    assert isinstance(indexes, list)


@pytest.mark.sqlite_only
def test_pragma_table_valued_function_works_sqlite(seeded_cli):
    """Read-only pragmas still work, also in their
    table-valued form that analysts join against (Datasette allows pragma_table_info)."""
    rows = seeded_cli.ok(
        "sql", "SELECT name FROM pragma_table_info('claim') ORDER BY cid", "-f", "json"
    ).json()
    assert "text" in {r["name"] for r in rows}


def test_schema_introspection_works(seeded_cli, backend):
    if backend == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name"
    else:
        sql = "SELECT table_name AS name FROM information_schema.views ORDER BY 1"
    names = {r["name"] for r in seeded_cli.ok("sql", sql, "-f", "json").json()}
    assert "assertion_detail" in names


def test_views_are_queryable(seeded_cli):
    rows = seeded_cli.ok("sql", "SELECT * FROM assertion_detail", "-f", "json").json()
    assert len(rows) == 18


@pytest.mark.sqlite_only
def test_zeroblob_is_a_clear_error_sqlite(seeded_cli):
    result = seeded_cli("sql", "SELECT zeroblob(2000000000)")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_raw_insert_of_unknown_stance_fails(seeded_cli, target):
    """Test plan item 25: the schema refuses a stance outside the scale, on both backends."""
    before = snapshot(target)
    result = seeded_cli("sql", "UPDATE assertion SET stance = 'maybe' WHERE id = 1", "--write")
    assert result.exit_code == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert snapshot(target) == before
    seeded_cli.ok("show", "1", "-f", "json")  # the ORM still reads the table


# --- time limit ---------------------------------------------------------------------------


def _timed(cli: Any, *args: str) -> tuple[Any, float]:
    start = time.monotonic()
    result = cli(*args)
    return result, time.monotonic() - start


def _stopped(result: Any, elapsed: float, limit: float) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert elapsed < limit + SLACK, elapsed
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "--timeout" in lines[0]
    assert "Traceback" not in result.stderr


def test_runaway_recursive_cte_is_stopped(seeded_cli):
    result, elapsed = _timed(seeded_cli, "sql", RUNAWAY, "--timeout", "0.5")
    _stopped(result, elapsed, 0.5)
    seeded_cli.ok("sql", "SELECT count(*) FROM claim")


def test_run_sql_timeout_raises(target):
    start = time.monotonic()
    with pytest.raises(QueryTimeout):
        run_sql(target, RUNAWAY, timeout=0.3)
    assert time.monotonic() - start < 0.3 + SLACK


@pytest.mark.postgres_only
def test_pg_sleep_is_stopped_postgresql(seeded_cli):
    result, elapsed = _timed(seeded_cli, "sql", "select pg_sleep(30)", "--timeout", "0.5")
    _stopped(result, elapsed, 0.5)
    seeded_cli.ok("sql", "SELECT count(*) FROM claim")


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "sql",
    [
        "select set_config('statement_timeout', '0', false), pg_sleep(30)",
        "SELECT set_config('statement_timeout', '0', false); select pg_sleep(30)",
    ],
)
@pytest.mark.postgres_only
def test_statement_timeout_zero_cannot_defeat_limit_postgresql(seeded_cli, sql):
    result, elapsed = _timed(seeded_cli, "sql", sql, "--timeout", "0.5")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert elapsed < 0.5 + SLACK, elapsed
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    if ";" not in sql:
        assert "--timeout" in result.stderr
    # a session setting of one call does not reach the next
    result, elapsed = _timed(seeded_cli, "sql", "select pg_sleep(30)", "--timeout", "0.5")
    _stopped(result, elapsed, 0.5)
    seeded_cli.ok("sql", "SELECT count(*) FROM claim")


@pytest.mark.postgres_only
def test_statement_timeout_zero_with_write_postgresql(seeded_cli):
    result, elapsed = _timed(
        seeded_cli,
        "sql",
        "SELECT set_config('statement_timeout', '0', false); select pg_sleep(30)",
        "--write",
        "--timeout",
        "0.5",
    )
    _stopped(result, elapsed, 0.5)


def test_zero_timeout_is_usage_error(seeded_cli):
    result = seeded_cli("sql", "SELECT 1", "--timeout", "0")
    assert result.exit_code == 2
    assert "--timeout" in result.stderr


# --- --write --------------------------------------------------------------------------------


def test_write_three_statements_last_failing_applies_nothing(seeded_cli, target):
    before = snapshot(target)
    result = seeded_cli(
        "sql",
        "INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'first'); "
        "UPDATE claim SET text = 'changed' WHERE id = 2; "
        "INSERT INTO no_such_table (x) VALUES (1)",
        "--write",
    )
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert snapshot(target) == before


def test_write_three_statements_applied_together(seeded_cli):
    seeded_cli.ok(
        "sql",
        "INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'one'); "
        "INSERT INTO claim_tag (claim_id, tag) VALUES (2, 'two'); "
        "DELETE FROM claim_tag WHERE tag = 'one'",
        "--write",
    )
    rows = seeded_cli.ok(
        "sql", "SELECT claim_id, tag FROM claim_tag WHERE tag IN ('one', 'two')", "-f", "json"
    ).json()
    assert rows == [{"claim_id": 2, "tag": "two"}]


def test_semicolon_inside_string_is_one_statement(seeded_cli):
    rows = seeded_cli.ok("sql", "SELECT 'a; DELETE FROM claim' AS s", "-f", "json").json()
    assert rows == [{"s": "a; DELETE FROM claim"}]


# --- formats and row cap -------------------------------------------------------------------

QUERY = "SELECT id, text FROM claim WHERE id <= 3 ORDER BY id"


def test_format_json(seeded_cli):
    rows = seeded_cli.ok("sql", QUERY, "--format", "json").json()
    assert [r["id"] for r in rows] == [1, 2, 3]


def test_format_jsonl(seeded_cli):
    out = seeded_cli.ok("sql", QUERY, "--format", "jsonl").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert all(set(r) == {"id", "text"} for r in rows)


def test_format_csv(seeded_cli):
    out = seeded_cli.ok("sql", QUERY, "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["id", "text"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    assert rows[1][1].startswith("North Korea has shipped weapons")


def test_format_table(seeded_cli):
    out = seeded_cli.ok("sql", QUERY, "--format", "table").stdout
    assert "id" in out and "text" in out
    assert "North Korea" in out


def test_max_rows_truncates_with_note(seeded_cli):
    result = seeded_cli.ok(
        "sql", "SELECT id FROM claim ORDER BY id", "--max-rows", "2", "-f", "json"
    )
    assert result.json() == [{"id": 1}, {"id": 2}]
    assert "--max-rows" in result.stderr
    full = seeded_cli.ok("sql", "SELECT id FROM claim ORDER BY id", "-f", "json")
    assert len(full.json()) == 14
    assert "--max-rows" not in full.stderr


def test_empty_sql_is_usage_error(seeded_cli):
    result = seeded_cli("sql", "   ")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_sql_error_is_one_line(seeded_cli):
    result = seeded_cli("sql", "SELECT * FROM no_such_table")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "no_such_table" in result.stderr
    assert "Traceback" not in result.stderr


def test_sql_from_stdin(seeded_cli):
    rows = seeded_cli.ok("sql", "-", "-f", "json", input="SELECT count(*) AS n FROM claim").json()
    assert rows == [{"n": 14}]


# --- findings of an adversarial pass (each failed on the code before the fix) -----------------

ISSUE_1 = (
    "SELECT $$'$$; COMMIT; INSERT INTO sanction(name,name_key,created_at) "
    "VALUES ($$x$$,$$x$$,now()); CREATE TABLE probe(x int); SELECT $$'$$"
)


@pytest.mark.postgres_only
def test_dollar_quotes_cannot_smuggle_a_commit_postgresql(seeded_cli, target, backend):
    """PostgreSQL text read with SQLite's tokenizer looked like one statement; the simple
    protocol then ran all five."""
    before = snapshot(target)
    result = seeded_cli("sql", ISSUE_1)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert snapshot(target) == before
    assert "probe" not in snapshot(target)[0]


def _owner_name(target: DatabaseTarget) -> str:
    import psycopg

    with psycopg.connect(target.libpq_url) as conn:
        row = conn.execute("SELECT current_user").fetchone()
        assert row is not None
        return str(row[0])


@pytest.mark.postgres_only
def test_reader_cannot_take_the_owner_role_back_postgresql(seeded_cli, target, backend):
    """``set_config('role', …)`` undid ``SET LOCAL ROLE``; the owner's privileges then let
    the statement terminate another session of the owner."""
    import psycopg

    owner = _owner_name(target)
    before = snapshot(target)
    with psycopg.connect(target.libpq_url, autocommit=True) as victim:
        row = victim.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        pid = row[0]
        for sql in (
            f"SELECT set_config('role', '{owner}', true)",
            f"SELECT set_config('role', '{owner}', true), pg_terminate_backend({pid})",
            f"SELECT pg_terminate_backend({pid})",
            f"SELECT pg_cancel_backend({pid})",
            f"SELECT set_config('session_authorization', '{owner}', true)",
        ):
            result = seeded_cli("sql", sql)
            assert result.exit_code == 1, (sql, result.stdout, result.stderr)
            assert len(result.stderr.splitlines()) == 1, result.stderr
        assert victim.execute("SELECT 1").fetchone() == (1,), "the owner's session was killed"
    who = seeded_cli.ok("sql", "SELECT current_user AS u, session_user AS s", "-f", "json").json()
    assert who[0]["u"] == who[0]["s"] != owner
    assert snapshot(target) == before


@pytest.mark.parametrize(
    "end",
    ["COMMIT", "END", "COMMIT TRANSACTION", "ROLLBACK", "BEGIN", "SAVEPOINT s; RELEASE s"],
)
def test_write_cannot_end_its_transaction_early(seeded_cli, target, end):
    """``--write`` is all or nothing even when the text holds transaction control."""
    before = snapshot(target)
    result = seeded_cli(
        "sql",
        f"INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'kept?'); {end}; "
        "INSERT INTO nosuch (x) VALUES (1)",
        "--write",
    )
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert snapshot(target) == before


def test_write_refuses_transaction_control_even_when_all_else_succeeds(seeded_cli, target):
    before = snapshot(target)
    result = seeded_cli(
        "sql",
        "INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'a'); COMMIT; "
        "INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'b')",
        "--write",
    )
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "transaction" in result.stderr.lower()
    assert snapshot(target) == before


BIG_RECURSIVE = (
    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r WHERE i < 100000) "
    "SELECT i, 'row ' || i AS t FROM r"
)


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_deadline_covers_rendering(seeded_cli, fmt):
    """100k rows come back in well under a second; drawing them as a table took 27 s."""
    result, elapsed = _timed(seeded_cli, "sql", BIG_RECURSIVE, "--timeout", "1", "-f", fmt)
    if fmt == "table":
        _stopped(result, elapsed, 1)
        assert result.stdout == ""
    else:
        assert elapsed < 1 + SLACK, elapsed
        assert result.exit_code in (0, 1), result.stderr
        if result.exit_code == 0:
            assert len(result.json()) == 100_000
        else:
            assert "--timeout" in result.stderr and result.stdout == ""


@pytest.mark.postgres_only
def test_deadline_covers_fetching_postgresql(seeded_cli, backend):
    result, elapsed = _timed(
        seeded_cli,
        "sql",
        "SELECT g, md5(g::text) FROM generate_series(1, 200000) g",
        "--timeout",
        "1",
    )
    _stopped(result, elapsed, 1)


def _factdb_process(url: str, *args: str, timeout: float) -> tuple[Any, float]:
    import subprocess
    import sys

    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "factdb", "--db", url, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done, time.monotonic() - start


@pytest.mark.sqlite_only
def test_uninterruptible_function_is_stopped_at_the_deadline_sqlite(seeded_cli, target, backend):
    """One call of printf that SQLite cannot interrupt ran 33 s and took 1 GB; the command
    now ends at the deadline (a real process: the work is abandoned when it exits)."""
    quick, start_up = _factdb_process(target.url, "sql", "SELECT 1", timeout=60)
    assert quick.returncode == 0, quick.stderr
    done, elapsed = _factdb_process(
        target.url, "sql", "SELECT printf('%.*c', 2000000000, 'x')", "--timeout", "1", timeout=60
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert elapsed < start_up + 1 + SLACK, (elapsed, start_up)
    assert "--timeout" in done.stderr and len(done.stderr.splitlines()) == 1
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("sql", "only"),
    [
        ("SELECT hex(zeroblob(20000000)) AS v", "sqlite"),
        ("SELECT randomblob(20000000) AS v", "sqlite"),
        ("SELECT repeat('x', 20000000) AS v", "postgresql"),
        ("SELECT decode(repeat('00', 20000000), 'hex') AS v", "postgresql"),
    ],
)
def test_one_value_is_capped(seeded_cli, backend, sql, only):
    result, elapsed = _timed(seeded_cli, "sql", sql, "-f", "csv")
    assert result.exit_code == 1, (result.stdout[:100], result.stderr)
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert elapsed < 5, elapsed


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-1", "1e300"])
def test_timeout_must_be_finite_and_positive(seeded_cli, value):
    result, elapsed = _timed(seeded_cli, "sql", RUNAWAY, "--timeout", value)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "--timeout" in result.stderr and len(result.stderr.splitlines()) == 1
    assert elapsed < 3, elapsed


def test_default_row_limit_cuts_with_a_line_saying_so(seeded_cli):
    result = seeded_cli.ok(
        "sql",
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r WHERE i < 100001) "
        "SELECT i FROM r",
        "-f",
        "csv",
        "--timeout",
        "30",
    )
    rows = result.stdout.splitlines()
    assert rows[0] == "i" and len(rows) == 1 + 100_000 and rows[-1] == "100000"
    note = [line for line in result.stderr.splitlines() if "100000" in line]
    assert note and "--max-rows" in note[0], result.stderr


def test_parameters_only_outside_quotes(seeded_cli):
    """``:name`` inside a string is text on both backends (SQLAlchemy's text() took it for a
    parameter on PostgreSQL), ``%`` is no placeholder, ``::`` is a cast."""
    rows = seeded_cli.ok(
        "sql",
        "SELECT ':x' AS s, 'a%b' AS p, CAST(:n AS integer) + 1 AS n",
        "-p",
        "n=41",
        "-f",
        "json",
    ).json()
    assert rows == [{"s": ":x", "p": "a%b", "n": 42}]
    missing = seeded_cli("sql", "SELECT :nothing AS x")
    assert missing.exit_code == 2 and len(missing.stderr.splitlines()) == 1
    assert "-p nothing=VALUE" in missing.stderr


@pytest.mark.postgres_only
def test_positional_parameter_is_refused_postgresql(seeded_cli, backend):
    result = seeded_cli("sql", "SELECT $1::int AS x", "-p", "x=1")
    assert result.exit_code == 2
    assert ":name" in result.stderr and len(result.stderr.splitlines()) == 1


def test_timeout_while_printing_a_committed_write_says_it_was_committed() -> None:
    from factdb.storage.sqlexec import SqlResult

    with pytest.raises(QueryTimeout) as caught:
        SqlResult(committed=True, deadline=0, timeout=2).check_deadline()
    assert "committed" in str(caught.value) and "--timeout" in str(caught.value)
    with pytest.raises(QueryTimeout) as caught:
        SqlResult(deadline=0, timeout=2).check_deadline()
    assert "committed" not in str(caught.value)
