"""Hostile SQL against read-only ``factdb sql``, on SQLite and PostgreSQL
(docs/reliability.md, ad-hoc SQL).

Every statement of ``HOSTILE`` runs without ``--write`` through the CLI against ONE seeded
database per backend (module scope: read-only statements must not change it), and the
database must be exactly as before afterwards:

* SQLite: the bytes of the database file and of its ``-wal`` file, and the names of every
  file in its directory, after every connection of the process is closed. The ``-shm`` file is
  compared by name only: it is the WAL index that readers write their read marks into (shared
  memory kept in a file), not database content; a reader that wrote to the database itself
  would change the file or the WAL.
* PostgreSQL: an md5 of every row of every table (all schemas but the system ones, the
  password table included), every sequence's state, the tables, views, functions, triggers,
  types, schemas, extensions, large objects and prepared transactions, the privileges on the
  database, its schemas and tables, default privileges, per-database settings, and the
  server's roles (names, attributes, memberships, settings) other than the reader roles, test
  owners and test login roles that concurrent test sessions (and xdist workers) create and
  drop.

A statement that changes the shared database fails its test loudly and every later test says
which one spoiled the database, instead of failing for a reason of its own.

The reader role itself (PostgreSQL) is checked in the tests after ``HOSTILE``: what it may
do, that it is made once per database and dropped by the downgrade, that an owner without
CREATEROLE gets a one-line refusal naming the fix, and that a reader role someone granted more
is refused.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from factdb.storage import db
from factdb.storage.config import DatabaseTarget
from tests.conftest import BACKENDS, ROOT, Cli, _pg_drop, _pg_exec, _replace_db, pg_admin_url

# --- the shared database --------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Module scope (overrides conftest's): the hostile cases share one database per backend."""
    name: str = request.param
    if name == "postgresql" and pg_admin_url() is None:
        pytest.skip("FACTDB_TEST_POSTGRES_URL is not set (scripts/test sets it)")
    return name


@pytest.fixture(autouse=True)
def _only_on_its_backend(request: pytest.FixtureRequest) -> None:
    """Tests named ``…_postgresql`` run on PostgreSQL alone."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is None or not request.node.originalname.endswith("_postgresql"):
        return
    if callspec.params.get("backend") != "postgresql":
        pytest.skip("postgresql only")


@dataclass
class Shared:
    target: DatabaseTarget
    cli: Cli
    owner: str
    baseline: Any = None
    spoiled_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _pg_conn(url: str, **kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), **kwargs)


@pytest.fixture(scope="module")
def shared(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Shared]:
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("hostile") / "factdb.sqlite3"
        shutil.copyfile(template, path)
        target = DatabaseTarget("sqlite:///" + str(path), "--db")
        state = Shared(target, Cli(target), owner="")
        state.cli.ok("seed")
        yield state
        db.dispose_all()
        return
    template = request.getfixturevalue("pg_template")
    admin = pg_admin_url()
    assert admin is not None
    name = f"factdb_t_{uuid.uuid4().hex[:10]}"
    _pg_exec(admin, f"CREATE DATABASE {name} TEMPLATE {template}")
    target = DatabaseTarget(_replace_db(admin, name), "--db")
    with _pg_conn(target.url) as conn:
        owner = str(conn.execute("SELECT current_user").fetchone()[0])
    state = Shared(target, Cli(target), owner=owner)
    state.cli.ok("seed")
    yield state
    db.dispose_all()
    _pg_drop(admin, name)


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "-"


def sqlite_fingerprint(target: DatabaseTarget) -> dict[str, Any]:
    db.dispose_all()
    path = target.sqlite_path
    assert path is not None
    return {
        "files": sorted(os.listdir(path.parent)),
        "main": _file_digest(path),
        "wal": _file_digest(path.with_name(path.name + "-wal")),
    }


# Roles that concurrent test sessions (and the other xdist worker of this one) create and drop
# are left out of the server-wide role list: reader roles of their databases, the test owners
# below and the login roles of tests/test_secrets.py, with the memberships that name them
# (migration 0002 grants factdb_reader to an owner that may take it). This database's own
# reader is compared in full through "reader".
PG_FINGERPRINT = {
    "relations": """
        SELECT string_agg(format('%s.%s:%s:%s', n.nspname, c.relname, c.relkind, c.relacl),
                          ' ' ORDER BY n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_to%' AND n.nspname NOT LIKE 'pg\\_temp%'""",
    "schemas": """SELECT string_agg(format('%s:%s', nspname, nspacl), ' ' ORDER BY nspname)
        FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_temp%'
        AND nspname NOT LIKE 'pg\\_toast\\_temp%'""",
    "functions": """
        SELECT string_agg(format('%s:%s:%s', p.oid::regprocedure, md5(p.prosrc), p.proacl),
                          ' ' ORDER BY p.oid::regprocedure::text)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')""",
    "triggers": "SELECT string_agg(tgname, ' ' ORDER BY tgname) FROM pg_trigger",
    "event_triggers": "SELECT count(*) FROM pg_event_trigger",
    "rules": "SELECT string_agg(rulename, ' ' ORDER BY rulename) FROM pg_rules",
    "types": """SELECT string_agg(t.typname, ' ' ORDER BY t.typname) FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_to%'""",
    "extensions": "SELECT string_agg(extname, ' ' ORDER BY extname) FROM pg_extension",
    "large_objects": "SELECT count(*) FROM pg_largeobject_metadata",
    "prepared": "SELECT count(*) FROM pg_prepared_xacts",
    "default_acl": """SELECT string_agg(format('%s:%s:%s', defaclrole::regrole,
        defaclobjtype, defaclacl), ' ' ORDER BY 1) FROM pg_default_acl""",
    "database": """SELECT format('%s:%s:%s', datacl, datallowconn, datconnlimit)
        FROM pg_database WHERE datname = current_database()""",
    "settings": """SELECT string_agg(format('%s:%s', setrole, setconfig), ' ' ORDER BY 1)
        FROM pg_db_role_setting WHERE setdatabase IN
        (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
        AND setrole NOT IN (SELECT oid FROM pg_roles WHERE rolname LIKE 'factdb\\_sql\\_%'
                            OR rolname LIKE 'factdb\\_t\\_owner\\_%')""",
    "roles": """
        SELECT string_agg(format('%s:%s%s%s%s%s%s%s:%s:%s', r.rolname, r.rolsuper, r.rolinherit,
               r.rolcreaterole, r.rolcreatedb, r.rolcanlogin, r.rolreplication, r.rolbypassrls,
               r.rolconnlimit, r.rolvaliduntil), ' ' ORDER BY r.rolname)
        FROM pg_roles r WHERE r.rolname NOT LIKE 'factdb\\_sql\\_%'
                          AND r.rolname NOT LIKE 'factdb\\_t\\_owner\\_%'
                          AND r.rolname NOT LIKE 'factdb\\_secret\\_%'""",
    "members": """SELECT string_agg(format('%s>%s', r.rolname, m.rolname), ' ' ORDER BY 1)
        FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid
        JOIN pg_roles m ON m.oid = a.member
        WHERE NOT (r.rolname LIKE 'factdb\\_t\\_owner\\_%'
                   OR m.rolname LIKE 'factdb\\_t\\_owner\\_%'
                   OR m.rolname LIKE 'factdb\\_sql\\_%'
                   OR m.rolname LIKE 'factdb\\_secret\\_%')
           OR m.rolname IN (SELECT role FROM {readers})""",
    "reader": """
        SELECT string_agg(format('%s:%s%s%s%s%s%s%s:%s', r.rolname, r.rolsuper, r.rolinherit,
               r.rolcreaterole, r.rolcreatedb, r.rolcanlogin, r.rolreplication, r.rolbypassrls,
               r.rolconfig), ' ')
        FROM pg_roles r WHERE r.rolname IN (SELECT role FROM {readers})""",
}
"""``{readers}``: the reader table, or no rows where the schema has none (the code before
migration 0005, which these tests were first run against)."""


def pg_fingerprint(target: DatabaseTarget) -> dict[str, Any]:
    db.dispose_all()
    found: dict[str, Any] = {}
    with _pg_conn(target.url, autocommit=True) as conn:
        has = conn.execute("SELECT to_regclass('factdb_private.sql_reader') IS NOT NULL")
        readers = (
            "factdb_private.sql_reader" if has.fetchone()[0] else "(SELECT ''::text AS role) x"
        )
        for key, sql in PG_FINGERPRINT.items():
            found[key] = conn.execute(sql.replace("{readers}", readers)).fetchone()[0]
        tables = conn.execute(
            """SELECT format('%I.%I', n.nspname, c.relname), c.relkind FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind IN ('r', 'p', 'm', 'S')
                 AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                 AND n.nspname NOT LIKE 'pg\\_to%' AND n.nspname NOT LIKE 'pg\\_temp%'
               ORDER BY 1"""
        ).fetchall()
        for name, kind in tables:
            if kind == "S":
                sql = f"SELECT format('%s:%s', last_value, is_called) FROM {name}"
            else:
                sql = (
                    "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                    f" FROM {name} t"
                )
            found[f"rows {name}"] = conn.execute(sql).fetchone()[0]
    return found


def fingerprint(state: Shared) -> dict[str, Any]:
    if state.target.backend == "sqlite":
        return sqlite_fingerprint(state.target)
    return pg_fingerprint(state.target)


# --- the hostile statements -----------------------------------------------------------------

FAIL, OK, ANY = "fail", "ok", "any"


@dataclass(frozen=True)
class Case:
    sql: str
    sqlite: str = FAIL
    postgresql: str = FAIL
    id: str = ""
    timeout: str = "2"


def c(
    sql: str, sqlite: str = FAIL, postgresql: str = FAIL, *, id: str = "", timeout: str = "2"
) -> Case:
    return Case(sql, sqlite, postgresql, id or sql[:48], timeout)


# {owner} is replaced by the owning role's name, {tmp} by a fresh absolute path.
HOSTILE: list[Case] = [
    # several statements in one text, hidden from a naive splitter
    c("SELECT 1; DELETE FROM claim_tag", id="plain second statement"),
    c(
        "SELECT $$'$$; COMMIT; INSERT INTO sanction(name,name_key,created_at) "
        "VALUES ($$x$$,$$x$$,now()); CREATE TABLE probe(x int); SELECT $$'$$",
        id="dollar quotes hide a COMMIT from SQLite's tokenizer",
    ),
    c("SELECT $a$ ; $a$; DELETE FROM claim_tag; SELECT $a$;$a$", id="tagged dollar quotes"),
    c("SELECT E'\\''; DELETE FROM claim_tag; SELECT E'\\''", id="E string escaped quote"),
    c("SELECT 'a'';DELETE FROM claim_tag;--'", sqlite=OK, postgresql=OK, id="doubled quote"),
    c(
        "SELECT 1 /* outer /* inner */ ; DELETE FROM claim_tag; */",
        sqlite=FAIL,
        postgresql=OK,
        id="nested comment (PostgreSQL nests, SQLite does not)",
    ),
    c("SELECT 1 -- ; \n; DELETE FROM claim_tag", id="line comment then statement"),
    c("/* x */ COMMIT; DELETE FROM claim_tag", id="comment then COMMIT"),
    c('SELECT "a;b" FROM (SELECT 1 AS "a;b") q; DELETE FROM claim_tag', id="quoted identifier"),
    c("SELECT U&'\\0041'; DELETE FROM claim_tag", id="unicode escape string"),
    c("SELECT 1 \\; DELETE FROM claim_tag", id="psql backslash semicolon"),
    c("SELECT 1\x00; DELETE FROM claim_tag", id="NUL byte"),
    c("SELECT 1;\n;\n DELETE FROM claim_tag", id="empty statement between"),
    # transaction control
    c("COMMIT", id="COMMIT alone"),
    c("BEGIN", id="BEGIN alone"),
    c("ROLLBACK", id="ROLLBACK alone"),
    c("END", id="END alone"),
    c("ABORT; DELETE FROM claim_tag", id="ABORT then delete"),
    c("SAVEPOINT s", id="SAVEPOINT"),
    c("RELEASE SAVEPOINT s", id="RELEASE"),
    c("START TRANSACTION READ WRITE", id="START TRANSACTION READ WRITE"),
    c("PREPARE TRANSACTION 'factdb_hostile'", id="PREPARE TRANSACTION"),
    c("COMMIT PREPARED 'factdb_hostile'", id="COMMIT PREPARED"),
    c("SET TRANSACTION READ WRITE", sqlite=FAIL, postgresql=FAIL),
    c("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", postgresql=ANY),
    # writes in disguise
    c("WITH x AS (DELETE FROM claim_tag RETURNING *) SELECT count(*) FROM x", id="writable CTE"),
    c("WITH x AS (SELECT 1) DELETE FROM claim_tag", id="CTE then DELETE"),
    c("SELECT * FROM claim FOR UPDATE", id="FOR UPDATE"),
    c("SELECT * FROM claim FOR SHARE", id="FOR SHARE"),
    c("INSERT INTO claim_tag (claim_id, tag) SELECT 1, 'x' RETURNING *", id="INSERT RETURNING"),
    c("TRUNCATE claim_tag"),
    c("LOCK TABLE claim IN ACCESS EXCLUSIVE MODE"),
    c("CREATE TEMP TABLE t (x integer)"),
    c("CREATE TEMP VIEW v AS SELECT 1"),
    c("CREATE TEMP TRIGGER t AFTER INSERT ON claim BEGIN SELECT 1; END", id="temp trigger"),
    c("CREATE TABLE evil (x integer)"),
    c("CREATE INDEX evil ON claim (text)"),
    c("DROP VIEW assertion_detail"),
    c("ALTER TABLE claim ADD COLUMN evil integer"),
    c("CREATE FUNCTION evil() RETURNS integer LANGUAGE sql AS 'SELECT 1'", id="CREATE FUNCTION"),
    c("DO $$BEGIN DELETE FROM claim_tag; END$$", id="DO delete"),
    c(
        "DO $$BEGIN PERFORM set_config('role', '{owner}', false); DELETE FROM claim_tag; END$$",
        id="DO set role",
    ),
    c("CALL nosuch()", id="CALL"),
    c("SELECT nextval('claim_id_seq')", id="nextval"),
    c("SELECT setval('claim_id_seq', 1000)", id="setval"),
    c("UPDATE sqlite_sequence SET seq = 1000", id="sqlite_sequence"),
    c("GRANT ALL ON claim TO PUBLIC"),
    c("COMMENT ON TABLE claim IS 'evil'"),
    c("ANALYZE", postgresql=ANY, id="ANALYZE (the reader owns no table: skipped)"),
    c("VACUUM"),
    c("REINDEX"),
    c("CHECKPOINT"),
    # SQLite: other files, settings, extensions
    c("ATTACH 'x.db' AS x", id="ATTACH relative"),
    c("ATTACH '{tmp}' AS x", id="ATTACH absolute"),
    c("ATTACH 'file:rwc.db?mode=rwc' AS x", id="ATTACH uri"),
    c("ATTACH ':memory:' AS m", id="ATTACH memory"),
    c("VACUUM INTO 'copy.db'", id="VACUUM INTO relative"),
    c("VACUUM INTO '{tmp}'", id="VACUUM INTO absolute"),
    c("PRAGMA query_only=0"),
    c("PRAGMA main.query_only=false"),
    c("PRAGMA writable_schema=1"),
    c("PRAGMA journal_mode=DELETE"),
    c("PRAGMA wal_checkpoint(TRUNCATE)"),
    c("PRAGMA user_version=7"),
    c("PRAGMA schema_version=1"),
    c("PRAGMA foreign_keys=OFF"),
    c("PRAGMA optimize"),
    c("PRAGMA incremental_vacuum"),
    c("SELECT * FROM pragma_table_info('claim')", sqlite=OK, postgresql=FAIL),
    c("SELECT load_extension('/tmp/x')"),
    c("SELECT readfile('/etc/hostname')"),
    c("SELECT writefile('{tmp}', 'x')"),
    c("INSERT INTO claim_fts(claim_fts) VALUES ('rebuild')", id="FTS5 rebuild"),
    c("INSERT INTO claim_fts(claim_fts, rank) VALUES ('rank', 'bm25(10.0)')", id="FTS5 config"),
    c("UPDATE sqlite_master SET sql = '' WHERE name = 'claim'", id="sqlite_master"),
    # PostgreSQL: roles, files, signals, notifications, locks, prepared transactions
    c("SELECT set_config('role', '{owner}', true)", id="set_config role"),
    c("SELECT set_config('session_authorization', '{owner}', true)", id="set_config session_auth"),
    c("SET ROLE {owner}", id="SET ROLE"),
    c("SET SESSION AUTHORIZATION {owner}", id="SET SESSION AUTHORIZATION"),
    c("RESET ROLE", postgresql=ANY, id="RESET ROLE"),
    c("SET ROLE NONE", postgresql=ANY, id="SET ROLE NONE"),
    c("SELECT set_config('default_transaction_read_only', 'off', false)", postgresql=ANY),
    c("SELECT set_config('transaction_read_only', 'off', true)"),
    c("ALTER ROLE CURRENT_USER SET statement_timeout = 0", id="ALTER ROLE self"),
    c("ALTER ROLE CURRENT_USER PASSWORD 'x'", id="ALTER ROLE password"),
    c("CREATE ROLE factdb_hostile_evil", id="CREATE ROLE"),
    c("ALTER DATABASE CURRENT SET statement_timeout = 0", id="ALTER DATABASE"),
    c(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{owner}'",
        id="terminate owner",
    ),
    c(
        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE usename = '{owner}'",
        id="cancel owner",
    ),
    c("SELECT pg_read_file('/etc/hostname')"),
    c("SELECT pg_read_binary_file('/etc/hostname')"),
    c("SELECT pg_ls_dir('.')"),
    c("SELECT pg_stat_file('postgresql.conf')"),
    c("SELECT lo_import('/etc/hostname')"),
    c("SELECT lo_export(1, '{tmp}')"),
    c("SELECT lo_from_bytea(0, 'x')", postgresql=ANY, id="lo_from_bytea (rolled back)"),
    c("COPY claim TO '{tmp}'", id="COPY TO file"),
    c("COPY claim TO PROGRAM 'touch {tmp}'", id="COPY TO PROGRAM"),
    c("COPY claim_tag FROM '/etc/hostname'", id="COPY FROM file"),
    c("COPY claim_tag FROM STDIN", id="COPY FROM STDIN"),
    c("COPY claim TO STDOUT", id="COPY TO STDOUT"),
    c("SELECT * FROM factdb_private.sql_reader", id="read the reader password"),
    c("SELECT rolpassword FROM pg_authid", id="pg_authid"),
    c("SELECT dblink_exec('dbname=postgres', 'CREATE TABLE evil(x int)')", id="dblink"),
    c("LISTEN factdb_hostile", postgresql=ANY),
    c("NOTIFY factdb_hostile, 'x'", postgresql=ANY),
    c("SELECT pg_notify('factdb_hostile', 'x')", postgresql=ANY),
    c("SELECT pg_advisory_lock(4242)", postgresql=ANY, id="advisory lock"),
    c("SELECT txid_current()", postgresql=ANY),
    c("SELECT pg_reload_conf()"),
    c("SELECT pg_switch_wal()"),
    c("SELECT pg_create_restore_point('x')"),
    c("PREPARE evil AS DELETE FROM claim_tag", postgresql=ANY, id="PREPARE a write"),
    c("EXECUTE evil", id="EXECUTE"),
    # runaway work and large values: stopped, never a change
    c(
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r) SELECT count(*) FROM r",
        id="recursive bomb",
        timeout="1",
    ),
    c(
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r, r AS s) "
        "SELECT count(*) FROM r",
        id="doubly recursive",
        timeout="1",
    ),
    c(
        "SELECT count(*) FROM claim a, claim b, claim c, claim d, claim e, claim f, claim g, "
        "claim h",
        id="cross join bomb",
        timeout="1",
    ),
    c("SELECT pg_sleep(30)", id="pg_sleep", timeout="1"),
    c("SELECT hex(randomblob(100000000))", id="huge random value"),
    c("SELECT repeat('x', 100000000)", id="huge repeat"),
    c(
        "SELECT CAST(repeat('[', 5000) || repeat(']', 5000) AS json)",
        sqlite=FAIL,
        postgresql=ANY,
        id="deep json",
    ),
]


def _cases() -> list[Any]:
    return [pytest.param(case, id=case.id) for case in HOSTILE]


def _expected(case: Case, backend: str) -> str:
    return case.sqlite if backend == "sqlite" else case.postgresql


@pytest.mark.parametrize("case", _cases())
def test_hostile_statement_leaves_database_unchanged(
    shared: Shared, backend: str, case: Case, tmp_path: Path, monkeypatch
) -> None:
    if shared.baseline is None:
        shared.cli.ok("sql", "SELECT count(*) FROM claim")  # a first read makes -wal/-shm
        shared.baseline = fingerprint(shared)
    assert shared.spoiled_by is None, f"the shared database was changed by {shared.spoiled_by!r}"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    outside = tmp_path / f"escape-{uuid.uuid4().hex}"
    sql = case.sql.replace("{owner}", shared.owner or "nobody").replace("{tmp}", str(outside))

    result = shared.cli("sql", sql, "--timeout", case.timeout)

    after = fingerprint(shared)
    if after != shared.baseline:
        shared.spoiled_by = case.id
        changed = sorted(k for k in after if after.get(k) != shared.baseline.get(k))
        pytest.fail(f"{case.id!r} changed the shared database: {changed}")
    assert "Traceback" not in result.stderr
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    if result.exit_code != 0:  # refused (1) or not valid SQL text at all (2): one line
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stdout == ""
    expected = _expected(case, backend)
    if expected == FAIL:
        assert result.exit_code != 0, (case.sql, result.stdout[:300], result.stderr)
    elif expected == OK:
        assert result.exit_code == 0, (case.sql, result.stderr)
    assert list(cwd.iterdir()) == [], "a file was made in the working directory"
    assert not outside.exists(), f"{outside} was made"


# --- the reader role (PostgreSQL) -----------------------------------------------------------


def _reader(target: DatabaseTarget) -> tuple[str, str]:
    with _pg_conn(target.url) as conn:
        row = conn.execute("SELECT role, password FROM factdb_private.sql_reader").fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


@pytest.mark.postgres_only
def test_reader_role_is_read_only_and_member_of_nothing_postgresql(
    shared: Shared, backend: str
) -> None:
    role, _ = _reader(shared.target)
    with _pg_conn(shared.target.url) as conn:
        attrs = conn.execute(
            """SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
                      rolreplication, rolbypassrls, rolconfig FROM pg_roles WHERE rolname = %s""",
            (role,),
        ).fetchone()
        members = conn.execute(
            "SELECT count(*) FROM pg_auth_members WHERE member = %s::regrole", (role,)
        ).fetchone()
        private = conn.execute(
            "SELECT has_table_privilege(%s, 'factdb_private.sql_reader', 'SELECT'),"
            " has_schema_privilege(%s, 'factdb_private', 'USAGE')",
            (role, role),
        ).fetchone()
    assert attrs is not None
    assert attrs[:7] == (False, False, False, False, True, False, False)
    assert "default_transaction_read_only=on" in (attrs[7] or [])
    assert members == (0,)
    assert private == (False, False)
    # the SQL runs as that role, in a read-only transaction
    row = shared.cli.ok(
        "sql",
        "SELECT current_user AS u, session_user AS s, "
        "current_setting('transaction_read_only') AS ro",
        "-f",
        "json",
    ).json()
    assert row == [{"u": role, "s": role, "ro": "on"}]


@pytest.mark.postgres_only
def test_advisory_lock_does_not_outlive_the_call_postgresql(shared: Shared, backend: str) -> None:
    shared.cli.ok("sql", "SELECT pg_advisory_lock(4343)")
    with _pg_conn(shared.target.url, autocommit=True) as conn:
        assert conn.execute("SELECT pg_try_advisory_lock(4343)").fetchone() == (True,)
        conn.execute("SELECT pg_advisory_unlock(4343)")


@pytest.mark.postgres_only
def test_notify_is_never_delivered_postgresql(shared: Shared, backend: str) -> None:
    with _pg_conn(shared.target.url, autocommit=True) as listener:
        listener.execute("LISTEN factdb_probe")
        shared.cli("sql", "SELECT pg_notify('factdb_probe', 'x')")
        shared.cli("sql", "NOTIFY factdb_probe, 'y'")
        time.sleep(0.2)
        got = list(listener.notifies(timeout=0.5, stop_after=1))
    assert got == []


@pytest.mark.postgres_only
def test_owner_session_survives_signals_postgresql(shared: Shared, backend: str) -> None:
    with _pg_conn(shared.target.url, autocommit=True) as victim:
        pid = victim.execute("SELECT pg_backend_pid()").fetchone()[0]
        for fn in ("pg_terminate_backend", "pg_cancel_backend"):
            result = shared.cli("sql", f"SELECT {fn}({pid})")
            assert result.exit_code == 1, result.stdout
            assert "permission denied" in result.stderr or "--write" in result.stderr
        assert victim.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.postgres_only
def test_roles_are_not_made_per_call_or_per_copy_postgresql(shared: Shared, backend: str) -> None:
    """The databases copied from one migrated template share its reader: calls and copies
    make no role (counted through the roles this database grants anything to, so that other
    test sessions on the server do not count)."""
    admin = pg_admin_url()
    assert admin is not None
    name = shared.target.url.rsplit("/", 1)[1]

    def roles() -> list[str]:
        with _pg_conn(admin) as conn:
            return [
                str(row[0])
                for row in conn.execute(
                    """SELECT DISTINCT a.rolname FROM pg_shdepend d
                       JOIN pg_roles a ON a.oid = d.refobjid
                       WHERE d.refclassid = 'pg_authid'::regclass
                         AND d.dbid = (SELECT oid FROM pg_database WHERE datname = %s)
                       ORDER BY 1""",
                    (name,),
                ).fetchall()
            ]

    before = roles()
    reader, _ = _reader(shared.target)
    assert reader in before
    for _ in range(3):
        shared.cli.ok("sql", "SELECT 1")
    assert roles() == before
    with _pg_conn(shared.target.url) as conn:
        assert conn.execute("SELECT count(*) FROM factdb_private.sql_reader").fetchone() == (1,)
    # the template's reader: this database is a copy of the session's template
    with _pg_conn(admin) as conn:
        template_grants = conn.execute(
            """SELECT count(*) FROM pg_shdepend d JOIN pg_database t ON t.oid = d.dbid
               WHERE d.refobjid = %s::regrole AND t.datname LIKE 'factdb\\_tpl\\_%%'""",
            (reader,),
        ).fetchone()
    assert template_grants is not None and template_grants[0] > 0


# --- owners with and without CREATEROLE (PostgreSQL) ----------------------------------------


@dataclass
class Owned:
    target: DatabaseTarget
    role: str
    admin: str


@pytest.fixture
def own_database(backend: str) -> Iterator[Any]:
    """Makes a database owned by a fresh LOGIN role (with or without CREATEROLE), migrated by
    that role, as a team would; drops the database and every role it made afterwards."""
    admin = pg_admin_url()
    assert admin is not None
    made: list[Owned] = []

    def make(createrole: bool) -> Owned:
        suffix = uuid.uuid4().hex[:10]
        role, name = f"factdb_t_owner_{suffix}", f"factdb_t_{suffix}"
        password = uuid.uuid4().hex
        _pg_exec(
            admin,
            f"CREATE ROLE {role} LOGIN PASSWORD '{password}' "
            f"{'CREATEROLE' if createrole else 'NOCREATEROLE'}",
            f"GRANT {role} TO CURRENT_USER",
            f"CREATE DATABASE {name} OWNER {role}",
            f"REVOKE {role} FROM CURRENT_USER",
        )
        base = _replace_db(admin, name)
        scheme, rest = base.split("://", 1)
        url = f"{scheme}://{role}:{password}@{rest.split('@', 1)[1]}"
        owned = Owned(DatabaseTarget(url, "--db"), role, admin)
        made.append(owned)
        Cli(owned.target).ok("db", "upgrade")
        return owned

    yield make
    db.dispose_all()
    for owned in made:
        name = owned.target.url.rsplit("/", 1)[1]
        with _pg_conn(admin, autocommit=True) as conn:
            # the reader roles with privileges in that database (pg_shdepend is server-wide)
            readers = [
                str(row[0])
                for row in conn.execute(
                    """SELECT DISTINCT a.rolname FROM pg_shdepend d
                       JOIN pg_roles a ON a.oid = d.refobjid
                       WHERE d.refclassid = 'pg_authid'::regclass
                         AND a.rolname LIKE 'factdb\\_sql\\_%%'
                         AND (d.dbid = (SELECT oid FROM pg_database WHERE datname = %s)
                              OR (d.dbid = 0 AND d.objid =
                                  (SELECT oid FROM pg_database WHERE datname = %s)))""",
                    (name, name),
                ).fetchall()
            ]
        _pg_exec(admin, f"GRANT {owned.role} TO CURRENT_USER")  # to drop its database
        _pg_drop(admin, name)
        with _pg_conn(admin, autocommit=True) as conn:
            # as the owner, who made the readers (PostgreSQL 16 lets only their makers drop them)
            conn.execute(f"SET ROLE {owned.role}")
            for reader in readers:
                conn.execute(f'DROP ROLE IF EXISTS "{reader}"')
            conn.execute("RESET ROLE")
            conn.execute(f"DROP ROLE IF EXISTS {owned.role}")


@pytest.mark.postgres_only
def test_owner_without_createrole_postgresql(own_database: Any, backend: str) -> None:
    owned = own_database(createrole=False)
    cli = Cli(owned.target)
    cli.ok("seed")
    result = cli("sql", "SELECT count(*) FROM claim")
    assert result.exit_code == 1, result.stdout
    [line] = result.stderr.splitlines()
    assert "CREATEROLE" in line and owned.role in line, line
    # trusted SQL still runs as the owner
    cli.ok("sql", "INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'w')", "--write")
    # once the owner may create roles, the first read makes the reader
    _pg_exec(owned.admin, f"ALTER ROLE {owned.role} CREATEROLE")
    rows = cli.ok("sql", "SELECT tag FROM claim_tag WHERE tag = 'w'", "-f", "json").json()
    assert rows == [{"tag": "w"}]
    reader, _ = _reader(owned.target)
    who = cli.ok("sql", "SELECT current_user AS u", "-f", "json").json()
    assert who == [{"u": reader}]


@pytest.mark.postgres_only
def test_owner_with_createrole_gets_a_reader_at_upgrade_postgresql(
    own_database: Any, backend: str
) -> None:
    owned = own_database(createrole=True)
    cli = Cli(owned.target)
    cli.ok("seed")
    reader, _ = _reader(owned.target)
    assert owned.role not in reader
    who = cli.ok("sql", "SELECT current_user AS u", "-f", "json").json()
    assert who == [{"u": reader}]
    for sql in (
        f"SELECT set_config('role', '{owned.role}', true)",
        f"SET ROLE {owned.role}",
        "DELETE FROM claim_tag",
        "SELECT * FROM factdb_private.sql_reader",
    ):
        result = cli("sql", sql)
        assert result.exit_code == 1, (sql, result.stdout)


@pytest.mark.postgres_only
def test_downgrade_drops_the_reader_role_postgresql(own_database: Any, backend: str) -> None:
    owned = own_database(createrole=True)
    reader, _ = _reader(owned.target)
    Cli(owned.target).ok("db", "downgrade", "0003")
    db.dispose_all()
    with _pg_conn(owned.admin) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname = %s", (reader,)
        ).fetchone() == (0,)
    Cli(owned.target).ok("db", "upgrade")
    again, _ = _reader(owned.target)
    assert again != reader


def _downgrade_sql_of_0005() -> str:
    path = ROOT / "migrations" / "versions" / "0005_sql_reader_login.py"
    spec = importlib.util.spec_from_file_location("factdb_migration_0005", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.DOWNGRADE)


@pytest.mark.postgres_only
def test_two_copies_downgraded_at_once_do_not_deadlock_postgresql(backend: str) -> None:
    """Two databases sharing a reader role (one a copy of the other) downgraded at the same
    time, each already holding the role's share lock (a table or view made in the downgrade's
    transaction is granted to the role by the default privileges): each DROP ROLE waits for
    the other. The one PostgreSQL ends keeps the role with a notice instead of failing; the
    other then drops it."""
    admin = pg_admin_url()
    assert admin is not None
    suffix = uuid.uuid4().hex[:10]
    first, copy = f"factdb_t_{suffix}", f"factdb_t_{suffix}_copy"
    _pg_exec(admin, f"CREATE DATABASE {first}")
    role = ""
    try:
        db.upgrade(DatabaseTarget(_replace_db(admin, first), "--db"))
        db.dispose_all()
        _pg_exec(admin, f"CREATE DATABASE {copy} TEMPLATE {first}")
        role, _ = _reader(DatabaseTarget(_replace_db(admin, first), "--db"))
        downgrade = _downgrade_sql_of_0005()
        waiting = """SELECT count(*) FROM pg_locks WHERE locktype = 'object' AND NOT granted
                      AND classid = 'pg_authid'::regclass AND objid = %s::regrole"""
        errors: list[BaseException] = []

        def downgrade_the_copy() -> None:
            try:
                with _pg_conn(_replace_db(admin, copy)) as conn:
                    conn.execute("CREATE TABLE hold (x int)")
                    conn.execute(downgrade)
            except BaseException as exc:  # noqa: BLE001  (asserted below)
                errors.append(exc)

        notices: list[str] = []
        with _pg_conn(_replace_db(admin, first)) as conn, _pg_conn(admin) as watch:
            conn.add_notice_handler(lambda notice: notices.append(str(notice.message_primary)))
            conn.execute("CREATE TABLE hold (x int)")
            held = """SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND granted
                      AND classid = 'pg_authid'::regclass AND objid = %s::regrole"""
            assert conn.execute(held, (role,)).fetchone() == (1,)
            other = threading.Thread(target=downgrade_the_copy)
            other.start()
            deadline = time.monotonic() + 30
            while watch.execute(waiting, (role,)).fetchone() != (1,):
                assert time.monotonic() < deadline and other.is_alive(), errors
                time.sleep(0.05)
            # Past the copy's own deadlock check: this session is the one that finds it.
            timeout = conn.execute(
                "SELECT setting::int FROM pg_settings WHERE name = 'deadlock_timeout'"
            ).fetchone()
            assert timeout is not None
            time.sleep(timeout[0] / 1000 + 0.5)
            conn.execute(downgrade)
        other.join(timeout=60)
        assert not other.is_alive() and errors == []
        assert notices == [
            f"factdb: role {role} is kept: a database sharing it is dropping it at the same time"
        ]
        with _pg_conn(admin) as conn:
            assert conn.execute(
                "SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)
            ).fetchone() == (0,)
    finally:
        db.dispose_all()
        _pg_drop(admin, copy)
        _pg_drop(admin, first)
        if role:
            _pg_exec(admin, f'DROP ROLE IF EXISTS "{role}"')


@pytest.mark.parametrize(
    "grant",
    [
        "GRANT {owner} TO {reader}",
        "ALTER ROLE {reader} CREATEDB",
        "GRANT INSERT ON claim_tag TO {reader}",
    ],
)
@pytest.mark.postgres_only
def test_a_reader_role_given_more_is_refused_postgresql(
    own_database: Any, backend: str, grant: str
) -> None:
    owned = own_database(createrole=True)
    reader, _ = _reader(owned.target)
    statement = grant.format(owner=owned.role, reader=reader)
    if statement.startswith("GRANT INSERT"):
        with _pg_conn(owned.target.url, autocommit=True) as conn:
            conn.execute(statement)
    else:
        _pg_exec(owned.admin, statement)
    result = Cli(owned.target)("sql", "SELECT 1")
    assert result.exit_code == 1, result.stdout
    [line] = result.stderr.splitlines()
    assert reader in line, line
