"""The records the main job names and creates: actors by name or alias, sources by URL, claims
by wording, found or created in SQL on any connection (a session's, or the driver's own in a
``storage.writer`` transaction); and the corrections of an actor typed by hand (``actor
rename``, ``actor edit``, ``actor alias``).

These are the writes a user types by hand (``add``, ``actor add``, ``source add``), so they never
import SQLAlchemy: a write command starts as fast as ``show``. The ORM modules
(``domain.actors``, ``domain.sanctions``, the importers) call them with their session; what
they return are plain rows (``ActorRow``, ``SourceRow``), not ORM objects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from factdb.core.dates import PartialDate, stored_date
from factdb.core.errors import Conflict, InvalidInput, NotFound
from factdb.core.hints import CloseNames, LookAlikes, describe_suggestions
from factdb.core.identifiers import WIKIDATA, ExternalId, external_id_or_none
from factdb.core.keys import (
    check_name,
    clean_text,
    confusable_skeleton,
    name_key,
    normalize_url,
    require_text,
    source_key_without_url,
    tag_key,
    text_key,
)
from factdb.core.vocabulary import ActorKind
from factdb.domain.changes import Correction, date_text, period_text
from factdb.queries import actor_by_name, actor_name_pairs, actor_ref, deleted_note, sanction_ref
from factdb.queries.base import Conn
from factdb.queries.identifiers import external_id_owner, scheme_in_use
from factdb.storage.reader import Reader

Record = Literal["actor", "sanction"]


def utcnow() -> dt.datetime:
    """The time a record is created or retracted at (UTC)."""
    return dt.datetime.now(dt.UTC)


def _date(value: dt.date | str | None) -> dt.date | None:
    return None if value is None else stored_date(value)


# --- actors ----------------------------------------------------------------------------------


class Named(Protocol):
    """An actor as the name checks need it: an ``ActorRow`` or an ORM ``Actor``."""

    @property
    def id(self) -> int | None: ...

    @property
    def name(self) -> str: ...


@dataclass
class ActorRow:
    id: int
    name: str
    kind: str
    part_of_id: int | None


ACTOR_COLUMNS = "id, name, kind, part_of_id"


def actor_row(conn: Conn, actor_id: int) -> ActorRow | None:
    row = Reader.of(conn).first(
        f"SELECT {ACTOR_COLUMNS} FROM actor WHERE id = :id", {"id": actor_id}
    )
    return None if row is None else ActorRow(int(row[0]), row[1], row[2], row[3])


def actor_name(conn: Conn, actor_id: int | None) -> str | None:
    """An actor's name; None without an id or for an id no actor has."""
    found = actor_row(conn, actor_id) if actor_id is not None else None
    return None if found is None else found.name


def find_actor(conn: Conn, name: str) -> ActorRow | None:
    """An actor by its name or one of its aliases, case-insensitively
    (``queries.actor_by_name``), else by an external id when ``name`` is one that no name or
    alias is (``wikidata:Q7747``, ``Q7747``); None if unknown."""
    found = actor_by_name(conn, name)
    if found is None:
        ident = external_id_or_none(name)
        owner = None if ident is None else external_id_owner(conn, ident)
        if owner is None or owner[0] != "actor":
            return None
        found = (owner[1], owner[2])
    return actor_row(conn, found[0])


def look_alikes(conn: Conn) -> LookAlikes:
    """Every actor name and alias, by what it looks like (``LookAlikes``)."""
    return LookAlikes(actor_name_pairs(conn))


def close_names(conn: Conn) -> CloseNames:
    """Every actor name and alias, to tell what an unknown name may have meant
    (``CloseNames``)."""
    return CloseNames(actor_name_pairs(conn))


def check_look(guard: LookAlikes, name: str, *, allow: bool, owner: str | None = None) -> None:
    """Refuse a new name that looks like a known one (``LookAlikes.problem``): a ``Conflict``
    naming the known actor. Then remember it, for the next name of the same operation."""
    problem = guard.problem(name, allow=allow, owner=owner)
    if problem is not None:
        raise Conflict(problem)
    guard.remember(name, owner)


def check_alias_free(conn: Conn, alias: str, owner: Named | None) -> bool:
    """``Conflict`` if ``alias`` already names an actor other than ``owner``; True if it
    names ``owner`` already (its name or one of its aliases)."""
    other = actor_by_name(conn, alias)
    if other is not None and (owner is None or other[0] != owner.id):
        raise Conflict(f"'{alias}' already names actor '{other[1]}'")
    return other is not None


def meant_names(
    close: CloseNames, name: str, *, allow_confusable: bool = False
) -> list[tuple[str, str]]:
    """The known names (name or alias, actor) that ``name``, which no actor answers to, may
    have meant: a close typo or a part of one (``CloseNames``). With ``allow_confusable``,
    not those it only looks like: the user said it is another actor."""
    found = close.of(name)
    if allow_confusable:
        skeleton = confusable_skeleton(name)
        found = [pair for pair in found if confusable_skeleton(pair[0]) != skeleton]
    return found


def unknown_actor_message(name: str, field: str, meant: list[tuple[str, str]]) -> str:
    """The one line refusing to invent actor ``name`` while it may mean a known one."""
    return (
        f"{field} '{name}' is no known actor or alias; did you mean "
        f"{describe_suggestions(meant)}? Use the known name, or --new-actor to create "
        f"actor '{name}'"
    )


def unknown_id_problem(conn: Conn, name: str, field: str) -> str | None:
    """Why a new actor may not be called ``name``, which no actor answers to: it is an
    identifier (of Wikidata, or of a scheme some record has an identifier of) that
    identifies no actor, so it was surely meant as one. None if it may be a name
    (``Reuters: Moscow bureau``)."""
    ident = external_id_or_none(name)
    if ident is None:
        return None
    if ident.scheme != WIKIDATA and not scheme_in_use(conn, ident.scheme):
        return None
    owner = external_id_owner(conn, ident)
    where = f" (it identifies {owner[0]} '{owner[2]}')" if owner is not None else ""
    return (
        f"{field} '{name}' is the external id {ident}, which identifies no actor{where}; "
        f"give the actor's name, or record the id with `factdb actor identify NAME {ident}`"
    )


def insert_actor(conn: Conn, name: str, kind: str, part_of_id: int | None = None) -> ActorRow:
    """A new actor row (the name checked by the caller)."""
    new_id = Reader.of(conn).insert(
        "INSERT INTO actor (name, name_key, kind, part_of_id, created_at) "
        "VALUES (:name, :key, :kind, :parent, :at) RETURNING id",
        {"name": name, "key": name_key(name), "kind": kind, "parent": part_of_id, "at": utcnow()},
    )
    return ActorRow(new_id, name, kind, part_of_id)


@dataclass
class ResolvedActor:
    actor: ActorRow
    created: bool
    meant: list[tuple[str, str]]
    """For an actor created with ``new_actor``: the known names it was close to."""


def resolve_actor(
    conn: Conn,
    name: str,
    field: str,
    *,
    kind: ActorKind = ActorKind.other,
    allow_confusable: bool = False,
    new_actor: bool = False,
    close: CloseNames | None = None,
) -> ResolvedActor:
    """The actor ``name`` names (name or alias), else a new one, unless the name looks like a
    known one (``LookAlikes``; ``Conflict`` unless ``allow_confusable``) or may mean one: a
    close typo or a part of a known name (``meant_names``; ``Conflict`` naming them unless
    ``new_actor``). A new name close to nothing is created. ``close`` is the known names
    to compare with (by default, those in the database now)."""
    text = check_name(name, field)
    actor = find_actor(conn, text)
    if actor is not None:
        return ResolvedActor(actor, False, [])
    id_problem = unknown_id_problem(conn, text, field)
    if id_problem is not None:
        raise Conflict(id_problem)
    check_look(look_alikes(conn), text, allow=allow_confusable)
    meant = meant_names(
        close if close is not None else close_names(conn),
        text,
        allow_confusable=allow_confusable,
    )
    if meant and not new_actor:
        raise Conflict(unknown_actor_message(text, field, meant))
    return ResolvedActor(insert_actor(conn, text, kind.value), True, meant)


def add_actor(
    conn: Conn,
    *,
    name: str,
    kind: ActorKind = ActorKind.other,
    part_of: str | None = None,
    aliases: list[str] | None = None,
    allow_confusable: bool = False,
    guard: LookAlikes | None = None,
) -> ActorRow:
    """Create an actor; ``Conflict`` if the name is taken by an actor or an alias, or if it
    or an alias looks like a known name (``LookAlikes``) unless ``allow_confusable``.
    ``guard`` is the known names when a caller adds many actors."""
    text = check_name(name, "NAME")
    existing = find_actor(conn, text)
    if existing is not None:
        raise Conflict(f"actor '{text}' already exists (as '{existing.name}', id {existing.id})")
    parent_id = actor_ref(conn, part_of)[0] if part_of else None
    checked_aliases = [check_name(a, "--alias") for a in aliases or []]
    for alias in checked_aliases:
        if name_key(alias) != name_key(text):
            check_alias_free(conn, alias, None)
    guard = guard if guard is not None else look_alikes(conn)
    check_look(guard, text, allow=allow_confusable)
    for alias in checked_aliases:
        check_look(guard, alias, allow=allow_confusable, owner=text)
    actor = insert_actor(conn, text, kind.value, parent_id)
    add_aliases(conn, actor=actor, aliases=checked_aliases, guard=guard)
    return actor


def add_aliases(
    conn: Conn,
    *,
    actor: Named,
    aliases: list[str],
    allow_confusable: bool = False,
    guard: LookAlikes | None = None,
) -> list[str]:
    """Add aliases; those the actor already answers to are skipped. Returns those added.
    An alias that looks like another actor's name is refused as in ``add_actor``."""
    added: list[str] = []
    assert actor.id is not None
    r = Reader.of(conn)
    for alias in aliases:
        text = check_name(alias, "ALIAS")
        if check_alias_free(r, text, actor):
            continue
        if guard is None:
            guard = look_alikes(r)
        check_look(guard, text, allow=allow_confusable, owner=actor.name)
        r.run(
            "INSERT INTO actor_alias (actor_id, alias, alias_key) VALUES (:actor, :alias, :key)",
            {"actor": actor.id, "alias": text, "key": name_key(text)},
        )
        added.append(text)
    return added


def _actor_correction(r: Reader, ref: str) -> tuple[ActorRow, Correction]:
    found = actor_row(r, actor_ref(r, ref)[0])
    assert found is not None
    return found, Correction("actor", found.id, found.name)


def rename(
    conn: Conn,
    *,
    ref: str,
    new_name: str,
    keep_alias: bool = False,
    allow_confusable: bool = False,
) -> Correction:
    """Give an actor another name; its key (``name_key``) follows. A name that is another
    actor's name or alias is a ``Conflict`` (``actor merge`` makes two actors one), and so
    is one that looks like another actor's (``LookAlikes``) unless ``allow_confusable``. The
    old name stays as an alias only with ``keep_alias``; a name that was one of the actor's
    aliases stops being an alias."""
    r = Reader.of(conn)
    actor, result = _actor_correction(r, ref)
    text = check_name(new_name, "NEW")
    if text == actor.name:
        return result
    old_name, old_key, key = actor.name, name_key(actor.name), name_key(text)
    aliases_before = aliases_of(r, actor.id)
    if key != old_key:
        owner = actor_by_name(r, text)
        if owner is not None and owner[0] != actor.id:
            raise Conflict(
                f"'{text}' already names actor '{owner[1]}' (id {owner[0]}); to make them "
                f"one actor, use `factdb actor merge`"
            )
        others = [(n, a) for n, a in actor_name_pairs(r) if name_key(a) != old_key]
        check_look(LookAlikes(others), text, allow=allow_confusable)
        r.run(
            "DELETE FROM actor_alias WHERE actor_id = :id AND alias_key = :key",
            {"id": actor.id, "key": key},
        )
    r.run(
        "UPDATE actor SET name = :name, name_key = :key WHERE id = :id",
        {"name": text, "key": key, "id": actor.id},
    )
    if key == old_key:
        pass  # only the spelling changed: there is no other name to keep
    elif keep_alias:
        r.run(
            "INSERT INTO actor_alias (actor_id, alias, alias_key) VALUES (:id, :alias, :key)",
            {"id": actor.id, "alias": old_name, "key": old_key},
        )
        result.notes.append(f"'{old_name}' is kept as an alias")
    else:
        result.notes.append(
            f"'{old_name}' no longer names this actor (--keep-alias keeps it as an alias)"
        )
    result.label = text
    result.change("name", old_name, text)
    result.change("aliases", aliases_before, aliases_of(r, actor.id))
    return result


def set_kind(conn: Conn, *, ref: str, kind: ActorKind) -> Correction:
    """Correct an actor's kind."""
    r = Reader.of(conn)
    actor, result = _actor_correction(r, ref)
    result.change("kind", actor.kind, kind.value)
    r.run("UPDATE actor SET kind = :kind WHERE id = :id", {"kind": kind.value, "id": actor.id})
    return result


def aliases_of(conn: Conn, actor_id: int) -> list[str]:
    """An actor's aliases, in alphabetical order."""
    return [
        str(alias)
        for (alias,) in Reader.of(conn).rows(
            "SELECT alias FROM actor_alias WHERE actor_id = :id ORDER BY alias", {"id": actor_id}
        )
    ]


def date_aliases(
    conn: Conn,
    *,
    actor: Named,
    aliases: list[str],
    since: PartialDate | None,
    until: PartialDate | None,
) -> list[str]:
    """Give aliases of ``actor`` the period they were in use (``--from``/``--until``; an
    alias resolves at all times, the dates say when it was used). Returns a note per alias
    whose dates changed."""
    if since is not None and until is not None and since.start >= until.start:
        raise InvalidInput("--until", f"must be after --from ({since})")
    r = Reader.of(conn)
    notes = []
    for alias in aliases:
        row = r.first(
            "SELECT id, alias, since, since_precision, until, until_precision FROM actor_alias "
            "WHERE actor_id = :actor AND alias_key = :key",
            {"actor": actor.id, "key": name_key(alias)},
        )
        if row is None:
            raise InvalidInput("ALIAS", f"'{alias}' is the actor's name, not one of its aliases")
        alias_id, text, *dates = row
        start, start_p, end, end_p = dates
        old = period_text(date_text(start, start_p), date_text(end, end_p))
        if since is not None:
            start, start_p = since.start, since.precision
        if until is not None:
            end, end_p = until.start, until.precision
        new = period_text(date_text(start, start_p), date_text(end, end_p))
        if new != old:
            r.run(
                "UPDATE actor_alias SET since = :since, since_precision = :since_p, "
                "until = :until, until_precision = :until_p WHERE id = :id",
                {
                    "since": start,
                    "since_p": start_p,
                    "until": end,
                    "until_p": end_p,
                    "id": alias_id,
                },
            )
            notes.append(f"alias '{text}' in use {new}" + (f" (was: {old})" if old else ""))
    return notes


def taken_message(ident: ExternalId, owner: tuple[str, int, str]) -> str:
    """The one line refusing to give ``ident`` to a record while ``owner`` has it."""
    kind, owner_id, name = owner
    return f"{ident} already identifies {kind} '{name}' (id {owner_id})"


def attach_external_id(conn: Conn, record: Record, record_id: int, ident: ExternalId) -> bool:
    """Give the actor or sanction ``record_id`` the identifier ``ident``: True when added,
    False when it has it already; ``Conflict`` (``taken_message``) when another record has
    it."""
    owner = external_id_owner(conn, ident)
    if owner is not None:
        if owner[0] == record and owner[1] == record_id:
            return False
        raise Conflict(taken_message(ident, owner))
    Reader.of(conn).run(
        "INSERT INTO external_id (actor_id, sanction_id, scheme, value, created_at) "
        "VALUES (:actor, :sanction, :scheme, :value, :at)",
        {
            "actor": record_id if record == "actor" else None,
            "sanction": record_id if record == "sanction" else None,
            "scheme": ident.scheme,
            "value": ident.value,
            "at": utcnow(),
        },
    )
    return True


# --- sources ---------------------------------------------------------------------------------


@dataclass
class SourceRow:
    id: int
    url: str | None
    key: str
    outlet: str | None
    outlet_id: int | None
    title: str | None
    published: dt.date | None
    published_precision: str | None
    updated: dt.date | None
    updated_precision: str | None


SOURCE_COLUMNS = (
    "id, url, key, outlet, outlet_id, title, published, published_precision, updated, "
    "updated_precision"
)


def _source(row: tuple[Any, ...]) -> SourceRow:
    ident, url, key, outlet, outlet_id, title, published, pub_p, updated, upd_p = row
    return SourceRow(
        int(ident),
        url,
        key,
        outlet,
        outlet_id,
        title,
        _date(published),
        pub_p,
        _date(updated),
        upd_p,
    )


def get_or_create_source(
    conn: Conn,
    *,
    url: str | None,
    outlet: str | None = None,
    title: str | None = None,
    published: PartialDate | None = None,
    updated: PartialDate | None = None,
    field: str = "--source",
    new_only: bool = False,
) -> tuple[SourceRow, bool]:
    """Find a source by its natural key or create it. Details given for an existing source
    fill its empty fields and never overwrite what is there. ``new_only`` (``factdb source
    add``): an existing source is a ``Conflict`` instead, and is left untouched."""
    outlet = clean_text(outlet, "--outlet", required=False, single_line=True)
    title = clean_text(title, "--title", required=False, single_line=True)
    if url:
        display, key = normalize_url(url, field)
    else:
        if not (outlet or title):
            raise InvalidInput(field, "a source needs a URL, or an outlet and a title")
        display = None
        key = source_key_without_url(outlet, title, str(published) if published else None)
    r = Reader.of(conn)
    row = r.first(f"SELECT {SOURCE_COLUMNS} FROM source WHERE key = :key", {"key": key})
    if row is not None:
        source = _source(row)
        if new_only:
            raise Conflict(f"source already recorded as id {source.id}")
        filled: dict[str, Any] = {}
        for attr, value in (("outlet", outlet), ("title", title)):
            if value and not getattr(source, attr):
                filled[attr] = value
        for attr, pdate in (("published", published), ("updated", updated)):
            if pdate is not None and getattr(source, attr) is None:
                filled[attr] = pdate.start
                filled[f"{attr}_precision"] = pdate.precision
        if filled:
            for attr, value in filled.items():
                setattr(source, attr, value)
            sets = ", ".join(f"{attr} = :{attr}" for attr in filled)
            r.run(f"UPDATE source SET {sets} WHERE id = :id", {**filled, "id": source.id})
        return source, False
    source_id = r.insert(
        "INSERT INTO source (url, key, outlet, title, published, published_precision, updated, "
        "updated_precision, created_at) VALUES (:url, :key, :outlet, :title, :published, "
        ":published_precision, :updated, :updated_precision, :at) RETURNING id",
        {
            "url": display,
            "key": key,
            "outlet": outlet,
            "title": title,
            "published": published.start if published else None,
            "published_precision": published.precision if published else None,
            "updated": updated.start if updated else None,
            "updated_precision": updated.precision if updated else None,
            "at": utcnow(),
        },
    )
    source = SourceRow(
        source_id,
        display,
        key,
        outlet,
        None,
        title,
        published.start if published else None,
        published.precision if published else None,
        updated.start if updated else None,
        updated.precision if updated else None,
    )
    return source, True


def resolve_outlet(
    conn: Conn,
    name: str,
    *,
    field: str = "--outlet",
    new_actor: bool = False,
    allow_confusable: bool = False,
    close: CloseNames | None = None,
) -> ResolvedActor:
    """The actor an outlet name names, as ``add --by`` finds a speaker (``resolve_actor``): its
    name or an alias; a name that may mean a known actor (a close typo, a part of a known
    name) is a ``Conflict`` naming them unless ``new_actor``; a name close to nothing becomes
    a new actor of kind ``media``."""
    return resolve_actor(
        conn,
        name,
        field,
        kind=ActorKind.media,
        allow_confusable=allow_confusable,
        new_actor=new_actor,
        close=close,
    )


def new_outlet_note(found: ResolvedActor) -> str:
    """What to say of an outlet actor just created: ``new actor 'Reuters' (media, the
    source's outlet)``, with the known names it is close to when ``--new-actor`` insisted."""
    close = f"; --new-actor; close to {describe_suggestions(found.meant)}" if found.meant else ""
    return f"new actor '{found.actor.name}' (media, the source's outlet{close})"


def link_outlet(
    conn: Conn,
    source: SourceRow,
    given: str | None,
    *,
    new_actor: bool = False,
    allow_confusable: bool = False,
    close: CloseNames | None = None,
) -> ResolvedActor | None:
    """Make the outlet ``given`` in this command the source's outlet actor
    (``resolve_outlet``), when the source took it (a new source, or a known one whose empty
    outlet it filled) and has no outlet actor yet. None when there was nothing to link."""
    text = clean_text(given, "--outlet", required=False, single_line=True)
    if not text or source.outlet != text or source.outlet_id is not None:
        return None
    found = resolve_outlet(
        conn, text, new_actor=new_actor, allow_confusable=allow_confusable, close=close
    )
    source.outlet_id = found.actor.id
    Reader.of(conn).run(
        "UPDATE source SET outlet_id = :outlet WHERE id = :id",
        {"outlet": found.actor.id, "id": source.id},
    )
    return found


@dataclass
class SourceResult:
    source: SourceRow
    outlet: ResolvedActor | None
    """The outlet's actor, when the source has an outlet."""
    notes: list[str]


def add_source(
    conn: Conn,
    *,
    url: str,
    outlet: str | None = None,
    title: str | None = None,
    published: PartialDate | None = None,
    updated: PartialDate | None = None,
    new_actor: bool = False,
    allow_confusable: bool = False,
) -> SourceResult:
    """Record a new source (``factdb source add``): a known one is a ``Conflict``. Its outlet
    is an actor (``link_outlet``); ``notes`` says when one was created."""
    source, _ = get_or_create_source(
        conn,
        url=url,
        outlet=outlet,
        title=title,
        published=published,
        updated=updated,
        field="URL",
        new_only=True,
    )
    found = link_outlet(
        conn, source, outlet, new_actor=new_actor, allow_confusable=allow_confusable
    )
    notes = [new_outlet_note(found)] if found is not None and found.created else []
    return SourceResult(source, found, notes)


# --- claims ----------------------------------------------------------------------------------


def find_claim_id(conn: Conn, text: str) -> int | None:
    """The claim worded ``text`` (by its natural key, ``text_key``); None if none is."""
    found = Reader.of(conn).scalar(
        "SELECT id FROM claim WHERE text_key = :key", {"key": text_key(text)}
    )
    return None if found is None else int(found)


def claim_text(conn: Conn, claim_id: int) -> str:
    """A claim's wording; ``NotFound`` (saying where it went, when it was deleted or merged)
    if there is no claim ``claim_id``."""
    r = Reader.of(conn)
    text = (
        r.scalar("SELECT text FROM claim WHERE id = :id", {"id": claim_id})
        if r.holds_id(claim_id)
        else None
    )
    if text is None:
        gone = deleted_note(r, "claim", claim_id)
        raise NotFound("claim", claim_id, gone or "see `factdb list`")
    return str(text)


def get_or_create_claim(conn: Conn, text: str, field: str = "TEXT") -> tuple[int, bool]:
    """The id of the claim worded ``text`` (its natural key), created if new; and whether it
    was."""
    clean = require_text(text, field)
    found = find_claim_id(conn, clean)
    if found is not None:
        return found, False
    new_id = Reader.of(conn).insert(
        "INSERT INTO claim (text, text_key, created_at) VALUES (:text, :key, :at) RETURNING id",
        {"text": clean, "key": text_key(clean), "at": utcnow()},
    )
    return new_id, True


def tag_claim(conn: Conn, claim_id: int, tags: list[str]) -> list[str]:
    """Tag a claim; returns the tags (as keys) it did not have before, in the order given."""
    r = Reader.of(conn)
    added = []
    for tag in tags:
        key = tag_key(tag)
        params = {"claim": claim_id, "tag": key}
        if r.first("SELECT 1 FROM claim_tag WHERE claim_id = :claim AND tag = :tag", params):
            continue
        r.run("INSERT INTO claim_tag (claim_id, tag) VALUES (:claim, :tag)", params)
        added.append(key)
    return added


def link_sanctions(conn: Conn, claim_id: int, names: list[str]) -> list[str]:
    """Link the claim to these sanctions (by name or alias); returns the names of those
    newly linked, as recorded, in the order given."""
    r = Reader.of(conn)
    linked = []
    for name in names:
        sanction_id, sanction = sanction_ref(r, name)
        params = {"claim": claim_id, "sanction": sanction_id}
        if r.first(
            "SELECT 1 FROM claim_sanction WHERE claim_id = :claim AND sanction_id = :sanction",
            params,
        ):
            continue
        r.run(
            "INSERT INTO claim_sanction (claim_id, sanction_id) VALUES (:claim, :sanction)", params
        )
        linked.append(sanction)
    return linked
