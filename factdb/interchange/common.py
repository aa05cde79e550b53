"""What both import formats share: the CSV columns, the error list with file and line, the
result counts, and the decoding of input bytes."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factdb.core.dates import APPROXIMATE, PartialDate
from factdb.core.errors import FactdbError, InvalidInput
from factdb.core.values import parse_date
from factdb.core.vocabulary import Stance

CSV_COLUMNS = [
    "claim",
    "actor",
    "stance",
    "date",
    "source_url",
    "outlet",
    "title",
    "quote",
    "via",
    "tags",
    "violates",
    "qualifier",
    "qualifier_note",
]
"""The columns of the flat CSV format, in the order an export writes them. The last two came
with qualified stances (docs/design.md, Command line): a file without them reads as before."""
REQUIRED_COLUMNS = ("claim", "actor", "stance", "date", "source_url")
TYPES = ("actor", "source", "sanction", "claim", "assertion")
"""The kinds of records every import counts, in the order its summary lists them."""
RECORD_TYPES = (*TYPES, "relation", "rating")
"""The record types of JSON Lines: ``relation`` and ``rating`` are counted (after the others)
only by an import whose file holds some."""
MAX_ERRORS = 20
BATCH = 5_000


class ImportErrors(FactdbError):
    """Every problem found in a file; nothing was written."""

    def __init__(self, errors: list[InvalidInput], total: int) -> None:
        super().__init__(errors, total)
        self.errors = errors
        self.total = total

    def __str__(self) -> str:
        lines = [str(e) for e in self.errors]
        if self.total > len(self.errors):
            lines.append(f"… and {self.total - len(self.errors)} more")
        noun = "error" if self.total == 1 else "errors"
        lines.append(f"{self.total} {noun}; nothing was imported")
        return "\n".join(lines)


@dataclass
class ImportResult:
    new: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    existing: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    duplicates: int = 0
    rows: int = 0
    new_actors: list[str] = field(default_factory=list)
    """The names of the actors the import created, in order."""
    meant: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """For a dry run: each new actor's name -> the known names it may have meant
    (``domain.actors.meant_names``), when there are any."""
    notes: list[str] = field(default_factory=list)
    """What the import did that its counts do not say (an actor record found by its
    external id under another name), one line each."""

    def count(self, kind: str, created: bool, n: int = 1) -> None:
        if kind not in self.new:  # relation, rating: listed once a file holds one
            self.new[kind] = self.existing[kind] = 0
        (self.new if created else self.existing)[kind] += n

    def add(self, other: ImportResult) -> None:
        """Add the counts of ``other`` to these."""
        for kind in other.new:
            self.count(kind, True, other.new[kind])
            self.count(kind, False, other.existing[kind])
        self.notes.extend(other.notes)


@dataclass
class Row:
    """One assertion, parsed and validated, not yet resolved against the database."""

    line: int
    claim: str
    actor: str
    stance: Stance
    date: PartialDate | None
    source_url: str | None
    source_key: str
    outlet: str | None = None
    title: str | None = None
    published: PartialDate | None = None
    quote: str | None = None
    via: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    violates: list[str] = field(default_factory=list)
    recorded_at: dt.datetime | None = None
    retracted_at: dt.datetime | None = None
    retraction_reason: str | None = None
    date_approximate: bool = False
    """The date was given as approximate (``~2022-10``)."""
    qualifier: str | None = None
    qualifier_note: str | None = None


def stance_date(value: str, field: str = "date") -> tuple[PartialDate, bool]:
    """An assertion's date in a file, exactly as written (no space anywhere, as every date of a
    file): ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, with ``~`` in front for an approximate one
    (``~2022-10``, as ``dates.format_given`` prints it). The date and whether it is approximate."""
    if value[:1] != APPROXIMATE:
        return parse_date(value, field), False
    try:
        return parse_date(value[1:], field), True
    except InvalidInput:
        raise InvalidInput(
            field,
            f"{value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD, with ~ in front for an "
            "approximate one",
        ) from None


def unknown_actor(name: str, meant: list[tuple[str, str]]) -> str:
    """Why an import with ``--known-actors-only`` refuses a name no actor answers to."""
    from factdb.core.hints import describe_suggestions

    hint = f"; did you mean {describe_suggestions(meant)}?" if meant else ""
    return f"'{name}' is no known actor or alias (--known-actors-only){hint}"


class FileErrors:
    """The errors found in one file, each located (``FILE:LINE:COLUMN``): all are counted,
    the first ``MAX_ERRORS`` kept; ``raise_if_any`` raises them together as ``ImportErrors``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[InvalidInput] = []
        self.total = 0

    def add(self, exc: InvalidInput, line: int | None, column: int | None = None) -> None:
        self.total += 1
        if len(self.items) < MAX_ERRORS:
            if exc.path is None:
                exc.path = self.path
            if exc.line is None:
                exc.line = line
            if exc.column is None:
                exc.column = column
            self.items.append(exc)

    def raise_if_any(self) -> None:
        if self.total:
            raise ImportErrors(self.items, self.total)


# --- reading -------------------------------------------------------------------------------


def json_lines(lines: Iterable[str], errors: FileErrors) -> Iterator[tuple[int, str, Any]]:
    """(line number, line, decoded value) of each non-blank line of a JSON Lines file; a line
    that is no JSON (or nested too deeply to read) goes to ``errors`` and is skipped."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            yield number, raw, json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.add(InvalidInput("json", exc.msg), number, exc.colno)
        except RecursionError:
            errors.add(InvalidInput("json", "nested too deeply"), number)


def decode(data: bytes, path: str) -> str:
    """UTF-8 with or without BOM; anything else is an error naming the line."""
    refuse_utf16(data[:2], path)
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        column = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        raise encoding_error(None, path, line, column)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise encoding_error(data[exc.start : exc.start + 1], path, line, column) from None


def refuse_utf16(head: bytes, path: str) -> None:
    """A file that starts with a UTF-16 byte-order mark is refused at its first line."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ImportErrors(
            [InvalidInput("encoding", "the file is UTF-16; save it as UTF-8", path, 1)], 1
        )


def encoding_error(byte: bytes | None, path: str, line: int, column: int) -> ImportErrors:
    """The one error for a file that is not UTF-8 text: a NUL byte (``byte`` None) or a byte
    that is not UTF-8, located by line and column."""
    reason = (
        "contains a NUL byte (a binary file?)"
        if byte is None
        else f"byte 0x{byte.hex()} is not UTF-8; save the file as UTF-8"
    )
    return ImportErrors([InvalidInput("encoding", reason, path, line, column)], 1)


BLOCK = 1 << 20
"""Bytes read at a time by the fast line reader."""


def _checked(raws: Iterable[bytes], start: int, label: str) -> Iterator[str]:
    """Lines of bytes decoded one by one, numbered from ``start``; a NUL byte or a byte that
    is not UTF-8 is an error naming its line and column."""
    for number, raw in enumerate(raws, start=start):
        nul = raw.find(b"\x00")
        if nul >= 0:
            raise encoding_error(None, label, number, nul + 1)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise encoding_error(
                raw[exc.start : exc.start + 1], label, number, exc.start + 1
            ) from None


def _blocks(path: Path, label: str) -> Iterator[Iterable[str]]:
    """The lines of the file (split on LF only, the BOM dropped, UTF-16, NUL bytes and bad
    UTF-8 refused with their line), a megabyte of whole lines at a time: the checks and the
    decoding run in C over the block instead of once a line in Python. A block with a problem
    goes through ``_checked`` line by line, which names the line."""
    number = 1
    tail = b""
    with path.open("rb") as handle:
        block = handle.read(BLOCK)
        refuse_utf16(block, label)
        if block.startswith(b"\xef\xbb\xbf"):
            block = block[3:]
        while block:
            data = tail + block
            cut = data.rfind(b"\n") + 1
            tail = data[cut:]
            if cut:
                whole = data[:cut]
                count = whole.count(b"\n")
                # A character never spans a line break, so whole lines decode on their own.
                try:
                    if b"\x00" in whole:
                        raise ValueError
                    decoded = whole.decode("utf-8")
                except ValueError:
                    yield _checked(io.BytesIO(whole), number, label)
                else:
                    # newline="\n": split on LF only and keep it, as iterating bytes does.
                    yield io.StringIO(decoded, newline="\n")
                number += count
            block = handle.read(BLOCK)
    if tail:
        yield _checked((tail,), number, label)


def text_lines(path: Path, label: str) -> Iterator[str]:
    """The lines of a UTF-8 text file as ``_blocks`` reads them, each with its LF: split on LF
    only (a U+2028 or a lone CR inside a JSON string or a quoted CSV field is text, not a
    line break)."""
    return itertools.chain.from_iterable(_blocks(path, label))
