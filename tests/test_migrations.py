"""Migrations (docs/reliability.md, migrations): pytest-alembic's built-ins, `alembic
check`, the analytical views, downgrade to base, and how factdb treats a database that is not
at the schema head. Every database test runs on SQLite and on PostgreSQL.

pytest-alembic's automatic test collection is disabled in pyproject.toml (its 0.13 collector
crashes under pytest 9), so its test functions are imported here; pytest collects them as
tests of this module and they receive the ``alembic_config``/``alembic_engine`` fixtures below.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from pytest_alembic.config import Config as PytestAlembicConfig
from pytest_alembic.tests import (  # noqa: F401  (collected by pytest as tests of this module)
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from pytest_alembic.tests.experimental import (  # noqa: F401  (collected as a test)
    test_downgrade_leaves_no_trace,
)
from sqlalchemy import Engine, inspect, text

from factdb.storage import db
from factdb.storage.config import HISTORY_TABLES, TABLES, DatabaseTarget
from factdb.storage.models import metadata
from tests.conftest import ROOT, Cli

VIEWS: dict[str, list[str]] = {
    "actor_side": ["actor_id", "actor", "kind", "part_of", "side_id", "side", "depth"],
    "assertion_detail": [
        "assertion_id",
        "claim_id",
        "claim",
        "actor_id",
        "actor",
        "actor_kind",
        "side_id",
        "side",
        "stance",
        "polarity",
        "date",
        "date_start",
        "date_precision",
        "source_id",
        "source_url",
        "outlet",
        "source_title",
        "source_published",
        "via",
        "quote",
        "recorded_at",
        "retracted_at",
        "retraction_reason",
        "qualifier",
        "qualifier_note",
        "date_approximate",
        "outlet_id",
        "outlet_reliability",
        "credibility",
    ],
    "rating_current": [
        "rating_id",
        "actor_id",
        "assertion_id",
        "grade",
        "rated_by",
        "rated_at",
        "reason",
    ],
    "assertion_origin": [
        "assertion_id",
        "claim_id",
        "speaker_id",
        "date",
        "first_relay_id",
        "origin",
        "outlet_id",
        "side_id",
        "side",
        "position",
        "retracted_at",
    ],
    "side_corroboration": [
        "claim_id",
        "position",
        "side_id",
        "side",
        "assertions",
        "origins",
        "outlets",
    ],
    "claim_related": ["relation_id", "claim_id", "kind", "relation", "related_claim_id"],
    "claim_part": ["whole_id", "part_id", "depth"],
    "claim_corroboration": ["claim_id"]
    + [
        f"{p}_{n}"
        for p in ("for", "neutral", "against")
        for n in ("assertions", "origins", "outlets")
    ],
    "claim_summary": [
        "claim_id",
        "claim",
        "assertions",
        "n_for",
        "n_neutral",
        "n_against",
        "sides_for",
        "sides_against",
        "sources",
        "first_date",
        "last_date",
        "contested",
        "reversed",
        "first_date_text",
        "last_date_text",
    ],
    "side_flip": [
        "claim_id",
        "side_id",
        "side",
        "from_assertion_id",
        "from_actor",
        "from_stance",
        "from_date",
        "from_date_start",
        "to_assertion_id",
        "to_actor",
        "to_stance",
        "to_date",
        "to_date_start",
    ],
}


# --- pytest-alembic fixtures ----------------------------------------------------------------


@pytest.fixture
def alembic_config() -> PytestAlembicConfig:
    return PytestAlembicConfig(config_options={"script_location": str(db.migrations_path())})


@pytest.fixture
def alembic_engine(empty_target: DatabaseTarget) -> Iterator[Engine]:
    """An engine on an empty database, as pytest-alembic expects: it hands this object to
    ``env.py`` in ``config.attributes["connection"]`` (its documented integration)."""
    engine = db.get_engine(empty_target, migrating=True)
    yield engine
    engine.dispose()


# --- helpers --------------------------------------------------------------------------------


def _schema_objects(target: DatabaseTarget) -> dict[str, set[str]]:
    """Tables, views, triggers and (PostgreSQL) functions of the database, by kind."""
    engine = db.get_engine(target)
    with engine.connect() as conn:
        insp = inspect(conn)
        found = {
            "tables": set(insp.get_table_names()),
            "views": set(insp.get_view_names()),
        }
        if target.backend == "sqlite":
            rows = conn.execute(
                text("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
            ).all()
            found["triggers"] = {name for kind, name in rows if kind == "trigger"}
            found["indexes"] = {name for kind, name in rows if kind == "index"}
        else:
            found["triggers"] = set(
                conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars()
            )
            found["functions"] = set(
                conn.execute(
                    text(
                        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n "
                        "ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
                    )
                ).scalars()
            )
            found["indexes"] = set(
                conn.execute(
                    text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
                ).scalars()
            )
            found["sequences"] = set(
                conn.execute(
                    text("SELECT sequence_name FROM information_schema.sequences")
                ).scalars()
            )
        conn.rollback()
    return found


def _set_revision(target: DatabaseTarget, revision: str) -> None:
    with db.get_engine(target).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    db.dispose_all()


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# --- head and autogenerate ------------------------------------------------------------------


def test_schema_head_constant_matches_alembic_head() -> None:
    cfg = db.alembic_config(DatabaseTarget("sqlite://", "none"))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_heads() == [db.SCHEMA_HEAD]
    assert script.get_current_head() == db.SCHEMA_HEAD


def test_migrations_ship_inside_the_package() -> None:
    path = db.migrations_path()
    assert (path / "env.py").is_file()
    assert (path / "script.py.mako").is_file()
    assert list((path / "versions").glob("0001_*.py"))


def test_autogenerate_finds_no_difference(target: DatabaseTarget) -> None:
    """The equivalent of `alembic check` on a database at head: models == migrations."""
    engine = db.get_engine(target)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "target_metadata": metadata,
                "include_object": db.include_object,
            },
        )
        diffs = compare_metadata(context, metadata)
        conn.rollback()
    assert diffs == []


def test_alembic_check_command(target: DatabaseTarget) -> None:
    """`alembic check` through factdb's own alembic config and env.py raises on any diff."""
    from alembic import command

    command.check(db.alembic_config(target))


def test_alembic_check_command_line(target: DatabaseTarget, tmp_path: Path) -> None:
    """`alembic -c alembic.ini -x db=… check` from a checkout, as CI runs it (item 19)."""
    env = {k: v for k, v in os.environ.items() if k != "FACTDB_DATABASE_URL"}
    alembic = Path(sys.executable).parent / "alembic"
    result = subprocess.run(
        [str(alembic), "-c", str(ROOT / "alembic.ini"), "-x", f"db={target.url}", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


# --- views ----------------------------------------------------------------------------------


def test_views_exist_with_the_same_columns(target: DatabaseTarget) -> None:
    engine = db.get_engine(target)
    with engine.connect() as conn:
        assert set(VIEWS) <= set(inspect(conn).get_view_names())
        for view, columns in VIEWS.items():
            result = conn.execute(text(f"SELECT * FROM {view} WHERE 1 = 0"))
            assert list(result.keys()) == columns, view
            assert result.all() == []
        conn.rollback()


def test_views_are_not_tables_and_tables_are_complete(target: DatabaseTarget) -> None:
    objects = _schema_objects(target)
    # Full-text search tables (SQLite FTS5 and its shadow tables, migration 0003) aside.
    tables = {t for t in objects["tables"] if "_fts" not in t}
    assert tables == set(TABLES) | set(HISTORY_TABLES) | {"alembic_version"}
    assert not (objects["views"] & objects["tables"])


# --- downgrade ------------------------------------------------------------------------------


def test_downgrade_to_base_leaves_nothing(target: DatabaseTarget) -> None:
    before = _schema_objects(target)
    assert before["triggers"], "the alias/name triggers should exist at head"
    db.downgrade(target, "base")
    db.dispose_all()
    after = _schema_objects(target)
    assert after["tables"] <= {"alembic_version"}
    assert after["views"] == set()
    assert after["triggers"] == set()
    assert {i for i in after["indexes"] if not i.startswith("alembic_version")} == set()
    if target.backend == "postgresql":
        assert after["functions"] == set()
        assert after["sequences"] == set()
    assert db.current_revision(db.get_engine(target)) is None


def test_downgrade_then_upgrade_round_trip(target: DatabaseTarget) -> None:
    db.downgrade(target, "base")
    db.upgrade(target, "head")
    db.dispose_all()
    assert db.current_revision(db.get_engine(target)) == db.SCHEMA_HEAD
    assert set(VIEWS) <= _schema_objects(target)["views"]


# --- the db commands ------------------------------------------------------------------------


def test_cli_db_upgrade_then_current(empty_target: DatabaseTarget) -> None:
    cli = Cli(empty_target)
    before = cli.ok("db", "current", "--format", "json").json()
    assert before == {"revision": None, "head": db.SCHEMA_HEAD, "at_head": False}

    upgraded = cli.ok("db", "upgrade")
    assert db.SCHEMA_HEAD in upgraded.stderr
    assert upgraded.stdout == ""

    after = cli.ok("db", "current", "--format", "json").json()
    assert after == {"revision": db.SCHEMA_HEAD, "head": db.SCHEMA_HEAD, "at_head": True}
    assert db.SCHEMA_HEAD in cli.ok("db", "current").stdout

    # Upgrading again is a no-op, not an error.
    cli.ok("db", "upgrade")
    assert cli.ok("list", "--format", "json").json() == []


def test_cli_db_history_lists_the_head(cli: Cli) -> None:
    rows = cli.ok("db", "history", "--format", "json").json()
    assert rows[0]["revision"] == db.SCHEMA_HEAD
    assert rows[-1]["down_revision"] is None


def test_cli_downgrade_base_then_upgrade(cli: Cli) -> None:
    cli.ok("db", "downgrade", "base")
    assert cli.ok("db", "current", "--format", "json").json()["revision"] is None
    cli.ok("db", "upgrade")
    assert cli.ok("db", "current", "--format", "json").json()["at_head"] is True


# --- a database not at head -----------------------------------------------------------------


def test_empty_database_first_use(empty_target: DatabaseTarget) -> None:
    """A new SQLite file is created at head; a shared PostgreSQL is never migrated silently."""
    cli = Cli(empty_target)
    result = cli("list")
    if empty_target.backend == "sqlite":
        assert result.exit_code == 0, result.stderr
        assert cli.ok("db", "current", "--format", "json").json()["at_head"] is True
    else:
        assert result.exit_code == 1
        line = _one_error_line(result.stderr)
        assert "db upgrade" in line
        assert result.stdout == ""
        db.dispose_all()
        assert _schema_objects(empty_target)["tables"] == set()


@pytest.mark.parametrize("command", [["list"], ["show", "1"], ["actor", "list"]])
def test_older_revision_names_db_upgrade(target: DatabaseTarget, command: list[str]) -> None:
    """A database one revision behind (really migrated down): refused with one line naming
    `db upgrade`; after `db upgrade` the command works."""
    script = ScriptDirectory.from_config(db.alembic_config(target))
    previous = script.get_revision(db.SCHEMA_HEAD).down_revision
    if previous is None:
        pytest.skip("only one revision: no older schema to be at")
    db.downgrade(target, str(previous))
    db.dispose_all()
    cli = Cli(target)
    result = cli(*command)
    assert result.exit_code == 1, result.stdout
    line = _one_error_line(result.stderr)
    assert "db upgrade" in line
    assert str(previous) in line
    assert result.stdout == ""
    cli.ok("db", "upgrade")
    cli.ok("list")
    assert cli.ok("db", "current", "--format", "json").json()["at_head"] is True


@pytest.mark.parametrize("revision", ["0000", "ffff_unknown"])
def test_unknown_revision_is_refused_clearly(target: DatabaseTarget, revision: str) -> None:
    """A revision this factdb does not ship (from a newer factdb, or hand-edited): exit 1 and
    one line naming it, both for ordinary commands and for `db upgrade` (which cannot
    migrate from a revision it does not know); nothing is touched."""
    _set_revision(target, revision)
    cli = Cli(target)
    for command in (["list"], ["db", "upgrade"]):
        result = cli(*command)
        assert result.exit_code == 1, (command, result.stdout)
        line = _one_error_line(result.stderr)
        assert revision in line, command
        assert "internal error" not in line, (command, line)
    db.dispose_all()
    assert db.current_revision(db.get_engine(target)) == revision


def test_unknown_revision_is_not_called_older(target: DatabaseTarget) -> None:
    """'0000' sorts before the head but is not in the history: telling the user to run
    `db upgrade` sends them to a command that cannot work."""
    _set_revision(target, "0000")
    line = _one_error_line(Cli(target)("list").stderr)
    assert "behind" not in line
    assert "db upgrade" not in line


def test_tables_without_alembic_version_are_not_migrated(target: DatabaseTarget) -> None:
    """Tables but no alembic_version (e.g. created by hand): refused, never re-created."""
    with db.get_engine(target).begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    db.dispose_all()
    result = Cli(target)("list")
    assert result.exit_code == 1
    assert "db upgrade" in _one_error_line(result.stderr)


# --- revision 0008: outlets become actors ---------------------------------------------------

# url key, outlet as given: by an alias, by a name (another case), by nothing known (twice:
# one new actor), and no outlet at all.
OUTLETS_0007 = [
    ("apnews.com/a", "AP"),
    ("reuters.com/a", "reuters"),
    ("yna.co.kr/a", "Yonhap"),
    ("yna.co.kr/b", "Yonhap"),
    ("example.org/a", None),
]


def test_upgrade_to_0008_makes_outlets_actors(empty_target: DatabaseTarget) -> None:
    """A database at 0007 with outlet text gets its outlet actors: matched by alias or name
    (``name_key``), else a new ``media`` actor, one per outlet; the text stays as given, and
    the upgrade's change set records it."""
    db.upgrade(empty_target, "0007")
    with db.get_engine(empty_target).begin() as conn:
        for name, key, kind in (
            ("Associated Press", "associated press", "media"),
            ("Reuters", "reuters", "organization"),
        ):
            conn.execute(
                text(
                    "INSERT INTO actor (name, name_key, kind, created_at) "
                    "VALUES (:name, :key, :kind, CURRENT_TIMESTAMP)"
                ),
                {"name": name, "key": key, "kind": kind},
            )
        conn.execute(
            text(
                "INSERT INTO actor_alias (actor_id, alias, alias_key) "
                "SELECT id, 'AP', 'ap' FROM actor WHERE name = 'Associated Press'"
            )
        )
        for key, outlet in OUTLETS_0007:
            conn.execute(
                text(
                    "INSERT INTO source (url, key, outlet, created_at) "
                    "VALUES (:url, :key, :outlet, CURRENT_TIMESTAMP)"
                ),
                {"url": f"https://{key}", "key": key, "outlet": outlet},
            )
        before = conn.execute(text("SELECT coalesce(max(id), 0) FROM change_set")).scalar_one()
    db.dispose_all()
    db.upgrade(empty_target, "head")
    db.dispose_all()
    with db.get_engine(empty_target).connect() as conn:
        actors = {
            str(name): (int(i), str(kind))
            for i, name, kind in conn.execute(text("SELECT id, name, kind FROM actor"))
        }
        rows = conn.execute(text("SELECT id, key, outlet, outlet_id FROM source")).all()
        sources = {str(key): (outlet, outlet_id) for _, key, outlet, outlet_id in rows}
        source_ids = [int(i) for i, _, outlet, _ in rows if outlet is not None]
        sets = conn.execute(
            text("SELECT id, command, reason FROM change_set WHERE id > :before"),
            {"before": before},
        ).all()
        logged = conn.execute(
            text(
                "SELECT c.table_name, c.op, c.row_key FROM change AS c "
                "JOIN change_set AS s ON s.id = c.set_id WHERE s.command = 'factdb db upgrade' "
                "ORDER BY c.id"
            )
        ).all()
        conn.rollback()
    db.dispose_all()
    assert set(actors) == {"Associated Press", "Reuters", "Yonhap"}
    assert actors["Yonhap"][1] == "media"  # new, one for both sources
    assert actors["Reuters"][1] == "organization"  # matched: left as it was
    assert sources == {
        "apnews.com/a": ("AP", actors["Associated Press"][0]),
        "reuters.com/a": ("reuters", actors["Reuters"][0]),
        "yna.co.kr/a": ("Yonhap", actors["Yonhap"][0]),
        "yna.co.kr/b": ("Yonhap", actors["Yonhap"][0]),
        "example.org/a": (None, None),
    }
    [(_, command, reason)] = sets
    assert command == "factdb db upgrade" and "0008" in reason
    assert sorted((t, o, int(k)) for t, o, k in logged) == [
        ("actor", "insert", actors["Yonhap"][0]),
        *sorted(("source", "update", i) for i in source_ids),
    ]
    # today's factdb reads them: the outlet through its actor
    cli = Cli(empty_target)
    shown = cli.ok("actor", "show", "AP", "--format", "json").json()
    assert shown["outlet_of_sources"] == 1
    [ap] = [s for s in cli.ok("source", "list", "--format", "json").json() if s["outlet"] == "AP"]
    assert ap["outlet_actor"] == "Associated Press"
    history = cli.ok("history", "source", str(ap["id"]), "--format", "json").json()
    assert history[0]["command"] == "factdb db upgrade"
