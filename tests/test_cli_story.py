"""A dispute read as a story: every flip of a side (``show``, the views), ``timeline``, what
an actor and its parts said (``actor show``), what a relay carried (``--via``), and via chains
in the order they travelled. The Iranian-drones dispute of 2022, recorded from the command
line: the United States and Ukraine assert; Iran denies, admits "a limited number" on
2022-11-05, denies again on 2022-12-19; Russia says the drones are Russian-made.

Each test runs on SQLite and PostgreSQL (the ``cli`` fixture).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Cli
from tests.helpers import add, fails, listed, parse_csv, show

DRONES = "Iran has supplied Russia with drones used against Ukraine"
CRIMEA = "Iranian instructors train Russian drone crews in Crimea"
ADMISSION = "We gave a limited number of drones to Russia months before the Ukraine war"


def record_story(cli: Cli) -> dict[str, int]:
    """The dispute; returns the claims' and the assertions' ids by name."""
    for args in (
        ("United States", "--kind", "state"),
        # "The White House" publishes the briefings: the outlet is the actor (an alias)
        (
            "White House",
            "--kind",
            "government",
            "--part-of",
            "United States",
            "--alias",
            "The White House",
        ),
        ("John Kirby", "--kind", "person", "--part-of", "White House"),
        ("Ukraine", "--kind", "state"),
        ("Volodymyr Zelenskyy", "--kind", "person", "--part-of", "Ukraine"),
        ("Iran", "--kind", "state"),
        ("Iranian Foreign Ministry", "--kind", "government", "--part-of", "Iran"),
        ("Hossein Amir-Abdollahian", "--kind", "person", "--part-of", "Iranian Foreign Ministry"),
        ("Nasser Kanaani", "--kind", "person", "--part-of", "Iranian Foreign Ministry"),
        ("Russia", "--kind", "state"),
        ("Dmitry Peskov", "--kind", "person", "--part-of", "Russia"),
        ("IRNA", "--kind", "media"),
        ("IRNA English", "--kind", "media", "--part-of", "IRNA"),
        ("Reuters", "--kind", "media"),
    ):
        cli.ok("actor", "add", *args)
    ids: dict[str, int] = {}

    def said(key: str, claim: str | int, **options: Any) -> None:
        made = add(cli, claim, **options)
        ids[key] = int(made["assertion_id"])
        ids.setdefault("drones" if claim == DRONES else "crimea", int(made["claim_id"]))

    said(
        "ukraine",
        DRONES,
        by="Volodymyr Zelenskyy",
        stance="asserts",
        date="2022-09",
        source="https://www.president.gov.ua/en/news/drones",
        outlet="President of Ukraine",
        tags=["drones"],
    )
    said(
        "kanaani_denies",
        ids["drones"],
        by="Nasser Kanaani",
        stance="denies",
        date="2022-10-17",
        source="https://en.irna.ir/news/85000001",
        outlet="IRNA",
        via=["IRNA"],
    )
    said(
        "russia",
        ids["drones"],
        by="Dmitry Peskov",
        stance="denies",
        date="2022-10-18",
        source="https://www.reuters.com/world/kremlin-drones",
        outlet="Reuters",
        quote="Russian-made, with Russian names",
    )
    said(
        "us",
        ids["drones"],
        by="John Kirby",
        stance="asserts",
        date="2022-10-20",
        source="https://www.whitehouse.gov/briefing-room/kirby",
        outlet="The White House",
    )
    said(
        "minister_denies",
        ids["drones"],
        by="Hossein Amir-Abdollahian",
        stance="denies",
        date="2022-10-24",
        source="https://en.irna.ir/news/85000002",
        outlet="IRNA",
    )
    said(
        "admission",
        ids["drones"],
        by="Hossein Amir-Abdollahian",
        stance="asserts",
        date="2022-11-05",
        source="https://www.theguardian.com/world/2022/nov/05/iran-drones",
        outlet="The Guardian",
        via=["IRNA", "Reuters"],
        quote=ADMISSION,
        qualifier="partial",
        qualifier_note="a limited number, months before the war",
    )
    said(
        "denies_again",
        ids["drones"],
        by="Nasser Kanaani",
        stance="denies",
        date="2022-12-19",
        source="https://en.irna.ir/news/85000003",
        outlet="IRNA",
        via=["IRNA English"],
    )
    said(
        "crimea",
        CRIMEA,
        by="John Kirby",
        stance="asserts",
        date="2022-10-20",
        source="https://www.whitehouse.gov/briefing-room/kirby",
    )
    return ids


@pytest.fixture
def story(cli: Cli) -> tuple[Cli, dict[str, int]]:
    return cli, record_story(cli)


def flips_of(flips: list[dict[str, Any]]) -> list[tuple[str, int, str, str, int, str, str]]:
    return [
        (
            f["side"],
            f["from_assertion_id"],
            f["from_stance"],
            f["from_date"],
            f["to_assertion_id"],
            f["to_stance"],
            f["to_date"],
        )
        for f in flips
    ]


def iran_flips(ids: dict[str, int]) -> list[tuple[str, int, str, str, int, str, str]]:
    return [
        ("Iran", ids["minister_denies"], "denies", "2022-10-24", ids["admission"], "asserts",
         "2022-11-05"),
        ("Iran", ids["admission"], "asserts", "2022-11-05", ids["denies_again"], "denies",
         "2022-12-19"),
    ]  # fmt: skip


# --- every flip ------------------------------------------------------------------------------


def test_show_lists_every_flip_of_a_side(story):
    cli, ids = story
    data = show(cli, ids["drones"])
    assert data["reversed"] is True
    assert data["reversed_sides"] == ["Iran"]
    assert flips_of(data["reversals"]) == iran_flips(ids)
    assert {f["from_actor"] for f in data["reversals"]} == {"Hossein Amir-Abdollahian"}
    out = cli.ok("show", str(ids["drones"])).stdout
    first = f"Iran — denies, 2022-10-24 (#{ids['minister_denies']}) → asserts, 2022-11-05"
    second = f"Iran — asserts, 2022-11-05 (#{ids['admission']}) → denies, 2022-12-19"
    assert first in out and second in out, out
    # as the dispute stood at the end of November: the admission, and only that flip
    mid = show(cli, ids["drones"], "--as-of", "2022-11-30")
    assert flips_of(mid["reversals"]) == iran_flips(ids)[:1]
    assert show(cli, ids["drones"], "--as-of", "2022-10-31")["reversals"] == []


def test_a_day_of_both_signs_flips_each_way(cli):
    """A side that asserted, then on one later day both asserted and denied: one flip (to the
    denial); a later assertion flips back from that day's denial."""
    cli.ok("actor", "add", "Iran", "--kind", "state")
    cli.ok("actor", "add", "Iranian Foreign Ministry", "--part-of", "Iran")
    url = "https://example.org/"
    first = add(cli, DRONES, by="Iran", stance="asserts", source=url + "1", date="2022-10")
    cid = first["claim_id"]
    a = add(cli, cid, by="Iranian Foreign Ministry", stance="supports", source=url + "2",
            date="2022-11-01")  # fmt: skip
    b = add(cli, cid, by="Iran", stance="denies", source=url + "3", date="2022-11-01")
    c = add(cli, cid, by="Iran", stance="asserts", source=url + "4", date="2022-12")
    flips = [(f["from_assertion_id"], f["to_assertion_id"]) for f in show(cli, cid)["reversals"]]
    assert flips == [
        (first["assertion_id"], b["assertion_id"]),
        (b["assertion_id"], c["assertion_id"]),
    ]
    assert a["assertion_id"] not in {i for pair in flips for i in pair}
    assert [r["id"] for r in listed(cli, "--reversed")] == [cid]


def test_views_list_the_same_flips_and_keep_dates_as_given(story):
    cli, ids = story
    rows = cli.ok(
        "sql",
        "SELECT side, from_assertion_id, from_stance, from_date, to_assertion_id, to_stance, "
        "to_date FROM side_flip WHERE claim_id = :c ORDER BY side, to_date_start, to_assertion_id",
        "-p",
        f"c={ids['drones']}",
        "--format",
        "json",
    ).json()
    assert flips_of(rows) == iran_flips(ids)
    [summary] = cli.ok(
        "sql",
        "SELECT first_date, first_date_text, last_date_text, reversed FROM claim_summary "
        "WHERE claim_id = :c",
        "-p",
        f"c={ids['drones']}",
        "--format",
        "json",
    ).json()
    assert str(summary["first_date"]).startswith("2022-09-01")
    assert (summary["first_date_text"], summary["last_date_text"]) == ("2022-09", "2022-12-19")
    assert summary["reversed"] == 1
    [listed_row] = [r for r in listed(cli) if r["id"] == ids["drones"]]
    assert (listed_row["first_date"], listed_row["last_date"]) == ("2022-09", "2022-12-19")


def test_list_reversed_finds_the_story(story):
    cli, ids = story
    rows = listed(cli, "--reversed")
    assert [r["id"] for r in rows] == [ids["drones"]]
    assert rows[0]["reversed_sides"] == ["Iran"]
    assert listed(cli, "--reversed", "--as-of", "2022-10-31") == []


# --- via chains -----------------------------------------------------------------------------


def test_show_prints_the_via_chain_in_travel_order(story, monkeypatch):
    cli, ids = story
    monkeypatch.setenv("COLUMNS", "240")
    out = cli.ok("show", str(ids["drones"])).stdout
    assert "via chain: Hossein Amir-Abdollahian → IRNA → Reuters" in out, out
    assert "←" not in out
    [admission] = [a for a in show(cli, ids["drones"])["assertions"] if a["id"] == ids["admission"]]
    assert admission["via"] == ["IRNA", "Reuters"]  # JSON: nearest to the speaker first


def test_list_via_finds_what_a_relay_carried(story):
    cli, ids = story
    assert [r["id"] for r in listed(cli, "--via", "IRNA")] == [ids["drones"]]
    assert [r["id"] for r in listed(cli, "--via", "Reuters")] == [ids["drones"]]
    assert [r["id"] for r in listed(cli, "--via", "IRNA English")] == [ids["drones"]]
    assert listed(cli, "--via", "Dmitry Peskov") == []
    # only counted assertions: the chains through IRNA are dated from 2022-10-17
    assert listed(cli, "--via", "IRNA", "--until", "2022-10") != []
    assert listed(cli, "--via", "Reuters", "--until", "2022-11-04") == []
    # the relay's parts count as the relay: IRNA English is part of IRNA
    cli.ok("retract", str(ids["kanaani_denies"]), "--reason", "test")
    assert listed(cli, "--via", "IRNA", "--until", "2022-10-31") == []
    cli.ok("retract", str(ids["admission"]), "--reason", "test")
    assert [r["id"] for r in listed(cli, "--via", "IRNA")] == [ids["drones"]]  # IRNA English
    assert listed(cli, "--via", "Reuters") == []
    assert "IRNX" in fails(cli("list", "--via", "IRNX"), 1)


def test_reports_and_export_take_via(story):
    cli, ids = story
    rows = parse_csv(cli.ok("report", "side-by-side", "--via", "Reuters").stdout)
    assert [r["claim_id"] for r in rows] == [str(ids["drones"])]
    exported = [
        json.loads(line) for line in cli.ok("export", "-", "--via", "Reuters").stdout.splitlines()
    ]
    claims = [record["text"] for record in exported if record["type"] == "claim"]
    assert claims == [DRONES]


# --- timeline -------------------------------------------------------------------------------


def timeline(cli: Cli, claim_id: int, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = cli.ok("timeline", str(claim_id), *args, "--format", "json").json()
    return rows


def test_timeline_reads_the_dispute_in_date_order(story, monkeypatch):
    cli, ids = story
    rows = timeline(cli, ids["drones"])
    order = ["ukraine", "kanaani_denies", "russia", "us", "minister_denies", "admission",
             "denies_again"]  # fmt: skip
    assert [r["id"] for r in rows] == [ids[k] for k in order]
    assert rows[0]["date"] == "2022-09" and rows[0]["date_precision"] == "month"
    assert [(r["actor"], r["side"]) for r in rows[:3]] == [
        ("Volodymyr Zelenskyy", "Ukraine"),
        ("Nasser Kanaani", "Iran"),
        ("Dmitry Peskov", "Russia"),
    ]
    flips = [(r["id"], r["flip_from_assertion_id"]) for r in rows if r["flip"]]
    assert flips == [
        (ids["admission"], ids["minister_denies"]),
        (ids["denies_again"], ids["admission"]),
    ]
    by_id = {r["id"]: r for r in rows}
    admission = by_id[ids["admission"]]
    assert admission["chain"] == "Hossein Amir-Abdollahian → IRNA → Reuters"
    assert admission["via"] == ["IRNA", "Reuters"]
    assert admission["source"]["outlet"] == "The Guardian"
    assert admission["flip_from_stance"] == "denies"
    assert admission["quote"] == ADMISSION
    assert by_id[ids["us"]]["chain"] == "John Kirby"

    monkeypatch.setenv("COLUMNS", "240")
    out = cli.ok("timeline", str(ids["drones"])).stdout
    assert out.count("FLIP") == 2, out
    for text in ("2022-09", "Volodymyr Zelenskyy", "The Guardian", "Dmitry Peskov"):
        assert text in out, (text, out)
    assert "Hossein Amir-Abdollahian → IRNA → Reuters" in out, out


def test_timeline_filters(story):
    cli, ids = story
    drones = ids["drones"]
    iran = timeline(cli, drones, "--actor", "Iran")
    assert [r["id"] for r in iran] == [
        ids[k] for k in ("kanaani_denies", "minister_denies", "admission", "denies_again")
    ]
    assert [r["flip"] for r in iran] == [False, False, True, True]
    kanaani = timeline(cli, drones, "--actor", "Nasser Kanaani")
    assert [r["id"] for r in kanaani] == [ids["kanaani_denies"], ids["denies_again"]]
    assert kanaani[1]["flip_from_assertion_id"] == ids["admission"]  # the side's flip
    assert [r["id"] for r in timeline(cli, drones, "--via", "Reuters")] == [ids["admission"]]
    assert [r["id"] for r in timeline(cli, drones, "--via", "IRNA")] == [
        ids["kanaani_denies"],
        ids["admission"],
        ids["denies_again"],
    ]
    assert timeline(cli, drones, "--actor", "Russia", "--via", "IRNA") == []
    # the counted assertions: a flip needs both of its ends in the window
    since = timeline(cli, drones, "--since", "2022-11")
    assert [(r["id"], r["flip"]) for r in since] == [
        (ids["admission"], False),
        (ids["denies_again"], True),
    ]
    until = timeline(cli, drones, "--until", "2022-11-05")
    assert until[-1]["id"] == ids["admission"] and until[-1]["flip"] is True
    assert ids["denies_again"] not in {r["id"] for r in until}


def test_timeline_retracted_and_formats(story):
    cli, ids = story
    drones = str(ids["drones"])
    cli.ok("retract", str(ids["denies_again"]), "--reason", "misattributed")
    assert ids["denies_again"] not in {r["id"] for r in timeline(cli, ids["drones"])}
    rows = timeline(cli, ids["drones"], "--include-retracted")
    last = rows[-1]
    assert (last["id"], last["retracted"], last["flip"]) == (ids["denies_again"], True, True)
    assert last["retraction_reason"] == "misattributed"
    lines = cli.ok("timeline", drones, "--include-retracted", "--format", "jsonl").stdout
    assert [json.loads(line) for line in lines.splitlines()] == rows
    table = parse_csv(cli.ok("timeline", drones, "--include-retracted", "-f", "csv").stdout)
    assert [int(r["id"]) for r in table] == [r["id"] for r in rows]
    assert table[-1]["flip"] == "true" and table[-1]["retracted"] == "true"
    assert table[5]["chain"] == "Hossein Amir-Abdollahian → IRNA → Reuters"
    assert table[5]["via"] == "IRNA; Reuters"
    assert table[5]["source_outlet"] == "The Guardian"
    assert "[retracted]" in cli.ok("timeline", drones, "--include-retracted").stdout


def test_timeline_refusals(story):
    cli, ids = story
    assert "claim 999" in fails(cli("timeline", "999"), 1)
    assert "Atlantis" in fails(cli("timeline", str(ids["drones"]), "--actor", "Atlantis"), 1)
    assert "Atlantis" in fails(cli("timeline", str(ids["drones"]), "--via", "Atlantis"), 1)
    assert "--since" in fails(cli("timeline", str(ids["drones"]), "--since", "soon"), 2)
    assert "--until" in fails(cli("timeline", str(ids["drones"]), "--until", "2022-13"), 2)
    fails(cli("timeline", "one"), 2)
    out = cli.ok("timeline", str(ids["drones"]), "--actor", "Russia", "--since", "2023").stdout
    assert "no assertions match" in out
    assert cli.ok("timeline", str(ids["drones"]), "--since", "2023", "-f", "json").json() == []


# --- actor show ------------------------------------------------------------------------------


def test_actor_show_lists_its_parts_statements_in_date_order(story):
    cli, ids = story
    data = cli.ok("actor", "show", "Iran", "--format", "json").json()
    said = [(a["id"], a["actor"], a["date"]) for a in data["assertions"]]
    assert said == [
        (ids["kanaani_denies"], "Nasser Kanaani", "2022-10-17"),
        (ids["minister_denies"], "Hossein Amir-Abdollahian", "2022-10-24"),
        (ids["admission"], "Hossein Amir-Abdollahian", "2022-11-05"),
        (ids["denies_again"], "Nasser Kanaani", "2022-12-19"),
    ]
    out = cli.ok("actor", "show", "Iran").stdout
    assert "no assertions" not in out
    for name in ("Nasser Kanaani", "2022-12-19", "BY"):
        assert name in out, out
    minister = cli.ok("actor", "show", "Hossein Amir-Abdollahian", "-f", "json").json()
    assert [a["id"] for a in minister["assertions"]] == [ids["minister_denies"], ids["admission"]]
    relays = cli.ok("actor", "show", "IRNA", "-f", "json").json()
    assert relays["assertions"] == []  # a relay's statements are those it made, not carried
