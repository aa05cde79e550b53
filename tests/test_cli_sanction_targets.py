"""Sanctions with an authority, several targets listed and delisted on dates, a programme, and
claims linked both ways (docs/design.md, Sanctions): the EU's October 2022 listing over
Iranian drones and UNSC Resolution 2231, end to end, the corrections of targets and links,
each refusal, actor merge and delete, the history, the JSON Lines round trip and the site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.helpers import add, fails, listed, parse_csv, show
from tests.test_roundtrip import counts, make_db, roundtrip

__all__ = ["make_db"]  # the fixture, for the round trip

DRONES = "Iran supplied Russia with drones used against Ukraine"
URL = "https://www.consilium.europa.eu/en/press/press-releases/2022/10/20/iran-drones/"
EU = "Council Implementing Regulation (EU) 2022/1394"
UNSC = "UNSC Resolution 2231"
PERSONS = ["Mohammad Hossein Bagheri", "Sayed Hojatollah Qureishi", "Saeed Aghajani"]
ENTITY = "Shahed Aviation Industries"


def as_json(cli: Cli, *args: str) -> Any:
    return cli.ok(*args, "--format", "json").json()


def drones(cli: Cli) -> int:
    """The drones claim, the EU listing in response to it (three persons and one entity,
    listed on the day) and UNSC 2231, whose violation it alleges. Returns the claim's id."""
    cli.ok("actor", "add", "Iran", "--kind", "state")
    added = add(cli, DRONES, by="Ukraine", stance="asserts", source=URL, date="2022-10-17")
    claim_id = int(added["claim_id"])
    eu = cli.ok(
        "sanction",
        "add",
        EU,
        "--authority",
        "Council of the EU",
        "--programme",
        "EU Iran drones",
        "--adopted",
        "2022-10-20",
        *(arg for name in [*PERSONS, ENTITY] for arg in ("--target", name)),
        "--listed",
        "2022-10-20",
        "--responds-to",
        str(claim_id),
        "--measures",
        "Asset freeze; travel ban",
        "--url",
        "https://eur-lex.europa.eu/eli/reg_impl/2022/1394/oj",
    )
    assert "new actor 'Council of the EU' (organization, the sanction's authority)" in eu.stderr
    assert f"new actor '{ENTITY}' (other, a sanction's target)" in eu.stderr
    cli.ok(
        "sanction",
        "add",
        UNSC,
        "--authority",
        "UN Security Council",
        "--programme",
        "UNSC 2231",
        "--adopted",
        "2015-07-20",
        "--target",
        "Iran",
    )
    cli.ok("claim", "link", str(claim_id), "--violates", UNSC)
    return claim_id


def test_drones_end_to_end(cli: Cli) -> None:
    claim_id = drones(cli)
    eu = as_json(cli, "sanction", "show", EU)
    assert (eu["authority"], eu["authority_actor"], eu["programme"]) == (
        "Council of the EU",
        "Council of the EU",
        "EU Iran drones",
    )
    assert eu["targets"] == [*PERSONS, ENTITY]
    assert [(t["actor"], t["listed"], t["delisted"]) for t in eu["target_list"]] == [
        (name, "2022-10-20", None) for name in [*PERSONS, ENTITY]
    ]
    assert (eu["claims"], eu["responds_to"]) == (0, 1)
    assert eu["claim_list"] == []
    assert [c["id"] for c in eu["response_list"]] == [claim_id]
    unsc = as_json(cli, "sanction", "show", UNSC)
    assert (unsc["targets"], unsc["claims"], unsc["responds_to"]) == (["Iran"], 1, 0)
    assert [c["id"] for c in unsc["claim_list"]] == [claim_id]
    assert unsc["response_list"] == []
    # the table tells both directions, the targets with their dates
    out = cli.ok("sanction", "show", EU).stdout
    for text in (
        "Council of the EU",
        "programme: EU Iran drones",
        f"{ENTITY} (listed 2022-10-20)",
        "claims alleging its violation",
        "claims it was imposed in response to",
        "Iran supplied Russia",
    ):
        assert text in out, out
    rows = parse_csv(cli.ok("sanction", "show", EU, "--format", "csv").stdout)
    assert [(r["id"], r["link"]) for r in rows] == [(str(claim_id), "imposed in response")]
    rows = parse_csv(cli.ok("sanction", "show", UNSC, "--format", "csv").stdout)
    assert [(r["id"], r["link"]) for r in rows] == [(str(claim_id), "alleged violation")]
    # list: authority, targets, claims both ways, in every format
    [eu_row, unsc_row] = as_json(cli, "sanction", "list")
    assert (eu_row["name"], eu_row["targets"], eu_row["responds_to"]) == (
        EU,
        [*PERSONS, ENTITY],
        1,
    )
    assert (unsc_row["authority"], unsc_row["claims"]) == ("UN Security Council", 1)
    [csv_eu, _] = parse_csv(cli.ok("sanction", "list", "--format", "csv").stdout)
    assert csv_eu["targets"] == "; ".join([*PERSONS, ENTITY])
    assert (csv_eu["programme"], csv_eu["claims"], csv_eu["responds_to"]) == (
        "EU Iran drones",
        "0",
        "1",
    )
    lines = cli.ok("sanction", "list", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == [eu_row, unsc_row]
    table = cli.ok("sanction", "list").stdout
    assert "and 1 more" in table and "UN Security Council" in table
    # the claim names the sanctions both ways
    data = show(cli, claim_id)
    assert (data["violates"], data["answered_by"]) == ([UNSC], [EU])
    out = cli.ok("show", str(claim_id)).stdout
    assert f"alleges violation of: {UNSC}" in out
    assert f"sanctions imposed in response: {EU}" in out
    # list --sanction follows both links
    assert [c["id"] for c in listed(cli, "--sanction", EU)] == [claim_id]
    assert [c["id"] for c in listed(cli, "--sanction", UNSC)] == [claim_id]
    # the actors count what names them
    iran = as_json(cli, "actor", "show", "Iran")
    assert (iran["target_of_sanctions"], iran["authority_of_sanctions"]) == (1, 0)
    council = as_json(cli, "actor", "show", "Council of the EU")
    assert (council["kind"], council["authority_of_sanctions"]) == ("organization", 1)
    assert "authority of 1 sanction" in cli.ok("actor", "show", "Council of the EU").stdout
    assert "target of 1 sanction" in cli.ok("actor", "show", ENTITY).stdout


def test_known_authority_and_alias_are_found(cli: Cli) -> None:
    cli.ok("actor", "add", "UN Security Council", "--kind", "organization", "--alias", "UNSC")
    cli.ok("actor", "add", "North Korea", "--kind", "state", "--alias", "DPRK")
    result = cli.ok(
        "sanction", "add", "UNSC Resolution 1718", "--authority", "UNSC", "--target", "DPRK"
    )
    assert result.stderr == ""
    data = as_json(cli, "sanction", "show", "UNSC Resolution 1718")
    assert (data["authority"], data["authority_actor"]) == ("UNSC", "UN Security Council")
    assert data["targets"] == ["North Korea"]
    assert "UN Security Council (as given: UNSC)" in cli.ok("sanction", "show", "1").stdout


def test_targets_and_links_corrected_and_recorded(cli: Cli) -> None:
    claim_id = drones(cli)
    data = as_json(
        cli, "sanction", "target", EU, "Saeed Aghajani", "--delisted", "2024-03", "--reason", "x"
    )
    [change] = data["changes"]
    assert change["field"] == "targets"
    assert "Saeed Aghajani (listed 2022-10-20, delisted 2024-03)" in change["new"]
    added = cli.ok("sanction", "target", EU, "Iran", "--listed", "2023-07")
    assert "Iran (listed 2023-07)" in added.stdout
    # '' clears a date
    cli.ok("sanction", "target", EU, "Iran", "--listed", "")
    dated = {t["actor"]: t for t in as_json(cli, "sanction", "show", EU)["target_list"]}
    assert (dated["Iran"]["listed"], dated["Saeed Aghajani"]["delisted"]) == (None, "2024-03")
    data = as_json(cli, "sanction", "untarget", EU, "Iran")
    assert data["action"] == "edited"
    assert as_json(cli, "sanction", "show", EU)["targets"] == [*PERSONS, ENTITY]
    # response links, the claim's side of them
    other = add(
        cli,
        "Iran trained Russian drone operators in Crimea",
        by="Ukraine",
        stance="asserts",
        source=URL,
        date="2022-10",
    )["claim_id"]
    data = as_json(cli, "sanction", "respond", EU, "--to", str(other))
    assert [(c["old"], c["new"]) for c in data["changes"]] == [
        ([f"claim {claim_id}"], [f"claim {claim_id}", f"claim {other}"])
    ]
    again = as_json(cli, "sanction", "respond", EU, "--to", str(other))
    assert again["action"] == "unchanged"
    cli.ok("sanction", "unrespond", EU, "--to", str(claim_id))
    assert show(cli, claim_id)["answered_by"] == []
    assert show(cli, other)["answered_by"] == [EU]
    # edit: the authority is an actor, the programme a field
    data = as_json(cli, "sanction", "edit", EU, "--authority", "European Union", "--programme", "")
    changes = {c["field"]: (c["old"], c["new"]) for c in data["changes"]}
    assert changes == {
        "authority": ("Council of the EU", "European Union"),
        "authority_actor": ("Council of the EU", "European Union"),
        "programme": ("EU Iran drones", None),
    }
    assert data["notes"] == ["new actor 'European Union' (organization, the sanction's authority)"]
    # every change is in the sanction's history
    history = as_json(cli, "history", "sanction", EU)
    tables = {(h["table"], h["op"]) for h in history}
    assert {
        ("sanction_target", "insert"),
        ("sanction_target", "update"),
        ("sanction_target", "delete"),
        ("sanction_response", "insert"),
        ("sanction_response", "delete"),
        ("sanction", "update"),
    } <= tables
    assert any(
        h["table"] == "sanction_target" and "delisted" in h["what"] and h["reason"] == "x"
        for h in history
    )


def _state(cli: Cli) -> Any:
    return (
        as_json(cli, "sanction", "list"),
        as_json(cli, "actor", "list"),
        as_json(cli, "sql", "SELECT count(*) AS n FROM change"),
    )


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["sanction", "target", "No such sanction", "Iran"], 1, "no sanction"),
        (["sanction", "target", EU, "Iran", "--listed", "2024", "--delisted", "2023"], 2, "before"),
        (
            ["sanction", "target", EU, "Saeed Aghajani", "--delisted", "2021"],
            2,
            "before the listing",
        ),
        (["sanction", "target", EU, "Iran", "--listed", "20-10-2022"], 2, "--listed"),
        (["sanction", "target", EU, "Aghajani"], 1, "--new-actor"),
        (["sanction", "untarget", EU, "Iran"], 1, "does not target 'Iran'"),
        (["sanction", "untarget", EU, "Saeed Aghajani", "Iran"], 1, "nothing was removed"),
        (["sanction", "untarget", EU, "Nobody"], 1, "no actor"),
        (["sanction", "respond", EU, "--to", "999"], 1, "no claim 999"),
        (["sanction", "unrespond", UNSC, "--to", "1"], 1, "not recorded as imposed in response"),
        (["sanction", "respond", EU], 2, "--to"),
        (["sanction", "edit", EU, "--authority", "Council of the E"], 1, "--new-actor"),
        (["sanction", "edit", EU, "--target", "Iran"], 2, "No such option"),
        (
            ["sanction", "add", "X", "--target", "Iran", "--listed", "2024", "--delisted", "2023"],
            2,
            "before",
        ),
        (["sanction", "add", "X", "--listed", "2024"], 2, "--target"),
        (["sanction", "add", "X", "--responds-to", "999"], 1, "no claim 999"),
        (["sanction", "add", "X", "--authority", "Council of the E"], 1, "did you mean"),
        (["sanction", "add", "X", "--target", "a;b"], 2, "';'"),
    ],
)
def test_refusals_write_nothing(cli: Cli, args: list[str], code: int, expected: str) -> None:
    drones(cli)
    before = _state(cli)
    assert expected in fails(cli(*args), code)
    assert _state(cli) == before


def test_merge_moves_targets_and_authorities(cli: Cli) -> None:
    drones(cli)
    cli.ok("actor", "add", "Islamic Republic of Iran", "--kind", "state")
    cli.ok("sanction", "target", UNSC, "Islamic Republic of Iran", "--listed", "2015")
    cli.ok("sanction", "target", EU, "Islamic Republic of Iran")
    cli.ok("actor", "add", "Council of the European Union", "--kind", "organization")
    # Iran and its other name both targets of UNSC 2231: INTO's is kept, said
    out = cli.ok("actor", "merge", "Islamic Republic of Iran", "Iran").stdout
    assert "sanctions re-targeted: 1" in out
    assert f"sanction '{UNSC}' targeted both: kept once, as 'Iran'" in out
    [kept] = as_json(cli, "sanction", "show", UNSC)["target_list"]
    assert (kept["actor"], kept["listed"]) == ("Iran", None)  # INTO's undated target stayed

    assert as_json(cli, "sanction", "show", EU)["targets"][-1] == "Iran"
    assert as_json(cli, "actor", "show", "Iran")["target_of_sanctions"] == 2
    table = cli.ok("actor", "merge", "Council of the EU", "Council of the European Union").stdout
    assert "sanctions' authority moved: 1" in table
    eu = as_json(cli, "sanction", "show", EU)
    assert (eu["authority"], eu["authority_actor"]) == (
        "Council of the EU",
        "Council of the European Union",
    )
    out = cli.ok("sanction", "show", EU).stdout
    assert "Council of the European Union (as given: Council of the EU)" in out
    # delete: refused while a sanction names it, each use counted
    line = fails(cli("actor", "delete", "Iran"), 1)
    assert "2 sanctions as their target" in line
    line = fails(cli("actor", "delete", "Council of the European Union"), 1)
    assert "1 sanction as its authority" in line
    cli.ok("sanction", "untarget", EU, ENTITY)
    cli.ok("actor", "delete", ENTITY)


def test_jsonl_round_trip(cli: Cli, make_db: Any, tmp_path: Path) -> None:
    claim_id = drones(cli)
    cli.ok("sanction", "target", EU, "Saeed Aghajani", "--delisted", "2024-03")
    cli.ok("actor", "rename", "UN Security Council", "United Nations Security Council")
    first = tmp_path / "first.jsonl"
    cli.ok("export", str(first))
    records = [json.loads(line) for line in first.read_text().splitlines()]
    eu = next(r for r in records if r["type"] == "sanction" and r["name"] == EU)
    assert eu["authority"] == "Council of the EU" and "authority_actor" not in eu
    assert eu["programme"] == "EU Iran drones"
    assert eu["targets"][2] == {
        "actor": "Saeed Aghajani",
        "listed": "2022-10-20",
        "delisted": "2024-03",
    }
    assert eu["responds_to"] == [DRONES]
    unsc = next(r for r in records if r["type"] == "sanction" and r["name"] == UNSC)
    assert unsc["authority_actor"] == "United Nations Security Council"
    # a filter leaves out the response links to the claims it leaves out
    cli.ok("export", str(tmp_path / "none.jsonl"), "--tag", "nothing")
    none = [json.loads(line) for line in (tmp_path / "none.jsonl").read_text().splitlines()]
    assert next(r for r in none if r.get("name") == EU)["responds_to"] == []
    # into an empty database and out again: the same bytes, the same links
    empty = Cli(make_db("b"))
    (tmp_path / "trip").mkdir()
    again, second = roundtrip(cli, empty, "jsonl", tmp_path / "trip")
    assert second == again
    assert show(empty, claim_id)["answered_by"] == [EU]
    assert counts(empty.target) == counts(cli.target)


def test_old_single_target_and_unknown_response_claim(cli: Cli, tmp_path: Path) -> None:
    old = tmp_path / "old.jsonl"
    old.write_text(
        json.dumps(
            {
                "type": "sanction",
                "name": "UNSC Resolution 1718",
                "authority": "UN Security Council",
                "adopted": "2006-10-14",
                "target": "North Korea",
                "measures": None,
                "url": None,
            }
        )
        + "\n"
    )
    cli.ok("import", str(old))
    data = as_json(cli, "sanction", "show", "UNSC Resolution 1718")
    assert (data["targets"], data["authority_actor"]) == (["North Korea"], "UN Security Council")
    assert as_json(cli, "actor", "show", "UN Security Council")["kind"] == "organization"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"type": "sanction", "name": "EU X", "responds_to": ["No such claim"]})
        + "\n"
        + json.dumps(
            {
                "type": "sanction",
                "name": "EU Y",
                "targets": [{"actor": "A", "listed": "2024", "delisted": "2023"}],
            }
        )
        + "\n"
    )
    result = cli("import", str(bad))
    assert result.exit_code != 0
    assert "targets.delisted" in result.stderr and ":2" in result.stderr
    assert len(as_json(cli, "sanction", "list")) == 1


def test_site_pages_show_both_directions(cli: Cli, tmp_path: Path) -> None:
    claim_id = drones(cli)
    cli.ok("site", "-o", str(tmp_path / "site"))
    [eu] = [s for s in as_json(cli, "sanction", "list") if s["name"] == EU]
    page = (tmp_path / "site" / "sanctions" / f"{eu['id']}.html").read_text()
    council = as_json(cli, "actor", "show", "Council of the EU")["id"]
    assert f'href="../actors/{council}.html"' in page
    assert ENTITY in page and "listed 2022-10-20" in page
    assert 'id="n-responses">1<' in page and 'id="n-claims">0<' in page
    assert f'data-claim="{claim_id}"' in page
    claim_page = (tmp_path / "site" / "claims" / f"{claim_id}.html").read_text()
    assert "sanctions imposed in response" in claim_page and "alleges violation of" in claim_page


def test_merge_result_as_data(cli: Cli) -> None:
    drones(cli)
    cli.ok("actor", "add", "Tehran", "--kind", "state")
    cli.ok("sanction", "target", UNSC, "Tehran")
    data = as_json(cli, "actor", "merge", "Tehran", "Iran")
    assert (data["sanctions_moved"], data["targets_kept_once"], data["authorities_moved"]) == (
        0,
        [UNSC],
        0,
    )
    assert as_json(cli, "sanction", "show", UNSC)["targets"] == ["Iran"]


def test_claim_merge_moves_response_links(cli: Cli) -> None:
    claim_id = drones(cli)
    other = add(
        cli,
        "Iran sent Shahed drones to Russia",
        by="Ukraine",
        stance="asserts",
        source=URL,
        date="2022-10",
    )["claim_id"]
    cli.ok("sanction", "respond", UNSC, "--to", str(other))
    cli.ok("claim", "merge", str(other), str(claim_id))
    data = show(cli, claim_id)
    assert (data["violates"], data["answered_by"]) == ([UNSC], [EU, UNSC])
    assert as_json(cli, "sanction", "show", UNSC)["responds_to"] == 1


def test_actors_by_id_and_digits_never_new(cli: Cli) -> None:
    drones(cli)
    iran = as_json(cli, "actor", "show", "Iran")["id"]
    cli.ok("sanction", "target", EU, str(iran), "--listed", "2023")
    assert as_json(cli, "sanction", "show", EU)["targets"][-1] == "Iran"
    assert fails(cli("sanction", "target", EU, "999"), 1).startswith("error: no actor")
    assert fails(cli("sanction", "edit", EU, "--authority", "12"), 1).startswith("error: no actor")
