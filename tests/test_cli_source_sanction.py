"""``factdb source add|list|show`` and ``factdb sanction add|list|show``.

Each test runs on SQLite and PostgreSQL (the ``cli`` fixture).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from factdb.cli.columns import CLAIM_ROW
from tests.helpers import add, fails, parse_csv

URL = "https://www.thenationalnews.com/world/asia/2023/07/27/kim-missile-tour/"
CLAIM = "North Korea has shipped weapons to Russia"
TROOPS = "North Korean troops are deployed to Russia"


def as_json(cli: Any, *args: str) -> Any:
    return cli.ok(*args, "--format", "json").json()


# --- sources --------------------------------------------------------------------------------


def test_source_add_and_show(cli):
    data = as_json(
        cli,
        "source",
        "add",
        URL,
        "--outlet",
        "The National",
        "--title",
        "Kim gives missile tour",
        "--published",
        "2023-07-27",
    )
    assert data["url"] == URL
    assert data["outlet"] == "The National"
    assert data["title"] == "Kim gives missile tour"
    assert data["published"] == "2023-07-27"
    assert data["assertions"] == 0
    shown = as_json(cli, "source", "show", str(data["id"]))
    assert shown["url"] == URL
    assert shown["assertion_list"] == []
    # by URL, in another spelling of the same page
    other = "http://THENATIONALNEWS.com/world/asia/2023/07/27/kim-missile-tour/?utm_campaign=x#top"
    assert as_json(cli, "source", "show", other)["id"] == data["id"]


def test_source_add_partial_published(cli):
    assert as_json(cli, "source", "add", URL, "--published", "2023-07")["published"] == "2023-07"
    [row] = as_json(cli, "source", "list")
    assert row["published"] == "2023-07"


def test_source_add_twice_fails(cli):
    cli.ok("source", "add", URL)
    line = fails(cli("source", "add", URL + "?utm_source=newsletter"), 1)
    assert "already" in line
    assert len(as_json(cli, "source", "list")) == 1


def test_source_add_non_http(cli):
    for bad in ("ftp://x", "notaurl", "javascript:alert(1)"):
        line = fails(cli("source", "add", bad), 2)
        assert "URL" in line, bad
    assert as_json(cli, "source", "list") == []


def test_source_add_bad_published(cli):
    line = fails(cli("source", "add", URL, "--published", "27 July 2023"), 2)
    assert "--published" in line
    assert as_json(cli, "source", "list") == []


def test_source_show_unknown(cli):
    fails(cli("source", "show", "999"), 1)
    fails(cli("source", "show", "https://example.org/nothing"), 1)
    fails(cli("source", "show", "The National"), 1)


def test_source_show_lists_its_assertions(cli):
    a = add(
        cli,
        CLAIM,
        by="White House",
        stance="asserts",
        source=URL,
        date="2023-07-26",
        via=["Reuters"],
    )
    add(cli, a["claim_id"], by="Russia", stance="denies", source=URL, date="2023-07")
    add(cli, TROOPS, by="Russia", stance="denies", source="https://example.org/x", date="2024")
    shown = as_json(cli, "source", "show", URL)
    assert shown["assertions"] == 2
    assert shown["claims"] == 1
    listed = shown["assertion_list"]
    assert {(x["actor"], x["stance"], x["date"]) for x in listed} == {
        ("White House", "asserts", "2023-07-26"),
        ("Russia", "denies", "2023-07"),
    }
    assert next(x for x in listed if x["actor"] == "White House")["via"] == ["Reuters"]
    rows = parse_csv(cli.ok("source", "show", URL, "--format", "csv").stdout)
    assert sorted(r["actor"] for r in rows) == ["Russia", "White House"]
    # at 80 columns every column keeps room for its header and a short word
    out = cli.ok("source", "show", URL).stdout
    for word in ("OUTLET", "ACTOR", "STANCE", "DATE", "Russia", "asserts", "denies"):
        assert word in out, out


def test_source_list_formats(cli):
    add(
        cli,
        CLAIM,
        by="White House",
        stance="asserts",
        source=URL,
        outlet="=The National",
        published="2023-07-27",
    )
    cli.ok("source", "add", "https://example.org/b", "--title", "Another, with a comma")
    data = as_json(cli, "source", "list")
    assert [s["assertions"] for s in data] == [1, 0]
    rows = parse_csv(cli.ok("source", "list", "--format", "csv").stdout)
    assert {"id", "url", "outlet", "title", "published", "assertions"} <= set(rows[0])
    assert rows[0]["outlet"] == "'=The National"
    assert rows[1]["title"] == "Another, with a comma"
    lines = cli.ok("source", "list", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == data
    out = cli.ok("source", "list").stdout
    for word in ("OUTLET", "PUBLISHED", "URL", "2023-07-27"):
        assert word in out, out


def test_source_list_empty(cli):
    assert as_json(cli, "source", "list") == []
    assert cli.ok("source", "list").stdout.strip()


# --- sanctions ------------------------------------------------------------------------------


@pytest.fixture
def sanctioned(cli: Any) -> Any:
    cli.ok("actor", "add", "United States", "--kind", "state")
    cli.ok("actor", "add", "White House", "--kind", "government", "--part-of", "United States")
    cli.ok("actor", "add", "North Korea", "--kind", "state", "--alias", "Pyongyang")
    cli.ok("actor", "add", "Russia", "--kind", "state", "--alias", "Moscow")
    cli.ok(
        "sanction",
        "add",
        "UNSC Resolution 1718",
        "--authority",
        "UN Security Council",
        "--adopted",
        "2006-10-14",
        "--target",
        "North Korea",
        "--measures",
        "Arms embargo; asset freeze",
    )
    cli.ok("sanction", "add", "UNSC Resolution 1874", "--adopted", "2009-06")
    return cli


def test_sanction_add_fields(cli):
    cli.ok("actor", "add", "North Korea", "--kind", "state", "--alias", "DPRK")
    data = as_json(
        cli,
        "sanction",
        "add",
        "UNSC Resolution 1718",
        "--authority",
        "UN Security Council",
        "--adopted",
        "2006-10-14",
        "--target",
        "DPRK",
        "--measures",
        "Arms embargo",
        "--url",
        "https://undocs.org/S/RES/1718",
    )
    assert data["name"] == "UNSC Resolution 1718"
    assert data["authority"] == "UN Security Council"
    assert data["adopted"] == "2006-10-14"
    assert data["targets"] == ["North Korea"]
    assert data["target_list"] == [
        {
            "actor": "North Korea",
            "actor_id": data["target_list"][0]["actor_id"],
            "listed": None,
            "delisted": None,
        }
    ]
    assert data["authority_actor"] == "UN Security Council"
    assert data["new_actors"] == ["UN Security Council"]
    assert data["measures"] == "Arms embargo"
    assert data["url"] == "https://undocs.org/S/RES/1718"
    assert data["claims"] == 0


def test_sanction_add_partial_adopted(cli):
    assert as_json(cli, "sanction", "add", "Some measure", "--adopted", "2009")["adopted"] == "2009"


def test_sanction_add_duplicate(sanctioned):
    line = fails(sanctioned("sanction", "add", "unsc resolution 1718"), 1)
    assert "UNSC Resolution 1718" in line
    assert len(as_json(sanctioned, "sanction", "list")) == 2


def test_sanction_add_new_target(cli):
    result = cli.ok("sanction", "add", "UNSC Resolution 1718", "--target", "Atlantis")
    assert "new actor 'Atlantis' (other, a sanction's target)" in result.stderr
    assert as_json(cli, "sanction", "list")[0]["targets"] == ["Atlantis"]


def test_sanction_add_near_target_refused(cli):
    cli.ok("actor", "add", "North Korea", "--kind", "state")
    line = fails(cli("sanction", "add", "UNSC Resolution 1718", "--target", "North Koreа"), 1)
    assert "North Korea" in line
    line = fails(cli("sanction", "add", "UNSC Resolution 1718", "--target", "Korea"), 1)
    assert "--target 'Korea' is no known actor" in line and "--new-actor" in line
    assert as_json(cli, "sanction", "list") == []
    assert [a["name"] for a in as_json(cli, "actor", "list")] == ["North Korea"]
    cli.ok("sanction", "add", "UNSC Resolution 1718", "--target", "Korea", "--new-actor")
    assert as_json(cli, "sanction", "list")[0]["targets"] == ["Korea"]


def test_sanction_add_bad_adopted(cli):
    line = fails(cli("sanction", "add", "UNSC Resolution 1718", "--adopted", "14/10/2006"), 2)
    assert "--adopted" in line
    assert as_json(cli, "sanction", "list") == []


def test_sanction_add_bad_name(cli):
    for name in ("", "  ", "a;b", "two\nlines"):
        fails(cli("sanction", "add", name), 2)
    assert as_json(cli, "sanction", "list") == []


def test_sanction_show_lists_claims_with_sides(sanctioned):
    cli = sanctioned
    a = add(
        cli,
        CLAIM,
        by="White House",
        stance="asserts",
        source=URL,
        date="2023-07-26",
        violates=["UNSC Resolution 1718", "UNSC Resolution 1874"],
    )
    add(cli, a["claim_id"], by="Pyongyang", stance="denies", source=URL, date="2023-07-27")
    add(cli, a["claim_id"], by="Moscow", stance="denies", source=URL, date="2023-07-27")
    add(
        cli,
        TROOPS,
        by="White House",
        stance="asserts",
        source=URL,
        date="2024",
        violates=["UNSC Resolution 1874"],
    )
    add(cli, "Unrelated claim", by="Russia", stance="asserts", source=URL, date="2024")
    data = as_json(cli, "sanction", "show", "UNSC Resolution 1718")
    assert data["name"] == "UNSC Resolution 1718"
    assert data["targets"] == ["North Korea"]
    assert data["claims"] == 1
    [claim] = data["claim_list"]
    assert claim["id"] == a["claim_id"]
    assert claim["for"] == ["United States"]
    assert claim["against"] == ["North Korea", "Russia"]
    assert claim["contested"] is True
    other = as_json(cli, "sanction", "show", "unsc resolution 1874")
    assert sorted(c["claim"] for c in other["claim_list"]) == sorted([CLAIM, TROOPS])
    rows = parse_csv(cli.ok("sanction", "show", "UNSC Resolution 1718", "--format", "csv").stdout)
    assert [r["claim"] for r in rows] == [CLAIM]
    assert rows[0]["against"] == "North Korea; Russia"
    out = cli.ok("sanction", "show", "UNSC Resolution 1718").stdout
    assert "1718" in out and "CONTESTED" in out
    counts = {s["name"]: s["claims"] for s in as_json(cli, "sanction", "list")}
    assert counts == {"UNSC Resolution 1718": 1, "UNSC Resolution 1874": 2}


def test_sanction_show_without_claims(sanctioned):
    data = as_json(sanctioned, "sanction", "show", "UNSC Resolution 1874")
    assert data["claim_list"] == []
    assert data["adopted"] == "2009-06"
    assert sanctioned.ok("sanction", "show", "UNSC Resolution 1874").stdout.strip()
    csv_out = sanctioned.ok("sanction", "show", "UNSC Resolution 1874", "--format", "csv").stdout
    assert csv_out.splitlines() == [",".join([*CLAIM_ROW, "link"])]  # the header alone


def test_sanction_show_by_id(sanctioned):
    [first, *_] = as_json(sanctioned, "sanction", "list")
    assert as_json(sanctioned, "sanction", "show", str(first["id"]))["name"] == first["name"]


def test_sanction_show_unknown(sanctioned):
    line = fails(sanctioned("sanction", "show", "UNSC Resolution 9999"), 1)
    assert "UNSC Resolution 9999" in line


def test_sanction_list_formats(sanctioned):
    data = as_json(sanctioned, "sanction", "list")
    assert [s["name"] for s in data] == ["UNSC Resolution 1718", "UNSC Resolution 1874"]
    rows = parse_csv(sanctioned.ok("sanction", "list", "--format", "csv").stdout)
    assert {"id", "name", "authority", "adopted", "targets", "claims", "responds_to"} <= set(
        rows[0]
    )
    assert rows[0]["targets"] == "North Korea"
    assert rows[0]["measures"] == "Arms embargo; asset freeze"
    assert rows[1]["adopted"] == "2009-06"
    lines = sanctioned.ok("sanction", "list", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == data
    out = sanctioned.ok("sanction", "list").stdout
    for word in ("NAME", "ADOPTED", "1718", "1874", "2006-10-14"):
        assert word in out, out


def test_sanction_list_empty(cli):
    assert as_json(cli, "sanction", "list") == []
    assert cli.ok("sanction", "list").stdout.strip()


def test_sanction_csv_formula_escaped(cli):
    cli.ok("sanction", "add", "=1+1", "--authority", "-council")
    [row] = parse_csv(cli.ok("sanction", "list", "--format", "csv").stdout)
    assert row["name"] == "'=1+1"
    assert row["authority"] == "'-council"
    assert as_json(cli, "sanction", "list")[0]["name"] == "=1+1"


def test_unknown_sanction_offers_the_closest_names(cli):
    """`--sanction 2231` points at "UNSC Resolution 2231" (its words are words of the name)
    instead of inviting a new sanction; with nothing close, the invitation stays."""
    cli.ok("sanction", "add", "UNSC Resolution 2231")
    cli.ok("sanction", "add", "UNSC Resolution 1718")
    for args in (
        ("list", "--sanction", "2231"),
        ("list", "--sanction", "resolution 2231"),
        ("sanction", "show", "UNSC 2231"),
        ("list", "--sanction", "UNSC Resolutoin 2231"),
    ):
        result = cli(*args)
        assert result.exit_code == 1, result
        assert result.stderr.startswith(f"error: no sanction {args[-1]!r}; did you mean ")
        assert "'UNSC Resolution 2231'" in result.stderr
        assert "1718" not in result.stderr
        assert len(result.stderr.splitlines()) == 1
    both = cli("list", "--sanction", "UNSC resolution")
    assert "'UNSC Resolution 1718'" in both.stderr and "'UNSC Resolution 2231'" in both.stderr
    nothing = cli("list", "--sanction", "Treaty of Versailles")
    assert nothing.stderr == (
        "error: no sanction 'Treaty of Versailles'; add it first with `factdb sanction add NAME`\n"
    )
