"""A database password never appears in any output, error or process argument, whatever
characters it holds (docs/reliability.md, secrets).

Against a real PostgreSQL role whose password holds ``? # / @ : %``, given percent-encoded
(as a URL must carry it), typed as is, or in the query string: ``db info``, a failing
connection (a database that does not exist), ordinary commands, and ``db backup``, whose
``pg_dump`` is a wrapper first on the PATH that records its arguments and the names of its
environment variables before running the real one.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from factdb.storage.config import DatabaseTarget, redact, resolve, to_sqlalchemy_url
from tests.conftest import Cli, _pg_exec, pg_admin_url
from tests.helpers import fails

only_postgresql = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

PASSWORD = "Kq7?Zt#Wn/Xr@Hb:Jm%Vy"
"""Every character a URL reserves, and pieces that look like a host, a port and a query."""
PIECES = [p for p in re.split(r"[?#/@:%]", PASSWORD) if p] + [PASSWORD, quote(PASSWORD, safe="")]


def assert_hidden(*texts: str) -> None:
    for text in texts:
        for piece in PIECES:
            assert piece not in text, (piece, text)


@dataclass
class Role:
    name: str
    host: str
    database: str

    def url(self, form: str, database: str | None = None) -> str:
        db = database or self.database
        if form == "encoded":
            return f"postgresql://{self.name}:{quote(PASSWORD, safe='')}@{self.host}/{db}"
        if form == "typed":
            return f"postgresql://{self.name}:{PASSWORD}@{self.host}/{db}"
        assert form == "query"
        return f"postgresql://{self.name}@{self.host}/{db}?password={quote(PASSWORD, safe='')}"


@pytest.fixture
def role(target: DatabaseTarget) -> Iterator[Role]:
    """A login role with PASSWORD that may read the test database; dropped afterwards."""
    admin = pg_admin_url()
    assert admin is not None
    name = f"factdb_secret_{uuid.uuid4().hex[:8]}"
    database = target.url.rsplit("/", 1)[1]
    host = admin.split("@", 1)[1].split("/", 1)[0]
    _pg_exec(admin, f"CREATE ROLE {name} LOGIN PASSWORD '{PASSWORD}'")
    try:
        _pg_exec(admin, f"GRANT CONNECT ON DATABASE {database} TO {name}")
        _pg_exec(
            target.url,
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}",
            f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}",
        )
        yield Role(name, host, database)
    finally:
        from factdb.storage import db

        db.dispose_all()
        _pg_exec(
            target.url,
            f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {name}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {name}",
        )
        _pg_exec(admin, f"REVOKE ALL ON DATABASE {database} FROM {name}", f"DROP ROLE {name}")


def as_role(role: Role, form: str, database: str | None = None) -> Cli:
    return Cli(DatabaseTarget(role.url(form, database), "--db"))


FORMS = ["encoded", "typed", "query"]


@only_postgresql
@pytest.mark.parametrize("form", FORMS)
def test_db_info_and_commands_hide_the_password(cli: Cli, role: Role, form: str) -> None:
    cli.ok("seed")
    user = as_role(role, form)
    info = user.ok("db", "info")
    assert_hidden(info.stdout, info.stderr)
    assert "***" in info.stdout and role.name in info.stdout
    data = user.ok("db", "info", "--format", "json").json()
    assert_hidden(str(data))
    assert data["counts"]["claim"] > 0  # connected as the role, with its password
    listed = user.ok("list", "--limit", "2")
    assert_hidden(listed.stdout, listed.stderr)


@only_postgresql
@pytest.mark.parametrize("form", FORMS)
def test_connection_error_hides_the_password(role: Role, form: str) -> None:
    user = as_role(role, form, database="factdb_no_such_database")
    for args in (["list"], ["db", "info"], ["show", "1"], ["db", "upgrade"]):
        result = user(*args)
        line = fails(result, 1)
        assert "factdb_no_such_database" in line and "internal error" not in line, line
        assert_hidden(result.stdout, result.stderr)


FAKE_PG_DUMP = """#!/bin/sh
printf '%s\\n' "$@" > "$FACTDB_TEST_PG_DUMP_RECORD.argv"
env | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p' > "$FACTDB_TEST_PG_DUMP_RECORD.env"
exec {real} "$@"
"""


@only_postgresql
@pytest.mark.parametrize("form", FORMS)
def test_pg_dump_gets_the_password_through_its_environment(
    cli: Cli, role: Role, form: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = shutil.which("pg_dump")
    if real is None:
        pytest.skip("needs pg_dump")
    cli.ok("seed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text(FAKE_PG_DUMP.format(real=real), encoding="utf-8")
    fake.chmod(0o755)
    record = tmp_path / "record"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FACTDB_TEST_PG_DUMP_RECORD", str(record))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    # A backup is the owner's job: pg_dump must read every schema, factdb_private (the sql
    # reader's credentials, owner-only) included, so this role acts with the owner's rights.
    admin = pg_admin_url()
    assert admin is not None
    owner = admin.split("://", 1)[1].split(":", 1)[0].split("@", 1)[0]
    _pg_exec(admin, f"GRANT {owner} TO {role.name}")
    copy = tmp_path / "copy.dump"
    result = as_role(role, form).ok("db", "backup", str(copy))
    assert_hidden(result.stdout, result.stderr)
    argv = Path(f"{record}.argv").read_text(encoding="utf-8")
    env_keys = Path(f"{record}.env").read_text(encoding="utf-8").split()
    assert_hidden(argv)
    assert role.name in argv and role.database in argv  # the user name is kept
    assert "PGPASSWORD" in env_keys
    assert copy.stat().st_size > 1000  # pg_dump logged in with the password


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:p%3Fa%23b%2Fc@127.0.0.1/db", "postgresql+psycopg://u:***@127.0.0.1/db"),
        ("postgresql://u:p?a#b/c@127.0.0.1/db", "postgresql+psycopg://u:***@127.0.0.1/db"),
        ("postgresql://u:p@ss@127.0.0.1:5432/db", "postgresql+psycopg://u:***@127.0.0.1:5432/db"),
        ("postgresql://u:p/x@h/db", "postgresql+psycopg://u:***@h/db"),
        ("postgres://u:a:b@h/db", "postgresql+psycopg://u:***@h/db"),
        ("postgresql://u@h/db?password=s#x&sslmode=require", "?password=***&sslmode=require"),
        ("postgresql://u@h/db?sslmode=require&password=s&x", "?sslmode=require&password=***"),
        ("postgresql://u:pw@/db?host=/tmp", "postgresql+psycopg://u:***@/db?host=/tmp"),
        ("postgresql://h:5432/db", "postgresql+psycopg://h:5432/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_redact(url: str, shown: str) -> None:
    target = resolve(url)
    assert target.redacted.endswith(shown), target.redacted
    assert "s#x" not in target.redacted and "pw" not in target.redacted.split("@")[0]


def test_redact_leaves_sqlite_paths_alone(tmp_path: Path) -> None:
    path = tmp_path / "we:ird@name.sqlite3"
    url = to_sqlalchemy_url(str(path))
    assert redact(url) == url == f"sqlite:///{path}"


@pytest.mark.parametrize(
    ("typed", "password"),
    [
        ("postgresql://u:p%3Fa%23b%2Fc@h/db", "p?a#b/c"),
        ("postgresql://u:p?a#b/c@h/db", "p?a#b/c"),
        ("postgresql://u:p@ss@h:5432/db", "p@ss"),
        ("postgresql://u:50%off@h/db", "50%off"),
        (f"postgresql://u:{PASSWORD}@h/db", PASSWORD),
    ],
)
def test_a_typed_password_reaches_the_driver_whole(typed: str, password: str) -> None:
    """What the user typed is what the server gets, however the password was spelled; the
    host and the database stay what they were."""
    from sqlalchemy.engine import make_url

    url = make_url(resolve(typed).url)
    assert (url.username, url.password, url.host, url.database) == ("u", password, "h", "db")
