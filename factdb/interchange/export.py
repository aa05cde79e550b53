"""``factdb export``: the flat CSV interchange format and JSON Lines, streamed in chunks."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, TextIO

from factdb.core.dates import stored_text
from factdb.interchange.common import (
    BATCH,
    CSV_COLUMNS,
)
from factdb.queries import (
    Conn,
    Filters,
    export_assertions,
    export_claims,
    export_entities,
    export_flat,
)


def _ts_text(value: Any) -> str | None:
    if value is None:
        return None
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat()


def _assertion_stream(session: Conn, filters: Filters) -> Iterator[dict[str, Any]]:
    """Assertions of the matching claims in id order, every name resolved, in chunks."""
    for chunk in export_assertions(session, filters, BATCH):
        yield from chunk


def export_csv(session: Conn, filters: Filters, out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for chunk in export_flat(session, filters, BATCH):
        writer.writerows(chunk)
        count += len(chunk)
    return count


def export_jsonl(session: Conn, filters: Filters, out: TextIO) -> int:
    def emit(record: dict[str, Any]) -> None:
        out.write(json.dumps(record, ensure_ascii=False))
        out.write("\n")

    count = 0
    for entity in export_entities(session):
        emit(entity)
        count += 1
    for chunk in export_claims(session, Filters(**{**filters.__dict__, "limit": None}), BATCH):
        for _, claim, tags, violates in chunk:
            emit({"type": "claim", "text": claim, "tags": tags, "violates": violates})
            count += 1
    for r in _assertion_stream(
        session, Filters(**{**filters.__dict__, "limit": None, "include_retracted": True})
    ):
        record: dict[str, Any] = {
            "type": "assertion",
            "claim": r["claim"],
            "actor": r["actor"],
            "stance": r["stance"],
            "date": stored_text(r["date"], r["date_precision"]),
            "source_url": r["source_url"],
        }
        if r["source_url"] is None:
            record.update(
                outlet=r["outlet"],
                title=r["title"],
                source_published=stored_text(r["published"], r["published_precision"]),
            )
        record.update(
            via=r["via"],
            quote=r["quote"],
            recorded_at=_ts_text(r["recorded_at"]),
            retracted_at=_ts_text(r["retracted_at"]),
            retraction_reason=r["retraction_reason"],
        )
        emit(record)
        count += 1
    return count
