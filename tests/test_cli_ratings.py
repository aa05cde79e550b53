"""Ratings (docs/design.md, Ratings): ``actor rate|unrate`` (reliability A–F) and
``assertion rate|unrate`` (credibility 1–6), the grades in ``show`` and ``actor show``, the
``--min-reliability`` and ``--min-credibility`` filters of the shared selection, and the
rating rows in ``history``.

Each test runs on SQLite and PostgreSQL (the ``cli`` fixture). A refusal is one stderr line
with its exit code (``fails``) and writes nothing. On this branch ``source add --outlet`` does
not link the outlet actor yet: the tests set ``source.outlet_id`` with ``sql --write``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cli
from tests.helpers import add, fails, listed, parse_csv, show

CLAIM = "North Korea has shipped weapons to Russia"
OTHER = "North Korean troops are deployed to Russia"
KCNA_URL = "https://kcna.kp/en/article/q/1"
STATE_URL = "https://www.state.gov/briefing/1"
NIS_URL = "https://example.org/nis-briefing"


def as_json(cli: Cli, *args: str) -> Any:
    return cli.ok(*args, "--format", "json").json()


def ratings_count(cli: Cli) -> int:
    [row] = as_json(cli, "sql", "SELECT count(*) AS n FROM rating")
    return int(row["n"])


@pytest.fixture
def world(cli: Cli) -> dict[str, int]:
    """Claim 1: Kim Jong Un denies (reported by KCNA), the United States asserts (by the State
    Department), South Korea asserts (a source without an outlet). Claim 2: Russia denies (by
    KCNA). The outlets are actors, linked to their sources."""
    cli.ok("actor", "add", "KCNA", "--kind", "media")
    cli.ok("actor", "add", "State Department", "--kind", "government")
    kim = add(
        cli, CLAIM, by="Kim Jong Un", stance="denies", source=KCNA_URL, date="2023-07-27",
        outlet="KCNA",
    )  # fmt: skip
    us = add(
        cli, CLAIM, by="United States", stance="asserts", source=STATE_URL, date="2023-10",
        outlet="State Department",
    )  # fmt: skip
    sk = add(cli, CLAIM, by="South Korea", stance="asserts", source=NIS_URL, date="2023-11")
    ru = add(cli, OTHER, by="Russia", stance="denies", source=KCNA_URL, date="2024-11")
    cli.ok(
        "sql",
        "--write",
        "UPDATE source SET outlet_id = (SELECT a.id FROM actor AS a WHERE a.name = source.outlet)",
    )
    return {
        "claim": kim["claim_id"],
        "other": ru["claim_id"],
        "kim": kim["assertion_id"],
        "us": us["assertion_id"],
        "sk": sk["assertion_id"],
        "ru": ru["assertion_id"],
    }


def by_id(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {a["id"]: a for a in data["assertions"]}


# --- rate, re-rate, withdraw ----------------------------------------------------------------


def test_rate_an_actor_prints_one_line_and_records_who_when_why(cli, world):
    out = cli.ok("--as", "erin", "actor", "rate", "KCNA", "e", "--reason", "state media").stdout
    assert out == "KCNA rated E (unreliable) by erin: state media\n"
    data = as_json(cli, "--as", "erin", "actor", "rate", "KCNA", "D", "--reason", "second look")
    assert data["record"] == "actor" and data["label"] == "KCNA"
    assert (data["action"], data["grade"], data["previous"]) == ("rated", "D", "E")
    assert data["meaning"] == "not usually reliable"
    assert data["by"] == "erin" and data["reason"] == "second look" and data["at"]
    rows = as_json(
        cli, "sql", "SELECT grade, rated_by, reason, actor_id, assertion_id FROM rating ORDER BY id"
    )
    assert [(r["grade"], r["rated_by"], r["reason"]) for r in rows] == [
        ("E", "erin", "state media"),
        ("D", "erin", "second look"),
    ]
    assert all(r["assertion_id"] is None and r["actor_id"] for r in rows)


def test_rate_an_assertion_as_the_user_of_the_environment(cli, world, monkeypatch):
    monkeypatch.setenv("FACTDB_USER", "dana")
    out = cli.ok("assertion", "rate", str(world["kim"]), "5", "--reason", "imagery").stdout
    assert out == f"assertion {world['kim']} rated 5 (improbable) by dana: imagery\n"
    csv_out = parse_csv(
        cli.ok("assertion", "rate", str(world["us"]), "2", "--reason", "x", "-f", "csv").stdout
    )
    assert [(r["record"], r["grade"], r["by"]) for r in csv_out] == [("assertion", "2", "dana")]
    [line] = cli.ok(
        "assertion", "rate", str(world["us"]), "1", "--reason", "y", "-f", "jsonl"
    ).stdout.splitlines()
    assert '"previous": "2"' in line


def test_re_rating_with_a_new_reason_is_a_new_row_and_the_same_says_nothing_changed(cli, world):
    rate = ("actor", "rate", "KCNA", "E", "--reason", "state media")
    cli.ok("--as", "erin", *rate)
    again = as_json(cli, "--as", "erin", *rate)
    assert again["action"] == "unchanged" and ratings_count(cli) == 1
    assert cli.ok("--as", "erin", *rate).stdout == (
        "KCNA: nothing changed (rated E by erin for this reason already)\n"
    )
    # the same grade for a new reason, or by someone else, is a new judgement on record
    out = cli.ok("--as", "erin", "actor", "rate", "KCNA", "E", "--reason", "new evidence").stdout
    assert out == "KCNA rated E (unreliable) by erin, again: new evidence\n"
    assert as_json(cli, "--as", "fay", *rate)["action"] == "rated"
    assert ratings_count(cli) == 3


def test_withdraw_makes_the_record_unrated_and_keeps_the_ratings(cli, world):
    cli.ok("--as", "erin", "actor", "rate", "KCNA", "E", "--reason", "state media")
    cli.ok("--as", "erin", "assertion", "rate", str(world["kim"]), "4", "--reason", "doubtful")
    out = cli.ok("--as", "fay", "actor", "unrate", "KCNA", "--reason", "to be reviewed").stdout
    assert out == "rating of KCNA withdrawn by fay (was E): to be reviewed\n"
    data = as_json(cli, "assertion", "unrate", str(world["kim"]), "--reason", "wrong claim")
    assert (data["action"], data["grade"], data["previous"]) == ("withdrawn", None, "4")
    actor = as_json(cli, "actor", "show", "KCNA")
    assert actor["reliability"] is None
    assert [r["grade"] for r in actor["ratings"]] == [None, "E"]
    row = by_id(show(cli, world["claim"]))[world["kim"]]
    assert row["credibility"] is None and row["outlet_reliability"] is None
    assert as_json(cli, "sql", "SELECT * FROM rating_current") == []
    # a grade given again after a withdrawal counts again
    cli.ok("actor", "rate", "KCNA", "D", "--reason", "reviewed")
    assert as_json(cli, "actor", "show", "KCNA")["reliability"]["grade"] == "D"


def test_withdrawing_an_unrated_record_is_refused(cli, world):
    line = fails(cli("actor", "unrate", "KCNA", "--reason", "x"), 1)
    assert line == "error: actor 'KCNA' is not rated; there is no rating to withdraw"
    cli.ok("assertion", "rate", str(world["kim"]), "4", "--reason", "doubtful")
    cli.ok("assertion", "unrate", str(world["kim"]), "--reason", "x")
    line = fails(cli("assertion", "unrate", str(world["kim"]), "--reason", "x"), 1)
    assert line == f"error: assertion {world['kim']} is not rated; there is no rating to withdraw"
    assert ratings_count(cli) == 2


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("actor", "rate", "KCNA", "3"),
            2,
            "error: GRADE: '3' is a credibility grade, which rates an assertion (`factdb "
            "assertion rate`); an actor's reliability is one of A, B, C, D, E, F",
        ),
        (("actor", "rate", "KCNA", "G"), 2, "error: GRADE: 'G' is not a reliability grade"),
        (
            ("assertion", "rate", "{kim}", "B"),
            2,
            "error: GRADE: 'B' is a reliability grade, which rates an actor (`factdb actor "
            "rate`); an assertion's credibility is one of 1, 2, 3, 4, 5, 6",
        ),
        (("assertion", "rate", "{kim}", "7"), 2, "error: GRADE: '7' is not a credibility grade"),
        (("actor", "rate", "KCNB", "A"), 1, "error: no actor 'KCNB'"),
        (("actor", "unrate", "Nobody At All"), 1, "error: no actor 'Nobody At All'"),
        (("assertion", "rate", "999", "2"), 1, "error: no assertion 999"),
        (("assertion", "unrate", "999"), 1, "error: no assertion 999"),
    ],
)
def test_refusals_are_one_line_and_write_nothing(cli, world, args, code, message):
    argv = [a.format(**world) for a in args]
    line = fails(cli(*argv, "--reason", "why"), code)
    assert line.startswith(message), line
    assert ratings_count(cli) == 0


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_the_reason_is_required(cli, world, reason):
    args = ["actor", "rate", "KCNA", "E"] + ([] if reason is None else ["--reason", reason])
    line = fails(cli(*args), 2)
    assert "--reason" in line
    assert ratings_count(cli) == 0


def test_a_retracted_assertion_is_not_rated_and_its_replacement_is_named(cli, world):
    kim = str(world["kim"])
    new = as_json(cli, "assertion", "correct", kim, "--date", "2023-07-28", "--reason", "date")
    line = fails(cli("assertion", "rate", kim, "2", "--reason", "x"), 1)
    assert line.startswith(f"error: assertion {kim} is retracted (corrected: date)")
    assert line.endswith(f"; rate assertion {new['recorded']} instead")
    cli.ok("assertion", "rate", str(new["recorded"]), "2", "--reason", "x")
    assert ratings_count(cli) == 1


def test_a_rating_given_before_the_retraction_stays_and_can_be_withdrawn(cli, world):
    kim = str(world["kim"])
    cli.ok("assertion", "rate", kim, "5", "--reason", "imagery")
    cli.ok("retract", kim, "--reason", "misattributed")
    row = by_id(show(cli, world["claim"], "--include-retracted"))[world["kim"]]
    assert row["retracted"] and row["credibility"]["grade"] == "5"
    cli.ok("assertion", "unrate", kim, "--reason", "retracted anyway")
    assert (
        by_id(show(cli, world["claim"], "--include-retracted"))[world["kim"]]["credibility"] is None
    )


@pytest.mark.parametrize(
    ("columns", "values"),
    [
        ("actor_id, grade", ":actor, '3'"),  # a credibility grade for an actor
        ("assertion_id, grade", ":assertion, 'B'"),  # a reliability grade for an assertion
        ("actor_id, grade", ":actor, 'a'"),  # grades are stored as the vocabulary spells them
        ("actor_id, assertion_id, grade", ":actor, :assertion, 'A'"),  # both records
        ("grade", "'A'"),  # neither
    ],
)
def test_the_schema_refuses_a_rating_that_fits_no_record(cli, world, columns, values):
    actor = as_json(cli, "actor", "show", "KCNA")["id"]
    line = fails(
        cli(
            "sql",
            "--write",
            f"INSERT INTO rating ({columns}, rated_by, rated_at) "
            f"VALUES ({values}, 'x', CURRENT_TIMESTAMP)",
            "-p",
            f"actor={actor}",
            "-p",
            f"assertion={world['kim']}",
        ),
        1,
    )
    assert "ck_rating_grade_fits_target" in line
    assert ratings_count(cli) == 0


# --- reading: show and actor show -----------------------------------------------------------


def test_show_puts_the_grades_beside_each_assertion(cli, world, monkeypatch):
    monkeypatch.setenv("COLUMNS", "240")
    cli.ok("--as", "erin", "actor", "rate", "KCNA", "E", "--reason", "state media")
    cli.ok("--as", "erin", "assertion", "rate", str(world["kim"]), "5", "--reason", "imagery")
    cli.ok("--as", "erin", "actor", "rate", "South Korea", "B", "--reason", "a speaker")
    rows = by_id(show(cli, world["claim"]))
    kim = rows[world["kim"]]
    assert kim["credibility"] == {
        "grade": "5",
        "meaning": "improbable",
        "by": "erin",
        "at": kim["credibility"]["at"],
        "reason": "imagery",
    }
    assert kim["credibility"]["at"].startswith("20")
    reliability = kim["outlet_reliability"]
    assert (reliability["grade"], reliability["meaning"], reliability["actor"]) == (
        "E",
        "unreliable",
        "KCNA",
    )
    assert (reliability["by"], reliability["reason"]) == ("erin", "state media")
    # unrated stays unrated: the State Department is not rated; South Korea's source has no
    # outlet, and its speaker's own grade is not its outlet's
    assert rows[world["us"]]["credibility"] is None
    assert rows[world["us"]]["outlet_reliability"] is None
    assert rows[world["sk"]]["outlet_reliability"] is None
    out = cli.ok("show", str(world["claim"])).stdout
    assert "credibility 5 (improbable) · outlet KCNA: E (unreliable)" in out
    assert out.count("credibility") == 1 and out.count("outlet KCNA") == 1


def test_show_csv_has_the_grade_columns_whether_rated_or_not(cli, world):
    cli.ok("--as", "erin", "assertion", "rate", str(world["sk"]), "2", "--reason", "confirmed")
    cli.ok("--as", "erin", "actor", "rate", "KCNA", "E", "--reason", "state media")
    records = parse_csv(cli.ok("show", str(world["claim"]), "--format", "csv").stdout)
    by_assertion = {int(r["id"]): r for r in records}
    assert by_assertion[world["sk"]]["credibility_grade"] == "2"
    assert by_assertion[world["sk"]]["credibility_by"] == "erin"
    assert by_assertion[world["kim"]]["credibility_grade"] == ""
    assert by_assertion[world["kim"]]["outlet_reliability_grade"] == "E"
    assert by_assertion[world["kim"]]["outlet_reliability_actor"] == "KCNA"
    assert by_assertion[world["us"]]["outlet_reliability_reason"] == ""
    [line] = cli.ok("show", str(world["claim"]), "--format", "jsonl").stdout.splitlines()
    assert '"credibility": null' in line and '"grade": "2"' in line


def test_show_html_prints_the_grades(cli, world):
    cli.ok("--as", "erin", "actor", "rate", "KCNA", "E", "--reason", "state media")
    page = cli.ok("show", str(world["claim"]), "--format", "html").stdout
    assert '<span class="grades">outlet KCNA: E (unreliable)</span>' in page
    assert page.count('class="grades"') == 1


def test_actor_show_gives_the_grade_now_and_the_earlier_ratings(cli, world, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    never = cli.ok("actor", "show", "State Department").stdout
    assert "reliability" not in never and "rating" not in never
    data = as_json(cli, "actor", "show", "State Department")
    assert data["reliability"] is None and data["ratings"] == []
    cli.ok("--as", "erin", "actor", "rate", "KCNA", "E", "--reason", "state media")
    cli.ok("--as", "fay", "actor", "unrate", "KCNA", "--reason", "review")
    cli.ok("--as", "dana", "actor", "rate", "KCNA", "D", "--reason", "sometimes right")
    data = as_json(cli, "actor", "show", "KCNA")
    assert data["reliability"]["grade"] == "D"
    assert data["reliability"]["meaning"] == "not usually reliable"
    assert (data["reliability"]["by"], data["reliability"]["reason"]) == ("dana", "sometimes right")
    assert [(r["grade"], r["by"], r["reason"]) for r in data["ratings"]] == [
        ("D", "dana", "sometimes right"),
        (None, "fay", "review"),
        ("E", "erin", "state media"),
    ]
    lines = cli.ok("actor", "show", "KCNA").stdout.splitlines()
    # Below the name, kind and the line saying which sources it is the outlet of.
    at = next(i for i, line in enumerate(lines) if line.startswith("reliability:"))
    assert lines[at].startswith("reliability: D (not usually reliable), rated by dana on 20")
    assert lines[at].endswith(" UTC: sometimes right")
    assert lines[at + 1] == "earlier ratings:"
    assert lines[at + 2].endswith("withdrawn by fay: review")
    assert lines[at + 3].endswith("E (unreliable) by erin: state media")
    cli.ok("actor", "unrate", "KCNA", "--reason", "gone")
    lines = cli.ok("actor", "show", "KCNA").stdout.splitlines()
    assert "reliability: not rated (the last rating was withdrawn)" in lines


def test_actor_add_prints_no_rating_fields(cli):
    data = as_json(cli, "actor", "add", "Yonhap", "--kind", "media")
    assert "reliability" not in data and "ratings" not in data


def test_the_reads_agree_with_the_rating_current_view(cli, world):
    cli.ok("--as", "erin", "actor", "rate", "KCNA", "E", "--reason", "a")
    cli.ok("--as", "erin", "actor", "rate", "KCNA", "D", "--reason", "b")
    cli.ok("--as", "erin", "actor", "rate", "State Department", "B", "--reason", "c")
    cli.ok("--as", "erin", "actor", "unrate", "State Department", "--reason", "d")
    cli.ok("--as", "erin", "assertion", "rate", str(world["kim"]), "5", "--reason", "e")
    cli.ok("--as", "erin", "assertion", "rate", str(world["us"]), "2", "--reason", "f")
    cli.ok("--as", "erin", "assertion", "unrate", str(world["us"]), "--reason", "g")
    current = as_json(
        cli,
        "sql",
        "SELECT actor_id, assertion_id, grade FROM rating_current ORDER BY rating_id",
    )
    assert [r["grade"] for r in current] == ["D", "5"]
    detail = {
        r["assertion_id"]: (r["credibility"], r["outlet_reliability"])
        for r in as_json(
            cli,
            "sql",
            "SELECT assertion_id, credibility, outlet_reliability FROM assertion_detail "
            "WHERE claim_id = :c",
            "-p",
            f"c={world['claim']}",
        )
    }
    for aid, row in by_id(show(cli, world["claim"])).items():
        grades = (
            row["credibility"] and row["credibility"]["grade"],
            row["outlet_reliability"] and row["outlet_reliability"]["grade"],
        )
        assert grades == detail[aid], aid


# --- the filters of the shared selection ----------------------------------------------------


def test_min_reliability_keeps_assertions_of_outlets_rated_so_or_better(cli, world):
    assert listed(cli, "--min-reliability", "F") == []  # nothing is rated: nothing counts
    cli.ok("actor", "rate", "State Department", "B", "--reason", "official")
    cli.ok("actor", "rate", "KCNA", "E", "--reason", "state media")
    cli.ok("actor", "rate", "South Korea", "A", "--reason", "a speaker, not an outlet")
    [row] = listed(cli, "--min-reliability", "b")
    assert row["id"] == world["claim"]
    assert (row["for"], row["against"], row["assertions"]) == (["United States"], [], 1)
    assert not row["contested"]
    # E keeps KCNA's reports too: both claims, claim 1 contested again
    rows = {r["id"]: r for r in listed(cli, "--min-reliability", "E")}
    assert set(rows) == {world["claim"], world["other"]}
    assert rows[world["claim"]]["assertions"] == 2 and rows[world["claim"]]["contested"]
    assert listed(cli, "--min-reliability", "A") == []


def test_min_credibility_keeps_assertions_rated_so_or_better(cli, world):
    cli.ok("assertion", "rate", str(world["us"]), "2", "--reason", "probably")
    cli.ok("assertion", "rate", str(world["kim"]), "5", "--reason", "improbable")
    cli.ok("assertion", "rate", str(world["ru"]), "1", "--reason", "confirmed")
    rows = {r["id"]: r for r in listed(cli, "--min-credibility", "2")}
    assert set(rows) == {world["claim"], world["other"]}
    assert rows[world["claim"]]["for"] == ["United States"]
    assert rows[world["claim"]]["against"] == []
    assert [r["id"] for r in listed(cli, "--min-credibility", "1")] == [world["other"]]
    assert [r["id"] for r in listed(cli, "--min-credibility", "1", "--search", "troops")] == [
        world["other"]
    ]
    assert listed(cli, "--min-credibility", "1", "--search", "weapons") == []
    cli.ok("assertion", "unrate", str(world["ru"]), "--reason", "not so sure")
    assert [r["id"] for r in listed(cli, "--min-credibility", "1")] == []
    # both filters at once: a credible assertion from a reliable outlet
    cli.ok("actor", "rate", "State Department", "B", "--reason", "official")
    both = listed(cli, "--min-credibility", "2", "--min-reliability", "B", "--contested")
    assert both == []
    [row] = listed(cli, "--min-credibility", "2", "--min-reliability", "B")
    assert row["assertions"] == 1


def test_the_filters_choose_the_rows_of_report_and_export(cli, world):
    cli.ok("actor", "rate", "KCNA", "E", "--reason", "state media")
    cli.ok("actor", "rate", "State Department", "B", "--reason", "official")
    report = parse_csv(cli.ok("report", "timeline", "--min-reliability", "B").stdout)
    assert [r["actor"] for r in report] == ["United States"]
    flat = parse_csv(cli.ok("export", "-", "--format", "csv", "--min-reliability", "E").stdout)
    assert sorted(r["actor"] for r in flat) == ["Kim Jong Un", "Russia", "United States"]
    cli.ok("assertion", "rate", str(world["sk"]), "3", "--reason", "possibly")
    jsonl = cli.ok("export", "-", "--min-credibility", "3").stdout
    assert '"actor": "South Korea"' in jsonl and '"actor": "Kim Jong Un"' not in jsonl


def test_the_filters_choose_what_the_site_shows(cli, world, tmp_path):
    cli.ok("actor", "rate", "KCNA", "E", "--reason", "state media")
    cli.ok("actor", "rate", "State Department", "B", "--reason", "official")
    out = tmp_path / "site"
    cli.ok("site", "-o", str(out), "--min-reliability", "B")
    assert "outlets rated B or better" in (out / "index.html").read_text(encoding="utf-8")
    assert [p.name for p in (out / "claims").iterdir()] == [f"{world['claim']}.html"]
    page = (out / "claims" / f"{world['claim']}.html").read_text(encoding="utf-8")
    assert f'class="assertion" data-assertion="{world["us"]}"' in page
    assert f'data-assertion="{world["kim"]}"' not in page
    assert '<span class="grades">outlet State Department: B (usually reliable)</span>' in page


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--min-reliability", "3", "error: --min-reliability: '3' is not a reliability grade"),
        ("--min-reliability", "AB", "error: --min-reliability: 'AB' is not a reliability grade"),
        ("--min-credibility", "B", "error: --min-credibility: 'B' is not a credibility grade"),
        ("--min-credibility", "0", "error: --min-credibility: '0' is not a credibility grade"),
    ],
)
@pytest.mark.parametrize("command", [("list",), ("report", "side-by-side"), ("export", "-")])
def test_a_bad_grade_in_a_filter_is_a_usage_error(cli, command, option, value, message):
    assert fails(cli(*command, option, value), 2).startswith(message)


# --- history --------------------------------------------------------------------------------


def test_history_renders_rating_changes_readably(cli, world, monkeypatch):
    monkeypatch.setenv("COLUMNS", "240")
    cli.ok("--as", "erin", "actor", "rate", "KCNA", "E", "--reason", "state media")
    cli.ok("--as", "fay", "actor", "unrate", "KCNA", "--reason", "review")
    cli.ok("--as", "erin", "assertion", "rate", str(world["kim"]), "5", "--reason", "imagery")
    kcna = as_json(cli, "actor", "show", "KCNA")["id"]
    changes = as_json(cli, "history", "actor", "KCNA")
    ratings = [c for c in changes if c["table"] == "rating"]
    assert [c["what"] for c in ratings] == [
        f"actor {kcna}: grade withdrawn by fay: 'review'",
        f"actor {kcna} rated E (unreliable) by erin: 'state media'",
    ]
    assert [(c["user"], c["command"], c["reason"]) for c in ratings] == [
        ("fay", "factdb actor unrate", "review"),
        ("erin", "factdb actor rate", "state media"),
    ]
    claim = as_json(cli, "history", "claim", str(world["claim"]))
    assert claim[0]["what"] == f"assertion {world['kim']} rated 5 (improbable) by erin: 'imagery'"
    table = cli.ok("history", "actor", "KCNA").stdout
    assert "rated E (unreliable) by erin" in table and "grade withdrawn by fay" in table
