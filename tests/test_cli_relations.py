"""Claim relations (docs/design.md, Claim relations): ``claim relate|unrelate``, the rules and
refusals, ``claim merge`` moving relations, ``show`` (text, JSON, HTML), ``list --related-to``
and the commands sharing its filters, the change history; on SQLite and PostgreSQL.

The claims of most tests (``claims`` fixture), as the drones dispute breaks down:
1 Iran supplied Russia with drones; 2 Iran shipped Shahed-136 drones to Russia (a part of 1);
3 Shaheds were shipped across the Caspian Sea (a part of 2); 4 Iran sent no drones to Russia;
5 Russia builds its own Geran-2 drones; 6 Russia used Iranian drones in Ukraine.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session

from factdb.core.errors import Conflict, FactdbError
from factdb.domain import claims as claim_domain
from factdb.domain import records, relations
from factdb.storage import db
from factdb.storage.config import ChangeContext, DatabaseTarget
from tests.conftest import Cli
from tests.helpers import fails, listed, parse_csv, show

TEXTS = [
    "Iran supplied Russia with drones",
    "Iran shipped Shahed-136 drones to Russia",
    "Shaheds were shipped across the Caspian Sea",
    "Iran sent no drones to Russia",
    "Russia builds its own Geran-2 drones",
    "Russia used Iranian drones in Ukraine",
]
KINDS = ["part_of", "implies", "contradicts", "same_as"]
OPTION = {kind: "--" + kind.replace("_", "-") for kind in KINDS}


@pytest.fixture
def claims(cli: Cli) -> list[int]:
    """The six claims above, ids 1 to 6; the first three tagged ``drones``."""
    ids = []
    for i, claim in enumerate(TEXTS, start=1):
        args = ["--tag", "drones"] if i <= 3 else []
        result = cli.ok(
            "add",
            claim,
            "--by",
            "Ukraine" if i % 2 else "Iran",
            "--stance",
            "asserts",
            "--source",
            f"https://ex.org/{i}",
            "--date",
            f"2022-{i:02d}",
            *args,
            "--format",
            "json",
        )
        ids.append(result.json()["claim_id"])
    assert ids == [1, 2, 3, 4, 5, 6]
    return ids


def relate(cli: Cli, a: int, kind: str, b: int, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = cli.ok(
        "claim", "relate", str(a), OPTION[kind], str(b), *args, "-f", "json"
    ).json()
    return data


def stored(target: DatabaseTarget) -> list[tuple[int, str, int]]:
    with db.session_scope(target, write=False) as s:
        return [
            (int(a), str(k), int(b))
            for a, k, b in s.execute(
                text("SELECT claim_id, kind, other_claim_id FROM claim_relation ORDER BY id")
            )
        ]


def related_ids(cli: Cli, claim_id: int, *args: str) -> list[int]:
    return [r["id"] for r in listed(cli, "--related-to", str(claim_id), *args)]


# --- relate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "line"),
    [
        ("part_of", "claim 2 is now part of claim 1"),
        ("implies", "claim 2 now implies claim 1"),
        ("contradicts", "claim 2 now contradicts claim 1"),
        ("same_as", "claim 2 is now the same as claim 1"),
    ],
)
def test_relate_says_what_it_recorded(cli: Cli, claims: list[int], kind: str, line: str) -> None:
    result = cli.ok("claim", "relate", "2", OPTION[kind], "1", "--reason", "reading the report")
    assert result.stdout.strip() == line
    again = cli.ok("claim", "relate", "2", OPTION[kind], "1").stdout.strip()
    assert again.endswith("; nothing changed") and "already" in again
    # Directed kinds are stored as given; symmetric ones once, the lower id first.
    expected = (2, kind, 1) if kind in ("part_of", "implies") else (1, kind, 2)
    assert stored(cli.target) == [expected]


def test_relate_in_every_format(cli: Cli, claims: list[int]) -> None:
    data = relate(cli, 5, "contradicts", 4)
    assert data == {
        "action": "related",
        "claim_id": 5,
        "claim": TEXTS[4],
        "kind": "contradicts",
        "other_claim_id": 4,
        "other_claim": TEXTS[3],
        "relation_id": data["relation_id"],
    }
    assert isinstance(data["relation_id"], int)
    [row] = parse_csv(cli.ok("claim", "relate", "4", "--contradicts", "5", "-f", "csv").stdout)
    assert row["action"] == "unchanged" and row["kind"] == "contradicts"
    assert row["relation_id"] == str(data["relation_id"])
    lines = cli.ok("claim", "relate", "6", "--implies", "1", "-f", "jsonl").stdout.splitlines()
    assert len(lines) == 1 and '"action": "related"' in lines[0]
    assert stored(cli.target) == [(4, "contradicts", 5), (6, "implies", 1)]


def test_a_symmetric_relation_given_either_way_is_one(cli: Cli, claims: list[int]) -> None:
    assert relate(cli, 4, "same_as", 1)["action"] == "related"
    assert relate(cli, 1, "same_as", 4)["action"] == "unchanged"
    # A directed one is not: 2 part of 1 and 1 implies 2 are two relations, as are both
    # directions of implies.
    relate(cli, 2, "implies", 1)
    assert relate(cli, 1, "implies", 2)["action"] == "related"
    assert stored(cli.target) == [(1, "same_as", 4), (2, "implies", 1), (1, "implies", 2)]


@pytest.mark.parametrize("kind", KINDS)
def test_a_claim_related_to_itself_is_refused(cli: Cli, claims: list[int], kind: str) -> None:
    line = fails(cli("claim", "relate", "3", OPTION[kind], "3"), 1)
    assert line.startswith("error: claim 3 cannot ") and line.endswith(" itself")
    assert stored(cli.target) == []


def test_a_part_of_cycle_through_three_claims_is_refused_naming_the_chain(
    cli: Cli, claims: list[int]
) -> None:
    relate(cli, 1, "part_of", 2)
    relate(cli, 2, "part_of", 3)
    line = fails(cli("claim", "relate", "3", "--part-of", "1"), 1)
    assert line == (
        "error: claim 3 cannot be part of claim 1: claim 1 is part of claim 2, which is part "
        "of claim 3, so claim 3 would be part of itself"
    )
    # Two claims: the shortest cycle.
    line = fails(cli("claim", "relate", "2", "--part-of", "1"), 1)
    assert "claim 1 is part of claim 2, so claim 2 would be part of itself" in line
    assert stored(cli.target) == [(1, "part_of", 2), (2, "part_of", 3)]
    # Other kinds may go round: 1 implies 2 implies 1 says they are equivalent.
    relate(cli, 3, "implies", 1)
    relate(cli, 1, "implies", 3)
    # A claim part of two wholes, with no cycle, is fine.
    assert relate(cli, 1, "part_of", 3)["action"] == "related"


def test_unknown_claims_are_refused(cli: Cli, claims: list[int]) -> None:
    assert "no claim 99" in fails(cli("claim", "relate", "99", "--part-of", "1"), 1)
    assert "no claim 99" in fails(cli("claim", "relate", "1", "--same-as", "99"), 1)
    assert "no claim 99" in fails(cli("claim", "unrelate", "1", "--same-as", "99"), 1)
    big = "99999999999999999999"
    assert f"no claim {big}" in fails(cli("claim", "relate", "1", "--implies", big), 1)
    assert stored(cli.target) == []


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--part-of", "2", "--implies", "3"],
        ["--contradicts", "2", "--same-as", "2"],
    ],
)
def test_exactly_one_relation_option(cli: Cli, claims: list[int], args: list[str]) -> None:
    for command in ("relate", "unrelate"):
        line = fails(cli("claim", command, "1", *args), 2)
        assert "give exactly one of --part-of, --implies, --contradicts, --same-as" in line
    assert stored(cli.target) == []


def test_bad_values_are_usage_errors(cli: Cli, claims: list[int]) -> None:
    fails(cli("claim", "relate", "1", "--part-of", "two"), 2)
    assert "--reason" in fails(cli("claim", "relate", "1", "--part-of", "2", "--reason", "a\0"), 2)
    assert stored(cli.target) == []


# --- unrelate -------------------------------------------------------------------------------


def test_unrelate_removes_what_was_recorded(cli: Cli, claims: list[int]) -> None:
    relate(cli, 2, "part_of", 1)
    relate(cli, 1, "contradicts", 4)
    out = cli.ok("claim", "unrelate", "2", "--part-of", "1", "--reason", "a guess").stdout
    assert out.strip() == "claim 2 is no longer part of claim 1"
    # A symmetric relation is removed given either way.
    data = cli.ok("claim", "unrelate", "4", "--contradicts", "1", "-f", "json").json()
    assert data["action"] == "unrelated" and data["claim_id"] == 4
    assert stored(cli.target) == []


def test_unrelate_of_a_relation_not_recorded_is_refused(cli: Cli, claims: list[int]) -> None:
    relate(cli, 2, "part_of", 1)
    line = fails(cli("claim", "unrelate", "1", "--implies", "2"), 1)
    assert line == "error: claim 1 does not imply claim 2; nothing changed"
    # The other direction of a directed relation is named, with the command that removes it.
    line = fails(cli("claim", "unrelate", "1", "--part-of", "2"), 1)
    assert line == (
        "error: claim 1 is not part of claim 2 (claim 2 is part of claim 1: "
        "`factdb claim unrelate 2 --part-of 1`); nothing changed"
    )
    line = fails(cli("claim", "unrelate", "1", "--same-as", "1"), 1)
    assert line == "error: claim 1 is not the same as claim 1; nothing changed"
    assert stored(cli.target) == [(2, "part_of", 1)]


# --- reading --------------------------------------------------------------------------------


def relations_of(data: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(r["relation"], r["kind"], r["claim_id"]) for r in data["relations"]]


def test_show_lists_relations_from_both_ends(cli: Cli, claims: list[int]) -> None:
    relate(cli, 2, "part_of", 1)
    relate(cli, 3, "part_of", 1)
    relate(cli, 1, "part_of", 6)
    relate(cli, 4, "contradicts", 1)
    relate(cli, 5, "implies", 1)
    relate(cli, 1, "same_as", 6)
    data = show(cli, 1)
    assert relations_of(data) == [
        ("part of", "part_of", 6),
        ("has part", "part_of", 2),
        ("has part", "part_of", 3),
        ("implied by", "implies", 5),
        ("contradicts", "contradicts", 4),
        ("same as", "same_as", 6),
    ]
    assert data["relations"][1]["claim"] == TEXTS[1]
    assert relations_of(show(cli, 4)) == [("contradicts", "contradicts", 1)]
    assert relations_of(show(cli, 5)) == [("implies", "implies", 1)]
    assert show(cli, 1, "--as-of", "2020")["relations"] == data["relations"]
    out = cli.ok("show", "1").stdout
    line = next(x for x in out.splitlines() if x.startswith("part of:"))
    assert line == (
        "part of: #6 Russia used Iranian drones in Ukraine; has parts: #2 Iran shipped "
        "Shahed-136 drones to Russia, #3 Shaheds were shipped across the Caspian…; "
        "implied by: #5 Russia builds its own Geran-2 drones; contradicts: #4 Iran sent no "
        "drones to Russia; same as: #6 Russia used Iranian drones in Ukraine"
    )
    assert relations_of(show(cli, 3)) == [("part of", "part_of", 1)]
    relate(cli, 3, "implies", 2)
    assert (
        "part of: #1 Iran supplied Russia with drones; implies: #2 " in cli.ok("show", "3").stdout
    )


def test_show_without_relations(cli: Cli, claims: list[int]) -> None:
    assert show(cli, 1)["relations"] == []
    out = cli.ok("show", "1").stdout
    assert "part of:" not in out and "has parts:" not in out


def test_show_cuts_long_texts_and_escapes_them(cli: Cli, claims: list[int]) -> None:
    long = "A claim worded at great length \u202e reversed, " + "and so on " * 10
    cli.add(long, by="Ukraine", stance="asserts", source="https://ex.org/long", date="2023")
    relate(cli, 7, "part_of", 1)
    line = next(x for x in cli.ok("show", "1").stdout.splitlines() if x.startswith("has parts"))
    assert line.startswith("has parts: #7 A claim worded at great length \\u202e") and "…" in line
    assert show(cli, 1)["relations"][0]["claim"] == long.strip()


def test_list_related_to(cli: Cli, claims: list[int]) -> None:
    relate(cli, 2, "part_of", 1)
    relate(cli, 3, "part_of", 2)  # a part of a part of 1
    relate(cli, 1, "part_of", 6)  # a whole of 1
    relate(cli, 5, "part_of", 6)  # a part of 1's whole: not related to 1
    relate(cli, 4, "contradicts", 1)
    assert related_ids(cli, 1) == [2, 3, 4, 6]
    assert related_ids(cli, 2) == [1, 3]  # its whole's whole (6) is not included
    assert related_ids(cli, 3) == [2]
    assert related_ids(cli, 6) == [1, 2, 3, 5]  # its parts at any depth
    assert related_ids(cli, 4) == [1]
    # With the other filters: only the tagged ones, at most one.
    assert related_ids(cli, 1, "--tag", "drones") == [2, 3]
    assert related_ids(cli, 1, "--limit", "1") == [2]
    assert related_ids(cli, 1, "--actor", "Iran") == [2, 4, 6]
    assert related_ids(cli, 5) == [6]
    # Every format.
    table = cli.ok("list", "--related-to", "1").stdout
    assert TEXTS[3][:20] in table and TEXTS[0][:20] not in table
    assert [
        r["id"] for r in parse_csv(cli.ok("list", "--related-to", "1", "-f", "csv").stdout)
    ] == [
        "2",
        "3",
        "4",
        "6",
    ]
    jsonl = cli.ok("list", "--related-to", "1", "-f", "jsonl").stdout.splitlines()
    assert len(jsonl) == 4
    assert related_ids(cli, 5, "--tag", "drones") == []
    assert "no claims match" in cli.ok("list", "--related-to", "5", "--tag", "drones").stdout


def test_list_related_to_is_the_views(cli: Cli, claims: list[int]) -> None:
    """``--related-to`` selects exactly the rows of ``claim_related`` and ``claim_part``."""
    for a, kind, b in [
        (2, "part_of", 1),
        (3, "part_of", 2),
        (4, "part_of", 3),
        (5, "implies", 3),
        (1, "same_as", 6),
        (6, "part_of", 4),  # 6 is part of 4, which is part of 3 …: no cycle through 6
    ]:
        relate(cli, a, kind, b)
    for claim_id in range(1, 7):
        sql = (
            f"SELECT related_claim_id FROM claim_related WHERE claim_id = {claim_id} UNION "
            f"SELECT part_id FROM claim_part WHERE whole_id = {claim_id} ORDER BY 1"
        )
        rows = cli.ok("sql", sql, "-f", "json").json()
        expected = sorted({r["related_claim_id"] for r in rows} - {claim_id})
        assert related_ids(cli, claim_id) == expected, claim_id


def test_list_related_to_an_unknown_claim(cli: Cli, claims: list[int]) -> None:
    assert "no claim 99" in fails(cli("list", "--related-to", "99"), 1)
    fails(cli("list", "--related-to", "x"), 2)
    assert related_ids(cli, 1) == []


def test_report_export_and_site_take_related_to(
    cli: Cli, claims: list[int], tmp_path: Path
) -> None:
    relate(cli, 2, "part_of", 1)
    relate(cli, 4, "contradicts", 1)
    report = parse_csv(cli.ok("report", "side-by-side", "--related-to", "1").stdout)
    assert {row["claim_id"] for row in report} == {"2", "4"}
    out = tmp_path / "export.jsonl"
    cli.ok("export", str(out), "--related-to", "1")
    exported = out.read_text(encoding="utf-8")
    assert TEXTS[1] in exported and TEXTS[3] in exported and TEXTS[2] not in exported
    site = tmp_path / "site"
    cli.ok("site", "-o", str(site), "--related-to", "1")
    assert sorted(p.name for p in (site / "claims").iterdir()) == ["2.html", "4.html"]
    assert "related to claim 1" in (site / "index.html").read_text(encoding="utf-8")


def test_claim_pages_link_related_claims(cli: Cli, claims: list[int], tmp_path: Path) -> None:
    relate(cli, 2, "part_of", 1)
    relate(cli, 4, "contradicts", 1)
    relate(cli, 1, "part_of", 6)
    site = tmp_path / "site"
    cli.ok("site", "-o", str(site), "--tag", "drones")  # claims 1, 2, 3
    page = (site / "claims" / "1.html").read_text(encoding="utf-8")
    section = page.split('<p class="meta relations" id="relations">')[1].split("</p>")[0]
    assert section.startswith("part of: ")
    # Claim 2 has a page in this site: a link; claims 4 and 6 have none: their text.
    assert f'#2 <a href="../claims/2.html"><bdi>{TEXTS[1]}</bdi></a>' in section
    assert f"#4 <bdi>{TEXTS[3]}</bdi>" in section and "../claims/4.html" not in section
    assert f"#6 <bdi>{TEXTS[5]}</bdi>" in section
    assert "has parts: " in section and "contradicts: " in section
    back = (site / "claims" / "2.html").read_text(encoding="utf-8")
    assert (
        'part of: <span class="related" data-kind="part_of" data-claim="1">#1 '
        '<a href="../claims/1.html">' in back
    )
    assert 'id="relations"' not in (site / "claims" / "3.html").read_text(encoding="utf-8")
    # One page alone links to no other page.
    alone = cli.ok("show", "1", "--format", "html").stdout
    assert f"#2 <bdi>{TEXTS[1]}</bdi>" in alone and "claims/2.html" not in alone


# --- merge ----------------------------------------------------------------------------------


def test_merge_moves_relations_and_says_what_it_removed(cli: Cli, claims: list[int]) -> None:
    relate(cli, 2, "part_of", 1)  # becomes 1 part of 1: removed
    relate(cli, 3, "part_of", 2)  # becomes 3 part of 1: moved
    relate(cli, 5, "implies", 2)  # repeats 5 implies 1: removed
    relate(cli, 5, "implies", 1)
    relate(cli, 2, "contradicts", 4)  # becomes 1 contradicts 4: moved
    relate(cli, 2, "same_as", 6)  # stored as (2, 6): moved to (1, 6)
    data = cli.ok("claim", "merge", "2", "1", "--reason", "one claim", "-f", "json").json()
    assert data["relations_moved"] == [2, 5, 6]
    assert data["relations_removed"] == [
        {
            "relation": 1,
            "claim_id": 2,
            "kind": "part_of",
            "other_claim_id": 1,
            "duplicate_of": None,
        },
        {"relation": 3, "claim_id": 5, "kind": "implies", "other_claim_id": 2, "duplicate_of": 4},
    ]
    assert stored(cli.target) == [
        (3, "part_of", 1),
        (5, "implies", 1),
        (1, "contradicts", 4),
        (1, "same_as", 6),
    ]
    assert relations_of(show(cli, 1)) == [
        ("has part", "part_of", 3),
        ("implied by", "implies", 5),
        ("contradicts", "contradicts", 4),
        ("same as", "same_as", 6),
    ]

    # The history has every row change of the merge, with its reason: claim 2's history
    # holds the whole change set that deleted it; claim 1's the changes of its relations.
    def merge_changes(claim_id: int) -> list[tuple[str, str, str]]:
        changes = cli.ok("history", "claim", str(claim_id), "-f", "json").json()
        merged = [c for c in changes if c["command"] == "factdb claim merge"]
        assert {c["reason"] for c in merged} == {"one claim"}
        return sorted(
            (c["row"], c["op"], c["what"]) for c in merged if c["table"] == "claim_relation"
        )

    assert merge_changes(2) == [
        ("1", "delete", "claim 2 is part of claim 1"),
        ("2", "update", "other_claim_id: 2 → 1"),
        ("3", "delete", "claim 5 implies claim 2"),
        ("5", "update", "claim_id: 2 → 1"),
        ("6", "update", "claim_id: 2 → 1"),
    ]
    assert [row for row, _, _ in merge_changes(1)] == ["1", "2", "5", "6"]


def test_merge_report_in_words(cli: Cli, claims: list[int]) -> None:
    relate(cli, 2, "part_of", 1)
    relate(cli, 3, "part_of", 2)
    relate(cli, 5, "implies", 2)
    relate(cli, 5, "implies", 1)
    out = cli.ok("claim", "merge", "2", "1").stdout
    assert "relations moved: 1 (2)" in out
    assert "relation 1 removed (claim 2 is part of claim 1): claim 1 would be part of itself" in out
    assert "relation 3 removed (claim 5 implies claim 2): it would repeat relation 4" in out


def test_merge_that_would_close_a_part_of_cycle_is_refused(cli: Cli, claims: list[int]) -> None:
    relate(cli, 3, "part_of", 1)
    relate(cli, 1, "part_of", 5)
    line = fails(cli("claim", "merge", "5", "3"), 1)
    assert line == (
        "error: claim 5 cannot be merged into claim 3: claim 3 would be part of itself "
        "(claim 3 is part of claim 1, which is part of claim 3, once claim 5 is claim 3); "
        "remove one of these relations first (`factdb claim unrelate`)"
    )
    assert stored(cli.target) == [(3, "part_of", 1), (1, "part_of", 5)]
    assert show(cli, 5)["id"] == 5  # nothing changed: claim 5 is still there


# --- history --------------------------------------------------------------------------------


def test_history_shows_relation_changes_from_both_ends(cli: Cli, claims: list[int]) -> None:
    relate(cli, 1, "contradicts", 4, "--reason", "they cannot both hold")
    relate(cli, 2, "part_of", 1)
    cli.ok("claim", "unrelate", "4", "--contradicts", "1", "--reason", "not quite")
    for claim_id in (1, 4):  # stored with claim_id 1: claim 4 is only in the row's JSON
        rows = [
            r
            for r in cli.ok("history", "claim", str(claim_id), "-f", "json").json()
            if r["table"] == "claim_relation"
        ]
        contradicts = [
            (r["op"], r["what"], r["reason"]) for r in rows if "contradicts" in r["what"]
        ]
        assert contradicts == [
            ("delete", "claim 1 contradicts claim 4", "not quite"),
            ("insert", "claim 1 contradicts claim 4", "they cannot both hold"),
        ], claim_id
    two = cli.ok("history", "claim", "2", "-f", "json").json()
    assert [r["what"] for r in two if r["table"] == "claim_relation"] == [
        "claim 2 is part of claim 1"
    ]
    assert not [
        r
        for r in cli.ok("history", "claim", "3", "-f", "json").json()
        if r["table"] == "claim_relation"
    ]
    table = cli.ok("history", "claim", "4").stdout
    assert "claim_relation" in table and "deleted" in table


# --- the rules hold under concurrency and any sequence ------------------------------------------


def _write(target: DatabaseTarget, work: Any) -> Any:
    return db.transact(target, work, change=ChangeContext(user="test", command="factdb test"))


def test_two_writers_cannot_close_a_cycle_together(target: DatabaseTarget) -> None:
    """One writer relates 1 part of 2 and holds its transaction open; another relating 2 part
    of 1 meanwhile waits for it, then sees the first relation and is refused."""
    for claim in TEXTS[:2]:
        _write(target, lambda s, c=claim: records.get_or_create_claim(s, c))
    outcome: list[BaseException | str] = []

    def second() -> None:
        try:
            _write(target, lambda s: relations.relate(s, 2, "part_of", 1))
            outcome.append("related")
        except BaseException as exc:  # the thread reports what happened to it
            outcome.append(exc)

    with db.session_scope(target, write=True) as session:
        relations.relate(session, 1, "part_of", 2)
        worker = threading.Thread(target=second)
        worker.start()
        time.sleep(1.0)
        assert worker.is_alive() and not outcome  # waiting for the first writer
    worker.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict), outcome
    assert "would be part of itself" in str(outcome[0])
    assert stored(target) == [(1, "part_of", 2)]


class Model:
    """The relations as the rules say they should be, beside the database's."""

    def __init__(self) -> None:
        self.rows: set[tuple[int, str, int]] = set()
        self.claims = {1, 2, 3, 4}

    def key(self, a: int, kind: str, b: int) -> tuple[int, str, int]:
        return (a, kind, b) if kind in ("part_of", "implies") else (min(a, b), kind, max(a, b))

    def reaches(self, start: int, goal: int, rows: set[tuple[int, str, int]]) -> bool:
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            for a, kind, b in rows:
                if kind == "part_of" and a == node and b not in seen:
                    if b == goal:
                        return True
                    seen.add(b)
                    todo.append(b)
        return False

    def relate(self, a: int, kind: str, b: int) -> bool:
        if a not in self.claims or b not in self.claims or a == b:
            return False
        if kind == "part_of" and self.key(a, kind, b) not in self.rows:
            if self.reaches(b, a, self.rows):
                return False
        self.rows.add(self.key(a, kind, b))
        return True

    def unrelate(self, a: int, kind: str, b: int) -> bool:
        key = self.key(a, kind, b)
        if a not in self.claims or b not in self.claims or key not in self.rows:
            return False
        self.rows.remove(key)
        return True

    def merge(self, a: int, b: int) -> bool:
        if a not in self.claims or b not in self.claims or a == b:
            return False
        rows = set()
        for x, kind, y in self.rows:
            x, y = (b if x == a else x), (b if y == a else y)
            if x != y:
                rows.add(self.key(x, kind, y))
        if any(self.reaches(w, b, rows) for x, k, w in rows if k == "part_of" and x == b):
            return False
        self.rows = rows
        self.claims.remove(a)
        return True


def _apply(s: Session, *, action: str, kind: str, a: int, b: int) -> object:
    if action == "relate":
        return relations.relate(s, a, kind, b)
    if action == "unrelate":
        return relations.unrelate(s, a, kind, b)
    return claim_domain.merge_claims(s, source_id=a, into_id=b)


pair = st.tuples(st.integers(1, 4), st.integers(1, 4))
step = st.one_of(
    st.tuples(st.just("relate"), st.sampled_from(KINDS), pair),
    st.tuples(st.just("unrelate"), st.sampled_from(KINDS), pair),
    st.tuples(st.just("merge"), st.just(""), pair),
)


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(steps=st.lists(step, min_size=1, max_size=14))
def test_any_sequence_keeps_the_rules(target: DatabaseTarget, steps: list[Any]) -> None:
    """Relations, removals and merges in any order: the database holds what the rules say
    (the model), never a claim part of itself, never a symmetric relation out of order."""
    with db.session_scope(target, write=True) as s:  # examples share the database: start over
        s.execute(text("DELETE FROM claim_relation"))
        s.execute(text("DELETE FROM assertion"))
        s.execute(text("DELETE FROM claim"))
    ids = [_write(target, lambda s, c=c: records.get_or_create_claim(s, c)[0]) for c in TEXTS[:4]]
    number = {i + 1: claim_id for i, claim_id in enumerate(ids)}  # model numbers -> ids
    model = Model()
    for action, kind, (a, b) in steps:
        expected = getattr(model, action)(*((a, kind, b) if action != "merge" else (a, b)))

        try:
            _write(target, partial(_apply, action=action, kind=kind, a=number[a], b=number[b]))
            done = True
        except FactdbError:
            done = False
        assert done == expected, (action, kind, a, b)
        back = {v: k for k, v in number.items()}
        assert {(back[x], k, back[y]) for x, k, y in stored(target)} == model.rows
    with db.session_scope(target, write=False) as s:
        assert not s.execute(text("SELECT 1 FROM claim_part WHERE whole_id = part_id")).all()
