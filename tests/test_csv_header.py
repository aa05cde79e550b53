"""CSV always carries its header (docs/reliability.md): an empty result in ``--format csv``
is the header row alone, with the columns the output has when it is not empty, so that
``pandas.read_csv`` and spreadsheets read it as a table with no rows. On SQLite and
PostgreSQL (the ``cli`` fixture)."""

from __future__ import annotations

import csv
import io

import pandas as pd

from tests.conftest import Cli


def header(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text, newline="")))


def read(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def assert_same_header(empty: str, full: str) -> None:
    assert len(empty.splitlines()) == 1, empty
    assert header(empty) == header(full)
    frame = read(empty)
    assert len(frame) == 0 and list(frame.columns) == header(full)
    assert len(read(full)) > 0


# Commands listing records, empty on an empty database and not once it is seeded.
EMPTY_THEN_SEEDED = (
    ("list",),
    ("actor", "list"),
    ("source", "list"),
    ("sanction", "list"),
    ("history",),
)


def test_empty_lists_carry_their_header(cli: Cli) -> None:
    empty = {args: cli.ok(*args, "-f", "csv").stdout for args in EMPTY_THEN_SEEDED}
    cli.ok("seed")
    for args in EMPTY_THEN_SEEDED:
        assert_same_header(empty[args], cli.ok(*args, "-f", "csv").stdout)


def test_empty_filters_and_shows_carry_their_header(cli: Cli) -> None:
    cli.ok("seed")
    cli.ok("actor", "add", "Silent Ministry")
    cli.ok("sanction", "add", "Unused Resolution")
    cli.ok("source", "add", "https://example.org/unused")
    pairs = [
        (("list", "--tag", "no-such-tag"), ("list",)),
        (("list", "--actor", "Silent Ministry"), ("list", "--actor", "Russia")),
        (("show", "1", "--as-of", "1990"), ("show", "1")),
        (("actor", "show", "Silent Ministry"), ("actor", "show", "Russia")),
        (("source", "show", "https://example.org/unused"), ("source", "show", "1")),
        (
            ("sanction", "show", "Unused Resolution"),
            ("sanction", "show", "UNSC Resolution 1718"),
        ),
        (("history", "--since", "2999-01-01"), ("history",)),
        (("sql", "SELECT id, text FROM claim WHERE 1 = 0"), ("sql", "SELECT id, text FROM claim")),
        (("claim", "tag", "1", "ukraine-war"), ("claim", "tag", "1", "new-tag")),
    ]
    for empty, full in pairs:
        assert_same_header(cli.ok(*empty, "-f", "csv").stdout, cli.ok(*full, "-f", "csv").stdout)


def test_empty_sql_result_in_every_machine_format(cli: Cli) -> None:
    sql = "SELECT id AS n, text AS words FROM claim WHERE 1 = 0"
    assert cli.ok("sql", sql, "-f", "csv").stdout.splitlines() == ["n,words"]
    assert cli.ok("sql", sql, "-f", "json").json() == []
    assert cli.ok("sql", sql, "-f", "jsonl").stdout == ""
