"""CSV lines joined with ``str.join``, byte for byte as ``csv.writer`` writes them
(QUOTE_MINIMAL, CRLF): the flat export and the timeline report, a million rows without
Python per row or per cell (docs/performance.md, Export and reports)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from itertools import compress, repeat
from operator import ne, or_

_SPECIAL = ('"', "\r", "\n")
"""With the delimiter, what makes ``csv.writer`` quote a field (QUOTE_MINIMAL, the
line terminator CRLF)."""


def csv_text(
    lines: list[str],
    separators: int,
    fields: Callable[[int], Iterable[object]],
    separator: str = ",",
) -> str:
    """Lines whose fields were joined with ``separator`` (``separators`` between the fields
    of each), CRLF after each, as ``csv.writer(out, lineterminator="\\r\\n").writerows``
    writes the rows ``fields(i)`` of the lines ``i``: commas between the fields. Only the
    lines that hold another number of separators, a comma that is not one, a double quote, CR
    or LF (a field that needs quoting) are written again by ``csv.writer``: every other step
    is a C-level pass over all the lines (count, map, join, replace)."""
    if not lines:
        return ""
    text = "\r\n".join(lines)
    n = len(lines)
    special = _SPECIAL if separator == "," else (*_SPECIAL, ",")
    plain = text.count(separator) == separators * n
    plain = plain and not any(c in text for c in special if c not in "\r\n")
    plain = plain and text.count("\r") == n - 1 and text.count("\n") == n - 1
    if plain:
        return (text if separator == "," else text.replace(separator, ",")) + "\r\n"
    flags = list(map(ne, map(str.count, lines, repeat(separator)), repeat(separators)))
    for c in special:
        flags = list(map(or_, flags, map(str.__contains__, lines, repeat(c))))
    written: list[str] = []
    # The same line terminator: csv.writer quotes a field that holds one of its characters.
    writer = csv.writer(_Appender(written), lineterminator="\r\n")
    quoted = list(compress(range(n), flags))
    writer.writerows(fields(i) for i in quoted)
    if separator != ",":
        lines = list(map(str.replace, lines, repeat(separator), repeat(",")))
    for i, line in zip(quoted, written, strict=True):
        lines[i] = line[:-2]
    return "\r\n".join(lines) + "\r\n"


class _Appender:
    """A file-like object for ``csv.writer`` that keeps each line it writes."""

    def __init__(self, lines: list[str]) -> None:
        self.write = lines.append
