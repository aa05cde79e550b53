"""JSON Lines import: every record validated before the first write, then written in the
caller's single transaction. JSON Lines carries everything, one record a line with a ``type``:
``actor`` (name, kind, part_of, aliases), ``source`` (url, outlet, title, published,
updated), ``sanction`` (name, authority, adopted, target, measures, url), ``claim`` (text,
tags, violates) and ``assertion`` (claim, actor, stance, date, source_url, outlet, title,
source_published, via, quote, recorded_at, retracted_at, retraction_reason). It is
idempotent on natural keys: records already present are counted, not written again.
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
from factdb.core.hints import LookAlikes
from factdb.core.keys import (
    check_name,
    clean_text,
    name_key,
    normalize_url,
    require_text,
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
    ImportErrors,
    ImportResult,
    Row,
    _Errors,
    _opt_str,
    _source_identity,
    _str_list,
    _timestamp,
)
from factdb.storage.models import (
    Actor,
    ActorKind,
    Assertion,
    AssertionVia,
    Claim,
    ClaimSanction,
    ClaimTag,
    Source,
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
    errors = _Errors(path)
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
    """Resolves rows against the database with caches and writes them in batches."""

    def __init__(self, session: Session, path: str) -> None:
        self.session = session
        self.path = path
        self.result = ImportResult()
        self.actor_ids: dict[str, int] = {}
        for actor_id, key in session.execute(
            select(table_of(Actor).c.id, table_of(Actor).c.name_key)
        ):
            self.actor_ids[key] = int(actor_id)
        for actor_id, key in session.execute(text("SELECT actor_id, alias_key FROM actor_alias")):
            self.actor_ids[key] = int(actor_id)
        self.new_claims: set[int] = set()
        self.claim_keys: set[str] = set()
        self.sanction_ids = {
            key: int(i) for i, key in session.execute(text("SELECT id, name_key FROM sanction"))
        }

    def check_sanctions(self, rows: Iterable[Row]) -> None:
        """Sanctions named in ``violates`` that the database lacks are created by name: the
        CSV format cannot carry their details, and refusing would lose the link."""
        for row in rows:
            for name in row.violates:
                key = name_key(name)
                if key not in self.sanction_ids:
                    sanction = add_sanction(self.session, name=name)
                    assert sanction.id is not None
                    self.sanction_ids[key] = sanction.id
                    self.result.count("sanction", True)

    def ensure_actors(self, names: Iterable[str], count: bool = True) -> None:
        new: dict[str, str] = {}
        known: set[str] = set()
        for name in names:
            key = name_key(name)
            if key in self.actor_ids:
                known.add(key)
            elif key not in new:
                new[key] = name
        if count:
            self.result.count("actor", False, len({self.actor_ids[k] for k in known}))
        if not new:
            return
        rows = [
            {"name": n, "name_key": k, "kind": ActorKind.other.value, "created_at": utcnow()}
            for k, n in new.items()
        ]
        ids = _returning_insert(self.session, table_of(Actor), rows)
        for key, actor_id in zip(new, ids, strict=True):
            self.actor_ids[key] = actor_id
        self.result.count("actor", True, len(new))

    def ensure_claims(self, rows: list[Row]) -> dict[str, int]:
        keys: dict[str, str] = {}
        for row in rows:  # the first spelling of a claim wins, in file order
            keys.setdefault(text_key(row.claim), row.claim)
        known: dict[str, int] = {}
        key_list = list(keys)
        stmt = text("SELECT id, text_key FROM claim WHERE text_key IN :keys").bindparams(
            bindparam("keys", expanding=True)
        )
        for start in range(0, len(key_list), BATCH):
            for cid, key in self.session.execute(stmt, {"keys": key_list[start : start + BATCH]}):
                known[key] = int(cid)
        new = [k for k in key_list if k not in known]
        now = utcnow()
        created = _returning_insert(
            self.session,
            table_of(Claim),
            [{"text": keys[k], "text_key": k, "created_at": now} for k in new],
        )
        known.update(zip(new, created, strict=True))
        self.new_claims.update(created)
        self.claim_keys.update(key_list)
        return known

    def count_claims(self) -> None:
        self.result.new["claim"] = len(self.new_claims)
        self.result.existing["claim"] = len(self.claim_keys) - len(self.new_claims)

    def link_claims(self, rows: list[Row], claim_ids: dict[str, int]) -> None:
        tags: set[tuple[int, str]] = set()
        links: set[tuple[int, int]] = set()
        for row in rows:
            cid = claim_ids[text_key(row.claim)]
            tags.update((cid, t) for t in row.tags)
            links.update((cid, self.sanction_ids[name_key(v)]) for v in row.violates)
        touched = sorted({c for c, _ in tags} | {c for c, _ in links})
        existing_tags: set[tuple[int, str]] = set()
        existing_links: set[tuple[int, int]] = set()
        for start in range(0, len(touched), BATCH):
            chunk = touched[start : start + BATCH]
            if not (set(chunk) - self.new_claims):
                continue
            existing_tags.update(
                (int(c), t)
                for c, t in self.session.execute(
                    text("SELECT claim_id, tag FROM claim_tag WHERE claim_id IN :ids").bindparams(
                        bindparam("ids", expanding=True)
                    ),
                    {"ids": chunk},
                )
            )
            existing_links.update(
                (int(c), int(s))
                for c, s in self.session.execute(
                    text(
                        "SELECT claim_id, sanction_id FROM claim_sanction WHERE claim_id IN :ids"
                    ).bindparams(bindparam("ids", expanding=True)),
                    {"ids": chunk},
                )
            )
        _executemany(
            self.session,
            insert(table_of(ClaimTag)),
            [{"claim_id": c, "tag": t} for c, t in sorted(tags - existing_tags)],
        )
        _executemany(
            self.session,
            insert(table_of(ClaimSanction)),
            [{"claim_id": c, "sanction_id": s} for c, s in sorted(links - existing_links)],
        )

    def ensure_sources(self, rows: list[Row], count: bool = True) -> dict[str, int]:
        first: dict[str, Row] = {}
        for row in rows:
            first.setdefault(row.source_key, row)
        known: dict[str, int] = {}
        key_list = list(first)
        stmt = text("SELECT id, key FROM source WHERE key IN :keys").bindparams(
            bindparam("keys", expanding=True)
        )
        for start in range(0, len(key_list), BATCH):
            for sid, key in self.session.execute(stmt, {"keys": key_list[start : start + BATCH]}):
                known[key] = int(sid)
        if count:
            self.result.count("source", False, len(known))
        new = [k for k in key_list if k not in known]
        now = utcnow()
        records = []
        for key in new:
            row = first[key]
            records.append(
                {
                    "url": row.source_url,
                    "key": key,
                    "outlet": row.outlet,
                    "title": row.title,
                    "published": row.published.start if row.published else None,
                    "published_precision": row.published.precision if row.published else None,
                    "created_at": now,
                }
            )
        known.update(
            zip(new, _returning_insert(self.session, table_of(Source), records), strict=True)
        )
        if count:
            self.result.count("source", True, len(new))
        return known

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

    def load_assertions(self, rows: list[Row], count_sources: bool = True) -> None:
        if not rows:
            return
        self.check_sanctions(rows)
        self.ensure_actors(
            [r.actor for r in rows] + [v for r in rows for v in r.via], count_sources
        )
        claim_ids = self.ensure_claims(rows)
        self.link_claims(rows, claim_ids)
        source_ids = self.ensure_sources(rows, count_sources)
        undated = [r for r in rows if r.date is None]
        if undated:
            dates = self.source_dates(source_ids[r.source_key] for r in undated)
            errors = _Errors(self.path)
            for row in undated:
                row.date = dates.get(source_ids[row.source_key])
                if row.date is None:
                    errors.add(
                        InvalidInput("date", "is required: the source has no publication date"),
                        row.line,
                    )
            errors.raise_if_any()
        existing = self._existing_assertions(
            {claim_ids[text_key(r.claim)] for r in rows} - self.new_claims
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
                self.actor_ids[name_key(row.actor)],
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
            vias.append([self.actor_ids[name_key(v)] for v in row.via])
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
) -> None:
    """Actors, sources and sanctions of a JSON Lines file, through the domain functions."""
    for number, record in parsed.actors:
        try:
            name = record["name"]
            existing = actors_mod.find_actor(session, name)
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
    session: Session, lines: Iterable[str], path: str, allow_confusable: bool = False
) -> ImportResult:
    parsed = parse_jsonl(lines, path)
    return apply_parsed(session, parsed, path, allow_confusable)


def _check_look_alikes(guard: LookAlikes, rows: list[Row], path: str, allow: bool) -> None:
    """The actors and intermediaries of assertions, new to the database, that look like a
    known name (``LookAlikes``): refused with their line, like the other errors."""
    errors = _Errors(path)
    for row in rows:
        for field_name, name in [("actor", row.actor)] + [("via", v) for v in row.via]:
            problem = guard.problem(name, allow=allow)
            if problem is not None:
                errors.add(InvalidInput(field_name, problem), row.line)
            else:
                guard.remember(name)
    errors.raise_if_any()


def apply_parsed(
    session: Session, parsed: Parsed, path: str, allow_confusable: bool = False
) -> ImportResult:
    result = ImportResult()
    guard = actors_mod.look_alikes(session)
    _apply_entities(session, parsed, result, path, guard, allow_confusable)
    _check_look_alikes(guard, parsed.rows, path, allow_confusable)
    loader = Loader(session, path)
    loader.result = result
    if parsed.claims:
        loader.check_sanctions(parsed.claims)
        loader.link_claims(parsed.claims, loader.ensure_claims(parsed.claims))
    loader.load_assertions(parsed.rows, count_sources=False)
    loader.count_claims()
    result.rows = len(parsed.rows)
    return result
