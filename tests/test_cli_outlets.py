"""Outlets are actors (docs/design.md, "Outlets"): ``add --outlet``, ``source add|edit
--outlet`` find the outlet's actor as ``add --by`` finds a speaker; ``actor merge``, ``delete``,
``rename`` and ``show`` know the sources an actor is the outlet of; ``show`` and ``source
list|show`` print the outlet through its actor; ``list --outlet`` selects by it.

Each test runs on SQLite and PostgreSQL (the ``cli`` fixture).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from factdb.cli.columns import SHOW_ROW, SOURCE_ROW
from factdb.storage import db
from tests.conftest import Cli
from tests.helpers import add, fails, listed, parse_csv, show

CLAIM = "North Korea has shipped weapons to Russia"
AP_URL = "https://apnews.com/article/north-korea-russia-arms"
REUTERS_URL = "https://www.reuters.com/world/north-korea-russia-arms"
OTHER_URL = "https://www.reuters.com/world/north-korea-russia-arms-2"
AFP = "Agence France-Presse"


def as_json(cli: Cli, *args: str) -> Any:
    return cli.ok(*args, "--format", "json").json()


def actor_names(cli: Cli) -> set[str]:
    return {a["name"] for a in as_json(cli, "actor", "list")}


def changes(data: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {c["field"]: (c["old"], c["new"]) for c in data["changes"]}


def sql(cli: Cli, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    """A statement straight on the database (the ratings have no command on this branch)."""
    with db.get_engine(cli.target).begin() as conn:
        result = conn.execute(text(statement), params)
        rows = [tuple(r) for r in result] if result.returns_rows else []
    db.dispose_all()
    return rows


def rate(cli: Cli, actor_id: int, grade: str | None, reason: str) -> None:
    sql(
        cli,
        "INSERT INTO rating (actor_id, grade, rated_by, rated_at, reason) "
        "VALUES (:actor, :grade, 'tester', CURRENT_TIMESTAMP, :reason)",
        actor=actor_id,
        grade=grade,
        reason=reason,
    )


def ap(cli: Cli) -> int:
    """Associated Press, a media actor also called AP."""
    made = as_json(cli, "actor", "add", "Associated Press", "--kind", "media", "--alias", "AP")
    return int(made["id"])


# --- resolving the outlet ------------------------------------------------------------------


def test_an_outlet_given_by_alias_is_that_actor(cli: Cli) -> None:
    ap_id = ap(cli)
    made = cli.add(CLAIM, by="Ukraine", stance="asserts", source=AP_URL, date="2024", outlet="AP")
    assert made.stderr == "new actor 'Ukraine'\n"  # the speaker; the outlet is known
    # the source's outlet actor, in add's JSON (the source is known now)
    result = add(cli, CLAIM, by="Ukraine", stance="asserts", source=AP_URL, date="2024-02")
    assert (result["outlet_id"], result["outlet_actor"]) == (ap_id, "Associated Press")
    assert actor_names(cli) == {"Associated Press", "Ukraine"}
    [source] = as_json(cli, "source", "list")
    assert source["outlet"] == "AP"  # as given
    assert (source["outlet_id"], source["outlet_actor"]) == (ap_id, "Associated Press")
    assert as_json(cli, "actor", "show", "AP")["outlet_of_sources"] == 1


def test_an_outlet_by_its_name_in_another_case_is_that_actor(cli: Cli) -> None:
    ap_id = ap(cli)
    data = add(
        cli,
        CLAIM,
        by="Ukraine",
        stance="asserts",
        source=AP_URL,
        date="2024",
        outlet="associated press",
    )
    assert data["outlet_id"] == ap_id
    assert data["new_actors"] == ["Ukraine"]
    table = cli.ok("show", str(data["claim_id"])).stdout
    assert "Associated Press" in table and "as given" not in table  # the same name


def test_a_new_outlet_is_a_media_actor_and_said(cli: Cli) -> None:
    made = cli.add(
        CLAIM,
        by="Ukraine",
        stance="asserts",
        source=REUTERS_URL,
        date="2024",
        outlet="Reuters",
        format="json",
    )
    assert "new actor 'Reuters' (media, the source's outlet)" in made.stderr.splitlines()
    data = made.json()
    assert data["new_actors"] == ["Ukraine", "Reuters"]
    assert data["outlet_actor"] == "Reuters"
    reuters = as_json(cli, "actor", "show", "Reuters")
    assert (reuters["kind"], reuters["outlet_of_sources"]) == ("media", 1)
    assert reuters["id"] == data["outlet_id"]
    # the same outlet again is the same actor
    again = add(cli, CLAIM, by="Ukraine", stance="asserts", source=OTHER_URL, date="2024")
    assert again["outlet_id"] is None  # this source was given no outlet
    other = add(
        cli, CLAIM, by="Ukraine", stance="asserts", source=OTHER_URL, date="2025", outlet="reuters"
    )
    assert other["outlet_id"] == data["outlet_id"] and other["new_actors"] == []
    assert as_json(cli, "actor", "show", "Reuters")["outlet_of_sources"] == 2


def test_an_outlet_close_to_a_known_actor_is_refused_then_insisted(cli: Cli) -> None:
    add(cli, CLAIM, by="Ukraine", stance="asserts", source=AP_URL, date="2024", outlet="Reuters")
    before = as_json(cli, "source", "list")
    line = fails(
        cli.add(
            CLAIM,
            by="Ukraine",
            stance="asserts",
            source=REUTERS_URL,
            date="2024",
            outlet="Reuter",
            check=False,
        ),
        1,
    )
    assert "--outlet 'Reuter'" in line and "'Reuters'" in line and "--new-actor" in line
    assert as_json(cli, "source", "list") == before  # nothing written
    # a part of a known name is refused as well
    cli.ok("actor", "add", "The Washington Post", "--kind", "media")
    line = fails(cli("source", "add", OTHER_URL, "--outlet", "Washington Post"), 1)
    assert "'The Washington Post'" in line and "--new-actor" in line
    made = cli.ok(
        *[
            "add",
            CLAIM,
            "--by",
            "Ukraine",
            "--stance",
            "asserts",
            "--source",
            REUTERS_URL,
            "--date",
            "2024",
            "--outlet",
            "Reuter",
            "--new-actor",
            "--format",
            "json",
        ]
    )
    assert (
        "new actor 'Reuter' (media, the source's outlet; --new-actor; close to 'Reuters')"
        in made.stderr
    )
    assert made.json()["outlet_actor"] == "Reuter"
    assert {"Reuters", "Reuter"} <= actor_names(cli)


def test_an_outlet_that_looks_like_a_known_actor_is_refused_unless_allowed(cli: Cli) -> None:
    cli.ok("actor", "add", "Reuters", "--kind", "media")
    look_alike = "R\u0435uters"  # Cyrillic е
    line = fails(cli("source", "add", AP_URL, "--outlet", look_alike), 1)
    assert "'Reuters'" in line and "U+0435" in line
    assert as_json(cli, "source", "list") == []
    made = as_json(cli, "source", "add", AP_URL, "--outlet", look_alike, "--allow-confusable")
    assert made["outlet_actor"] == look_alike
    assert as_json(cli, "actor", "show", look_alike)["kind"] == "media"


def test_speaker_and_outlet_of_one_name_are_one_actor(cli: Cli) -> None:
    """The National reports, and asserts in its own voice: one actor, both roles."""
    url = "https://www.thenationalnews.com/world/asia/2023/07/27/kim-missile-tour/"
    data = add(
        cli,
        CLAIM,
        by="The National",
        stance="asserts",
        source=url,
        date="2023-07-27",
        outlet="The National",
    )
    assert data["outlet_id"] == data["actor_id"]
    assert data["new_actors"] == ["The National"]  # created once, as the speaker
    shown = as_json(cli, "actor", "show", "The National")
    assert [a["id"] for a in shown["assertions"]] == [data["assertion_id"]]
    assert shown["outlet_of_sources"] == 1
    table = cli.ok("actor", "show", "The National").stdout
    assert "outlet of 1 source" in table and "The National" in table


# --- source add and edit -------------------------------------------------------------------


def test_source_add_resolves_its_outlet(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the table on one line
    ap_id = ap(cli)
    data = as_json(cli, "source", "add", AP_URL, "--outlet", "AP")
    assert (data["outlet"], data["outlet_id"], data["outlet_actor"]) == (
        "AP",
        ap_id,
        "Associated Press",
    )
    made = cli.ok("source", "add", REUTERS_URL, "--outlet", "Reuters", "--format", "json")
    assert made.stderr == "new actor 'Reuters' (media, the source's outlet)\n"
    assert as_json(cli, "actor", "show", "Reuters")["kind"] == "media"
    none = as_json(cli, "source", "add", OTHER_URL)
    assert (none["outlet"], none["outlet_id"], none["outlet_actor"]) == (None, None, None)
    table = cli.ok("source", "show", AP_URL).stdout
    assert "Associated Press (as given: AP)" in table
    rows = parse_csv(cli.ok("source", "list", "--format", "csv").stdout)
    assert list(rows[0]) == SOURCE_ROW
    assert [(r["outlet"], r["outlet_actor"]) for r in rows] == [
        ("AP", "Associated Press"),
        ("Reuters", "Reuters"),
        ("", ""),
    ]


def test_source_edit_outlet_finds_the_actor_and_clears_it(cli: Cli) -> None:
    ap_id = ap(cli)
    source = as_json(cli, "source", "add", AP_URL, "--outlet", "AP")["id"]
    moved = cli.ok("source", "edit", str(source), "--outlet", "Reuters", "--format", "json")
    assert "new actor 'Reuters' (media, the source's outlet)" in moved.stderr
    assert changes(moved.json()) == {
        "outlet": ("AP", "Reuters"),
        "outlet_actor": ("Associated Press", "Reuters"),
    }
    # the same actor by another of its names: the text changes, the actor does not
    cli.ok("source", "edit", str(source), "--outlet", "AP")
    same = as_json(cli, "source", "edit", str(source), "--outlet", "Associated Press")
    assert changes(same) == {"outlet": ("AP", "Associated Press")}
    assert as_json(cli, "source", "show", str(source))["outlet_id"] == ap_id
    # close to a known name: refused, unless --new-actor
    line = fails(cli("source", "edit", str(source), "--outlet", "Reuter"), 1)
    assert "'Reuters'" in line and "--new-actor" in line
    assert as_json(cli, "source", "show", str(source))["outlet"] == "Associated Press"
    insisted = as_json(cli, "source", "edit", str(source), "--outlet", "Reuter", "--new-actor")
    assert changes(insisted)["outlet_actor"] == ("Associated Press", "Reuter")
    # '' clears the outlet and its actor
    cleared = as_json(cli, "source", "edit", str(source), "--outlet", "")
    assert changes(cleared) == {"outlet": ("Reuter", None), "outlet_actor": ("Reuter", None)}
    shown = as_json(cli, "source", "show", str(source))
    assert (shown["outlet"], shown["outlet_id"], shown["outlet_actor"]) == (None, None, None)


# --- merge, delete, rename -----------------------------------------------------------------


def test_merge_moves_outlets_and_ratings(cli: Cli) -> None:
    ap_id = ap(cli)
    first = add(
        cli, CLAIM, by="Ukraine", stance="asserts", source=REUTERS_URL, date="2024", outlet=AFP
    )
    add(cli, CLAIM, by="Ukraine", stance="asserts", source=OTHER_URL, date="2024", outlet=AFP)
    afp = int(first["outlet_id"])
    rate(cli, afp, "B", "usually reliable")
    rate(cli, afp, None, "withdrawn")
    rate(cli, ap_id, "A", "reliable")
    table = cli.ok("actor", "merge", AFP, "Associated Press", "--reason", "test").stdout
    assert "sources' outlet moved: 2" in table and "ratings moved: 2" in table
    assert sql(cli, "SELECT count(*) FROM rating WHERE actor_id = :id", id=afp) == [(0,)]
    assert sql(cli, "SELECT count(*) FROM rating WHERE actor_id = :id", id=ap_id) == [(3,)]
    for source in as_json(cli, "source", "list"):
        assert (source["outlet"], source["outlet_id"]) == (AFP, ap_id)  # as given, kept
        assert source["outlet_actor"] == "Associated Press"
    assert as_json(cli, "actor", "show", "Associated Press")["outlet_of_sources"] == 2
    # the history has the ratings' move
    changes_ = as_json(cli, "history", "actor", "Associated Press")
    moved = [c for c in changes_ if c["table"] == "rating" and c["op"] == "update"]
    assert len(moved) == 2
    assert {(c["old"]["actor_id"], c["new"]["actor_id"]) for c in moved} == {(afp, ap_id)}


def test_merge_reports_outlets_in_json(cli: Cli) -> None:
    add(cli, CLAIM, by="Ukraine", stance="asserts", source=AP_URL, date="2024", outlet="A.P.")
    ap(cli)
    data = as_json(cli, "actor", "merge", "A.P.", "AP")
    assert (data["outlets_moved"], data["ratings_moved"]) == (1, 0)
    assert data["into"] == "Associated Press"


def test_delete_is_refused_while_an_outlet_or_rated(cli: Cli) -> None:
    add(cli, CLAIM, by="Ukraine", stance="asserts", source=AP_URL, date="2024", outlet="Reuters")
    line = fails(cli("actor", "delete", "Reuters"), 1)
    assert "1 source as its outlet" in line and "nothing was deleted" in line
    rated = as_json(cli, "actor", "add", "Rated Outlet", "--kind", "media")
    rate(cli, int(rated["id"]), "C", "fairly reliable")
    rate(cli, int(rated["id"]), None, "withdrawn")
    assert "2 ratings" in fails(cli("actor", "delete", "Rated Outlet"), 1)
    assert {"Reuters", "Rated Outlet"} <= actor_names(cli)
    # once nothing refers to it, it goes
    cli.ok("source", "edit", AP_URL, "--outlet", "")
    assert as_json(cli, "actor", "delete", "Reuters")["action"] == "deleted"


def test_rename_keeps_the_outlet_as_given(cli: Cli) -> None:
    data = add(
        cli, CLAIM, by="Ukraine", stance="asserts", source=AP_URL, date="2024", outlet="Reuters"
    )
    cli.ok("actor", "rename", "Reuters", "Thomson Reuters")
    [assertion] = show(cli, data["claim_id"])["assertions"]
    source = assertion["source"]
    assert (source["outlet"], source["outlet_id"], source["outlet_actor"]) == (
        "Reuters",
        data["outlet_id"],
        "Thomson Reuters",
    )
    assert "Thomson Reuters (as given: Reuters)" in cli.ok("show", str(data["claim_id"])).stdout


# --- reading -------------------------------------------------------------------------------


def test_show_carries_the_outlet_actor_in_every_format(cli: Cli) -> None:
    ap_id = ap(cli)
    data = add(cli, CLAIM, by="Ukraine", stance="asserts", source=AP_URL, date="2024", outlet="AP")
    add(cli, CLAIM, by="Russia", stance="denies", source=OTHER_URL, date="2024")
    claim = str(data["claim_id"])
    by_actor = {a["actor"]: a["source"] for a in show(cli, data["claim_id"])["assertions"]}
    assert by_actor["Ukraine"] == {
        "id": data["source_id"],
        "url": AP_URL,
        "outlet": "AP",
        "outlet_id": ap_id,
        "outlet_actor": "Associated Press",
        "title": None,
        "published": None,
    }
    assert (by_actor["Russia"]["outlet_id"], by_actor["Russia"]["outlet_actor"]) == (None, None)
    rows = parse_csv(cli.ok("show", claim, "--format", "csv").stdout)
    assert list(rows[0]) == SHOW_ROW
    assert {
        (r["source_outlet"], r["source_outlet_id"], r["source_outlet_actor"]) for r in rows
    } == {
        ("AP", str(ap_id), "Associated Press"),
        ("", "", ""),
    }
    line = cli.ok("show", claim, "--format", "jsonl").stdout
    assert '"outlet_actor": "Associated Press"' in line
    table = cli.ok("show", claim).stdout
    assert "Associated Press (as given: AP)" in table
    assert OTHER_URL[:30] in table  # no outlet: the URL, as before
    page = cli.ok("show", claim, "--format", "html").stdout
    assert "<bdi>Associated Press (as given: AP)</bdi>" in page


def test_list_outlet_selects_by_the_outlet_not_by_the_speaker(cli: Cli) -> None:
    ap(cli)
    first = add(cli, CLAIM, by="Ukraine", stance="asserts", source=AP_URL, date="2024", outlet="AP")
    add(cli, "Another claim", by="Russia", stance="denies", source=OTHER_URL, date="2024")
    assert [c["id"] for c in listed(cli, "--outlet", "Associated Press")] == [first["claim_id"]]
    assert [c["id"] for c in listed(cli, "--outlet", "ap")] == [first["claim_id"]]
    # --actor is who spoke: an outlet that said nothing selects nothing
    assert listed(cli, "--actor", "AP") == []
    assert "no actor" in fails(cli("list", "--outlet", "Nobody At All"), 1)


def test_a_site_names_its_outlet_filter() -> None:
    from factdb.interchange.site import describe_filters
    from factdb.queries import Filters

    assert describe_filters(Filters(outlet="AP", tag="drones")) == "outlet: AP · tag: drones"
