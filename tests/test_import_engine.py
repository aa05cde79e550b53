"""Both import formats resolve names through one engine (factdb.interchange.resolve.Keys): the
same assertions imported as CSV into one database and as JSON Lines into another give the same
actors (names and aliases matched), claims, sources, tags and sanction links, on both
backends; and the look-up of an actor by name or alias agrees with the key map imports use."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from factdb.interchange.common import ImportResult
from factdb.interchange.load import import_file
from factdb.queries import actor_by_name, actor_keys
from factdb.storage import db
from factdb.storage.config import DatabaseTarget
from tests.conftest import Cli
from tests.helpers import OLD_CSV_COLUMNS

# What both databases hold before the import: actors with aliases and a hierarchy, a
# sanction, a source, and a claim with a tag, a sanction link and one assertion.
SETUP: list[dict[str, Any]] = [
    {"type": "actor", "name": "North Korea", "kind": "state", "aliases": ["DPRK", "Pyongyang"]},
    {"type": "actor", "name": "KCNA", "kind": "media", "part_of": "North Korea"},
    {"type": "actor", "name": "Panel of Experts", "kind": "organization", "aliases": ["PoE"]},
    {"type": "sanction", "name": "UNSCR 2397", "authority": "UN Security Council"},
    {"type": "source", "url": "https://example.org/report", "outlet": "Example", "title": "R"},
    {"type": "claim", "text": "Old claim", "tags": ["old"], "violates": ["UNSCR 2397"]},
    {
        "type": "assertion",
        "claim": "Old claim",
        "actor": "KCNA",
        "stance": "denies",
        "date": "2023",
        "source_url": "https://example.org/report",
    },
]

# The same assertions in both formats: (claim, actor, stance, date, url, outlet, title,
# quote, via, tags, violates). Actors by alias and in other cases, a new actor, claims and
# URLs spelled differently, a source without URL, tags and sanctions old and new, a repeat,
# and a row already in the database.
ROWS: list[tuple[str, str, str, str, str, str, str, str, list[str], list[str], list[str]]] = [
    (
        "Shipments continued",
        "dprk",
        "denies",
        "2024-03",
        "https://example.org/a",
        "",
        "",
        "no such thing",
        ["Pyongyang", "kcna"],
        ["ship-to-ship", "oil"],
        ["UNSCR 2397", "UNSCR 2375"],
    ),
    (
        "  SHIPMENTS   continued ",
        "PoE",
        "asserts",
        "2024-04-02",
        "https://www.example.org/a/",
        "",
        "",
        "",
        ["New Reporter"],
        ["Oil"],
        ["unscr 2397"],
    ),
    (
        "Old claim",
        "North Korea",
        "denies",
        "2024",
        "",
        "Print Weekly",
        "Page one",
        "",
        [],
        ["old", "new-tag"],
        ["UNSCR 2375", "UNSCR 2270"],
    ),
    ("Old claim", "KCNA", "denies", "2023", "https://example.org/report", "", "", "", [], [], []),
    (
        "Shipments continued",
        "Panel of Experts",
        "asserts",
        "2024-04-02",
        "https://example.org/a",
        "",
        "",
        "repeat",
        [],
        [],
        [],
    ),
    (
        "Third claim",
        "new reporter",
        "neutral",
        "2022-01-05",
        "https://example.org/c",
        "",
        "",
        "",
        [],
        [],
        [],
    ),
]


def _write_csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(OLD_CSV_COLUMNS)
        for claim, actor, stance, date, url, outlet, title, quote, via, tags, violates in ROWS:
            writer.writerow(
                [claim, actor, stance, date, url, outlet, title, quote]
                + ["; ".join(via), "; ".join(tags), "; ".join(violates)]
            )
    return path


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _jsonl_records() -> list[dict[str, Any]]:
    records = []
    for claim, actor, stance, date, url, outlet, title, quote, via, tags, violates in ROWS:
        record: dict[str, Any] = {
            "type": "assertion",
            "claim": claim,
            "actor": actor,
            "stance": stance,
            "date": date,
            "source_url": url or None,
            "via": via,
            "quote": quote or None,
            "tags": tags,
            "violates": violates,
        }
        if not url:
            record.update(outlet=outlet, title=title)
        records.append(record)
    return records


def _import(target: DatabaseTarget, path: Path, fmt: str) -> ImportResult:
    return db.transact(target, lambda s: import_file(s, path, str(path), fmt), bulk=True)


SNAPSHOT = {
    "actors": "SELECT a.name, a.name_key, a.kind, p.name FROM actor AS a "
    "LEFT JOIN actor AS p ON p.id = a.part_of_id ORDER BY a.name_key",
    "aliases": "SELECT x.alias, a.name FROM actor_alias AS x JOIN actor AS a ON a.id = x.actor_id "
    "ORDER BY x.alias_key",
    "claims": "SELECT id, text, text_key FROM claim ORDER BY id",
    "sources": "SELECT s.id, s.url, s.key, s.outlet, s.title, o.name FROM source AS s "
    "LEFT JOIN actor AS o ON o.id = s.outlet_id ORDER BY s.id",
    "sanctions": "SELECT id, name, authority FROM sanction ORDER BY id",
    "tags": "SELECT c.text, t.tag FROM claim_tag AS t JOIN claim AS c ON c.id = t.claim_id "
    "ORDER BY c.text, t.tag",
    "links": "SELECT c.text, s.name FROM claim_sanction AS x JOIN claim AS c ON c.id = x.claim_id "
    "JOIN sanction AS s ON s.id = x.sanction_id ORDER BY c.text, s.name",
    "assertions": "SELECT a.id, c.text, ac.name, a.stance, a.date, a.date_precision, s.key, "
    "a.quote FROM assertion AS a JOIN claim AS c ON c.id = a.claim_id "
    "JOIN actor AS ac ON ac.id = a.actor_id JOIN source AS s ON s.id = a.source_id ORDER BY a.id",
    "via": "SELECT w.assertion_id, w.position, ac.name FROM assertion_via AS w "
    "JOIN actor AS ac ON ac.id = w.actor_id ORDER BY w.assertion_id, w.position",
}


def _snapshot(target: DatabaseTarget) -> dict[str, list[tuple[Any, ...]]]:
    with db.session_scope(target, write=False) as session:
        return {
            name: [tuple(str(v) for v in row) for row in session.execute(text(sql))]
            for name, sql in SNAPSHOT.items()
        }


def test_csv_and_jsonl_resolve_alike(
    target: DatabaseTarget, empty_target: DatabaseTarget, tmp_path: Path
) -> None:
    db.upgrade(empty_target)
    setup = _write_jsonl(tmp_path / "setup.jsonl", SETUP)
    for database in (target, empty_target):
        _import(database, setup, "jsonl")
    from_csv = _import(target, _write_csv(tmp_path / "rows.csv"), "csv")
    from_jsonl = _import(
        empty_target, _write_jsonl(tmp_path / "rows.jsonl", _jsonl_records()), "jsonl"
    )

    rows = _snapshot(target)
    assert rows == _snapshot(empty_target)
    # Names and aliases matched the actors there: one new actor only, "New Reporter", and
    # the outlets became actors of kind media, "Example" with the setup's source; the
    # sanction's authority an organization.
    assert [a[0:3:2] for a in rows["actors"]] == [
        ("Example", "media"),
        ("KCNA", "media"),
        ("New Reporter", "other"),
        ("North Korea", "state"),
        ("Panel of Experts", "organization"),
        ("Print Weekly", "media"),
        ("UN Security Council", "organization"),
    ]
    assert [a[1:3] for a in rows["assertions"]] == [
        ("Old claim", "KCNA"),
        ("Shipments continued", "North Korea"),
        ("Shipments continued", "Panel of Experts"),
        ("Old claim", "North Korea"),
        ("Third claim", "New Reporter"),
    ]
    assert [v[1:] for v in rows["via"]] == [
        ("1", "North Korea"),
        ("2", "KCNA"),
        ("1", "New Reporter"),
    ]
    assert rows["claims"] == [
        ("1", "Old claim", "old claim"),
        ("2", "Shipments continued", "shipments continued"),
        ("3", "Third claim", "third claim"),
    ]
    assert [s[1:2] + s[3:] for s in rows["sources"]] == [
        ("https://example.org/report", "Example", "R", "Example"),
        ("https://example.org/a", "None", "None", "None"),
        ("None", "Print Weekly", "Page one", "Print Weekly"),
        ("https://example.org/c", "None", "None", "None"),
    ]
    # A sanction named again in another case is the same one; missing ones are made by name.
    assert [s[1] for s in rows["sanctions"]] == ["UNSCR 2397", "UNSCR 2375", "UNSCR 2270"]
    assert rows["tags"] == [
        ("Old claim", "new-tag"),
        ("Old claim", "old"),
        ("Shipments continued", "oil"),
        ("Shipments continued", "ship-to-ship"),
    ]
    assert rows["links"] == [
        ("Old claim", "UNSCR 2270"),
        ("Old claim", "UNSCR 2375"),
        ("Old claim", "UNSCR 2397"),
        ("Shipments continued", "UNSCR 2375"),
        ("Shipments continued", "UNSCR 2397"),
    ]
    for result in (from_csv, from_jsonl):
        assert (result.new["actor"], result.new["claim"], result.new["sanction"]) == (2, 2, 2)
        assert (result.new["assertion"], result.existing["assertion"]) == (4, 1)
        assert (result.existing["claim"], result.duplicates) == (1, 1)
    # The CSV counts the actors and sources it names; JSON Lines counts its own records.
    assert (from_csv.existing["actor"], from_csv.new["source"]) == (3, 3)
    assert (from_csv.existing["source"], from_jsonl.new["source"]) == (1, 0)


def test_a_csv_row_naming_an_alias_resolves_to_that_actor(cli: Cli, tmp_path: Path) -> None:
    cli.ok("actor", "add", "North Korea", "--kind", "state", "--alias", "DPRK")
    path = tmp_path / "alias.csv"
    path.write_text(
        "claim,actor,stance,date,source_url,via\n"
        "A launch happened,  dprk ,asserts,2024,https://example.org/1,DPRK; North Korea\n",
        encoding="utf-8",
    )
    counts = {
        r["records"]: (r["new"], r["already_there"])
        for r in cli.ok("import", str(path), "--output-format", "json").json()
    }
    assert counts["actor"] == (0, 1)
    shown = cli.ok("show", "1", "--format", "json").json()
    rendered = json.dumps(shown)
    assert "North Korea" in rendered and "dprk" not in rendered.lower()
    with db.session_scope(cli.target, write=False) as session:
        assert session.execute(text("SELECT count(*) FROM actor")).scalar_one() == 1
        assert session.execute(text("SELECT actor_id FROM assertion")).scalar_one() == 1
        assert [int(i) for (i,) in session.execute(text("SELECT actor_id FROM assertion_via"))] == [
            1,
            1,
        ]


def test_a_tag_and_sanction_given_twice_in_jsonl_are_linked_once(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    """A claim record and an assertion record may both give a claim's tags and sanctions:
    the links are gathered and written once."""
    claim = {"type": "claim", "text": "X happened", "tags": ["a"], "violates": ["S1"]}
    assertion = {
        "type": "assertion",
        "claim": "x happened",
        "actor": "Al",
        "stance": "asserts",
        "date": "2024",
        "source_url": "https://example.org/1",
        "tags": ["A", "b"],
        "violates": ["s1", "S2"],
    }
    path = _write_jsonl(tmp_path / "twice.jsonl", [claim, assertion])
    result = _import(target, path, "jsonl")
    assert (result.new["claim"], result.new["sanction"], result.new["assertion"]) == (1, 2, 1)
    rows = _snapshot(target)
    assert rows["tags"] == [("X happened", "a"), ("X happened", "b")]
    assert rows["links"] == [("X happened", "S1"), ("X happened", "S2")]
    again = _import(target, path, "jsonl")
    assert (again.new["claim"], again.existing["claim"], again.new["assertion"]) == (0, 1, 0)
    assert _snapshot(target) == rows


def test_the_key_map_of_imports_agrees_with_the_look_up_by_name(cli: Cli) -> None:
    cli.ok("actor", "add", "North Korea", "--alias", "DPRK", "--alias", "Pyongyang")
    cli.ok("actor", "add", "Panel of Experts", "--alias", "PoE")
    with db.session_scope(cli.target, write=False) as session:
        keys = actor_keys(session)
        assert sorted(keys) == ["dprk", "north korea", "panel of experts", "poe", "pyongyang"]
        for key, actor_id in keys.items():
            found = actor_by_name(session, key.upper())
            assert found is not None and found[0] == actor_id
        assert actor_by_name(session, "South Korea") is None
