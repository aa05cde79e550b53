"""Fixtures: every database test runs on SQLite and on PostgreSQL, over real connections.

``target`` is a fresh database at the schema head, one per test: on SQLite a copy of a
template file migrated once per session; on PostgreSQL a database created from a migrated
template database on the server named by ``FACTDB_TEST_POSTGRES_URL`` (scripts/test starts
the server and sets it), made ahead and dropped behind in the background (``PgCopies``).
Tests that ask for ``target`` (or ``cli``/``session``) are counted per backend; the counts go
to ``.pytest-backends.json``, which scripts/test checks so that a run with zero PostgreSQL
tests fails instead of passing silently.

Under pytest-xdist (scripts/test runs ``-n auto --dist loadgroup``) the tests run in worker
processes: the controller migrates the one PostgreSQL template before the workers start and
hands its name to them (so that the migrations' server-wide role is made once, not raced for),
each worker makes its own SQLite template, and the workers' counts are added up in the
controller, which alone writes ``.pytest-backends.json``. Tests that must share one worker
(an expensive module-scoped fixture) say so with ``@pytest.mark.xdist_group``.

A test meant for one backend says so with ``@pytest.mark.sqlite_only`` or
``@pytest.mark.postgres_only`` (also as ``marks=`` of one ``pytest.param``); its run on the
other backend is deselected at collection, so it is neither run nor reported as skipped.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Required, TypedDict, Unpack

import pytest
import typer.main
import typer.testing
from hypothesis import settings
from typer.testing import CliRunner

from factdb.storage import db
from factdb.storage.config import DatabaseTarget, to_sqlalchemy_url

ROOT = Path(__file__).resolve().parent.parent

# No per-example deadline for Hypothesis: the suite runs in parallel on shared machines, where
# an example can take longer than the default 200 ms now and then, which Hypothesis reports as
# a failure ("unreliable test timings"). Each test's own @settings still applies.
settings.register_profile("factdb", deadline=None)
settings.load_profile("factdb")
PG_ENV = "FACTDB_TEST_POSTGRES_URL"
# Reads go where --db points unless a test says otherwise (tests/test_replica.py).
os.environ.pop("FACTDB_READ_DATABASE_URL", None)
BACKENDS = ["sqlite", "postgresql"]
_passed: Counter[str] = Counter()
# What the xdist controller hands its workers (workerinput) and gets back (workeroutput).
_PG_TEMPLATE_KEY = "factdb_pg_template"
_PASSED_KEY = "factdb_passed"
_controller_template = pytest.StashKey[str]()


def _worker_input(config: pytest.Config) -> dict[str, Any]:
    """What the xdist controller handed this worker; empty outside a worker."""
    return dict(getattr(config, "workerinput", {}))


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_controller(config: pytest.Config) -> bool:
    """The pytest-xdist controller: it runs no test itself, its workers do."""
    return not _is_worker(config) and getattr(config.option, "dist", "no") != "no"


def _process_label(config: pytest.Config) -> str:
    """``gw0``, ``gw1``, ... in an xdist worker; ``main`` otherwise."""
    return str(_worker_input(config).get("workerid", "main"))


def pg_admin_url() -> str | None:
    url = os.environ.get(PG_ENV)
    return to_sqlalchemy_url(url) if url else None


def _replace_db(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def _pg_exec(url: str, *statements: str) -> None:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _pg_drop(admin: str, name: str) -> None:
    """Drop a test database; a moment later again if a server process (autovacuum) still
    holds it, and never fail a test over the clean-up."""
    import psycopg

    for attempt in range(3):
        try:
            _pg_exec(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        except psycopg.Error:
            time.sleep(0.2 * (attempt + 1))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    target = DatabaseTarget("sqlite:///" + str(path), "--db")
    db.upgrade(target)
    db.dispose_all()
    with sqlite3.connect(path) as conn:  # fold the WAL into the file before copying it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _make_pg_template(admin: str, label: str) -> str:
    """A new database at the schema head, for ``CREATE DATABASE … TEMPLATE``: its name."""
    name = f"factdb_tpl_{label}_{uuid.uuid4().hex[:8]}"
    _pg_exec(admin, f"CREATE DATABASE {name}")
    db.upgrade(DatabaseTarget(_replace_db(admin, name), "--db"))
    db.dispose_all()
    return name


@pytest.fixture(scope="session")
def pg_template(request: pytest.FixtureRequest) -> Iterator[str | None]:
    admin = pg_admin_url()
    if admin is None:
        yield None
        return
    shared = _worker_input(request.config).get(_PG_TEMPLATE_KEY)
    if shared is not None:  # made by the xdist controller, which drops it at the end
        yield str(shared)
        return
    name = _make_pg_template(admin, _process_label(request.config))
    yield name
    db.dispose_all()
    _pg_drop(admin, name)


def pytest_sessionstart(session: pytest.Session) -> None:
    """The xdist controller, before its workers start: the PostgreSQL template they share.
    Migrating it once here also makes the server-wide role of migration 0002 before any two
    workers could race to create it on a new server."""
    admin = pg_admin_url()
    if admin is None or not _is_controller(session.config):
        return
    try:
        session.config.stash[_controller_template] = _make_pg_template(admin, "main")
    except Exception:  # no server: each worker tries on its own, its tests fail saying why
        pass


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    name = node.config.stash.get(_controller_template, None)
    if name is not None:
        node.workerinput[_PG_TEMPLATE_KEY] = name


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """A worker is done: add its counts (none if it crashed; the run fails then anyway)."""
    _passed.update(getattr(node, "workeroutput", {}).get(_PASSED_KEY, {}))


class PgCopies:
    """Copies of the template database for ``target``, made one ahead and dropped behind by a
    thread of this process, over one connection of its own.

    ``CREATE DATABASE … TEMPLATE`` (PostgreSQL 15's default strategy ``WAL_LOG``: the pages
    go through the WAL, which is flushed at the end) and ``DROP DATABASE`` each take a
    noticeable part of a second, mostly the server writing and flushing; a test that waited
    for both would spend more time on them than on itself. Here the next copy is made and the
    last one dropped while a test runs. Every test still gets a database of its own that no
    one has connected to, copied from the template. (``STRATEGY FILE_COPY`` was slower here:
    it makes the server checkpoint, flushing every other test's writes, twice per copy.)
    A copy's own setting ``synchronous_commit = off`` spares each commit the wait for its
    WAL flush.
    """

    def __init__(self, admin: str, template: str) -> None:
        self.admin = admin
        self.template = template
        self._ready: queue.Queue[str | BaseException] = queue.Queue(maxsize=1)
        self._done: queue.Queue[str | None] = queue.Queue()  # to drop; None: stop
        self._conn: Any = None
        self._thread = threading.Thread(target=self._run, name="pg-copies", daemon=True)
        self._thread.start()

    def take(self) -> str:
        """A new copy, waiting for it if it is not made yet; its making's error if it failed."""
        item = self._ready.get(timeout=600)
        if isinstance(item, BaseException):
            raise item
        return item

    def discard(self, name: str) -> None:
        """A copy a test is done with (its connections closed): dropped in the background."""
        self._done.put(name)

    def close(self) -> None:
        """Drop every copy still here, made ahead or waiting to be dropped."""
        self._done.put(None)
        self._thread.join(timeout=600)

    def _exec(self, statement: str) -> None:
        import psycopg

        if self._conn is None:
            plain = self.admin.replace("postgresql+psycopg://", "postgresql://")
            self._conn = psycopg.connect(plain, autocommit=True)
        try:
            self._conn.execute(statement)
        except psycopg.OperationalError:  # the connection may be gone: a new one next time
            self._conn.close()
            self._conn = None
            raise

    def _drop(self, name: str) -> None:
        """As _pg_drop: again a moment later if the server still holds the database."""
        import psycopg

        for attempt in range(3):
            try:
                self._exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                return
            except psycopg.Error:
                time.sleep(0.2 * (attempt + 1))

    def _run(self) -> None:
        while True:
            if not self._ready.full():  # only this thread puts: the put cannot block
                name = f"factdb_t_{uuid.uuid4().hex[:10]}"
                try:
                    self._exec(f"CREATE DATABASE {name} TEMPLATE {self.template}")
                    # Commits need not wait for the WAL flush: no test crashes the server,
                    # and what a commit makes visible to other sessions is the same.
                    self._exec(f"ALTER DATABASE {name} SET synchronous_commit = off")
                except Exception as exc:  # the test that takes it fails, saying why
                    self._ready.put(exc)
                else:
                    self._ready.put(name)
            try:
                # While a copy is ready, wait a moment for a test to be done (then look again
                # whether the copy was taken); otherwise make the next copy first.
                done = self._done.get(timeout=0.02 if self._ready.full() else 0)
            except queue.Empty:
                continue
            if done is None:
                break
            self._drop(done)
        for left in [*_drained(self._ready), *_drained(self._done)]:
            if isinstance(left, str):
                self._drop(left)
        if self._conn is not None:
            self._conn.close()


def _drained(items: queue.Queue[Any]) -> Iterator[Any]:
    """What a queue holds now, taken out."""
    while True:
        try:
            yield items.get_nowait()
        except queue.Empty:
            return


@pytest.fixture(scope="session")
def pg_copies(pg_template: str | None) -> Iterator[PgCopies]:
    admin = pg_admin_url()
    assert admin is not None and pg_template is not None
    copies = PgCopies(admin, pg_template)
    yield copies
    copies.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgresql" and pg_admin_url() is None:
        pytest.skip(f"{PG_ENV} is not set (scripts/test sets it)")
    return name


# The markers for a test meant for one backend, and that backend.
ONLY = {"sqlite_only": "sqlite", "postgres_only": "postgresql"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the runs of ``sqlite_only``/``postgres_only`` tests on the other backend, and
    put the ``slow`` tests first: under pytest-xdist a long test handed out last would keep
    one worker busy while the others have nothing left to do."""
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        wanted = {ONLY[mark.name] for mark in item.iter_markers() if mark.name in ONLY}
        if not wanted:
            kept.append(item)
            continue
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        if backend is None or len(wanted) > 1:
            raise pytest.UsageError(
                f"{item.nodeid}: a sqlite_only/postgres_only test takes exactly one of the two "
                "markers and the backend fixture (through target, cli, session, ...)"
            )
        (kept if backend in wanted else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable


@pytest.fixture
def empty_target(backend: str, tmp_path: Path) -> Iterator[DatabaseTarget]:
    """A database with no schema at all, on each backend."""
    if backend == "sqlite":
        yield DatabaseTarget("sqlite:///" + str(tmp_path / "empty.sqlite3"), "--db")
        db.dispose_all()
        return
    admin = pg_admin_url()
    assert admin is not None
    name = f"factdb_t_{uuid.uuid4().hex[:10]}"
    _pg_exec(admin, f"CREATE DATABASE {name}")
    yield DatabaseTarget(_replace_db(admin, name), "--db")
    db.dispose_all()
    _pg_drop(admin, name)


@pytest.fixture
def target(
    backend: str, tmp_path: Path, sqlite_template: Path, request: pytest.FixtureRequest
) -> Iterator[DatabaseTarget]:
    """A fresh database at the schema head, on each backend."""
    if backend == "sqlite":
        path = tmp_path / "factdb.sqlite3"
        shutil.copyfile(sqlite_template, path)
        yield DatabaseTarget("sqlite:///" + str(path), "--db")
        db.dispose_all()
        return
    copies: PgCopies = request.getfixturevalue("pg_copies")
    name = copies.take()
    yield DatabaseTarget(_replace_db(copies.admin, name), "--db")
    db.dispose_all()
    copies.discard(name)


@pytest.fixture
def session(target: DatabaseTarget) -> Iterator[Any]:
    """A write session on ``target``, committed at the end of the test when it passes."""
    with db.session_scope(target, write=True) as s:
        yield s


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class AddOptions(TypedDict, total=False):
    """The options of ``factdb add`` after the claim, by keyword; ``None`` leaves one out."""

    by: Required[str]
    stance: Required[str]
    source: Required[str]
    date: str | None
    quote: str | None
    via: Sequence[str]  # --via, repeated in this order
    tags: Sequence[str]  # --tag, repeated
    violates: Sequence[str]  # --violates, repeated
    outlet: str | None
    title: str | None
    published: str | None
    qualifier: str | None
    qualifier_note: str | None


_BUILT: dict[int, tuple[Any, Any]] = {}
_typer_get_command = typer.main.get_command


def _built_once(app: Any) -> Any:
    """The click command of a typer app, built once. typer's ``CliRunner.invoke`` builds it
    again at every call (about 45 ms for factdb's commands, a good part of a CLI test's time);
    a ``factdb`` process builds it once, so tests reuse it the same way. The app is kept
    with it, so that its id cannot be reused by another object."""
    key = id(app)
    if key not in _BUILT:
        _BUILT[key] = (app, _typer_get_command(app))
    return _BUILT[key][1]


setattr(typer.testing, "_get_command", _built_once)  # noqa: B010 (typer.testing's own name)


def add_args(claim: str | int, **options: Unpack[AddOptions]) -> list[str]:
    """The arguments of ``factdb add``: ``claim`` is the claim's text, or the id of an existing
    claim (``--claim ID``) when it is an int."""
    args = ["add", "--claim", str(claim)] if isinstance(claim, int) else ["add", claim]
    args += ["--by", options["by"], "--stance", options["stance"], "--source", options["source"]]
    for option, value in (
        ("--date", options.get("date")),
        ("--quote", options.get("quote")),
        ("--outlet", options.get("outlet")),
        ("--title", options.get("title")),
        ("--published", options.get("published")),
        ("--qualifier", options.get("qualifier")),
        ("--qualifier-note", options.get("qualifier_note")),
    ):
        if value is not None:
            args += [option, value]
    for option, values in (
        ("--via", options.get("via", ())),
        ("--tag", options.get("tags", ())),
        ("--violates", options.get("violates", ())),
    ):
        for value in values:
            args += [option, value]
    return args


class Cli:
    """Runs ``factdb --db <target> ARGS`` in-process with separate stdout and stderr."""

    def __init__(self, target: DatabaseTarget) -> None:
        self.target = target
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        from factdb.cli.app import app

        result = self.runner.invoke(app, ["--db", self.target.url, *args], input=input)
        return Result(result.exit_code, result.stdout, result.stderr)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 0, (args, result.exit_code, result.stdout, result.stderr)
        return result

    def add(
        self,
        claim: str | int,
        *,
        format: str | None = None,
        check: bool = True,
        **options: Unpack[AddOptions],
    ) -> Result:
        """``factdb add`` (see ``add_args``), with ``--format`` when given; it must succeed
        unless ``check`` is false."""
        args = add_args(claim, **options) + ([] if format is None else ["--format", format])
        return self.ok(*args) if check else self(*args)


@pytest.fixture
def cli(target: DatabaseTarget) -> Cli:
    return Cli(target)


@pytest.fixture
def seeded_cli(cli: Cli) -> Cli:
    cli.ok("seed")
    return cli


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("backend") if callspec is not None else None
    if (
        backend in BACKENDS
        and report.when == "call"
        and report.passed
        and type(report) is pytest.TestReport
    ):
        _passed[backend] += 1
    return report


_DROP_ORPHAN_READERS = """
DO $body$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'factdb\\_sql\\_%' LOOP
        BEGIN
            EXECUTE format('DROP ROLE %I', r.rolname);
        EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege THEN
            NULL;  -- still granted something in some database: in use, not an orphan
        END;
    END LOOP;
END
$body$
"""


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config):  # the controller adds up the counts and cleans up
        config.workeroutput[_PASSED_KEY] = dict(_passed)  # type: ignore[attr-defined]
        return
    # Migration 0005 makes a reader role per migrated PostgreSQL database (shared by its
    # copies); the tests drop databases without downgrading them, which leaves the role
    # behind with no privilege anywhere. Drop every such orphan, ours or an earlier run's; a
    # role still in use (a running session's template) cannot be dropped and stays.
    admin = pg_admin_url()
    if admin is not None:
        import psycopg

        template = config.stash.get(_controller_template, None)
        if template is not None:
            db.dispose_all()
            _pg_drop(admin, template)
        try:
            _pg_exec(admin, _DROP_ORPHAN_READERS)
        except psycopg.Error:
            pass
    (ROOT / ".pytest-backends.json").write_text(
        json.dumps({b: _passed[b] for b in BACKENDS}) + "\n", encoding="utf-8"
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    counts = ", ".join(f"{b} {_passed[b]}" for b in BACKENDS)
    terminalreporter.write_line(f"database tests passed per backend: {counts}")
