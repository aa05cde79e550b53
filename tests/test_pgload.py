"""A bulk import into an empty assertion table builds its indexes and foreign keys after the
load, in the import's transaction (factdb.storage.pgload on PostgreSQL, the index and trigger
steps of factdb.storage.sqliteload on SQLite); into a populated one it changes no schema
and takes no lock that stops readers. Either way: the same rows and history, and a failed
import leaves the schema exactly as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from factdb.interchange import csvimport
from factdb.storage import pgload
from factdb.storage.config import TABLES, DatabaseTarget
from tests.conftest import Cli
from tests.helpers import add, csv_row, listed, query, schema_objects, write_csv

ROWS = [
    csv_row("Claim A", "Alice", "2024", "https://example.org/1", "zeppelin first", "Via 1; Via 2"),
    csv_row("Claim A", "Bob", "2024", "https://example.org/1"),
    csv_row("Claim A", "Alice", "2024", "https://example.org/1", "a repeat", "Via 3"),
    csv_row("Claim B", "Alice", "2024-02", "https://example.org/2", "", "Via 2"),
    csv_row("Claim C", "Carol", "2024-02-03", "https://example.org/3", "tab\tand\\slash"),
    csv_row("Claim D", "Dan", "2023", "https://example.org/4", "last", "Via 1"),
]
MORE = [
    csv_row("Claim A", "Alice", "2024", "https://example.org/1", "there already"),
    csv_row("Claim E", "Erin", "2022", "https://example.org/5", "new quote", "Via 2"),
]


def _assertions(target: DatabaseTarget) -> list[tuple[Any, ...]]:
    """(claim, actor, quote, via chain) of every assertion, in id order."""
    agg = "group_concat" if target.backend == "sqlite" else "string_agg"
    return query(
        target,
        f"SELECT c.text, ac.name, a.quote, (SELECT {agg}(x.name, ';') FROM "
        "(SELECT v.actor_id FROM assertion_via AS v WHERE v.assertion_id = a.id "
        "ORDER BY v.position) AS w JOIN actor AS x ON x.id = w.actor_id) "
        "FROM assertion AS a JOIN claim AS c ON c.id = a.claim_id "
        "JOIN actor AS ac ON ac.id = a.actor_id ORDER BY a.id",
    )


@pytest.fixture
def exclusive_locks(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The tables the import's own transaction holds ACCESS EXCLUSIVE, seen once the rows are
    loaded (PostgreSQL; SQLite has no table locks, the list stays empty)."""
    seen: list[set[str]] = []
    finish = csvimport.CsvImport._finish

    def spy(self: csvimport.CsvImport) -> None:
        if not self.sqlite:
            from sqlalchemy import text

            seen.append(
                {
                    str(name)
                    for (name,) in self.session.execute(
                        text(
                            "SELECT relation::regclass::text FROM pg_locks "
                            "WHERE pid = pg_backend_pid() AND locktype = 'relation' "
                            "AND mode = 'AccessExclusiveLock' AND relation IS NOT NULL"
                        )
                    )
                    if "." not in str(name) and str(name) in TABLES
                }
            )
        finish(self)

    monkeypatch.setattr(csvimport.CsvImport, "_finish", spy)
    return seen


EXPECTED = [
    ("Claim A", "Alice", "zeppelin first", "Via 1;Via 2"),
    ("Claim A", "Bob", None, None),
    ("Claim B", "Alice", None, "Via 2"),
    ("Claim C", "Carol", "tab\tand\\slash", None),
    ("Claim D", "Dan", "last", "Via 1"),
]


@pytest.mark.parametrize("after_load", [True, False], ids=["indexes-after", "row-by-row"])
def test_a_load_into_an_empty_database_gives_the_same_rows_schema_and_history(
    cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    exclusive_locks: list[set[str]],
    after_load: bool,
) -> None:
    if not after_load:
        monkeypatch.setattr(pgload, "drop_for_load", lambda session: None)
    monkeypatch.setattr(csvimport, "BATCH", 2)
    before = schema_objects(cli.target)
    cli.ok("--as", "ivy", "import", str(write_csv(tmp_path / "rows.csv", ROWS)))
    assert _assertions(cli.target) == EXPECTED
    assert schema_objects(cli.target) == before
    # The full-text index holds the quotes loaded before it was built.
    assert [c["id"] for c in listed(cli, "--search", "zeppelin")] == [1]
    changes = cli.ok("history", "--format", "json").json()
    assert all(c["op"] == "insert" and c["user"] == "ivy" for c in changes)
    summary = {c["table"]: c["new"] for c in changes}
    assert summary["assertion"] == {"rows": 5, "ids": [1, 5]}
    assert summary["assertion_via"] == {"rows": 4}
    if cli.target.backend == "postgresql":
        assert all(valid for *_, valid in before)
        # Dropping a foreign key locks the table it references too.
        loaded = {"assertion", "assertion_via", "actor", "claim", "source"}
        assert exclusive_locks == [loaded if after_load else set()]


def test_a_load_into_a_populated_database_changes_no_schema_and_locks_no_reader(
    cli: Cli, tmp_path: Path, exclusive_locks: list[set[str]]
) -> None:
    cli.ok("import", str(write_csv(tmp_path / "rows.csv", ROWS)))
    before = schema_objects(cli.target)
    out = cli.ok("import", str(write_csv(tmp_path / "more.csv", MORE)), "--format", "json").json()
    counts = {r["records"]: (r["new"], r["already_there"]) for r in out}
    assert counts["assertion"] == (1, 1)
    assert _assertions(cli.target) == [*EXPECTED, ("Claim E", "Erin", "new quote", "Via 2")]
    assert schema_objects(cli.target) == before
    assert [c["id"] for c in listed(cli, "--search", "zeppelin")] == [1]
    assert [c["id"] for c in listed(cli, "--search", "quote")] == [5]
    if cli.target.backend == "postgresql":
        assert exclusive_locks[-1] == set()


def test_a_dry_run_into_an_empty_database_changes_noschema_objects(
    cli: Cli, tmp_path: Path, exclusive_locks: list[set[str]]
) -> None:
    before = schema_objects(cli.target)
    cli.ok("import", "--dry-run", str(write_csv(tmp_path / "rows.csv", ROWS)))
    assert schema_objects(cli.target) == before
    assert _assertions(cli.target) == []
    if cli.target.backend == "postgresql":
        assert exclusive_locks == [set()]


def _bad_row_late(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """A malformed date after batches were written."""
    return [*ROWS, *ROWS[1:3], csv_row("Claim X", "Xia", "2024-13", "https://example.org/x")]


def _dangling_actor(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """An assertion naming an actor id that does not exist: its foreign key refuses it when
    added back after the load."""
    copy = csvimport.CsvImport._copy_postgresql

    def broken(self: csvimport.CsvImport, rows: list[Any], *args: Any) -> None:
        rows[-1] = (rows[-1][0], 999_999, *rows[-1][2:])
        copy(self, rows, *args)

    monkeypatch.setattr(csvimport.CsvImport, "_copy_postgresql", broken)
    return ROWS


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_bad_row_late, "rows.csv:10:4: date"),
        pytest.param(
            _dangling_actor,
            "fk_assertion_actor_id_actor",
            marks=pytest.mark.postgres_only,
        ),
    ],
    ids=["bad-row-late", "foreign-key-when-added"],
)
def test_a_failed_load_leaves_nothing_and_the_schema_intact(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Any, message: str
) -> None:
    monkeypatch.setattr(csvimport, "BATCH", 2)
    before = schema_objects(cli.target)
    counts = query(cli.target, "SELECT count(*) FROM change_set")
    with monkeypatch.context() as patch:
        path = write_csv(tmp_path / "rows.csv", make(patch))
        result = cli("import", str(path))
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert schema_objects(cli.target) == before
    assert _assertions(cli.target) == []
    assert query(cli.target, "SELECT count(*) FROM change_set") == counts
    # The same database takes the file, corrected, afterwards.
    cli.ok("import", str(write_csv(tmp_path / "good.csv", ROWS)))
    assert _assertions(cli.target) == EXPECTED
    assert schema_objects(cli.target) == before


@pytest.mark.parametrize("after_load", [True, False], ids=["indexes-after", "row-by-row"])
def test_repeats_far_apart_are_caught_by_the_database_not_by_a_set_of_keys(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after_load: bool
) -> None:
    """The whole file again after itself, in batches of two: every repeat is skipped and
    counted, its via chain not written, the ids stay contiguous, and the importer keeps no
    natural key of what it wrote (its memory must not grow with the file): the unique index
    of live natural keys catches the repeats, kept through a load into an empty table."""
    if not after_load:
        monkeypatch.setattr(pgload, "drop_for_load", lambda session: None)
    monkeypatch.setattr(csvimport, "BATCH", 2)
    kept: list[int] = []
    finish = csvimport.CsvImport._finish

    def spy(self: csvimport.CsvImport) -> None:
        kept.append(len(self.seen) + len(self.existing))
        finish(self)

    monkeypatch.setattr(csvimport.CsvImport, "_finish", spy)
    path = write_csv(tmp_path / "twice.csv", [*ROWS, *ROWS, MORE[1]])
    out = cli.ok("import", str(path), "--format", "json")
    assert "skipped 7 duplicate rows within the file" in out.stderr
    counts = {r["records"]: r["new"] for r in out.json()}
    assert counts["assertion"] == 6
    assert _assertions(cli.target) == [*EXPECTED, ("Claim E", "Erin", "new quote", "Via 2")]
    assert query(cli.target, "SELECT min(id), max(id) FROM assertion") == [(1, 6)]
    assert kept == [0]
    # The next assertion takes the next id: the sequence was set back past the repeats.
    add(cli, "Claim F", by="Fay", stance="asserts", date="2024", source="https://example.org/6")
    assert query(cli.target, "SELECT max(id) FROM assertion") == [(7,)]
