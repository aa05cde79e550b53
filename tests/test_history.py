"""The change history (migration 0006, ``factdb history``), merges that never lose, assertion
corrections and ids that are never reused, on both backends (docs/reliability.md, history)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from factdb.storage.config import SCHEMA_HEAD, DatabaseTarget
from tests.conftest import Cli
from tests.helpers import add, fails, parse_csv, show

CLAIM = "Iran sent drones to Russia"
URL = "https://reuters.com/a"
MINISTER = "Hossein Amir-Abdollahian"
OTHER_NAME = "Iran's foreign minister"


def history(cli: Cli, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = cli.ok("history", *args, "--format", "json").json()
    return rows


def raw_sql(target: DatabaseTarget, statement: str) -> None:
    """A statement through the driver, outside factdb: another SQL client."""
    if target.backend == "sqlite":
        assert target.sqlite_path is not None
        conn = sqlite3.connect(target.sqlite_path)
        try:
            conn.execute(statement)
            conn.commit()
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(target.libpq_url, autocommit=True) as pg:
        pg.execute(statement.encode())


def two_names_one_stance(cli: Cli) -> tuple[dict[str, Any], dict[str, Any]]:
    first = add(
        cli,
        CLAIM,
        by=MINISTER,
        stance="supports",
        date="2022-11-05",
        source=URL,
        quote="limited number",
    )
    second = add(
        cli,
        CLAIM,
        by=OTHER_NAME,
        stance="supports",
        date="2022-11-05",
        source=URL,
        quote="a limited number of drones",
        via=["IRNA"],
    )
    return first, second


# --- merges never lose ---------------------------------------------------------------------


def test_merge_keeps_the_twin_assertion_with_its_quote_and_via(cli: Cli) -> None:
    first, second = two_names_one_stance(cli)
    merged = cli.ok("actor", "merge", OTHER_NAME, MINISTER, "--format", "json").json()
    assert merged["assertions_moved"] == []
    assert merged["assertions_folded"] == [
        {"assertion": second["assertion_id"], "same_as": first["assertion_id"]}
    ]
    shown = show(cli, first["claim_id"], "--include-retracted")
    by_id = {a["id"]: a for a in shown["assertions"]}
    kept = by_id[second["assertion_id"]]
    assert kept["quote"] == "a limited number of drones"
    assert kept["via"] == ["IRNA"]
    assert kept["retracted"] is True
    assert kept["folded_into"] == first["assertion_id"]
    assert kept["actor"] == MINISTER
    assert f"same as assertion {first['assertion_id']}" in kept["retraction_reason"]
    # sides count the live one only
    live = show(cli, first["claim_id"])
    assert [a["id"] for a in live["assertions"]] == [first["assertion_id"]]


def test_ids_are_never_reused_after_a_merge(cli: Cli) -> None:
    _, second = two_names_one_stance(cli)
    cli.ok("actor", "merge", OTHER_NAME, MINISTER)
    again = add(cli, "Another claim", by="Someone Else", stance="asserts", date="2023", source=URL)
    assert again["assertion_id"] > second["assertion_id"]
    assert again["actor_id"] > second["actor_id"]


def test_merge_history_shows_what_from_was(cli: Cli) -> None:
    _, second = two_names_one_stance(cli)
    cli.ok("--as", "carol", "actor", "merge", OTHER_NAME, MINISTER, "--reason", "same person")
    changes = history(cli, "actor", str(second["actor_id"]))
    deleted = [c for c in changes if c["table"] == "actor" and c["op"] == "delete"]
    assert len(deleted) == 1
    assert deleted[0]["old"]["name"] == OTHER_NAME
    assert deleted[0]["user"] == "carol"
    assert deleted[0]["command"] == "factdb actor merge"
    assert deleted[0]["reason"] == "same person"
    folded = [c for c in changes if c["table"] == "assertion" and c["op"] == "update"]
    assert {c["row"] for c in folded} == {str(second["assertion_id"])}


def test_ids_are_never_reused_after_a_delete(cli: Cli) -> None:
    """SQLite would give the newest row's id again after deleting it, without AUTOINCREMENT."""
    made = add(cli, CLAIM, by=MINISTER, stance="supports", date="2022", source=URL)
    cli.ok(
        "sql", "--write", "DELETE FROM assertion WHERE id = :id", "-p", f"id={made['assertion_id']}"
    )
    cli.ok("sql", "--write", "DELETE FROM claim WHERE id = :id", "-p", f"id={made['claim_id']}")
    again = add(cli, CLAIM, by=MINISTER, stance="supports", date="2022", source=URL)
    assert again["assertion_id"] > made["assertion_id"]
    assert again["claim_id"] > made["claim_id"]


# --- the history -----------------------------------------------------------------------------


def test_history_records_who_what_and_why(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTDB_USER", "dana")
    made = add(cli, CLAIM, by=MINISTER, stance="supports", date="2022-11-05", source=URL)
    cli.ok("--as", "erin", "retract", str(made["assertion_id"]), "--reason", "misread")
    changes = history(cli)
    newest = changes[0]
    assert newest["table"] == "assertion" and newest["op"] == "update"
    assert newest["user"] == "erin"
    assert newest["command"] == "factdb retract"
    assert newest["reason"] == "misread"
    assert newest["old"]["retracted_at"] is None
    assert newest["new"]["retraction_reason"] == "misread"
    inserts = [c for c in changes if c["op"] == "insert"]
    assert {c["table"] for c in inserts} == {"claim", "actor", "source", "assertion"}
    assert {c["user"] for c in inserts} == {"dana"}
    assert [c["change"] for c in changes] == sorted((c["change"] for c in changes), reverse=True)


def test_history_records_sql_write_and_other_clients(cli: Cli) -> None:
    made = add(cli, CLAIM, by=MINISTER, stance="supports", date="2022", source=URL)
    cli.ok(
        "--as",
        "fay",
        "sql",
        "--write",
        "--reason",
        "typo",
        "UPDATE claim SET text = 'Iran sent drones to Russia.' WHERE id = :id",
        "-p",
        f"id={made['claim_id']}",
    )
    raw_sql(cli.target, "UPDATE source SET outlet = 'Reuters'")
    changes = history(cli)
    outside, through_sql = changes[0], changes[1]
    assert outside["table"] == "source" and outside["user"] == "(direct SQL)"
    assert outside["new"]["outlet"] == "Reuters"
    assert outside["command"] is None
    if cli.target.backend == "postgresql":
        assert outside["db_role"]  # the role that wrote it
    assert through_sql["table"] == "claim"
    assert (through_sql["user"], through_sql["command"], through_sql["reason"]) == (
        "fay",
        "factdb sql",
        "typo",
    )
    assert through_sql["old"]["text"] == CLAIM
    assert through_sql["new"]["text"] == "Iran sent drones to Russia."
    # --by filters by user, including the writes of other clients
    assert {c["change"] for c in history(cli, "--by", "(direct SQL)")} == {outside["change"]}
    assert [c["change"] for c in history(cli, "--by", "FAY")] == [through_sql["change"]]


FORGERIES = [
    "DELETE FROM change",
    "UPDATE change SET new = NULL",
    "DELETE FROM change_set",
    "INSERT INTO change (at, table_name, op, row_key) VALUES ('x', 'claim', 'insert', '9')",
]


def test_history_is_append_only(cli: Cli) -> None:
    add(cli, CLAIM, by=MINISTER, stance="supports", date="2022", source=URL)
    before = history(cli)
    for statement in FORGERIES:
        fails(cli("sql", "--write", statement), 1)
    # Another client: the database's triggers refuse updates and deletes; PostgreSQL also
    # refuses an insert that no trigger made (SQLite cannot tell, docs/reliability.md).
    for statement in FORGERIES[: 4 if cli.target.backend == "postgresql" else 3]:
        with pytest.raises(Exception, match="append-only|written by the change triggers"):
            raw_sql(cli.target, statement)
    assert history(cli) == before


@pytest.mark.parametrize("statement", ["DROP TABLE claim_tag", "DROP TRIGGER change_claim_insert"])
def test_sql_write_refuses_schema_changes(cli: Cli, statement: str) -> None:
    if cli.target.backend == "postgresql" and "TRIGGER" in statement:
        statement = "DROP TRIGGER change_claim_insert ON claim"
    line = fails(cli("sql", "--write", statement), 1)
    assert "schema" in line


def test_history_of_one_record(cli: Cli) -> None:
    one = add(cli, CLAIM, by=MINISTER, stance="supports", date="2022", source=URL, tags=["iran"])
    two = add(cli, "Another claim", by="Someone Else", stance="asserts", date="2023", source=URL)
    claim_changes = history(cli, "claim", str(one["claim_id"]))
    assert {c["table"] for c in claim_changes} == {"claim", "claim_tag", "assertion"}
    actor_changes = history(cli, "actor", "Someone Else")
    assert {c["table"] for c in actor_changes} == {"actor", "assertion"}
    assert all(c["row"] != str(one["assertion_id"]) for c in actor_changes)
    source_changes = history(cli, "source", URL)
    assert {c["table"] for c in source_changes} == {"source", "assertion"}
    assert len(history(cli, "--limit", "2")) == 2
    assert history(cli, "--since", "2999-01-01") == []
    assert len(history(cli, "--since", "2000-01-01")) == len(history(cli))
    rows = parse_csv(cli.ok("history", "claim", str(two["claim_id"]), "--format", "csv").stdout)
    assert {"change", "at", "user", "command", "table", "op", "row", "old", "new"} <= set(rows[0])
    table = cli.ok("history", "claim", str(two["claim_id"])).stdout
    assert "'Another claim'" in " ".join(table.replace("│", " ").split())


def test_history_bad_input(cli: Cli) -> None:
    assert "KIND" in fails(cli("history", "planet", "1"), 2)
    assert "REF" in fails(cli("history", "claim"), 2)
    assert "REF" in fails(cli("history", "claim", "first"), 2)
    assert "--since" in fails(cli("history", "--since", "yesterday"), 2)
    fails(cli("history", "actor", "Nobody At All"), 1)


def test_show_says_when_a_record_last_changed(cli: Cli) -> None:
    made = add(cli, CLAIM, by=MINISTER, stance="supports", date="2022", source=URL)
    cli.ok("--as", "gus", "retract", str(made["assertion_id"]), "--reason", "wrong")
    last = show(cli, made["claim_id"])["last_change"]
    assert (last["user"], last["command"]) == ("gus", "factdb retract")
    assert "last changed" in cli.ok("show", str(made["claim_id"])).stdout
    actor = cli.ok("actor", "show", MINISTER, "--format", "json").json()
    assert actor["last_change"]["user"] == "gus"
    assert "by gus" in cli.ok("actor", "show", MINISTER).stdout


# --- corrections of assertions ---------------------------------------------------------------


def test_correct_retracts_and_replaces(cli: Cli) -> None:
    made = add(
        cli, CLAIM, by=MINISTER, stance="supports", date="2022-11-05", source=URL, via=["IRNA"]
    )
    fixed = cli.ok(
        "assertion",
        "correct",
        str(made["assertion_id"]),
        "--quote",
        "a limited number",
        "--stance",
        "asserts",
        "--reason",
        "misquoted",
        "--format",
        "json",
    ).json()
    assert fixed["retracted"] == made["assertion_id"]
    assert fixed["changed"]["stance"] == {"old": "supports", "new": "asserts"}
    shown = {a["id"]: a for a in show(cli, made["claim_id"], "--include-retracted")["assertions"]}
    new, old = shown[fixed["recorded"]], shown[made["assertion_id"]]
    assert new["supersedes"] == old["id"]
    assert new["via"] == ["IRNA"]  # copied
    assert (new["stance"], new["quote"]) == ("asserts", "a limited number")
    assert old["retracted"] and old["retraction_reason"] == "corrected: misquoted"
    # only the quote: the same natural key, which the retracted one no longer holds
    again = cli.ok(
        "assertion",
        "correct",
        str(new["id"]),
        "--quote",
        "x",
        "--no-via",
        "--reason",
        "r",
        "--format",
        "json",
    ).json()
    assert again["changed"]["via"] == {"old": ["IRNA"], "new": []}
    assert history(cli, "claim", str(made["claim_id"]))[0]["reason"] == "r"


def test_correct_refuses_what_would_break_the_record(cli: Cli) -> None:
    made = add(cli, CLAIM, by=MINISTER, stance="supports", date="2022", source=URL)
    other = add(cli, CLAIM, by=MINISTER, stance="denies", date="2022", source=URL)
    ident = str(made["assertion_id"])
    assert "--reason" in fails(cli("assertion", "correct", ident, "--quote", "q"), 2)
    assert "nothing to correct" in fails(cli("assertion", "correct", ident, "--reason", "r"), 2)
    line = fails(cli("assertion", "correct", ident, "--stance", "denies", "--reason", "r"), 1)
    assert f"assertion {other['assertion_id']} records that already" in line
    cli.ok("retract", ident, "--reason", "gone")
    assert "retracted" in fails(
        cli("assertion", "correct", ident, "--date", "2021", "--reason", "r"), 1
    )
    fails(cli("assertion", "correct", "999999", "--date", "2021", "--reason", "r"), 1)


def test_downgrade_refuses_to_drop_a_kept_twin(cli: Cli) -> None:
    """0005's unique natural key cannot hold an assertion and its correction: the downgrade
    says so and changes nothing."""
    made = add(cli, CLAIM, by=MINISTER, stance="supports", date="2022", source=URL)
    cli.ok("assertion", "correct", str(made["assertion_id"]), "--quote", "q", "--reason", "r")
    assert "natural key" in fails(cli("db", "downgrade", "0005"), 1)
    assert cli.ok("db", "current").stdout.startswith(SCHEMA_HEAD)


def test_claim_merge_keeps_everything_and_says_where_from_went(cli: Cli) -> None:
    one = add(cli, CLAIM, by=MINISTER, stance="supports", date="2022", source=URL, tags=["iran"])
    two = add(
        cli,
        "Iran supplied drones to Russia",
        by=MINISTER,
        stance="supports",
        date="2022",
        source=URL,
        quote="few",
        tags=["drones"],
    )
    three = add(
        cli, "Iran supplied drones to Russia", by="IRNA", stance="denies", date="2022", source=URL
    )
    merged = cli.ok(
        "claim",
        "merge",
        str(two["claim_id"]),
        str(one["claim_id"]),
        "--reason",
        "one claim",
        "--format",
        "json",
    ).json()
    assert merged["assertions_moved"] == [three["assertion_id"]]
    assert merged["assertions_folded"] == [
        {"assertion": two["assertion_id"], "same_as": one["assertion_id"]}
    ]
    assert merged["tags_added"] == ["drones"]
    shown = show(cli, one["claim_id"], "--include-retracted")
    assert sorted(shown["tags"]) == ["drones", "iran"]
    kept = {a["id"]: a for a in shown["assertions"]}[two["assertion_id"]]
    assert (kept["quote"], kept["folded_into"], kept["retracted"]) == (
        "few",
        one["assertion_id"],
        True,
    )
    line = fails(cli("show", str(two["claim_id"])), 1)
    assert f"see `factdb history claim {two['claim_id']}`" in line and "claim merge" in line
    deleted = [c for c in history(cli, "claim", str(two["claim_id"])) if c["op"] == "delete"]
    assert {c["table"] for c in deleted} == {"claim", "claim_tag"}
    assert fails(cli("claim", "merge", str(one["claim_id"]), str(one["claim_id"])), 1)


def test_a_bulk_import_is_recorded_per_table(cli: Cli, tmp_path: Any) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        "claim,actor,stance,date,source_url,tags\n"
        "Ships left the port,Port Authority,asserts,2023-07,https://example.org/a,ships\n"
        "Ships left the port,Harbour Office,denies,2023-08,https://example.org/a,\n",
        encoding="utf-8",
    )
    cli.ok("--as", "ivy", "import", str(path))
    changes = history(cli)
    assert {c["table"] for c in changes} == {"actor", "claim", "claim_tag", "source", "assertion"}
    assert all(c["op"] == "insert" and c["user"] == "ivy" for c in changes)
    by_table = {c["table"]: c["new"] for c in changes}
    assert by_table["assertion"]["rows"] == 2
    assert by_table["actor"]["rows"] == 2
    claim_id = cli.ok("list", "--format", "json").json()[0]["id"]
    assert {c["table"] for c in history(cli, "claim", str(claim_id))} == {"claim", "assertion"}
    # a later change to an imported row is recorded row by row
    cli.ok("claim", "edit", str(claim_id), "--text", "Ships left the harbour")
    assert history(cli, "claim", str(claim_id))[0]["old"]["text"] == "Ships left the port"
