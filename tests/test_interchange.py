"""``factdb import``: every broken file is refused whole, naming file, line and column; good
variants (BOM, CRLF, quoted newlines, NA-like text) are read exactly; imports are idempotent.

The files are in tests/data, one per failure, named for what they hold. docs/reliability.md, bad
input Every test runs on SQLite and PostgreSQL. "Unchanged" means the same tables, per-table row
counts and SHA-256 of an ordered dump of every row."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from factdb.storage import db
from factdb.storage.config import DatabaseTarget
from tests.conftest import Cli, Result, _pg_exec, _replace_db, pg_admin_url

DATA = Path(__file__).parent / "data"
HEADER = "claim,actor,stance,date,source_url,outlet,title,quote,via,tags,violates\n"
NA_VALUES = ["NA", "None", "null", "N/A", "nan", "007"]


# --- helpers --------------------------------------------------------------------------------


def snapshot(target: DatabaseTarget) -> tuple[dict[str, int], str]:
    """Per-table row counts and a hash of every row, in a stable order."""
    db.dispose_all()
    engine = db.get_engine(target)
    counts: dict[str, int] = {}
    lines: list[str] = []
    with engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
            counts[name] = len(rows)
            lines.extend(sorted(f"{name}|{tuple(row)!r}" for row in rows))
    db.dispose_all()
    return counts, hashlib.sha256("\n".join(lines).encode()).hexdigest()


def import_counts(cli: Any, *args: str, input: str | None = None) -> dict[str, dict[str, int]]:
    result = cli.ok("import", *args, "-f", "json", input=input)
    return {r["records"]: {"new": r["new"], "old": r["already_there"]} for r in result.json()}


def new_counts(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    return {k: v["new"] for k, v in counts.items()}


def claim_ids(cli: Any) -> dict[str, int]:
    return {r["claim"]: r["id"] for r in cli.ok("list", "-f", "json").json()}


def show(cli: Any, claim_id: int) -> dict[str, Any]:
    data: dict[str, Any] = cli.ok("show", str(claim_id), "-f", "json").json()
    return data


def by_actor(shown: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["actor"]: a for a in shown["assertions"]}


def refused(result: Result, path: Path) -> list[str]:
    """The import contract for a bad file: exit 1, every error line names the file, nothing
    on stdout, no traceback, and a closing line saying nothing was imported."""
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines, "no error message"
    assert "nothing was imported" in lines[-1]
    for line in lines[:-1]:
        assert line.startswith(str(path) + ":") or line.startswith("…"), line
    return lines


def located(line: str, path: Path, where: str) -> bool:
    column = "" if ":" in where else r"(:\d+)?"
    return re.match(re.escape(f"{path}:{where}") + column + ": ", line) is not None


@pytest.fixture
def other_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A second database at the schema head on the same backend (team member B's)."""
    if backend == "sqlite":
        target = DatabaseTarget("sqlite:///" + str(tmp_path / "other.sqlite3"), "--db")
        db.upgrade(target)
        yield target
        db.dispose_all()
        return
    template = request.getfixturevalue("pg_template")
    admin = pg_admin_url()
    assert admin is not None
    name = f"factdb_t_{uuid.uuid4().hex[:10]}"
    _pg_exec(admin, f"CREATE DATABASE {name} TEMPLATE {template}")
    yield DatabaseTarget(_replace_db(admin, name), "--db")
    db.dispose_all()
    _pg_exec(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- broken files ---------------------------------------------------------------------------

# file -> (where, what): the error line starts with "<path>:<where>: " and contains <what>;
# where is LINE:COLUMN, or LINE alone where a column may or may not follow.
BROKEN = {
    "bad_date.csv": ("3:4", "'27/02/2024' is not a date"),
    "too_many_fields.csv": ("3", "12 fields"),
    "too_few_fields.csv": ("3", "10 fields"),
    "unterminated_quote.csv": ("3", "quote"),
    "unknown_column.csv": ("1:6", "'colour'"),
    "duplicate_column.csv": ("1:6", "'claim'"),
    "missing_column.csv": ("1", "'stance'"),
    "cp1252.csv": ("3", "UTF-8"),
    "utf16.csv": ("1", "UTF-16"),
    "nul_byte.csv": ("3", "NUL"),
    "empty.csv": ("1", "empty"),
    "empty_claim.csv": ("3:1", "claim"),
    "unknown_stance.csv": ("3:3", "asserts, supports, neutral, disputes, denies"),
    "ftp_url.csv": ("3:5", "ftp://example.org/file.txt"),
    "missing_source.csv": ("3:5", "source_url"),
    "multiline_actor.csv": ("3:2", "single line"),
    "multiline_then_bad_date.csv": ("4:4", "'2023-02-30'"),
    "bad_json.jsonl": ("3", "json"),
    "unknown_type.jsonl": ("2", "'person'"),
    "not_object.jsonl": ("2", "object"),
    "bad_date.jsonl": ("3", "'2024-02-30'"),
    "unknown_kind.jsonl": ("2", "'alien'"),
    "retraction_without_reason.jsonl": ("2", "retraction_reason"),
    "nul_escape.jsonl": ("2", "NUL"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file_refused(seeded_cli, target, name):
    path = DATA / name
    where, what = BROKEN[name]
    before = snapshot(target)
    lines = refused(seeded_cli("import", str(path)), path)
    assert len(lines) == 2, lines  # one error, one summary
    assert located(lines[0], path, where), lines[0]
    assert what in lines[0], lines[0]
    assert snapshot(target) == before


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file_dry_run_refused_too(seeded_cli, target, name):
    path = DATA / name
    before = snapshot(target)
    refused(seeded_cli("import", str(path), "--dry-run"), path)
    assert snapshot(target) == before


def test_all_errors_listed(seeded_cli, target):
    path = DATA / "several_errors.csv"
    before = snapshot(target)
    lines = refused(seeded_cli("import", str(path)), path)
    assert lines[0].startswith(f"{path}:3:3: stance:")
    assert lines[1].startswith(f"{path}:5:4: date:")
    assert "2 errors" in lines[2]
    assert snapshot(target) == before


def test_errors_are_capped(cli, target, tmp_path):
    path = tmp_path / "many_errors.csv"
    rows = [f"Claim {i},Someone,asserts,2024-13,https://example.org/a,,,,,,\n" for i in range(30)]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    before = snapshot(target)
    lines = refused(cli("import", str(path)), path)
    assert lines[0].startswith(f"{path}:2:4: date:")
    assert lines[19].startswith(f"{path}:21:4: date:")
    assert "10 more" in lines[20]
    assert "30 errors" in lines[21]
    assert len(lines) == 22
    assert snapshot(target) == before


def test_missing_file(cli, tmp_path):
    result = cli("import", str(tmp_path / "absent.csv"))
    assert result.exit_code in (1, 2)
    assert "absent.csv" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_unknown_extension_is_usage_error(cli, tmp_path):
    path = tmp_path / "data.txt"
    path.write_text((DATA / "good.csv").read_text(encoding="utf-8"), encoding="utf-8")
    result = cli("import", str(path))
    assert result.exit_code == 2
    assert "--input-format csv" in result.stderr


@pytest.mark.parametrize(
    "value",
    ["27/02/2024", "2024-02-30", "20240227", "2024-W09-2", "45349", "2024-02-27T10:00", " 2024"],
)
def test_bad_date_forms_refused(cli, target, tmp_path, value):
    """Test plan item 24: only YYYY, YYYY-MM and YYYY-MM-DD, exactly."""
    path = tmp_path / "dates.csv"
    path.write_text(
        HEADER
        + "Good claim,Someone,asserts,2024,https://example.org/a,,,,,,\n"
        + f'Bad claim,Someone,asserts,"{value}",https://example.org/a,,,,,,\n',
        encoding="utf-8",
    )
    before = snapshot(target)
    lines = refused(cli("import", str(path)), path)
    assert lines[0].startswith(f"{path}:3:4: date:"), lines[0]
    assert "YYYY-MM-DD" in lines[0]
    assert snapshot(target) == before


def test_partial_dates_printed_back_as_given(cli, tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text(
        HEADER
        + "A claim,Year,asserts,2024,https://example.org/a,,,,,,\n"
        + "A claim,Month,denies,2024-02,https://example.org/a,,,,,,\n"
        + "A claim,Day,neutral,2024-02-27,https://example.org/a,,,,,,\n",
        encoding="utf-8",
    )
    cli.ok("import", str(path))
    dates = {a["actor"]: a["date"] for a in show(cli, 1)["assertions"]}
    assert dates == {"Year": "2024", "Month": "2024-02", "Day": "2024-02-27"}


def test_field_under_the_limit_accepted(cli, tmp_path):
    """150,000 characters is under factdb's documented 200,000 (keys.MAX_TEXT); the csv
    module's own default limit (131,072) must not refuse it."""
    path = tmp_path / "long.csv"
    quote = "x" * 150_000
    path.write_text(
        HEADER + f"Long claim,Someone,asserts,2024,https://example.org/a,,,{quote},,,\n",
        encoding="utf-8",
    )
    cli.ok("import", str(path))
    [assertion] = show(cli, 1)["assertions"]
    assert assertion["quote"] == quote


def test_field_over_the_limit_refused(cli, target, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(
        HEADER
        + "Ok claim,Someone,asserts,2024,https://example.org/a,,,ok,,,\n"
        + f"Long claim,Someone,asserts,2024,https://example.org/a,,,{'x' * 200_001},,,\n",
        encoding="utf-8",
    )
    before = snapshot(target)
    lines = refused(cli("import", str(path)), path)
    assert lines[0].startswith(f"{path}:3:"), lines[0]
    assert "200,000" in lines[0], lines[0]  # the documented limit, not the csv module's
    assert snapshot(target) == before


def test_error_at_line_9000_of_10000(cli, target, tmp_path):
    """Test plan item 33: one bad row deep in a big file; nothing is written."""
    path = tmp_path / "big.csv"
    rows = []
    for line in range(2, 10_002):
        date = "2024-02-30" if line == 9000 else "2024-01-15"
        rows.append(
            f"Claim number {line},Actor {line % 50},asserts,{date},"
            f"https://example.org/{line % 100},,,,,,\n"
        )
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    before = snapshot(target)
    lines = refused(cli("import", str(path)), path)
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}:9000:4: date:"), lines[0]
    assert snapshot(target) == before
    # the same file, fixed, goes in whole
    path.write_text(HEADER + "".join(rows).replace("2024-02-30", "2024-02-29"), encoding="utf-8")
    counts = import_counts(cli, str(path))
    assert counts["assertion"]["new"] == 10_000
    assert counts["claim"]["new"] == 10_000
    assert counts["actor"]["new"] == 50
    assert counts["source"]["new"] == 100


# --- good files -----------------------------------------------------------------------------


def test_good_csv(cli):
    counts = import_counts(cli, str(DATA / "good.csv"))
    assert new_counts(counts) == {
        # White House, North Korea, KCNA (via), Russia; the outlets Example News, Other News
        "actor": 6,
        "source": 2,
        "sanction": 0,
        "claim": 2,
        "assertion": 3,
    }
    ids = claim_ids(cli)
    shown = show(cli, ids["North Korea has shipped weapons to Russia"])
    assert shown["tags"] == ["arms-transfer"]
    assertions = by_actor(shown)
    assert assertions["White House"]["quote"] == "We are confident, really"
    assert assertions["White House"]["date"] == "2023-07-26"
    assert assertions["North Korea"]["via"] == ["KCNA"]
    assert assertions["North Korea"]["stance"] == "denies"
    assert assertions["North Korea"]["source"]["outlet"] == "Example News"
    assert assertions["North Korea"]["source"]["title"] == "Arms story"
    outlets = cli.ok(
        "sql",
        "SELECT s.outlet, a.name, a.kind FROM source AS s JOIN actor AS a ON a.id = s.outlet_id "
        "ORDER BY s.id",
        "-f",
        "json",
    ).json()
    assert [tuple(o.values()) for o in outlets] == [
        ("Example News", "Example News", "media"),
        ("Other News", "Other News", "media"),
    ]


def test_bom_header_recognised(cli):
    counts = import_counts(cli, str(DATA / "bom.csv"))
    assert counts["assertion"]["new"] == 2
    ids = claim_ids(cli)
    assert list(ids) == ["North Korea has shipped weapons to Russia"]
    assert not any("\ufeff" in a["actor"] for a in show(cli, 1)["assertions"])


def test_crlf_line_endings(cli):
    counts = import_counts(cli, str(DATA / "crlf.csv"))
    assert counts["assertion"]["new"] == 2
    assertions = by_actor(show(cli, 1))
    assert assertions["North Korea"]["quote"] == "No arms transactions"
    assert assertions["White House"]["quote"] == "We are confident, really"
    shown = show(cli, 1)
    assert shown["tags"] == ["arms-transfer"]
    assert all("\r" not in (a["quote"] or "") for a in shown["assertions"])


def test_quoted_newline_in_field(cli):
    import_counts(cli, str(DATA / "multiline_field.csv"))
    ids = claim_ids(cli)
    assertions = by_actor(show(cli, ids["North Korea has shipped weapons to Russia"]))
    assert assertions["White House"]["quote"] == 'line one\nline two, with "quotes"'
    assert "Russia buys artillery shells from North Korea" in ids


def test_na_values_kept_as_text(cli):
    import_counts(cli, str(DATA / "na_values.csv"))
    ids = claim_ids(cli)
    assert sorted(ids) == sorted(NA_VALUES)
    for value, claim_id in ids.items():
        shown = show(cli, claim_id)
        assert shown["claim"] == value
        [assertion] = shown["assertions"]
        assert assertion["quote"] == value


def test_formula_escaping_undone_on_import(cli):
    import_counts(cli, str(DATA / "formula_escaped.csv"))
    [(claim, claim_id)] = claim_ids(cli).items()
    assert claim == "=1+2"
    [assertion] = show(cli, claim_id)["assertions"]
    assert assertion["actor"] == "@Analyst"
    assert assertion["quote"] == "'quoted"
    assert assertion["source"]["outlet"] == "-Outlet"
    assert assertion["source"]["title"] == "+Title"


def test_control_characters_kept_exactly(cli, tmp_path):
    """Control characters other than NUL (BEL, ESC) are kept exactly (keys.py, the decision
    on docs/reliability.md), exported unchanged, and shown escaped in tables."""
    import_counts(cli, str(DATA / "control_char.csv"))
    ids = claim_ids(cli)
    quote = "No\x07deal \x1b[31mred\x1b[0m"
    assertions = by_actor(show(cli, ids["Russia denies the deal"]))
    assert assertions["Russia"]["quote"] == quote
    path = tmp_path / "out.csv"
    cli.ok("export", str(path))
    assert quote in path.read_text(encoding="utf-8")
    table = cli.ok("show", str(ids["Russia denies the deal"])).stdout
    assert "\x1b" not in table and "\x07" not in table


def test_markup_and_bidi_stored_verbatim(cli):
    """Test plan items 31-32: markup is text; U+202E is kept exact in JSON."""
    import_counts(cli, str(DATA / "markup.csv"))
    [(claim, claim_id)] = claim_ids(cli).items()
    assert claim == "<script>alert(1)</script>"
    [assertion] = show(cli, claim_id)["assertions"]
    assert assertion["actor"] == "[bold]Actor[/bold]"
    assert assertion["quote"] == "[/] and [red]x[/red] and \u202eRTL"
    table = cli.ok("show", str(claim_id)).stdout
    assert "[bold]Actor[/bold]" in table
    assert "\u202e" not in table  # shown escaped on a terminal


def test_same_file_twice_changes_nothing(cli, target):
    first = import_counts(cli, str(DATA / "good.csv"))
    before = snapshot(target)
    second = import_counts(cli, str(DATA / "good.csv"))
    assert all(v["new"] == 0 for v in second.values()), second
    assert {k: v["old"] for k, v in second.items()} == {k: v["new"] for k, v in first.items()}
    assert snapshot(target) == before


def test_seed_export_reimported_changes_nothing(seeded_cli, target, tmp_path):
    path = tmp_path / "seed.jsonl"
    seeded_cli.ok("export", str(path))
    before = snapshot(target)
    counts = import_counts(seeded_cli, str(path))
    assert all(v["new"] == 0 for v in counts.values()), counts
    assert counts["assertion"]["old"] == 18
    assert counts["claim"]["old"] == 14
    assert counts["actor"]["old"] == 23
    assert counts["sanction"]["old"] == 4
    assert counts["source"]["old"] == 1
    assert snapshot(target) == before


def test_duplicate_rows_within_file_counted_once(cli):
    result = cli.ok("import", str(DATA / "duplicate_rows.csv"), "--output-format", "json")
    counts = {r["records"]: r["new"] for r in result.json()}
    assert counts["assertion"] == 3
    assert "duplicate" in result.stderr
    assert "1" in result.stderr
    [count] = cli.ok("sql", "SELECT count(*) AS n FROM assertion", "-f", "json").json()
    assert count["n"] == 3


def test_dry_run_writes_nothing(seeded_cli, target):
    before = snapshot(target)
    result = seeded_cli.ok("import", str(DATA / "good.csv"), "--dry-run", "--output-format", "json")
    counts = {r["records"]: r["new"] for r in result.json()}
    assert counts["assertion"] == 3
    assert "dry run" in result.stderr
    assert snapshot(target) == before


def test_stdin_csv(cli):
    data = (DATA / "good.csv").read_text(encoding="utf-8")
    counts = import_counts(cli, "-", "--input-format", "csv", input=data)
    assert counts["assertion"]["new"] == 3
    assert len(claim_ids(cli)) == 2


def test_stdin_error_names_stdin(cli, target):
    data = (DATA / "bad_date.csv").read_text(encoding="utf-8")
    before = snapshot(target)
    result = cli("import", "-", "--input-format", "csv", input=data)
    assert result.exit_code == 1
    assert result.stderr.startswith("<stdin>:3:4: date:")
    assert snapshot(target) == before


def test_stdin_without_format_is_usage_error(cli):
    result = cli("import", "-", input=(DATA / "good.csv").read_text(encoding="utf-8"))
    assert result.exit_code == 2
    assert "--input-format csv" in result.stderr


# --- JSON Lines -----------------------------------------------------------------------------


def test_jsonl_assertion_with_new_actor_creates_it(seeded_cli):
    counts = import_counts(seeded_cli, str(DATA / "new_actor.jsonl"))
    assert counts["actor"]["new"] == 2
    assert counts["claim"]["new"] == 1
    assert counts["assertion"]["new"] == 1
    names = {a["name"] for a in seeded_cli.ok("actor", "list", "-f", "json").json()}
    assert {"Brand New Actor", "Another New Outlet"} <= names
    shown = show(seeded_cli, claim_ids(seeded_cli)["A brand new claim"])
    [assertion] = shown["assertions"]
    assert assertion["actor"] == "Brand New Actor"
    assert assertion["via"] == ["Another New Outlet"]
    assert assertion["date"] == "2024-03"
    assert assertion["recorded_at"].startswith("2024-03-05T10:00:00")
    assert shown["tags"] == ["new"]


def test_import_team_members_export(cli, target, other_target, tmp_path):
    """A imports B's export: only what A lacks is added; A's own work stays."""
    a, b = cli, Cli(other_target)
    a.ok("seed")
    b.ok("seed")
    a.add(
        "A's own claim",
        by="Analyst A",
        stance="asserts",
        source="https://example.org/a-only",
        date="2024-01",
    )
    b.add(
        "B's own claim",
        by="Analyst B",
        stance="disputes",
        source="https://example.org/b-only",
        date="2024-02",
        via=["Russia"],
        tags=["b-tag"],
    )
    b.add(1, by="Russia", stance="asserts", source="https://example.org/b-only", date="2025")
    b.ok("retract", "2", "--reason", "B thinks this was misreported")
    path = tmp_path / "b.jsonl"
    b.ok("export", str(path))

    counts = import_counts(a, str(path))
    assert new_counts(counts) == {
        "actor": 1,  # Analyst B
        "source": 1,
        "sanction": 0,
        "claim": 1,
        "assertion": 2,
    }
    assert counts["assertion"]["old"] == 18
    assert counts["claim"]["old"] == 14
    ids = claim_ids(a)
    assert "A's own claim" in ids and "B's own claim" in ids
    [total] = a.ok("sql", "SELECT count(*) AS n FROM assertion", "-f", "json").json()
    assert total["n"] == 18 + 1 + 2
    b_claim = show(a, ids["B's own claim"])
    assert b_claim["tags"] == ["b-tag"]
    assert b_claim["assertions"][0]["via"] == ["Russia"]
    # B's retraction of an assertion both had is carried over
    retracted = a.ok(
        "sql", "SELECT retraction_reason FROM assertion WHERE id = 2", "-f", "json"
    ).json()
    assert retracted == [{"retraction_reason": "B thinks this was misreported"}]
    # and importing it again changes nothing
    before = snapshot(a.target)
    again = import_counts(a, str(path))
    assert all(v["new"] == 0 for v in again.values())
    assert snapshot(a.target) == before


@pytest.mark.postgres_only
def test_a_large_import_refreshes_the_planner_statistics(cli, target, tmp_path, monkeypatch):
    # PostgreSQL planned show at 24 ms right after a million-row import until ANALYZE ran;
    # SQLite plans without statistics (db.analyze leaves it alone).
    from factdb.cli import interchange as cli_interchange

    monkeypatch.setattr(cli_interchange, "ANALYZE_AFTER", 3)
    path = tmp_path / "few.csv"
    path.write_text(
        "claim,actor,stance,date,source_url\r\n"
        "A claim,Someone,asserts,2024,https://example.org/a\r\n",
        encoding="utf-8",
    )
    cli.ok("import", str(path))
    import psycopg

    url = target.url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        analyzed = conn.execute(
            "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'assertion' "
            "AND last_analyze IS NOT NULL"
        ).fetchone()
    assert analyzed == (1,)


# --- actors an import names that the database does not know --------------------------------


def _known_people(cli: Cli) -> None:
    cli.ok("actor", "add", "White House", "--kind", "government")
    cli.ok("actor", "add", "John Kirby", "--kind", "person", "--part-of", "White House")


def _people_csv(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER
        + "A claim,John Kirby,asserts,2024,https://example.org/a,,,,,,\n"
        + "A claim,Kirby,asserts,2024,https://example.org/a,,,,,,\n"
        + "A claim,Sergei Lavrov,denies,2024,https://example.org/a,,,,TASS,,\n"
        + "A claim,white house,asserts,2024,https://example.org/a,,,,Jonh Kirby,,\n",
        encoding="utf-8",
    )
    return path


def _people_jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "people.jsonl"
    assertion = {
        "type": "assertion",
        "claim": "A claim",
        "stance": "asserts",
        "date": "2024",
        "source_url": "https://example.org/a",
    }
    records = [
        {"type": "actor", "name": "Kanaani", "kind": "person"},
        {"type": "actor", "name": "John Kirby", "aliases": ["Admiral Kirby"]},
        {**assertion, "actor": "Admiral Kirby"},
        {**assertion, "actor": "Kirby", "via": ["TASS"]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


WOULD_CREATE = {
    "csv": [
        "would create actor 'Kirby'; did you mean 'John Kirby'?",
        "would create actor 'Sergei Lavrov'",
        "would create actor 'TASS'",
        "would create actor 'Jonh Kirby'; did you mean 'John Kirby'?",
    ],
    "jsonl": [
        "would create actor 'Kanaani'",
        "would create actor 'Kirby'; did you mean 'John Kirby'?",
        "would create actor 'TASS'",
    ],
}


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_dry_run_lists_the_actors_it_would_create(cli, target, tmp_path, kind):
    _known_people(cli)
    path = _people_csv(tmp_path) if kind == "csv" else _people_jsonl(tmp_path)
    before = snapshot(target)
    result = cli.ok("import", str(path), "--dry-run", "--output-format", "json")
    counts = {r["records"]: r["new"] for r in result.json()}
    assert counts["actor"] == len(WOULD_CREATE[kind])
    assert result.stderr.splitlines() == [*WOULD_CREATE[kind], "dry run: nothing was written"]
    assert snapshot(target) == before
    # Without --dry-run, the import creates them as before, listing nothing.
    done = cli.ok("import", str(path), "--output-format", "json")
    assert done.stderr == ""
    names = {a["name"] for a in cli.ok("actor", "list", "-f", "json").json()}
    assert {line.split("'")[1] for line in WOULD_CREATE[kind]} <= names
    # and a dry run of the same file now has no actor to create.
    again = cli.ok("import", str(path), "--dry-run")
    assert again.stderr.splitlines() == ["dry run: nothing was written"]


def _known_outlets(cli: Cli) -> None:
    """The outlets of good.csv, as actors: an outlet names an actor like any actor name."""
    for outlet in ("Example News", "Other News"):
        cli.ok("actor", "add", outlet, "--kind", "media")


def test_dry_run_of_known_actors_lists_none(seeded_cli):
    _known_outlets(seeded_cli)
    result = seeded_cli.ok("import", str(DATA / "good.csv"), "--dry-run")
    assert result.stderr.splitlines() == ["dry run: nothing was written"]


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_known_actors_only_refuses_an_unknown_csv_name(cli, target, tmp_path, dry_run):
    _known_people(cli)
    path = _people_csv(tmp_path)
    before = snapshot(target)
    lines = refused(cli("import", str(path), "--known-actors-only", *dry_run), path)
    assert lines == [
        f"{path}:3:2: actor: 'Kirby' is no known actor or alias (--known-actors-only); "
        "did you mean 'John Kirby'?",
        f"{path}:4:2: actor: 'Sergei Lavrov' is no known actor or alias (--known-actors-only)",
        f"{path}:4:9: via: 'TASS' is no known actor or alias (--known-actors-only)",
        f"{path}:5:9: via: 'Jonh Kirby' is no known actor or alias (--known-actors-only); "
        "did you mean 'John Kirby'?",
        "4 errors; nothing was imported",
    ]
    assert snapshot(target) == before


def test_known_actors_only_refuses_an_unknown_jsonl_name(cli, target, tmp_path):
    _known_people(cli)
    path = _people_jsonl(tmp_path)
    before = snapshot(target)
    lines = refused(cli("import", str(path), "--known-actors-only"), path)
    assert lines == [
        f"{path}:1: name: 'Kanaani' is no known actor or alias (--known-actors-only)",
        "1 error; nothing was imported",
    ]
    # Without the actor record, the assertions' names are checked, each on its line.
    path.write_text("".join(path.read_text().splitlines(True)[1:]), encoding="utf-8")
    lines = refused(cli("import", str(path), "--known-actors-only"), path)
    assert lines == [
        f"{path}:3: actor: 'Kirby' is no known actor or alias (--known-actors-only); "
        "did you mean 'John Kirby'?",
        f"{path}:3: via: 'TASS' is no known actor or alias (--known-actors-only)",
        "2 errors; nothing was imported",
    ]
    assert snapshot(target) == before


@pytest.mark.parametrize("name", ["good.csv", "new_actor.jsonl"])
def test_known_actors_only_imports_a_file_of_known_actors(seeded_cli, name):
    if name == "new_actor.jsonl":
        for actor in ("Brand New Actor", "Another New Outlet"):
            seeded_cli.ok("actor", "add", actor)
    else:
        _known_outlets(seeded_cli)
    counts = import_counts(seeded_cli, str(DATA / name), "--known-actors-only")
    assert counts["actor"]["new"] == 0
    assert counts["assertion"]["new"] >= 1
