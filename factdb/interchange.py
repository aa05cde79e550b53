"""JSON Lines interchange: one record a line with a ``type`` field (DESIGN.md).

Record types, in dependency order: ``actor`` (name, kind, part_of, aliases), ``source`` (url,
outlet, title, published, updated), ``sanction`` (name, authority, adopted, target, measures,
url), ``claim`` (text, tags, violates) and ``assertion`` (claim, actor, stance, date,
source_url, via, quote, retracted_at, retraction_reason). Loading is idempotent on natural
keys and runs in the caller's single transaction: any error means nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from factdb import actors as actors_mod
from factdb.claims import add_assertion, get_or_create_claim, link_sanctions, tag_claim
from factdb.errors import FactdbError, InvalidInput
from factdb.keys import require_text
from factdb.models import Assertion
from factdb.sanctions import add_sanction, find_sanction
from factdb.sources import get_or_create_source
from factdb.values import parse_kind, parse_optional_date, parse_stance

TYPES = ("actor", "source", "sanction", "claim", "assertion")


@dataclass
class ImportResult:
    new: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    existing: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))

    def count(self, kind: str, created: bool) -> None:
        (self.new if created else self.existing)[kind] += 1


def _str_list(record: dict[str, Any], key: str, where: InvalidInput) -> list[str]:
    value = record.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        where.field, where.reason = key, "must be a list of strings"
        raise where
    return value


def _opt_str(record: dict[str, Any], key: str, where: InvalidInput) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        where.field, where.reason = key, "must be a string or null"
        raise where
    return value


def load_jsonl(session: Session, lines: Iterable[str], path: str) -> ImportResult:
    """Load JSON Lines records; errors name ``path:line``. Blank lines are skipped."""
    result = ImportResult()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidInput("json", exc.msg, path, number, exc.colno) from None
        if not isinstance(record, dict):
            raise InvalidInput("json", "each line must be a JSON object", path, number)
        try:
            _load_record(session, record, result, path, number)
        except InvalidInput as exc:
            if exc.path is None:
                exc.path, exc.line = path, number
            raise
        except FactdbError as exc:
            raise InvalidInput(str(record.get("type")), str(exc), path, number) from None
    return result


def _load_record(
    session: Session, record: dict[str, Any], result: ImportResult, path: str, number: int
) -> None:
    kind = record.get("type")
    here = InvalidInput("type", "", path, number)
    if kind == "actor":
        name = require_text(_opt_str(record, "name", here), "name", single_line=True)
        existing = actors_mod.find_actor(session, name)
        aliases = _str_list(record, "aliases", here)
        if existing is None:
            actors_mod.add_actor(
                session,
                name=name,
                kind=parse_kind(record.get("kind") or "other", "kind"),
                part_of=_opt_str(record, "part_of", here),
                aliases=aliases,
            )
            result.count("actor", True)
        else:
            actors_mod.add_aliases(session, actor=existing, aliases=aliases)
            result.count("actor", False)
    elif kind == "source":
        _, created = get_or_create_source(
            session,
            url=_opt_str(record, "url", here),
            outlet=_opt_str(record, "outlet", here),
            title=_opt_str(record, "title", here),
            published=parse_optional_date(_opt_str(record, "published", here), "published"),
            updated=parse_optional_date(_opt_str(record, "updated", here), "updated"),
            field="url",
        )
        result.count("source", created)
    elif kind == "sanction":
        name = require_text(_opt_str(record, "name", here), "name", single_line=True)
        if find_sanction(session, name) is not None:
            result.count("sanction", False)
            return
        add_sanction(
            session,
            name=name,
            authority=_opt_str(record, "authority", here),
            adopted=parse_optional_date(_opt_str(record, "adopted", here), "adopted"),
            target=_opt_str(record, "target", here),
            measures=_opt_str(record, "measures", here),
            url=_opt_str(record, "url", here),
        )
        result.count("sanction", True)
    elif kind == "claim":
        claim, created = get_or_create_claim(session, _opt_str(record, "text", here) or "", "text")
        tag_claim(session, claim, _str_list(record, "tags", here))
        link_sanctions(session, claim, _str_list(record, "violates", here), "violates")
        result.count("claim", created)
    elif kind == "assertion":
        added = add_assertion(
            session,
            text=_opt_str(record, "claim", here) or "",
            by=_opt_str(record, "actor", here) or "",
            stance=parse_stance(_opt_str(record, "stance", here) or "", "stance"),
            source_url=_opt_str(record, "source_url", here) or "",
            date=parse_optional_date(_opt_str(record, "date", here), "date"),
            quote=_opt_str(record, "quote", here),
            via=_str_list(record, "via", here),
            tags=_str_list(record, "tags", here),
            violates=_str_list(record, "violates", here),
        )
        result.count("assertion", added.assertion_created)
        retracted_at = _opt_str(record, "retracted_at", here)
        if retracted_at and added.assertion_created:
            reason = require_text(_opt_str(record, "retraction_reason", here), "retraction_reason")
            try:
                when = dt.datetime.fromisoformat(retracted_at)
            except ValueError:
                raise InvalidInput(
                    "retracted_at", f"{retracted_at!r} is not an ISO timestamp", path, number
                ) from None
            assertion = (
                session.execute(select(Assertion).where(col(Assertion.id) == added.assertion_id))
                .scalars()
                .one()
            )
            assertion.retracted_at = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
            assertion.retraction_reason = reason
            session.add(assertion)
            session.flush()
    else:
        allowed = ", ".join(TYPES)
        raise InvalidInput(
            "type", f"{kind!r} is not a record type; use one of {allowed}", path, number
        )
