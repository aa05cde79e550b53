"""External identifiers (``wikidata:Q7747``) of actors and sanctions: ``actor|sanction
identify|unidentify``, ``actor add --id``, shown by ``show`` and ``list``, resolving wherever
an actor or a sanction is named, moved by ``actor merge``, in the history and through the
JSON Lines round trip (docs/design.md, External identifiers).

Every database test runs on SQLite and PostgreSQL (the ``cli`` fixture)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from factdb.core.errors import InvalidInput
from factdb.core.identifiers import ExternalId, parse_external_id
from tests.conftest import Cli
from tests.helpers import add, fails, listed, parse_csv
from tests.test_interchange_evidence import export, fresh, records  # noqa: F401
from tests.test_roundtrip import counts

URL = "https://example.org/a"
PUTIN = "Vladimir Putin"


def data(cli: Cli, *args: str) -> Any:
    return cli.ok(*args, "--format", "json").json()


@pytest.fixture
def putin(cli: Cli) -> Cli:
    cli.ok(
        "actor", "add", PUTIN, "--kind", "person", "--id", "Q7747", "--id", "opensanctions:Q7747"
    )
    cli.ok("actor", "add", "Russia", "--kind", "state")
    return cli


# --- the format ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "scheme", "value"),
    [
        ("wikidata:Q7747", "wikidata", "Q7747"),
        ("Q7747", "wikidata", "Q7747"),
        ("q7747", "wikidata", "Q7747"),
        ("  WikiData : q7747 ", "wikidata", "Q7747"),
        ("https://www.wikidata.org/wiki/Q7747", "wikidata", "Q7747"),
        ("http://wikidata.org/entity/Q7747", "wikidata", "Q7747"),
        ("https://m.wikidata.org/wiki/Q7747#sitelinks", "wikidata", "Q7747"),
        ("https://www.opensanctions.org/entities/NK-2fUvW/", "opensanctions", "NK-2fUvW"),
        ("OpenSanctions:NK-2fUvW", "opensanctions", "NK-2fUvW"),
        ("gleif.lei:5493001KJTIIGC8Y1R12", "gleif.lei", "5493001KJTIIGC8Y1R12"),
    ],
)
def test_an_id_is_read_as_scheme_and_value(given, scheme, value):
    assert parse_external_id(given) == ExternalId(scheme, value)
    assert str(parse_external_id(given)) == f"{scheme}:{value}"


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("", "must not be empty"),
        ("Q0", "no external id"),
        ("7747", "no external id"),
        ("wikidata:7747", "a Wikidata id is an item"),
        ("wikidata:P31", "a Wikidata id is an item"),
        ("1abc:x", "must be a letter"),
        ("wiki data:Q1", "must be a letter"),
        ("opensanctions:", "has no value"),
        ("opensanctions:a;b", "contains ';'"),
        ("opensanctions:a\nb", "single line"),
        ("https://example.org/Q7747", "is a URL"),
        ("https://www.wikidata.org/wiki/Property:P31", "is a URL"),
    ],
)
def test_a_malformed_id_is_refused_saying_why(given, why):
    with pytest.raises(InvalidInput) as caught:
        parse_external_id(given, "--id")
    assert caught.value.field == "--id"
    assert why in str(caught.value)


# --- attach, show, list -------------------------------------------------------------------


def test_ids_are_shown_and_listed_in_every_format(putin):
    shown = data(putin, "actor", "show", PUTIN)
    assert shown["ids"] == ["opensanctions:Q7747", "wikidata:Q7747"]
    assert "ids: opensanctions:Q7747, wikidata:Q7747" in putin.ok("actor", "show", PUTIN).stdout
    listed_actors = {a["name"]: a for a in data(putin, "actor", "list")}
    assert listed_actors[PUTIN]["ids"] == ["opensanctions:Q7747", "wikidata:Q7747"]
    assert listed_actors["Russia"]["ids"] == []
    rows = {r["name"]: r for r in parse_csv(putin.ok("actor", "list", "-f", "csv").stdout)}
    assert rows[PUTIN]["ids"] == "opensanctions:Q7747; wikidata:Q7747"
    assert rows["Russia"]["ids"] == ""


def test_identify_reports_the_change_as_a_correction(putin):
    result = data(
        putin, "actor", "identify", "Russia", "Q159", "https://www.wikidata.org/wiki/Q159"
    )
    assert result["action"] == "edited"
    assert result["changes"] == [{"field": "ids", "old": [], "new": ["wikidata:Q159"]}]
    csv_rows = parse_csv(
        putin.ok("actor", "identify", "Russia", "gnd:4076899-5", "-f", "csv").stdout
    )
    assert csv_rows[0]["field"] == "ids" and csv_rows[0]["new"] == "gnd:4076899-5; wikidata:Q159"
    table = putin.ok("actor", "unidentify", "Russia", "gnd:4076899-5").stdout
    assert "ids: gnd:4076899-5, wikidata:Q159 → wikidata:Q159" in table
    assert data(putin, "actor", "show", "Russia")["ids"] == ["wikidata:Q159"]


def test_the_same_id_again_changes_nothing_and_says_so(putin):
    result = putin.ok("actor", "identify", PUTIN, "wikidata:Q7747", "-f", "json")
    assert result.json()["action"] == "unchanged"
    assert "wikidata:Q7747 already recorded; nothing changed" in result.stderr
    assert data(putin, "actor", "show", PUTIN)["ids"] == ["opensanctions:Q7747", "wikidata:Q7747"]


# --- refusals -----------------------------------------------------------------------------


def test_an_id_of_another_record_is_refused_naming_it(putin):
    line = fails(putin("actor", "identify", "Russia", "Q159", "Q7747"), 1)
    assert "wikidata:Q7747 already identifies actor 'Vladimir Putin' (id 1)" in line
    assert data(putin, "actor", "show", "Russia")["ids"] == []  # nothing written, Q159 neither
    line = fails(putin("actor", "add", "Putin", "--id", "wikidata:Q7747"), 1)
    assert "already identifies actor 'Vladimir Putin'" in line
    assert "Putin" not in {a["name"] for a in data(putin, "actor", "list")}
    putin.ok("sanction", "add", "UNSC 1718")
    putin.ok("sanction", "identify", "UNSC 1718", "wikidata:Q1054966")
    line = fails(putin("actor", "identify", "Russia", "Q1054966"), 1)
    assert "already identifies sanction 'UNSC 1718'" in line


@pytest.mark.parametrize(
    "args",
    [
        ("actor", "identify", "Russia", "nonsense"),
        ("actor", "identify", "Russia", "wikidata:P31"),
        ("actor", "add", "Someone", "--id", "a;b"),
        ("actor", "identify", "Russia", "https://example.org/x"),
    ],
)
def test_a_malformed_id_writes_nothing(putin, args):
    line = fails(putin(*args), 2)
    assert "error:" in line
    assert data(putin, "actor", "show", "Russia")["ids"] == []
    assert "Someone" not in {a["name"] for a in data(putin, "actor", "list")}


def test_unknown_records_and_missing_ids_are_refused(putin):
    assert "no actor 'Nobody'" in fails(putin("actor", "identify", "Nobody", "Q1"), 1)
    assert "no sanction 'Nothing'" in fails(putin("sanction", "identify", "Nothing", "Q1"), 1)
    line = fails(putin("actor", "unidentify", "Russia", "Q7747"), 1)
    assert "actor 'Russia' has no id wikidata:Q7747 (it has none)" in line
    assert "it identifies actor 'Vladimir Putin'" in line
    assert data(putin, "actor", "show", PUTIN)["ids"] == ["opensanctions:Q7747", "wikidata:Q7747"]


# --- resolving ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "Q7747",
        "wikidata:Q7747",
        "WIKIDATA:q7747",
        "opensanctions:Q7747",
        "https://www.wikidata.org/wiki/Q7747",
    ],
)
def test_an_id_names_its_actor(putin, ref):
    assert data(putin, "actor", "show", ref)["name"] == PUTIN


def test_an_id_names_its_actor_in_every_command(putin):
    made = add(putin, "Putin said so", by="Q7747", stance="asserts", source=URL, date="2024")
    assert made["actor"] == PUTIN
    assert made["new_actors"] == []
    putin.ok("actor", "part-of", "wikidata:Q7747", "Russia")
    putin.ok("actor", "identify", "Russia", "Q159")
    assert data(putin, "actor", "show", PUTIN)["part_of"] == "Russia"
    putin.ok("actor", "part-of", "Q7747", "Q159")
    assert [c["id"] for c in listed(putin, "--actor", "Q7747")] == [made["claim_id"]]
    assert [c["id"] for c in listed(putin, "--actor", "wikidata:Q159")] == [made["claim_id"]]
    putin.ok("actor", "alias", "Q7747", "Putin")
    assert data(putin, "actor", "show", "Putin")["ids"] == ["opensanctions:Q7747", "wikidata:Q7747"]
    rows = data(putin, "history", "actor", "Q7747")
    assert any(r["table"] == "external_id" for r in rows)


def test_an_id_that_identifies_no_actor_is_not_made_a_new_actor(putin):
    line = fails(
        putin.add("Claim", by="Q99", stance="asserts", source=URL, date="2024", check=False), 1
    )
    assert "'Q99' is the external id wikidata:Q99, which identifies no actor" in line
    line = fails(
        putin.add(
            "Claim", by="opensanctions:X1", stance="asserts", source=URL, date="2024", check=False
        ),
        1,
    )
    assert "identifies no actor" in line
    # A name with a colon whose scheme nobody uses is a name.
    made = add(
        putin, "Claim", by="Reuters: Moscow bureau", stance="asserts", source=URL, date="2024"
    )
    assert made["new_actors"] == ["Reuters: Moscow bureau"]


def test_a_name_is_found_before_an_id(putin):
    putin.ok("actor", "add", "Q5")
    putin.ok("actor", "add", "Humans", "--id", "wikidata:Q5")
    putin.ok("actor", "add", "Reuters: Moscow", "--kind", "media")
    putin.ok("actor", "add", "Reuters Moscow bureau", "--id", "reuters:Moscow")
    assert data(putin, "actor", "show", "Q5")["name"] == "Q5"
    assert data(putin, "actor", "show", "wikidata:Q5")["name"] == "Humans"
    assert data(putin, "actor", "show", "Reuters: Moscow")["name"] == "Reuters: Moscow"
    # "Reuters: Moscow" reads as the id reuters:Moscow too: its name wins; spelled otherwise,
    # no name answers and the id does.
    assert data(putin, "actor", "show", "reuters:Moscow")["name"] == "Reuters Moscow bureau"


def test_a_sanction_has_ids_and_is_found_by_them(putin):
    putin.ok("sanction", "add", "UNSC Resolution 1718")
    putin.ok("sanction", "identify", "UNSC Resolution 1718", "Q1054966", "opensanctions:un-sc-1718")
    shown = data(putin, "sanction", "show", "opensanctions:un-sc-1718")
    assert shown["name"] == "UNSC Resolution 1718"
    assert shown["ids"] == ["opensanctions:un-sc-1718", "wikidata:Q1054966"]
    assert (
        "ids: opensanctions:un-sc-1718, wikidata:Q1054966"
        in putin.ok("sanction", "show", "Q1054966").stdout
    )
    made = add(
        putin,
        "Shipments",
        by=PUTIN,
        stance="denies",
        source=URL,
        date="2024",
        violates=["Q1054966"],
    )
    assert [c["id"] for c in listed(putin, "--sanction", "wikidata:Q1054966")] == [made["claim_id"]]
    assert data(putin, "actor", "show", PUTIN)["name"] == PUTIN  # a sanction's id is no actor's
    assert "no actor 'Q1054966'" in fails(putin("actor", "show", "Q1054966"), 1)
    putin.ok("sanction", "unidentify", "UNSC Resolution 1718", "Q1054966")
    assert data(putin, "sanction", "show", "UNSC Resolution 1718")["ids"] == [
        "opensanctions:un-sc-1718"
    ]


# --- merge, delete, history ---------------------------------------------------------------


def test_merge_moves_the_ids(putin):
    putin.ok("actor", "add", "Putin", "--id", "gnd:118888346")
    merged = data(putin, "actor", "merge", "Putin", PUTIN)
    assert merged["ids_moved"] == 1
    assert data(putin, "actor", "show", "gnd:118888346")["name"] == PUTIN
    assert data(putin, "actor", "show", PUTIN)["ids"] == [
        "gnd:118888346",
        "opensanctions:Q7747",
        "wikidata:Q7747",
    ]


def test_delete_is_refused_while_the_actor_has_ids(putin):
    line = fails(putin("actor", "delete", PUTIN), 1)
    assert "is referred to by 2 external ids" in line
    putin.ok("actor", "unidentify", PUTIN, "Q7747", "opensanctions:Q7747")
    putin.ok("actor", "delete", PUTIN)


def test_history_shows_id_changes(putin):
    putin.ok("actor", "unidentify", PUTIN, "opensanctions:Q7747", "--reason", "wrong entity")
    rows = [r for r in data(putin, "history", "actor", PUTIN) if r["table"] == "external_id"]
    assert [(r["op"], r["what"]) for r in rows] == [
        ("delete", "opensanctions:'Q7747' of actor 1"),
        ("insert", "opensanctions:'Q7747' of actor 1"),
        ("insert", "wikidata:'Q7747' of actor 1"),
    ]
    assert rows[0]["reason"] == "wrong entity"


# --- interchange --------------------------------------------------------------------------


def test_jsonl_round_trip_keeps_the_ids(putin, fresh, tmp_path):  # noqa: F811
    putin.ok("sanction", "add", "UNSC Resolution 1718")
    putin.ok("sanction", "identify", "UNSC Resolution 1718", "Q1054966")
    add(putin, "Putin said so", by=PUTIN, stance="asserts", source=URL, date="2024")
    first = export(putin, tmp_path / "first.jsonl")
    written = {(r["type"], r["name"]): r for r in records(first) if "name" in r}
    assert written[("actor", PUTIN)]["ids"] == ["opensanctions:Q7747", "wikidata:Q7747"]
    assert "ids" not in written[("actor", "Russia")]  # written only when there are
    assert written[("sanction", "UNSC Resolution 1718")]["ids"] == ["wikidata:Q1054966"]
    fresh.ok("import", str(tmp_path / "first.jsonl"))
    assert export(fresh, tmp_path / "second.jsonl") == first
    assert counts(fresh.target) == counts(putin.target)
    # Again: everything is there already.
    again = fresh.ok("import", str(tmp_path / "first.jsonl"), "-f", "json").json()
    assert all(r["new"] == 0 for r in again)


def write(path: Path, *lines: dict[str, Any]) -> str:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return str(path)


def test_import_finds_an_actor_by_its_id_under_another_name(putin, tmp_path):
    path = write(
        tmp_path / "in.jsonl",
        {"type": "actor", "name": "Putin", "kind": "person", "ids": ["wikidata:Q7747", "Q1"]},
        {"type": "claim", "text": "Putin spoke"},
        {
            "type": "assertion",
            "claim": "Putin spoke",
            "actor": "Putin",
            "stance": "asserts",
            "date": "2024",
            "source_url": URL,
        },
    )
    before = len(data(putin, "actor", "list"))
    result = putin.ok("import", path, "-f", "json")
    counted = {r["records"]: r for r in result.json()}
    assert (counted["actor"]["new"], counted["actor"]["already_there"]) == (0, 1)
    assert (
        "line 1: actor 'Putin' is actor 'Vladimir Putin' (id 1) by its external id; counted as "
        "already there, 'Putin' added as its alias" in result.stderr
    )
    assert len(data(putin, "actor", "list")) == before
    shown = data(putin, "actor", "show", PUTIN)
    assert shown["aliases"] == ["Putin"]
    assert shown["ids"] == ["opensanctions:Q7747", "wikidata:Q1", "wikidata:Q7747"]
    assert [a["actor"] for a in shown["assertions"]] == [PUTIN]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            {"type": "actor", "name": "Russia", "ids": ["Q7747"]},
            "actor 'Russia' is actor 'Russia' (id 2) by name, but wikidata:Q7747 identifies "
            "actor 'Vladimir Putin' (id 1)",
        ),
        (
            {"type": "actor", "name": "Someone", "ids": ["Q7747", "Q1054966"]},
            "wikidata:Q1054966 already identifies sanction 'UNSC 1718' (id 1)",
        ),
        (
            {"type": "sanction", "name": "UN 1718", "ids": ["Q1054966"]},
            "wikidata:Q1054966 already identifies sanction 'UNSC 1718' (id 1), not sanction "
            "'UN 1718'",
        ),
        ({"type": "sanction", "name": "UNSC 1718", "ids": ["Q7747"]}, "identifies actor"),
        ({"type": "actor", "name": "Someone", "ids": ["wikidata:P31"]}, "ids: 'wikidata:P31'"),
        ({"type": "actor", "name": "Someone", "ids": "Q1"}, "ids: must be a list of strings"),
    ],
)
def test_import_refuses_ids_that_contradict_the_database(putin, tmp_path, record, message):
    putin.ok("sanction", "add", "UNSC 1718")
    putin.ok("sanction", "identify", "UNSC 1718", "Q1054966")
    before = counts(putin.target)
    result = putin("import", write(tmp_path / "in.jsonl", record))
    assert result.exit_code != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert counts(putin.target) == before
