"""``factdb report NAME``: CSV reports through pandas, built on the queries of ``list`` and
``show`` (factdb.queries), streamed in chunks so memory stays bounded on large databases.

pandas is imported inside the functions: the CLI must start without it (docs/design.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO, TypeAlias

from factdb.core.csvsafe import escape_formula, escape_formula_series
from factdb.core.dates import APPROXIMATE, stored_text
from factdb.core.errors import InvalidInput
from factdb.core.vocabulary import qualified_stance
from factdb.queries import (
    TIMELINE_COLUMNS as TIMELINE_RAW_COLUMNS,
)
from factdb.queries import (
    Conn,
    Filters,
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


def timeline(session: Conn, filters: Filters) -> Iterator[pd.DataFrame]:
    """Every counted assertion in date order, built column by column (a million rows: no
    Python loop per row or per cell)."""
    import pandas as pd

    from factdb.core.vocabulary import POLARITY

    polarity = {stance.value: value for stance, value in POLARITY.items()}
    for chunk in timeline_chunks(session, filters):
        raw = pd.DataFrame(chunk.rows, columns=TIMELINE_RAW_COLUMNS, dtype=object)
        side = raw["actor_id"].map({k: escape_formula(v[1]) for k, v in chunk.sides.items()})
        if chunk.sides.at:
            dated = raw["assertion_id"].map(
                {k: escape_formula(v[1]) for k, v in chunk.sides.at.items()}
            )
            side = dated.where(dated.notna(), side)
        frame = pd.DataFrame(
            {
                "assertion_id": raw["assertion_id"].astype("int64"),
                "date": _approximate(
                    _partial_dates(raw["date"], raw["date_precision"]), raw["date_approximate"]
                ),
                "date_precision": raw["date_precision"],
                "claim_id": raw["claim_id"].astype("int64"),
                "claim": raw["claim"],
                "actor": raw["actor"],
                "actor_kind": raw["actor_kind"],
                "side": side.where(side.notna(), raw["actor"]),
                "stance": raw["stance"],
                "polarity": raw["stance"].map(polarity),
                "via": raw["assertion_id"]
                .map({k: escape_formula("; ".join(v)) for k, v in chunk.vias.items()})
                .astype(object)
                .fillna(""),
                "quote": raw["quote"],
                "source_url": raw["source_url"],
                "outlet": raw["outlet"],
                "source_title": raw["source_title"],
                "source_published": _partial_dates(raw["published"], raw["published_precision"]),
                "recorded_at": _timestamps(raw["recorded_at"]),
                "retracted": raw["retracted_at"].notna(),
                "retracted_at": _timestamps(raw["retracted_at"]),
                "retraction_reason": raw["retraction_reason"],
                "qualifier": raw["qualifier"],
                "qualifier_note": raw["qualifier_note"],
            },
            columns=TIMELINE_COLUMNS,
        )
        frame.attrs["escaped"] = True  # text escaped by the query, names above
        yield frame


def _partial_dates(dates: pd.Series, precisions: pd.Series) -> pd.Series:
    """Stored dates printed as given (``dates.stored_text``, cached), column-wise."""
    import pandas as pd

    return pd.Series(
        [stored_text(d, p) for d, p in zip(dates, precisions, strict=True)],
        index=dates.index,
        dtype=object,
    )


def _approximate(dates: pd.Series, approximate: pd.Series) -> pd.Series:
    """Dates as given with the approximate mark (``~2022-10``) where it was given."""
    marked = approximate.fillna(False).astype(bool)
    return dates.where(~marked, APPROXIMATE + dates.astype(str))


def _timestamps(values: pd.Series) -> pd.Series:
    """UTC timestamps as ISO 8601 with offset, each distinct value converted once."""
    distinct = {v: timestamp_text(v) for v in values.dropna().unique()}
    return values.map(distinct, na_action="ignore")


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


Records: TypeAlias = "list[dict[str, Any]] | pd.DataFrame"


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
    import pandas as pd

    columns = report.columns
    total = 0
    header_written = False
    for records in report.build(session, filters):
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
    if not header_written and columns is not None:
        pd.DataFrame(columns=columns).to_csv(out, index=False, lineterminator="\r\n")
    return total
