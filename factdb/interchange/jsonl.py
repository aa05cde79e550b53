"""JSON Lines import: every record validated before the first write, then written in the
caller's single transaction. JSON Lines carries everything, one record a line with a ``type``:
``actor`` (name, kind, part_of, aliases), ``source`` (url, outlet, title, published,
updated), ``sanction`` (name, authority, adopted, target, measures, url), ``claim`` (text,
tags, violates) and ``assertion`` (claim, actor, stance, date, source_url, outlet, title,
source_published, via, quote, recorded_at, retracted_at, retraction_reason). It is
idempotent on natural keys: records already present are counted, not written again.
Actor, source and sanction records go through the domain functions; the names that claims and
assertions give are resolved as the CSV's are (``interchange.resolve.Keys``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlmodel import Session

from factdb.core.dates import PartialDate
from factdb.core.errors import FactdbError, InvalidInput
from factdb.core.hints import CloseNames, LookAlikes
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
from factdb.core.values import parse_kind, parse_optional_date, parse_stance
from factdb.domain import actors as actors_mod
from factdb.domain.sanctions import add_sanction, find_sanction
from factdb.domain.sources import get_or_create_source
from factdb.interchange.common import (
    BATCH,
    TYPES,
    FileErrors,
    ImportErrors,
    ImportResult,
    Row,
    unknown_actor,
)
from factdb.interchange.resolve import Keys, SourceFields
from factdb.storage.models import (
    Assertion,
    AssertionVia,
    Stance,
    table_of,
    utcnow,
)


@dataclass
class Parsed:
    """A JSON Lines file, validated: records per type, with their line numbers."""

    actors: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    sources: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    sanctions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    claims: list[Row] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


def parse_jsonl(lines: Iterable[str], path: str) -> Parsed:
    errors = FileErrors(path)
    parsed = Parsed()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.add(InvalidInput("json", exc.msg), number, exc.colno)
            continue
        except RecursionError:
            errors.add(InvalidInput("json", "nested too deeply"), number)
            continue
        if not isinstance(record, dict):
            errors.add(InvalidInput("json", "each line must be a JSON object"), number)
            continue
        try:
            if "\\u" in raw:
                _refuse_surrogates(record)
            _jsonl_record(record, number, parsed)
        except InvalidInput as exc:
            errors.add(exc, number)
        except RecursionError:
            errors.add(InvalidInput("json", "nested too deeply"), number)
    errors.raise_if_any()
    return parsed


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


def _jsonl_record(record: dict[str, Any], number: int, parsed: Parsed) -> None:
    kind = record.get("type")
    if kind == "actor":
        check_name(_opt_str(record, "name"), "name")
        parse_kind(record.get("kind") or "other", "kind")
        for alias in _str_list(record, "aliases"):
            check_name(alias, "aliases")
        _opt_str(record, "part_of")
        parsed.actors.append((number, record))
    elif kind == "source":
        published = parse_optional_date(_opt_str(record, "published"), "published")
        parse_optional_date(_opt_str(record, "updated"), "updated")
        _source_identity(
            _opt_str(record, "url"),
            _opt_str(record, "outlet"),
            _opt_str(record, "title"),
            published,
            "url",
        )
        parsed.sources.append((number, record))
    elif kind == "sanction":
        check_name(_opt_str(record, "name"), "name", "sanctions")
        parse_optional_date(_opt_str(record, "adopted"), "adopted")
        url = _opt_str(record, "url")
        if url:
            normalize_url(url, "url")
        parsed.sanctions.append((number, record))
    elif kind == "claim":
        parsed.claims.append(
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
    elif kind == "assertion":
        outlet = clean_text(_opt_str(record, "outlet"), "outlet", required=False, single_line=True)
        title = clean_text(_opt_str(record, "title"), "title", required=False, single_line=True)
        published = parse_optional_date(_opt_str(record, "source_published"), "source_published")
        source_url, key = _source_identity(
            _opt_str(record, "source_url"), outlet, title, published, "source_url"
        )
        retracted_at = _timestamp(_opt_str(record, "retracted_at"), "retracted_at")
        reason = clean_text(
            _opt_str(record, "retraction_reason"),
            "retraction_reason",
            required=retracted_at is not None,
        )
        parsed.rows.append(
            Row(
                line=number,
                claim=require_text(_opt_str(record, "claim"), "claim"),
                actor=check_name(_opt_str(record, "actor"), "actor"),
                stance=parse_stance(_opt_str(record, "stance") or "", "stance"),
                date=parse_optional_date(_opt_str(record, "date"), "date"),
                source_url=source_url,
                source_key=key,
                outlet=outlet,
                title=title,
                published=published,
                quote=clean_text(_opt_str(record, "quote"), "quote", required=False),
                via=[check_name(v, "via") for v in _str_list(record, "via")],
                tags=[tag_key(t, "tags") for t in _str_list(record, "tags")],
                violates=[
                    check_name(v, "violates", "sanctions") for v in _str_list(record, "violates")
                ],
                recorded_at=_timestamp(_opt_str(record, "recorded_at"), "recorded_at"),
                retracted_at=retracted_at,
                retraction_reason=reason if retracted_at else None,
            )
        )
    else:
        raise InvalidInput("type", f"{kind!r} is not a record type; use one of {', '.join(TYPES)}")


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


def _timestamp(value: str | None, field_name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field_name, f"{value!r} is not an ISO 8601 timestamp") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


# --- writing -------------------------------------------------------------------------------


def _returning_insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows in batches and return their ids in order (insertmanyvalues RETURNING)."""
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        result = session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), batch
        )
        ids.extend(int(r[0]) for r in result)
    return ids


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
        existing = self._existing_assertions(
            {claim_ids[text_key(r.claim)] for r in rows} & keys.existing_claims
        )
        seen: set[tuple[Any, ...]] = set()
        new_rows: list[dict[str, Any]] = []
        vias: list[list[int]] = []
        retract: list[dict[str, Any]] = []
        now = utcnow()
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
                self.result.count("assertion", False)
                assertion_id, retracted = existing[key]
                if row.retracted_at is not None and not retracted:
                    retract.append(
                        {
                            "b_id": assertion_id,
                            "b_at": row.retracted_at,
                            "b_reason": row.retraction_reason,
                        }
                    )
                continue
            new_rows.append(
                {
                    "claim_id": key[0],
                    "actor_id": key[1],
                    "stance": key[2],
                    "date": key[3],
                    "date_precision": key[4],
                    "source_id": key[5],
                    "quote": row.quote,
                    "recorded_at": row.recorded_at or now,
                    "retracted_at": row.retracted_at,
                    "retraction_reason": row.retraction_reason,
                }
            )
            vias.append([actor_ids[name_key(v)] for v in row.via])
        ids = _returning_insert(self.session, table_of(Assertion), new_rows)
        self.result.count("assertion", True, len(ids))
        via_rows = [
            {"assertion_id": aid, "position": pos, "actor_id": actor}
            for aid, chain in zip(ids, vias, strict=True)
            for pos, actor in enumerate(chain, start=1)
        ]
        _executemany(self.session, insert(table_of(AssertionVia)), via_rows)
        if retract:
            table = table_of(Assertion)
            _executemany(
                self.session,
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(retracted_at=bindparam("b_at"), retraction_reason=bindparam("b_reason")),
                retract,
            )

    def _existing_assertions(self, claim_ids: set[int]) -> dict[tuple[Any, ...], tuple[int, bool]]:
        found: dict[tuple[Any, ...], tuple[int, bool]] = {}
        ids = sorted(claim_ids)
        table = table_of(Assertion)
        for start in range(0, len(ids), BATCH):
            stmt = select(
                table.c.id,
                table.c.claim_id,
                table.c.actor_id,
                table.c.stance,
                table.c.date,
                table.c.date_precision,
                table.c.source_id,
                table.c.retracted_at,
            ).where(table.c.claim_id.in_(ids[start : start + BATCH]))
            for r in self.session.execute(stmt):
                found[(r.claim_id, r.actor_id, r.stance, r.date, r.date_precision, r.source_id)] = (
                    int(r.id),
                    r.retracted_at is not None,
                )
        return found


def _apply_entities(
    session: Session,
    parsed: Parsed,
    result: ImportResult,
    path: str,
    guard: LookAlikes,
    allow_confusable: bool,
    known_only: bool = False,
) -> None:
    """Actors, sources and sanctions of a JSON Lines file, through the domain functions.
    With ``known_only``, an actor record naming no known actor is refused."""
    close: CloseNames | None = None
    for number, record in parsed.actors:
        try:
            name = record["name"]
            existing = actors_mod.find_actor(session, name)
            if existing is None and known_only:
                close = close or actors_mod.close_names(session)
                meant = actors_mod.meant_names(close, name, allow_confusable=allow_confusable)
                raise InvalidInput("name", unknown_actor(name, meant))
            # Look-alike names first, so that the error names the field.
            owner = name if existing is None else existing.name
            if existing is None:
                _look(guard, name, "name", allow_confusable)
            for alias in record.get("aliases") or []:
                _look(guard, alias, "aliases", allow_confusable, owner)
            if existing is None:
                actors_mod.add_actor(
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
                actors_mod.add_aliases(
                    session,
                    actor=existing,
                    aliases=record.get("aliases") or [],
                    allow_confusable=allow_confusable,
                    guard=guard,
                )
                result.count("actor", False)
        except FactdbError as exc:
            raise _located(exc, path, number) from None
    for number, record in parsed.sources:
        try:
            _, created = get_or_create_source(
                session,
                url=record.get("url"),
                outlet=record.get("outlet"),
                title=record.get("title"),
                published=parse_optional_date(record.get("published"), "published"),
                updated=parse_optional_date(record.get("updated"), "updated"),
                field="url",
            )
            result.count("source", created)
        except FactdbError as exc:
            raise _located(exc, path, number) from None
    for number, record in parsed.sanctions:
        try:
            if find_sanction(session, record["name"]) is not None:
                result.count("sanction", False)
                continue
            add_sanction(
                session,
                name=record["name"],
                authority=record.get("authority"),
                adopted=parse_optional_date(record.get("adopted"), "adopted"),
                target=record.get("target"),
                measures=record.get("measures"),
                url=record.get("url"),
            )
            result.count("sanction", True)
        except FactdbError as exc:
            raise _located(exc, path, number) from None


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
    lines: Iterable[str],
    path: str,
    allow_confusable: bool = False,
    known_actors_only: bool = False,
) -> ImportResult:
    parsed = parse_jsonl(lines, path)
    return apply_parsed(session, parsed, path, allow_confusable, known_actors_only)


def _check_names(
    session: Session,
    guard: LookAlikes,
    rows: list[Row],
    path: str,
    allow: bool,
    known_only: bool,
) -> None:
    """The actors and intermediaries of assertions, new to the database, that look like a
    known name (``LookAlikes``), or with ``known_only`` any of them: refused with their
    line, like the other errors."""
    errors = FileErrors(path)
    close: CloseNames | None = None
    for row in rows:
        for field_name, name in [("actor", row.actor)] + [("via", v) for v in row.via]:
            problem = guard.problem(name, allow=allow)
            if problem is None and known_only and name_key(name) not in guard.keys:
                close = close or actors_mod.close_names(session)
                meant = actors_mod.meant_names(close, name, allow_confusable=allow)
                problem = unknown_actor(name, meant)
            if problem is not None:
                errors.add(InvalidInput(field_name, problem), row.line)
            else:
                guard.remember(name)
    errors.raise_if_any()


def apply_parsed(
    session: Session,
    parsed: Parsed,
    path: str,
    allow_confusable: bool = False,
    known_actors_only: bool = False,
) -> ImportResult:
    result = ImportResult()
    guard = actors_mod.look_alikes(session)
    _apply_entities(session, parsed, result, path, guard, allow_confusable, known_actors_only)
    _check_names(session, guard, parsed.rows, path, allow_confusable, known_actors_only)
    loader = Loader(session, path)
    loader.result = result
    if parsed.claims:
        loader.load_claims(parsed.claims)
    loader.load_assertions(parsed.rows)
    loader.keys.link_claims()
    loader.keys.count(result, named=False)
    result.rows = len(parsed.rows)
    return result
