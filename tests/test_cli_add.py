"""``factdb add``: recording a stance, natural keys, dates, and every way input is refused.

Each test runs on SQLite and PostgreSQL (the ``cli`` fixture). Data is asserted through
``--format json``; table output only for smoke checks.
"""

from __future__ import annotations

import pytest

from tests.conftest import Cli, add_args
from tests.helpers import add, fails, listed, parse_csv
from tests.test_interchange import snapshot

STANCES = ("asserts", "supports", "neutral", "disputes", "denies")
CLAIM = "North Korea has shipped weapons to Russia"
URL = "https://example.org/a"


# --- what is created ----------------------------------------------------------------------


def test_add_creates_claim_actor_source(cli):
    r = add(cli, CLAIM, by="White House", stance="asserts", source=URL, date="2023-07-26")
    assert r["claim_created"] and r["actor_created"] and r["source_created"]
    assert r["assertion_created"] is True
    assert r["actor"] == "White House"
    assert r["date"] == "2023-07-26"
    shown = cli.ok("show", str(r["claim_id"]), "--format", "json").json()
    assert shown["claim"] == CLAIM
    [a] = shown["assertions"]
    assert a["id"] == r["assertion_id"]
    assert a["actor"] == "White House"
    assert a["stance"] == "asserts"
    assert a["polarity"] == 2
    assert a["source"]["url"] == URL
    assert a["via"] == []
    assert a["retracted"] is False


def test_add_table_output_smoke(cli):
    result = cli.add(CLAIM, by="White House", stance="asserts", source=URL, date="2023-07-26")
    assert "recorded" in result.stdout
    assert "White House" in result.stdout


def test_same_add_twice_is_one_assertion(cli):
    first, second = [
        add(cli, CLAIM, by="White House", stance="asserts", source=URL, date="2023-07-26")
        for _ in range(2)
    ]
    assert first["assertion_created"] is True
    assert second["assertion_created"] is False
    assert second["claim_created"] is False
    assert second["actor_created"] is False
    assert second["source_created"] is False
    assert second["assertion_id"] == first["assertion_id"]
    shown = cli.ok("show", str(first["claim_id"]), "--format", "json").json()
    assert len(shown["assertions"]) == 1
    assert shown["assertion_count"] == 1


def test_repeated_add_says_nothing_changed(cli):
    options = dict(by="White House", stance="asserts", source=URL, date="2023-07-26")
    first = add(cli, CLAIM, tags=["crimea"], **options)
    again = cli.add(CLAIM, tags=["Crimea"], **options)
    assert again.stdout.startswith(
        f"assertion {first['assertion_id']} already recorded; nothing changed — White House"
    ), again.stdout
    data = add(cli, CLAIM, **options)
    assert (data["tags_added"], data["sanctions_linked"], data["new_actors"]) == ([], [], [])


def test_repeated_add_says_what_it_added(cli):
    cli.ok("sanction", "add", "UNSC Resolution 1718")
    cli.ok("sanction", "add", "UNSC Resolution 2270")
    options = dict(by="White House", stance="asserts", source=URL, date="2023-07-26")
    first = add(cli, CLAIM, tags=["crimea"], **options)
    assert first["tags_added"] == ["crimea"]
    again = cli.add(
        CLAIM,
        tags=["crimea", "Black Sea"],
        violates=["unsc resolution 1718"],
        via=["KCNA"],
        **options,
    )
    line = again.stdout.splitlines()[0]
    assert line.startswith(
        f"assertion {first['assertion_id']} already recorded; added tag black-sea; "
        "linked sanction UNSC Resolution 1718; created actor KCNA — White House"
    ), line
    data = add(
        cli,
        CLAIM,
        violates=["UNSC Resolution 1718", "UNSC Resolution 2270"],
        tags=["new-tag"],
        **options,
    )
    assert data["assertion_created"] is False
    assert data["tags_added"] == ["new-tag"]
    assert data["sanctions_linked"] == ["UNSC Resolution 2270"]
    shown = cli.ok("show", str(first["claim_id"]), "--format", "json").json()
    assert sorted(shown["tags"]) == ["black-sea", "crimea", "new-tag"]
    assert sorted(shown["violates"]) == ["UNSC Resolution 1718", "UNSC Resolution 2270"]
    csv_out = cli.add(CLAIM, tags=["csv-tag"], format="csv", **options)
    [row] = parse_csv(csv_out.stdout)
    assert (row["tags_added"], row["sanctions_linked"]) == ("csv-tag", "")


def test_long_message_is_one_line_in_a_pipe(cli):
    """The runner's stdout is no terminal: a message longer than 80 columns is not folded."""
    actor = "Permanent Mission of the Democratic People's Republic of Korea to the United Nations"
    options = dict(by=actor, stance="asserts", source=URL, date="2024-01-01")
    for tags in ([], ["a tag long enough to make the message even longer than it is"]):
        result = cli.add(CLAIM, tags=tags, **options)
        assert len(result.stdout.splitlines()) == 1, result.stdout
        assert len(result.stdout) > 100, result.stdout
        assert actor in result.stdout


def test_claim_matched_by_normalized_text(cli):
    first = add(cli, CLAIM, by="White House", stance="asserts", source=URL, date="2023-07-26")
    second = add(
        cli,
        "  north korea HAS shipped weapons, to Russia!  ",
        by="North Korea",
        stance="denies",
        source=URL,
        date="2023-07-27",
    )
    assert second["claim_id"] == first["claim_id"]
    assert second["claim_created"] is False
    rows = listed(cli)
    assert len(rows) == 1
    assert rows[0]["claim"] == CLAIM  # the first wording is kept


def test_source_matched_by_normalized_url(cli):
    first = add(
        cli,
        CLAIM,
        by="White House",
        stance="asserts",
        source="https://example.org/a?id=7",
        date="2023-07-26",
    )
    second = add(
        cli,
        CLAIM,
        by="North Korea",
        stance="denies",
        source="https://EXAMPLE.org/a?id=7&utm_source=twitter#section-2",
        date="2023-07-27",
    )
    assert second["source_id"] == first["source_id"]
    assert second["source_created"] is False
    sources = cli.ok("source", "list", "--format", "json").json()
    assert len(sources) == 1


def test_different_query_is_a_different_source(cli):
    first = add(
        cli,
        CLAIM,
        by="White House",
        stance="asserts",
        source="https://example.org/a?id=7",
        date="2023-07-26",
    )
    second = add(
        cli,
        CLAIM,
        by="White House",
        stance="asserts",
        source="https://example.org/a?id=8",
        date="2023-07-26",
    )
    assert second["source_id"] != first["source_id"]
    assert second["assertion_created"] is True


def test_via_chain_keeps_order(cli):
    r = add(
        cli,
        "Sergei Shoigu's visit deepened relations",
        by="Kim Jong Un",
        stance="asserts",
        source=URL,
        date="2023-07-27",
        via=["KCNA", "Yonhap"],
    )
    shown = cli.ok("show", str(r["claim_id"]), "--format", "json").json()
    assert shown["assertions"][0]["via"] == ["KCNA", "Yonhap"]
    # the reverse chain is another order, kept as given
    r2 = add(
        cli,
        "Another claim",
        by="Kim Jong Un",
        stance="asserts",
        source=URL,
        date="2023-07-27",
        via=["Yonhap", "KCNA"],
    )
    shown2 = cli.ok("show", str(r2["claim_id"]), "--format", "json").json()
    assert shown2["assertions"][0]["via"] == ["Yonhap", "KCNA"]


def test_via_actors_become_actors(cli):
    add(cli, CLAIM, by="Kim Jong Un", stance="asserts", source=URL, date="2023-07-27", via=["KCNA"])
    names = {a["name"] for a in cli.ok("actor", "list", "--format", "json").json()}
    assert {"Kim Jong Un", "KCNA"} <= names


@pytest.mark.parametrize(
    ("given", "precision"), [("2024", "year"), ("2024-02", "month"), ("2024-02-27", "day")]
)
def test_partial_dates_printed_back_as_given(cli, given, precision):
    r = add(cli, CLAIM, by="Russia", stance="denies", source=URL, date=given)
    assert r["date"] == given
    shown = cli.ok("show", str(r["claim_id"]), "--format", "json").json()
    [a] = shown["assertions"]
    assert a["date"] == given
    assert a["date_precision"] == precision
    assert shown["first_date"] == given
    [row] = listed(cli)
    assert row["last_date"] == given
    assert given in cli.ok("show", str(r["claim_id"])).stdout


def test_date_defaults_to_source_publication(cli):
    cli.ok("source", "add", URL, "--outlet", "The National", "--published", "2023-07-27")
    r = add(cli, CLAIM, by="White House", stance="asserts", source=URL)
    assert r["date"] == "2023-07-27"
    assert r["source_created"] is False


def test_date_defaults_to_published_option(cli):
    r = add(
        cli,
        CLAIM,
        by="White House",
        stance="asserts",
        source=URL,
        outlet="The National",
        published="2023-07",
    )
    assert r["date"] == "2023-07"
    shown = cli.ok("show", str(r["claim_id"]), "--format", "json").json()
    assert shown["assertions"][0]["source"]["outlet"] == "The National"


def test_tags_and_violates(cli):
    cli.ok("sanction", "add", "UNSC Resolution 1718")
    r = add(
        cli,
        CLAIM,
        by="White House",
        stance="asserts",
        source=URL,
        date="2023-07-26",
        tags=["arms-transfer", "Ukraine War"],
        violates=["unsc resolution 1718"],
    )
    shown = cli.ok("show", str(r["claim_id"]), "--format", "json").json()
    assert sorted(shown["tags"]) == ["arms-transfer", "ukraine-war"]
    assert shown["violates"] == ["UNSC Resolution 1718"]


def test_add_to_existing_claim_by_id(cli):
    first = add(cli, CLAIM, by="White House", stance="asserts", source=URL, date="2023-07-26")
    second = add(
        cli, first["claim_id"], by="Russia", stance="denies", source=URL, date="2023-07-27"
    )
    assert second["claim_id"] == first["claim_id"]
    assert second["claim_created"] is False
    shown = cli.ok("show", str(first["claim_id"]), "--format", "json").json()
    assert shown["contested"] is True


def test_stance_is_case_insensitive(cli):
    r = add(cli, CLAIM, by="Russia", stance="DENIES", source=URL, date="2024")
    shown = cli.ok("show", str(r["claim_id"]), "--format", "json").json()
    assert shown["assertions"][0]["stance"] == "denies"


@pytest.mark.parametrize(("stance", "polarity"), list(zip(STANCES, (2, 1, 0, -1, -2), strict=True)))
def test_every_stance_has_its_polarity(cli, stance, polarity):
    r = add(cli, CLAIM, by="Russia", stance=stance, source=URL, date="2024")
    shown = cli.ok("show", str(r["claim_id"]), "--format", "json").json()
    [a] = shown["assertions"]
    assert a["polarity"] == polarity
    group = "for" if polarity > 0 else "against" if polarity < 0 else "neutral"
    assert shown[group] == ["Russia"]


# --- unknown actors: refused when close to a known one, else created and said -----------


def _known_people(cli: Cli) -> None:
    cli.ok("actor", "add", "White House", "--kind", "government")
    cli.ok("actor", "add", "John Kirby", "--kind", "person", "--part-of", "White House")
    cli.ok("actor", "add", "Nasser Kanaani", "--kind", "person")
    cli.ok("actor", "add", "North Korea", "--kind", "state", "--alias", "Pyongyang")


def _actor_names(cli: Cli) -> list[str]:
    return sorted(a["name"] for a in cli.ok("actor", "list", "-f", "json").json())


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("Kirby", "'John Kirby'"),  # a word of a known name
        ("Kanaani", "'Nasser Kanaani'"),
        ("nasser", "'Nasser Kanaani'"),
        ("Jonh Kirby", "'John Kirby'"),  # a close typo
        ("Pyongang", "'Pyongyang' (North Korea)"),  # a close typo of an alias
        ("korea", "'North Korea'"),
    ],
)
@pytest.mark.parametrize("option", ["by", "via"])
def test_a_name_close_to_a_known_actor_is_refused(cli, target, name, meant, option):
    _known_people(cli)
    before = snapshot(target)
    names = {"by": name, "via": []} if option == "by" else {"by": "White House", "via": [name]}
    line = fails(cli.add(CLAIM, **names, stance="asserts", source=URL, date="2024", check=False), 1)
    assert line.startswith(f"error: --{option} '{name}' is no known actor or alias; "), line
    assert f"did you mean {meant}?" in line, line
    assert "--new-actor" in line, line
    assert snapshot(target) == before


def test_new_actor_insists(cli):
    _known_people(cli)
    refused = cli.add(CLAIM, by="Kirby", stance="asserts", source=URL, date="2024", check=False)
    assert refused.exit_code == 1
    result = cli.ok(
        *add_args(CLAIM, by="Kirby", stance="asserts", source=URL, date="2024"),
        "--new-actor",
        "-f",
        "json",
    )
    data = result.json()
    assert data["actor"] == "Kirby"
    assert data["actor_created"] is True
    assert data["new_actors"] == ["Kirby"]
    assert "new actor 'Kirby' (--new-actor; close to 'John Kirby')" in result.stderr
    assert "Kirby" in _actor_names(cli)
    # Once it exists, the name is that actor: no refusal, nothing new.
    again = add(cli, CLAIM, by="kirby", stance="denies", source=URL, date="2024")
    assert again["actor_id"] == data["actor_id"]
    assert again["new_actors"] == []


def test_a_name_close_to_nothing_is_created_and_said(cli):
    _known_people(cli)
    result = cli.add(
        CLAIM, by="Sergei Lavrov", via=["TASS"], stance="denies", source=URL, date="2024"
    )
    assert result.stderr.splitlines() == ["new actor 'Sergei Lavrov'", "new actor 'TASS'"]
    assert "Sergei Lavrov (new actor" in result.stdout
    data = add(cli, CLAIM, by="Sergei Lavrov", stance="denies", source=URL, date="2023")
    assert data["new_actors"] == []
    assert {"Sergei Lavrov", "TASS"} <= set(_actor_names(cli))


def test_new_names_are_compared_with_those_known_before(cli):
    """--by and --via of one add are compared with the names known before it, not with each
    other: "Lavrov" is no part of a known name when "Sergei Lavrov" is new in the same add."""
    data = add(
        cli, CLAIM, by="Sergei Lavrov", via=["Lavrov"], stance="denies", source=URL, date="2024"
    )
    assert data["new_actors"] == ["Sergei Lavrov", "Lavrov"]


def test_punctuation_is_close_to_nothing(cli):
    cli.ok("actor", "add", "+")
    data = add(cli, CLAIM, by="=", stance="denies", source=URL, date="2024")
    assert data["new_actors"] == ["="]


def test_allow_confusable_is_enough_for_a_look_alike(cli):
    """--allow-confusable says a look-alike is another actor: it needs no --new-actor, but
    a typo of another known name still does."""
    cli.ok("actor", "add", "Kim Jong Un")
    cli.ok("actor", "add", "Kim Jong Il")
    look_alike = "Kim J\u043eng Un"  # Cyrillic о
    args = add_args(CLAIM, by=look_alike, stance="denies", source=URL, date="2024")
    data = cli.ok(*args, "--allow-confusable", "-f", "json").json()
    assert data["new_actors"] == [look_alike]
    typo = add_args(CLAIM, by="Kim J\u043eng Um", stance="denies", source=URL, date="2024")
    line = fails(cli(*typo, "--allow-confusable"), 1)
    assert "did you mean" in line and "--new-actor" in line, line


def test_no_hint_for_a_known_alias(cli):
    cli.ok("actor", "add", "North Korea", "--kind", "state", "--alias", "Pyongyang")
    result = cli.add(
        CLAIM, by="pyongyang", stance="denies", source=URL, date="2023-07", format="json"
    )
    assert "did you mean" not in result.stderr
    data = result.json()
    assert data["actor"] == "North Korea"
    assert data["actor_created"] is False


# --- refused input: exit 2, one line ------------------------------------------------------


def test_bad_date_is_a_usage_error(cli):
    for bad in ("27/02/2024", "2024-02-30", "20240227", "2024-W09-2", "2024-2", " 2024", "45349"):
        line = fails(
            cli.add(CLAIM, by="Russia", stance="denies", source=URL, date=bad, check=False),
            2,
        )
        assert "--date" in line, bad
        assert "YYYY, YYYY-MM or YYYY-MM-DD" in line, bad
    assert listed(cli) == []


def test_unknown_stance_lists_the_five(cli):
    line = fails(
        cli.add(
            CLAIM, by="White House", stance="alleged", source=URL, date="2023-07-26", check=False
        ),
        2,
    )
    assert "--stance" in line
    assert "alleged" in line
    for stance in STANCES:
        assert stance in line
    assert listed(cli) == []


def test_non_http_source_is_a_usage_error(cli):
    for bad in ("ftp://x", "notaurl", "mailto:a@example.org", "https://"):
        line = fails(
            cli.add(CLAIM, by="Russia", stance="denies", source=bad, date="2024", check=False),
            2,
        )
        assert "--source" in line, bad
    assert listed(cli) == []


def test_missing_required_option(cli):
    given = {"--by": "Russia", "--stance": "denies", "--source": URL}
    for missing in given:
        args = [CLAIM, "--date", "2024"]
        for option, value in given.items():
            if option != missing:
                args += [option, value]
        line = fails(cli("add", *args), 2)
        assert missing in line, missing
    assert listed(cli) == []


def test_neither_text_nor_claim(cli):
    fails(cli("add", "--by", "Russia", "--stance", "denies", "--source", URL, "--date", "2024"), 2)


def test_text_and_claim_together(cli):
    r = add(cli, CLAIM, by="Russia", stance="denies", source=URL, date="2024")
    fails(
        cli(
            "add",
            "Other text",
            "--claim",
            str(r["claim_id"]),
            "--by",
            "Russia",
            "--stance",
            "denies",
            "--source",
            URL,
            "--date",
            "2024",
        ),
        2,
    )


def test_unknown_claim_id_fails(cli):
    line = fails(
        cli.add(999, by="Russia", stance="denies", source=URL, date="2024", check=False),
        1,
    )
    assert "999" in line
    # nothing was created on the way
    assert cli.ok("actor", "list", "--format", "json").json() == []
    assert cli.ok("source", "list", "--format", "json").json() == []


def test_unknown_sanction_fails_and_writes_nothing(cli):
    line = fails(
        cli.add(
            CLAIM,
            by="White House",
            stance="asserts",
            source=URL,
            date="2023-07-26",
            violates=["UNSC Resolution 9999"],
            check=False,
        ),
        1,
    )
    assert "UNSC Resolution 9999" in line
    assert listed(cli) == []
    assert cli.ok("actor", "list", "--format", "json").json() == []
    assert cli.ok("source", "list", "--format", "json").json() == []


def test_no_date_and_undated_source(cli):
    line = fails(cli.add(CLAIM, by="White House", stance="asserts", source=URL, check=False), 2)
    assert "--date" in line
    assert listed(cli) == []
    assert cli.ok("source", "list", "--format", "json").json() == []


def test_empty_claim_text(cli):
    for text in ("", "   "):
        fails(
            cli.add(text, by="Russia", stance="denies", source=URL, date="2024", check=False),
            2,
        )
    assert listed(cli) == []


def test_empty_actor_name(cli):
    fails(cli.add(CLAIM, by="   ", stance="denies", source=URL, date="2024", check=False), 2)
    assert listed(cli) == []


def test_nul_in_quote_is_refused(cli):
    line = fails(
        cli.add(
            CLAIM,
            by="Russia",
            stance="denies",
            source=URL,
            date="2024",
            quote="before\x00after",
            check=False,
        ),
        2,
    )
    assert "--quote" in line
    assert listed(cli) == []


def test_nul_in_claim_text_is_refused(cli):
    fails(
        cli.add(
            "North\x00Korea", by="Russia", stance="denies", source=URL, date="2024", check=False
        ),
        2,
    )
    assert listed(cli) == []


def test_unknown_option_is_a_usage_error(cli):
    line = fails(cli("add", CLAIM, "--bogus"), 2)
    assert "--bogus" in line


def test_bad_format_is_a_usage_error(cli):
    line = fails(
        cli(
            "add",
            CLAIM,
            "--by",
            "Russia",
            "--stance",
            "denies",
            "--source",
            URL,
            "--date",
            "2024",
            "--format",
            "xml",
        ),
        2,
    )
    assert "--format" in line
    assert listed(cli) == []


def test_a_number_as_the_claim_text_is_refused(cli):
    """`factdb add 1 --by …` means claim 1, not a new claim whose text is "1": refused,
    naming --claim, and nothing is created."""
    r = add(cli, CLAIM, by="Russia", stance="denies", source=URL, date="2024")
    line = fails(
        cli("add", str(r["claim_id"]), "--by", "Kremlin", "--stance", "denies", "--source", URL),
        2,
    )
    assert f"use --claim {r['claim_id']}" in line
    claims = cli.ok("list", "--format", "json").json()
    assert [c["claim"] for c in claims] == [CLAIM]
    assert [a["name"] for a in cli.ok("actor", "list", "--format", "json").json()] == ["Russia"]
