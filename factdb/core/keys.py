"""Natural keys and text checks shared by every way data enters (add, import, seed).

Claims match by their normalized text, actors by case-folded name or alias, sources by their
normalized URL (docs/design.md, Domain). ``w3lib`` canonicalizes URLs.

Text folding follows the rules of ``normality`` (OpenSanctions): NFKD, case-folded, combining
marks dropped, punctuation and separators turned into spaces, whitespace collapsed. It is
written out here rather than imported because normality 3 requires PyICU, which has no wheel
and compiles against the system's ICU: too much for a tool that must install on a fresh
machine with only Python.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from factdb.core.errors import InvalidInput

MAX_TEXT = 200_000
"""Longest text accepted in any field (docs/reliability.md)."""

# Query parameters that only track a reader, never identify a page.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mkt_tok",
        "_hsenc",
        "_hsmi",
        "ocid",
        "cmpid",
        "ref_src",
        "smid",
        "sref",
    }
)
# NUL is refused everywhere (clean_text): PostgreSQL cannot store it (and SQLite would).
# Other control characters (ESC …) are kept exactly and shown escaped in tables
# (docs/reliability.md, bad input), so an export imports back unchanged.


_ID = re.compile(r"[0-9]{1,20}")


def parse_id(ref: str) -> int | None:
    """The id a user typed where a name or an id may stand (an actor, a source, a sanction):
    ASCII digits only (``str.isdigit`` also takes ``²``, which ``int`` refuses, and ``١٢``),
    at most 20 of them; None when ``ref`` is not a number. Whether a record can have that
    id is the database's affair (``Reader.holds_id``)."""
    text = ref.strip()
    return int(text) if _ID.fullmatch(text) else None


def clean_text(
    value: str | None, field: str, *, required: bool = True, single_line: bool = False
) -> str | None:
    """Strip surrounding whitespace and refuse what cannot be stored faithfully."""
    if value is None:
        if required:
            raise InvalidInput(field, "is required")
        return None
    text = value.strip()
    if not text:
        if required:
            raise InvalidInput(field, "must not be empty")
        return None
    if "\x00" in text:
        raise InvalidInput(field, "contains a NUL character, which factdb does not store")
    if single_line and ("\n" in text or "\r" in text):
        raise InvalidInput(field, "must be a single line")
    if len(text) > MAX_TEXT:
        raise InvalidInput(field, f"is {len(text):,} characters long; the limit is {MAX_TEXT:,}")
    return text


def require_text(value: str | None, field: str, *, single_line: bool = False) -> str:
    text = clean_text(value, field, required=True, single_line=single_line)
    assert text is not None
    return text


def check_name(name: str | None, field: str, what: str = "names") -> str:
    """The naming rule of every name that a CSV list can hold: actor names, aliases and
    ``via`` intermediaries (``what`` "names"), sanction names (``what`` "sanctions"). One line,
    not empty, within ``MAX_TEXT``, and no ``;``, which separates the names of a list in CSV
    (docs/design.md): a name with one could not come back from an export. Every path into
    the database (CLI, CSV, JSON Lines) calls this one function. Tags have ``tag_key``."""
    text = require_text(name, field, single_line=True)
    if ";" in text:
        raise InvalidInput(field, f"{text!r} contains ';', which separates {what} in CSV")
    return text


# --- invisible characters and look-alikes ---------------------------------------------------

_INVISIBLE_EXTRA = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u3164\uffa0"
    "\ufe00\ufe01\ufe02\ufe03\ufe04\ufe05\ufe06\ufe07"
    "\ufe08\ufe09\ufe0a\ufe0b\ufe0c\ufe0d\ufe0e\ufe0f"
)
"""Invisible characters outside category Cf: the combining grapheme joiner, the Hangul and
Khmer fillers, the Mongolian and standard variation selectors."""


def is_invisible(char: str) -> bool:
    """A format character (category Cf: zero-width spaces and joiners, the word joiner, the
    BOM, bidirectional controls, the soft hyphen …) or another character that draws nothing."""
    return unicodedata.category(char) == "Cf" or char in _INVISIBLE_EXTRA


def strip_invisible(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in text if not is_invisible(c))


# Cyrillic and Greek letters drawn like Latin ones (from Unicode's confusables.txt, UTS #39,
# restricted to the common Latin look-alikes), both cases; NFKC already folds the fullwidth,
# mathematical and compatibility forms. ASCII-only look-alikes (0/O, 1/l, rn/m) are left out:
# they are typos, which the did-you-mean hints catch.
_HOMOGLYPH_PAIRS = (
    # Cyrillic
    "Аa аa Вb Еe еe Ѕs ѕs Іi іi Ії їi Јj јj Кk кk Мm Нh Оo оo Рp рp Сc сc Тt Уy уy Хx хx "
    "Ԁd ԁd Һh һh Ԛq ԛq Ԝw ԝw Ӏl ӏl Ғf ғf Ԍg ԍg Ьb Ϲc ϲc Ԛq"
    # Greek
    " Αa αa Βb βb Εe Ζz Ηh Ιi ιi Κk κk Μm Νn νv Οo οo Ρp ρp Τt Υy υu Χx χx Ϳj ϳj"
    # Latin letters drawn like others
    " ıi ɑa ɡg ǀl ɩi ʏy"
)
_HOMOGLYPHS = {ord(pair[0]): pair[1] for pair in _HOMOGLYPH_PAIRS.split()}


def confusable_skeleton(name: str) -> str:
    """What a name looks like (after UTS #39's skeleton): NFKC, invisible characters dropped,
    Cyrillic and Greek look-alikes mapped to Latin, case-folded, whitespace collapsed. Two
    names with one skeleton look alike on screen; with one ``name_key`` they are one name."""
    text = unicodedata.normalize("NFKC", name)
    if not text.isascii():
        text = strip_invisible(text).translate(_HOMOGLYPHS).casefold().translate(_HOMOGLYPHS)
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


# Unicode categories folded away (None) or to a space, as in normality's defaults.
_CATEGORY_REPLACEMENTS: dict[str, str | None] = {
    "Cc": " ",
    "Cf": None,
    "Cs": None,
    "Co": None,
    "Cn": None,
    "Lm": None,
    "Mn": None,
    "Mc": " ",
    "Me": None,
    "No": None,
    "Zs": " ",
    "Zl": " ",
    "Zp": " ",
    "Pc": " ",
    "Pd": " ",
    "Ps": " ",
    "Pe": " ",
    "Pi": " ",
    "Pf": " ",
    "Po": " ",
    "Sm": " ",
    "Sc": None,
    "Sk": None,
    "So": " ",
}


def _fold(text: str) -> str:
    out = []
    for char in unicodedata.normalize("NFKD", text.casefold()):
        category = unicodedata.category(char)
        if category in _CATEGORY_REPLACEMENTS:
            replacement = _CATEGORY_REPLACEMENTS[category]
            if replacement is not None:
                out.append(replacement)
        else:
            out.append(char)
    return " ".join("".join(out).split())


def _ascii_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(128):
        char = chr(code)
        category = unicodedata.category(char)
        if category in _CATEGORY_REPLACEMENTS:
            table[code] = _CATEGORY_REPLACEMENTS[category]
        elif char != char.casefold():
            table[code] = char.casefold()
    return table


_ASCII_FOLD = _ascii_table()


@lru_cache(maxsize=65_536)
def text_key(text: str) -> str:
    """Fold case, whitespace and punctuation: the identity of a claim's proposition.

    Cached, and with a fast path for ASCII text (the same result as the general fold, since
    NFKD leaves ASCII alone): a million-row import folds each claim's text once."""
    key = " ".join(text.translate(_ASCII_FOLD).split()) if text.isascii() else _fold(text)
    if not key:
        # Text made only of punctuation or symbols: fall back to a case-folded exact form.
        key = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return key


def name_key(name: str) -> str:
    """Actor names and aliases, sanction names, tags: case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def tag_key(tag: str, field: str = "--tag") -> str:
    text = require_text(tag, field, single_line=True)
    key = "-".join(name_key(text).split())
    if ";" in key:
        raise InvalidInput(field, f"{tag!r} contains ';', which separates tags in CSV")
    return key


# URLs with nothing for w3lib to canonicalize (no query, escapes, fragment or odd characters)
# take a fast path with the same result; w3lib costs ~60 µs a URL (docs/performance.md).
# tests/test_url_keys.py holds the two paths to the same keys.
_SIMPLE_URL = re.compile(r"(?i)(https?)://([a-z0-9.-]+)(?::([0-9]{1,5}))?(/[A-Za-z0-9._~/-]*)?")

DEFAULT_PORTS = {"http": 80, "https": 443}
"""A URL's default port is not part of its key: ``http://example.org:80/a`` is
``example.org/a``; any other port is, as a number (``:08080`` is ``:8080``)."""


def normalize_url(url: str, field: str = "--source") -> tuple[str, str]:
    """Return (the URL as given, trimmed; its identity key). Only http and https."""
    text = require_text(url, field, single_line=True)
    return _simple_url(text) or _normalize_url(text, field)


def _simple_url(text: str) -> tuple[str, str] | None:
    """``normalize_url`` without w3lib for a URL that it would leave alone but for case,
    ``www.``, the port and a trailing slash; None for any other URL."""
    simple = _SIMPLE_URL.fullmatch(text)
    if simple is None:
        return None
    scheme, host, port, path = simple.groups()
    host = host.lower()
    if host.startswith("www."):
        host = host[4:]
    if not host or host.startswith(".") or ".." in host or "/." in (path or ""):
        return None
    scheme = scheme.lower()
    if port is not None:
        number = int(port)
        if number > 65535:
            return None  # refused by the general path
        port = "" if number == DEFAULT_PORTS[scheme] else f":{number}"
    key = host + (port or "") + (path or "").rstrip("/")
    return scheme + text[len(scheme) :], key


@lru_cache(maxsize=131_072)
def _normalize_url(text: str, field: str) -> tuple[str, str]:
    from w3lib.url import canonicalize_url

    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:  # a bracketed host that is no IPv6 address, a port not 0-65535
        raise InvalidInput(field, f"{text!r} is not an http(s) URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(field, f"{text!r} is not an http(s) URL")
    text = scheme + text[len(parts.scheme) :]  # stored with a lower-case scheme
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not (k.lower().startswith(_TRACKING_PREFIXES) or k.lower() in _TRACKING_NAMES)
    ]
    # The scheme is part of the key's display only: http and https of one page are one source.
    host = parts.netloc.lower()
    if port == DEFAULT_PORTS[scheme]:
        host = host[: host.rindex(":")]
    if host.startswith("www."):
        host = host[4:]
    path = parts.path.rstrip("/")  # /a/ and /a are one page
    stripped = urlunsplit(("https", host, path, urlencode(query), ""))
    key = canonicalize_url(stripped, keep_fragments=False).removeprefix("https://")
    if key.endswith("/"):
        key = key[:-1]
    return text, key


def source_key_without_url(outlet: str | None, title: str | None, published: str | None) -> str:
    """Key of a source that has no URL: its outlet, title and publication date."""
    return "|".join(
        ["nourl", name_key(outlet or ""), text_key(title or "") if title else "", published or ""]
    )
