"""The only writer to stdout (and of messages to stderr).

Machine formats (csv, json, jsonl) are exact and stable; tables are for people. Stored text is
never interpreted as rich markup: cells are ``rich.text.Text`` objects (or ``Line``s, which
become them), and control characters and bidirectional overrides are shown escaped in tables
(kept exact in machine formats).

rich is imported only when something is drawn with it: output made of ``Line``s only (what
the write commands print) goes into a pipe or a file as plain lines, the same characters rich
writes there, without the import (about 50 ms of a whole ``factdb add``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from factdb.core.csvsafe import escape_formula
from factdb.core.keys import is_invisible

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.measure import Measurement
    from rich.text import Text


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


class Line:
    """One line of text for people, in parts each with a rich style ("bold", "dim" …): drawn
    by rich on a terminal (styled, folded to its width) and wherever rich draws the rest of
    the output; written as it is into a pipe or a file (``plain_output``). The text is shown
    as given: escape stored text with ``safe_text`` first."""

    __slots__ = ("parts",)

    def __init__(self, text: str = "", style: str = "") -> None:
        self.parts: tuple[tuple[str, str], ...] = ((text, style),)

    @classmethod
    def assemble(cls, *parts: tuple[str, str] | str) -> Line:
        line = cls()
        line.parts = tuple((p, "") if isinstance(p, str) else p for p in parts)
        return line

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.parts)

    def __rich__(self) -> Text:
        """One part: its style is the line's own (a table cell's padding takes it too, as
        ``Text(text, style=…)``); several: a span each, as ``Text.assemble``."""
        from rich.text import Text

        if len(self.parts) == 1:
            text, style = self.parts[0]
            return Text(text, style=style)
        return Text.assemble(*self.parts)

    def __repr__(self) -> str:
        return f"Line({self.plain!r})"


def cell(value: object, style: str | None = None) -> Text:
    from rich.text import Text

    return Text(safe_text(value), style=style or "")


def plain_output(stream: TextIO | None = None) -> bool:
    """Whether rich would write to ``stream`` (stdout) as to a file, not a terminal: no
    styles, no folding. The same test as rich's ``Console.is_terminal``, its environment
    variables included (``TTY_COMPATIBLE``, ``FORCE_COLOR``)."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "0"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:
        return force == ""
    isatty = getattr(stream or sys.stdout, "isatty", None)
    try:
        return isatty is None or not isatty()
    except ValueError:
        return True


_RICH_REWRITES = re.compile("[\t\x07\x08\x0b\x0c\r]")
"""What rich changes in a text it draws: a tab, expanded by cell width, and the control codes
its ``Text`` strips (``rich.control.STRIP_CONTROL_CODES``)."""


def _plain_lines(renderables: Sequence[Any]) -> str | None:
    """The text rich would write to a file for these renderables, when they are all ``Line``s
    holding nothing rich would rewrite (``_RICH_REWRITES``); None otherwise."""
    texts = []
    for renderable in renderables:
        if type(renderable) is not Line:
            return None
        text = renderable.plain
        if _RICH_REWRITES.search(text):
            return None
        texts.append(text + "\n")
    return "".join(texts)


def _stdout_console() -> Console:
    """Tables fit the width (a terminal's, else 80 columns or $COLUMNS). A line of text is
    folded to a terminal's width, but never into a pipe or a file: there a message stays
    one line, whatever its length, for whoever reads it line by line."""
    from rich.console import Console

    console = Console(soft_wrap=False, highlight=False, markup=False, emoji=False)
    console.soft_wrap = not console.is_terminal
    return console


def _drawn(data: Any, table: Callable[[Any], Iterable[Any]] | None) -> tuple[list[Any], str | None]:
    """What ``table`` makes of ``data`` (a record without one: a ``key: value`` line per
    field), and the plain text to write instead when rich would not style it
    (``plain_output``, ``_plain_lines``); None when rich must draw it."""
    if table is None:
        items = data.items() if isinstance(data, Mapping) else []
        renderables: list[Any] = [
            Line.assemble((f"{key}: ", "bold"), safe_text(_flat(value))) for key, value in items
        ]
    else:
        renderables = list(table(data))
    return renderables, _plain_lines(renderables) if plain_output() else None


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


def _no_check() -> None:
    return None


def write_csv(
    records: Sequence[Mapping[str, Any]],
    out: TextIO | None = None,
    *,
    columns: Sequence[str] | None = None,
    check: Callable[[], None] = _no_check,
) -> None:
    """``check`` is called before each row (a deadline: whatever it raises stops the output).
    The header is the keys of the first (flattened) record; with no records, ``columns``: CSV
    always carries its header, so that an empty result reads as a table with no rows."""
    stream = out or sys.stdout
    rows = [flatten(r) for r in records]
    fieldnames = list(rows[0].keys()) if rows else list(columns or ())
    if not fieldnames:
        return
    writer = csv.DictWriter(
        stream, fieldnames=fieldnames, lineterminator="\r\n", extrasaction="ignore"
    )
    writer.writeheader()
    for row in rows:
        check()
        writer.writerow({k: escape_formula(v) for k, v in row.items()})


def _json_default(value: object) -> object:
    return str(value)


def emit(
    data: Any,
    fmt: Format,
    table: Callable[[Any], Iterable[Any]] | None = None,
    *,
    csv_records: Callable[[Any], Sequence[Mapping[str, Any]]] | None = None,
    csv_columns: Sequence[str] | None = None,
    check: Callable[[], None] | None = None,
) -> None:
    """Print ``data`` (a record or a list of records) in ``fmt``.

    ``table`` turns the data into rich renderables; ``csv_records`` into flat records for CSV
    (by default the data itself, or its single record). ``csv_columns`` is the CSV header
    when there are no records: the columns the records have when there are some.

    With ``check`` (a deadline), the output is made in full before any of it is written,
    calling ``check`` between records (and, in tables, cells: see ``records_table``); when it
    raises, nothing is written.
    """
    if check is not None:
        sys.stdout.write(_render_checked(data, fmt, table, csv_records, csv_columns, check))
        sys.stdout.flush()
        return
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
        write_csv(flat, columns=csv_columns)
    else:
        renderables, plain = _drawn(data, table)
        if plain is not None:
            sys.stdout.write(plain)
        else:
            console = _stdout_console()
            for renderable in renderables:
                console.print(renderable)
    sys.stdout.flush()


def emit_text(text: str) -> None:
    """Print a document made elsewhere (an HTML page) as it is."""
    sys.stdout.write(text)
    sys.stdout.flush()


def _render_checked(
    data: Any,
    fmt: Format,
    table: Callable[[Any], Iterable[Any]] | None,
    csv_records: Callable[[Any], Sequence[Mapping[str, Any]]] | None,
    csv_columns: Sequence[str] | None,
    check: Callable[[], None],
) -> str:
    """What ``emit`` prints, as one string, calling ``check`` along the way."""
    records = data if isinstance(data, list) else [data]
    if fmt is Format.json:
        if not isinstance(data, list):
            return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n"
        parts = []
        for record in records:  # the same text as json.dumps(data, indent=2), a record at a time
            check()
            dumped = json.dumps(record, ensure_ascii=False, indent=2, default=_json_default)
            parts.append(dumped.replace("\n", "\n  "))
        return ("[\n  " + ",\n  ".join(parts) + "\n]" if parts else "[]") + "\n"
    if fmt is Format.jsonl:
        lines = []
        for record in records:
            check()
            lines.append(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")
        return "".join(lines)
    if fmt is Format.csv:
        out = io.StringIO(newline="")
        write_csv(
            csv_records(data) if csv_records else records,
            out,
            columns=csv_columns,
            check=check,
        )
        return out.getvalue()
    renderables, plain = _drawn(data, table)
    if plain is not None:
        return plain
    console = _stdout_console()
    with console.capture() as captured:  # rendered in full first: a timeout prints nothing
        for renderable in renderables:
            check()
            console.print(renderable)
    return captured.get()


class _Checked:
    """A table cell that calls ``check`` before rich measures or draws it."""

    __slots__ = ("check", "inner")

    def __init__(self, inner: Text, check: Callable[[], None]) -> None:
        self.inner = inner
        self.check = check

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.measure import Measurement

        self.check()
        return Measurement.get(console, options, self.inner)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self.check()
        yield self.inner


def _shortened(value: object, limit: int | None) -> object:
    if limit is None or not isinstance(value, str) or len(value) <= limit:
        return value
    return f"{value[:limit]}… [{len(value) - limit} more characters; -f csv or json shows all]"


WORD_CAP = 24
"""A column is never narrower than its longest word, up to this many characters (a longer
word folds: the last resort)."""
URL_MIN = 24
"""A column of URLs gets at least this many characters; a longer URL is shortened with an
ellipsis in a table (never folded into pieces), shown whole in a record and in csv/json."""
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)


def longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


def longest_url(values: Iterable[str]) -> int:
    """The length of the longest URL among the words of ``values`` (0 if none)."""
    return max(
        (len(word) for value in values for word in value.split() if _URL.match(word)), default=0
    )


def is_url_column(values: Iterable[str]) -> bool:
    """Whether every non-empty value is a URL (and there is one)."""
    present = [v for v in values if v]
    return bool(present) and all(_URL.match(v) for v in present)


def column_floor(header: str, values: Sequence[str]) -> int:
    """How narrow a column may be without cutting a word: its longest word (at most
    ``WORD_CAP``), header included; ``URL_MIN`` for URLs."""
    if is_url_column(values):
        return max(longest_word(header), URL_MIN)
    return max(longest_word(header), min(WORD_CAP, max(map(longest_word, values), default=0)))


def table_fits(floors: Sequence[int], width: int | None = None) -> bool:
    """Whether columns of these smallest widths fit the console in a boxed table (a padding
    of one each side and a rule between columns)."""
    room = console_width() if width is None else width
    return sum(floors) + 3 * len(floors) + 1 <= room


def record_blocks(
    rows: Sequence[Sequence[tuple[str, str]]],
    *,
    title: str | None = None,
    check: Callable[[], None] | None = None,
) -> list[Any]:
    """The record layout, for a terminal too narrow for a table's columns: one block of
    ``HEADER: value`` lines per record, blank lines between. A URL stays one piece (never
    folded; the terminal wraps it where it must); other text wraps on words."""
    from rich.text import Text

    out: list[Any] = [Text(title, style="bold")] if title else []
    for index, row in enumerate(rows):
        if check is not None:
            check()
        if index:
            out.append(Text(""))
        for header, value in row:
            line = Text.assemble((f"{header}:", "bold"), f" {value}" if value else "")
            if _URL.match(value):
                line.no_wrap, line.overflow = True, "ignore"
            out.append(line)
    return out


def records_table(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[tuple[str, str]],
    *,
    title: str | None = None,
    empty: str = "nothing found",
    max_width: dict[str, int] | None = None,
    check: Callable[[], None] | None = None,
    max_cell: int | None = None,
) -> list[Any]:
    """A plain table of records: ``columns`` are (key, header) pairs.

    ``max_width`` names the columns that share the room left over, in those proportions
    (the others keep their natural width). Words wrap whole: no column is narrower than its
    longest word (``column_floor``); a column of URLs shortens them with an ellipsis rather
    than fold them. When the columns cannot fit so, the records print as blocks of
    ``HEADER: value`` lines (``record_blocks``). ``check`` is called before each cell is
    measured or drawn (a deadline); ``max_cell`` shortens longer text to that many
    characters, which bounds the work between two checks (rich takes about a second per
    million characters of one cell).
    """
    if not records:
        return [Line(empty, style="dim")]
    from rich.table import Table
    from rich.text import Text

    texts: list[list[str]] = []
    for record in records:
        if check is not None:
            check()
        texts.append(
            [safe_text(_shortened(_flat(record.get(key)), max_cell)) for key, _ in columns]
        )
    by_column = [[row[i] for row in texts] for i in range(len(columns))]
    floors = [column_floor(header, by_column[i]) for i, (_, header) in enumerate(columns)]
    if not table_fits(floors):
        return record_blocks(
            [[(header, row[i]) for i, (_, header) in enumerate(columns)] for row in texts],
            title=title,
            check=check,
        )
    table = Table(title=title, show_lines=False, header_style="bold", expand=True)
    urls = [i for i in range(len(columns)) if is_url_column(by_column[i])]
    room = console_width() - (sum(floors) + 3 * len(floors) + 1)  # beyond the floors
    cut = any(max(map(len, by_column[i])) > floors[i] + room for i in urls)
    for i, (key, header) in enumerate(columns):
        # Long text (a claim) takes the room and wraps on words; a URL is cut short with an
        # ellipsis, never folded into pieces; short columns keep their words whole.
        url = i in urls
        width = (max_width or {}).get(key)
        table.add_column(
            header,
            min_width=floors[i],
            ratio=width or None,
            overflow="ellipsis" if url else "fold",
            justify="right" if key == "id" else "left",
        )
    for row in texts:
        if check is not None:
            check()
        cells = [Text(value) for value in row]
        table.add_row(*(cells if check is None else [_Checked(c, check) for c in cells]))
    if cut:
        return [
            table,
            Line("URLs cut short with …: -f csv or -f json shows them whole", style="dim"),
        ]
    return [table]


def _changed_value(value: Any) -> str:
    if value is None or value == []:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(safe_text(v) for v in value)
    return safe_text(value)


def correction_lines(data: Mapping[str, Any]) -> list[Any]:
    """A correction (``domain.changes.Correction`` as data) for people: what changed, each
    field as ``old → new``."""
    head = f"{data['record']} {data['id']}"
    if data["action"] == "unchanged":
        return [Line(f"{head}: nothing changed")]
    lines: list[Any] = [Line(f"{head} {data['action']}", style="bold")]
    for change in data["changes"]:
        lines.append(
            Line(
                f"  {change['field']}: {_changed_value(change['old'])} → "
                f"{_changed_value(change['new'])}"
            )
        )
    return lines


CORRECTION_COLUMNS = ("record", "id", "action", "field", "old", "new")


def emit_correction(data: Mapping[str, Any], fmt: Format) -> None:
    """Print a correction in ``fmt`` (CSV: a row per changed field), its notes on stderr."""
    for message in data["notes"]:
        note(message)
    emit(
        data,
        fmt,
        correction_lines,
        csv_columns=CORRECTION_COLUMNS,
        csv_records=lambda d: [
            {"record": d["record"], "id": d["id"], "action": d["action"], **change}
            for change in d["changes"]
        ],
    )
