"""Which database factdb uses (docs/design.md, Command line): ``--db`` > ``FACTDB_DATABASE_URL`` >
an embedded SQLite file in the user's data directory; a plain path means SQLite, a
``postgresql://`` URL PostgreSQL; a password is never printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from platformdirs import user_data_path

from factdb.core.errors import InvalidInput
from factdb.storage import config
from factdb.storage.config import ENV_VAR, DatabaseTarget, redact, resolve, to_sqlalchemy_url
from tests.conftest import Cli

PG = "postgresql://alice:s3cret@db.example.org:5432/facts"
PG_SQLA = "postgresql+psycopg://alice:s3cret@db.example.org:5432/facts"


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


# --- precedence -----------------------------------------------------------------------------


def test_flag_beats_environment(tmp_path: Path) -> None:
    flag = tmp_path / "flag.db"
    target = resolve(str(flag), {ENV_VAR: str(tmp_path / "env.db")})
    assert target == DatabaseTarget("sqlite:///" + str(flag), "--db")


def test_environment_beats_default(tmp_path: Path, data_home: Path) -> None:
    target = resolve(None, {ENV_VAR: str(tmp_path / "env.db")})
    assert target.url == "sqlite:///" + str(tmp_path / "env.db")
    assert target.origin == ENV_VAR


def test_environment_postgresql(data_home: Path) -> None:
    target = resolve(None, {ENV_VAR: PG})
    assert target.url == PG_SQLA
    assert target.backend == "postgresql"
    assert target.origin == ENV_VAR


def test_default_is_in_the_user_data_directory(data_home: Path) -> None:
    target = resolve(None, {})
    expected = data_home / "factdb" / config.DEFAULT_FILENAME
    assert target == DatabaseTarget("sqlite:///" + str(expected), "default")
    assert target.sqlite_path == expected
    assert config.default_path() == user_data_path("factdb", appauthor=False) / "factdb.sqlite3"
    assert not expected.exists(), "resolving must not create anything"


def test_default_follows_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "one"))
    first = resolve(None, {})
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "two"))
    second = resolve(None, {})
    assert first.sqlite_path == tmp_path / "one" / "factdb" / "factdb.sqlite3"
    assert second.sqlite_path == tmp_path / "two" / "factdb" / "factdb.sqlite3"


def test_explicit_environ_is_used_not_the_process_environment(
    tmp_path: Path, data_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "process.db"))
    assert resolve(None, {}).origin == "default"
    assert resolve(None).url == "sqlite:///" + str(tmp_path / "process.db")


def test_empty_environment_variable_means_unset(data_home: Path) -> None:
    assert resolve(None, {ENV_VAR: ""}).origin == "default"


def test_empty_flag_is_an_error_not_the_default(data_home: Path) -> None:
    """`--db ""` (say, an unset shell variable) must not silently open the default database;
    to_sqlalchemy_url has the message for it ("is empty; give a file path …")."""
    with pytest.raises(InvalidInput) as info:
        resolve("", {ENV_VAR: PG})
    assert info.value.field == "--db"
    with pytest.raises(InvalidInput):
        resolve("   ", {})


# --- URL forms ------------------------------------------------------------------------------


def test_relative_path_becomes_absolute_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = resolve("sub/dir/x.db", {})
    assert target.url == "sqlite:///" + str(tmp_path / "sub" / "dir" / "x.db")
    assert target.backend == "sqlite"
    assert target.sqlite_path is not None and target.sqlite_path.is_absolute()
    # the folder is made when the database is opened, not when the target is resolved
    assert not (tmp_path / "sub").exists()


def test_home_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve("~/facts.db", {}).sqlite_path == tmp_path / "facts.db"


def test_path_with_spaces_and_unicode(tmp_path: Path) -> None:
    path = tmp_path / "my facts" / "санкции.db"
    assert resolve(str(path), {}).sqlite_path == path


def test_surrounding_whitespace_is_ignored(tmp_path: Path) -> None:
    assert resolve(f"  {tmp_path / 'x.db'}  ", {}).sqlite_path == tmp_path / "x.db"


def test_sqlite_url_is_kept(tmp_path: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "x.db")
    assert resolve(url, {}).url == url


@pytest.mark.parametrize(
    "given",
    [
        PG,
        "postgres://alice:s3cret@db.example.org:5432/facts",
        "POSTGRESQL://alice:s3cret@db.example.org:5432/facts",
        PG_SQLA,
    ],
    # ids without backend names: conftest counts node ids containing "[postgresql" per backend
    ids=["scheme-long", "scheme-short", "uppercase", "with-driver"],
)
def test_postgresql_urls_use_psycopg(given: str) -> None:
    target = resolve(given, {})
    assert target.url == PG_SQLA
    assert target.backend == "postgresql"
    assert target.sqlite_path is None


@pytest.mark.parametrize(
    "given",
    ["mysql://u:p@h/db", "http://example.org/x.db", "postgresql+asyncpg://h/db"],
    ids=["mysql", "http", "asyncpg"],
)
def test_unsupported_scheme_is_invalid_input(given: str) -> None:
    with pytest.raises(InvalidInput) as info:
        resolve(given, {})
    assert info.value.field == "--db"
    assert given.split("://")[0] in info.value.reason
    assert info.value.exit_code == 2
    assert "p@h" not in str(info.value)


def test_unsupported_scheme_from_environment_names_the_variable() -> None:
    with pytest.raises(InvalidInput) as info:
        resolve(None, {ENV_VAR: "mysql://u@h/db"})
    assert info.value.field == ENV_VAR


def test_to_sqlalchemy_url_names_the_field() -> None:
    with pytest.raises(InvalidInput) as info:
        to_sqlalchemy_url("", "FACTDB_DATABASE_URL")
    assert info.value.field == "FACTDB_DATABASE_URL"


# --- redaction ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (PG_SQLA, "postgresql+psycopg://alice:***@db.example.org:5432/facts"),
        ("postgresql://alice:p%40ss%3Aword@h/db", "postgresql://alice:***@h/db"),
        ("postgresql://alice:p@ss@h/db", "postgresql://alice:***@h/db"),
        ("postgresql://:s3cret@h/db", "postgresql://:***@h/db"),
        ("postgresql://alice@h/db", "postgresql://alice@h/db"),
        ("postgresql://h/db", "postgresql://h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("sqlite:///relative/x.db", "sqlite:///relative/x.db"),
    ],
    ids=[
        "password",
        "encoded",
        "at-sign",
        "no-user",
        "no-password",
        "no-userinfo",
        "file",
        "file-relative",
    ],
)
def test_redact(url: str, expected: str) -> None:
    assert redact(url) == expected


def test_redact_hides_a_password_in_the_query_string() -> None:
    """libpq (and so psycopg) reads ``?password=`` from a connection URI too."""
    shown = redact("postgresql+psycopg://alice@h/db?sslmode=require&password=s3cret")
    assert "s3cret" not in shown
    assert "sslmode=require" in shown


def test_target_redacted_property() -> None:
    assert "s3cret" not in resolve(PG, {}).redacted


def test_db_info_never_prints_the_password(cli: Cli) -> None:
    """PostgreSQL: the URL is shown with ':***@' (the test server's password is factdb_test);
    SQLite: the URL is shown exactly, nothing to hide."""
    target = cli.target
    secret = target.url.split("://", 1)[1].split("@", 1)[0].partition(":")[2]
    for fmt in ("json", "table", "csv", "jsonl"):
        result = cli.ok("db", "info", "--format", fmt)
        output = result.stdout + result.stderr
        if target.backend == "postgresql":
            assert secret and f":{secret}@" not in output, fmt
            assert ":***@" in output, fmt
        else:
            assert target.url in output.replace("\n", ""), fmt
    info = cli.ok("db", "info", "--format", "json").json()
    assert info["backend"] == target.backend
    assert info["origin"] == "--db"
    expected = target.url.replace(f":{secret}@", ":***@") if secret else target.url
    assert info["url"] == expected


def test_connection_error_never_prints_the_password(tmp_path: Path) -> None:
    """A server that cannot be reached: exit 1, one line, no password, no traceback."""
    url = "postgresql://alice:s3cretpw@127.0.0.1:1/facts"
    cli = Cli(DatabaseTarget(url, "--db"))
    result = cli("list")
    assert result.exit_code == 1
    assert "s3cretpw" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "alice:***@127.0.0.1:1" in lines[0]
