"""FollowTheMoney (FtM) export and import (docs/design.md, FollowTheMoney): actors as
Person / Organization / PublicBody / LegalEntity entities, memberships as Membership, and
each target of a sanction as one Sanction entity, one JSON object a line, as the ``ftm``
tools and OpenSanctions write them.

The library ``followthemoney`` is the optional extra ``ftm`` (``pip install 'factdb[ftm]'``)
and is imported only here, inside the functions that need it (``load_model``), so that no
other command pays for it or needs it.

The import validates every line first (nothing is written while any line is wrong), then
matches each entity to an actor by its ids, then by its names, and writes in the caller's
one transaction. The writes go through the few small functions under "writing" below:
they are the place to call the domain functions for external ids, memberships with dates
and sanction targets once those exist."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import select
from sqlmodel import Session, col

from factdb.core.dates import PartialDate
from factdb.core.errors import Conflict, InvalidInput, MessageError
from factdb.core.keys import check_name, clean_text, name_key, normalize_url
from factdb.core.values import parse_date
from factdb.domain.memberships import MembershipResult, add_ended_membership, set_membership
from factdb.domain.records import look_alikes
from factdb.interchange.common import FileErrors, ImportResult, decode, json_lines
from factdb.queries.base import Conn
from factdb.queries.ftm import (
    ftm_data,
    ftm_index,
    parents,
    sanction_targets,
    taken_external_ids,
)
from factdb.storage.models import (
    Actor,
    ActorAlias,
    Sanction,
    SanctionTarget,
)

if TYPE_CHECKING:
    from followthemoney import EntityProxy, Model

INSTALL_HINT = "pip install 'factdb[ftm]'"
ID_PREFIX = "factdb-"
"""The ids factdb makes (``entity_id``): derived from natural keys, never stored on import."""
ID_SCHEMES = ("ftm", "opensanctions")
"""The schemes under which an FtM entity id is kept as an external id."""

SCHEMA_OF_KIND = {
    "state": "PublicBody",
    "government": "PublicBody",
    "person": "Person",
    "media": "Organization",
    "organization": "Organization",
    "other": "LegalEntity",
}
"""The FtM schema of each actor kind (docs/design.md, FollowTheMoney)."""
STATE_FORM = "state"
"""``legalForm`` of the PublicBody of a state (a government's PublicBody has none)."""
MEDIA_SECTOR = "media"
"""``sector`` of the Organization of a media actor."""
NAME_PROPS = ("name", "alias", "previousName")
"""The names of an entity that the import records: its name, the others as aliases."""
READ_PROPS = frozenset(
    {
        *NAME_PROPS,
        "wikidataId",
        "legalForm",
        "sector",
        "member",
        "organization",
        "startDate",
        "endDate",
        "entity",
        "program",
        "programId",
        "authority",
        "provisions",
        "sourceUrl",
        "date",
        "listingDate",
    }
)
"""The properties the import reads: each value of them must be valid for its type."""
FTM_TYPES = ("actor", "membership", "sanction", "target", "external_id")
"""What an FtM import counts, in the order its summary lists them."""


class MissingExtra(MessageError):
    """The optional dependency ``followthemoney`` is not installed."""


def load_model() -> Model:
    """FtM's model (the library's singleton); ``MissingExtra`` without the extra."""
    try:
        from followthemoney import model
    except ImportError:
        raise MissingExtra(
            f"FollowTheMoney needs the followthemoney library: {INSTALL_HINT}"
        ) from None
    return model


def entity_id(*parts: str) -> str:
    """A deterministic FtM id from natural keys: ``factdb-`` and a SHA-1 of the parts
    (``followthemoney.util.make_entity_id``)."""
    from followthemoney.util import make_entity_id

    made = make_entity_id(*parts)
    assert made is not None
    return ID_PREFIX + made


# --- export --------------------------------------------------------------------------------


@dataclass
class FtmExport:
    count: int = 0
    notes: list[str] = field(default_factory=list)


def export_ftm(conn: Conn, out: TextIO) -> FtmExport:
    """Every actor, membership and sanction target as FtM entities, one JSON object a line:
    actors by name, then memberships, then sanction targets, each in the order of its
    natural keys; returns the count and notes on what FtM cannot hold."""
    model = load_model()
    data = ftm_data(conn)
    result = FtmExport()

    def emit(entity: EntityProxy, extra: dict[str, Any] | None = None) -> None:
        record = entity.to_dict()
        if extra:
            record.update(extra)
        out.write(json.dumps(record, ensure_ascii=False, sort_keys=True))
        out.write("\n")
        result.count += 1

    keys = {actor.id: actor.key for actor in data.actors}
    ids: dict[int, str] = {}
    schemata: dict[int, str] = {}
    names: dict[int, str] = {}
    other_ids = 0
    for actor in data.actors:
        schema = SCHEMA_OF_KIND.get(actor.kind, "LegalEntity")
        entity = model.make_entity(schema)
        entity.id = ids[actor.id] = entity_id("actor", actor.key)
        schemata[actor.id] = schema
        names[actor.id] = actor.name
        entity.add("name", actor.name)
        entity.add("alias", actor.aliases)
        if actor.kind == "state":
            entity.add("legalForm", STATE_FORM)
        elif actor.kind == "media":
            entity.add("sector", MEDIA_SECTOR)
        referents: list[str] = []
        for scheme, value in actor.ids:
            if scheme == "wikidata" and _valid(model, "Person", "wikidataId", value):
                entity.add("wikidataId", value)
            elif scheme in ID_SCHEMES and _valid_id(value):
                referents.append(value)
            else:
                other_ids += 1
        emit(entity, {"referents": sorted(set(referents))} if referents else None)
    if other_ids:
        result.notes.append(
            f"{other_ids} external ids of other schemes than wikidata, ftm and opensanctions "
            "are not written: FtM has no property for them"
        )

    not_organizations: list[str] = []
    for membership in data.memberships:
        parent_schema = model[schemata[membership.parent_id]]
        if not parent_schema.is_a("Organization"):
            not_organizations.append(
                f"'{names[membership.actor_id]}' part of '{names[membership.parent_id]}'"
            )
            continue
        child, parent = ids[membership.actor_id], ids[membership.parent_id]
        entity = model.make_entity("Membership")
        entity.id = entity_id(
            "membership",
            keys[membership.actor_id],
            keys[membership.parent_id],
            membership.since or "",
            membership.until or "",
        )
        entity.add("member", child)
        entity.add("organization", parent)
        if membership.since:
            entity.add("startDate", membership.since)
        if membership.until:
            entity.add("endDate", membership.until)
        emit(entity)
    if not_organizations:
        result.notes.append(
            f"{len(not_organizations)} memberships are not written: FtM's Membership needs an "
            "organization, state or government as the whole ("
            + ", ".join(not_organizations[:3])
            + (", …" if len(not_organizations) > 3 else "")
            + ")"
        )

    long_programmes = 0
    for d in data.designations:
        entity = model.make_entity("Sanction")
        entity.id = entity_id("sanction", d.sanction_key, keys[d.actor_id])
        entity.add("entity", ids[d.actor_id])
        entity.add("program", d.sanction)
        if d.programme:
            if _valid(model, "Sanction", "programId", d.programme):
                entity.add("programId", d.programme)
            else:
                long_programmes += 1
        if d.authority:
            entity.add("authority", d.authority)
        if d.measures:
            entity.add("provisions", d.measures)
        if d.url:
            entity.add("sourceUrl", d.url)
        if d.adopted:
            entity.add("date", d.adopted)
        if d.listed:
            entity.add("listingDate", d.listed)
            entity.add("startDate", d.listed)
        if d.delisted:
            entity.add("endDate", d.delisted)
        emit(entity)
    if long_programmes:
        result.notes.append(
            f"{long_programmes} programmes longer than FtM's programId allows are not written"
        )
    if data.untargeted:
        shown = ", ".join(f"'{n}'" for n in data.untargeted[:3])
        more = ", …" if len(data.untargeted) > 3 else ""
        result.notes.append(
            f"{len(data.untargeted)} sanctions without a target are not written (FtM's "
            f"Sanction names the entity it targets): {shown}{more}"
        )
    return result


def _valid(model: Model, schema: str, prop: str, value: str) -> bool:
    return model[schema].properties[prop].validate([value]) is None


def _valid_id(value: str) -> bool:
    from followthemoney.types import registry

    return bool(registry.entity.validate(value))


# --- reading -------------------------------------------------------------------------------


@dataclass
class EntityRecord:
    """An FtM entity that becomes an actor."""

    line: int
    id: str
    scheme: str
    kind: str
    names: list[str]
    """Its ``name`` values first, then ``alias`` and ``previousName``: the first is the name
    of an actor it creates, the others its aliases."""
    matching: list[str]
    """Its ``name`` values: the names it is matched by (its aliases are not)."""
    referents: list[str]
    wikidata: list[str]


@dataclass
class MembershipRecord:
    line: int
    member: str
    organization: str
    since: PartialDate | None
    until: PartialDate | None


@dataclass
class TargetRecord:
    """A Sanction entity: one target of a sanction."""

    line: int
    target: str
    name: str
    authority: str | None
    programme: str | None
    measures: str | None
    url: str | None
    adopted: PartialDate | None
    listed: PartialDate | None
    delisted: PartialDate | None


@dataclass
class ParsedFtm:
    entities: list[EntityRecord] = field(default_factory=list)
    memberships: list[MembershipRecord] = field(default_factory=list)
    targets: list[TargetRecord] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    """Entities of schemata the import does not read, by schema."""
    skipped_ids: set[str] = field(default_factory=set)


def parse_ftm(lines: Iterable[str], path: str) -> ParsedFtm:
    """Every line checked with FtM's model; ``ImportErrors`` naming file, line and field."""
    model = load_model()
    errors = FileErrors(path)
    parsed = ParsedFtm()
    for number, _, record in json_lines(lines, errors):
        try:
            _entity(model, record, number, parsed)
        except InvalidInput as exc:
            errors.add(exc, number)
    errors.raise_if_any()
    return parsed


def _entity(model: Model, record: Any, number: int, parsed: ParsedFtm) -> None:
    from followthemoney.exc import InvalidData

    if not isinstance(record, dict):
        raise InvalidInput("json", "each line must be a JSON object (an FtM entity)")
    entity_id_ = record.get("id")
    if not isinstance(entity_id_, str) or not _valid_id(entity_id_):
        raise InvalidInput("id", f"{entity_id_!r} is not an FtM entity id")
    schema_name = record.get("schema")
    if not isinstance(schema_name, str) or not schema_name:
        raise InvalidInput("schema", "is missing; every FtM entity has a schema")
    properties = record.get("properties", {})
    if not isinstance(properties, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in properties.values()
    ):
        raise InvalidInput("properties", "must map each property to a list of strings")
    schema = model.get(schema_name)
    if schema is None or not (
        schema.is_a("LegalEntity") or schema.name in ("Membership", "Sanction")
    ):
        parsed.skipped[schema_name] += 1
        parsed.skipped_ids.add(entity_id_)
        return
    for prop_name, values in properties.items():
        prop = schema.get(prop_name)
        if prop is None or prop.stub or prop_name not in READ_PROPS:
            continue
        for value in values:
            if not prop.type.validate(value, format=prop.format):
                raise InvalidInput(
                    f"properties.{prop_name}", f"{value!r} is not a valid {prop.type.name}"
                )
    try:
        proxy = model.get_proxy(
            {"id": entity_id_, "schema": schema.name, "properties": properties}, cleaned=False
        )
    except InvalidData as exc:
        raise InvalidInput("properties", str(exc)) from None
    referents = record.get("referents") or []
    if not isinstance(referents, list) or not all(
        isinstance(r, str) and _valid_id(r) for r in referents
    ):
        raise InvalidInput("referents", "must be a list of FtM entity ids")
    if schema.is_a("LegalEntity"):
        names = [
            check_name(n, f"properties.{prop}") if prop == "name" else n
            for prop in NAME_PROPS
            for n in proxy.get(prop)
        ]
        if not proxy.get("name"):
            raise InvalidInput("properties.name", "is missing; an actor needs a name")
        opensanctions = "datasets" in record or entity_id_.startswith("NK-")
        parsed.entities.append(
            EntityRecord(
                line=number,
                id=entity_id_,
                scheme="opensanctions" if opensanctions else "ftm",
                kind=_kind(proxy),
                names=list(dict.fromkeys(names)),
                matching=proxy.get("name"),
                referents=[r for r in referents if r != entity_id_],
                wikidata=proxy.get("wikidataId"),
            )
        )
    elif schema.name == "Membership":
        member = _one(proxy, "member")
        organization = _one(proxy, "organization")
        since = _date(proxy, "startDate", first=True)
        until = _date(proxy, "endDate", first=False)
        if since is not None and until is not None and since.start >= until.start:
            raise InvalidInput("properties.endDate", f"{until} is not after the startDate {since}")
        parsed.memberships.append(MembershipRecord(number, member, organization, since, until))
    else:
        parsed.targets.append(_target(proxy, number))


def _kind(proxy: EntityProxy) -> str:
    schema = proxy.schema
    if schema.is_a("Person"):
        return "person"
    if schema.is_a("PublicBody"):
        forms = {v.casefold() for v in proxy.get("legalForm")}
        return "state" if STATE_FORM in forms else "government"
    if schema.is_a("Organization"):
        sectors = {v.casefold() for v in proxy.get("sector")}
        return "media" if MEDIA_SECTOR in sectors else "organization"
    return "other"


def _one(proxy: EntityProxy, prop: str) -> str:
    values = proxy.get(prop)
    if not values:
        raise InvalidInput(f"properties.{prop}", "is missing")
    return values[0]


def _date(proxy: EntityProxy, prop: str, *, first: bool) -> PartialDate | None:
    """The earliest (``first``) or latest value of a date property, as a partial date (a
    time of day is dropped)."""
    dates = []
    for value in proxy.get(prop):
        try:
            dates.append(parse_date(value[:10], f"properties.{prop}"))
        except InvalidInput:
            raise InvalidInput(
                f"properties.{prop}", f"{value!r} is not a date factdb can hold"
            ) from None
    if not dates:
        return None
    return min(dates) if first else max(dates)


def _target(proxy: EntityProxy, number: int) -> TargetRecord:
    target = _one(proxy, "entity")
    program = proxy.first("program") or proxy.first("programId") or proxy.first("authority")
    if program is None:
        raise InvalidInput(
            "properties.program",
            "is missing, and so are programId and authority: nothing names the sanction",
        )
    name = check_name(program.replace("\n", " "), "properties.program", "sanctions")
    url = proxy.first("sourceUrl")
    if url is not None:
        url = normalize_url(url, "properties.sourceUrl")[0]
    authority = proxy.first("authority")
    listed = _date(proxy, "listingDate", first=True) or _date(proxy, "startDate", first=True)
    delisted = _date(proxy, "endDate", first=False)
    if listed is not None and delisted is not None and listed.start > delisted.start:
        raise InvalidInput("properties.endDate", f"{delisted} is before the listing {listed}")
    measures = "; ".join(proxy.get("provisions")) or None
    return TargetRecord(
        line=number,
        target=target,
        name=name,
        authority=clean_text(authority, "properties.authority", required=False, single_line=True)
        if authority
        else None,
        programme=proxy.first("programId") if proxy.first("program") else None,
        measures=clean_text(measures, "properties.provisions", required=False),
        url=url,
        adopted=_date(proxy, "date", first=True),
        listed=listed,
        delisted=delisted,
    )


# --- importing -----------------------------------------------------------------------------


@dataclass
class FtmImportResult(ImportResult):
    notes: list[str] = field(default_factory=list)


def import_ftm(
    session: Session,
    path: Path,
    label: str,
    *,
    allow_confusable: bool = False,
    known_actors_only: bool = False,
) -> FtmImportResult:
    """Import an FtM file (JSON lines) in the caller's transaction: all or nothing."""
    with path.open("rb") as handle:
        text_ = decode(handle.read(), label)
    parsed = parse_ftm(text_.splitlines(), label)
    return Importer(session, label, allow_confusable, known_actors_only).run(parsed)


class Importer:
    def __init__(
        self, session: Session, path: str, allow_confusable: bool, known_actors_only: bool
    ) -> None:
        self.session = session
        self.path = path
        self.allow_confusable = allow_confusable
        self.known_actors_only = known_actors_only
        self.result = FtmImportResult(
            new=dict.fromkeys(FTM_TYPES, 0), existing=dict.fromkeys(FTM_TYPES, 0)
        )
        self.keys, self.ids = ftm_index(session)
        self.taken = taken_external_ids(session)
        self.actors: dict[str, int] = {}
        """Each FtM id of the file (and its referents) -> the actor it became."""
        self.names: dict[int, str] = {}
        self.guard = look_alikes(session)
        self.errors = FileErrors(path)

    def run(self, parsed: ParsedFtm) -> FtmImportResult:
        skipped_aliases = 0
        conflicting_ids: list[str] = []
        for record in parsed.entities:
            actor_id = self._match(record)
            if actor_id is None:
                actor_id = self._create(record)
                if actor_id is None:
                    continue
            else:
                self.result.count("actor", False)
            skipped_aliases += self._aliases(actor_id, record)
            conflicting_ids.extend(self._external_ids(actor_id, record))
            for value in (record.id, *record.referents):
                self.actors.setdefault(value, actor_id)
        self.errors.raise_if_any()
        unresolved = self._memberships(parsed)
        unresolved += self._targets(parsed)
        self.errors.raise_if_any()
        notes = self.result.notes
        if parsed.skipped:
            listed = ", ".join(f"{s} ({n})" for s, n in sorted(parsed.skipped.items()))
            notes.insert(
                0,
                f"skipped {sum(parsed.skipped.values())} entities of schemata factdb does not "
                f"read: {listed}",
            )
        if unresolved:
            notes.append(
                f"skipped {unresolved} memberships and sanction targets naming an entity that "
                "was skipped or is neither in the file nor in the database"
            )
        if skipped_aliases:
            notes.append(
                f"skipped {skipped_aliases} aliases that name another actor or look like "
                "another's name"
            )
        if conflicting_ids:
            notes.append(
                f"skipped {len(conflicting_ids)} ids recorded for another actor or a sanction: "
                + ", ".join(conflicting_ids[:3])
                + (", …" if len(conflicting_ids) > 3 else "")
            )
        return self.result

    # matching

    def _by_id(self, value: str) -> int | None:
        found = self.actors.get(value)
        if found is not None:
            return found
        for scheme in ID_SCHEMES:
            found = self.ids.get((scheme, value))
            if found is not None:
                return found
        return None

    def _match(self, record: EntityRecord) -> int | None:
        """Ids first (the entity's, its referents, its Wikidata ids), then names."""
        for value in (record.id, *record.referents):
            found = self._by_id(value)
            if found is not None:
                return found
        for value in record.wikidata:
            found = self.ids.get(("wikidata", value))
            if found is not None:
                return found
        for name in record.matching:
            found = self.keys.get(name_key(name))
            if found is not None:
                return found
        return None

    def _create(self, record: EntityRecord) -> int | None:
        name = record.names[0]
        if self.known_actors_only:
            self.errors.add(
                InvalidInput(
                    "properties.name",
                    f"'{name}' is no known actor or alias, nor is its id (--known-actors-only)",
                ),
                record.line,
            )
            return None
        problem = self.guard.problem(name, allow=self.allow_confusable)
        if problem is not None:
            self.errors.add(InvalidInput("properties.name", problem), record.line)
            return None
        self.guard.remember(name)
        actor_id = write_actor(self.session, name, record.kind)
        self.keys[name_key(name)] = actor_id
        self.names[actor_id] = name
        self.result.count("actor", True)
        self.result.new_actors.append(name)
        return actor_id

    def _aliases(self, actor_id: int, record: EntityRecord) -> int:
        skipped = 0
        owner = self._name(actor_id)
        for alias in record.names:
            key = name_key(alias)
            holder = self.keys.get(key)
            if holder == actor_id:
                continue
            try:
                alias = check_name(alias, "alias")
            except InvalidInput:
                skipped += 1
                continue
            if holder is not None or self.guard.problem(
                alias, allow=self.allow_confusable, owner=owner
            ):
                skipped += 1
                continue
            self.guard.remember(alias, owner)
            write_alias(self.session, actor_id, alias)
            self.keys[key] = actor_id
        return skipped

    def _name(self, actor_id: int) -> str:
        name = self.names.get(actor_id)
        if name is None:
            actor = self.session.get(Actor, actor_id)
            assert actor is not None
            name = self.names[actor_id] = actor.name
        return name

    def _external_ids(self, actor_id: int, record: EntityRecord) -> list[str]:
        """Record the entity's ids (those factdb did not make) and Wikidata ids; the ids of
        another owner are returned, not recorded."""
        conflicts: list[str] = []
        wanted = [
            (record.scheme, v)
            for v in (record.id, *record.referents)
            if not v.startswith(ID_PREFIX)
        ]
        wanted += [("wikidata", v) for v in record.wikidata]
        for scheme, value in wanted:
            family = ID_SCHEMES if scheme in ID_SCHEMES else (scheme,)
            owners = {self.ids.get((s, value)) for s in family} - {None}
            if owners:
                if owners != {actor_id}:
                    conflicts.append(f"{scheme}:{value}")
                else:
                    self.result.count("external_id", False)
                continue
            if any((s, value) in self.taken for s in family):
                conflicts.append(f"{scheme}:{value}")
                continue
            write_external_id(self.session, actor_id, scheme, value)
            self.ids[(scheme, value)] = actor_id
            self.taken.add((scheme, value))
            self.result.count("external_id", True)
        return conflicts

    def _resolve(self, value: str) -> int | None:
        return self._by_id(value)

    # memberships

    def _memberships(self, parsed: ParsedFtm) -> int:
        """Memberships through ``domain.memberships``: one with an endDate is added as
        ended; one without becomes the current parent of an actor that has none (or gives
        the start of the current one when it had none). The domain's refusals (a cycle
        through any period, periods of one actor that meet) and another current parent
        keep what is recorded, said in a note."""
        unresolved = 0
        current = parents(self.session)
        kept: list[str] = []
        for m in parsed.memberships:
            member, organization = self._resolve(m.member), self._resolve(m.organization)
            if member is None or organization is None:
                unresolved += 1
                continue
            if member == organization:
                self.errors.add(
                    InvalidInput("properties.organization", "is the member itself"), m.line
                )
                continue
            if m.until is None:
                parent, since = current[member]
                if parent == organization and (
                    m.since is None or since is not None
                ):  # recorded already; a start recorded is never overwritten
                    self.result.count("membership", False)
                    continue
                if parent not in (None, organization):
                    kept.append(
                        f"'{self._name(member)}' is part of '{self._name(parent)}', "
                        f"not '{self._name(organization)}'"
                    )
                    continue
            try:
                changed = write_membership(self.session, member, organization, m.since, m.until)
            except Conflict as exc:
                kept.append(str(exc))
                continue
            if m.until is None:
                current[member] = (organization, _iso(m.since))
            self.result.count("membership", changed)
        if kept:
            self.result.notes.append(
                f"kept the memberships recorded where {len(kept)} of the file's disagree: "
                + "; ".join(kept[:3])
                + ("; …" if len(kept) > 3 else "")
            )
        return unresolved

    # sanctions

    def _targets(self, parsed: ParsedFtm) -> int:
        unresolved = 0
        targets = sanction_targets(self.session)
        sanctions: dict[str, Sanction] = {}
        seen: set[tuple[int, int]] = set()
        for t in parsed.targets:
            actor_id = self._resolve(t.target)
            if actor_id is None:
                unresolved += 1
                continue
            sanction = sanctions.get(name_key(t.name))
            if sanction is None:
                sanction = self._sanction(t)
                if sanction is None:
                    continue
                sanctions[name_key(t.name)] = sanction
            assert sanction.id is not None
            key = (sanction.id, actor_id)
            if key in seen:
                continue
            seen.add(key)
            if key in targets:
                self.result.count("target", False)
                listed, delisted = targets[key]
                if (listed is None and t.listed) or (delisted is None and t.delisted):
                    fill_target(self.session, sanction.id, actor_id, t.listed, t.delisted)
                continue
            write_target(self.session, sanction.id, actor_id, t.listed, t.delisted)
            self.result.count("target", True)
        return unresolved

    def _sanction(self, t: TargetRecord) -> Sanction | None:
        found = find_sanction_by_name(self.session, t.name)
        authority_id = self.keys.get(name_key(t.authority)) if t.authority else None
        if found is None:
            self.result.count("sanction", True)
            return write_sanction(self.session, t, authority_id)
        if found.authority and t.authority and name_key(found.authority) != name_key(t.authority):
            self.errors.add(
                InvalidInput(
                    "properties.authority",
                    f"sanction '{found.name}' is recorded with the authority "
                    f"'{found.authority}', not '{t.authority}'",
                ),
                t.line,
            )
            return None
        self.result.count("sanction", False)
        fill_sanction(self.session, found, t, authority_id)
        return found


def _iso(value: PartialDate | None) -> str | None:
    return None if value is None else value.start.isoformat()


# --- writing -------------------------------------------------------------------------------
# Each write is one small function in the caller's session: memberships go through
# domain.memberships, external ids through domain.identifiers; actors, aliases, sanctions and
# their targets are written as rows here (the history triggers record each), with the checks
# the import made before.


def write_actor(session: Session, name: str, kind: str) -> int:
    actor = Actor(name=name, name_key=name_key(name), kind=kind)
    session.add(actor)
    session.flush()
    assert actor.id is not None
    return actor.id


def write_alias(session: Session, actor_id: int, alias: str) -> None:
    session.add(ActorAlias(actor_id=actor_id, alias=alias, alias_key=name_key(alias)))
    session.flush()


def write_external_id(session: Session, actor_id: int, scheme: str, value: str) -> None:
    """Through ``domain.identifiers``: the id is checked and refused if another record has
    it (the caller has checked the ids of the file against the database already)."""
    from factdb.core.identifiers import parse_external_id
    from factdb.domain.identifiers import attach_actor_id

    attach_actor_id(session, actor_id, parse_external_id(f"{scheme}:{value}", "id"))


def write_membership(
    session: Session,
    actor_id: int,
    parent_id: int,
    since: PartialDate | None,
    until: PartialDate | None,
) -> bool:
    """A membership through ``domain.memberships``: ended (``until``) or current; whether
    it changed anything. ``Conflict`` when the domain refuses it."""
    actor, parent = session.get(Actor, actor_id), session.get(Actor, parent_id)
    assert actor is not None and parent is not None
    if until is None:
        done = set_membership(session, actor=actor, parent=parent, since=since)
    else:
        done = add_ended_membership(session, MembershipResult(actor), parent, since, until)
    return done.changed


def find_sanction_by_name(session: Session, name: str) -> Sanction | None:
    return (
        session.execute(select(Sanction).where(col(Sanction.name_key) == name_key(name)))
        .scalars()
        .first()
    )


def write_sanction(session: Session, t: TargetRecord, authority_id: int | None) -> Sanction:
    sanction = Sanction(
        name=t.name,
        name_key=name_key(t.name),
        authority=t.authority,
        authority_id=authority_id,
        adopted=t.adopted.start if t.adopted else None,
        adopted_precision=t.adopted.precision if t.adopted else None,
        programme=t.programme,
        measures=t.measures,
        url=t.url,
    )
    session.add(sanction)
    session.flush()
    return sanction


def fill_sanction(
    session: Session, sanction: Sanction, t: TargetRecord, authority_id: int | None
) -> None:
    """Fill the empty fields of a known sanction; what is recorded is never overwritten."""
    changed = False
    for attr, value in (
        ("authority", t.authority),
        ("authority_id", authority_id),
        ("programme", t.programme),
        ("measures", t.measures),
        ("url", t.url),
    ):
        if value is not None and getattr(sanction, attr) is None:
            setattr(sanction, attr, value)
            changed = True
    if t.adopted is not None and sanction.adopted is None:
        sanction.adopted = t.adopted.start
        sanction.adopted_precision = t.adopted.precision
        changed = True
    if changed:
        session.add(sanction)
        session.flush()


def write_target(
    session: Session,
    sanction_id: int,
    actor_id: int,
    listed: PartialDate | None,
    delisted: PartialDate | None,
) -> None:
    session.add(
        SanctionTarget(
            sanction_id=sanction_id,
            actor_id=actor_id,
            listed=listed.start if listed else None,
            listed_precision=listed.precision if listed else None,
            delisted=delisted.start if delisted else None,
            delisted_precision=delisted.precision if delisted else None,
        )
    )
    session.flush()


def fill_target(
    session: Session,
    sanction_id: int,
    actor_id: int,
    listed: PartialDate | None,
    delisted: PartialDate | None,
) -> None:
    """Fill a known target's empty listed and delisted dates (when they stay in order)."""
    row = (
        session.execute(
            select(SanctionTarget).where(
                col(SanctionTarget.sanction_id) == sanction_id,
                col(SanctionTarget.actor_id) == actor_id,
            )
        )
        .scalars()
        .one()
    )
    if row.listed is None and listed is not None:
        if row.delisted is None or listed.start <= _day(row.delisted):
            row.listed, row.listed_precision = listed.start, listed.precision
    if row.delisted is None and delisted is not None:
        if row.listed is None or _day(row.listed) <= delisted.start:
            row.delisted, row.delisted_precision = delisted.start, delisted.precision
    session.add(row)
    session.flush()


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


__all__ = [
    "FtmExport",
    "FtmImportResult",
    "MissingExtra",
    "export_ftm",
    "import_ftm",
    "load_model",
]
