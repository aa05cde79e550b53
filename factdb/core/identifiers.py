"""External identifiers as a user types them: ``scheme:value`` (``wikidata:Q7747``,
``opensanctions:NK-abc``), a bare Wikidata item ``Q7747``, or the URL of a Wikidata or
OpenSanctions entity (docs/design.md, External identifiers). No database here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from factdb.core.errors import InvalidInput

MAX_VALUE = 1_000
"""The longest value stored (identifiers are short; a longer one is a paste gone wrong)."""

WIKIDATA = "wikidata"
_SCHEME = re.compile(r"[a-z][a-z0-9_.-]*")
_QID = re.compile(r"[Qq][1-9][0-9]*")
_WIKIDATA_URL = re.compile(
    r"https?://(?:www\.|m\.)?wikidata\.org/(?:wiki|entity)/(?:Special:EntityPage/)?"
    r"([Qq][1-9][0-9]*)/?(?:[?#].*)?",
    re.IGNORECASE,
)
_OPENSANCTIONS_URL = re.compile(
    r"https?://(?:www\.)?opensanctions\.org/entities/([A-Za-z0-9_.-]+)/?(?:[?#].*)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, order=True)
class ExternalId:
    """One identifier: ``scheme`` case-folded, ``value`` as stored (a Wikidata item with
    its ``Q`` in upper case)."""

    scheme: str
    value: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}"


def parse_external_id(text: str, field: str = "ID") -> ExternalId:
    """An identifier as a user typed it; ``InvalidInput`` (on ``field``) saying what is wrong
    when it is none. ``Q7747`` means ``wikidata:Q7747``; a Wikidata entity URL
    (``https://www.wikidata.org/wiki/Q7747``) and an OpenSanctions entity URL
    (``https://www.opensanctions.org/entities/NK-abc/``) mean their ids; any other URL is
    refused. The scheme is case-folded and matches ``[a-z][a-z0-9_.-]*``; the value is
    stripped, one line, without ``;``; a Wikidata value is an item, ``Q`` and digits."""
    given = text.strip()
    if not given:
        raise InvalidInput(field, "an external id must not be empty; give SCHEME:VALUE")
    if _QID.fullmatch(given):
        return ExternalId(WIKIDATA, given.upper())
    url = _WIKIDATA_URL.fullmatch(given)
    if url:
        return ExternalId(WIKIDATA, url.group(1).upper())
    url = _OPENSANCTIONS_URL.fullmatch(given)
    if url:
        return ExternalId("opensanctions", url.group(1))
    if re.match(r"(?i)[a-z][a-z0-9+.-]*://", given):
        raise InvalidInput(
            field,
            f"{given!r} is a URL, not an external id; give SCHEME:VALUE "
            "(of URLs, only Wikidata and OpenSanctions entity pages are understood)",
        )
    scheme, colon, value = given.partition(":")
    if not colon:
        raise InvalidInput(
            field, f"{given!r} is no external id; give SCHEME:VALUE (wikidata:Q7747) or a QID"
        )
    scheme, value = scheme.strip().casefold(), value.strip()
    if not _SCHEME.fullmatch(scheme):
        raise InvalidInput(
            field,
            f"{given!r}: the scheme {scheme!r} must be a letter followed by letters, digits, "
            "'_', '.' or '-'",
        )
    if not value:
        raise InvalidInput(field, f"{given!r} has no value after '{scheme}:'")
    if "\n" in value or "\r" in value or "\x00" in value:
        raise InvalidInput(field, f"the value of {scheme}: must be a single line")
    if ";" in value:
        raise InvalidInput(field, f"{given!r} contains ';', which separates ids in CSV")
    if len(value) > MAX_VALUE:
        raise InvalidInput(field, f"the value is {len(value):,} characters; the limit is 1,000")
    if scheme == WIKIDATA:
        if not _QID.fullmatch(value):
            raise InvalidInput(
                field, f"{given!r}: a Wikidata id is an item, Q and digits (wikidata:Q7747)"
            )
        value = value.upper()
    return ExternalId(scheme, value)


def external_id_or_none(text: str) -> ExternalId | None:
    """The identifier ``text`` is, or None if it is none: for a reference that may be a name
    (``actor show 'wikidata:Q7747'``, ``--by Q7747``)."""
    try:
        return parse_external_id(text)
    except InvalidInput:
        return None


def parse_external_ids(texts: list[str], field: str = "ID") -> list[ExternalId]:
    """Several identifiers, each parsed, the same one given twice kept once, in order."""
    seen: dict[ExternalId, None] = {}
    for text in texts:
        seen.setdefault(parse_external_id(text, field), None)
    return list(seen)
