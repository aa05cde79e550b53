"""Input hardening (docs/reliability.md, names): malformed JSON Lines records are refused with
their line, the naming rules are one function on every path (CLI, CSV, JSON Lines), invisible
characters are shown escaped in tables, and a name confusable with a known actor is refused
unless the user insists. Every database test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factdb.cli.render import safe_text
from tests.conftest import Cli
from tests.test_interchange import HEADER, refused, snapshot

SOURCE = "https://example.org/a"


def _jsonl(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def _assertion(**fields: object) -> str:
    record: dict[str, object] = {
        "type": "assertion",
        "claim": "A claim",
        "actor": "Someone",
        "stance": "asserts",
        "date": "2024",
        "source_url": SOURCE,
    }
    record.update(fields)
    return json.dumps(record)


def _nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {"a": "x"}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


# --- malformed JSON Lines records: line-numbered, nothing written ----------------------------

MALFORMED = {
    "lone surrogate in a name": (r'{"type":"actor","name":"\ud800"}', "name"),
    "lone surrogate in a list": (
        r'{"type":"claim","text":"A claim","tags":["\udfff"]}',
        "tags",
    ),
    "lone surrogate in a key": (r'{"type":"actor","name":"x","\ud800":1}', "json"),
    "50-deep object for a string": (
        json.dumps({"type": "actor", "name": _nested(50)}),
        "name",
    ),
    "5000-deep object": ('{"type":"actor","name":' + '{"a":' * 5000 + "1" + "}" * 5001, "json"),
    "100k-deep array": ("[" * 100_000 + "]" * 100_000, "json"),
    "100k-deep array in a field": (
        '{"type":"actor","name":' + "[" * 100_000 + "]" * 100_000 + "}",
        "json",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_jsonl_record_is_refused_with_its_line(cli: Cli, target, tmp_path, case):
    bad, field = MALFORMED[case]
    good = json.dumps({"type": "actor", "name": "Fine"})
    path = _jsonl(tmp_path, good, bad, good)
    before = snapshot(target)
    lines = refused(cli("import", str(path)), path)
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"{path}:2"), lines[0]
    assert f": {field}: " in lines[0], lines[0]
    assert "internal error" not in "\n".join(lines)
    assert len(lines[0]) < 300, lines[0]
    assert snapshot(target) == before


# --- ';' and the naming rules: one function on every path --------------------------------


def test_csv_refuses_semicolon_in_actor_like_the_cli(cli: Cli, target, tmp_path):
    refused_by_cli = cli("actor", "add", "Kim; Jong Un")
    assert refused_by_cli.exit_code == 2, refused_by_cli.stderr
    path = _csv(tmp_path, f'A claim,"Kim; Jong Un",asserts,2024,{SOURCE},,,,,,')
    before = snapshot(target)
    lines = refused(cli("import", str(path)), path)
    assert lines[0].startswith(f"{path}:2:2: actor: "), lines[0]
    # The same reason, from the same function.
    assert lines[0].split(": actor: ", 1)[1] == refused_by_cli.stderr.split(": ", 2)[-1].strip()
    assert snapshot(target) == before


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (_assertion(actor="Kim; Jong Un"), "actor"),
        (_assertion(via=["Kim; Jong Un"]), "via"),
        (json.dumps({"type": "actor", "name": "A", "aliases": ["B; C"]}), "aliases"),
        (json.dumps({"type": "sanction", "name": "UNSC 1; 2"}), "name"),
        (json.dumps({"type": "claim", "text": "A claim", "violates": ["UNSC 1; 2"]}), "violates"),
        (_assertion(violates=["UNSC 1; 2"]), "violates"),
    ],
)
def test_jsonl_refuses_semicolon_in_list_names(cli: Cli, target, tmp_path, record, field):
    path = _jsonl(tmp_path, record)
    before = snapshot(target)
    lines = refused(cli("import", str(path)), path)
    assert lines[0].startswith(f"{path}:1: {field}: "), lines[0]
    assert "';'" in lines[0], lines[0]
    assert snapshot(target) == before


def test_cli_refuses_semicolon_in_sanction_and_tag(cli: Cli):
    assert cli("sanction", "add", "UNSC 1; 2").exit_code == 2
    result = cli.add("A claim", by="X", stance="asserts", source=SOURCE, tags=["a;b"], check=False)
    assert result.exit_code == 2, result.stderr


# --- invisible characters are shown escaped in tables ------------------------------------


@pytest.mark.parametrize(
    "char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u2067"]
)
def test_safe_text_escapes_invisible_characters(char):
    shown = safe_text(f"Kim{char}Jong")
    assert shown == f"Kim\\u{ord(char):04x}Jong"


def test_tables_escape_invisible_but_json_is_exact(cli: Cli):
    cli.add("A claim", by="K\u200bJ", stance="asserts", source=SOURCE, date="2024")
    table = cli.ok("actor", "list").stdout
    assert "K\\u200bJ" in table, table
    assert "\u200b" not in table
    names = [a["name"] for a in cli.ok("actor", "list", "-f", "json").json()]
    assert "K\u200bJ" in names


# --- confusable names --------------------------------------------------------------------

REAL = "Kim Jong Un"
CYRILLIC = "Kim J\u043eng Un"  # Cyrillic о
INVISIBLE = "Kim Jong\u200b Un"


def test_skeleton_folds_homoglyphs_and_invisibles():
    from factdb.core.keys import confusable_skeleton

    assert confusable_skeleton(CYRILLIC) == confusable_skeleton(REAL)
    assert confusable_skeleton(INVISIBLE) == confusable_skeleton(REAL)
    assert confusable_skeleton("\u0420\u0430\u0441") == confusable_skeleton("Pac")  # Cyrillic
    assert confusable_skeleton("\u039a\u0399\u039c") == confusable_skeleton("KIM")  # Greek
    assert confusable_skeleton("Kim Jong Il") != confusable_skeleton(REAL)


@pytest.mark.parametrize("name", [CYRILLIC, INVISIBLE])
def test_cli_refuses_a_confusable_actor(cli: Cli, target, name):
    cli.ok("actor", "add", REAL)
    before = snapshot(target)
    for result in (
        cli("actor", "add", name),
        cli.add("A claim", by=name, stance="asserts", source=SOURCE, date="2024", check=False),
        cli.add(
            "A claim",
            by="Other",
            via=[name],
            stance="asserts",
            source=SOURCE,
            date="2024",
            check=False,
        ),
        cli("actor", "add", "Someone", "--alias", name),
    ):
        assert result.exit_code == 1, (result.stdout, result.stderr)
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert f"'{REAL}'" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert snapshot(target) == before


def test_alias_confusable_with_another_actor_is_refused(cli: Cli, target):
    cli.ok("actor", "add", REAL)
    cli.ok("actor", "add", "North Korea")
    result = cli("actor", "alias", "North Korea", CYRILLIC)
    assert result.exit_code == 1, result.stderr
    assert f"'{REAL}'" in result.stderr


def test_allow_confusable_accepts_a_homoglyph_but_not_invisible_only(cli: Cli):
    cli.ok("actor", "add", REAL)
    cli.ok("actor", "add", CYRILLIC, "--allow-confusable")
    # Then the exact name finds that actor, with no refusal.
    cli.add("A claim", by=CYRILLIC, stance="asserts", source=SOURCE, date="2024")
    invisible = cli("actor", "add", INVISIBLE, "--allow-confusable")
    assert invisible.exit_code == 1, invisible.stderr
    assert "invisible" in invisible.stderr
    assert "\\u200b" in invisible.stderr
    names = sorted(a["name"] for a in cli.ok("actor", "list", "-f", "json").json())
    assert names == sorted([REAL, CYRILLIC])


def test_add_allow_confusable(cli: Cli):
    cli.ok("actor", "add", REAL)
    result = cli(
        *[
            "add",
            "A claim",
            "--by",
            CYRILLIC,
            "--stance",
            "asserts",
            "--source",
            SOURCE,
            "--date",
            "2024",
            "--allow-confusable",
        ]
    )
    assert result.exit_code == 0, result.stderr


def test_csv_refuses_a_confusable_actor(cli: Cli, target, tmp_path):
    cli.ok("actor", "add", REAL)
    path = _csv(
        tmp_path,
        f"A claim,{REAL},asserts,2024,{SOURCE},,,,,,",
        f"A claim,{CYRILLIC},denies,2024,{SOURCE},,,,,,",
        f"Other claim,Someone,asserts,2024,{SOURCE},,,,{INVISIBLE},,",
    )
    before = snapshot(target)
    lines = refused(cli("import", str(path)), path)
    assert lines[0].startswith(f"{path}:3:2: actor: "), lines[0]
    assert f"'{REAL}'" in lines[0]
    assert lines[1].startswith(f"{path}:4:9: via: "), lines[1]
    assert snapshot(target) == before


def test_csv_refuses_two_confusable_new_names_in_one_file(cli: Cli, target, tmp_path):
    path = _csv(
        tmp_path,
        f"A claim,{REAL},asserts,2024,{SOURCE},,,,,,",
        f"A claim,{CYRILLIC},denies,2024,{SOURCE},,,,,,",
    )
    before = snapshot(target)
    lines = refused(cli("import", str(path)), path)
    assert lines[0].startswith(f"{path}:3:2: actor: "), lines[0]
    assert snapshot(target) == before


def test_import_allow_confusable(cli: Cli, tmp_path):
    cli.ok("actor", "add", REAL)
    path = _csv(tmp_path, f"A claim,{CYRILLIC},denies,2024,{SOURCE},,,,,,")
    cli.ok("import", str(path), "--allow-confusable")
    names = sorted(a["name"] for a in cli.ok("actor", "list", "-f", "json").json())
    assert names == sorted([REAL, CYRILLIC])


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (json.dumps({"type": "actor", "name": CYRILLIC}), "name"),
        (json.dumps({"type": "actor", "name": "Someone", "aliases": [CYRILLIC]}), "aliases"),
        (_assertion(actor=CYRILLIC), "actor"),
        (_assertion(via=[INVISIBLE]), "via"),
    ],
)
def test_jsonl_refuses_a_confusable_actor(cli: Cli, target, tmp_path, record, field):
    cli.ok("actor", "add", REAL)
    path = _jsonl(tmp_path, record)
    before = snapshot(target)
    lines = refused(cli("import", str(path)), path)
    assert lines[0].startswith(f"{path}:1: {field}: "), lines[0]
    assert f"'{REAL}'" in lines[0]
    assert snapshot(target) == before


def test_known_names_are_not_confusable_with_themselves(cli: Cli, tmp_path):
    """An exact (case-folded) match is the same actor, never a confusable one; an import of
    an export of a database comes back unchanged."""
    cli.ok("actor", "add", CYRILLIC, "--allow-confusable")
    cli.ok("actor", "add", REAL, "--allow-confusable")
    cli.add("A claim", by=CYRILLIC.upper(), stance="asserts", source=SOURCE, date="2024")
    out = tmp_path / "out.jsonl"
    cli.ok("export", str(out))
    cli.ok("import", str(out))
