"""The one resolution of what an import names, for CSV and JSON Lines alike.

An imported assertion names a claim (by its text), an actor and the actors it came through
(by name or alias), a source (by URL, or by outlet and title), tags and sanctions (by name).
``Keys`` reads what the database holds once (every actor name and alias, then the claims and
sources a batch names), resolves each distinct natural key to an id, writes those that are
missing in bulk (ids in order of first appearance) and, at the end, links the claims to their
tags and sanctions. Both importers (``csvimport`` and ``jsonl``) go through it, so a name
resolves the same way whichever format carries it.

A source's outlet names an actor too (docs/design.md, Command line): the actor of that name or
alias, else a new actor of kind ``media``, resolved once per distinct outlet name when new
sources are written (``outlet_ids``).

Everything runs in the caller's transaction. The maps are plain dicts that the importers read
directly on their hot paths (``actors``, ``claims``, ``sources``). An importer streaming a
large file keeps them bounded with ``forget``: a claim or source forgotten is looked up again,
by its natural key through the table's unique index, when a later batch names it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping

from sqlalchemy import bindparam, text
from sqlmodel import Session

from factdb.core.keys import name_key
from factdb.domain.sanctions import add_sanction
from factdb.interchange.common import ImportResult
from factdb.queries import actor_keys
from factdb.storage import bulk, pgload
from factdb.storage.models import ActorKind, utcnow

SourceFields = tuple[str | None, str | None, str | None, dt.date | None, str | None]
"""What a new source is written with: its URL (display form, None without one), outlet,
title, publication date and that date's precision."""

LINK_CHUNK = 5_000
"""Claims whose existing tags and sanction links are read in one statement."""


KEEP = 100_000
"""Claims and sources kept resolved (and raw spellings kept validated) between batches; the
older ones are forgotten and looked up again through the tables' unique indexes when a later
batch names them (``Keys.forget``), so memory does not grow with the file."""


ASSERTION_COLUMNS = [*pgload.NATURAL_KEY, "quote", "recorded_at"]
"""The columns of an assertion every import writes, in the order of its rows."""
QUALIFIED_COLUMNS = ["qualifier", "qualifier_note", "date_approximate"]
"""Those of a qualified stance and an approximate date, after them. The CSV import writes them
only when the file has a qualifier column or an approximate date: the columns' defaults
(NULL, false) stand otherwise, and its hot path stays as it was."""


def ids_by_key(session: Session, table: str, column: str, keys: list[str]) -> dict[str, int]:
    """The ids of the rows of ``table`` already there with these natural keys (``column``).

    PostgreSQL gets the keys as one array parameter (``= ANY``), not thousands of bound
    values to compile and plan; SQLite binds each, 5,000 to a statement."""
    found: dict[str, int] = {}
    if bulk.dialect(session) == "sqlite":
        stmt = text(f"SELECT id, {column} FROM {table} WHERE {column} IN :keys").bindparams(
            bindparam("keys", expanding=True)
        )
        size = 5_000
    else:
        stmt = text(f"SELECT id, {column} FROM {table} WHERE {column} = ANY(:keys)")
        size = 50_000
    for start in range(0, len(keys), size):
        for row_id, key in session.execute(stmt, {"keys": keys[start : start + size]}):
            found[key] = int(row_id)
    return found


class IdsMet:
    """Which of the rows there before an import (ids below ``floor``) the file has named
    already: one bit per id, so that each is counted once however often it is forgotten and
    found again, in an eighth of a byte per row."""

    def __init__(self, floor: int) -> None:
        self.floor = floor
        self.bits = bytearray(floor // 8 + 1)

    def first(self, row_id: int) -> bool:
        """Whether ``row_id`` was there before and is met now for the first time (marked)."""
        if row_id >= self.floor:
            return False
        byte, bit = row_id >> 3, 1 << (row_id & 7)
        if self.bits[byte] & bit:
            return False
        self.bits[byte] |= bit
        return True


class Keys:
    """Natural keys -> ids for one import, the missing ones created in bulk.

    ``actors`` maps every name key and alias key to its actor's id; ``claims`` maps text keys
    and ``sources`` source keys to the ids resolved so far. ``claim_tags`` and
    ``claim_violates`` gather, per claim key, the tags and the sanction names the file gives,
    written by ``link_claims``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sqlite = bulk.dialect(session) == "sqlite"
        now = utcnow()
        self.now = bulk.sqlite_value(now) if self.sqlite else now
        """When this import writes its rows, in the backend's form (``bulk.insert_rows``)."""
        self.actors = actor_keys(session)
        self.claims: dict[str, int] = {}
        self.sources: dict[str, int] = {}
        # Above the ids there before the import: a row found by key with an id from there on
        # was written by this import (and forgotten since, ``forget``), not there before it.
        self.claim_floor = self.next_id("claim")
        self.source_floor = self.next_id("source")
        self.found_sources = IdsMet(self.source_floor)  # sources there before, found
        self.linked = False  # link_claims has written links already
        self.outlets: dict[str, int] = {}  # outlet name as written -> its actor's id
        self.sanctions: dict[str, int] | None = None  # name key -> id, read when first needed
        self.claim_tags: dict[str, set[str]] = {}
        self.claim_violates: dict[str, dict[str, None]] = {}  # ordered: first named, first made
        # What was found and what was made, for the counts.
        self.existing_actors: set[int] = set()
        self.made_actors: set[int] = set()  # those this import wrote (an outlet may name one)
        self.existing_claims: set[int] = set()
        self.existing_sources = 0
        self.new_actors = 0
        self.new_claims = 0
        self.new_sources = 0
        self.new_sanctions = 0
        self.new_actor_names: list[str] = []
        # On SQLite the import holds the write lock from its first statement, so a table
        # empty now holds only rows this import writes, and those are known: no look-up.
        self.empty_tables: set[str] = set()
        if self.sqlite:
            self.empty_tables = {
                table
                for table in ("claim", "source")
                if session.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is None
            }

    # -- look-ups -------------------------------------------------------------------------

    def next_id(self, table: str) -> int:
        return int(
            self.session.execute(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")).scalar_one()
        )

    def lookup(self, table: str, column: str, keys: list[str]) -> dict[str, int]:
        """``ids_by_key``, except that a table that was empty at the start is not read."""
        if not keys or table in self.empty_tables:
            return {}
        return ids_by_key(self.session, table, column, keys)

    # -- resolving and creating -----------------------------------------------------------

    def add_actors(
        self, names: Iterable[tuple[str, str]], kind: ActorKind = ActorKind.other
    ) -> None:
        """Resolve (name key, name) pairs by name or alias; the actors not known yet are
        written (of ``kind``) in the order given, with the first spelling of each key."""
        actors, made = self.actors, self.made_actors
        new: dict[str, str] = {}
        for key, name in names:
            found = actors.get(key)
            if found is not None:
                if found not in made:
                    self.existing_actors.add(found)
            elif key not in new:
                new[key] = name
        if not new:
            return
        ids = bulk.reserve_ids(self.session, "actor", len(new))
        now, value = self.now, kind.value
        bulk.insert_rows(
            self.session,
            "actor",
            ["id", "name", "name_key", "kind", "created_at"],
            [(i, name, key, value, now) for i, (key, name) in zip(ids, new.items(), strict=True)],
            convert=False,
        )
        actors.update(zip(new, ids, strict=True))
        made.update(ids)
        self.new_actors += len(new)
        self.new_actor_names.extend(new.values())

    def add_claims(self, texts: Mapping[str, str]) -> dict[str, int]:
        """Resolve claims by text key (-> the text written if new), in the order given;
        returns those that were there before the import (key -> id)."""
        wanted = [key for key in texts if key not in self.claims]
        found = self.lookup("claim", "text_key", wanted)
        self.claims.update(found)
        floor = self.claim_floor
        found = {key: i for key, i in found.items() if i < floor}
        self.existing_claims.update(found.values())
        new = [key for key in wanted if key not in self.claims]
        if not new:
            return found
        ids = bulk.reserve_ids(self.session, "claim", len(new))
        now = self.now
        bulk.insert_rows(
            self.session,
            "claim",
            ["id", "text", "text_key", "created_at"],
            [(i, texts[key], key, now) for i, key in zip(ids, new, strict=True)],
            convert=False,
        )
        self.claims.update(zip(new, ids, strict=True))
        self.new_claims += len(new)
        return found

    def add_sources(self, first: Mapping[str, SourceFields]) -> None:
        """Resolve sources by key (-> what a new one is written with), in the order given."""
        wanted = [key for key in first if key not in self.sources]
        found = self.lookup("source", "key", wanted)
        self.sources.update(found)
        self.existing_sources += sum(map(self.found_sources.first, found.values()))
        new = [key for key in wanted if key not in found]
        if not new:
            return
        outlets = self.outlet_ids(first[key][1] for key in new)
        ids = bulk.reserve_ids(self.session, "source", len(new))
        now, convert = self.now, bulk.sqlite_value if self.sqlite else None
        rows = []
        for i, key in zip(ids, new, strict=True):
            url, outlet, title, published, precision = first[key]
            if published is not None and convert is not None:
                published = convert(published)
            outlet_id = outlets[outlet] if outlet else None
            rows.append((i, url, key, outlet, title, published, precision, now, outlet_id))
        bulk.insert_rows(
            self.session,
            "source",
            ["id", "url", "key", "outlet", "title", "published", "published_precision"]
            + ["created_at", "outlet_id"],
            rows,
            convert=False,
        )
        self.sources.update(zip(new, ids, strict=True))
        self.new_sources += len(new)

    def forget(self, keep: int) -> None:
        """Keep at most ``keep`` claims and sources each (the most recently resolved): the
        tags and sanction links gathered so far are written first (``link_claims``), and a
        forgotten one is looked up again if named again, so memory stays bounded however
        many claims and sources a file names."""
        if len(self.claims) <= keep and len(self.sources) <= keep:
            return
        self.link_claims()
        for table, resolved in (("claim", self.claims), ("source", self.sources)):
            if len(resolved) > keep:
                for key in list(itertools.islice(resolved, len(resolved) - keep)):
                    del resolved[key]
                self.empty_tables.discard(table)

    def outlet_ids(self, outlets: Iterable[str | None]) -> dict[str, int]:
        """The actor of each outlet name (by name or alias, ``name_key`` once per distinct
        name), the unknown ones created as actors of kind ``media`` in the order given; the
        importers have checked the names (``check_name``, look-alikes, known actors only).
        Returns the outlet names seen so far -> actor ids."""
        named = self.outlets
        fresh = [o for o in dict.fromkeys(outlets) if o and o not in named]
        if fresh:
            keys = [name_key(o) for o in fresh]
            self.add_actors(zip(keys, fresh, strict=True), ActorKind.media)
            actors = self.actors
            named.update((o, actors[k]) for o, k in zip(fresh, keys, strict=True))
        return named

    def known_names(self, names: Iterable[str]) -> None:
        """Count as found the actors there before the import that these names name (the
        outlets of sources already there, which no new source resolved)."""
        actors, made = self.actors, self.made_actors
        for name in names:
            found = actors.get(name_key(name))
            if found is not None and found not in made:
                self.existing_actors.add(found)

    def sanction_ids(self, names: Iterable[str]) -> dict[str, int]:
        """Every sanction's name key -> id, after creating by name, in the order given, those
        named here that the database lacks: neither format carries a sanction's details
        with the claim, and refusing would lose the link."""
        ids = self.sanctions
        if ids is None:
            ids = self.sanctions = {
                str(key): int(i)
                for i, key in self.session.execute(text("SELECT id, name_key FROM sanction"))
            }
        for name in names:
            key = name_key(name)
            if key not in ids:
                sanction = add_sanction(self.session, name=name).sanction
                assert sanction.id is not None
                ids[key] = sanction.id
                self.new_sanctions += 1
        return ids

    # -- links ----------------------------------------------------------------------------

    def tag(self, claim_key: str, tags: Iterable[str]) -> None:
        """Gather tags (already keys, ``tag_key``) for a claim, written by ``link_claims``."""
        self.claim_tags.setdefault(claim_key, set()).update(tags)

    def violate(self, claim_key: str, names: Iterable[str]) -> None:
        """Gather the names of sanctions a claim alleges violated, for ``link_claims``."""
        self.claim_violates.setdefault(claim_key, {}).update(dict.fromkeys(names))

    def link_claims(self) -> None:
        """Write the tags and sanction links gathered, once every claim is resolved: the
        sanctions named that are missing are created first (in the order named), and links
        already there are skipped (only claims there before the import can have any, until
        a first call has written some: ``forget`` calls it as a large import goes on)."""
        if not (self.claim_tags or self.claim_violates):
            return
        sanction_ids = self.sanction_ids(
            name for names in self.claim_violates.values() for name in names
        )
        claim_ids = self.claims
        tags = {(claim_ids[k], t) for k, ts in self.claim_tags.items() for t in ts}
        links = {
            (claim_ids[k], sanction_ids[name_key(v)])
            for k, vs in self.claim_violates.items()
            for v in vs
        }
        self.claim_tags.clear()
        self.claim_violates.clear()
        touched = {c for c, _ in tags} | {c for c, _ in links}
        if not self.linked:
            touched &= self.existing_claims
        self.linked = True
        claims = sorted(touched)
        for start in range(0, len(claims), LINK_CHUNK):
            chunk = claims[start : start + LINK_CHUNK]
            tags -= {
                (int(c), str(t))
                for c, t in self.session.execute(
                    text("SELECT claim_id, tag FROM claim_tag WHERE claim_id IN :ids").bindparams(
                        bindparam("ids", expanding=True)
                    ),
                    {"ids": chunk},
                )
            }
            links -= {
                (int(c), int(s))
                for c, s in self.session.execute(
                    text(
                        "SELECT claim_id, sanction_id FROM claim_sanction WHERE claim_id IN :ids"
                    ).bindparams(bindparam("ids", expanding=True)),
                    {"ids": chunk},
                )
            }
        if tags:
            bulk.insert_rows(self.session, "claim_tag", ["claim_id", "tag"], sorted(tags))
        if links:
            bulk.insert_rows(
                self.session, "claim_sanction", ["claim_id", "sanction_id"], sorted(links)
            )

    # -- counts ---------------------------------------------------------------------------

    def count(self, result: ImportResult, *, named: bool) -> None:
        """Add to ``result`` the actors, claims and sanctions made and the claims found;
        with ``named``, also the actors found and the sources made and found (JSON Lines
        counts those from its own actor and source records instead)."""
        result.count("actor", True, self.new_actors)
        result.new_actors.extend(self.new_actor_names)
        result.count("claim", True, self.new_claims)
        result.count("claim", False, len(self.existing_claims))
        result.count("sanction", True, self.new_sanctions)
        if named:
            result.count("actor", False, len(self.existing_actors))
            result.count("source", True, self.new_sources)
            result.count("source", False, self.existing_sources)
