"""``factdb list`` and ``factdb show``: the seed dispute recorded by hand, sides through aliases
and ``part_of``, as-of views, reversals, filters, output formats and verbatim text.

Each test runs on SQLite and PostgreSQL (the ``cli`` fixture).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import add, fails, listed, parse_csv, show

CLAIM = "North Korea has shipped weapons to Russia"
TROOPS = "North Korean troops are deployed to Russia"
OUTREACH = "Russia has reached out to North Korea for help"
URL_A = "https://example.org/a"
URL_B = "https://example.org/b"
URL_C = "https://example.org/c"


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [r["id"] for r in rows]


def make_actors(cli: Any) -> None:
    cli.ok("actor", "add", "United States", "--kind", "state")
    cli.ok("actor", "add", "White House", "--kind", "government", "--part-of", "United States")
    cli.ok(
        "actor", "add", "North Korea", "--kind", "state", "--alias", "Pyongyang", "--alias", "DPRK"
    )
    cli.ok("actor", "add", "Russia", "--kind", "state", "--alias", "Moscow")
    cli.ok("actor", "add", "Kremlin", "--kind", "government", "--part-of", "Russia")
    cli.ok("actor", "add", "Dmitry Peskov", "--kind", "person", "--part-of", "Kremlin")
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
    )


def record_dispute(cli: Any, *, nk_date: str = "2023-07", ru_date: str = "2023-07-27") -> int:
    """The seed dispute by hand: the White House asserts, Pyongyang and Moscow deny."""
    r = add(
        cli,
        CLAIM,
        by="White House",
        stance="asserts",
        source=URL_A,
        date="2023-07-26",
        tags=["arms-transfer"],
        violates=["UNSC Resolution 1718"],
    )
    claim_id = int(r["claim_id"])
    add(cli, claim_id, by="Pyongyang", stance="denies", source=URL_A, date=nk_date)
    add(cli, claim_id, by="Moscow", stance="denies", source=URL_A, date=ru_date)
    return claim_id


@pytest.fixture
def dispute(cli: Any) -> tuple[Any, int]:
    make_actors(cli)
    return cli, record_dispute(cli)


@pytest.fixture
def reversal(cli: Any) -> tuple[Any, int, int, int]:
    """The dispute, a reversal by Russia (denies 2024-10-18, asserts 2025-04-26), and a claim
    on which only Peskov spoke. Returns (cli, dispute id, reversed id, Peskov-only id)."""
    make_actors(cli)
    dispute_id = record_dispute(cli)
    troops = add(
        cli,
        TROOPS,
        by="White House",
        stance="asserts",
        source=URL_B,
        date="2024-10-16",
    )["claim_id"]
    add(
        cli,
        troops,
        by="Russia",
        stance="denies",
        source=URL_B,
        date="2024-10-18",
        quote="fake news",
    )
    add(cli, troops, by="Dmitry Peskov", stance="asserts", source=URL_C, date="2025-04-26")
    outreach = add(
        cli, OUTREACH, by="Dmitry Peskov", stance="denies", source=URL_C, date="2023-07-28"
    )["claim_id"]
    return cli, dispute_id, int(troops), int(outreach)


# --- the seed dispute by hand -------------------------------------------------------------


def test_sides_roll_up_through_aliases_and_parts(dispute):
    cli, claim_id = dispute
    data = show(cli, claim_id)
    assert data["for"] == ["United States"]
    assert data["against"] == ["North Korea", "Russia"]
    assert data["neutral"] == []
    assert data["contested"] is True
    assert data["reversed"] is False
    assert data["tags"] == ["arms-transfer"]
    assert data["violates"] == ["UNSC Resolution 1718"]
    by_actor = {a["actor"]: a for a in data["assertions"]}
    assert set(by_actor) == {"White House", "North Korea", "Russia"}
    assert by_actor["White House"]["side"] == "United States"
    assert by_actor["North Korea"]["date"] == "2023-07"
    assert by_actor["North Korea"]["date_precision"] == "month"
    assert by_actor["Russia"]["date"] == "2023-07-27"
    assert data["first_date"] == "2023-07"
    assert data["last_date"] == "2023-07-27"


def test_show_json_assertion_fields(dispute):
    cli, claim_id = dispute
    data = show(cli, claim_id)
    for a in data["assertions"]:
        assert {
            "id",
            "actor",
            "side",
            "stance",
            "polarity",
            "date",
            "date_precision",
            "source",
            "via",
            "quote",
            "retracted",
        } <= set(a)
        assert {"url", "outlet", "title", "published"} <= set(a["source"])
        assert isinstance(a["via"], list)


def test_list_contested_finds_the_dispute(dispute):
    cli, claim_id = dispute
    other = add(
        cli,
        OUTREACH,
        by="White House",
        stance="asserts",
        source=URL_B,
        date="2023-07-26",
    )["claim_id"]
    rows = listed(cli, "--contested")
    assert ids(rows) == [claim_id]
    assert rows[0]["for"] == ["United States"]
    assert rows[0]["against"] == ["North Korea", "Russia"]
    assert rows[0]["contested"] is True
    assert sorted(ids(listed(cli))) == sorted([claim_id, other])


def test_table_show_and_list_smoke(dispute):
    cli, claim_id = dispute
    out = cli.ok("show", str(claim_id)).stdout
    for word in (
        "CONTESTED",
        "United States",
        "North Korea",
        "Russia",
        "White House",
        "FOR",
        "AGAINST",
    ):
        assert word in out
    out = cli.ok("list").stdout
    assert "CONTESTED" in out
    assert "Russia" in out  # columns are narrow at 80: longer names wrap


def test_list_actor_includes_its_parts(reversal):
    cli, dispute_id, troops, outreach = reversal
    found = ids(listed(cli, "--actor", "Russia"))
    assert outreach in found  # only Peskov spoke: Peskov → Kremlin → Russia
    assert dispute_id in found and troops in found
    assert ids(listed(cli, "--actor", "Kremlin")) == sorted([troops, outreach])
    assert ids(listed(cli, "--actor", "Moscow")) == found  # through the alias
    assert outreach not in ids(listed(cli, "--actor", "United States"))


def test_list_actor_unknown_fails(dispute):
    cli, _ = dispute
    line = fails(cli("list", "--actor", "Atlantis"), 1)
    assert "Atlantis" in line


# --- as-of ----------------------------------------------------------------------------------


def test_as_of_before_anything(cli):
    make_actors(cli)
    claim_id = record_dispute(cli, nk_date="2023-07-27", ru_date="2023-07-28")
    assert listed(cli, "--as-of", "2023-07-25") == []
    data = show(cli, claim_id, "--as-of", "2023-07-25")
    assert data["assertions"] == []
    assert data["for"] == [] and data["against"] == []
    assert data["contested"] is False
    assert data["as_of"] == "2023-07-25"
    out = cli.ok("show", str(claim_id), "--as-of", "2023-07-25").stdout
    assert "2023-07-25" in out


def test_as_of_between_assertion_and_denials(cli):
    make_actors(cli)
    claim_id = record_dispute(cli, nk_date="2023-07-27", ru_date="2023-07-28")
    data = show(cli, claim_id, "--as-of", "2023-07-26")
    assert data["for"] == ["United States"]
    assert data["against"] == []
    assert data["contested"] is False
    [row] = listed(cli, "--as-of", "2023-07-26")
    assert row["contested"] is False
    assert listed(cli, "--as-of", "2023-07-26", "--contested") == []
    # a day later Pyongyang has denied: contested, Russia not yet against
    data = show(cli, claim_id, "--as-of", "2023-07-27")
    assert data["against"] == ["North Korea"]
    assert data["contested"] is True
    assert ids(listed(cli, "--as-of", "2023-07-27", "--contested")) == [claim_id]
    assert show(cli, claim_id, "--as-of", "2023-07-28")["against"] == ["North Korea", "Russia"]


def test_as_of_partial_date_counts_the_whole_period(cli):
    make_actors(cli)
    claim_id = record_dispute(cli, nk_date="2023-07-27", ru_date="2023-07-28")
    assert show(cli, claim_id, "--as-of", "2023-07")["contested"] is True
    assert show(cli, claim_id, "--as-of", "2023")["against"] == ["North Korea", "Russia"]
    assert show(cli, claim_id, "--as-of", "2023-06")["assertions"] == []


def test_bad_dates_in_filters(dispute):
    cli, claim_id = dispute
    for bad in ("yesterday", "2023-13", "31/12/2024"):
        line = fails(cli("show", str(claim_id), "--as-of", bad), 2)
        assert "--as-of" in line, bad
        for option in ("--as-of", "--since", "--until"):
            line = fails(cli("list", option, bad), 2)
            assert option in line, (option, bad)


# --- reversals ------------------------------------------------------------------------------


def test_reversal_in_show(reversal):
    cli, _, troops, _ = reversal
    data = show(cli, troops)
    assert data["reversed"] is True
    assert sorted(data["for"]) == ["Russia", "United States"]
    assert data["against"] == ["Russia"]
    [flip] = data["reversals"]
    assert flip["side"] == "Russia"
    assert flip["from_stance"] == "denies"
    assert flip["from_date"] == "2024-10-18"
    assert flip["to_stance"] == "asserts"
    assert flip["to_date"] == "2025-04-26"
    out = cli.ok("show", str(troops)).stdout
    assert "REVERSED" in out


def test_list_reversed_finds_only_it(reversal):
    cli, dispute_id, troops, outreach = reversal
    rows = listed(cli, "--reversed")
    assert ids(rows) == [troops]
    assert rows[0]["reversed"] is True
    assert rows[0]["reversed_sides"] == ["Russia"]
    everything = {r["id"]: r for r in listed(cli)}
    assert everything[dispute_id]["reversed"] is False
    assert everything[outreach]["reversed"] is False
    assert "REVERSED" in cli.ok("list", "--reversed").stdout


def test_as_of_before_the_reversal(reversal):
    cli, _, troops, _ = reversal
    data = show(cli, troops, "--as-of", "2024-12-31")
    assert data["reversed"] is False
    assert data["reversals"] == []
    assert data["against"] == ["Russia"]
    assert data["contested"] is True
    assert listed(cli, "--reversed", "--as-of", "2024-12-31") == []
    assert "REVERSED" not in cli.ok("show", str(troops), "--as-of", "2024-12-31").stdout


def test_reversed_filter_and_flag_agree(cli):
    """Whatever ``--reversed`` selects is flagged reversed, and the other way round: a side
    that asserted, then on one later day both asserted and denied through two of its parts."""
    make_actors(cli)
    cid = add(
        cli,
        TROOPS,
        by="Russia",
        stance="asserts",
        source=URL_A,
        date="2024-01-01",
    )["claim_id"]
    add(cli, cid, by="Kremlin", stance="asserts", source=URL_C, date="2024-02-01")
    add(cli, cid, by="Dmitry Peskov", stance="denies", source=URL_B, date="2024-02-01")
    flagged = {r["id"] for r in listed(cli) if r["reversed"]}
    selected = set(ids(listed(cli, "--reversed")))
    assert selected == flagged
    assert show(cli, cid)["reversed"] == (cid in selected)


# --- other filters --------------------------------------------------------------------------


def test_filters_stance_tag_search_sanction_since_until_limit(reversal):
    cli, dispute_id, troops, outreach = reversal
    assert ids(listed(cli, "--tag", "arms-transfer")) == [dispute_id]
    assert ids(listed(cli, "--sanction", "UNSC Resolution 1718")) == [dispute_id]
    assert ids(listed(cli, "--search", "TROOPS")) == [troops]
    assert ids(listed(cli, "--search", "fake news")) == [troops]  # in a quote
    assert ids(listed(cli, "--search", "100%")) == []
    assert ids(listed(cli, "--stance", "asserts")) == [dispute_id, troops]
    assert ids(listed(cli, "--since", "2025")) == [troops]
    assert ids(listed(cli, "--until", "2023")) == [dispute_id, outreach]
    assert len(listed(cli, "--limit", "1")) == 1
    assert listed(cli, "--limit", "0") == []


def test_date_windows_count_partial_dates(cli):
    """A year-precision assertion ("2024") starts on 2024-01-01: ``--since 2024`` counts it,
    in the row's sides as well as in the choice of claims."""
    cid = add(cli, TROOPS, by="Russia", stance="denies", source=URL_A, date="2024")["claim_id"]
    add(cli, cid, by="Ukraine", stance="asserts", source=URL_B, date="2024-03")
    [row] = listed(cli, "--since", "2024")
    assert row["against"] == ["Russia"]
    assert row["for"] == ["Ukraine"]
    assert row["assertions"] == 2
    assert row["contested"] is True
    [row] = listed(cli, "--until", "2024-01")
    assert row["against"] == ["Russia"] and row["for"] == []
    [row] = listed(cli, "--since", "2024-02", "--until", "2024-12-31")
    assert row["for"] == ["Ukraine"] and row["against"] == []


def test_list_bad_stance_filter(dispute):
    cli, _ = dispute
    line = fails(cli("list", "--stance", "alleged"), 2)
    assert "--stance" in line and "denies" in line


def test_list_unknown_sanction_filter(dispute):
    cli, _ = dispute
    fails(cli("list", "--sanction", "UNSC Resolution 9999"), 1)


def test_list_empty_database(cli):
    assert listed(cli) == []
    out = cli.ok("list").stdout
    assert out.strip()  # says there is nothing, rather than printing nothing
    assert cli.ok("list", "--format", "jsonl").stdout == ""


# --- show errors ----------------------------------------------------------------------------


def test_show_unknown_claim(cli):
    line = fails(cli("show", "999"), 1)
    assert "999" in line


def test_show_non_numeric_id(cli):
    fails(cli("show", "abc"), 2)


# --- formats --------------------------------------------------------------------------------


def test_list_formats(reversal):
    cli, *_ = reversal
    as_json = listed(cli)
    rows = parse_csv(cli.ok("list", "--format", "csv").stdout)
    assert len(rows) == len(as_json) == 3
    assert {"id", "claim", "for", "against", "contested", "reversed"} <= set(rows[0])
    assert [int(r["id"]) for r in rows] == ids(as_json)
    assert [r["claim"] for r in rows] == [r["claim"] for r in as_json]
    lines = cli.ok("list", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == as_json


def test_show_formats(dispute):
    cli, claim_id = dispute
    data = show(cli, claim_id)
    rows = parse_csv(cli.ok("show", str(claim_id), "--format", "csv").stdout)
    assert len(rows) == 3
    assert {"id", "actor", "side", "stance", "polarity", "date"} <= set(rows[0])
    by_actor = {r["actor"]: r for r in rows}
    assert by_actor["Russia"]["polarity"] == "-2"  # numbers are not formula-escaped
    assert by_actor["North Korea"]["date"] == "2023-07"
    [line] = cli.ok("show", str(claim_id), "--format", "jsonl").stdout.splitlines()
    assert json.loads(line) == data


def test_csv_formula_cells_are_escaped(cli):
    cid = add(
        cli,
        '=HYPERLINK("http://evil")',
        by="@someone",
        stance="asserts",
        source=URL_A,
        date="2024",
        quote="+1 says so",
    )["claim_id"]
    [row] = parse_csv(cli.ok("list", "--format", "csv").stdout)
    assert row["claim"] == '\'=HYPERLINK("http://evil")'
    assert row["for"] == "'@someone"
    [arow] = parse_csv(cli.ok("show", str(cid), "--format", "csv").stdout)
    assert arow["claim"].startswith("'=")
    assert arow["quote"] == "'+1 says so"
    assert arow["actor"] == "'@someone"
    # json stays exact
    assert show(cli, cid)["claim"] == '=HYPERLINK("http://evil")'


# --- stored text, verbatim ------------------------------------------------------------------

MARKUP = "[bold]x[/bold] and [/] and <script>alert(1)</script>"


def test_markup_and_bidi_kept_verbatim(cli):
    quote = MARKUP + " \u202eevil\u202c"
    cid = add(
        cli,
        "Claim with [red]markup[/red]",
        by="[b]Actor[/b]",
        stance="asserts",
        source=URL_A,
        date="2024",
        quote=quote,
    )["claim_id"]
    data = show(cli, cid)
    assert data["claim"] == "Claim with [red]markup[/red]"
    assert data["assertions"][0]["quote"] == quote
    assert data["assertions"][0]["actor"] == "[b]Actor[/b]"
    [line] = cli.ok("show", str(cid), "--format", "jsonl").stdout.splitlines()
    assert json.loads(line)["assertions"][0]["quote"] == quote
    [row] = parse_csv(cli.ok("show", str(cid), "--format", "csv").stdout)
    assert row["quote"] == quote
    result = cli.ok("show", str(cid))
    out = result.stdout
    assert "[bold]x[/bold]" in out
    assert "[/]" in out
    assert "<script>" in out
    assert "[red]markup[/red]" in out
    assert "[b]Actor[/b]" in out
    assert "\u202e" not in out
    assert "\\u202e" in out
    list_out = cli.ok("list").stdout
    assert "[red]markup[/red]" in list_out or "[red]" in list_out


def test_escape_character_kept_exact_and_shown_escaped(cli):
    """An ESC sequence in a quote (pasted from a terminal) is stored exactly and never reaches
    the terminal raw (docs/reliability.md)."""
    quote = "red \x1b[31mALERT\x1b[0m and \u202eevil"
    cid = add(
        cli,
        CLAIM,
        by="Russia",
        stance="denies",
        source=URL_A,
        date="2024",
        quote=quote,
    )["claim_id"]
    assert show(cli, cid)["assertions"][0]["quote"] == quote
    out = cli.ok("show", str(cid)).stdout
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "ALERT" in out


def test_nul_in_quote_refused(cli):
    fails(
        cli.add(
            CLAIM,
            by="Russia",
            stance="denies",
            source=URL_A,
            date="2024",
            quote="a\x00b",
            check=False,
        ),
        2,
    )
    assert listed(cli) == []
