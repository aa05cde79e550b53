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
    assert elapsed < limit + 1.5, elapsed
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
    assert time.monotonic() - start < 0.3 + 1.5


@pytest.mark.postgres_only
def test_pg_sleep_is_stopped_postgresql(seeded_cli):
    result, elapsed = _timed(seeded_cli, "sql", "select pg_sleep(5)", "--timeout", "0.5")
    _stopped(result, elapsed, 0.5)
    seeded_cli.ok("sql", "SELECT count(*) FROM claim")


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "sql",
    [
        "select set_config('statement_timeout', '0', false), pg_sleep(3)",
        "SET statement_timeout = 0; select pg_sleep(3)",
    ],
)
def test_statement_timeout_zero_cannot_defeat_limit_postgresql(seeded_cli, sql):
    result, elapsed = _timed(seeded_cli, "sql", sql, "--timeout", "0.5")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert elapsed < 0.5 + 1.5, elapsed
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    if ";" not in sql:
        assert "--timeout" in result.stderr
    # a session setting of one call does not reach the next
    result, elapsed = _timed(seeded_cli, "sql", "select pg_sleep(3)", "--timeout", "0.5")
    _stopped(result, elapsed, 0.5)
    seeded_cli.ok("sql", "SELECT count(*) FROM claim")


@pytest.mark.postgres_only
def test_statement_timeout_zero_with_write_postgresql(seeded_cli):
    result, elapsed = _timed(
        seeded_cli,
        "sql",
        "SET statement_timeout = 0; select pg_sleep(3)",
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
