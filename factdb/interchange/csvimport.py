"""``factdb import FILE.csv``: the flat interchange format, read once and streamed.

Each row is validated and, while the file has shown no error, staged as a compact tuple of
natural keys; every ``BATCH`` staged rows the actors, claims and sources they name are resolved
and the new ones written (``interchange.resolve.Keys``, shared with JSON Lines), then their
assertions (``factdb.storage.bulk``), skipping those already present (natural key) or
repeated in the file. Memory grows with the number of distinct things (claims, actors,
sources, dates, lists), not with the number of rows, and the file is parsed only once.

All of it runs in the caller's single transaction. After the first error the importer stops
writing but keeps validating, so every error (up to a cap) is reported with
``FILE:LINE:COLUMN``; raising then rolls the transaction back, so nothing is written. Claim
tags and sanctions are linked at the end, once every row has been seen.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import itertools
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from factdb.core.csvsafe import unescape_formula as _unescape
from factdb.core.dates import PartialDate
from factdb.core.errors import InvalidInput
from factdb.core.hints import CloseNames, LookAlikes
from factdb.core.keys import (
    MAX_TEXT,
    check_name,
    name_key,
    normalize_url,
    source_key_without_url,
    tag_key,
    text_key,
)
from factdb.core.values import parse_qualifier
from factdb.domain.records import close_names, look_alikes, meant_names
from factdb.interchange.common import (
    CSV_COLUMNS,
    REQUIRED_COLUMNS,
    FileErrors,
    ImportErrors,
    ImportResult,
    stance_date,
    text_lines,
    unknown_actor,
)
from factdb.interchange.resolve import (
    ASSERTION_COLUMNS,
    KEEP,
    QUALIFIED_COLUMNS,
    Keys,
    SourceFields,
)
from factdb.storage import bulk, db, pgload, sqliteload
from factdb.storage.models import (
    Stance,
)

BATCH = 20_000
Progress = Callable[[str, int], None]
"""Told ("checked" | "written", rows so far) as a large import advances; the CLI shows it
on stderr when stderr is a terminal. The domain layer itself never prints."""
STANCES = {s.value: s.value for s in Stance}
"""Accepted spellings of a stance -> the stored value (case and spaces forgiven)."""
STANCE_CODES = {s.value: i for i, s in enumerate(Stance)}
PRECISION_CODES = {"year": 0, "month": 1, "day": 2}
FINISH_CACHE_KIB = 16384
"""SQLite's page cache (and so its sorter's memory) while the indexes are built after a load."""
NATURAL_KEY = pgload.NATURAL_KEY


STAGING = (
    "CREATE TEMP TABLE import_assertion ON COMMIT DROP AS SELECT 0 AS ord, "
    + ", ".join(ASSERTION_COLUMNS + QUALIFIED_COLUMNS)
    + " FROM assertion WITH NO DATA",
    "CREATE TEMP TABLE import_via ON COMMIT DROP AS SELECT 0 AS ord, position, actor_id "
    "FROM assertion_via WITH NO DATA",
    "CREATE TEMP TABLE import_fresh (ord integer PRIMARY KEY, id bigint) ON COMMIT DROP",
)
"""PostgreSQL: a batch's rows (``ord``: their place in it) and via chains as COPYed, and the
ids given to those inserted. Temporary: private to the import, no WAL, no lock on
factdb's tables."""
INSERTED = 1
"""The statement of ``_staged_inserts`` whose row count is the rows inserted."""


def _staged_inserts(columns: list[str]) -> list[str]:
    """PostgreSQL, after a batch is COPYed into the staging tables (``STAGING``): the rows
    whose natural key no live assertion has, the first of each key in the batch (the unique
    index of live natural keys answers, so no set of every key written is kept), numbered in
    file order, with ids from the sequence taken as
    ``bulk.reserve_ids`` takes them (one array, ascending; unnested with its ordinality, as a
    subscript per row reads the whole array each time); then the rows and their via chains
    inserted with those ids; the staging emptied."""
    key = ", ".join(NATURAL_KEY)
    matches = " AND ".join(f"a.{c} = s.{c}" for c in NATURAL_KEY)
    names = ", ".join(columns)
    return [
        # Each row looked up in the index (a LATERAL with LIMIT is not turned into a join):
        # the staging has no statistics, and the hash join the planner chose read the whole
        # assertion table for every batch.
        f"WITH fresh AS (SELECT DISTINCT ON ({key}) s.ord FROM import_assertion AS s "
        "LEFT JOIN LATERAL (SELECT 1 AS found FROM assertion AS a "
        f"WHERE {matches} AND a.retracted_at IS NULL LIMIT 1) AS there ON true "
        f"WHERE there.found IS NULL ORDER BY {key}, s.ord), "
        "numbered AS (SELECT ord, row_number() OVER (ORDER BY ord) AS n FROM fresh), "
        "ids AS (SELECT id, n FROM unnest((SELECT array_agg(nextval(s.seq)) FROM "
        f"{bulk.SEQUENCE.format(table='assertion')}, generate_series(1, "
        "(SELECT count(*) FROM fresh)))) WITH ORDINALITY AS reserved (id, n)) "
        "INSERT INTO import_fresh (ord, id) SELECT numbered.ord, ids.id "
        "FROM numbered JOIN ids USING (n)",
        f"INSERT INTO assertion (id, {names}) SELECT f.id, {names} "
        "FROM import_fresh AS f JOIN import_assertion USING (ord) ORDER BY f.id",
        "INSERT INTO assertion_via (assertion_id, position, actor_id) "
        "SELECT f.id, v.position, v.actor_id FROM import_via AS v JOIN import_fresh AS f "
        "USING (ord)",
        "TRUNCATE import_assertion, import_via, import_fresh",
    ]


def _insert_new(columns: list[str]) -> str:
    return (
        f"INSERT INTO assertion ({', '.join(columns)}) "
        f"SELECT {', '.join(f'?{i}' for i in range(1, len(columns) + 1))} "
        "WHERE NOT EXISTS (SELECT 1 FROM assertion WHERE claim_id = ?1 AND actor_id = ?2 "
        "AND stance = ?3 AND date = ?4 AND date_precision = ?5 AND source_id = ?6 "
        "AND retracted_at IS NULL)"
    )


INSERT_NEW = _insert_new(ASSERTION_COLUMNS)
"""SQLite: an assertion unless a live one has its natural key (the unique index
``ux_assertion_live_key`` answers). Not ``INSERT OR IGNORE``: a refused row would take an id
of the AUTOINCREMENT sequence all the same, and the ids would have gaps."""
INSERT_NEW_QUALIFIED = _insert_new(ASSERTION_COLUMNS + QUALIFIED_COLUMNS)
NEW_KEYS = (
    "SELECT id, claim_id, actor_id, stance, date, date_precision, source_id FROM assertion "
    "WHERE id >= ?"
)
"""The ids and natural keys (in ``ASSERTION_COLUMNS`` order) of the rows from an id on."""
Staged = tuple[str, str, str, str, str, str, str, str | None, str | None]
"""One valid row, by natural keys: claim, actor, stance, raw date, source, quote, raw via,
qualifier, qualifier note."""


class CsvImport:
    def __init__(self, session: Session, path: Path, label: str) -> None:
        # The csv module's own limit (131,072) would hide factdb's documented one.
        csv.field_size_limit(max(csv.field_size_limit(), 4 * MAX_TEXT))
        self.session = session
        self.path = path
        self.label = label
        self.result = ImportResult()
        self.progress: Progress | None = None
        self.position: dict[str, int] = {}
        self.width = 0
        self.pad = False
        self.sqlite = bulk.dialect(session) == "sqlite"
        # Distinct values seen, each validated once.
        self.claim_key: dict[str, str] = {}  # raw text -> key
        self.claim_text: dict[str, str] = {}  # key -> first spelling, until written
        self.actor_key: dict[str, str] = {}  # raw name -> key
        self.actor_name: dict[str, str] = {}  # key -> first spelling
        self.url_key: dict[str, str] = {}  # raw url -> source key
        self.source_first: dict[str, SourceFields] = {}  # key -> fields, until written
        self.dates: dict[str, tuple[PartialDate, Any, int, int, bool]] = {}
        """Raw date -> (date, value written, ordinal, precision code, approximate)."""
        self.qualifiers: dict[str, str | None] = {"": None}  # raw -> qualifier
        self.qualified = False  # the file has a qualifier column
        self.approximate = False  # an approximate date was read
        self.outlets: set[str] = set()  # outlet names checked as actor names
        self.lists: dict[str, tuple[str, ...]] = {}
        self.via_lists: dict[str, tuple[str, ...]] = {}
        self.tag_lists: dict[str, tuple[str, ...]] = {}
        self.tags_claim: str | None = None  # the claim and raw tags of the last update
        self.tags_raw = ""
        # Natural keys -> ids (``_start``): the resolver's maps, read here on the hot path.
        self.keys: Keys
        self.claim_ids: dict[str, int]
        self.source_ids: dict[str, int]
        self.actor_ids: dict[str, int]
        self.claim_tags: dict[str, set[str]]
        self.actors_done = 0
        self.existing: set[int] = set()  # packed keys of assertions there before the import
        self.existing_hits = 0
        self.assertion_floor = 0  # the first id this import can give an assertion
        # Packed keys of the rows that were there before and were met in the file (the
        # unique index of live natural keys catches the repeats of rows the file brings).
        self.seen: set[int] = set()
        self.pending = 0  # PostgreSQL: rows of the batch being written through the staging
        self.saved: pgload.Saved | None = None  # PostgreSQL: what the load dropped, if any
        self.staging_ready = False
        self.staged: list[Staged] = []
        self.new = 0
        self.now_value: Any = None
        self.writer: bulk.BackgroundCopy | None = None
        self.allow_confusable = False
        self.look: LookAlikes | None = None  # the known names, from ``_start``
        self.known_only = False  # --known-actors-only: every actor must be known already
        self.close: CloseNames | None = None  # for its hints, read at the first unknown name

    # -- reading ------------------------------------------------------------------------

    def _header(self, reader: Any, errors: FileErrors) -> None:
        try:
            header = next(reader)
        except StopIteration:
            raise ImportErrors(
                [InvalidInput("header", "the file is empty", self.label, 1)], 1
            ) from None
        except csv.Error as exc:
            raise ImportErrors(
                [InvalidInput("csv", f"{exc} (an unterminated quote?)", self.label, 1)], 1
            ) from None
        names = [h.strip().lower() for h in header]
        seen: set[str] = set()
        for index, name in enumerate(names, start=1):
            if name not in CSV_COLUMNS:
                errors.add(
                    InvalidInput(
                        "header",
                        f"unknown column {name!r}; the columns are {', '.join(CSV_COLUMNS)}",
                    ),
                    1,
                    index,
                )
            elif name in seen:
                errors.add(InvalidInput("header", f"column {name!r} appears twice"), 1, index)
            seen.add(name)
        for required in REQUIRED_COLUMNS:
            if required not in seen:
                errors.add(InvalidInput("header", f"missing column {required!r}"), 1)
        errors.raise_if_any()
        self.position = {name: i for i, name in enumerate(names)}
        self.width = len(names)
        # A missing optional column reads as the empty string appended to every record.
        # A file without the qualifier columns (as every file before them) reads none.
        self.qualified = "qualifier" in seen or "qualifier_note" in seen
        read = CSV_COLUMNS if self.qualified else CSV_COLUMNS[: CSV_COLUMNS.index("qualifier")]
        self.pad = not seen.issuperset(read)
        self.idx = tuple(self.position.get(name, self.width) for name in CSV_COLUMNS)

    # -- the one pass ---------------------------------------------------------------------

    def run(self) -> ImportResult:
        errors = FileErrors(self.label)
        reader = csv.reader(text_lines(self.path, self.label), strict=True)
        self._header(reader, errors)
        self._start()
        with self._bulk_load(), _without_cyclic_gc():
            try:
                rows = 0
                last = reader.line_num
                width, pad, staged = self.width, self.pad, self.staged
                check = self._check_row
                try:
                    for record in reader:
                        line = last + 1
                        last = reader.line_num
                        if len(record) != width:
                            if not record or (len(record) == 1 and not record[0].strip()):
                                continue
                            errors.add(
                                InvalidInput(
                                    "row", f"has {len(record)} fields, the header has {width}"
                                ),
                                line,
                            )
                            continue
                        rows += 1
                        if pad:
                            record.append("")
                        row = check(record, line, errors)
                        if row is not None and not errors.total:
                            staged.append(row)
                            if len(staged) >= BATCH:
                                self._flush()
                                if self.progress is not None:
                                    self.progress("written", self.new)
                        if rows % 100_000 == 0 and self.progress is not None:
                            self.progress("checked", rows)
                except csv.Error as exc:
                    raise ImportErrors(
                        [
                            InvalidInput(
                                "csv", f"{exc} (an unterminated quote?)", self.label, last + 1
                            )
                        ],
                        1,
                    ) from None
                errors.raise_if_any()
                if staged:
                    self._flush()
                self._wait()
                self._release()
                if self.saved is not None:
                    repeats = pgload.drop_repeats(self.session, self.saved)
                    self.new -= repeats
                    self.result.duplicates += repeats
            finally:
                # Never leave a COPY running under a transaction about to roll back.
                if self.writer is not None:
                    self.writer.join()
            self._finish()
        self.result.rows = rows
        return self.result

    def _get(self, record: list[str], name: str) -> str:
        index = self.position.get(name)
        if index is None:
            return ""
        value = record[index]
        return _unescape(value) if value[:1] == "'" else value

    def _fail(self, errors: FileErrors, line: int, name: str, reason: str) -> None:
        errors.add(InvalidInput(name, reason), line, self.position[name] + 1)

    def _text(
        self,
        value: str,
        name: str,
        line: int,
        errors: FileErrors,
        *,
        required: bool,
        single_line: bool,
    ) -> str | None:
        stripped = value.strip()
        if not stripped:
            if required:
                self._fail(errors, line, name, "must not be empty")
            return None
        if len(stripped) > MAX_TEXT:
            self._fail(
                errors,
                line,
                name,
                f"is {len(stripped):,} characters long; the limit is {MAX_TEXT:,}",
            )
        elif single_line and ("\n" in stripped or "\r" in stripped):
            self._fail(errors, line, name, "must be a single line")
        return stripped

    def _check_row(self, record: list[str], line: int, errors: FileErrors) -> Staged | None:
        """Validate one row; return it by natural keys (None if it has an error).

        Cache hits only on the hot path; every miss goes through a careful check."""
        ci, ai, si, di, ui, oi, ti, qi, vi, gi, xi, fi, ni = self.idx
        claim_raw = record[ci]
        if claim_raw[:1] == "'":
            claim_raw = _unescape(claim_raw)
        key = self.claim_key.get(claim_raw)
        if key is None:
            claim = self._text(claim_raw, "claim", line, errors, required=True, single_line=False)
            if claim:
                key = text_key(claim)
                self.claim_key[claim_raw] = key
                if key not in self.claim_ids:
                    self.claim_text.setdefault(key, claim)
        actor = record[ai]
        if actor[:1] == "'":
            actor = _unescape(actor)
        actor_key = self.actor_key.get(actor)
        if actor_key is None:
            names = self._names(actor, "actor", line, errors, single=True)
            actor_key = self.actor_key.get(names[0]) if names else None
        stance = record[si]
        if stance[:1] == "'":
            stance = _unescape(stance)
        if stance not in STANCES:
            stance = stance.strip().lower()
            if stance not in STANCES:
                self._fail(
                    errors,
                    line,
                    "stance",
                    f"{self._get(record, 'stance')!r} is not a stance; "
                    f"use one of {', '.join(STANCES)}",
                )
        date_raw = record[di]
        if date_raw[:1] == "'":
            date_raw = _unescape(date_raw)
        if date_raw not in self.dates:
            # Not stripped: " 2024" is refused like any other malformed date.
            if not date_raw.strip():
                self._fail(errors, line, "date", "is required; use YYYY, YYYY-MM or YYYY-MM-DD")
            else:
                try:
                    date, approximate = stance_date(date_raw)
                except InvalidInput as exc:
                    self._fail(errors, line, "date", exc.reason)
                else:
                    self.approximate = self.approximate or approximate
                    self.dates[date_raw] = (
                        date,
                        bulk.sqlite_value(date.start) if self.sqlite else date.start,
                        date.start.toordinal(),
                        PRECISION_CODES[date.precision],
                        approximate,
                    )
        url = record[ui]
        if url[:1] == "'":
            url = _unescape(url)
        outlet, title = record[oi], record[ti]
        source: str | None
        if (
            not url
            or url not in self.url_key
            or outlet[:1] == "'"
            or title[:1] == "'"
            or "\n" in outlet
            or "\n" in title
            or "\r" in (outlet + title)
            or len(outlet) > MAX_TEXT
            or len(title) > MAX_TEXT
        ):
            source = self._source(url, outlet, title, line, errors)
        else:
            source = self.url_key[url]
        quote = record[qi]
        if quote[:1] == "'":
            quote = _unescape(quote)
        if len(quote) > MAX_TEXT:
            self._text(quote, "quote", line, errors, required=False, single_line=False)
        qualifier = note = None
        if self.qualified:
            qualifier_raw = record[fi]
            if qualifier_raw not in self.qualifiers:
                self._qualifier(qualifier_raw, line, errors)
            qualifier = self.qualifiers.get(qualifier_raw)
            note_raw = record[ni]
            if note_raw:
                if note_raw[:1] == "'":
                    note_raw = _unescape(note_raw)
                note = self._text(
                    note_raw, "qualifier_note", line, errors, required=False, single_line=False
                )
        via = record[vi]
        if via[:1] == "'":
            via = _unescape(via)
        if via and via not in self.via_lists:
            self._names(via, "via", line, errors, single=False)
        tags_raw = record[gi]
        if tags_raw[:1] == "'":
            tags_raw = _unescape(tags_raw)
        if tags_raw not in self.tag_lists:
            try:
                self.tag_lists[tags_raw] = tuple(
                    tag_key(t, "tags") for t in tags_raw.split(";") if t.strip()
                )
            except InvalidInput as exc:
                self._fail(errors, line, "tags", exc.reason)
        if key is not None:
            tags = self.tag_lists.get(tags_raw)
            # Rows of one claim tend to come together with the same tags: one update each run.
            if tags and (key is not self.tags_claim or tags_raw != self.tags_raw):
                self.claim_tags.setdefault(key, set()).update(tags)
                self.tags_claim, self.tags_raw = key, tags_raw
            violates_raw = record[xi]
            if violates_raw[:1] == "'":
                violates_raw = _unescape(violates_raw)
            if violates_raw:
                if violates_raw not in self.lists:
                    for name in violates_raw.split(";"):
                        if name.strip():
                            try:
                                check_name(name, "violates", "sanctions")
                            except InvalidInput as exc:
                                self._fail(errors, line, "violates", exc.reason)
                self.keys.violate(key, self._list(violates_raw))
            if actor_key is not None and source is not None:
                return (
                    key,
                    actor_key,
                    stance,
                    date_raw,
                    source,
                    quote,
                    via,
                    qualifier,
                    note,
                )
        return None

    def _qualifier(self, raw: str, line: int, errors: FileErrors) -> None:
        """Check a qualifier not seen before; cached under its raw text when valid."""
        value = _unescape(raw) if raw[:1] == "'" else raw
        try:
            self.qualifiers[raw] = parse_qualifier(value, "qualifier")
        except InvalidInput as exc:
            self._fail(errors, line, "qualifier", exc.reason)

    def _outlet(self, outlet: str, line: int, errors: FileErrors) -> None:
        """An outlet names an actor (``Keys.outlet_ids``): its name is checked once as any
        actor's (naming rules, look-alikes, ``--known-actors-only``)."""
        if outlet in self.outlets:
            return
        try:
            check_name(outlet, "outlet")
        except InvalidInput as exc:
            self._fail(errors, line, "outlet", exc.reason)
            return
        assert self.look is not None
        problem = self.look.problem(outlet, allow=self.allow_confusable)
        if problem is None and self.known_only and name_key(outlet) not in self.keys.actors:
            if self.close is None:
                self.close = close_names(self.session)
            meant = meant_names(self.close, outlet, allow_confusable=self.allow_confusable)
            problem = unknown_actor(outlet, meant)
        if problem is not None:
            self._fail(errors, line, "outlet", problem)
            return
        self.look.remember(outlet)
        self.outlets.add(outlet)

    def _list(self, raw: str) -> tuple[str, ...]:
        found = self.lists.get(raw)
        if found is None:
            found = tuple(part.strip() for part in raw.split(";") if part.strip())
            self.lists[raw] = found
        return found

    def _names(
        self, raw: str, column: str, line: int, errors: FileErrors, *, single: bool
    ) -> tuple[str, ...]:
        if single:
            names: tuple[str, ...] = (raw.strip(),)
            if not names[0]:
                self._fail(errors, line, column, "must not be empty")
                return ()
        else:
            # Interned: the distinct chains can number in the hundreds of thousands, made of
            # a few thousand names; each name is then stored once, not once per chain.
            names = tuple(sys.intern(part.strip()) for part in raw.split(";") if part.strip())
            self.via_lists[raw] = names
        for name in names:
            if name not in self.actor_key:
                # The naming rules of every path (``check_name``), then look-alikes of known
                # names (``LookAlikes``): a name is cached only once it passed both.
                try:
                    check_name(name, column)
                except InvalidInput as exc:
                    self._fail(errors, line, column, exc.reason)
                    continue
                assert self.look is not None
                problem = self.look.problem(name, allow=self.allow_confusable)
                if problem is not None:
                    self._fail(errors, line, column, problem)
                    continue
                key = name_key(name)
                if self.known_only and key not in self.keys.actors:
                    if self.close is None:
                        self.close = close_names(self.session)
                    meant = meant_names(self.close, name, allow_confusable=self.allow_confusable)
                    self._fail(errors, line, column, unknown_actor(name, meant))
                    continue
                self.look.remember(name)
                self.actor_key[name] = key
                self.actor_name.setdefault(key, name)
        return names

    def _source(
        self, raw_url: str, raw_outlet: str, raw_title: str, line: int, errors: FileErrors
    ) -> str | None:
        """Validate a row's source (the URL unescaped already); its key, or None if it has an
        error."""
        url = raw_url.strip()
        if raw_outlet[:1] == "'":
            raw_outlet = _unescape(raw_outlet)
        if raw_title[:1] == "'":
            raw_title = _unescape(raw_title)
        outlet = self._text(raw_outlet, "outlet", line, errors, required=False, single_line=True)
        title = self._text(raw_title, "title", line, errors, required=False, single_line=True)
        if outlet:
            self._outlet(outlet, line, errors)
        if url:
            key = self.url_key.get(url)
            if key is None:
                try:
                    display, key = normalize_url(url, "source_url")
                except InvalidInput as exc:
                    self._fail(errors, line, "source_url", exc.reason)
                    return None
                self.url_key[url] = key
                if key not in self.source_ids:
                    self.source_first.setdefault(key, (display, outlet, title, None, None))
            return key
        if outlet or title:
            key = source_key_without_url(outlet, title, None)
            self.url_key["\x00" + (outlet or "") + "\x00" + (title or "")] = key
            if key not in self.source_ids:
                self.source_first.setdefault(key, (None, outlet, title, None, None))
            return key
        self._fail(errors, line, "source_url", "a source needs a URL, or an outlet and a title")
        return None

    # -- writing --------------------------------------------------------------------------

    def _start(self) -> None:
        """Before the first row: the resolver, with the actors already there (by name or
        alias)."""
        self.look = look_alikes(self.session)
        keys = self.keys = Keys(self.session)
        self.now_value = keys.now
        self.claim_ids, self.source_ids, self.actor_ids = keys.claims, keys.sources, keys.actors
        self.claim_tags = keys.claim_tags
        self.assertion_floor = int(
            self.session.execute(
                text("SELECT coalesce(max(id), 0) + 1 FROM assertion")
            ).scalar_one()
        )

    def _flush(self) -> None:
        """Write the staged rows: first the actors, claims and sources they name that are
        new, then the assertions and their via chains."""
        self._wait()
        keys = self.keys
        # Actors, in the order of first appearance.
        fresh = itertools.islice(self.actor_name.items(), self.actors_done, None)
        self.actors_done = len(self.actor_name)
        keys.add_actors(fresh)
        found = keys.add_claims(self.claim_text)
        if found:
            self.existing |= self._existing_keys(set(found.values()))
        self.claim_text.clear()
        keys.add_sources(self.source_first)
        self.source_first.clear()
        self._assertions()
        self._forget()

    def _forget(self) -> None:
        """Bound what is kept between batches (``KEEP``): the raw spellings checked (via
        chains, lists, tags) and the claims and sources resolved, with the raw texts and URLs
        that lead to them and the natural keys of the claims there before."""
        for cache in (self.via_lists, self.lists, self.tag_lists):
            if len(cache) > KEEP:
                cache.clear()
        claims, sources = len(self.claim_ids), len(self.source_ids)
        self.keys.forget(KEEP // 2)
        if len(self.claim_ids) < claims:
            claim_ids = self.claim_ids
            self.claim_key = {raw: k for raw, k in self.claim_key.items() if k in claim_ids}
            kept = set(claim_ids.values())
            self.existing = {p for p in self.existing if p >> CLAIM_SHIFT in kept}
            # A later repeat of one of these counts as already there, not as a repeat.
            self.seen = {p for p in self.seen if p >> CLAIM_SHIFT in kept}
        if len(self.source_ids) < sources:
            source_ids = self.source_ids
            self.url_key = {raw: k for raw, k in self.url_key.items() if k in source_ids}

    def _assertions(self) -> None:
        """The staged rows as assertions, minus those already there or seen before.

        Rows matching an assertion that was there before the import are counted and skipped
        here (``existing`` holds the natural keys of the claims found in the database).
        Repeats within the file are caught by the unique index of live natural keys, so that
        no set of every key written grows with the file (on PostgreSQL it did: a peak of 1 GB
        at ten million rows): on SQLite with ``INSERT … WHERE NOT EXISTS`` (``INSERT_NEW``,
        ``_write_sqlite``), on PostgreSQL from a staging table or after the load
        (``_copy_postgresql``). The qualifier, its note and the approximate mark are written
        only by a file that has them
        (``QUALIFIED_COLUMNS``)."""
        claim_ids, actor_ids, source_ids = self.claim_ids, self.actor_ids, self.source_ids
        dates, now_value = self.dates, self.now_value
        seen, existing = self.seen, self.existing
        sqlite = self.sqlite
        pack = bool(existing)
        staged = self.staged
        duplicates = 0
        qualified = self.qualified or self.approximate
        extra: list[tuple[str | None, str | None, bool]] = []
        rows: list[tuple[Any, ...]]
        if not pack:
            # Nothing to compare against here (no claim there before): build straight.
            rows = [
                (
                    claim_ids[claim],
                    actor_ids[actor],
                    stance,
                    dates[date_raw][1],
                    dates[date_raw][0].precision,
                    source_ids[source],
                    quote.strip() or None,
                    now_value,
                )
                for claim, actor, stance, date_raw, source, quote, _, _, _ in staged
            ]
            chains = [row[6] for row in staged]
            if qualified:
                extra = [(row[7], row[8], dates[row[3]][4]) for row in staged]
        else:
            rows = []
            chains = []
            for claim, actor, stance, date_raw, source, quote, via, qualifier, note in staged:
                claim_id = claim_ids[claim]
                actor_id = actor_ids[actor]
                source_id = source_ids[source]
                date, date_value, ordinal, precision, approximate = dates[date_raw]
                packed = _pack(
                    claim_id, actor_id, STANCE_CODES[stance], ordinal, precision, source_id
                )
                if packed in seen:
                    duplicates += 1
                    continue
                if packed in existing:
                    seen.add(packed)
                    self.existing_hits += 1
                    continue
                rows.append(
                    (
                        claim_id,
                        actor_id,
                        stance,
                        date_value,
                        date.precision,
                        source_id,
                        quote.strip() or None,
                        now_value,
                    )
                )
                chains.append(via)
                if qualified:
                    extra.append((qualifier, note, approximate))
        self.staged.clear()
        self.result.duplicates += duplicates
        if qualified:
            rows = [row + more for row, more in zip(rows, extra, strict=True)]
        if not sqlite:
            self._copy_postgresql(rows, chains, qualified)
            return
        ids = self._write_sqlite(rows, qualified)
        self.result.duplicates += ids.count(None)
        actor_key, via_lists = self.actor_key, self.via_lists
        bulk.insert_rows(
            self.session,
            "assertion_via",
            ["assertion_id", "position", "actor_id"],
            [
                (i, pos, actor_ids[actor_key[name]])
                for i, via in zip(ids, chains, strict=True)
                if via and i is not None
                for pos, name in enumerate(via_lists[via], start=1)
            ],
            convert=False,
        )
        self.new += len(ids) - ids.count(None)

    def _copy_postgresql(
        self, rows: list[tuple[Any, ...]], chains: list[str], qualified: bool
    ) -> None:
        """COPY the rows in the background while the next batch is parsed.

        Most of a PostgreSQL import is the server checking each row (three foreign keys, the
        unique natural key, the full-text index); the server does that on its own core, so
        the data is formatted here (COPY text format) and a thread sends it and waits for the
        server while this thread reads on. The thread touches nothing but the driver
        connection, and ``_wait`` joins it before the session is used again.

        Neither way keeps a set of the natural keys written, which would grow with the file;
        the unique index of live natural keys finds the repeats, and the ids stay contiguous
        in file order, as on SQLite:

        - into an empty table loaded with its indexes after (``self.saved``): the rows go
          straight in with ids reserved here, and ``pgload.drop_repeats`` takes out the
          repeats at the end;
        - otherwise: into temporary staging tables, numbered in file order (``STAGING``);
          the statements run after the COPY (``_staged_inserts``) keep those whose natural key
          no live assertion has (the first of a repeat), give them ids and insert them with
          their via chains."""
        actor_ids, actor_key, via_lists = self.actor_ids, self.actor_key, self.via_lists
        escape = bulk.copy_text
        now = escape(self.now_value)
        columns = ASSERTION_COLUMNS
        direct = self.saved is not None
        ids: Iterable[int] = (
            bulk.reserve_ids(self.session, "assertion", len(rows)) if direct else range(len(rows))
        )
        if qualified:
            columns = ASSERTION_COLUMNS + QUALIFIED_COLUMNS
            data = [
                f"{i}\t{c}\t{a}\t{st}\t{d}\t{p}\t{s}\t{escape(q)}\t{now}\t{escape(qualifier)}"
                f"\t{escape(note)}\t{'t' if approximate else 'f'}\n"
                for i, (c, a, st, d, p, s, q, _, qualifier, note, approximate) in zip(
                    ids, rows, strict=True
                )
            ]
        else:
            data = [
                f"{i}\t{c}\t{a}\t{st}\t{d}\t{p}\t{s}\t{escape(q)}\t{now}\n"
                for i, (c, a, st, d, p, s, q, _) in zip(ids, rows, strict=True)
            ]
        via = [
            f"{i}\t{pos}\t{actor_ids[actor_key[name]]}\n"
            for i, chain in zip(ids, chains, strict=True)
            if chain
            for pos, name in enumerate(via_lists[chain], start=1)
        ]
        self._wait()
        if direct:
            self.writer = bulk.BackgroundCopy(
                self.session,
                [
                    ("assertion", ["id", *columns], "".join(data)),
                    ("assertion_via", ["assertion_id", "position", "actor_id"], "".join(via)),
                ],
            )
        else:
            self._staging()
            self.writer = bulk.BackgroundCopy(
                self.session,
                [
                    ("import_assertion", ["ord", *columns], "".join(data)),
                    ("import_via", ["ord", "position", "actor_id"], "".join(via)),
                ],
                after=_staged_inserts(columns),
            )
            self.pending = len(rows)
        self.new += len(rows)

    def _staging(self) -> None:
        """The temporary staging tables of ``_copy_postgresql``, once (dropped at commit or
        rollback)."""
        if self.staging_ready:
            return
        for statement in STAGING:
            self.session.execute(text(statement))
        self.staging_ready = True

    def _wait(self) -> None:
        """Wait for the background COPY, if any; raise its error. Rows the staging path did
        not insert were repeats."""
        writer, self.writer = self.writer, None
        if writer is not None:
            counts = writer.wait()
            if counts:
                repeats = self.pending - counts[INSERTED]
                self.new -= repeats
                self.result.duplicates += repeats
            self.pending = 0

    def _write_sqlite(self, rows: list[tuple[Any, ...]], qualified: bool) -> list[int | None]:
        """Insert with ``INSERT_NEW`` and no id: SQLite gives each inserted row the next id,
        so the ids are contiguous in file order (as when assigned up front) and a repeat of a
        live assertion (within the file) is not inserted and takes none. Returns the id of
        each row, None for a repeat. When the batch's new ids are as many as its rows and
        contiguous, none was a repeat; otherwise the new rows are read back by natural key."""
        session = self.session
        first = sqliteload.next_id(session, "assertion")
        raw = bulk.raw_connection(session)
        if rows:
            raw.executemany(INSERT_NEW_QUALIFIED if qualified else INSERT_NEW, rows)
        count, last = raw.execute(
            "SELECT count(*), coalesce(max(id), 0) FROM assertion WHERE id >= ?", (first,)
        ).fetchone()
        if count == len(rows) and last - first + 1 == count:
            return list(range(first, last + 1))
        # Some rows were repeats: the ids of the inserted rows are read back by natural key;
        # the first row with a key is the one inserted.
        ids: list[int | None] = []
        inserted = {
            tuple(key): found
            for found, *key in raw.execute(NEW_KEYS, (first,))  # one read, not one per row
        }
        for row in rows:
            found = inserted.pop(row[:6], None)
            ids.append(found)
        assert not inserted, "every inserted row is found by its natural key"
        return ids

    def _existing_keys(self, claims: set[int]) -> set[int]:
        found: set[int] = set()
        ids = sorted(claims)
        stmt = text(
            "SELECT claim_id, actor_id, stance, date, date_precision, source_id FROM assertion "
            "WHERE claim_id IN :ids AND id < :floor"
        ).bindparams(bindparam("ids", expanding=True))
        for start in range(0, len(ids), 5_000):
            for c, a, s, d, p, src in self.session.execute(
                stmt, {"ids": ids[start : start + 5_000], "floor": self.assertion_floor}
            ):
                day = d if isinstance(d, dt.date) else dt.date.fromisoformat(d)
                found.add(
                    _pack(
                        int(c),
                        int(a),
                        STANCE_CODES[s],
                        day.toordinal(),
                        PRECISION_CODES[p],
                        int(src),
                    )
                )
        return found

    def _release(self) -> None:
        """Drop what only the rows needed, before the indexes and the full-text index are
        built: those builds take memory of their own, and the peak is what counts."""
        for cache in (
            self.claim_key,
            self.url_key,
            self.source_ids,
            self.via_lists,
            self.lists,
            self.tag_lists,
            self.dates,
        ):
            cache.clear()

    def _finish(self) -> None:
        """After the last row: tags and sanctions linked, and the counts."""
        self.keys.link_claims()
        self.keys.known_names(self.outlets)
        self.keys.count(self.result, named=True)
        self.result.count("assertion", True, self.new)
        self.result.count("assertion", False, self.existing_hits)

    @contextmanager
    def _bulk_load(self) -> Iterator[None]:
        if not self.sqlite:
            # Into an empty assertion table: indexes and foreign keys after the load
            # (``factdb.storage.pgload``); into a populated one, no DDL and no lock that
            # would stop a reader.
            with pgload.indexes_after_load(self.session) as saved:
                self.saved = saved
                yield
            return
        session = self.session
        try:
            with sqliteload.bulk_load(session, indexes=True):
                yield
                # What the load needed is released (``_release``); the index builds and the
                # full-text insert that follow get a smaller cache, which also bounds SQLite's
                # sorter: the import's peak is here (a million rows: 302 MB, 277 MB with it).
                session.execute(text(f"PRAGMA cache_size=-{FINISH_CACHE_KIB}"))
        finally:
            session.execute(text(f"PRAGMA cache_size=-{db.BULK_CACHE_KIB}"))


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the load, as it was before afterwards.

    The batches create and drop millions of tuples that never form cycles (reference
    counting frees them), yet each batch outlives the young generations and triggers full
    collections that walk every cached key: about 4% of a million-row import."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


CLAIM_SHIFT = 24 + 3 + 22 + 2 + 32
"""``_pack(…) >> CLAIM_SHIFT`` is the claim id."""


def _pack(claim: int, actor: int, stance: int, ordinal: int, precision: int, source: int) -> int:
    """A natural key as one int: a set of a million of them stays small."""
    return ((((claim << 24 | actor) << 3 | stance) << 22 | ordinal) << 2 | precision) << 32 | source


def import_csv(
    session: Session,
    path: Path,
    label: str,
    progress: Progress | None = None,
    allow_confusable: bool = False,
    known_actors_only: bool = False,
) -> ImportResult:
    importer = CsvImport(session, path, label)
    importer.progress = progress
    importer.allow_confusable = allow_confusable
    importer.known_only = known_actors_only
    return importer.run()
