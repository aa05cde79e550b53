"""The flat CSV export writes byte for byte what ``csv.writer`` writes of the formula-escaped
values (docs/design.md, The CSV interchange format), though the database builds the dates
and via chains and only the lines that need quoting go through ``csv.writer``
(``interchange.export.csv_lines``): checked on generated chunks, and on a database of awkward
values on each backend against the assertions as the JSON Lines export reads them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from factdb.core.csvsafe import escape_formula
from factdb.interchange.common import CSV_COLUMNS
from factdb.interchange.export import csv_lines
from factdb.queries import FlatChunk
from factdb.storage import db
from tests.conftest import Cli
from tests.helpers import add

_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")
FIELDS = st.one_of(
    st.sampled_from(["", ",", '"', "\r", "\n", "\r\n", '""', "a,b", "'=1", "=1+2", "é", " "]),
    st.text(st.sampled_from([",", '"', "\r", "\n", "a", " ", "ß", "'"]), max_size=6),
    st.text(_CHARS, max_size=10),
)
ROWS = st.lists(
    st.tuples(*[FIELDS] * 9, st.integers(1, 3), FIELDS, FIELDS), min_size=1, max_size=12
)


def _written(rows: list[list[Any]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


@given(ROWS, st.dictionaries(st.integers(1, 3), FIELDS), st.dictionaries(st.integers(1, 3), FIELDS))
@example([("a",) * 9 + (1, "", "")], {}, {})
@example([("a,b", '"', "\r", "\n", "", "x", "y", "z", "v", 2, "q", "n")], {2: "t,u"}, {})
@settings(max_examples=300, deadline=None)
def test_lines_are_those_of_csv_writer(
    rows: list[tuple[Any, ...]], tags: dict[int, str], violates: dict[int, str]
) -> None:
    expected = _written(
        [[*row[:9], tags.get(row[9], ""), violates.get(row[9], ""), *row[10:]] for row in rows]
    )
    assert csv_lines(FlatChunk(rows, tags, violates)) == expected


AWKWARD = [
    'She said "no", twice',
    "line one\nline two",
    "carriage\rreturn",
    "=HYPERLINK(1)",
    "+1 rocket",
    "-minus",
    "@handle",
    "'quoted already",
    "«Ракеты» 🚀, ß",
    "nothing special",
]


def _expected(cli: Cli, tmp_path: Path, *filters: str) -> bytes:
    """The flat CSV of the assertions the JSON Lines export reads (another query, Python
    joins and escaping), written by ``csv.writer``: what the export wrote before the
    database built its lines."""
    path = tmp_path / "all.jsonl"
    cli.ok("export", str(path), *[f for f in filters if f != "--include-retracted"])
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    claims = {r["text"]: r for r in records if r["type"] == "claim"}
    sources = {r["url"]: r for r in records if r["type"] == "source" and r["url"] is not None}
    rows: list[list[Any]] = [list(CSV_COLUMNS)]
    for r in records:
        if r["type"] != "assertion":
            continue
        if r["retracted_at"] is not None and "--include-retracted" not in filters:
            continue
        claim = claims[r["claim"]]
        source = sources.get(r["source_url"], r)  # an assertion names its source by URL
        rows.append(
            [
                *(escape_formula(r[k]) for k in ("claim", "actor")),
                r["stance"],
                r["date"],
                escape_formula(r["source_url"] or ""),
                *(escape_formula(source[k] or "") for k in ("outlet", "title")),
                escape_formula(r["quote"] or ""),
                *(escape_formula("; ".join(v)) for v in (r["via"], claim["tags"])),
                escape_formula("; ".join(claim["violates"])),
                r["qualifier"] or "",
                escape_formula(r["qualifier_note"] or ""),
            ]
        )
    return _written(rows).encode()


def test_export_of_awkward_values_is_that_of_csv_writer(cli: Cli, tmp_path: Path) -> None:
    for i, value in enumerate(AWKWARD):
        line = value.replace("\n", " ").replace("\r", " ")  # for names: one line each
        add(
            cli,
            f"{value} (claim {i})" if value[0] != "-" else f"(claim {i}) {value}",  # not an option
            by=f"{line} speaker" if i % 2 else "Quentin Q",
            stance=("asserts", "denies", "supports")[i % 3],
            source=f"https://example.org/{i}?a=1,b=2",
            date=("2023", "~2023-04", "2023-04-05", "~1999-12-31")[i % 4],
            quote=value,
            outlet=line if i % 3 else None,
            title=line,
            via=[f"Relay {line}", "Zed relay", "Alpha relay"][: i % 4],
            tags=[line[:20], "=tag"][: i % 3],
            qualifier="partial" if i % 4 == 1 else None,
            qualifier_note=value if i % 4 == 1 else None,
        )
    with db.session_scope(cli.target, write=True) as session:
        # The via chain of one assertion stored last position first: the export must still
        # write it in position order, not in the order the rows were written.
        aid, _ = session.execute(
            text(
                "SELECT assertion_id, count(*) FROM assertion_via GROUP BY assertion_id "
                "HAVING count(*) = 3 ORDER BY assertion_id LIMIT 1"
            )
        ).one()
        vias = session.execute(
            text("SELECT position, actor_id FROM assertion_via WHERE assertion_id = :a"),
            {"a": aid},
        ).all()
        session.execute(text("DELETE FROM assertion_via WHERE assertion_id = :a"), {"a": aid})
        for position, actor_id in sorted(vias, reverse=True):
            session.execute(
                text(
                    "INSERT INTO assertion_via (assertion_id, position, actor_id) "
                    "VALUES (:a, :p, :x)"
                ),
                {"a": aid, "p": position, "x": actor_id},
            )
        retracted = session.execute(text("SELECT min(id) FROM assertion")).scalar()
    cli.ok("retract", str(retracted), "--reason", "checked")
    sizes = {}
    for filters in ((), ("--include-retracted",), ("--tag", "=tag")):
        got = tmp_path / "flat.csv"
        cli.ok("export", str(got), *filters)
        assert got.read_bytes() == _expected(cli, tmp_path, *filters)
        sizes[filters] = got.read_bytes().count(b"\r\n")
    assert sizes[()] == len(AWKWARD) and sizes[("--include-retracted",)] == len(AWKWARD) + 1
    assert 0 < sizes[("--tag", "=tag")] < len(AWKWARD)
