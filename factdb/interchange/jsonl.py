"""JSON Lines import: every record validated before the first write, then written in the
caller's single transaction. JSON Lines carries everything, one record a line with a ``type``:
``actor`` (name, kind, part_of, aliases, ids), ``source`` (url, outlet, title, published,
updated, outlet_actor), ``sanction`` (name, authority, authority_actor, programme, adopted,
targets, responds_to, measures, url, ids; an older file's single ``target`` still reads),
``claim`` (text, tags, violates), ``relation`` (claim, kind, other), ``assertion`` (claim,
actor, stance, date, source_url, outlet, title, source_published, via, quote, qualifier,
qualifier_note, recorded_at, retracted_at, retraction_reason) and ``rating`` (actor or
assertion, grade, by, at, reason); docs/design.md, Command line. It is idempotent on natural
keys: records already present are counted, not written again. Actor, sanction and existing
source records go through the domain functions; the names that claims and assertions give are
resolved as the CSV's are (``interchange.resolve.Keys``). A source's outlet names an actor,
found by name or alias or created of kind ``media``, as any actor name of the file.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlmodel import Session

from factdb.core.dates import PartialDate
from factdb.core.errors import Conflict, FactdbError, InvalidInput
from factdb.core.hints import CloseNames, LookAlikes
from factdb.core.identifiers import ExternalId, parse_external_ids
from factdb.core.keys import (
    check_name,
    clean_text,
    name_key,
    normalize_url,
    require_text,
    source_key_without_url,
    tag_key,
    text_key,
)
from factdb.core.values import (
    parse_credibility,
    parse_date,
    parse_kind,
    parse_optional_date,
    parse_qualifier,
    parse_reliability,
    parse_stance,
)
from factdb.core.vocabulary import DIRECTED_RELATIONS, RELATION_KINDS
from factdb.domain import actors as actors_mod
from factdb.domain import records
from factdb.domain.identifiers import attach_actor_id, attach_sanction_id
from factdb.domain.records import get_or_create_source, taken_message
from factdb.domain.sanctions import add_sanction, find_sanction
from factdb.interchange.common import (
    BATCH,
    RECORD_TYPES,
    FileErrors,
    ImportErrors,
    ImportResult,
    Row,
    json_lines,
    stance_date,
    unknown_actor,
)
from factdb.interchange.resolve import (
    ASSERTION_COLUMNS,
    KEEP,
    QUALIFIED_COLUMNS,
    IdsMet,
    Keys,
    SourceFields,
    ids_by_key,
)
from factdb.queries import actor_by_name, external_id_owner
from factdb.storage import bulk, sqliteload
from factdb.storage.models import (
    ActorKind,
    Assertion,
    ClaimRelation,
    Rating,
    Sanction,
    SanctionResponse,
    SanctionTarget,
    Source,
    Stance,
    table_of,
    utcnow,
)

KEEP_OUTLET = object()
"""A source record without ``outlet_actor``: its outlet's actor is the one its name names."""


@dataclass
class Relation:
    """A ``relation`` record: claim ``claim`` (text) is ``kind`` claim ``other``."""

    line: int
    claim: str
    kind: str
    other: str


@dataclass
class RatingRecord:
    """A ``rating`` record: a grade (None withdraws) of an actor (by name) or an assertion
    (by its natural key, as an assertion record gives it)."""

    line: int
    actor: str | None
    assertion: Row | None
    grade: str | None
    by: str
    at: dt.datetime | None
    reason: str | None


@dataclass
class Parsed:
    """A JSON Lines file, validated (``parse_jsonl``): the records of the types that are few
    (actors, sanctions, relations, ratings) with their line numbers, and the type of every
    line, one byte each (``KIND_CODES``), so that the sources, claims and assertions, as many
    as the file is long, are read again in chunks (``record_chunks``) instead of held."""

    actors: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    sanctions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    ratings: list[RatingRecord] = field(default_factory=list)
    kinds: bytearray = field(default_factory=bytearray)
    """Indexed by line number: the ``KIND_CODES`` code of the record on that line, 0 for none."""

    def count(self, kind: str) -> int:
        return self.kinds.count(KIND_CODES[kind])


NEW_ASSERTION_COLUMNS = [
    "id",
    *ASSERTION_COLUMNS,
    "retracted_at",
    "retraction_reason",
    *QUALIFIED_COLUMNS,
]
"""The columns of an assertion the import writes, in the order of its rows."""
KIND_CODES = {kind: code for code, kind in enumerate(RECORD_TYPES, start=1)}
Lines = Callable[[], Iterable[str]]
"""Opens the file again: its lines, each time from the first (``factdb.interchange.common.
text_lines``: split on LF only)."""


def parse_jsonl(lines: Iterable[str], path: str) -> Parsed:
    """Every record validated, every error gathered with its line; nothing written."""
    errors = FileErrors(path)
    parsed = Parsed()
    kinds = parsed.kinds
    for number, raw, record in json_lines(lines, errors):
        if not isinstance(record, dict):
            errors.add(InvalidInput("json", "each line must be a JSON object"), number)
            continue
        try:
            if "\\u" in raw:
                _refuse_surrogates(record)
            kind, item = _jsonl_record(record, number)
        except InvalidInput as exc:
            errors.add(exc, number)
            continue
        except RecursionError:
            errors.add(InvalidInput("json", "nested too deeply"), number)
            continue
        if len(kinds) <= number:
            kinds.extend(bytes(number + 1 - len(kinds)))
        kinds[number] = KIND_CODES[kind]
        if kind == "actor":
            parsed.actors.append(item)
        elif kind == "sanction":
            parsed.sanctions.append(item)
        elif kind == "relation":
            parsed.relations.append(item)
        elif kind == "rating":
            parsed.ratings.append(item)
    errors.raise_if_any()
    return parsed


def record_chunks(read: Lines, parsed: Parsed, kind: str, path: str) -> Iterator[list[Any]]:
    """The records of one type that ``parse_jsonl`` validated, read again from the file and
    built as it built them, in file order and chunks of ``BATCH``. A line that no longer holds
    such a record, or a file that ends before the last of them (the file changed in between),
    is an error naming the line."""
    code, kinds = KIND_CODES[kind], parsed.kinds
    chunk: list[Any] = []
    number = 0
    for number, raw in enumerate(read(), start=1):
        if number >= len(kinds) or kinds[number] != code:
            continue
        try:
            got, item = _jsonl_record(json.loads(raw), number)
        except (ValueError, AttributeError, FactdbError):
            got = ""
        if got != kind:
            raise _changed(path, number)
        chunk.append(item)
        if len(chunk) >= BATCH:
            yield chunk
            chunk = []
    if kinds.rfind(code) > number:
        raise _changed(path, number + 1)
    if chunk:
        yield chunk


def _changed(path: str, line: int) -> ImportErrors:
    return ImportErrors(
        [InvalidInput("file", "changed while it was being imported", path, line)], 1
    )


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return not value.isascii() and any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    return False


def _refuse_surrogates(record: dict[str, Any]) -> None:
    """A ``\\ud800``-style escape of half a surrogate pair is valid JSON but no character:
    it cannot be stored as UTF-8. Called only for lines with an escape; the walk is shallow
    for valid records (``json.loads`` already bounded the depth)."""
    for key, value in record.items():
        if _has_surrogate(key):
            raise InvalidInput("json", "a key holds half a surrogate pair (\\ud800-\\udfff)")
        if _has_surrogate(value):
            raise InvalidInput(
                key, "holds half a surrogate pair (\\ud800-\\udfff), which is no character"
            )


def _jsonl_record(record: dict[str, Any], number: int) -> tuple[str, Any]:
    """The record's type and what the import keeps of it, validated."""
    kind = record.get("type")
    if kind == "actor":
        check_name(_opt_str(record, "name"), "name")
        parse_kind(record.get("kind") or "other", "kind")
        for alias in _str_list(record, "aliases"):
            check_name(alias, "aliases")
        part_of = _opt_str(record, "part_of")
        if parse_optional_date(_opt_str(record, "part_of_since"), "part_of_since") and not part_of:
            raise InvalidInput("part_of_since", "needs part_of")
        memberships = record.get("memberships") or []
        if not isinstance(memberships, list) or not all(isinstance(m, dict) for m in memberships):
            raise InvalidInput("memberships", "must be a list of objects")
        periods = record.get("alias_periods") or []
        if not isinstance(periods, list) or not all(isinstance(p, dict) for p in periods):
            raise InvalidInput("alias_periods", "must be a list of objects")
        for p in periods:
            if name_key(_opt_str(p, "alias") or "") not in {
                name_key(a) for a in _str_list(record, "aliases")
            }:
                raise InvalidInput("alias_periods.alias", "must be one of the record's aliases")
            parse_optional_date(_opt_str(p, "since"), "alias_periods.since")
            parse_optional_date(_opt_str(p, "until"), "alias_periods.until")
        for m in memberships:
            check_name(_opt_str(m, "parent"), "memberships.parent")
            parse_optional_date(_opt_str(m, "since"), "memberships.since")
            until = _opt_str(m, "until")
            if not until:
                raise InvalidInput("memberships.until", "is required: a membership that ended")
            parse_date(until, "memberships.until")
        return kind, (number, {**record, "ids": _external_ids(record)})
    if kind == "source":
        published = parse_optional_date(_opt_str(record, "published"), "published")
        parse_optional_date(_opt_str(record, "updated"), "updated")
        outlet = clean_text(_opt_str(record, "outlet"), "outlet", required=False, single_line=True)
        title = clean_text(_opt_str(record, "title"), "title", required=False, single_line=True)
        _, key = _source_identity(_opt_str(record, "url"), outlet, title, published, "url")
        outlet_actor: Any = KEEP_OUTLET
        if "outlet_actor" in record:
            outlet_actor = _opt_str(record, "outlet_actor")
            if outlet_actor is not None:
                outlet_actor = check_name(outlet_actor, "outlet_actor")
        elif outlet:
            check_name(outlet, "outlet")
        return kind, (
            number,
            {**record, "key": key, "outlet": outlet, "outlet_actor": outlet_actor},
        )
    if kind == "sanction":
        return kind, (number, {**_sanction_record(record), "ids": _external_ids(record)})
    if kind == "claim":
        return kind, (
            Row(
                line=number,
                claim=require_text(_opt_str(record, "text"), "text"),
                actor="",
                stance=Stance.neutral,
                date=None,
                source_url=None,
                source_key="",
                tags=[tag_key(t, "tags") for t in _str_list(record, "tags")],
                violates=[
                    check_name(v, "violates", "sanctions") for v in _str_list(record, "violates")
                ],
            )
        )
    if kind == "assertion":
        source = _source_fields(record)
        retracted_at = _timestamp(_opt_str(record, "retracted_at"), "retracted_at")
        reason = clean_text(
            _opt_str(record, "retraction_reason"),
            "retraction_reason",
            required=retracted_at is not None,
        )
        row = _assertion_key(record, number, source)
        row.quote = clean_text(_opt_str(record, "quote"), "quote", required=False)
        row.via = [check_name(v, "via") for v in _str_list(record, "via")]
        row.tags = [tag_key(t, "tags") for t in _str_list(record, "tags")]
        row.violates = [
            check_name(v, "violates", "sanctions") for v in _str_list(record, "violates")
        ]
        row.qualifier = parse_qualifier(_opt_str(record, "qualifier"), "qualifier")
        row.qualifier_note = clean_text(
            _opt_str(record, "qualifier_note"), "qualifier_note", required=False
        )
        row.recorded_at = _timestamp(_opt_str(record, "recorded_at"), "recorded_at")
        row.retracted_at = retracted_at
        row.retraction_reason = reason if retracted_at else None
        return kind, row
    if kind == "relation":
        claim = require_text(_opt_str(record, "claim"), "claim")
        other = require_text(_opt_str(record, "other"), "other")
        relation = _relation_kind(_opt_str(record, "kind"))
        if text_key(claim) == text_key(other):
            raise InvalidInput("other", "is the claim itself; a claim is not related to itself")
        return kind, Relation(number, claim, relation, other)
    if kind == "rating":
        return kind, _rating(record, number)
    raise InvalidInput(
        "type", f"{kind!r} is not a record type; use one of {', '.join(RECORD_TYPES)}"
    )


def _sanction_record(record: dict[str, Any]) -> dict[str, Any]:
    """A ``sanction`` record, checked: ``authority`` (the name as given; the actor it names,
    found or created as any actor of the file, unless ``authority_actor`` names another,
    null for none), ``programme``, ``adopted``, ``targets`` (objects: ``actor``, ``listed``,
    ``delisted``; an older file's ``target``, a name, is one target without dates),
    ``responds_to`` (claim texts, of the file or the database), ``measures``, ``url``."""
    check_name(_opt_str(record, "name"), "name", "sanctions")
    parse_optional_date(_opt_str(record, "adopted"), "adopted")
    authority = clean_text(
        _opt_str(record, "authority"), "authority", required=False, single_line=True
    )
    chosen: Any = KEEP_OUTLET
    if "authority_actor" in record:
        chosen = _opt_str(record, "authority_actor")
        if chosen is not None:
            chosen = check_name(chosen, "authority_actor")
    elif authority:
        check_name(authority, "authority")
    clean_text(_opt_str(record, "programme"), "programme", required=False, single_line=True)
    url = _opt_str(record, "url")
    if url:
        normalize_url(url, "url")
    targets: list[tuple[str, PartialDate | None, PartialDate | None]] = []
    raw = record.get("targets") or []
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise InvalidInput("targets", 'must be a list of objects ({"actor": …, "listed": …})')
    for item in raw:
        actor = check_name(_opt_str(item, "actor"), "targets.actor")
        listed = parse_optional_date(_opt_str(item, "listed"), "targets.listed")
        delisted = parse_optional_date(_opt_str(item, "delisted"), "targets.delisted")
        if listed is not None and delisted is not None and delisted.start < listed.start:
            raise InvalidInput("targets.delisted", f"{delisted} is before the listing ({listed})")
        targets.append((actor, listed, delisted))
    old = _opt_str(record, "target")
    if old:
        targets.append((check_name(old, "target"), None, None))
    responds_to = [require_text(t, "responds_to") for t in _str_list(record, "responds_to")]
    return {
        **record,
        "authority": authority,
        "authority_actor": chosen,
        "targets": targets,
        "responds_to": responds_to,
    }


SourceOf = tuple[str | None, str | None, PartialDate | None, str | None, str]
"""The source an assertion record names: outlet, title, publication date, URL and key."""


def _source_fields(record: dict[str, Any]) -> SourceOf:
    return _source_of(
        _opt_str(record, "outlet"),
        _opt_str(record, "title"),
        _opt_str(record, "source_published"),
        _opt_str(record, "source_url"),
    )


# The values an assertion record gives are checked once per distinct spelling: a file names
# the same sources, claims, actors and dates over and over (each pass builds its records).
# Pure functions of strings, their results immutable; an error is raised again each time.
# An export writes a claim's assertions one after the other: a few claims are enough there.


@functools.lru_cache(maxsize=KEEP // 2)
def _source_of(
    outlet: str | None, title: str | None, published: str | None, url: str | None
) -> SourceOf:
    outlet = clean_text(outlet, "outlet", required=False, single_line=True)
    title = clean_text(title, "title", required=False, single_line=True)
    date = parse_optional_date(published, "source_published")
    source_url, key = _source_identity(url, outlet, title, date, "source_url")
    return outlet, title, date, source_url, key


@functools.lru_cache(maxsize=1024)
def _claim_text(value: str | None) -> str:
    return require_text(value, "claim")


@functools.lru_cache(maxsize=KEEP // 2)
def _actor_name(value: str | None) -> str:
    return check_name(value, "actor")


@functools.lru_cache(maxsize=KEEP // 2)
def _stance_date(value: str) -> tuple[PartialDate, bool]:
    return stance_date(value)


def _assertion_key(record: dict[str, Any], number: int, source: SourceOf | None = None) -> Row:
    """The fields of an assertion record that name it: claim, actor, stance, date (as given,
    ``~`` for an approximate one) and source (URL, else outlet, title and publication)."""
    outlet, title, published, source_url, key = source or _source_fields(record)
    claim = _claim_text(_opt_str(record, "claim"))
    actor = _actor_name(_opt_str(record, "actor"))
    stance = parse_stance(_opt_str(record, "stance") or "", "stance")
    date_text = _opt_str(record, "date")
    date, approximate = _stance_date(date_text) if date_text else (None, False)
    return Row(
        line=number,
        claim=claim,
        actor=actor,
        stance=stance,
        date=date,
        date_approximate=approximate,
        source_url=source_url,
        source_key=key,
        outlet=outlet,
        title=title,
        published=published,
    )


def _relation_kind(value: str | None) -> str:
    """A relation's kind as stored (``part_of``); ``part-of`` as on the command line too."""
    folded = (value or "").strip().lower().replace("-", "_")
    if folded not in RELATION_KINDS:
        raise InvalidInput(
            "kind", f"{value!r} is not a relation; use one of {', '.join(RELATION_KINDS)}"
        )
    return folded


def _rating(record: dict[str, Any], number: int) -> RatingRecord:
    """A ``rating`` record: ``actor`` (a name) or ``assertion`` (an object with the fields
    that name an assertion in its own record), ``grade`` (present; null withdraws), ``by``,
    ``at`` (when left out, the time of the import) and ``reason``."""
    actor = _opt_str(record, "actor")
    target = record.get("assertion")
    if (actor is None) == (target is None):
        raise InvalidInput(
            "rating", 'rates either an actor ("actor") or an assertion ("assertion")'
        )
    assertion: Row | None = None
    if actor is not None:
        actor = check_name(actor, "actor")
    else:
        if not isinstance(target, dict):
            raise InvalidInput(
                "assertion", "must be an object naming the assertion (claim, actor, stance, …)"
            )
        try:
            assertion = _assertion_key(target, number)
        except InvalidInput as exc:
            raise InvalidInput(f"assertion.{exc.field}", exc.reason) from None
    if "grade" not in record:
        raise InvalidInput("grade", "is missing; null withdraws the grade before")
    grade = _opt_str(record, "grade")
    if grade is not None:
        grade = (
            parse_reliability(grade, "grade")
            if actor is not None
            else parse_credibility(grade, "grade")
        )
    by = clean_text(_opt_str(record, "by"), "by", required=True, single_line=True)
    assert by is not None
    return RatingRecord(
        line=number,
        actor=actor,
        assertion=assertion,
        grade=grade,
        by=by,
        at=_timestamp(_opt_str(record, "at"), "at"),
        reason=clean_text(_opt_str(record, "reason"), "reason", required=False),
    )


def _source_identity(
    url: str | None,
    outlet: str | None,
    title: str | None,
    published: PartialDate | None,
    field_name: str,
) -> tuple[str | None, str]:
    if url:
        display, key = normalize_url(url, field_name)
        return display, key
    if not (outlet or title):
        raise InvalidInput(field_name, "a source needs a URL, or an outlet and a title")
    return None, source_key_without_url(outlet, title, str(published) if published else None)


def _opt_str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(key, "must be a string or null")
    return value


def _str_list(record: dict[str, Any], key: str) -> list[str]:
    value = record.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(key, "must be a list of strings")
    return value


def _external_ids(record: dict[str, Any]) -> list[ExternalId]:
    """The ``ids`` of an actor or sanction record, parsed (``core.identifiers``)."""
    return parse_external_ids(_str_list(record, "ids"), "ids")


def _timestamp(value: str | None, field_name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field_name, f"{value!r} is not an ISO 8601 timestamp") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


# --- writing -------------------------------------------------------------------------------


def _executemany(session: Session, statement: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(statement, rows[start : start + BATCH])


class Loader:
    """Writes the claims and assertions of a file, every name resolved through ``Keys``."""

    def __init__(self, session: Session, path: str) -> None:
        self.session = session
        self.path = path
        self.result = ImportResult()
        self.keys = Keys(session)
        # Assertions from this id on were written by this import (an earlier chunk); of those
        # there before, whether the file met each already (a later row is a repeat).
        self.matched = IdsMet(self.keys.next_id("assertion"))
        # Assertions there before that the file retracts: written after the load, when the
        # CHECK constraints hold again (``sqliteload.checks_after_load`` checks new rows only).
        self.retractions: list[dict[str, Any]] = []

    def load_claims(self, claims: list[Row]) -> None:
        """Claim records: the sanctions they name that are missing (in record order), the
        claims, and their tags and sanctions gathered for ``Keys.link_claims``."""
        self.keys.sanction_ids(v for row in claims for v in row.violates)
        self.resolve_claims(claims)

    def resolve_claims(self, rows: list[Row]) -> None:
        """The claims of these rows (the first spelling of each wins), their tags and the
        sanctions they name gathered."""
        keys = self.keys
        texts: dict[str, str] = {}
        for row in rows:
            texts.setdefault(text_key(row.claim), row.claim)
        keys.add_claims(texts)
        for row in rows:
            if row.tags:
                keys.tag(text_key(row.claim), row.tags)
            if row.violates:
                keys.violate(text_key(row.claim), row.violates)

    def source_dates(self, ids: Iterable[int]) -> dict[int, PartialDate]:
        wanted = sorted(set(ids))
        dates: dict[int, PartialDate] = {}
        stmt = text(
            "SELECT id, published, published_precision FROM source WHERE id IN :ids "
            "AND published IS NOT NULL"
        ).bindparams(bindparam("ids", expanding=True))
        for start in range(0, len(wanted), BATCH):
            for sid, published, precision in self.session.execute(
                stmt, {"ids": wanted[start : start + BATCH]}
            ):
                day = (
                    published
                    if isinstance(published, dt.date)
                    else dt.date.fromisoformat(published)
                )
                dates[int(sid)] = PartialDate(day, precision)
        return dates

    def load_assertions(self, rows: list[Row]) -> None:
        if not rows:
            return
        keys = self.keys
        keys.sanction_ids(v for r in rows for v in r.violates)
        # In file order, each row's actor then its via chain, as the CSV names them.
        keys.add_actors((name_key(name), name) for r in rows for name in (r.actor, *r.via))
        self.resolve_claims(rows)
        claim_ids, actor_ids, source_ids = keys.claims, keys.actors, keys.sources
        first: dict[str, SourceFields] = {}
        for r in rows:  # the first row naming a source gives its details
            if r.source_key not in first:
                published = r.published
                first[r.source_key] = (
                    r.source_url,
                    r.outlet,
                    r.title,
                    published.start if published else None,
                    published.precision if published else None,
                )
        keys.add_sources(first)
        undated = [r for r in rows if r.date is None]
        if undated:
            dates = self.source_dates(source_ids[r.source_key] for r in undated)
            errors = FileErrors(self.path)
            for row in undated:
                row.date = dates.get(source_ids[row.source_key])
                if row.date is None:
                    errors.add(
                        InvalidInput("date", "is required: the source has no publication date"),
                        row.line,
                    )
            errors.raise_if_any()
        # The assertions there of these claims: before the import, or from an earlier chunk.
        existing = self._existing_assertions({claim_ids[text_key(r.claim)] for r in rows})
        first_met = self.matched.first
        seen: set[tuple[Any, ...]] = set()
        new_rows: list[tuple[Any, ...]] = []
        vias: list[list[int]] = []
        retract: list[dict[str, Any]] = []
        now = utcnow()
        sqlite, to_sqlite = keys.sqlite, bulk.sqlite_value
        for row in rows:
            assert row.date is not None
            key = (
                claim_ids[text_key(row.claim)],
                actor_ids[name_key(row.actor)],
                row.stance.value,
                row.date.start,
                row.date.precision,
                source_ids[row.source_key],
            )
            if key in seen:
                self.result.duplicates += 1
                continue
            seen.add(key)
            if key in existing:
                assertion_id, retracted = existing[key]
                if not first_met(assertion_id):
                    self.result.duplicates += 1  # its first row was in an earlier chunk
                    continue
                self.result.count("assertion", False)
                if row.retracted_at is not None and not retracted:
                    retract.append(
                        {
                            "b_id": assertion_id,
                            "b_at": row.retracted_at,
                            "b_reason": row.retraction_reason,
                        }
                    )
                continue
            date, recorded, retracted_at = key[3], row.recorded_at or now, row.retracted_at
            if sqlite:  # in SQLite's form here, the other values need none (``convert``)
                date, recorded = to_sqlite(date), to_sqlite(recorded)
                retracted_at = to_sqlite(retracted_at) if retracted_at else None
            new_rows.append(
                (
                    *key[:3],
                    date,
                    *key[4:],
                    row.quote,
                    recorded,
                    retracted_at,
                    row.retraction_reason,
                    row.qualifier,
                    row.qualifier_note,
                    row.date_approximate,
                )
            )
            vias.append([actor_ids[name_key(v)] for v in row.via])
        # Ids reserved and the rows written in bulk (COPY on PostgreSQL), as the CSV import
        # writes them: an INSERT … RETURNING kept in parameter order ran once a row on SQLite.
        ids = bulk.reserve_ids(self.session, "assertion", len(new_rows))
        bulk.insert_rows(
            self.session,
            "assertion",
            NEW_ASSERTION_COLUMNS,
            [(i, *r) for i, r in zip(ids, new_rows, strict=True)],
            convert=False,
        )
        self.result.count("assertion", True, len(ids))
        bulk.insert_rows(
            self.session,
            "assertion_via",
            ["assertion_id", "position", "actor_id"],
            [
                (aid, pos, actor)
                for aid, chain in zip(ids, vias, strict=True)
                for pos, actor in enumerate(chain, start=1)
            ],
            convert=False,
        )
        self.retractions += retract

    def retract_existing(self) -> None:
        """The retractions the file gave assertions that were there before it."""
        if self.retractions:
            table = table_of(Assertion)
            _executemany(
                self.session,
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(retracted_at=bindparam("b_at"), retraction_reason=bindparam("b_reason")),
                self.retractions,
            )
            self.retractions = []

    def _assertion_rows(
        self, claim_ids: Iterable[int]
    ) -> Iterator[tuple[tuple[Any, ...], int, bool]]:
        """(natural key, id, retracted) of every assertion of these claims, in id order."""
        ids = sorted(set(claim_ids))
        table = table_of(Assertion)
        for start in range(0, len(ids), BATCH):
            stmt = (
                select(
                    table.c.id,
                    table.c.claim_id,
                    table.c.actor_id,
                    table.c.stance,
                    table.c.date,
                    table.c.date_precision,
                    table.c.source_id,
                    table.c.retracted_at,
                )
                .where(table.c.claim_id.in_(ids[start : start + BATCH]))
                .order_by(table.c.id)
            )
            for r in self.session.execute(stmt):
                key = (r.claim_id, r.actor_id, r.stance, r.date, r.date_precision, r.source_id)
                yield key, int(r.id), r.retracted_at is not None

    def _existing_assertions(self, claim_ids: set[int]) -> dict[tuple[Any, ...], tuple[int, bool]]:
        return {key: (aid, retracted) for key, aid, retracted in self._assertion_rows(claim_ids)}

    # -- relations and ratings ----------------------------------------------------------

    def _claim_ids(self, texts: Iterable[str]) -> dict[str, int]:
        """Text key -> id of the claims named, those of this import or of the database."""
        known = self.keys.claims
        wanted = {text_key(t) for t in texts}
        ids = {k: known[k] for k in wanted if k in known}
        ids.update(self.keys.lookup("claim", "text_key", sorted(wanted - ids.keys())))
        return ids

    def load_relations(self, relations: list[Relation]) -> None:
        """Relation records, once every claim of the file is written: each names two claims
        by text (of the file or the database). A relation already there is counted; an
        unknown claim, or a ``part_of`` that would close a cycle with the relations there and
        those before it in the file, is an error of its line."""
        if not relations:
            return
        session, errors = self.session, FileErrors(self.path)
        ids = self._claim_ids(t for r in relations for t in (r.claim, r.other))
        existing: set[tuple[int, str, int]] = set()
        wholes: dict[int, set[int]] = {}  # part -> the claims it is directly part of
        for claim_id, kind, other_id in session.execute(
            text("SELECT claim_id, kind, other_claim_id FROM claim_relation")
        ):
            existing.add((int(claim_id), str(kind), int(other_id)))
            if kind == "part_of":
                wholes.setdefault(int(claim_id), set()).add(int(other_id))
        new: list[dict[str, Any]] = []
        seen: set[tuple[int, str, int]] = set()
        now = utcnow()
        for relation in relations:
            claim_id = ids.get(text_key(relation.claim))
            other_id = ids.get(text_key(relation.other))
            for field_name, value, found in (
                ("claim", relation.claim, claim_id),
                ("other", relation.other, other_id),
            ):
                if found is None:
                    errors.add(
                        InvalidInput(
                            field_name, f"{_cut(value)!r} is no claim of the database or the file"
                        ),
                        relation.line,
                    )
            if claim_id is None or other_id is None:
                continue
            if relation.kind not in DIRECTED_RELATIONS and claim_id > other_id:
                claim_id, other_id = other_id, claim_id
            triple = (claim_id, relation.kind, other_id)
            if triple in existing:
                self.result.count("relation", False)
                continue
            if triple in seen:
                self.result.duplicates += 1
                continue
            if relation.kind == "part_of" and _reaches(wholes, other_id, claim_id):
                errors.add(
                    InvalidInput(
                        "other",
                        f"{_cut(relation.other)!r} is already part of {_cut(relation.claim)!r}: "
                        "part_of would make a cycle",
                    ),
                    relation.line,
                )
                continue
            seen.add(triple)
            if relation.kind == "part_of":
                wholes.setdefault(claim_id, set()).add(other_id)
            new.append(
                {
                    "claim_id": claim_id,
                    "kind": relation.kind,
                    "other_claim_id": other_id,
                    "created_at": now,
                }
            )
        errors.raise_if_any()
        _executemany(session, insert(table_of(ClaimRelation)), new)
        self.result.count("relation", True, len(new))

    def load_responses(self, sanctions: list[tuple[int, dict[str, Any]]]) -> None:
        """The ``responds_to`` links of the new sanctions of the file, once every claim is
        written: each names a claim by text (of the file or the database); an unknown one is
        an error of its line."""
        wanted = [(n, r) for n, r in sanctions if r.get("id") is not None and r["responds_to"]]
        if not wanted:
            return
        errors = FileErrors(self.path)
        ids = self._claim_ids(t for _, r in wanted for t in r["responds_to"])
        new: set[tuple[int, int]] = set()
        for number, record in wanted:
            for claim in record["responds_to"]:
                claim_id = ids.get(text_key(claim))
                if claim_id is None:
                    errors.add(
                        InvalidInput(
                            "responds_to",
                            f"{_cut(claim)!r} is no claim of the database or the file",
                        ),
                        number,
                    )
                    continue
                new.add((int(record["id"]), claim_id))
        errors.raise_if_any()
        _executemany(
            self.session,
            insert(table_of(SanctionResponse)),
            [{"sanction_id": s, "claim_id": c} for s, c in sorted(new)],
        )

    def load_ratings(self, ratings: list[RatingRecord]) -> None:
        """Rating records, appended in file order (the newest of a record counts), once every
        actor and assertion of the file is written. An actor is named by name or alias; an
        assertion by its natural key (the live one, else the latest retracted one with that
        key). A rating already there (same record, grade, rater, time and reason; any time
        when the file gives none) is counted, not written again."""
        if not ratings:
            return
        session, keys, errors = self.session, self.keys, FileErrors(self.path)
        targets = self._assertion_targets([r.assertion for r in ratings if r.assertion])
        table = table_of(Rating)
        resolved: list[tuple[RatingRecord, int | None, int | None]] = []
        for rating in ratings:
            if rating.actor is not None:
                actor_id = keys.actors.get(name_key(rating.actor))
                if actor_id is None:
                    errors.add(
                        InvalidInput("actor", f"'{rating.actor}' is no known actor or alias"),
                        rating.line,
                    )
                    continue
                resolved.append((rating, actor_id, None))
                continue
            assert rating.assertion is not None
            assertion_id = targets.get(rating.line)
            if assertion_id is None:
                errors.add(
                    InvalidInput(
                        "assertion",
                        "names no assertion of the database or the file (claim, actor, "
                        "stance, date and source must match one)",
                    ),
                    rating.line,
                )
                continue
            resolved.append((rating, None, assertion_id))
        errors.raise_if_any()
        existing: set[tuple[Any, ...]] = set()
        for column, wanted in (
            (table.c.actor_id, sorted({a for _, a, _ in resolved if a is not None})),
            (table.c.assertion_id, sorted({a for _, _, a in resolved if a is not None})),
        ):
            for start in range(0, len(wanted), BATCH):
                for r in session.execute(
                    select(table).where(column.in_(wanted[start : start + BATCH]))
                ):
                    identity = (r.actor_id, r.assertion_id, r.grade, r.rated_by, r.reason)
                    existing.update({(*identity, _utc(r.rated_at)), (*identity, None)})
        now = utcnow()
        new: list[dict[str, Any]] = []
        for rating, actor_id, assertion_id in resolved:
            identity = (actor_id, assertion_id, rating.grade, rating.by, rating.reason)
            key = (*identity, _utc(rating.at) if rating.at else None)
            if key in existing:
                self.result.count("rating", False)
                continue
            existing.update({key, (*identity, None)})
            new.append(
                {
                    "actor_id": actor_id,
                    "assertion_id": assertion_id,
                    "grade": rating.grade,
                    "rated_by": rating.by,
                    "rated_at": rating.at or now,
                    "reason": rating.reason,
                }
            )
        _executemany(session, insert(table), new)
        self.result.count("rating", True, len(new))

    def _assertion_targets(self, refs: list[Row]) -> dict[int, int]:
        """The assertion each reference names (line -> id), where there is one: by natural
        key, the live assertion, else the latest retracted one."""
        if not refs:
            return {}
        keys = self.keys
        claims = self._claim_ids(r.claim for r in refs)
        sources = {k: keys.sources[k] for r in refs if (k := r.source_key) in keys.sources}
        sources.update(
            keys.lookup("source", "key", sorted({r.source_key for r in refs} - sources.keys()))
        )
        dates = self.source_dates(
            sources[r.source_key] for r in refs if r.date is None and r.source_key in sources
        )
        by_key: dict[tuple[Any, ...], tuple[int, bool]] = {}
        for key, aid, retracted in self._assertion_rows(claims.values()):
            if not by_key.get(key, (0, False))[1]:  # a live one stays; else the latest
                by_key[key] = (aid, not retracted)
        found: dict[int, int] = {}
        for ref in refs:
            claim_id = claims.get(text_key(ref.claim))
            actor_id = keys.actors.get(name_key(ref.actor))
            source_id = sources.get(ref.source_key)
            date = ref.date or (dates.get(source_id) if source_id is not None else None)
            if claim_id is None or actor_id is None or source_id is None or date is None:
                continue
            hit = by_key.get(
                (claim_id, actor_id, ref.stance.value, date.start, date.precision, source_id)
            )
            if hit is not None:
                found[ref.line] = hit[0]
        return found


def _reaches(wholes: dict[int, set[int]], start: int, goal: int) -> bool:
    """Whether claim ``start`` is part of ``goal`` through any chain of ``part_of``."""
    stack, seen = [start], {start}
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for whole in wholes.get(node, ()):
            if whole not in seen:
                seen.add(whole)
                stack.append(whole)
    return False


def _utc(value: Any) -> dt.datetime:
    """A timestamp as an aware UTC datetime (SQLite gives it back naive, in UTC)."""
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _cut(value: str, width: int = 60) -> str:
    """A claim's text for a message: one line, at most ``width`` characters."""
    flat = " ".join(value.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _apply_entities(
    session: Session,
    parsed: Parsed,
    sources: Iterable[list[tuple[int, dict[str, Any]]]],
    result: ImportResult,
    path: str,
    guard: LookAlikes,
    allow_confusable: bool,
    known_only: bool = False,
) -> None:
    """Actors, sources (in chunks: ``_apply_sources``) and sanctions of a JSON Lines file,
    through the domain functions. With ``known_only``, an actor record naming no known actor
    is refused."""
    close: CloseNames | None = None
    for number, record in parsed.actors:
        try:
            name = record["name"]
            existing = records.find_actor(session, name)
            by_id = _actor_by_ids(session, name, existing, record["ids"])
            if by_id is not None and existing is None:
                # The actor the file names otherwise: its name becomes an alias, so that the
                # file's records naming it find it, and it counts as already there.
                _look(guard, name, "name", allow_confusable, by_id.name)
                records.add_aliases(
                    session,
                    actor=by_id,
                    aliases=[name],
                    allow_confusable=allow_confusable,
                    guard=guard,
                )
                result.notes.append(
                    f"line {number}: actor '{name}' is actor '{by_id.name}' (id {by_id.id}) by "
                    f"its external id; counted as already there, '{name}' added as its alias"
                )
                existing = by_id
            if existing is None and known_only:
                close = close or records.close_names(session)
                meant = records.meant_names(close, name, allow_confusable=allow_confusable)
                raise InvalidInput("name", unknown_actor(name, meant))
            # Look-alike names first, so that the error names the field.
            owner = name if existing is None else existing.name
            if existing is None:
                _look(guard, name, "name", allow_confusable)
            for alias in record.get("aliases") or []:
                _look(guard, alias, "aliases", allow_confusable, owner)
            if existing is None:
                existing = records.add_actor(
                    session,
                    name=name,
                    kind=parse_kind(record.get("kind") or "other", "kind"),
                    part_of=record.get("part_of"),
                    aliases=record.get("aliases") or [],
                    allow_confusable=allow_confusable,
                    guard=guard,
                )
                result.count("actor", True)
                result.new_actors.append(name)
            else:
                records.add_aliases(
                    session,
                    actor=existing,
                    aliases=record.get("aliases") or [],
                    allow_confusable=allow_confusable,
                    guard=guard,
                )
                result.count("actor", False)
            assert existing.id is not None
            for ident in record["ids"]:
                attach_actor_id(session, existing.id, ident)
        except FactdbError as exc:
            raise _located(exc, path, number) from None
    for number, record in parsed.actors:
        try:
            _apply_memberships(session, record)
        except FactdbError as exc:
            raise _located(exc, path, number) from None
    outlets = _Outlets(session, guard, result, allow_confusable, known_only)
    for chunk in sources:
        _apply_sources(session, chunk, outlets, result, path)
    for number, record in parsed.sanctions:
        try:
            _apply_sanction(session, record, outlets, result)
        except FactdbError as exc:
            raise _located(exc, path, number) from None


def _actor_by_ids(
    session: Session, name: str, named: records.ActorRow | None, idents: list[ExternalId]
) -> records.ActorRow | None:
    """The actor the external ids of an actor record identify, if any: a ``Conflict`` when
    they identify two actors or a sanction, or another actor than the one its name names
    (``named``)."""
    found: records.ActorRow | None = None
    for ident in idents:
        owner = external_id_owner(session, ident)
        if owner is None:
            continue
        if owner[0] != "actor" or (found is not None and found.id != owner[1]):
            raise Conflict(taken_message(ident, owner))
        if named is not None and named.id != owner[1]:
            raise Conflict(
                f"actor '{name}' is actor '{named.name}' (id {named.id}) by name, but {ident} "
                f"identifies actor '{owner[2]}' (id {owner[1]}); merge them (`factdb actor "
                "merge`) or correct the file"
            )
        found = records.actor_row(session, owner[1])
    return found


def _check_sanction_ids(
    session: Session, name: str, named: Sanction | None, idents: list[ExternalId]
) -> None:
    """A ``Conflict`` when an external id of a sanction record identifies another record than
    the sanction of its name (sanctions have no aliases: a name the database does not know,
    with the id of a known sanction, would make a second one)."""
    for ident in idents:
        owner = external_id_owner(session, ident)
        if owner is None or (named is not None and owner == ("sanction", named.id, owner[2])):
            continue
        raise Conflict(
            f"{taken_message(ident, owner)}, not sanction '{name}'; rename one of them "
            "(`factdb sanction edit`) or correct the file"
        )


def _attach_sanction_ids(session: Session, sanction: Sanction, idents: list[ExternalId]) -> None:
    assert sanction.id is not None
    for ident in idents:
        attach_sanction_id(session, sanction.id, ident)


def _apply_sanction(
    session: Session, record: dict[str, Any], actors: _Outlets, result: ImportResult
) -> None:
    """A sanction record: a known sanction (by name) is counted and left as it is; a new one
    is written with its authority's actor (``authority_actor`` when given, null: none; else
    the one ``authority`` names) and its targets, found or created as any actor of the file
    (kind ``organization`` for an authority, ``other`` for a target). Its ``responds_to``
    links wait for the claims (``Loader.load_responses``)."""
    known = find_sanction(session, record["name"])
    _check_sanction_ids(session, record["name"], known, record["ids"])
    if known is not None:
        result.count("sanction", False)
        _attach_sanction_ids(session, known, record["ids"])
        return
    sanction = add_sanction(
        session,
        name=record["name"],
        programme=record.get("programme"),
        adopted=parse_optional_date(record.get("adopted"), "adopted"),
        measures=record.get("measures"),
        url=record.get("url"),
    ).sanction
    assert sanction.id is not None
    chosen = record["authority_actor"]
    name = record["authority"] if chosen is KEEP_OUTLET else chosen
    field_name = "authority" if chosen is KEEP_OUTLET else "authority_actor"
    sanction.authority = record["authority"]
    if name:
        sanction.authority_id = actors.actor_id(name, field_name, ActorKind.organization)
    session.add(sanction)
    seen: set[int] = set()
    for actor, listed, delisted in record["targets"]:
        actor_id = actors.actor_id(actor, "targets.actor", ActorKind.other)
        if actor_id in seen:
            continue
        seen.add(actor_id)
        session.add(
            SanctionTarget(
                sanction_id=sanction.id,
                actor_id=actor_id,
                listed=listed.start if listed else None,
                listed_precision=listed.precision if listed else None,
                delisted=delisted.start if delisted else None,
                delisted_precision=delisted.precision if delisted else None,
            )
        )
    session.flush()
    _attach_sanction_ids(session, sanction, record["ids"])
    record["id"] = sanction.id
    result.count("sanction", True)


class _Outlets:
    """The actors that the outlets of source records name, each distinct name resolved once:
    the actor of that name or alias, else a new actor of kind ``media``, checked as any new
    actor of the file is (look-alikes, ``--known-actors-only``)."""

    def __init__(
        self,
        session: Session,
        guard: LookAlikes,
        result: ImportResult,
        allow: bool,
        known_only: bool,
    ) -> None:
        self.session, self.guard, self.result = session, guard, result
        self.allow, self.known_only = allow, known_only
        self.ids: dict[str, int] = {}
        self.close: CloseNames | None = None

    def actor_id(self, name: str, field_name: str, kind: ActorKind = ActorKind.media) -> int:
        key = name_key(name)
        found = self.ids.get(key)
        if found is not None:
            return found
        known = actor_by_name(self.session, name)
        if known is not None:
            self.ids[key] = known[0]
            return known[0]
        _look(self.guard, name, field_name, self.allow)
        if self.known_only:
            self.close = self.close or records.close_names(self.session)
            meant = records.meant_names(self.close, name, allow_confusable=self.allow)
            raise InvalidInput(field_name, unknown_actor(name, meant))
        actor = records.add_actor(
            self.session,
            name=name,
            kind=kind,
            allow_confusable=self.allow,
            guard=self.guard,
        )
        assert actor.id is not None
        self.result.count("actor", True)
        self.result.new_actors.append(actor.name)
        self.ids[key] = actor.id
        return actor.id


def _apply_memberships(session: Session, record: dict[str, Any]) -> None:
    """An actor record's dates of membership, once every actor of the file is there: the
    start of the current membership (``part_of_since``), then the ended ones."""
    from factdb.domain.memberships import (
        MembershipResult,
        add_ended_membership,
        set_membership,
    )
    from factdb.domain.records import date_aliases

    since = parse_optional_date(_opt_str(record, "part_of_since"), "part_of_since")
    ended = record.get("memberships") or []
    periods = record.get("alias_periods") or []
    if since is None and not ended and not periods:
        return
    actor = actors_mod.get_actor(session, record["name"], "name")
    for p in periods:
        date_aliases(
            session,
            actor=actor,
            aliases=[p["alias"]],
            since=parse_optional_date(_opt_str(p, "since"), "alias_periods.since"),
            until=parse_optional_date(_opt_str(p, "until"), "alias_periods.until"),
        )
    if since is not None:
        parent = actors_mod.get_actor(session, record["part_of"], "part_of")
        set_membership(session, actor=actor, parent=parent, since=since)
    for m in ended:
        add_ended_membership(
            session,
            MembershipResult(actor),
            actors_mod.get_actor(session, m["parent"], "memberships.parent"),
            parse_optional_date(_opt_str(m, "since"), "memberships.since"),
            parse_date(m["until"], "memberships.until"),
        )


def _apply_sources(
    session: Session,
    chunk: list[tuple[int, dict[str, Any]]],
    outlets: _Outlets,
    result: ImportResult,
    path: str,
) -> None:
    """A chunk of source records. The new ones (by key, the first record of each) are written
    in one statement, each with its outlet's actor: the one ``outlet_actor`` names when the
    record has that field (null: none), else the one its outlet names. A known source, or a
    repeat of a new one, then gets through the domain the details it lacks, and its outlet's
    actor if it has none (``_apply_known_source``)."""
    table = table_of(Source)
    known = set(ids_by_key(session, "source", "key", sorted({r["key"] for _, r in chunk})))
    fresh: list[dict[str, Any]] = []
    again: list[tuple[int, dict[str, Any]]] = []
    now = utcnow()
    for number, record in chunk:
        key = record["key"]
        if key in known:
            again.append((number, record))
            continue
        known.add(key)
        try:
            fresh.append(_new_source(record, outlets, now))
        except FactdbError as exc:
            raise _located(exc, path, number) from None
        result.count("source", True)
    _executemany(session, insert(table), fresh)
    for number, record in again:
        try:
            _apply_known_source(session, record, outlets, result)
        except FactdbError as exc:
            raise _located(exc, path, number) from None


def _source_field(record: dict[str, Any]) -> tuple[Any, str]:
    """The actor a source record's outlet is (its ``outlet_actor``, else the outlet's name,
    or none) and the field that names it."""
    chosen = record["outlet_actor"]
    if chosen is KEEP_OUTLET:
        return record["outlet"], "outlet"
    return chosen, "outlet_actor"


def _new_source(record: dict[str, Any], outlets: _Outlets, now: dt.datetime) -> dict[str, Any]:
    """The row of a new source from its record (validated by ``parse_jsonl``)."""
    published = parse_optional_date(record.get("published"), "published")
    updated = parse_optional_date(record.get("updated"), "updated")
    name, field_name = _source_field(record)
    url = record.get("url")
    return {
        "url": normalize_url(url, "url")[0] if url else None,
        "key": record["key"],
        "outlet": record["outlet"],
        "title": clean_text(record.get("title"), "title", required=False, single_line=True),
        "published": published.start if published else None,
        "published_precision": published.precision if published else None,
        "updated": updated.start if updated else None,
        "updated_precision": updated.precision if updated else None,
        "created_at": now,
        "outlet_id": outlets.actor_id(name, field_name) if name else None,
    }


def _apply_known_source(
    session: Session, record: dict[str, Any], outlets: _Outlets, result: ImportResult
) -> None:
    """A source record whose source is there: the details it lacks, through the domain, and
    its outlet's actor if it has none."""
    source, _ = get_or_create_source(
        session,
        url=record.get("url"),
        outlet=record["outlet"],
        title=record.get("title"),
        published=parse_optional_date(record.get("published"), "published"),
        updated=parse_optional_date(record.get("updated"), "updated"),
        field="url",
    )
    name, field_name = _source_field(record)
    if field_name == "outlet":  # the outlet the source has, not the record's spelling
        name = source.outlet
    if source.outlet_id is None and name:
        table = table_of(Source)
        session.execute(
            update(table)
            .where(table.c.id == source.id)
            .values(outlet_id=outlets.actor_id(name, field_name))
        )
    result.count("source", False)


def _look(
    guard: LookAlikes, name: str, field_name: str, allow: bool, owner: str | None = None
) -> None:
    problem = guard.problem(name, allow=allow, owner=owner)
    if problem is not None:
        raise InvalidInput(field_name, problem)


def _located(exc: FactdbError, path: str, line: int) -> ImportErrors:
    if isinstance(exc, InvalidInput):
        exc.path, exc.line = exc.path or path, exc.line or line
        return ImportErrors([exc], 1)
    return ImportErrors([InvalidInput("record", str(exc), path, line)], 1)


def load_jsonl(
    session: Session,
    read: Lines,
    path: str,
    allow_confusable: bool = False,
    known_actors_only: bool = False,
) -> ImportResult:
    """Import a JSON Lines file that ``read`` opens (again for each pass): every record
    validated first (``parse_jsonl``), then written in the caller's transaction: actors, the
    sources, sanctions, claims, and the assertions (these three read again from the file in
    chunks, so memory does not grow with its rows), relations, sanction responses and
    ratings."""
    parsed = parse_jsonl(read(), path)
    return apply_parsed(session, parsed, read, path, allow_confusable, known_actors_only)


def _check_names(
    session: Session,
    guard: LookAlikes,
    keys: Keys,
    rows: list[Row],
    path: str,
    allow: bool,
    known_only: bool,
) -> None:
    """The actors, intermediaries and outlets of a chunk of assertions, new to the database,
    that look like a known name (``LookAlikes``), or with ``known_only`` any of them: refused
    with their line, like the other errors. An outlet is checked only where it would be made:
    for the first row naming a source that is not there yet (the file's source records, and
    the earlier chunks' sources, are)."""
    errors = FileErrors(path)
    close: CloseNames | None = None
    named = {row.source_key for row in rows if row.outlet}
    outlets_checked = named & keys.sources.keys()
    outlets_checked.update(keys.lookup("source", "key", sorted(named - outlets_checked)))
    for row in rows:
        names = [("actor", row.actor)] + [("via", v) for v in row.via]
        if row.outlet and row.source_key not in outlets_checked:
            # The outlet of the first row naming a source not there: the one a new source
            # gets (``Keys.outlet_ids``).
            outlets_checked.add(row.source_key)
            try:
                names.append(("outlet", check_name(row.outlet, "outlet")))
            except InvalidInput as exc:
                errors.add(exc, row.line)
        for field_name, name in names:
            problem = guard.problem(name, allow=allow)
            if problem is None and known_only and name_key(name) not in guard.keys:
                close = close or records.close_names(session)
                meant = records.meant_names(close, name, allow_confusable=allow)
                problem = unknown_actor(name, meant)
            if problem is not None:
                errors.add(InvalidInput(field_name, problem), row.line)
            else:
                guard.remember(name)
    errors.raise_if_any()


def apply_parsed(
    session: Session,
    parsed: Parsed,
    read: Lines,
    path: str,
    allow_confusable: bool = False,
    known_actors_only: bool = False,
) -> ImportResult:
    result = ImportResult()
    guard = records.look_alikes(session)
    sources = record_chunks(read, parsed, "source", path)
    _apply_entities(
        session, parsed, sources, result, path, guard, allow_confusable, known_actors_only
    )
    loader = Loader(session, path)
    loader.result = result
    # On SQLite, the claims and assertions are written as the CSV import writes them
    # (``sqliteload.bulk_load``). The secondary indexes stay: the loader reads each chunk's
    # claims' assertions by claim. Only tables whose CHECKs are checked there are written
    # inside (claims, tags, sources, actors, sanctions, assertions, via chains).
    bulk_writes: AbstractContextManager[None] = (
        sqliteload.bulk_load(session, indexes=False) if loader.keys.sqlite else nullcontext()
    )
    with bulk_writes:
        for claims in record_chunks(read, parsed, "claim", path):
            loader.load_claims(claims)
            loader.keys.forget(KEEP // 2)
        for rows in record_chunks(read, parsed, "assertion", path):
            _check_names(
                session, guard, loader.keys, rows, path, allow_confusable, known_actors_only
            )
            loader.load_assertions(rows)
            loader.keys.forget(KEEP // 2)
    loader.retract_existing()
    loader.keys.link_claims()
    loader.keys.count(result, named=False)
    loader.load_relations(parsed.relations)
    loader.load_responses(parsed.sanctions)
    loader.load_ratings(parsed.ratings)
    result.rows = parsed.count("assertion")
    return result
