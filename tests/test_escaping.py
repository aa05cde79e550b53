"""Every CSV factdb writes escapes formula-like text alike (``csvsafe``): ``list``/``show
--format csv`` (render.write_csv), the SQL of the flat export and the timeline report (run on
SQLite and PostgreSQL), and the pandas path of the other reports all write
``escape_formula(value)``, and ``unescape_formula`` (what the CSV import applies) gives the
value back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, cast

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from factdb.cli.render import write_csv
from factdb.core.csvsafe import (
    FORMULA_START,
    escape_formula,
    escape_formula_sql,
    unescape_formula,
)
from factdb.interchange.reports import Report, write_report
from factdb.queries import Filters
from factdb.storage import db
from factdb.storage.config import DatabaseTarget
from factdb.storage.reader import Reader

# Any text factdb stores (no NUL, no lone surrogates), often starting like a formula.
_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")
_STARTS = st.sampled_from(["", *FORMULA_START, "'=", "''", "'a", " =", "\n", "«", "🚀", "ß"])
TEXTS = st.one_of(
    st.sampled_from(["", "'", "=", "=1+2", "-", "+", "@", "\t", "\r", "\r\n", "'=x", "plain"]),
    st.builds(str.__add__, _STARTS, st.text(_CHARS, max_size=12)),
    st.text(_CHARS, max_size=6),
)
VALUES = st.lists(TEXTS, min_size=1, max_size=8)


def _cells(written: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(written, newline="")))


@given(TEXTS)
@example("'=1")
@example("'plain")
@example("")
def test_unescape_undoes_escape(value: str) -> None:
    escaped = escape_formula(value)
    assert isinstance(escaped, str)
    assert unescape_formula(escaped) == value
    assert escaped.startswith("'") == value.startswith(FORMULA_START)
    if not value.startswith(FORMULA_START):
        assert escaped == value == unescape_formula(value)


def test_unescape_removes_only_what_escaping_added() -> None:
    assert unescape_formula("'=1") == "=1"
    assert unescape_formula("''quoted'") == "'quoted'"
    assert unescape_formula("'quoted'") == "'quoted'"  # typed by hand: kept as it is
    assert unescape_formula("'") == "'"
    assert unescape_formula("") == ""


@given(VALUES)
@settings(max_examples=200)
def test_csv_rendering_escapes_every_text(values: list[str]) -> None:
    """(a) ``factdb list/show --format csv``: flat and nested fields alike."""
    out = io.StringIO(newline="")
    write_csv([{"text": v, "source": {"title": v}, "n": i} for i, v in enumerate(values)], out)
    rows = _cells(out.getvalue())
    assert rows[0] == ["text", "source_title", "n"]
    assert rows[1:] == [
        [escape_formula(v), escape_formula(v), str(i)] for i, v in enumerate(values)
    ]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=VALUES)
@example(values=["", "'", "=", "\t", "\r", "'=", "плюс", "@@", "-1", "+"])
def test_export_sql_escapes_like_python(target: DatabaseTarget, values: list[str]) -> None:
    """(b) The SQL expression of the flat export and the timeline report, evaluated through
    the driver on each backend, on text and on NULL; on SQLite also its GLOB spelling."""
    rows = " UNION ALL ".join(
        f"SELECT {i} AS i, CAST(:v{i} AS TEXT) AS v" for i in range(len(values))
    )
    params = {f"v{i}": v for i, v in enumerate(values)}
    with db.session_scope(target, write=False) as session:
        r = Reader.of(session)
        for sqlite in {False, not r.postgresql}:
            escaped = escape_formula_sql("x.v", sqlite=sqlite)
            got = r.rows(f"SELECT x.i, {escaped} FROM ({rows}) AS x ORDER BY x.i", params)
            null = r.scalar(f"SELECT {escape_formula_sql('CAST(NULL AS TEXT)', sqlite=sqlite)}")
            assert [text for _, text in got] == [escape_formula(v) for v in values]
            assert null == ""


def _written(report: Report) -> list[list[str]]:
    out = io.StringIO(newline="")
    write_report(cast(Any, None), report, Filters(), out)
    return _cells(out.getvalue())


@given(VALUES)
@settings(max_examples=200, deadline=None)
def test_report_frames_escape_every_text(values: list[str]) -> None:
    """(c) The pandas path of ``factdb report``: a column of text (escaped column-wise), a
    column mixing text and numbers (escaped cell by cell), and names as column headers."""

    def cells(conn: Any, filters: Filters) -> Iterator[list[dict[str, Any]]]:
        yield [{"text": v, "mixed": v if i % 2 else i} for i, v in enumerate(values)]

    rows = _written(Report("cells", cells, ["text", "mixed"]))
    assert rows[0] == ["text", "mixed"]
    assert rows[1:] == [
        [escape_formula(v), escape_formula(v) if i % 2 else str(i)] for i, v in enumerate(values)
    ]

    def headers(conn: Any, filters: Filters) -> Iterator[list[dict[str, Any]]]:
        yield [{"claim_id": 1, **{v: "" for v in values}}]

    names = dict.fromkeys(["claim_id", *values])
    assert _written(Report("headers", headers))[0] == [str(escape_formula(v)) for v in names]
