"""The interchange formats carry what migration 0008 added (docs/design.md, Command line):
qualified stances and approximate dates (CSV and JSON Lines), outlets as actors (both), claim
relations and ratings (JSON Lines). Export → import into an empty database → export gives the
same bytes; files without the new fields import as before; a bad relation or rating is
refused with its file and line, and nothing is written. Every test runs on SQLite and
PostgreSQL (docs/reliability.md, "Interchange of the evidence")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from factdb.storage import db
from factdb.storage.config import DatabaseTarget
from tests.conftest import Cli
from tests.helpers import OLD_CSV_COLUMNS, parse_csv
from tests.test_interchange import refused, snapshot
from tests.test_roundtrip import counts

DATA = Path(__file__).parent / "data"

# --- a database holding the evidence ------------------------------------------------------

SEED_CLAIM = {
    "shipped": "North Korea has shipped weapons, including infantry rockets and missiles, to "
    "Russia in support of its war in Ukraine",
    "reached": "Russia has reached out to North Korea for help and support in fighting its war "
    "in Ukraine",
    "struggling": "Russia is struggling to procure arms for its war in Ukraine",
    "exhibition": "Kim Jong Un led Sergei Shoigu round an exhibition of new North Korean weapons "
    "and military equipment",
    "banned": "The arms exhibition Kim Jong Un showed Sergei Shoigu featured North Korean "
    "ballistic missiles banned under UN Security Council resolutions",
}


def run(target: DatabaseTarget, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """SQL on ``target`` in a transaction of its own; the rows it returns, if any."""
    with db.session_scope(target, write=True) as session:
        result = session.execute(text(sql), params)
        return [tuple(r) for r in result] if sql.lstrip().startswith("SELECT") else []


def one(target: DatabaseTarget, sql: str, **params: Any) -> Any:
    [(value,)] = run(target, sql, **params)
    return value


def claim_id(target: DatabaseTarget, name: str) -> int:
    return int(one(target, "SELECT id FROM claim WHERE text = :t", t=SEED_CLAIM[name]))


def link_outlet(target: DatabaseTarget, outlet: str, actor: str | None) -> None:
    """Point the sources of ``outlet`` at ``actor`` (None: at no actor), as the domain would."""
    actor_id = (
        None if actor is None else one(target, "SELECT id FROM actor WHERE name = :n", n=actor)
    )
    run(target, "UPDATE source SET outlet_id = :a WHERE outlet = :o", a=actor_id, o=outlet)


def build_evidence(cli: Cli) -> None:
    """The seed article (its outlet The National is an actor of the seed), and: an outlet
    named by an alias (Yonhap), one whose actor was renamed since (Daily NK), one linked to no
    actor (Unlinked Weekly); qualified stances and approximate dates; relations of every
    kind; ratings of actors and assertions, with a withdrawal and a rating of a retracted
    assertion. Rows the commands of this branch cannot write yet are written in SQL."""
    target = cli.target
    cli.ok("seed")
    cli.ok("actor", "add", "Yonhap News Agency", "--kind", "media", "--alias", "Yonhap")
    cli.ok("actor", "add", "Daily NK", "--kind", "media")
    cli.add(
        SEED_CLAIM["shipped"],
        by="Kim Jong Un",
        stance="asserts",
        date="2024-02",
        source="https://example.org/yonhap/1",
        outlet="Yonhap",
        title="Shells by rail",
        quote="=SUM(A1)\n'second line",
    )
    cli.add(
        SEED_CLAIM["reached"],
        by="Kim Jong Un",
        stance="asserts",
        date="2024-02",
        source="https://example.org/dnk/1",
        outlet="Daily NK",
    )
    cli.add(
        SEED_CLAIM["struggling"],
        by="Russia",
        stance="denies",
        source="https://example.org/unlinked/1",
        outlet="Unlinked Weekly",
        date="2024-03-01",
    )
    link_outlet(target, "Yonhap", "Yonhap News Agency")
    link_outlet(target, "Daily NK", "Daily NK")
    link_outlet(target, "Unlinked Weekly", None)
    cli.ok("actor", "rename", "Daily NK", "Daily NK English")
    # Qualified stances and approximate dates.
    first, second, third = (
        int(r[0]) for r in run(target, "SELECT id FROM assertion ORDER BY id LIMIT 3")
    )
    run(
        target,
        "UPDATE assertion SET qualifier = 'partial', qualifier_note = :n, date_approximate = "
        "TRUE WHERE id = :i",
        n='only the rockets,\n"not" the missiles; =1+1',
        i=first,
    )
    run(target, "UPDATE assertion SET qualifier = 'hedged' WHERE id = :i", i=second)
    run(
        target,
        "UPDATE assertion SET qualifier_note = 'said off the record', date_approximate = TRUE "
        "WHERE id = :i",
        i=third,
    )
    run(
        target,
        "UPDATE assertion SET qualifier = 'conditional', date_approximate = TRUE "
        "WHERE source_id = (SELECT id FROM source WHERE outlet = 'Yonhap')",
    )
    # Relations: directed ones as given, symmetric ones lower id first.
    ids = {name: claim_id(target, name) for name in SEED_CLAIM}
    for claim, kind, other in (
        ("banned", "part_of", "exhibition"),
        ("exhibition", "part_of", "shipped"),
        ("reached", "contradicts", "struggling"),
        ("shipped", "implies", "reached"),
        ("shipped", "same_as", "banned"),
    ):
        low, high = ids[claim], ids[other]
        if kind in ("contradicts", "same_as") and low > high:
            low, high = high, low
        run(
            target,
            "INSERT INTO claim_relation (claim_id, kind, other_claim_id, created_at) "
            "VALUES (:c, :k, :o, CURRENT_TIMESTAMP)",
            c=low,
            k=kind,
            o=high,
        )
    # Ratings, appended: the newest of a record counts; a NULL grade withdraws.
    cli.ok("retract", str(second), "--reason", "misattributed")
    national = one(target, "SELECT id FROM actor WHERE name = 'The National'")
    yonhap = one(target, "SELECT id FROM actor WHERE name = 'Yonhap News Agency'")
    for actor_id, assertion_id, grade, by, at, reason in (
        (national, None, "B", "ann", "2025-01-02 03:04:05.123456", "a good record"),
        (None, first, "2", "ann", "2025-01-03 10:00:00", None),
        (yonhap, None, "C", "bob", "2025-01-04 10:00:00", "state-adjacent"),
        (national, None, None, "bob", "2025-02-01 09:30:00.5", "withdrawn: ann's call"),
        (None, first, "5", "bob", "2025-02-02 10:00:00", "contradicted\nby two sources"),
        (None, second, "6", "ann", "2025-02-03 10:00:00", "retracted since"),
    ):
        run(
            target,
            "INSERT INTO rating (actor_id, assertion_id, grade, rated_by, rated_at, reason) "
            "VALUES (:a, :s, :g, :b, :t, :r)",
            a=actor_id,
            s=assertion_id,
            g=grade,
            b=by,
            t=at,
            r=reason,
        )


@pytest.fixture
def evidence(cli: Cli) -> Cli:
    build_evidence(cli)
    return cli


@pytest.fixture
def fresh(empty_target: DatabaseTarget) -> Iterator[Cli]:
    """Another database, empty, at the schema head."""
    db.upgrade(empty_target)
    db.dispose_all()
    yield Cli(empty_target)


def export(cli: Cli, path: Path) -> bytes:
    """Through a file, not stdout: the captured stdout would fold CRLF into LF."""
    cli.ok("export", str(path))
    return path.read_bytes()


def records(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines()]


CURRENT = (
    "SELECT coalesce(ac.name, c.text || ' / ' || aa.name), r.grade, r.rated_by "
    "FROM rating_current AS r LEFT JOIN actor AS ac ON ac.id = r.actor_id "
    "LEFT JOIN assertion AS a ON a.id = r.assertion_id LEFT JOIN claim AS c ON c.id = a.claim_id "
    "LEFT JOIN actor AS aa ON aa.id = a.actor_id ORDER BY 1, 2"
)
RELATED = (
    "SELECT c.text, r.relation, o.text FROM claim_related AS r "
    "JOIN claim AS c ON c.id = r.claim_id JOIN claim AS o ON o.id = r.related_claim_id "
    "ORDER BY 1, 2, 3"
)
OUTLETS = (
    "SELECT s.url, s.outlet, a.name, a.kind FROM source AS s "
    "LEFT JOIN actor AS a ON a.id = s.outlet_id ORDER BY coalesce(s.url, ''), s.outlet"
)
QUALIFIED = (
    "SELECT c.text, ac.name, a.stance, a.qualifier, a.qualifier_note, a.date_approximate, "
    "a.retracted_at IS NOT NULL FROM assertion AS a JOIN claim AS c ON c.id = a.claim_id "
    "JOIN actor AS ac ON ac.id = a.actor_id ORDER BY a.id"
)


# --- the round trip -----------------------------------------------------------------------


def test_jsonl_round_trip_of_the_evidence_is_identical(evidence, fresh, tmp_path):
    first = export(evidence, tmp_path / "first.jsonl")
    imported = fresh.ok("import", str(tmp_path / "first.jsonl"), "-f", "json").json()
    second = export(fresh, tmp_path / "second.jsonl")
    assert second == first
    assert counts(fresh.target) == counts(evidence.target)
    for query in (CURRENT, RELATED, OUTLETS, QUALIFIED):
        assert run(fresh.target, query) == run(evidence.target, query), query
    assert {r["records"]: r["new"] for r in imported}["relation"] == 5
    assert {r["records"]: r["new"] for r in imported}["rating"] == 6
    # What the file says, record by record.
    written = records(first)
    kinds = [r["type"] for r in written]
    assert kinds == sorted(
        kinds,
        key=["actor", "source", "sanction", "claim", "relation", "assertion", "rating"].index,
    )
    relations = [r for r in written if r["type"] == "relation"]
    assert {"type": "relation", "claim": SEED_CLAIM["banned"], "kind": "part_of"} | {
        "other": SEED_CLAIM["exhibition"]
    } in relations
    sources = {r["url"]: r for r in written if r["type"] == "source"}
    assert "outlet_actor" not in sources["https://example.org/yonhap/1"]  # by its alias
    assert sources["https://example.org/yonhap/1"]["outlet"] == "Yonhap"
    assert sources["https://example.org/dnk/1"]["outlet_actor"] == "Daily NK English"
    assert sources["https://example.org/unlinked/1"]["outlet_actor"] is None
    assertions = [r for r in written if r["type"] == "assertion"]
    assert [a["date"][0] == "~" for a in assertions].count(True) == 3
    assert {a["qualifier"] for a in assertions} == {None, "partial", "hedged", "conditional"}
    ratings = [r for r in written if r["type"] == "rating"]
    assert [r.get("actor") or r["assertion"]["actor"] for r in ratings] == [
        "The National",
        "White House",
        "Yonhap News Agency",
        "The National",
        "White House",
        "North Korea",
    ]
    assert ratings[3] == {
        "type": "rating",
        "actor": "The National",
        "grade": None,
        "by": "bob",
        "at": "2025-02-01T09:30:00.500000+00:00",
        "reason": "withdrawn: ann's call",
    }
    assert set(ratings[1]["assertion"]) == {"claim", "actor", "stance", "date", "source_url"}
    # The withdrawal holds: The National has no current grade, the assertion its newest.
    current = run(fresh.target, CURRENT)
    assert not [row for row in current if row[0] == "The National"]
    assert (f"{SEED_CLAIM['shipped']} / White House", "5", "bob") in current


def test_jsonl_import_twice_changes_nothing(evidence, fresh, tmp_path):
    path = tmp_path / "evidence.jsonl"
    export(evidence, path)
    fresh.ok("import", str(path))
    before = snapshot(fresh.target)
    again = fresh.ok("import", str(path), "-f", "json").json()
    assert all(r["new"] == 0 for r in again), again
    assert {r["records"]: r["already_there"] for r in again}["rating"] == 6
    assert snapshot(fresh.target) == before


def test_a_filtered_export_names_only_what_it_writes(evidence, fresh, tmp_path):
    """With a filter, relations between two written claims and ratings of written
    assertions (and of every actor): the file imports on its own, and round-trips."""
    first = tmp_path / "first.jsonl"
    evidence.ok("export", str(first), "--tag", "weapons-exhibition")
    written = records(first.read_bytes())
    assert [(r["claim"], r["other"]) for r in written if r["type"] == "relation"] == [
        (SEED_CLAIM["banned"], SEED_CLAIM["exhibition"])
    ]
    assert [r.get("actor") for r in written if r["type"] == "rating"] == [
        "The National",
        "Yonhap News Agency",
        "The National",
    ]
    fresh.ok("import", str(first))
    second = tmp_path / "second.jsonl"
    fresh.ok("export", str(second), "--tag", "weapons-exhibition")
    assert second.read_bytes() == first.read_bytes()


def test_csv_round_trip_of_the_evidence_is_identical(evidence, fresh, tmp_path):
    first = export(evidence, tmp_path / "first.csv")
    fresh.ok("import", str(tmp_path / "first.csv"))
    second = export(fresh, tmp_path / "second.csv")
    assert second == first
    rows = parse_csv(first.decode())
    assert list(rows[0]) == [*OLD_CSV_COLUMNS, "qualifier", "qualifier_note"]
    assert {r["qualifier"] for r in rows} == {"", "partial", "conditional"}
    partial = next(r for r in rows if r["qualifier"] == "partial")
    assert partial["date"].startswith("~")
    assert partial["qualifier_note"] == 'only the rockets,\n"not" the missiles; =1+1'
    # The flat format carries the assertions that count and their outlets, matched to the
    # actors the import finds or makes (no relation or rating: JSON Lines carries those).
    assert run(fresh.target, "SELECT count(*) FROM rating") == [(0,)]
    assert run(fresh.target, "SELECT count(*) FROM claim_relation") == [(0,)]
    outlets = {row[1]: row[2:] for row in run(fresh.target, OUTLETS)}
    assert outlets["The National"] == ("The National", "other")  # a speaker in the seed
    assert outlets["Yonhap"] == ("Yonhap", "media")
    assert outlets["Unlinked Weekly"] == ("Unlinked Weekly", "media")
    qualified = [row[3:6] for row in run(fresh.target, QUALIFIED)]
    assert qualified[0] == ("partial", 'only the rockets,\n"not" the missiles; =1+1', True)


# --- outlets as actors --------------------------------------------------------------------

ROWS_CSV = (
    "claim,actor,stance,date,source_url,outlet,title\n"
    "Shells moved by rail,Kim Jong Un,asserts,~2023-09,https://example.org/1,Yonhap,One\n"
    "Shells moved by rail,Kim Jong Un,asserts,2023-10,https://example.org/2,Yonhap News Agency,"
    "Two\n"
    "Shells moved by rail,Russia,denies,2023-10-02,,NK Pro,Three\n"
)


def test_csv_outlets_resolve_by_name_and_alias_or_become_media_actors(cli):
    cli.ok("actor", "add", "Yonhap News Agency", "--kind", "media", "--alias", "Yonhap")
    result = cli.ok("import", "-", "--input-format", "csv", "-f", "json", input=ROWS_CSV)
    got = {r["records"]: (r["new"], r["already_there"]) for r in result.json()}
    assert got["actor"] == (3, 1)  # Kim Jong Un, Russia, NK Pro; Yonhap News Agency
    assert run(cli.target, OUTLETS) == [
        (None, "NK Pro", "NK Pro", "media"),
        ("https://example.org/1", "Yonhap", "Yonhap News Agency", "media"),
        ("https://example.org/2", "Yonhap News Agency", "Yonhap News Agency", "media"),
    ]
    assert [row[5] for row in run(cli.target, QUALIFIED)] == [True, False, False]


def test_csv_qualifiers_on_claims_already_there(cli):
    """Rows of claims already in the database take the importer's other path (their natural
    keys compared with those there): qualifiers and approximate dates are written alike."""
    cli.ok("import", "-", "--input-format", "csv", input=ROWS_CSV)
    rows = (
        "claim,actor,stance,date,source_url,qualifier,qualifier_note\n"
        "Shells moved by rail,Kim Jong Un,asserts,~2023-09,https://example.org/1,,\n"
        "Shells moved by rail,Russia,disputes,~2023-11,https://example.org/1,Hedged,"
        '"\'=only ""some"", they say"\n'
        "Shells moved by rail,China,neutral,2023-12,https://example.org/1,,a note\n"
    )
    result = cli.ok("import", "-", "--input-format", "csv", "-f", "json", input=rows).json()
    assert {r["records"]: (r["new"], r["already_there"]) for r in result}["assertion"] == (2, 1)
    assert [row[1:6] for row in run(cli.target, QUALIFIED)][3:] == [
        ("Russia", "disputes", "hedged", '=only "some", they say', True),
        ("China", "neutral", None, "a note", False),
    ]


def test_dry_run_lists_new_outlets_among_the_new_actors(cli, target):
    cli.ok("actor", "add", "Kim Jong Un", "--kind", "person")
    cli.ok("actor", "add", "Russia", "--kind", "state")
    cli.ok("actor", "add", "Yonhap News Agency", "--kind", "media")
    before = snapshot(target)
    result = cli.ok("import", "-", "--input-format", "csv", "--dry-run", input=ROWS_CSV)
    assert result.stderr.splitlines() == [
        "would create actor 'Yonhap'; did you mean 'Yonhap News Agency'?",
        "would create actor 'NK Pro'",
        "dry run: nothing was written",
    ]
    assert snapshot(target) == before


def test_known_actors_only_refuses_an_unknown_outlet_with_its_line(cli, target, tmp_path):
    cli.ok("actor", "add", "Kim Jong Un", "--kind", "person")
    cli.ok("actor", "add", "Russia", "--kind", "state")
    cli.ok("actor", "add", "Yonhap News Agency", "--kind", "media")
    path = tmp_path / "rows.csv"
    path.write_text(ROWS_CSV, encoding="utf-8")
    before = snapshot(target)
    lines = refused(cli("import", str(path), "--known-actors-only"), path)
    assert lines == [
        f"{path}:2:6: outlet: 'Yonhap' is no known actor or alias (--known-actors-only); "
        "did you mean 'Yonhap News Agency'?",
        f"{path}:4:6: outlet: 'NK Pro' is no known actor or alias (--known-actors-only)",
        "2 errors; nothing was imported",
    ]
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text(
        json.dumps({"type": "source", "url": "https://example.org/9", "outlet": "NK Pro"})
        + "\n"
        + json.dumps(
            {
                "type": "assertion",
                "claim": "Shells moved by rail",
                "actor": "Russia",
                "stance": "denies",
                "date": "2023",
                "source_url": None,
                "outlet": "Rodong",
                "title": "Four",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    lines = refused(cli("import", str(jsonl), "--known-actors-only"), jsonl)
    assert lines == [
        f"{jsonl}:1: outlet: 'NK Pro' is no known actor or alias (--known-actors-only)",
        "1 error; nothing was imported",
    ]
    jsonl.write_text("".join(jsonl.read_text().splitlines(True)[1:]), encoding="utf-8")
    lines = refused(cli("import", str(jsonl), "--known-actors-only"), jsonl)
    assert lines == [
        f"{jsonl}:1: outlet: 'Rodong' is no known actor or alias (--known-actors-only)",
        "1 error; nothing was imported",
    ]
    assert snapshot(target) == before


def test_an_outlet_that_looks_like_a_known_actor_is_refused_as_a_speaker_would_be(cli, tmp_path):
    cli.ok("actor", "add", "Yonhap", "--kind", "media")
    path = tmp_path / "rows.csv"
    # Cyrillic о in "Yоnhap": a look-alike, refused unless --allow-confusable.
    path.write_text(
        "claim,actor,stance,date,source_url,outlet\n"
        "A claim,Someone,asserts,2024,https://example.org/1,Y\u043enhap\n",
        encoding="utf-8",
    )
    [line, _] = refused(cli("import", str(path)), path)
    assert line.startswith(f"{path}:2:6: outlet: 'Y\u043enhap' looks like actor 'Yonhap'")
    cli.ok("import", str(path), "--allow-confusable")
    assert run(cli.target, "SELECT count(*) FROM actor WHERE kind = 'media'") == [(2,)]


def test_an_outlet_with_a_semicolon_is_refused_as_an_actor_name(cli, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(
        "claim,actor,stance,date,source_url,outlet\n"
        "A claim,Someone,asserts,2024,https://example.org/1,Reuters; AP\n",
        encoding="utf-8",
    )
    assert refused(cli("import", str(path)), path) == [
        f"{path}:2:6: outlet: 'Reuters; AP' contains ';', which separates names in CSV",
        "1 error; nothing was imported",
    ]


def test_the_seed_outlet_is_its_actor(seeded_cli):
    assert run(seeded_cli.target, OUTLETS) == [
        (
            "https://www.thenationalnews.com/world/asia/2023/07/27/north-koreas-kim-jong-un-"
            "gives-missile-tour-to-russias-defence-minister/",
            "The National",
            "The National",
            "media",
        )
    ]
    seeded_cli.ok("seed")  # loading twice still changes nothing
    assert run(seeded_cli.target, "SELECT count(*) FROM actor") == [(23,)]


# --- files without the new fields ---------------------------------------------------------


def test_an_old_csv_imports_as_before(cli):
    """tests/data/good.csv has the eleven columns of the format before qualified stances."""
    assert (DATA / "good.csv").read_text().splitlines()[0] == ",".join(OLD_CSV_COLUMNS)
    result = cli.ok("import", str(DATA / "good.csv"), "-f", "json").json()
    assert [r["records"] for r in result] == ["actor", "source", "sanction", "claim", "assertion"]
    assert [row[3:6] for row in run(cli.target, QUALIFIED)] == [(None, None, False)] * 3
    path_rows = parse_csv(cli.ok("export", "-", "-f", "csv").stdout)
    assert [r["date"] for r in path_rows] == ["2023-07-26", "2023-07", "2024"]


def test_an_old_jsonl_export_imports_as_before(cli, tmp_path):
    """tests/data/old_export.jsonl: the seed article with additions (a retraction, a via
    chain, an outlet that is no actor), as the export wrote it before 0008: no qualifier
    fields, relations or ratings; a sanction's one ``target``. It imports, and the export of
    what it made is the same records with the new fields added, null, the outlet Example
    News an actor, the sanctions' authority an actor, and each sanction's target its one
    target, undated."""
    old = DATA / "old_export.jsonl"
    result = cli.ok("import", str(old), "-f", "json").json()
    assert [r["records"] for r in result] == ["actor", "source", "sanction", "claim", "assertion"]
    new = records(export(cli, tmp_path / "new.jsonl"))
    before = records(old.read_bytes())
    for made in (("Example News", "media"), ("UN Security Council", "organization")):
        new.remove(
            {"type": "actor", "name": made[0], "kind": made[1], "part_of": None, "aliases": []}
        )
    assert len(new) == len(before)
    new_fields = {
        "assertion": {"qualifier": None, "qualifier_note": None},
        "sanction": {"programme": None, "responds_to": []},
    }
    for was, now in zip(before, new, strict=True):
        if was["type"] == "sanction":
            target = was.pop("target")
            assert now.pop("targets") == [{"actor": target, "listed": None, "delisted": None}]
        added = {k: now[k] for k in now.keys() - was.keys()}
        assert added == new_fields.get(was["type"], {})
        assert {k: now[k] for k in was} == was
    assert run(cli.target, "SELECT count(*) FROM assertion WHERE date_approximate") == [(0,)]


# --- refusals -----------------------------------------------------------------------------


def _lines(*records_: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records_)


CLAIMS = _lines(
    {"type": "claim", "text": "Whole"},
    {"type": "claim", "text": "Part"},
    {"type": "claim", "text": "Detail"},
)


@pytest.mark.parametrize(
    ("records_", "errors"),
    [
        (
            [{"type": "relation", "claim": "Part", "kind": "part_of", "other": "Nowhere"}],
            ["4: other: 'Nowhere' is no claim of the database or the file"],
        ),
        (
            [
                {"type": "relation", "claim": "Part", "kind": "part_of", "other": "Whole"},
                {"type": "relation", "claim": "Detail", "kind": "part-of", "other": "Part"},
                {"type": "relation", "claim": "whole", "kind": "part_of", "other": "Detail"},
            ],
            ["6: other: 'Detail' is already part of 'whole': part_of would make a cycle"],
        ),
        (
            [{"type": "relation", "claim": "Part", "kind": "part_of", "other": " PART "}],
            ["4: other: is the claim itself; a claim is not related to itself"],
        ),
        (
            [{"type": "relation", "claim": "Part", "kind": "causes", "other": "Whole"}],
            [
                "4: kind: 'causes' is not a relation; use one of part_of, implies, contradicts, "
                "same_as"
            ],
        ),
        (
            [{"type": "rating", "actor": "Nobody", "grade": "A", "by": "ann"}],
            ["4: actor: 'Nobody' is no known actor or alias"],
        ),
        (
            [{"type": "rating", "actor": "Kim", "grade": "2", "by": "ann"}],
            ["4: grade: '2' is not a reliability grade; use one of A, B, C, D, E, F"],
        ),
        (
            [{"type": "rating", "actor": "Kim", "by": "ann"}],
            ["4: grade: is missing; null withdraws the grade before"],
        ),
        (
            [{"type": "rating", "actor": "Kim", "grade": "A"}],
            ["4: by: is required"],
        ),
        (
            [
                {
                    "type": "rating",
                    "assertion": {
                        "claim": "Part",
                        "actor": "Kim",
                        "stance": "asserts",
                        "date": "2024",
                        "source_url": "https://example.org/1",
                    },
                    "grade": "A",
                    "by": "ann",
                }
            ],
            ["4: grade: 'A' is not a credibility grade; use one of 1, 2, 3, 4, 5, 6"],
        ),
        (
            [
                {
                    "type": "rating",
                    "assertion": {
                        "claim": "Part",
                        "actor": "Kim",
                        "stance": "denies",
                        "date": "2024",
                        "source_url": "https://example.org/1",
                    },
                    "grade": "3",
                    "by": "ann",
                }
            ],
            [
                "4: assertion: names no assertion of the database or the file (claim, actor, "
                "stance, date and source must match one)"
            ],
        ),
        (
            [{"type": "rating", "assertion": {"claim": "Part"}, "grade": "3", "by": "ann"}],
            ["4: assertion.source_url: a source needs a URL, or an outlet and a title"],
        ),
        (
            [{"type": "rating", "actor": "Kim", "assertion": {}, "grade": "A", "by": "ann"}],
            ['4: rating: rates either an actor ("actor") or an assertion ("assertion")'],
        ),
        (
            [
                {
                    "type": "assertion",
                    "claim": "Part",
                    "actor": "Kim",
                    "stance": "asserts",
                    "date": "~2024-13",
                    "source_url": "https://example.org/2",
                    "qualifier": "mostly",
                }
            ],
            [
                "4: date: '~2024-13' is not a date; use YYYY, YYYY-MM or YYYY-MM-DD, with ~ in "
                "front for an approximate one"
            ],
        ),
        (
            [
                {
                    "type": "assertion",
                    "claim": "Part",
                    "actor": "Kim",
                    "stance": "asserts",
                    "date": "2024",
                    "source_url": "https://example.org/2",
                    "qualifier": "mostly",
                }
            ],
            ["4: qualifier: 'mostly' is not a qualifier; use one of partial, conditional, hedged"],
        ),
    ],
)
def test_a_bad_relation_rating_or_qualifier_is_refused_with_its_line(
    cli, target, tmp_path, records_, errors
):
    path = tmp_path / "bad.jsonl"
    assertion = {
        "type": "assertion",
        "claim": "Part",
        "actor": "Kim",
        "stance": "asserts",
        "date": "2024",
        "source_url": "https://example.org/1",
    }
    # The assertion goes last: relations and ratings are resolved once every claim and
    # assertion of the file is written, wherever they stand in it.
    path.write_text(CLAIMS + _lines(*records_, assertion))
    before = snapshot(target)
    lines = refused(cli("import", str(path)), path)
    noun = "error" if len(errors) == 1 else "errors"
    assert lines == [f"{path}:{e}" for e in errors] + [
        f"{len(errors)} {noun}; nothing was imported"
    ]
    assert snapshot(target) == before


def test_a_part_of_closing_a_cycle_with_the_database_is_refused(cli, target, tmp_path):
    path = tmp_path / "first.jsonl"
    path.write_text(
        CLAIMS + _lines({"type": "relation", "claim": "Part", "kind": "part_of", "other": "Whole"})
    )
    cli.ok("import", str(path))
    before = snapshot(target)
    second = tmp_path / "second.jsonl"
    second.write_text(
        _lines({"type": "relation", "claim": "Whole", "kind": "part_of", "other": "Part"})
        + _lines({"type": "relation", "claim": "Whole", "kind": "contradicts", "other": "Part"})
    )
    assert refused(cli("import", str(second)), second) == [
        f"{second}:1: other: 'Part' is already part of 'Whole': part_of would make a cycle",
        "1 error; nothing was imported",
    ]
    assert snapshot(target) == before
    # The symmetric kind, named either way round, is stored once, lower id first.
    second.write_text(
        _lines({"type": "relation", "claim": "Part", "kind": "contradicts", "other": "Whole"})
        + _lines({"type": "relation", "claim": "Whole", "kind": "contradicts", "other": "Part"})
    )
    result = cli.ok("import", str(second), "-f", "json")
    assert {r["records"]: r["new"] for r in result.json()}["relation"] == 1
    assert "skipped 1 duplicate rows within the file" in result.stderr
    assert run(target, "SELECT claim_id, kind, other_claim_id FROM claim_relation ORDER BY id") == [
        (2, "part_of", 1),
        (1, "contradicts", 2),
    ]


def test_ratings_name_assertions_of_the_database_by_their_key(cli, tmp_path):
    cli.add(
        "Shells moved by rail",
        by="Kim Jong Un",
        stance="asserts",
        source="https://example.org/1",
        date="2023-09",
    )
    path = tmp_path / "ratings.jsonl"
    key = {
        "claim": "shells moved by rail!",
        "actor": "kim jong un",
        "stance": "Asserts",
        "date": "~2023-09",
        "source_url": "https://www.example.org/1/",
    }
    path.write_text(
        _lines(
            {"type": "rating", "assertion": key, "grade": "4", "by": "ann", "reason": "one"},
            {"type": "rating", "assertion": key, "grade": None, "by": "ann", "at": "2030-01-01"},
        )
    )
    cli.ok("import", str(path))
    rows = run(cli.target, "SELECT assertion_id, grade, rated_by, reason FROM rating ORDER BY id")
    assert rows == [(1, "4", "ann", "one"), (1, None, "ann", None)]
    assert run(cli.target, "SELECT count(*) FROM rating_current") == [(0,)]
    # Without "at", a rating with the same record, grade, rater and reason is already there.
    again = cli.ok("import", str(path), "-f", "json").json()
    assert {r["records"]: r["already_there"] for r in again}["rating"] == 2
