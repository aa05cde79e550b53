"""``factdb export``: the flat CSV interchange format and JSON Lines, streamed in chunks.

JSON Lines writes, in this order: every actor (parents first), source and sanction; the
matching claims; the relations between them; their assertions; every rating of an actor and
of those assertions, in the order they were given (docs/design.md, Command line)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from itertools import repeat
from operator import itemgetter
from typing import Any, TextIO

from factdb.core.dates import format_given, stored_date, stored_text
from factdb.interchange.common import (
    BATCH,
    CSV_COLUMNS,
)
from factdb.interchange.csvlines import csv_text
from factdb.queries import (
    Conn,
    Filters,
    FlatChunk,
    export_assertions,
    export_claims,
    export_entities,
    export_flat,
    export_ratings,
    export_relations,
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


_HEAD = itemgetter(*range(9))
"""The fields of a ``FlatChunk`` row before the tags: claim to via."""
_TAIL = itemgetter(10, 11)
"""Those after the sanctions: qualifier and its note."""
_CLAIM = itemgetter(9)
_SEPARATORS = len(CSV_COLUMNS) - 1


def csv_lines(chunk: FlatChunk) -> str:
    """The lines of a chunk of the flat CSV, CRLF after each, byte for byte as
    ``csv.writer(out, lineterminator="\\r\\n").writerows`` writes them
    (tests/test_export_csv.py holds the two together), at a fraction of its time: the
    fields are joined with commas, and only the lines that then hold more commas than
    separators, a double quote, CR or LF (a field that needs quoting) are written by
    ``csv.writer``. Every step is a C-level pass over the chunk (map, join, count): no
    Python per row but for those lines. ``csv.writer`` itself took 24 µs a row on quotes of
    650 characters (docs/performance.md, Export and reports)."""
    rows, tags, violates = chunk.rows, chunk.tags, chunk.violates
    claims = list(map(_CLAIM, rows))
    lines = list(
        map(
            ",".join,
            zip(
                map(",".join, map(_HEAD, rows)),
                map(tags.get, claims, repeat("")),
                map(violates.get, claims, repeat("")),
                map(",".join, map(_TAIL, rows)),
                strict=True,
            ),
        )
    )

    def fields(i: int) -> tuple[object, ...]:
        row, claim = rows[i], claims[i]
        return (*_HEAD(row), tags.get(claim, ""), violates.get(claim, ""), *_TAIL(row))

    return csv_text(lines, _SEPARATORS, fields)


def export_csv(session: Conn, filters: Filters, out: TextIO) -> int:
    """The flat CSV: its header, then the lines of each chunk (``csv_lines``) in one write."""
    out.write(",".join(CSV_COLUMNS) + "\r\n")
    count = 0
    for chunk in export_flat(session, filters, BATCH):
        out.write(csv_lines(chunk))
        count += len(chunk.rows)
    return count


def export_jsonl(session: Conn, filters: Filters, out: TextIO) -> int:
    def emit(record: dict[str, Any]) -> None:
        out.write(json.dumps(record, ensure_ascii=False))
        out.write("\n")

    count = 0
    claims = Filters(**{**filters.__dict__, "limit": None})
    for entity in export_entities(session, claims):
        emit(entity)
        count += 1
    for chunk in export_claims(session, claims, BATCH):
        for _, claim, tags, violates in chunk:
            emit({"type": "claim", "text": claim, "tags": tags, "violates": violates})
            count += 1
    for claim, kind, other in export_relations(session, claims):
        emit({"type": "relation", "claim": claim, "kind": kind, "other": other})
        count += 1
    for r in _assertion_stream(
        session, Filters(**{**filters.__dict__, "limit": None, "include_retracted": True})
    ):
        record: dict[str, Any] = {"type": "assertion", **_assertion_key(r, r["actor"])}
        record.update(
            via=r["via"],
            quote=r["quote"],
            qualifier=r["qualifier"],
            qualifier_note=r["qualifier_note"],
            recorded_at=_ts_text(r["recorded_at"]),
            retracted_at=_ts_text(r["retracted_at"]),
            retraction_reason=r["retraction_reason"],
        )
        emit(record)
        count += 1
    for ratings in export_ratings(session, filters):
        for g in ratings:
            emit(_rating_record(g))
            count += 1
    return count


def _assertion_key(r: dict[str, Any], actor: str) -> dict[str, Any]:
    """The fields of an assertion record that name it (its natural key): claim, actor,
    stance, date as given, and the source by URL, or by outlet, title and date without one.
    A rating record names its assertion with the same fields."""
    key: dict[str, Any] = {
        "claim": r["claim"],
        "actor": actor,
        "stance": r["stance"],
        "date": _given(r["date"], r["date_precision"], r["date_approximate"]),
        "source_url": r["source_url"],
    }
    if r["source_url"] is None:
        key.update(
            outlet=r["outlet"],
            title=r["title"],
            source_published=stored_text(r["published"], r["published_precision"]),
        )
    return key


def _given(value: Any, precision: str, approximate: Any) -> str:
    """An assertion's date as given: ``~`` in front of an approximate one."""
    return format_given(stored_date(value), precision, bool(approximate))


def _rating_record(g: dict[str, Any]) -> dict[str, Any]:
    """A rating as a record: the actor it rates by name, or the assertion by the fields of
    its own record that name it (claim, actor, stance, date, source)."""
    record: dict[str, Any] = {"type": "rating"}
    if g["actor"] is not None:
        record["actor"] = g["actor"]
    else:
        record["assertion"] = _assertion_key(g, g["assertion_actor"])
    record.update(
        grade=g["grade"], by=g["rated_by"], at=_ts_text(g["rated_at"]), reason=g["reason"]
    )
    return record
