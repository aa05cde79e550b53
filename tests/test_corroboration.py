"""Weighing the evidence: qualified stances, approximate dates, and independent origins
(docs/design.md, "Qualified stances", "Dates", "Origins and corroboration"), on both backends.

The origin of an assertion is (speaker, date as given, first relay). The ``assertion_origin``
view defines it; ``show``, ``list`` and ``--min-origins`` must count exactly what the view
and its ``side_corroboration`` / ``claim_corroboration`` views count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.conftest import Cli
from tests.helpers import add, fails, listed, parse_csv, show
from tests.test_cli_story import CRIMEA, DRONES, record_story

# The seed article: claims 1 (for: White House; against: North Korea, Russia), 9 (for: The
# National, KCNA) and 10 (for: Ankit Panda, Anthony Rinna) rest on two origins on one side.
SEED_CORROBORATED = [1, 9, 10]


def view_counts(cli: Cli) -> dict[tuple[int, str], tuple[int, int, int]]:
    """{(claim, position): (assertions, origins, outlets)} from ``claim_corroboration``."""
    from factdb.storage import db

    out = {}
    with db.session_scope(cli.target, write=False) as session:
        for row in session.execute(text("SELECT * FROM claim_corroboration")).mappings():
            for position in ("for", "neutral", "against"):
                out[(int(row["claim_id"]), position)] = (
                    int(row[f"{position}_assertions"]),
                    int(row[f"{position}_origins"]),
                    int(row[f"{position}_outlets"]),
                )
    return out


def side_view(cli: Cli, claim_id: int) -> dict[tuple[str, str], tuple[int, int, int]]:
    from factdb.storage import db

    with db.session_scope(cli.target, write=False) as session:
        rows = session.execute(
            text("SELECT * FROM side_corroboration WHERE claim_id = :id"), {"id": claim_id}
        ).mappings()
        return {
            (r["position"], r["side"]): (int(r["assertions"]), int(r["origins"]), int(r["outlets"]))
            for r in rows
        }


def origins_of(cli: Cli, claim_id: int) -> dict[int, str]:
    from factdb.storage import db

    with db.session_scope(cli.target, write=False) as session:
        rows = session.execute(
            text("SELECT assertion_id, origin FROM assertion_origin WHERE claim_id = :id"),
            {"id": claim_id},
        )
        return {int(a): str(o) for a, o in rows}


def shown_counts(data: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {
        (group, s["side"]): (s["assertions"], s["origins"], s["outlets"])
        for group, counts in data["corroboration"].items()
        for s in counts["sides"]
    }


# --- the seed article -------------------------------------------------------------------------


def test_seed_min_origins_two(seeded_cli: Cli) -> None:
    assert [r["id"] for r in listed(seeded_cli, "--min-origins", "2")] == SEED_CORROBORATED
    assert listed(seeded_cli, "--min-origins", "3") == []
    # Every claim of the seed has at least one origin.
    assert len(listed(seeded_cli, "--min-origins", "1")) == 14


def test_seed_kcna_carried_statements_are_their_speakers_origins(seeded_cli: Cli) -> None:
    from factdb.storage import db

    with db.session_scope(seeded_cli.target, write=False) as session:
        ids = {str(n): int(i) for n, i in session.execute(text("SELECT name, id FROM actor"))}
        carried = session.execute(
            text(
                "SELECT o.speaker_id, o.first_relay_id, o.origin FROM assertion_origin AS o "
                "WHERE o.first_relay_id IS NOT NULL ORDER BY o.assertion_id"
            )
        ).all()
    assert carried, "the seed has statements relayed by KCNA"
    for speaker, relay, origin in carried:
        assert relay == ids["KCNA"]
        assert speaker in (ids["Kim Jong Un"], ids["Kang Sun Nam"])
        assert origin.startswith(f"{speaker}/") and origin.endswith(f"/{ids['KCNA']}")
    # Claim 9: The National and KCNA each assert in their own name: two origins, one outlet.
    data = show(seeded_cli, 9)
    assert (data["origins_for"], data["outlets_for"]) == (2, 1)
    assert data["corroboration"]["for"]["assertions"] == 2


def test_seed_counts_equal_the_views(seeded_cli: Cli) -> None:
    view = view_counts(seeded_cli)
    for row in listed(seeded_cli):
        for position in ("for", "neutral", "against"):
            assertions = row[f"n_{position}"]
            assert view[(row["id"], position)] == (
                assertions,
                row[f"origins_{position}"],
                row[f"outlets_{position}"],
            ), (row["id"], position)
        assert shown_counts(show(seeded_cli, row["id"])) == {
            (p, side): counts for (p, side), counts in side_view(seeded_cli, row["id"]).items()
        }


# --- the Iranian-drones dispute ---------------------------------------------------------------


def admission_again(cli: Cli, drones: int) -> dict[str, Any]:
    """The minister's admission of 2022-11-05 again, as AP carried it through IRNA."""
    return add(
        cli,
        drones,
        by="Hossein Amir-Abdollahian",
        stance="asserts",
        date="2022-11-05",
        source="https://apnews.com/article/iran-drones-admission",
        outlet="AP",
        via=["IRNA"],
        qualifier="partial",
        qualifier_note="a limited number, months before the war",
    )


def test_drones_relays_count_once_per_statement(cli: Cli) -> None:
    ids = record_story(cli)
    drones = ids["drones"]
    before = show(cli, drones)
    # Another outlet carries the minister's admission of 2022-11-05, through the same first
    # relay (IRNA) and another chain after it: the same origin.
    again = admission_again(cli, drones)
    # Kanaani's denial of 2022-10-17 directly, not through IRNA: another origin.
    direct = add(
        cli,
        drones,
        by="Nasser Kanaani",
        stance="denies",
        date="2022-10-17",
        source="https://www.aljazeera.com/news/kanaani-drones",
        outlet="Al Jazeera",
    )
    origins = origins_of(cli, drones)
    assert origins[int(again["assertion_id"])] == origins[ids["admission"]]
    assert origins[int(direct["assertion_id"])] != origins[ids["kanaani_denies"]]

    after = show(cli, drones)
    iran_for = {s["side"]: s for s in after["corroboration"]["for"]["sides"]}["Iran"]
    assert (iran_for["assertions"], iran_for["origins"]) == (2, 1)
    assert iran_for["outlets"] == before_outlets(before, "for", "Iran") + 1
    iran_against = {s["side"]: s for s in after["corroboration"]["against"]["sides"]}["Iran"]
    assert (iran_against["assertions"], iran_against["origins"]) == (4, 4)
    assert shown_counts(after) == dict(side_view(cli, drones))
    assert after["origins_for"] == 3  # Zelenskyy, Kirby, the minister's admission
    assert after["origins_against"] == 5  # Peskov and four Iranian statements

    text_out = cli.ok("show", str(drones)).stdout
    assert text_out.count("in all:") == 2  # the for and against groups
    page = cli.ok("show", str(drones), "--format", "html").stdout
    assert 'data-side-weight="Iran">2 assertions · 1 origin · 2 outlets<' in page


def before_outlets(data: dict[str, Any], group: str, side: str) -> int:
    found = {s["side"]: s for s in data["corroboration"][group]["sides"]}
    return int(found[side]["outlets"])


def test_drones_admission_reads_partial(cli: Cli) -> None:
    ids = record_story(cli)
    data = show(cli, ids["drones"])
    admission = {a["id"]: a for a in data["assertions"]}[ids["admission"]]
    assert (admission["qualifier"], admission["qualifier_note"]) == (
        "partial",
        "a limited number, months before the war",
    )
    assert admission["polarity"] == 2  # a partial admission still asserts
    assert "(partial:" in cli.ok("show", str(ids["drones"])).stdout
    timeline = cli.ok("timeline", str(ids["drones"]), "--format", "json").json()
    entry = {e["id"]: e for e in timeline}[ids["admission"]]
    assert entry["qualifier"] == "partial"
    report = parse_csv(cli.ok("report", "side-by-side").stdout)
    row = {int(r["claim_id"]): r for r in report}[ids["drones"]]
    assert "Hossein Amir-Abdollahian (asserts (partial: a limited number" in row["for"]
    page = cli.ok("show", str(ids["drones"]), "--format", "html").stdout
    assert "partial: a limited number, months before the war" in page


def test_min_origins_counts_what_the_other_filters_count(cli: Cli) -> None:
    ids = record_story(cli)
    drones = ids["drones"]
    # Against: Kanaani twice, the minister, Peskov; for: Zelenskyy, Kirby, the admission.
    assert [r["id"] for r in listed(cli, "--min-origins", "4")] == [drones]
    assert listed(cli, "--min-origins", "5") == []
    # As of 2022-10-18: for, Zelenskyy alone; against, Kanaani and Peskov.
    as_of = listed(cli, "--min-origins", "2", "--as-of", "2022-10-18")
    assert [r["id"] for r in as_of] == [drones]
    assert (as_of[0]["origins_for"], as_of[0]["origins_against"]) == (1, 2)
    assert listed(cli, "--min-origins", "3", "--as-of", "2022-10-18") == []
    # Retracting the second origin of the position drops the claim below the bar.
    cli.ok("retract", str(ids["russia"]), "--reason", "test")
    assert listed(cli, "--min-origins", "2", "--as-of", "2022-10-18") == []
    counted = listed(cli, "--min-origins", "2", "--as-of", "2022-10-18", "--include-retracted")
    assert [r["id"] for r in counted] == [drones]


def test_min_origins_refuses_nonsense(cli: Cli) -> None:
    assert "--min-origins" in fails(cli("list", "--min-origins", "0"), 2)
    assert "--min-origins" in fails(cli("list", "--min-origins", "many"), 2)


# --- qualifiers and approximate dates -------------------------------------------------------


def test_qualifier_and_approximate_date_round_trip_in_every_format(cli: Cli) -> None:
    made = add(
        cli,
        DRONES,
        by="Iran",
        stance="asserts",
        date="~2022-10",
        source="https://example.org/iran",
        qualifier="hedged",
        qualifier_note="we cannot rule out",
    )
    assert made["date"] == "~2022-10"
    data = show(cli, int(made["claim_id"]))
    (a,) = data["assertions"]
    assert (a["date"], a["date_approximate"], a["date_start"]) == ("~2022-10", True, "2022-10-01")
    assert (a["qualifier"], a["qualifier_note"]) == ("hedged", "we cannot rule out")
    (row,) = parse_csv(cli.ok("show", str(made["claim_id"]), "--format", "csv").stdout)
    assert (row["date"], row["qualifier"], row["qualifier_note"]) == (
        "~2022-10",
        "hedged",
        "we cannot rule out",
    )
    (listed_row,) = listed(cli)
    assert listed_row["first_date"] == "~2022-10"
    (timeline_row,) = parse_csv(cli.ok("report", "timeline").stdout)
    assert (timeline_row["date"], timeline_row["qualifier"]) == ("~2022-10", "hedged")
    # The approximate date counts as the month it names.
    assert listed(cli, "--as-of", "2022-09") == []
    assert len(listed(cli, "--as-of", "2022-10")) == 1
    from factdb.storage import db

    with db.session_scope(cli.target, write=False) as session:
        view = session.execute(
            text("SELECT date, qualifier, qualifier_note FROM assertion_detail")
        ).one()
    assert tuple(view) == ("~2022-10", "hedged", "we cannot rule out")


def test_approximate_flag_and_repeat_with_other_qualification(cli: Cli) -> None:
    first = cli.ok(
        "add",
        DRONES,
        "--by",
        "Iran",
        "--stance",
        "denies",
        "--date",
        "2022-10",
        "--approximate",
        "--source",
        "https://example.org/a",
        "--format",
        "json",
    ).json()
    assert first["date"] == "~2022-10"
    again = cli.ok(
        "add",
        DRONES,
        "--by",
        "Iran",
        "--stance",
        "denies",
        "--date",
        "2022-10",
        "--qualifier",
        "conditional",
        "--source",
        "https://example.org/a",
    )
    assert "qualified otherwise" in again.stderr
    assert "factdb assertion correct" in again.stderr
    (a,) = show(cli, int(first["claim_id"]))["assertions"]
    assert a["qualifier"] is None  # unchanged: a repeated add never edits


def test_bad_qualifier_is_refused_and_nothing_is_written(cli: Cli) -> None:
    line = fails(
        cli(
            "add",
            DRONES,
            "--by",
            "Iran",
            "--stance",
            "asserts",
            "--date",
            "2022",
            "--qualifier",
            "mostly",
            "--source",
            "https://example.org/a",
        ),
        2,
    )
    assert line == (
        "error: --qualifier: 'mostly' is not a qualifier; use one of partial, conditional, hedged"
    )
    assert "not a date" in fails(
        cli(
            "add",
            DRONES,
            "--by",
            "Iran",
            "--stance",
            "asserts",
            "--date",
            "~2022-13",
            "--source",
            "https://example.org/a",
        ),
        2,
    )
    assert listed(cli) == []


def test_correct_changes_qualification_and_approximation(cli: Cli) -> None:
    made = add(
        cli,
        DRONES,
        by="Iran",
        stance="asserts",
        date="~2022-10",
        source="https://example.org/a",
        qualifier="partial",
    )
    old = int(made["assertion_id"])
    fixed = cli.ok(
        "assertion",
        "correct",
        str(old),
        "--date",
        "2022-10-05",
        "--qualifier",
        "",
        "--qualifier-note",
        "all of them",
        "--reason",
        "the full statement",
        "--format",
        "json",
    ).json()
    assert fixed["changed"] == {
        "date": {"old": "~2022-10", "new": "2022-10-05"},
        "qualifier": {"old": "partial", "new": None},
        "qualifier_note": {"old": None, "new": "all of them"},
    }
    data = show(cli, int(made["claim_id"]), "--include-retracted")
    by_id = {a["id"]: a for a in data["assertions"]}
    assert by_id[old]["retracted"] and by_id[old]["qualifier"] == "partial"
    new = by_id[fixed["recorded"]]
    assert (new["date"], new["qualifier"], new["qualifier_note"]) == (
        "2022-10-05",
        None,
        "all of them",
    )
    again = cli.ok(
        "assertion",
        "correct",
        str(fixed["recorded"]),
        "--approximate",
        "--reason",
        "unsure",
        "--format",
        "json",
    ).json()
    assert again["changed"] == {"date": {"old": "2022-10-05", "new": "~2022-10-05"}}
    line = fails(
        cli("assertion", "correct", str(again["recorded"]), "--approximate", "--reason", "x"), 2
    )
    assert "nothing to correct" in line


def test_the_drones_story_reads_weighed(cli: Cli) -> None:
    """The whole dispute at once: the trainers claim part of the drones claim, Iran's
    admission partial, its two reports one origin, each side's origins shown."""
    ids = record_story(cli)
    drones = ids["drones"]
    (crimea,) = [r["id"] for r in listed(cli) if r["claim"] == CRIMEA]
    cli.ok("claim", "relate", str(crimea), "--part-of", str(drones), "--reason", "one story")
    admission_again(cli, drones)
    data = show(cli, drones)
    assert [(r["relation"], r["claim_id"]) for r in data["relations"]] == [("has part", crimea)]
    assert [(r["relation"], r["claim_id"]) for r in show(cli, crimea)["relations"]] == [
        ("part of", drones)
    ]
    partial = [a for a in data["assertions"] if a["qualifier"] == "partial"]
    assert {a["actor"] for a in partial} == {"Hossein Amir-Abdollahian"}
    assert len({a["origin"] for a in partial}) == 1 and len(partial) == 2
    sides = shown_counts(data)
    assert sides[("for", "Iran")] == (2, 1, 2)
    assert sides[("for", "United States")][:2] == (1, 1)
    assert sides[("against", "Iran")][:2] == (3, 3)
    assert sides == dict(side_view(cli, drones))
    assert [r["id"] for r in listed(cli, "--related-to", str(drones), "--min-origins", "1")] == [
        crimea
    ]
