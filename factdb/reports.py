"""``factdb report NAME``: CSV reports through pandas, built on the queries of ``list`` and
``show`` (factdb.queries), streamed in chunks so memory stays bounded on large databases.

pandas is imported inside the functions: the CLI must start without it (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from factdb.csvsafe import escape_formula
from factdb.errors import InvalidInput
from factdb.queries import (
    Conn,
    Filters,
    claims_with_rows,
    list_sources,
    matching_claim_ids,
    sides_in,
    summarize,
    timeline_chunks,
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
    return "; ".join(f"{a['actor']} ({a['stance']}, {a['date']})" for a in items)


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


def timeline(session: Conn, filters: Filters) -> Iterator[list[dict[str, Any]]]:
    for chunk in timeline_chunks(session, filters):
        yield [
            {
                "assertion_id": a["id"],
                "date": a["date"],
                "date_precision": a["date_precision"],
                "claim_id": a["claim_id"],
                "claim": a["claim"],
                "actor": a["actor"],
                "actor_kind": a["actor_kind"],
                "side": a["side"],
                "stance": a["stance"],
                "polarity": a["polarity"],
                "via": "; ".join(a["via"]),
                "quote": a["quote"],
                "source_url": a["source"]["url"],
                "outlet": a["source"]["outlet"],
                "source_title": a["source"]["title"],
                "source_published": a["source"]["published"],
                "recorded_at": a["recorded_at"],
                "retracted": a["retracted"],
                "retracted_at": a["retracted_at"],
                "retraction_reason": a["retraction_reason"],
            }
            for a in chunk
        ]


def sources(session: Conn, filters: Filters) -> Iterator[list[dict[str, Any]]]:
    del filters  # sources are listed whole; their counts are over all assertions
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
        for s in list_sources(session)
    ]


REPORTS: dict[str, Callable[[Conn, Filters], Iterator[list[dict[str, Any]]]]] = {
    "side-by-side": side_by_side,
    "matrix": matrix,
    "timeline": timeline,
    "sources": sources,
}


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Escape formula-like text cells; numbers, booleans and dates are left alone."""
    for column in frame.columns:
        if frame[column].dtype == object or str(frame[column].dtype).startswith("str"):
            frame[column] = frame[column].map(escape_formula)
    return frame


def write_report(session: Conn, name: str, filters: Filters, out: TextIO) -> int:
    """Write report ``name`` as CSV to ``out``; returns the number of data rows."""
    import pandas as pd

    build = REPORTS.get(name)
    if build is None:
        raise InvalidInput("NAME", f"{name!r} is not a report; use one of {', '.join(REPORTS)}")
    columns = {
        "side-by-side": SIDE_BY_SIDE_COLUMNS,
        "timeline": TIMELINE_COLUMNS,
        "sources": SOURCES_COLUMNS,
    }.get(name)
    total = 0
    header_written = False
    for records in build(session, filters):
        frame = pd.DataFrame.from_records(records, columns=columns if records or columns else None)
        if not records and header_written:
            continue
        frame.columns = [str(escape_formula(c)) for c in frame.columns]  # side names too
        escape_frame(frame).to_csv(
            out, index=False, header=not header_written, lineterminator="\r\n"
        )
        header_written = True
        total += len(frame)
    if not header_written and columns is not None:
        pd.DataFrame(columns=columns).to_csv(out, index=False, lineterminator="\r\n")
    return total
