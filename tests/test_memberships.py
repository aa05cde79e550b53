"""Memberships over time (docs/design.md, Memberships over time): ``actor part-of --from
--until`` and ``actor unpart``, the side an assertion counts for on its date in ``show``,
``list``, the reports and the views, the refusals, merge and delete, JSON Lines; on SQLite and
PostgreSQL.

The story: Sergei Shoigu was Russia's defence minister until May 2024 and then secretary of
its Security Council, which in this database is a body of its own (a side), so that the two
periods give two different sides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from factdb.storage.config import DatabaseTarget
from tests.conftest import Cli
from tests.helpers import fails, listed, parse_csv, show

MOD = "Ministry of Defence of Russia"
COUNCIL = "Security Council of Russia"
CLAIM = "Russia will achieve all the goals of the special military operation"


def sql(cli: Cli, query: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = cli.ok("sql", query, "--format", "json").json()
    return rows


@pytest.fixture
def shoigu(cli: Cli) -> Cli:
    """Russia ⊃ Ministry of Defence; Security Council on its own; Shoigu in the ministry
    until 2024-05 and in the council since; one statement of his in 2023, one in 2025."""
    cli.ok("actor", "add", "Russia", "--kind", "state")
    cli.ok("actor", "add", MOD, "--kind", "government", "--part-of", "Russia")
    cli.ok("actor", "add", COUNCIL, "--kind", "government")
    cli.ok("actor", "add", "Sergei Shoigu", "--kind", "person", "--part-of", MOD)
    cli.ok("actor", "part-of", "Sergei Shoigu", MOD, "--until", "2024-05")
    cli.ok("actor", "part-of", "Sergei Shoigu", COUNCIL, "--from", "2024-05")
    for stance, date, url in (
        ("asserts", "2023-06-10", "https://ex.org/2023"),
        ("asserts", "2025-02-03", "https://ex.org/2025"),
    ):
        cli.add(CLAIM, by="Sergei Shoigu", stance=stance, date=date, source=url)
    return cli


def test_each_statement_counts_for_the_body_of_its_date(shoigu: Cli) -> None:
    data = show(shoigu, 1)
    sides = {a["date"]: a["side"] for a in data["assertions"]}
    assert sides == {"2023-06-10": "Russia", "2025-02-03": COUNCIL}
    assert sorted(data["for"]) == sorted(["Russia", COUNCIL])
    # As of 2024 only the first statement counts, still for Russia (the hierarchy of 2023).
    early = show(shoigu, 1, "--as-of", "2024-01")
    assert [a["side"] for a in early["assertions"]] == ["Russia"]
    assert listed(shoigu, "--as-of", "2024-01")[0]["for"] == ["Russia"]
    assert sorted(listed(shoigu)[0]["for"]) == ["Russia", COUNCIL]
    # The views say the same.
    rows = sql(shoigu, "SELECT assertion_id, side FROM assertion_side ORDER BY assertion_id")
    assert [r["side"] for r in rows] == ["Russia", COUNCIL]
    detail = sql(shoigu, "SELECT side FROM assertion_detail ORDER BY assertion_id")
    assert [r["side"] for r in detail] == ["Russia", COUNCIL]
    summary = sql(shoigu, "SELECT sides_for FROM claim_summary")
    assert summary == [{"sides_for": 2}]
    # The timeline report too.
    report = parse_csv(shoigu.ok("report", "timeline").stdout)
    assert [r["side"] for r in report] == ["Russia", COUNCIL]


def test_actor_show_lists_every_membership(shoigu: Cli) -> None:
    data = shoigu.ok("actor", "show", "Sergei Shoigu", "--format", "json").json()
    assert data["part_of"] == COUNCIL
    assert data["side"] == COUNCIL
    assert data["memberships"] == [
        {"parent": MOD, "parent_id": 2, "since": None, "until": "2024-05", "current": False},
        {"parent": COUNCIL, "parent_id": 3, "since": "2024-05", "until": None, "current": True},
    ]
    text = shoigu.ok("actor", "show", "Sergei Shoigu").stdout
    assert f"was part of: {MOD} (until 2024-05)" in text
    assert f"part of: {COUNCIL} (since 2024-05)" in text
    parts = sql(shoigu, "SELECT parent, until, current FROM actor_part WHERE actor_id = 4")
    assert sorted((p["parent"], p["current"]) for p in parts) == [(MOD, 0), (COUNCIL, 1)]


def test_from_ends_the_current_membership(cli: Cli) -> None:
    for name in ("Old body", "New body", "Person X"):
        cli.ok("actor", "add", name)
    cli.ok("actor", "part-of", "Person X", "Old body", "--from", "2010")
    out = cli.ok(
        "actor", "part-of", "Person X", "New body", "--from", "2020-03", "--format", "json"
    )
    data = out.json()
    assert data["notes"] == [
        "ended: part of 'Old body' from 2010 until 2020-03",
        "part of 'New body' since 2020-03",
    ]
    assert [(m["parent"], m["since"], m["until"]) for m in data["memberships"]] == [
        ("Old body", "2010", "2020-03"),
        ("New body", "2020-03", None),
    ]
    again = cli.ok(
        "actor", "part-of", "Person X", "New body", "--from", "2020-03", "--format", "json"
    )
    assert again.json()["changed"] is False


def test_a_current_only_hierarchy_counts_as_before(seeded_cli: Cli) -> None:
    """Without a date in the hierarchy, the side of every assertion is its actor's side today,
    in the view and in the commands."""
    by_view = sql(
        seeded_cli,
        "SELECT a.id AS id, s.side AS side FROM assertion AS a "
        "JOIN actor_side AS s ON s.actor_id = a.actor_id ORDER BY a.id",
    )
    by_date = sql(seeded_cli, "SELECT assertion_id AS id, side FROM assertion_side ORDER BY 1")
    assert by_view == by_date and by_view
    sides = {a["id"]: a["side"] for a in show(seeded_cli, 1)["assertions"]}
    assert sides == {r["id"]: r["side"] for r in by_view if r["id"] in sides}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["actor", "part-of", MOD, "Sergei Shoigu"],
            1,
            f"'{MOD}' cannot be part of 'Sergei Shoigu': 'Sergei Shoigu' is or was part of "
            f"'{MOD}' (Sergei Shoigu → {MOD}), in some period",
        ),
        (
            ["actor", "part-of", "Sergei Shoigu", "Russia", "--from", "2020", "--until", "2023"],
            1,
            f"'Sergei Shoigu' was part of '{MOD}' until 2024-05, which meets the period given",
        ),
        (
            ["actor", "part-of", "Sergei Shoigu", "Russia", "--from", "2025", "--until", "2024"],
            2,
            "--until: must be after --from (2025)",
        ),
        (["actor", "part-of", "Sergei Shoigu", "--from", "2020"], 2, "need the parent"),
        (
            ["actor", "part-of", "Sergei Shoigu", "Russia", "--from", "2024-06", "--until", "2025"],
            1,
            f"'Sergei Shoigu' is part of '{COUNCIL}' since 2024-05, which the period given meets",
        ),
        (["actor", "unpart", "Sergei Shoigu", "Russia"], 1, "has no recorded membership in"),
        (["actor", "part-of", "Sergei Shoigu", MOD, "--until", "2024-13"], 2, "--until"),
    ],
)
def test_refusals_change_nothing(shoigu: Cli, args: list[str], code: int, message: str) -> None:
    before = sql(shoigu, "SELECT count(*) AS n FROM change")
    line = fails(shoigu(*args), code)
    assert message in line, line
    assert sql(shoigu, "SELECT count(*) AS n FROM change") == before


def test_unpart_removes_a_membership_recorded_wrongly(shoigu: Cli) -> None:
    data = shoigu.ok("actor", "unpart", "Sergei Shoigu", MOD, "--format", "json").json()
    assert data["notes"] == [f"removed: part of '{MOD}' until 2024-05"]
    assert [m["parent"] for m in data["memberships"]] == [COUNCIL]
    # Both statements now count for the council (the 2023 one: its start is 2024-05, so on
    # 2023-06 Shoigu belonged to nothing: his own side).
    assert [a["side"] for a in show(shoigu, 1)["assertions"]] == ["Sergei Shoigu", COUNCIL]
    history = shoigu.ok("history", "actor", "Sergei Shoigu", "--format", "json").json()
    assert any(h["table"] == "actor_membership" and h["op"] == "delete" for h in history)


def test_merge_moves_memberships_and_delete_is_refused(shoigu: Cli) -> None:
    line = fails(shoigu("actor", "delete", MOD), 1)
    assert "1 ended membership" in line
    shoigu.ok("actor", "add", "Shoygu")
    shoigu.ok("actor", "merge", "Sergei Shoigu", "Shoygu")
    data = shoigu.ok("actor", "show", "Shoygu", "--format", "json").json()
    assert [m["parent"] for m in data["memberships"]] == [MOD]
    assert [a["side"] for a in show(shoigu, 1)["assertions"]] == ["Russia", "Shoygu"]


def test_json_lines_round_trip(shoigu: Cli, empty_target: DatabaseTarget, tmp_path: Path) -> None:
    shoigu.ok("actor", "alias", "Sergei Shoigu", "Minister Shoigu", "--until", "2024-05")
    first = tmp_path / "one.jsonl"
    shoigu.ok("export", str(first))
    record = next(line for line in first.read_text().splitlines() if "Sergei Shoigu" in line)
    assert '"part_of_since": "2024-05"' in record
    assert f'"memberships": [{{"parent": "{MOD}", "since": null, "until": "2024-05"}}]' in record
    second = tmp_path / "two.jsonl"
    other = Cli(empty_target)
    other.ok("db", "upgrade")
    other.ok("import", str(first))
    other.ok("export", str(second))
    assert second.read_text() == first.read_text()
    again = other.ok("import", str(first), "--format", "json").json()
    assert all(row["new"] == 0 for row in again), again


def test_bad_memberships_in_json_lines(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"type": "actor", "name": "B"}\n'
        '{"type": "actor", "name": "A", "memberships": [{"parent": "B", "since": "2020"}]}\n'
    )
    result = cli("import", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "bad.jsonl:2: memberships.until: is required" in result.stderr
    assert sql(cli, "SELECT count(*) AS n FROM actor") == [{"n": 0}]


def test_aliases_carry_the_period_they_were_in_use(shoigu: Cli, tmp_path: Path) -> None:
    data = shoigu.ok(
        "actor",
        "alias",
        "Sergei Shoigu",
        "Minister Shoigu",
        "--until",
        "2024-05",
        "--format",
        "json",
    ).json()
    assert data["added"] == ["Minister Shoigu"]
    assert data["notes"] == ["alias 'Minister Shoigu' in use until 2024-05"]
    assert data["alias_periods"] == [
        {"alias": "Minister Shoigu", "since": None, "until": "2024-05"}
    ]
    # It resolves at all times, and shows its period.
    shown = shoigu.ok("actor", "show", "Minister Shoigu")
    assert "aliases: Minister Shoigu (until 2024-05)" in shown.stdout
    line = fails(shoigu("actor", "alias", "Sergei Shoigu", "Sergei Shoigu", "--from", "2000"), 2)
    assert "is the actor's name, not one of its aliases" in line
    path = tmp_path / "out.jsonl"
    shoigu.ok("export", str(path))
    assert '"alias_periods": [{"alias": "Minister Shoigu", "since": null, "until": "2024-05"}]' in (
        path.read_text()
    )


def test_actor_filter_follows_ended_memberships(shoigu: Cli) -> None:
    """`list --actor "Ministry of Defence"` finds the claim Shoigu spoke on while a member."""
    assert [c["id"] for c in listed(shoigu, "--actor", MOD)] == [1]
    assert [c["id"] for c in listed(shoigu, "--actor", COUNCIL)] == [1]


def test_pages_show_memberships(shoigu: Cli, tmp_path: Path) -> None:
    out = tmp_path / "site"
    shoigu.ok("site", "-o", str(out))
    page = (out / "actors" / "4.html").read_text()
    assert 'was part of: <a href="../actors/2.html"><bdi>' + MOD + "</bdi></a> (until 2024-05)" in (
        page
    )
    assert "(since 2024-05)" in page
    # The ministry's page lists what its former member said, as `list --actor` finds it.
    ministry = (out / "actors" / "2.html").read_text()
    assert ministry.count("data-assertion=") == 2
