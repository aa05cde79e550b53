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


def csv_text(lines: list[str], separators: int, fields: Callable[[int], Iterable[object]]) -> str:
    """Lines whose fields were joined with commas (``separators`` between the fields of
    each), CRLF after each, as ``csv.writer(out, lineterminator="\\r\\n").writerows`` writes
    the rows ``fields(i)`` of the lines ``i``. Only the lines that hold more commas than
    separators, a double quote, CR or LF (a field that needs quoting) are written again by
    ``csv.writer``: every other step is a C-level pass over all the lines (count, map, join)."""
    if not lines:
        return ""
    text = "\r\n".join(lines)
    n = len(lines)
    plain = text.count(",") == separators * n and '"' not in text
    plain = plain and text.count("\r") == n - 1 and text.count("\n") == n - 1
    if not plain:
        flags = list(map(ne, map(str.count, lines, repeat(",")), repeat(separators)))
        for special in _SPECIAL:
            flags = list(map(or_, flags, map(str.__contains__, lines, repeat(special))))
        written: list[str] = []
        # The same line terminator: csv.writer quotes a field that holds one of its characters.
        writer = csv.writer(_Appender(written), lineterminator="\r\n")
        quoted = list(compress(range(n), flags))
        writer.writerows(fields(i) for i in quoted)
        for i, line in zip(quoted, written, strict=True):
            lines[i] = line[:-2]
        text = "\r\n".join(lines)
    return text + "\r\n"


class _Appender:
    """A file-like object for ``csv.writer`` that keeps each line it writes."""

    def __init__(self, lines: list[str]) -> None:
        self.write = lines.append
