"""The only writer to stdout (and of messages to stderr).

Machine formats (csv, json, jsonl) are exact and stable; tables are for people. Stored text is
never interpreted as rich markup: cells are ``rich.text.Text`` objects, and control characters
and bidirectional overrides are shown escaped in tables (kept exact in machine formats).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from factdb.core.csvsafe import escape_formula
from factdb.core.keys import is_invisible


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


# Control characters (other than TAB/LF), and the invisible ones that could disguise text on a
# terminal or make two names look alike (docs/reliability.md): every format character
# (category Cf: zero-width spaces and joiners, bidirectional controls, the BOM, the soft
# hyphen …) and the other characters that draw nothing (``keys.is_invisible``).
_SUSPECT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]|[^\x00-\x7f]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char.isascii() or char <= "\x9f" or is_invisible(char):
        return f"\\u{ord(char):04x}"
    return char


def safe_text(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.isascii() and text.isprintable():
        return text
    return _SUSPECT.sub(_escape, text)


def cell(value: object, style: str | None = None) -> Text:
    return Text(safe_text(value), style=style or "")


def _stdout_console() -> Console:
    return Console(soft_wrap=False, highlight=False, markup=False, emoji=False)


@contextmanager
def output_file(name: str, field: str, *, newline: str = "") -> Iterator[TextIO]:
    """A file to write data to, under its name only once complete: written to a temporary
    file of factdb's own beside it, renamed at the end, removed on any error or SIGTERM
    (``factdb.core.files``; never a half-written report, never through a link)."""
    from factdb.core.files import text_output

    with text_output(Path(name), field, newline=newline) as handle:
        yield handle


def console_width() -> int:
    return _stdout_console().width


def error(message: str) -> None:
    """One line ``error: …``; a report of several errors (an import) prints as it is."""
    if "\n" in message:
        lines = [safe_text(line) for line in message.splitlines()]
        sys.stderr.write("\n".join(lines) + "\n")
    else:
        sys.stderr.write(f"error: {safe_text(message)}\n")
    sys.stderr.flush()


def note(message: str) -> None:
    """A message for people (hints, counts): stderr, so stdout stays data."""
    sys.stderr.write(f"{safe_text(message)}\n")
    sys.stderr.flush()


def _flat(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join("" if v is None else str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def flatten(record: Mapping[str, Any]) -> dict[str, Any]:
    """One level: nested objects become ``parent_child`` columns, lists ``a; b``."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, Mapping):
            for sub, subvalue in value.items():
                out[f"{key}_{sub}"] = _flat(subvalue)
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            continue  # nested record lists appear only in json/jsonl
        else:
            out[key] = _flat(value)
    return out


def write_csv(records: Sequence[Mapping[str, Any]], out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    rows = [flatten(r) for r in records]
    if not rows:
        return
    writer = csv.DictWriter(
        stream, fieldnames=list(rows[0].keys()), lineterminator="\r\n", extrasaction="ignore"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: escape_formula(v) for k, v in row.items()})


def _json_default(value: object) -> object:
    return str(value)


def emit(
    data: Any,
    fmt: Format,
    table: Callable[[Any], Iterable[Any]] | None = None,
    *,
    csv_records: Callable[[Any], Sequence[Mapping[str, Any]]] | None = None,
) -> None:
    """Print ``data`` (a record or a list of records) in ``fmt``.

    ``table`` turns the data into rich renderables; ``csv_records`` into flat records for CSV
    (by default the data itself, or its single record).
    """
    if fmt is Format.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))
        sys.stdout.write("\n")
    elif fmt is Format.jsonl:
        records = data if isinstance(data, list) else [data]
        for record in records:
            sys.stdout.write(json.dumps(record, ensure_ascii=False, default=_json_default))
            sys.stdout.write("\n")
    elif fmt is Format.csv:
        flat: Sequence[Mapping[str, Any]] = (
            csv_records(data) if csv_records else (data if isinstance(data, list) else [data])
        )
        write_csv(flat)
    else:
        console = _stdout_console()
        if table is None:
            for key, value in data.items() if isinstance(data, Mapping) else []:
                console.print(Text.assemble((f"{key}: ", "bold"), safe_text(_flat(value))))
            return
        for renderable in table(data):
            console.print(renderable)
    sys.stdout.flush()


def records_table(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[tuple[str, str]],
    *,
    title: str | None = None,
    empty: str = "nothing found",
    max_width: dict[str, int] | None = None,
) -> list[Any]:
    """A plain table of records: ``columns`` are (key, header) pairs."""
    if not records:
        return [Text(empty, style="dim")]
    table = Table(title=title, show_lines=False, header_style="bold", expand=True)
    for key, header in columns:
        # Long text (a claim, a URL) takes the room and folds; short columns keep their
        # header readable and never break a date or a stance in two.
        width = (max_width or {}).get(key)
        table.add_column(
            header,
            min_width=min(len(header), 12),
            ratio=1 if width else None,
            overflow="fold",
            justify="right" if key == "id" else "left",
        )
    for record in records:
        table.add_row(*(cell(_flat(record.get(key))) for key, _ in columns))
    return [table]
