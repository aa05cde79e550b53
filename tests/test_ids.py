"""Ids a user types (docs/reliability.md, ids): a number that no record can have (beyond the id
columns' range: 64 bits on SQLite, 32 on PostgreSQL) is simply not found, exit 1, like any other
absent id; digits other than 0-9 (``²``) are not an id. A ``--limit`` beyond any count means no
limit. Never an "internal error" (the driver's overflow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.helpers import fails

HUGE = "99999999999999999999999"  # beyond 64 bits
BIG = "9223372036854775808"  # 2**63: one beyond SQLite's range
PG_BIG = "3000000000"  # beyond PostgreSQL's INTEGER, within SQLite's

NUMBERS = [HUGE, BIG, PG_BIG, "-" + HUGE]


def _not_found(cli: Cli, *args: str) -> str:
    line = fails(cli(*args), 1)
    assert line.startswith("error: no "), line
    assert "internal error" not in line
    return line


@pytest.mark.parametrize("number", NUMBERS)
def test_claim_and_assertion_ids_out_of_range_are_not_found(seeded_cli: Cli, number: str) -> None:
    _not_found(seeded_cli, "show", "--", number)
    _not_found(seeded_cli, "retract", "--reason", "x", "--", number)
    line = _not_found(
        seeded_cli,
        "add",
        "--claim",
        number,
        "--by",
        "White House",
        "--stance",
        "asserts",
        "--source",
        "https://example.org/ids",
    )
    assert line.startswith(f"error: no claim {number}"), line


@pytest.mark.parametrize("number", [HUGE, BIG, PG_BIG, "²", "١٢"])
def test_references_by_number_out_of_range_are_not_found(
    seeded_cli: Cli, number: str, tmp_path: Path
) -> None:
    """Actors, sources and sanctions are found by name or id: a number that cannot be an id
    is a name nobody has."""
    _not_found(seeded_cli, "actor", "show", number)
    _not_found(seeded_cli, "source", "show", number)
    _not_found(seeded_cli, "sanction", "show", number)
    _not_found(seeded_cli, "actor", "alias", number, "another name")
    _not_found(seeded_cli, "actor", "part-of", number, "White House")
    _not_found(seeded_cli, "actor", "part-of", "White House", number)
    _not_found(seeded_cli, "actor", "merge", number, "White House")
    _not_found(seeded_cli, "sanction", "add", "A new sanction", "--target", number)
    _not_found(seeded_cli, "list", "--actor", number)
    _not_found(seeded_cli, "list", "--sanction", number)
    out = tmp_path / "out" / "all.jsonl"
    out.parent.mkdir()
    _not_found(seeded_cli, "export", str(out), "--actor", number)
    assert list(out.parent.iterdir()) == []
    _not_found(seeded_cli, "report", "matrix", "--sanction", number)
    line = _not_found(
        seeded_cli,
        "add",
        "A claim about ids",
        "--by",
        "White House",
        "--stance",
        "asserts",
        "--source",
        "https://example.org/ids",
        "--date",
        "2024",
        "--violates",
        number,
    )
    assert "sanction" in line


def test_existing_ids_are_still_found(seeded_cli: Cli) -> None:
    claim = seeded_cli.ok("show", "1", "--format", "json").json()
    assertion = claim["assertions"][0]
    actor = seeded_cli.ok("actor", "show", "1", "--format", "json").json()
    assert actor["id"] == 1
    source = assertion["source"]["id"]
    assert seeded_cli.ok("source", "show", str(source), "--format", "json").json()["id"] == source
    assert seeded_cli.ok("sanction", "show", "1", "--format", "json").json()["id"] == 1
    seeded_cli.ok("retract", str(assertion["id"]), "--reason", "a test")


@pytest.mark.parametrize("limit", [HUGE, BIG, "9223372036854775807"])
def test_limit_beyond_any_count_is_no_limit(seeded_cli: Cli, limit: str) -> None:
    everything = seeded_cli.ok("list", "--format", "json").json()
    assert seeded_cli.ok("list", "--limit", limit, "--format", "json").json() == everything
    report = seeded_cli.ok("report", "matrix", "--limit", limit).stdout
    assert report == seeded_cli.ok("report", "matrix").stdout
