"""JSON Lines import in chunks: the file is validated whole, then its sources, claims and
assertions are read again and written a chunk at a time, so memory does not grow with the
file (docs/design.md, Import). Chunks of two or three records here make every boundary case
cross a chunk; the counts must be those of the whole file at once."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from factdb.interchange import jsonl
from factdb.interchange.common import ImportErrors
from factdb.storage.config import DatabaseTarget
from tests.conftest import Cli, add_args
from tests.helpers import schema_objects

RECORDED = "2026-01-02T03:04:05+00:00"


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def _import(cli: Cli, path: Path) -> tuple[dict[str, dict[str, int]], int]:
    """The counts of ``factdb import`` (new, already there) and the duplicates it skipped."""
    result = cli.ok("import", str(path), "-f", "json")
    counts = {r["records"]: {"new": r["new"], "old": r["already_there"]} for r in result.json()}
    skipped = re.search(r"skipped (\d+) duplicate rows", result.stderr)
    return counts, int(skipped.group(1)) if skipped else 0


def _new_assertion(record: dict[str, Any], day: int) -> dict[str, Any]:
    """An assertion record like ``record`` on another date: a new natural key."""
    return {**record, "date": f"2019-03-{day:02d}", "recorded_at": RECORDED}


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonl, "BATCH", 3)


def test_repeats_across_chunks_count_as_in_one_chunk(
    seeded_cli: Cli, tmp_path: Path, small_chunks: None
) -> None:
    seeded_cli.ok("export", str(tmp_path / "seed.jsonl"))
    records = _records(tmp_path / "seed.jsonl")
    assertions = [r for r in records if r["type"] == "assertion"]
    assert len(assertions) == 18
    fresh = [_new_assertion(assertions[i], i + 1) for i in range(5)]
    # A later repeat of a new row that says it was retracted: the first row wins, as in one
    # chunk, so the assertion stays live.
    retracted_repeat = {**fresh[0], "retracted_at": RECORDED, "retraction_reason": "later row"}
    file = _write(
        tmp_path / "chunks.jsonl",
        [*records, *fresh, *assertions, retracted_repeat, *fresh[1:]],
    )
    counts, skipped = _import(seeded_cli, file)
    assert counts["assertion"] == {"new": 5, "old": 18}
    assert skipped == 18 + 5
    assert counts["claim"]["new"] == 0 and counts["source"]["new"] == 0
    live = seeded_cli.ok(
        "sql",
        "SELECT count(*) AS n FROM assertion WHERE retracted_at IS NULL AND date = '2019-03-01'",
        "-f",
        "json",
    ).json()
    assert live == [{"n": 1}]
    # The same file again: every first row already there, every repeat skipped.
    again, skipped = _import(seeded_cli, file)
    assert again["assertion"] == {"new": 0, "old": 23}
    assert skipped == 23


def test_chunked_import_into_empty_database_round_trips(
    seeded_cli: Cli, empty_target: DatabaseTarget, tmp_path: Path, small_chunks: None
) -> None:
    """The seed's export, imported three records at a time into an empty database, exports
    again the same records (the timestamps of the records kept as written)."""
    first = tmp_path / "seed.jsonl"
    seeded_cli.ok("export", str(first))
    cli = Cli(empty_target)
    cli.ok("db", "upgrade")
    counts, skipped = _import(cli, first)
    assert skipped == 0
    assert counts["assertion"] == {"new": 18, "old": 0}
    assert counts["claim"] == {"new": 14, "old": 0}
    second = tmp_path / "again.jsonl"
    cli.ok("export", str(second))
    assert _records(second) == _records(first)


def test_line_separators_inside_text_are_not_line_breaks(cli: Cli, tmp_path: Path) -> None:
    """U+2028, U+2029 and U+0085 are text inside a JSON string (``json.dumps`` writes them
    raw): the import splits the file on LF only, so an exported quote holding them comes back
    whole."""
    quote = "first\u2028second\u2029third\x85fourth"
    cli.ok(
        *add_args(
            "A claim",
            by="Some Body",
            stance="asserts",
            source="https://e.org/1",
            date="2022",
            quote=quote,
        )
    )
    path = tmp_path / "out.jsonl"
    cli.ok("export", str(path))
    assert "\u2028" in path.read_text(encoding="utf-8")
    counts, _ = _import(cli, path)
    assert counts["assertion"] == {"new": 0, "old": 1}
    [row] = cli.ok("sql", "SELECT quote FROM assertion", "-f", "json").json()
    assert row["quote"] == quote


def test_file_changed_between_passes_is_refused(session: Any) -> None:
    """The second read finds another record on a line the first validated: the line is named
    and the import stops (the caller's transaction rolls back)."""
    assertion = {
        "type": "assertion",
        "claim": "A claim",
        "actor": "Some Body",
        "stance": "asserts",
        "date": "2022",
        "source_url": "https://e.org/1",
    }
    reads = [
        [json.dumps({"type": "claim", "text": "A claim"}), json.dumps(assertion)],
        [json.dumps({"type": "claim", "text": "A claim"}), json.dumps({"type": "claim"})],
    ]
    calls = iter([reads[0], reads[0], reads[0], reads[1]])  # parse, sources, claims, assertions
    with pytest.raises(ImportErrors) as raised:
        jsonl.load_jsonl(session, lambda: next(calls), "f.jsonl")
    [error] = raised.value.errors
    assert (error.path, error.line, error.field) == ("f.jsonl", 2, "file")
    assert "changed while it was being imported" in str(error)
    session.rollback()
    # Cut short: the assertion on line 2 is no longer there to read.
    calls = iter([reads[0], reads[0], reads[0], reads[0][:1]])
    with pytest.raises(ImportErrors) as raised:
        jsonl.load_jsonl(session, lambda: next(calls), "f.jsonl")
    [error] = raised.value.errors
    assert (error.line, error.field) == (2, "file")
    session.rollback()


def test_bulk_writes_leave_schema_search_and_checks_as_they_were(
    seeded_cli: Cli, target: DatabaseTarget, tmp_path: Path, small_chunks: None
) -> None:
    """The claims and assertions are written with the full-text index filled after them, their
    CHECK constraints checked once after them and the idle history triggers aside (SQLite,
    ``sqliteload``): afterwards every trigger and index is back as it was, the new claims and
    quotes are found by search, a retraction of an assertion there before is written, and an
    import that fails in a later chunk leaves the schema and the data as they were."""
    seeded_cli.ok("export", str(tmp_path / "seed.jsonl"))
    records = _records(tmp_path / "seed.jsonl")
    assertions = [r for r in records if r["type"] == "assertion"]
    schema = schema_objects(target)
    fresh = [
        {**_new_assertion(assertions[0], day), "claim": f"Zanzibarian cargo {day}"}
        for day in range(1, 5)
    ]
    fresh[2]["quote"] = "the quixotically phrased denial"
    withdrawn = {**assertions[1], "retracted_at": RECORDED, "retraction_reason": "withdrawn"}
    file = _write(tmp_path / "more.jsonl", [*fresh, withdrawn])
    counts, _ = _import(seeded_cli, file)
    assert counts["assertion"] == {"new": 4, "old": 1}
    assert schema_objects(target) == schema
    found = seeded_cli.ok("list", "--search", "Zanzibarian", "-f", "json").json()
    assert sorted(c["claim"] for c in found) == [f"Zanzibarian cargo {d}" for d in range(1, 5)]
    [quoted] = seeded_cli.ok("list", "--search", "quixotically", "-f", "json").json()
    assert quoted["claim"] == "Zanzibarian cargo 3"
    retracted = seeded_cli.ok(
        "sql",
        "SELECT retraction_reason FROM assertion WHERE retracted_at IS NOT NULL",
        "-f",
        "json",
    ).json()
    assert {"retraction_reason": "withdrawn"} in retracted
    before = seeded_cli.ok("sql", "SELECT count(*) AS n FROM assertion", "-f", "json").json()
    # A look-alike actor name (a zero-width space) in the last chunk: refused, nothing kept.
    late = {**_new_assertion(assertions[0], 20), "actor": "White\u200b House"}
    bad = _write(
        tmp_path / "bad.jsonl", [*(_new_assertion(assertions[0], d) for d in (9, 10, 11, 12)), late]
    )
    failed = seeded_cli("import", str(bad))
    assert failed.exit_code == 1 and "bad.jsonl:5: actor:" in failed.stderr, failed.stderr
    assert schema_objects(target) == schema
    after = seeded_cli.ok("sql", "SELECT count(*) AS n FROM assertion", "-f", "json").json()
    assert after == before
