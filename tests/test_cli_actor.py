"""``factdb actor add|list|show|alias|merge|part-of``: names, aliases, kinds, hierarchy.

Each test runs on SQLite and PostgreSQL (the ``cli`` fixture).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.helpers import add, fails

KINDS = ("state", "government", "person", "media", "organization", "other")
URL = "https://example.org/a"
CLAIM = "North Korea has shipped weapons to Russia"


def actor(cli: Any, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = cli.ok("actor", *args, "--format", "json").json()
    return data


def actors(cli: Any) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in cli.ok("actor", "list", "--format", "json").json()}


@pytest.fixture
def world(cli: Any) -> Any:
    cli.ok("actor", "add", "United States", "--kind", "state")
    cli.ok("actor", "add", "White House", "--kind", "government", "--part-of", "United States")
    cli.ok(
        "actor", "add", "North Korea", "--kind", "state", "--alias", "Pyongyang", "--alias", "DPRK"
    )
    cli.ok("actor", "add", "Russia", "--kind", "state", "--alias", "Moscow")
    cli.ok("actor", "add", "Kremlin", "--kind", "government", "--part-of", "Russia")
    cli.ok("actor", "add", "Dmitry Peskov", "--kind", "person", "--part-of", "Kremlin")
    return cli


# --- add ------------------------------------------------------------------------------------


def test_add_returns_the_actor(cli):
    data = actor(
        cli, "add", "North Korea", "--kind", "state", "--alias", "Pyongyang", "--alias", "DPRK"
    )
    assert data["name"] == "North Korea"
    assert data["kind"] == "state"
    assert data["part_of"] is None
    assert data["side"] == "North Korea"
    assert sorted(data["aliases"]) == ["DPRK", "Pyongyang"]


def test_default_kind_is_other(cli):
    assert actor(cli, "add", "Somebody")["kind"] == "other"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind(cli, kind):
    assert actor(cli, "add", "X", "--kind", kind)["kind"] == kind


def test_part_of_chain_gives_the_side(world):
    listed = actors(world)
    assert listed["Dmitry Peskov"]["part_of"] == "Kremlin"
    assert listed["Dmitry Peskov"]["side"] == "Russia"
    assert listed["Kremlin"]["side"] == "Russia"
    assert listed["White House"]["side"] == "United States"
    assert listed["North Korea"]["side"] == "North Korea"
    assert sorted(listed["North Korea"]["aliases"]) == ["DPRK", "Pyongyang"]


def test_add_duplicate_name_fails(world):
    line = fails(world("actor", "add", "russia", "--kind", "state"), 1)
    assert "Russia" in line or "russia" in line
    assert len(actors(world)) == 6


def test_add_name_that_is_an_alias_fails(world):
    fails(world("actor", "add", "Pyongyang"), 1)
    assert "Pyongyang" not in actors(world)


def test_add_alias_that_is_another_actors_name_fails(world):
    line = fails(world("actor", "add", "Soviet Union", "--alias", "Russia"), 1)
    assert "Russia" in line
    assert "Soviet Union" not in actors(world)  # nothing half-created


def test_add_bad_kind(cli):
    line = fails(cli("actor", "add", "X", "--kind", "country"), 2)
    assert "--kind" in line
    for kind in KINDS:
        assert kind in line
    assert actors(cli) == {}


def test_add_unknown_parent(cli):
    line = fails(cli("actor", "add", "Kremlin", "--part-of", "Russia"), 1)
    assert "Russia" in line
    assert actors(cli) == {}


def test_add_bad_name(cli):
    for name in ("", "   ", "a;b", "two\nlines", "nul\x00here"):
        fails(cli("actor", "add", name), 2)
    assert actors(cli) == {}


def test_add_table_smoke(cli):
    out = cli.ok("actor", "add", "North Korea", "--kind", "state", "--alias", "DPRK").stdout
    assert "North Korea" in out and "DPRK" in out


# --- alias ----------------------------------------------------------------------------------


def test_alias_adds_names_that_resolve(world):
    data = actor(world, "alias", "United States", "Washington", "USA")
    assert sorted(data["added"]) == ["USA", "Washington"]
    assert sorted(data["aliases"]) == ["USA", "Washington"]
    r = add(world, CLAIM, by="washington", stance="asserts", source=URL, date="2024")
    assert r["actor"] == "United States"
    assert r["actor_created"] is False


def test_alias_again_is_not_added_twice(world):
    data = actor(world, "alias", "North Korea", "pyongyang", "North Korea")
    assert data["added"] == []
    assert sorted(data["aliases"]) == ["DPRK", "Pyongyang"]


def test_alias_equal_to_another_actors_name_fails(world):
    line = fails(world("actor", "alias", "North Korea", "Russia"), 1)
    assert "Russia" in line
    line = fails(world("actor", "alias", "North Korea", "moscow"), 1)  # another's alias
    assert "Russia" in line
    assert sorted(actors(world)["North Korea"]["aliases"]) == ["DPRK", "Pyongyang"]


def test_alias_failure_adds_none_of_them(world):
    fails(world("actor", "alias", "North Korea", "Chosun", "Moscow"), 1)
    assert "Chosun" not in actors(world)["North Korea"]["aliases"]


def test_alias_unknown_actor(world):
    fails(world("actor", "alias", "Atlantis", "Poseidonis"), 1)


def test_actor_by_alias_and_id(world):
    by_alias = actor(world, "show", "DPRK")
    assert by_alias["name"] == "North Korea"
    assert actor(world, "show", str(by_alias["id"]))["name"] == "North Korea"
    assert actor(world, "show", "  north   KOREA ")["name"] == "North Korea"


# --- part-of --------------------------------------------------------------------------------


def test_part_of_sets_and_clears(world):
    world.ok("actor", "add", "KCNA", "--kind", "media")
    data = actor(world, "part-of", "KCNA", "DPRK")
    assert data["part_of"] == "North Korea"
    assert data["side"] == "North Korea"
    assert actors(world)["KCNA"]["side"] == "North Korea"
    data = actor(world, "part-of", "KCNA")
    assert data["part_of"] is None
    assert actors(world)["KCNA"]["side"] == "KCNA"


def test_part_of_cycle_fails(world):
    line = fails(world("actor", "part-of", "Russia", "Kremlin"), 1)
    assert "Russia" in line and "Kremlin" in line
    fails(world("actor", "part-of", "Russia", "Dmitry Peskov"), 1)  # a longer loop
    fails(world("actor", "part-of", "Russia", "Moscow"), 1)  # itself, through its alias
    listed = actors(world)
    assert listed["Russia"]["part_of"] is None
    assert listed["Kremlin"]["part_of"] == "Russia"


def test_part_of_moves_the_side_of_past_stances(world):
    world.ok("actor", "add", "KCNA", "--kind", "media")
    r = add(world, CLAIM, by="KCNA", stance="denies", source=URL, date="2024")
    assert world.ok("show", str(r["claim_id"]), "--format", "json").json()["against"] == ["KCNA"]
    world.ok("actor", "part-of", "KCNA", "North Korea")
    shown = world.ok("show", str(r["claim_id"]), "--format", "json").json()
    assert shown["against"] == ["North Korea"]


def test_part_of_unknown_parent(world):
    fails(world("actor", "part-of", "Kremlin", "Atlantis"), 1)
    assert actors(world)["Kremlin"]["part_of"] == "Russia"


# --- show -----------------------------------------------------------------------------------


def test_show_lists_stances_and_parts(world):
    r = add(world, CLAIM, by="Dmitry Peskov", stance="denies", source=URL, date="2023-07-27")
    data = actor(world, "show", "Kremlin")
    assert data["part_of"] == "Russia"
    assert data["side"] == "Russia"
    assert data["parts"] == ["Dmitry Peskov"]
    [said] = data["assertions"]  # its own stances and its parts': Peskov's
    assert (said["actor"], said["claim_id"]) == ("Dmitry Peskov", r["claim_id"])
    data = actor(world, "show", "Dmitry Peskov")
    [a] = data["assertions"]
    assert a["claim_id"] == r["claim_id"]
    assert a["stance"] == "denies"
    assert a["date"] == "2023-07-27"
    # at 80 columns a stance and a date are not broken across lines
    out = world.ok("actor", "show", "Dmitry Peskov").stdout
    for word in ("Dmitry Peskov", "Kremlin", "STANCE", "denies", "2023-07-27"):
        assert word in out, out


def test_show_unknown_with_did_you_mean(world):
    line = fails(world("actor", "show", "Pyongyng"), 1)
    assert "Pyongyng" in line
    assert "did you mean" in line
    assert "Pyongyang" in line


def test_show_unknown_far_from_everything(world):
    line = fails(world("actor", "show", "Atlantis"), 1)
    assert "did you mean" not in line


def test_no_hint_for_a_short_unrelated_name(world):
    """ "US" is not a typo of "Russia" although it is a substring of it."""
    line = fails(world("actor", "show", "US"), 1)
    assert "Russia" not in line
    result = world.add(CLAIM, by="EU", stance="asserts", source=URL, date="2024")
    assert "did you mean" not in result.stderr


# --- merge ----------------------------------------------------------------------------------


def test_merge_moves_assertions_and_keeps_old_name(world):
    r = add(
        world,
        CLAIM,
        by="Moscow Kremlin",
        stance="denies",
        source=URL,
        date="2023-07-27",
        via=["Moscow Kremlin"],
    )
    other = add(
        world,
        "Another claim",
        by="TASS",
        stance="asserts",
        source=URL,
        date="2023-07-27",
        via=["Moscow Kremlin"],
    )
    world.ok("actor", "alias", "Moscow Kremlin", "The Kremlin")
    data = actor(world, "merge", "Moscow Kremlin", "Kremlin")
    assert data["into"] == "Kremlin"
    assert data["assertions_moved"] == [r["assertion_id"]]
    assert data["assertions_folded"] == []
    listed = actors(world)
    assert "Moscow Kremlin" not in listed
    assert {"Moscow Kremlin", "The Kremlin"} <= set(listed["Kremlin"]["aliases"])
    assert listed["Kremlin"]["assertions"] == 1
    shown = world.ok("show", str(r["claim_id"]), "--format", "json").json()
    [a] = shown["assertions"]
    assert a["actor"] == "Kremlin"
    assert a["side"] == "Russia"
    assert a["via"] == ["Kremlin"]
    assert shown["against"] == ["Russia"]
    via = world.ok("show", str(other["claim_id"]), "--format", "json").json()
    assert via["assertions"][0]["via"] == ["Kremlin"]
    # the old name now resolves to Kremlin
    again = add(world, CLAIM, by="Moscow Kremlin", stance="denies", source=URL, date="2023-07-28")
    assert again["actor"] == "Kremlin"
    assert again["actor_created"] is False


def test_merge_keeps_parts_and_identical_stances_once(world):
    world.ok("actor", "add", "Moscow Kremlin", "--kind", "government")
    world.ok("actor", "add", "Kremlin press office", "--part-of", "Moscow Kremlin")
    r = add(world, CLAIM, by="Moscow Kremlin", stance="denies", source=URL, date="2023-07-27")
    # the same stance, recorded twice under two names
    add(world, CLAIM, by="Kremlin", stance="denies", source=URL, date="2023-07-27")
    world.ok("actor", "merge", "Moscow Kremlin", "Kremlin")
    shown = world.ok("show", str(r["claim_id"]), "--format", "json").json()
    assert [a["actor"] for a in shown["assertions"]] == ["Kremlin"]
    assert actors(world)["Kremlin press office"]["part_of"] == "Kremlin"
    assert actors(world)["Kremlin press office"]["side"] == "Russia"


def test_merge_into_itself_fails(world):
    fails(world("actor", "merge", "Moscow", "Russia"), 1)
    assert "Russia" in actors(world)


def test_merge_unknown(world):
    fails(world("actor", "merge", "Atlantis", "Russia"), 1)
    fails(world("actor", "merge", "Russia", "Atlantis"), 1)
    assert len(actors(world)) == 6


def test_merge_parent_into_its_part(world):
    """Folding Russia into Kremlin (which is part of Russia) must not leave a loop."""
    add(world, CLAIM, by="Russia", stance="denies", source=URL, date="2024")
    world.ok("actor", "merge", "Russia", "Kremlin")
    listed = actors(world)
    assert "Russia" not in listed
    assert listed["Kremlin"]["part_of"] is None
    assert listed["Dmitry Peskov"]["side"] == "Kremlin"
    assert "Russia" in listed["Kremlin"]["aliases"]
    assert "Moscow" in listed["Kremlin"]["aliases"]


# --- list formats ---------------------------------------------------------------------------


def test_list_formats(world):
    as_json = world.ok("actor", "list", "--format", "json").json()
    assert len(as_json) == 6
    rows = list(csv.DictReader(io.StringIO(world.ok("actor", "list", "--format", "csv").stdout)))
    assert {"id", "name", "kind", "part_of", "side", "aliases"} <= set(rows[0])
    assert sorted(r["name"] for r in rows) == sorted(a["name"] for a in as_json)
    north = next(r for r in rows if r["name"] == "North Korea")
    assert set(north["aliases"].split("; ")) == {"DPRK", "Pyongyang"}
    lines = world.ok("actor", "list", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == as_json
    out = world.ok("actor", "list").stdout
    assert "Kremlin" in out and "NAME" in out


def test_list_csv_formula_names_escaped(cli):
    cli.ok("actor", "add", "=cmd|' /C calc'!A0", "--alias", "@alias")
    [row] = list(csv.DictReader(io.StringIO(cli.ok("actor", "list", "--format", "csv").stdout)))
    assert row["name"] == "'=cmd|' /C calc'!A0"
    assert actor(cli, "show", "@alias")["name"] == "=cmd|' /C calc'!A0"


def test_list_empty(cli):
    assert cli.ok("actor", "list", "--format", "json").json() == []
    assert cli.ok("actor", "list").stdout.strip()


def test_show_formats(world):
    add(world, CLAIM, by="Kremlin", stance="denies", source=URL, date="2024")
    data = actor(world, "show", "Kremlin")
    [line] = world.ok("actor", "show", "Kremlin", "--format", "jsonl").stdout.splitlines()
    assert json.loads(line) == data
    rows = list(
        csv.DictReader(io.StringIO(world.ok("actor", "show", "Kremlin", "--format", "csv").stdout))
    )
    assert [r["stance"] for r in rows] == ["denies"]


def test_failed_look_up_offers_the_names_it_is_part_of(cli):
    """A name that is a part of a known name ("Kanaani" of "Nasser Kanaani") is offered, as
    a close typo is."""
    cli.add(
        "Iran supplied drones to Russia",
        by="Nasser Kanaani",
        stance="denies",
        source="https://example.org/kanaani",
        date="2022-10-24",
    )
    for args in (("actor", "show", "Kanaani"), ("list", "--actor", "kanaani")):
        result = cli(*args)
        assert result.exit_code == 1, result
        assert result.stderr == (
            "error: no actor 'Kanaani'; did you mean 'Nasser Kanaani'?\n"
            if args[0] == "actor"
            else "error: no actor 'kanaani'; did you mean 'Nasser Kanaani'?\n"
        )
    typo = cli("actor", "show", "Nasser Kanani")
    assert "did you mean 'Nasser Kanaani'?" in typo.stderr
