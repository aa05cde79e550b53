"""FollowTheMoney export and import (docs/design.md, FollowTheMoney), on both backends. The
tests that need the followthemoney library skip only when it is not importable (scripts/test
installs the extra ``ftm``); the test of the message without it always runs."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, cast

import pytest

from factdb.storage import db
from factdb.storage.config import DatabaseTarget
from factdb.storage.models import ExternalId, Sanction, SanctionTarget
from tests.conftest import Cli

try:
    import followthemoney  # noqa: F401

    HAVE_FTM = True
except ImportError:  # pragma: no cover - scripts/test installs the extra
    HAVE_FTM = False

needs_ftm = pytest.mark.skipif(not HAVE_FTM, reason="followthemoney is not installed")
ROOT = Path(__file__).resolve().parent.parent


def _populate(cli: Cli) -> None:
    """Actors of every kind, aliases, current and ended memberships with dates, external
    ids, and sanctions with targets (one without any)."""
    cli.ok("actor", "add", "United States", "--kind", "state", "--alias", "USA")
    cli.ok("actor", "add", "North Korea", "--kind", "state", "--alias", "DPRK")
    cli.ok("actor", "add", "White House", "--kind", "government", "--part-of", "United States")
    cli.ok("actor", "add", "Pentagon", "--kind", "government", "--part-of", "United States")
    cli.ok("actor", "add", "John Kirby", "--kind", "person")
    cli.ok("actor", "part-of", "John Kirby", "Pentagon", "--from", "2021-01", "--until", "2022-05")
    cli.ok("actor", "part-of", "John Kirby", "White House", "--from", "2022-05-20")
    cli.ok("actor", "add", "KCNA", "--kind", "media", "--part-of", "North Korea")
    cli.ok(
        "actor",
        "add",
        "Korea Mining Development Trading Corporation",
        "--kind",
        "organization",
        "--alias",
        "KOMID",
    )
    cli.ok("actor", "add", "Kim Jong Un", "--kind", "person")
    cli.ok("actor", "add", "Some Trader", "--kind", "other")
    cli.ok("actor", "add", "UN Security Council", "--kind", "organization")
    with db.session_scope(cli.target, write=True) as s:
        ids = {
            name: _actor_id(s, name)
            for name in (
                "North Korea",
                "Kim Jong Un",
                "Korea Mining Development Trading Corporation",
                "UN Security Council",
                "Some Trader",
            )
        }
        s.add(ExternalId(actor_id=ids["North Korea"], scheme="wikidata", value="Q423"))
        s.add(ExternalId(actor_id=ids["Kim Jong Un"], scheme="opensanctions", value="NK-kim"))
        s.add(ExternalId(actor_id=ids["Some Trader"], scheme="ftm", value="ofac-1234"))
        un = Sanction(
            name="UNSC Resolution 1718",
            name_key="unsc resolution 1718",
            authority="UN Security Council",
            authority_id=ids["UN Security Council"],
            adopted=dt.date(2006, 10, 14),
            adopted_precision="day",
            programme="UNSC 1718",
            measures="arms embargo; asset freeze",
            url="https://www.un.org/securitycouncil/s/res/1718-%282006%29",
        )
        lonely = Sanction(name="EU Iran drones", name_key="eu iran drones")
        s.add(un)
        s.add(lonely)
        s.flush()
        assert un.id is not None
        s.add(
            SanctionTarget(
                sanction_id=un.id,
                actor_id=ids["Korea Mining Development Trading Corporation"],
                listed=dt.date(2009, 4, 1),
                listed_precision="month",
            )
        )
        s.add(
            SanctionTarget(
                sanction_id=un.id,
                actor_id=ids["Some Trader"],
                listed=dt.date(2010, 1, 1),
                listed_precision="year",
                delisted=dt.date(2016, 3, 2),
                delisted_precision="day",
            )
        )


def _actor_id(session: Any, name: str) -> int:
    from factdb.domain.records import find_actor

    actor = find_actor(session, name)
    assert actor is not None and actor.id is not None
    return actor.id


def _export(cli: Cli, path: Path) -> list[dict[str, Any]]:
    result = cli.ok("export", "--format", "ftm", str(path))
    assert f"entities written to {path}" in result.stderr
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _strict(entity: dict[str, Any], ids: set[str]) -> None:
    """Validate an entity as FtM's own model does, strictly: a known, concrete schema, a
    valid id, every required property, every value valid for its type and kept as it is
    when the library cleans it (``get_proxy(cleaned=False)``), and every reference naming an
    entity of the file of a schema in the property's range."""
    from followthemoney import model

    schema = model.get(entity["schema"])
    assert schema is not None and not schema.abstract, entity
    assert model.get("Thing") is not None
    from followthemoney.types import registry

    assert registry.entity.validate(entity["id"]), entity
    schema.validate(cast(Any, entity))  # raises InvalidData on a value invalid for its type
    for required in schema.required:
        assert entity["properties"].get(required), (required, entity)
    proxy = model.get_proxy(entity, cleaned=False)
    assert proxy.id == entity["id"]
    for name, values in entity["properties"].items():
        prop = schema.get(name)
        assert prop is not None and not prop.stub, (name, entity)
        assert proxy.get(name) == values, (name, values, proxy.get(name))
        if prop.type == registry.entity:
            for value in values:
                assert value in ids, (name, value)
                assert prop.range is not None and _schemata[value].is_a(prop.range), (
                    name,
                    _schemata[value],
                    prop.range,
                )
    for referent in entity.get("referents", []):
        assert registry.entity.validate(referent)


_schemata: dict[str, Any] = {}


@needs_ftm
def test_export_is_valid_ftm_and_stable(cli: Cli, tmp_path: Path) -> None:
    from followthemoney import model

    _populate(cli)
    entities = _export(cli, tmp_path / "out.ftm.json")
    _schemata.clear()
    _schemata.update({e["id"]: model[e["schema"]] for e in entities})
    ids = set(_schemata)
    assert len(ids) == len(entities)
    for entity in entities:
        _strict(entity, ids)
    by_name = {e["properties"]["name"][0]: e for e in entities if "name" in e["properties"]}
    assert by_name["United States"]["schema"] == "PublicBody"
    assert by_name["United States"]["properties"]["legalForm"] == ["state"]
    assert by_name["United States"]["properties"]["alias"] == ["USA"]
    assert by_name["White House"]["schema"] == "PublicBody"
    assert "legalForm" not in by_name["White House"]["properties"]
    assert by_name["John Kirby"]["schema"] == "Person"
    assert by_name["KCNA"]["properties"]["sector"] == ["media"]
    assert by_name["Some Trader"]["schema"] == "LegalEntity"
    assert by_name["Some Trader"]["referents"] == ["ofac-1234"]
    assert by_name["North Korea"]["properties"]["wikidataId"] == ["Q423"]
    assert by_name["Kim Jong Un"]["referents"] == ["NK-kim"]
    kirby = by_name["John Kirby"]["id"]
    memberships = sorted(
        (
            _name(entities, m["properties"]["organization"][0]),
            m["properties"].get("startDate"),
            m["properties"].get("endDate"),
        )
        for m in entities
        if m["schema"] == "Membership" and m["properties"]["member"] == [kirby]
    )
    assert memberships == [
        ("Pentagon", ["2021-01"], ["2022-05"]),
        ("White House", ["2022-05-20"], None),
    ]
    sanctions = {
        _name(entities, e["properties"]["entity"][0]): e["properties"]
        for e in entities
        if e["schema"] == "Sanction"
    }
    assert set(sanctions) == {"Korea Mining Development Trading Corporation", "Some Trader"}
    trader = sanctions["Some Trader"]
    assert trader["program"] == ["UNSC Resolution 1718"]
    assert trader["programId"] == ["UNSC 1718"]
    assert trader["authority"] == ["UN Security Council"]
    assert trader["listingDate"] == trader["startDate"] == ["2010"]
    assert trader["endDate"] == ["2016-03-02"]
    assert trader["date"] == ["2006-10-14"]
    assert trader["provisions"] == ["arms embargo; asset freeze"]
    assert sanctions["Korea Mining Development Trading Corporation"]["listingDate"] == ["2009-04"]
    result = cli.ok("export", "--format", "ftm", "-")
    assert result.stdout == (tmp_path / "out.ftm.json").read_text(encoding="utf-8")
    assert "1 sanctions without a target are not written" in result.stderr
    assert "'EU Iran drones'" in result.stderr


def _name(entities: list[dict[str, Any]], entity_id: str) -> str:
    return str(next(e["properties"]["name"][0] for e in entities if e["id"] == entity_id))


@needs_ftm
def test_a_broken_entity_fails_the_strict_check() -> None:
    """The check above can fail: a date FtM does not read, a reference to no entity."""
    from followthemoney import model
    from followthemoney.exc import InvalidData

    _schemata.clear()
    bad_date = {
        "id": "x1",
        "schema": "Person",
        "properties": {"name": ["A"], "birthDate": ["2024-13"]},
    }
    with pytest.raises(InvalidData):
        _strict(bad_date, {"x1"})
    _schemata["p"] = model["Person"]
    dangling = {
        "id": "m1",
        "schema": "Membership",
        "properties": {"member": ["p"], "organization": ["p"]},
    }
    with pytest.raises(AssertionError):
        _strict(dangling, {"m1", "p"})


@needs_ftm
def test_round_trip_into_a_fresh_database(
    cli: Cli, tmp_path: Path, backend: str, sqlite_template: Path, request: pytest.FixtureRequest
) -> None:
    """The export re-imports into an empty database without a duplicate, and that
    database exports the same bytes; importing it again, or into the database it came
    from, changes nothing."""
    _populate(cli)
    first = tmp_path / "first.ftm.json"
    _export(cli, first)
    other = _fresh(backend, tmp_path, sqlite_template, request)
    result = other.ok("import", str(first), "--format", "json")
    counts = {r["records"]: (r["new"], r["already_there"]) for r in json.loads(result.stdout)}
    assert counts == {
        "actor": (10, 0),
        "membership": (5, 0),
        "sanction": (1, 0),
        "target": (2, 0),
        "external_id": (3, 0),
    }
    second = tmp_path / "second.ftm.json"
    _export(other, second)
    assert second.read_bytes() == first.read_bytes()
    again = other.ok("import", str(first), "--format", "json")
    assert all(r["new"] == 0 for r in json.loads(again.stdout))
    back = cli.ok("import", str(first), "--format", "json")
    assert all(r["new"] == 0 for r in json.loads(back.stdout))


def _fresh(
    backend: str, tmp_path: Path, sqlite_template: Path, request: pytest.FixtureRequest
) -> Cli:
    """A second empty database at the schema head, on the test's backend."""
    if backend == "sqlite":
        path = tmp_path / "fresh.sqlite3"
        shutil.copyfile(sqlite_template, path)
        return Cli(DatabaseTarget("sqlite:///" + str(path), "--db"))
    from tests.conftest import _pg_drop, _pg_exec, _replace_db, pg_admin_url

    admin = pg_admin_url()
    template = request.getfixturevalue("pg_template")
    assert admin is not None and template is not None
    name = f"factdb_t_{uuid.uuid4().hex[:10]}"
    _pg_exec(admin, f"CREATE DATABASE {name} TEMPLATE {template}")

    def drop() -> None:
        db.dispose_all()
        _pg_drop(admin, name)

    request.addfinalizer(drop)
    return Cli(DatabaseTarget(_replace_db(admin, name), "--db"))


OPENSANCTIONS = [
    {
        "id": "NK-abc",
        "schema": "Company",
        "caption": "Green Pine Associated Corporation",
        "datasets": ["un_sc_sanctions"],
        "referents": ["unsc-kpe010"],
        "properties": {
            "name": ["Green Pine Associated Corporation"],
            "alias": ["Chongsong Yonhap", "KOMID"],
            "wikidataId": ["Q5602712"],
        },
    },
    {
        "id": "NK-kim",
        "schema": "Person",
        "datasets": ["un_sc_sanctions"],
        "properties": {"name": ["KIM Jong Un"], "birthDate": ["1984-01-08"]},
    },
    {
        "id": "NK-ship",
        "schema": "Vessel",
        "datasets": ["un_sc_sanctions"],
        "properties": {"name": ["Rye Song Gang 1"]},
    },
    {
        "id": "unsc-s-1",
        "schema": "Sanction",
        "datasets": ["un_sc_sanctions"],
        "properties": {
            "entity": ["NK-abc"],
            "authority": ["UN Security Council"],
            "program": ["UN SC DPRK"],
            "programId": ["UN-SC1718"],
            "listingDate": ["2012-05-02"],
            "sourceUrl": ["https://main.un.org/securitycouncil/en/sanctions/1718"],
            "provisions": ["Asset freeze"],
        },
    },
    {
        "id": "unsc-s-2",
        "schema": "Sanction",
        "datasets": ["un_sc_sanctions"],
        "properties": {
            "entity": ["NK-ship"],
            "authority": ["UN Security Council"],
            "program": ["UN SC DPRK"],
        },
    },
    {
        "id": "unsc-s-3",
        "schema": "Sanction",
        "datasets": ["un_sc_sanctions"],
        "properties": {
            "entity": ["NK-kim"],
            "authority": ["UN Security Council"],
            "program": ["UN SC DPRK"],
            "startDate": ["2016-06"],
            "endDate": ["2020-01-31T00:00:00"],
        },
    },
    {
        "id": "ms-1",
        "schema": "Membership",
        "properties": {"member": ["NK-kim"], "organization": ["NK-abc"], "startDate": ["2011"]},
    },
]


def _write(path: Path, entities: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in entities), encoding="utf-8")
    return path


@needs_ftm
def test_import_opensanctions_entities(cli: Cli, tmp_path: Path) -> None:
    """Ids first, then names (case-folded); ids kept as external ids; sanctions grouped by
    their program; unknown schemata counted and skipped, and what names them."""
    _populate(cli)
    path = _write(tmp_path / "os.ftm.json", OPENSANCTIONS)
    result = cli.ok("import", str(path), "--format", "json")
    counts = {r["records"]: (r["new"], r["already_there"]) for r in json.loads(result.stdout)}
    assert counts == {
        "actor": (1, 1),  # Green Pine is new; KIM Jong Un is Kim Jong Un by its id NK-kim
        "membership": (1, 0),
        "sanction": (1, 0),
        "target": (2, 0),
        "external_id": (3, 1),  # NK-abc, unsc-kpe010, Q5602712 new; NK-kim known
    }
    assert "skipped 1 entities of schemata factdb does not read: Vessel (1)" in result.stderr
    assert "skipped 1 memberships and sanction targets naming an entity that was skipped" in (
        result.stderr
    )
    # KOMID names another actor already: not made an alias of Green Pine.
    assert "skipped 1 aliases" in result.stderr
    shown = json.loads(cli.ok("actor", "show", "Chongsong Yonhap", "--format", "json").stdout)
    assert shown["name"] == "Green Pine Associated Corporation"
    assert shown["kind"] == "organization"
    ids = cli.ok(
        "sql", "SELECT scheme, value FROM external_id ORDER BY scheme, value", "--format", "json"
    )
    assert {(r["scheme"], r["value"]) for r in json.loads(ids.stdout)} >= {
        ("opensanctions", "NK-abc"),
        ("opensanctions", "unsc-kpe010"),
        ("wikidata", "Q5602712"),
    }
    rows = json.loads(
        cli.ok(
            "sql",
            "SELECT s.name, s.authority, s.programme, s.url, a.name AS target, t.listed, "
            "t.listed_precision, t.delisted FROM sanction_target t JOIN sanction s "
            "ON s.id = t.sanction_id JOIN actor a ON a.id = t.actor_id "
            "WHERE s.name = 'UN SC DPRK' ORDER BY a.name",
            "--format",
            "json",
        ).stdout
    )
    assert [
        (r["target"], str(r["listed"]), r["listed_precision"], r["delisted"]) for r in rows
    ] == [
        ("Green Pine Associated Corporation", "2012-05-02", "day", None),
        ("Kim Jong Un", "2016-06-01", "month", "2020-01-31"),
    ]
    assert rows[0]["authority"] == "UN Security Council"
    assert rows[0]["programme"] == "UN-SC1718"
    kim = json.loads(cli.ok("actor", "show", "Kim Jong Un", "--format", "json").stdout)
    assert kim["part_of"] == "Green Pine Associated Corporation"
    again = cli.ok("import", str(path), "--format", "json")
    assert all(r["new"] == 0 for r in json.loads(again.stdout))


@needs_ftm
def test_bad_input_names_file_line_and_field_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    good = {"id": "p1", "schema": "Person", "properties": {"name": ["Ada"]}}
    cases = [
        (
            {"id": "p2", "schema": "Person", "properties": {"name": ["Bob"], "alias": "x"}},
            "properties: must map each property to a list of strings",
        ),
        (
            {
                "id": "s1",
                "schema": "Sanction",
                "properties": {"entity": ["p1"], "program": ["X"], "startDate": ["yesterday"]},
            },
            "properties.startDate: 'yesterday' is not a valid date",
        ),
        (
            {"id": "m1", "schema": "Membership", "properties": {"member": ["p1"]}},
            "properties.organization: is missing",
        ),
        ({"id": "bad id!", "schema": "Person", "properties": {"name": ["C"]}}, "id: "),
        (
            {"id": "p3", "schema": "Person", "properties": {"alias": ["Nameless"]}},
            "properties.name: is missing",
        ),
        (
            {"id": "s2", "schema": "Sanction", "properties": {"entity": ["p1"]}},
            "properties.program: is missing",
        ),
    ]
    for record, message in cases:
        path = _write(tmp_path / "bad.ftm.json", [good, record])
        result = cli("import", str(path))
        assert result.exit_code == 1, (record, result.stdout, result.stderr)
        first = result.stderr.splitlines()[0]
        assert first.startswith(f"{path}:2: "), first
        assert message in first, (message, first)
        assert "Traceback" not in result.stderr
        assert "1 error; nothing was imported" in result.stderr
    (tmp_path / "json.ftm.json").write_text('{"id": "p1",\n', encoding="utf-8")
    result = cli("import", str(tmp_path / "json.ftm.json"))
    assert result.exit_code == 1 and f"{tmp_path / 'json.ftm.json'}:1:" in result.stderr
    counts = json.loads(cli.ok("db", "info", "--format", "json").stdout)
    assert counts["counts"]["actor"] == 0


@needs_ftm
def test_known_actors_only_and_dry_run(cli: Cli, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "one.ftm.json",
        [{"id": "p1", "schema": "Person", "properties": {"name": ["Ada Lovelace"]}}],
    )
    result = cli("import", str(path), "--known-actors-only")
    assert result.exit_code == 1
    assert "properties.name: 'Ada Lovelace' is no known actor" in result.stderr
    dry = cli.ok("import", str(path), "--dry-run")
    assert "would create actor 'Ada Lovelace'" in dry.stderr
    assert "dry run: nothing was written" in dry.stderr
    assert json.loads(cli.ok("db", "info", "--format", "json").stdout)["counts"]["actor"] == 0


@needs_ftm
def test_ftm_export_refuses_claim_filters(cli: Cli, tmp_path: Path) -> None:
    result = cli("export", "--format", "ftm", "--tag", "x", str(tmp_path / "x.ftm.json"))
    assert result.exit_code == 2
    assert "the claim filters do not apply" in result.stderr
    assert not (tmp_path / "x.ftm.json").exists()


MISSING = """
import sys
sys.modules["followthemoney"] = None  # as if the extra were not installed
from factdb.cli.app import main
sys.argv = ["factdb", "--db", sys.argv[1], *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--format", "ftm", "-"],
        ["import", "entities.ftm.json"],
        ["import", "--input-format", "ftm", "-"],
    ],
)
def test_without_the_extra_one_line_says_how_to_install_it(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "entities.ftm.json").write_text("", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-c", MISSING, str(tmp_path / "db.sqlite3"), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        input="",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert run.stderr.splitlines() == [
        "error: FollowTheMoney needs the followthemoney library: pip install 'factdb[ftm]'"
    ]
    assert run.stdout == ""


def test_the_command_line_does_not_import_followthemoney() -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "factdb.cli.app", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if "|" in line}
    assert "factdb.cli" in imported
    assert not any(m.split(".")[0] in ("followthemoney", "rigour", "icu") for m in imported)
