"""``factdb report NAME``: CSV reports through pandas (the timeline as CSV lines without it),
built on the queries of ``list`` and ``show`` (factdb.queries), streamed in chunks so memory
stays bounded on large databases.

pandas is imported inside the functions: the CLI must start without it (docs/design.md).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import compress, repeat
from operator import is_, itemgetter
from typing import TYPE_CHECKING, Any, TextIO, TypeAlias

from factdb.core.csvsafe import escape_formula, escape_formula_series
from factdb.core.errors import InvalidInput
from factdb.core.vocabulary import qualified_stance
from factdb.interchange.csvlines import csv_text
from factdb.queries import (
    TIMELINE_HEAD,
    TIMELINE_TEXT_SQL,
    UNIT_SEPARATOR,
    Conn,
    Filters,
    TimelineChunk,
    claims_with_rows,
    matching_claim_ids,
    sides_in,
    sources_in,
    summarize,
    timeline_chunks,
    timestamp_text,
)

if TYPE_CHECKING:
    import pandas as pd

CLAIM_CHUNK = 2_000

SIDE_BY_SIDE_COLUMNS = [
    "claim_id",
    "claim",
    "contested",
    "reversed",
    "for",
    "neutral",
    "against",
    "for_sides",
    "against_sides",
    "reversed_sides",
    "first_date",
    "last_date",
    "assertions",
    "sources",
]
TIMELINE_COLUMNS = [
    "assertion_id",
    "date",
    "date_precision",
    "claim_id",
    "claim",
    "actor",
    "actor_kind",
    "side",
    "stance",
    "polarity",
    "via",
    "quote",
    "source_url",
    "outlet",
    "source_title",
    "source_published",
    "recorded_at",
    "retracted",
    "retracted_at",
    "retraction_reason",
    "qualifier",
    "qualifier_note",
]
SOURCES_COLUMNS = ["source_id", "url", "outlet", "title", "published", "assertions", "claims"]


def _claim_chunks(
    session: Conn, filters: Filters
) -> Iterator[list[tuple[int, str, list[dict[str, Any]]]]]:
    """(id, text, counted assertion rows) of the matching claims, a chunk at a time."""
    ids = matching_claim_ids(session, filters)
    for start in range(0, len(ids), CLAIM_CHUNK):
        yield claims_with_rows(session, ids[start : start + CLAIM_CHUNK], filters)


def _who(items: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{a['actor']} ({qualified_stance(a['stance'], a['qualifier'], a['qualifier_note'])}, "
        f"{a['date']})"
        for a in items
    )


def side_by_side(session: Conn, filters: Filters) -> Iterator[list[dict[str, Any]]]:
    for chunk in _claim_chunks(session, filters):
        out = []
        for cid, claim, counted in chunk:  # the queries already left out what does not count
            summary = summarize(cid, claim, counted)
            out.append(
                {
                    "claim_id": cid,
                    "claim": claim,
                    "contested": summary["contested"],
                    "reversed": summary["reversed"],
                    "for": _who([a for a in counted if a["polarity"] > 0]),
                    "neutral": _who([a for a in counted if a["polarity"] == 0]),
                    "against": _who([a for a in counted if a["polarity"] < 0]),
                    "for_sides": "; ".join(summary["for"]),
                    "against_sides": "; ".join(summary["against"]),
                    "reversed_sides": "; ".join(summary["reversed_sides"]),
                    "first_date": summary["first_date"],
                    "last_date": summary["last_date"],
                    "assertions": summary["assertions"],
                    "sources": len({a["source"]["id"] for a in counted}),
                }
            )
        yield out


def matrix(session: Conn, filters: Filters) -> Iterator[list[dict[str, Any]]]:
    """Claims × sides: each cell the side's latest stance (as of ``--as-of``)."""
    ordered = sides_in(session, filters)  # every chunk gets the same columns
    for chunk in _claim_chunks(session, filters):
        out = []
        for cid, claim, counted in chunk:
            latest: dict[str, dict[str, Any]] = {}
            for a in counted:
                current = latest.get(a["side"])
                if current is None or (a["date_start"], a["id"]) >= (
                    current["date_start"],
                    current["id"],
                ):
                    latest[a["side"]] = a
            row: dict[str, Any] = {"claim_id": cid, "claim": claim}
            for side in ordered:
                row[side] = latest[side]["stance"] if side in latest else ""
            out.append(row)
        yield out


_ID, _ACTOR_ID, _RECORDED, _RETRACTED, _HEAD, _MID, _TAIL = (
    itemgetter(i) for i in range(TIMELINE_HEAD + 3)
)
"""The fields of a ``TimelineChunk`` row: then its runs of text, assertion_id to actor_kind,
stance to source_published, retraction_reason to qualifier_note."""
_ACTOR = 5
"""Where the actor is in the first run."""
_RETRACTED_FLAG = {"": "False"}
"""The retracted column from the text of retracted_at (``True`` where there is one)."""


@dataclass(frozen=True)
class CsvLines:
    """Rows of a report as CSV lines written already, CRLF after each."""

    text: str
    rows: int


class _Timestamps(dict[Any, str]):
    """{timestamp as stored: its text (``timestamp_text``), empty for none}, each distinct
    value converted once: an import stamps its rows alike."""

    def __missing__(self, value: Any) -> str:
        text = self[value] = "" if value is None else str(timestamp_text(value))
        return text


def timeline(session: Conn, filters: Filters) -> Iterator[CsvLines]:
    """Every counted assertion in date order, as CSV lines: the database writes most columns
    as text (``timeline_chunks``), Python the side and the timestamps, column by column, and
    joins the fields of a chunk with ``str.join`` (``csvlines.csv_text``) as pandas'
    ``to_csv`` wrote them (integers and booleans as Python prints them, empty for none)."""
    columns = len(TIMELINE_COLUMNS)
    for chunk in timeline_chunks(session, filters):
        rows, sides = chunk.rows, chunk.sides
        stamps = _Timestamps()  # per chunk: assertions added one by one each have their own
        head = list(map(_HEAD, rows))
        names = {k: str(escape_formula(v[1])) for k, v in sides.items()}
        side = list(map(names.get, map(_ACTOR_ID, rows)))
        for i in compress(range(len(side)), map(is_, side, repeat(None))):
            side[i] = _apart(chunk, i, 0)[_ACTOR]  # no side: the actor itself
        if sides.at:
            dated = {k: str(escape_formula(v[1])) for k, v in sides.at.items()}
            side = list(map(dated.get, map(_ID, rows), side))
        recorded = list(map(stamps.__getitem__, map(_RECORDED, rows)))
        retracted_at = list(map(stamps.__getitem__, map(_RETRACTED, rows)))
        retracted = list(map(_RETRACTED_FLAG.get, retracted_at, repeat("True")))
        parts = (
            head,
            side,
            map(_MID, rows),
            recorded,
            retracted,
            retracted_at,
            map(_TAIL, rows),
        )
        lines = list(map(UNIT_SEPARATOR.join, zip(*parts, strict=True)))
        fields = partial(_fields, chunk, lines, (side, recorded, retracted, retracted_at), columns)
        yield CsvLines(csv_text(lines, columns - 1, fields, UNIT_SEPARATOR), len(rows))


def _fields(
    chunk: TimelineChunk, lines: list[str], python: tuple[list[Any], ...], columns: int, i: int
) -> list[str]:
    """The fields of line ``i`` of a chunk of the timeline: split at ``UNIT_SEPARATOR``, or,
    where the text holds one, read again (``TimelineChunk.fields``)."""
    fields = lines[i].split(UNIT_SEPARATOR)
    if len(fields) == columns:
        return fields
    side, recorded, retracted, retracted_at = (column[i] for column in python)
    head, mid, tail = (_apart(chunk, i, n) for n in range(3))
    return [*head, side, *mid, recorded, retracted, retracted_at, *tail]


def _apart(chunk: TimelineChunk, i: int, n: int) -> list[str]:
    """The fields of the ``n``-th run of text of row ``i`` of ``chunk``."""
    row = chunk.rows[i]
    fields = str(row[TIMELINE_HEAD + n]).split(UNIT_SEPARATOR)
    if len(fields) == len(TIMELINE_TEXT_SQL[n]):
        return fields
    start = sum(len(run) for run in TIMELINE_TEXT_SQL[:n])
    return chunk.fields(int(row[0]))[start : start + len(TIMELINE_TEXT_SQL[n])]


def sources(session: Conn, filters: Filters) -> Iterator[list[dict[str, Any]]]:
    """The sources of the assertions the timeline report lists under the same filters, with
    how many of them each carries, on how many claims."""
    yield [
        {
            "source_id": s["id"],
            "url": s["url"],
            "outlet": s["outlet"],
            "title": s["title"],
            "published": s["published"],
            "assertions": s["assertions"],
            "claims": s["claims"],
        }
        for s in sources_in(session, filters)
    ]


Records: TypeAlias = "list[dict[str, Any]] | pd.DataFrame | CsvLines"


@dataclass(frozen=True)
class Report:
    """One report of ``factdb report NAME``: its name, what builds its rows (chunk by
    chunk), and its header."""

    name: str
    build: Callable[[Conn, Filters], Iterator[Records]]
    columns: list[str] | None = None
    """The columns, written even when there are no rows; None where they follow the data
    (the matrix has one per side)."""


REPORTS: dict[str, Report] = {
    report.name: report
    for report in (
        Report("side-by-side", side_by_side, SIDE_BY_SIDE_COLUMNS),
        Report("matrix", matrix),
        Report("timeline", timeline, TIMELINE_COLUMNS),
        Report("sources", sources, SOURCES_COLUMNS),
    )
}
"""Every report, by name, in the order ``factdb report --help`` lists them."""


def report_named(name: str) -> Report:
    """The report called ``name``; ``InvalidInput`` naming the reports there are."""
    report = REPORTS.get(name)
    if report is None:
        raise InvalidInput("NAME", f"{name!r} is not a report; use one of {', '.join(REPORTS)}")
    return report


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Escape formula-like text cells, column-wise (``csvsafe.escape_formula_series``)."""
    for column in frame.columns:
        values = frame[column]
        escaped = escape_formula_series(values)
        if escaped is not values:
            frame[column] = escaped
    return frame


def write_report(session: Conn, report: Report, filters: Filters, out: TextIO) -> int:
    """Write ``report`` as CSV to ``out``; returns the number of data rows."""
    columns = report.columns
    total = 0
    header_written = False
    for records in report.build(session, filters):
        if isinstance(records, CsvLines):  # no pandas: it takes a third of a second to import
            if not header_written:
                csv.writer(out, lineterminator="\r\n").writerow(columns or [])
                header_written = True
            out.write(records.text)
            total += records.rows
            continue
        import pandas as pd

        if isinstance(records, pd.DataFrame):
            frame = records
        else:
            frame = pd.DataFrame.from_records(
                records, columns=columns if records or columns else None
            )
        if frame.empty and header_written:
            continue
        if not frame.attrs.get("escaped"):
            frame = escape_frame(frame)
        frame.columns = [str(escape_formula(c)) for c in frame.columns]  # side names too
        frame.to_csv(out, index=False, header=not header_written, lineterminator="\r\n")
        header_written = True
        total += len(frame)
    if not header_written and columns is not None:  # as pandas writes the header of no rows
        csv.writer(out, lineterminator="\r\n").writerow(columns)
    return total
