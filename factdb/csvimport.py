"""``factdb import FILE.csv``: the flat interchange format, streamed in two passes.

Pass 1 reads the file and validates every row, keeping only what is distinct (claims,
actors, sources, dates, lists), so memory grows with the number of distinct things, not
with the number of rows. If anything is wrong, every error (up to a cap) is reported with
``FILE:LINE:COLUMN`` and nothing is written. Then the new actors, sanctions, claims and
sources are written; pass 2 reads the file again and writes the assertions in batches
(``factdb.bulk``), skipping those already present (natural key) or repeated in the file.
All of it runs in the caller's single transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from factdb import bulk
from factdb.csvsafe import FORMULA_START
from factdb.dates import PartialDate
from factdb.errors import InvalidInput
from factdb.interchange import (
    CSV_COLUMNS,
    REQUIRED_COLUMNS,
    ImportErrors,
    ImportResult,
    _Errors,
)
from factdb.keys import (
    MAX_TEXT,
    name_key,
    normalize_url,
    source_key_without_url,
    tag_key,
    text_key,
)
from factdb.models import Stance, utcnow
from factdb.sanctions import add_sanction
from factdb.values import parse_date

BATCH = 20_000
Progress = Callable[[str, int], None]
"""Told ("checked" | "written", rows so far) as a large import advances; the CLI shows it
on stderr when stderr is a terminal. The domain layer itself never prints."""
STANCES = {s.value: s.value for s in Stance}
"""Accepted spellings of a stance -> the stored value (case and spaces forgiven)."""
STANCE_CODES = {s.value: i for i, s in enumerate(Stance)}
PRECISION_CODES = {"year": 0, "month": 1, "day": 2}


def _lines(path: Path, label: str) -> Iterator[str]:
    """Decode line by line, so an encoding problem names its line (not a byte offset)."""
    with path.open("rb") as handle:
        head = handle.read(2)
        if head in (b"\xff\xfe", b"\xfe\xff"):
            raise ImportErrors(
                [InvalidInput("encoding", "the file is UTF-16; save it as UTF-8", label, 1)], 1
            )
        handle.seek(0)
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            nul = raw.find(b"\x00")
            if nul >= 0:
                raise ImportErrors(
                    [
                        InvalidInput(
                            "encoding",
                            "contains a NUL byte (a binary file?)",
                            label,
                            number,
                            nul + 1,
                        )
                    ],
                    1,
                )
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                byte = raw[exc.start : exc.start + 1].hex()
                raise ImportErrors(
                    [
                        InvalidInput(
                            "encoding",
                            f"byte 0x{byte} is not UTF-8; save the file as UTF-8",
                            label,
                            number,
                            exc.start + 1,
                        )
                    ],
                    1,
                ) from None


def _unescape(value: str) -> str:
    if value.startswith("'") and value[1:2] and value[1:2] in FORMULA_START:
        return value[1:]
    return value


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
        # Distinct values seen in pass 1, each validated once.
        self.claim_key: dict[str, str] = {}  # raw text -> key
        self.claim_text: dict[str, str] = {}  # key -> first spelling
        self.actor_key: dict[str, str] = {}  # raw name -> key
        self.actor_name: dict[str, str] = {}  # key -> first spelling
        self.url_key: dict[str, str] = {}  # raw url -> source key
        self.source_first: dict[str, tuple[str | None, str | None, str | None]] = {}
        self.dates: dict[str, PartialDate] = {}
        self.lists: dict[str, tuple[str, ...]] = {}
        self.via_lists: dict[str, tuple[str, ...]] = {}
        self.tag_lists: dict[str, tuple[str, ...]] = {}
        self.claim_tags: dict[str, set[str]] = {}
        self.claim_violates: dict[str, set[str]] = {}

    # -- reading ------------------------------------------------------------------------

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(_lines(self.path, self.label), strict=True)
        last = 0
        while True:
            start = last + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportErrors(
                    [InvalidInput("csv", f"{exc} (an unterminated quote?)", self.label, start)],
                    1,
                ) from None
            last = reader.line_num
            yield start, record

    def _header(self, records: Iterator[tuple[int, list[str]]], errors: _Errors) -> None:
        try:
            _, header = next(records)
        except StopIteration:
            raise ImportErrors(
                [InvalidInput("header", "the file is empty", self.label, 1)], 1
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
        self.idx = tuple(self.position.get(name, -1) for name in CSV_COLUMNS)

    # -- pass 1 ---------------------------------------------------------------------------

    def validate(self) -> int:
        errors = _Errors(self.label)
        records = self._records()
        self._header(records, errors)
        rows = 0
        for line, record in records:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if len(record) != self.width:
                errors.add(
                    InvalidInput("row", f"has {len(record)} fields, the header has {self.width}"),
                    line,
                )
                continue
            rows += 1
            self._validate_row(record, line, errors)
            if self.progress is not None and rows % 100_000 == 0:
                self.progress("checked", rows)
        errors.raise_if_any()
        return rows

    def _get(self, record: list[str], name: str) -> str:
        index = self.position.get(name)
        if index is None:
            return ""
        value = record[index]
        return _unescape(value) if value[:1] == "'" else value

    def _fail(self, errors: _Errors, line: int, name: str, reason: str) -> None:
        errors.add(InvalidInput(name, reason), line, self.position[name] + 1)

    def _text(
        self,
        value: str,
        name: str,
        line: int,
        errors: _Errors,
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

    def _validate_row(self, record: list[str], line: int, errors: _Errors) -> None:
        """Cache hits only on the hot path; every miss goes through a careful check."""
        ci, ai, si, di, ui, oi, ti, qi, vi, gi, xi = self.idx
        get = self._field
        claim_raw = get(record, ci)
        key = self.claim_key.get(claim_raw)
        if key is None:
            claim = self._text(claim_raw, "claim", line, errors, required=True, single_line=False)
            if claim:
                key = text_key(claim)
                self.claim_key[claim_raw] = key
                self.claim_text.setdefault(key, claim)
        actor = get(record, ai)
        if actor not in self.actor_key:
            self._names(actor, "actor", line, errors, single=True)
        stance = get(record, si)
        if stance not in STANCES and stance.strip().lower() not in STANCES:
            self._fail(
                errors,
                line,
                "stance",
                f"{stance!r} is not a stance; use one of {', '.join(STANCES)}",
            )
        date_raw = get(record, di)
        if date_raw not in self.dates:
            # Not stripped: " 2024" is refused like any other malformed date.
            if not date_raw.strip():
                self._fail(errors, line, "date", "is required; use YYYY, YYYY-MM or YYYY-MM-DD")
            else:
                try:
                    self.dates[date_raw] = parse_date(date_raw, "date")
                except InvalidInput as exc:
                    self._fail(errors, line, "date", exc.reason)
        url = get(record, ui)
        outlet, title = get(record, oi), get(record, ti)
        if (
            not url
            or url not in self.url_key
            or "\n" in outlet
            or "\n" in title
            or "\r" in (outlet + title)
            or len(outlet) > MAX_TEXT
            or len(title) > MAX_TEXT
        ):
            self._source(record, line, errors)
        quote = get(record, qi)
        if len(quote) > MAX_TEXT:
            self._text(quote, "quote", line, errors, required=False, single_line=False)
        via = get(record, vi)
        if via and via not in self.via_lists:
            self._names(via, "via", line, errors, single=False)
        tags_raw = get(record, gi)
        if tags_raw not in self.tag_lists:
            try:
                self.tag_lists[tags_raw] = tuple(
                    tag_key(t, "tags") for t in tags_raw.split(";") if t.strip()
                )
            except InvalidInput as exc:
                self._fail(errors, line, "tags", exc.reason)
        if key is not None:
            tags = self.tag_lists.get(tags_raw)
            if tags:
                self.claim_tags.setdefault(key, set()).update(tags)
            violates_raw = get(record, xi)
            if violates_raw:
                self.claim_violates.setdefault(key, set()).update(self._list(violates_raw))

    @staticmethod
    def _field(record: list[str], index: int) -> str:
        if index < 0:
            return ""
        value = record[index]
        return _unescape(value) if value[:1] == "'" else value

    def _list(self, raw: str) -> tuple[str, ...]:
        found = self.lists.get(raw)
        if found is None:
            found = tuple(part.strip() for part in raw.split(";") if part.strip())
            self.lists[raw] = found
        return found

    def _names(
        self, raw: str, column: str, line: int, errors: _Errors, *, single: bool
    ) -> tuple[str, ...]:
        if single:
            names: tuple[str, ...] = (raw.strip(),)
            if not names[0]:
                self._fail(errors, line, column, "must not be empty")
                return ()
        else:
            names = tuple(part.strip() for part in raw.split(";") if part.strip())
            self.via_lists[raw] = names
        for name in names:
            if name not in self.actor_key:
                if "\n" in name or "\r" in name:
                    self._fail(errors, line, column, "must be a single line")
                    continue
                if len(name) > MAX_TEXT:
                    self._fail(errors, line, column, f"is {len(name):,} characters long")
                    continue
                key = name_key(name)
                self.actor_key[name] = key
                self.actor_name.setdefault(key, name)
        return names

    def _source(self, record: list[str], line: int, errors: _Errors) -> None:
        url = self._get(record, "source_url").strip()
        outlet = self._text(
            self._get(record, "outlet"), "outlet", line, errors, required=False, single_line=True
        )
        title = self._text(
            self._get(record, "title"), "title", line, errors, required=False, single_line=True
        )
        if url:
            key = self.url_key.get(url)
            if key is None:
                try:
                    display, key = normalize_url(url, "source_url")
                except InvalidInput as exc:
                    self._fail(errors, line, "source_url", exc.reason)
                    return
                self.url_key[url] = key
                self.source_first.setdefault(key, (display, outlet, title))
        elif outlet or title:
            key = source_key_without_url(outlet, title, None)
            self.url_key["\x00" + (outlet or "") + "\x00" + (title or "")] = key
            self.source_first.setdefault(key, (None, outlet, title))
        else:
            self._fail(errors, line, "source_url", "a source needs a URL, or an outlet and a title")

    # -- writing --------------------------------------------------------------------------

    def _lookup(self, table: str, column: str, keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        stmt = text(f"SELECT id, {column} FROM {table} WHERE {column} IN :keys").bindparams(
            bindparam("keys", expanding=True)
        )
        for start in range(0, len(keys), 5_000):
            for row_id, key in self.session.execute(stmt, {"keys": keys[start : start + 5_000]}):
                found[key] = int(row_id)
        return found

    def write(self) -> None:
        session = self.session
        sqlite = bulk.dialect(session) == "sqlite"
        now = utcnow()
        now_value = bulk.sqlite_value(now) if sqlite else now
        # Actors: by name or alias.
        actor_ids = {
            key: int(i) for i, key in session.execute(text("SELECT id, name_key FROM actor"))
        }
        actor_ids.update(
            {
                key: int(i)
                for i, key in session.execute(text("SELECT actor_id, alias_key FROM actor_alias"))
            }
        )
        new_actors = [k for k in self.actor_name if k not in actor_ids]
        self.result.count(
            "actor", False, len({actor_ids[k] for k in self.actor_name if k in actor_ids})
        )
        ids = bulk.reserve_ids(session, "actor", len(new_actors))
        bulk.insert_rows(
            session,
            "actor",
            ["id", "name", "name_key", "kind", "created_at"],
            (
                (i, self.actor_name[k], k, "other", now_value)
                for i, k in zip(ids, new_actors, strict=True)
            ),
            convert=False,
        )
        actor_ids.update(zip(new_actors, ids, strict=True))
        self.result.count("actor", True, len(new_actors))
        # Sanctions named in violates: created by name when missing.
        sanction_ids = {
            key: int(i) for i, key in session.execute(text("SELECT id, name_key FROM sanction"))
        }
        for names in self.claim_violates.values():
            for name in names:
                if name_key(name) not in sanction_ids:
                    sanction = add_sanction(session, name=name)
                    assert sanction.id is not None
                    sanction_ids[name_key(name)] = sanction.id
                    self.result.count("sanction", True)
        # Claims.
        claim_ids = self._lookup("claim", "text_key", list(self.claim_text))
        existing_claims = set(claim_ids.values())
        new_claims = [k for k in self.claim_text if k not in claim_ids]
        ids = bulk.reserve_ids(session, "claim", len(new_claims))
        bulk.insert_rows(
            session,
            "claim",
            ["id", "text", "text_key", "created_at"],
            ((i, self.claim_text[k], k, now_value) for i, k in zip(ids, new_claims, strict=True)),
            convert=False,
        )
        claim_ids.update(zip(new_claims, ids, strict=True))
        self.result.count("claim", True, len(new_claims))
        self.result.count("claim", False, len(existing_claims))
        self._links(claim_ids, existing_claims, sanction_ids)
        # Sources.
        source_ids = self._lookup("source", "key", list(self.source_first))
        self.result.count("source", False, len(source_ids))
        new_sources = [k for k in self.source_first if k not in source_ids]
        ids = bulk.reserve_ids(session, "source", len(new_sources))
        bulk.insert_rows(
            session,
            "source",
            ["id", "url", "key", "outlet", "title", "created_at"],
            ((i, *self._source_row(k), now_value) for i, k in zip(ids, new_sources, strict=True)),
            convert=False,
        )
        source_ids.update(zip(new_sources, ids, strict=True))
        self.result.count("source", True, len(new_sources))
        if sqlite:
            with _fts_set_based(session), _indexes_after_load(session):
                self._assertions(
                    claim_ids, existing_claims, actor_ids, source_ids, sqlite, now_value
                )
        else:
            self._assertions(claim_ids, existing_claims, actor_ids, source_ids, sqlite, now_value)

    def _source_row(self, key: str) -> tuple[str | None, str, str | None, str | None]:
        display, outlet, title = self.source_first[key]
        return display, key, outlet, title

    def _links(
        self, claim_ids: dict[str, int], existing: set[int], sanction_ids: dict[str, int]
    ) -> None:
        tags = {(claim_ids[k], t) for k, ts in self.claim_tags.items() for t in ts}
        links = {
            (claim_ids[k], sanction_ids[name_key(v)])
            for k, vs in self.claim_violates.items()
            for v in vs
        }
        touched = sorted({c for c, _ in tags} | {c for c, _ in links} & existing)
        for start in range(0, len(touched), 5_000):
            chunk = touched[start : start + 5_000]
            tags -= {
                (int(c), t)
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
        bulk.insert_rows(self.session, "claim_tag", ["claim_id", "tag"], sorted(tags))
        bulk.insert_rows(self.session, "claim_sanction", ["claim_id", "sanction_id"], sorted(links))

    def _existing_keys(self, claims: set[int]) -> set[int]:
        found: set[int] = set()
        ids = sorted(claims)
        stmt = text(
            "SELECT claim_id, actor_id, stance, date, date_precision, source_id FROM assertion "
            "WHERE claim_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        for start in range(0, len(ids), 5_000):
            for c, a, s, d, p, src in self.session.execute(
                stmt, {"ids": ids[start : start + 5_000]}
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

    def _assertions(
        self,
        claim_ids: dict[str, int],
        existing_claims: set[int],
        actor_ids: dict[str, int],
        source_ids: dict[str, int],
        sqlite: bool,
        now_value: Any,
    ) -> None:
        existing = self._existing_keys(existing_claims)
        seen: set[int] = set()
        date_values = {
            raw: (
                d,
                d.start.isoformat() if sqlite else d.start,
                d.start.toordinal(),
                PRECISION_CODES[d.precision],
            )
            for raw, d in self.dates.items()
        }
        assertion_cols = [
            "id",
            "claim_id",
            "actor_id",
            "stance",
            "date",
            "date_precision",
            "source_id",
            "quote",
            "recorded_at",
        ]
        pending: list[tuple[Any, ...]] = []
        pending_via: list[tuple[str, ...]] = []
        duplicates = 0
        existing_hits = 0
        new = 0

        def flush() -> None:
            ids = bulk.reserve_ids(self.session, "assertion", len(pending))
            bulk.insert_rows(
                self.session,
                "assertion",
                assertion_cols,
                ((i, *row) for i, row in zip(ids, pending, strict=True)),
                convert=False,
            )
            bulk.insert_rows(
                self.session,
                "assertion_via",
                ["assertion_id", "position", "actor_id"],
                (
                    (i, pos, actor_ids[self.actor_key[name]])
                    for i, chain in zip(ids, pending_via, strict=True)
                    for pos, name in enumerate(chain, start=1)
                ),
                convert=False,
            )
            pending.clear()
            pending_via.clear()

        ci, ai, si, di, ui, oi, ti, qi, vi, _, _ = self.idx
        get = self._field
        claim_key, actor_key, via_lists = self.claim_key, self.actor_key, self.via_lists
        url_key = self.url_key
        reader = csv.reader(_lines(self.path, self.label), strict=True)
        next(reader)  # the header, checked in pass 1
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            claim_id = claim_ids[claim_key[get(record, ci)]]
            actor_id = actor_ids[actor_key[get(record, ai).strip()]]
            stance = get(record, si)
            if stance not in STANCE_CODES:
                stance = stance.strip().lower()
            date, date_value, ordinal, precision = date_values[get(record, di)]
            url = get(record, ui).strip()
            if url:
                source_key = url_key[url]
            else:
                source_key = url_key[
                    "\x00" + get(record, oi).strip() + "\x00" + get(record, ti).strip()
                ]
            source_id = source_ids[source_key]
            packed = _pack(claim_id, actor_id, STANCE_CODES[stance], ordinal, precision, source_id)
            if packed in seen:
                duplicates += 1
                continue
            seen.add(packed)
            if packed in existing:
                existing_hits += 1
                continue
            quote = get(record, qi).strip() or None
            pending.append(
                (
                    claim_id,
                    actor_id,
                    stance,
                    date_value,
                    date.precision,
                    source_id,
                    quote,
                    now_value,
                )
            )
            via = get(record, vi)
            pending_via.append(via_lists[via] if via else ())
            new += 1
            if len(pending) >= BATCH:
                flush()
                if self.progress is not None:
                    self.progress("written", new)
        if pending:
            flush()
        self.result.count("assertion", True, new)
        self.result.count("assertion", False, existing_hits)
        self.result.duplicates = duplicates

    def run(self) -> ImportResult:
        self.result.rows = self.validate()
        self.write()
        return self.result


FTS_TRIGGERS = {"quote_fts_insert": ("quote_fts", "quote", "assertion")}


@contextmanager
def _fts_set_based(session: Session) -> Iterator[None]:
    """Index the quotes of a bulk import in one set-based statement instead of one trigger
    call per row, inside the import's transaction: the trigger is taken out, the new rows
    are indexed with INSERT … SELECT, and the trigger is put back exactly as it was (its SQL
    read from sqlite_master), so the index stays current and the change is atomic."""
    saved = {
        name: sql
        for name, sql in session.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN :names"
            ).bindparams(bindparam("names", expanding=True)),
            {"names": list(FTS_TRIGGERS)},
        )
    }
    first = int(
        session.execute(text("SELECT coalesce(max(id), 0) + 1 FROM assertion")).scalar_one()
    )
    for name in saved:
        session.execute(text(f"DROP TRIGGER {name}"))
    yield
    for name, sql in saved.items():
        fts, column, table = FTS_TRIGGERS[name]
        session.execute(
            text(
                f"INSERT INTO {fts}(rowid, {column}) SELECT id, {column} FROM {table} "
                f"WHERE id >= :first AND {column} IS NOT NULL"
            ),
            {"first": first},
        )
        session.execute(text(sql))


# Secondary indexes of the assertion tables: random order under a bulk load, so into an empty
# table they are built once afterwards, sorted (PERFORMANCE.md), not row by row.
AFTER_LOAD_INDEXES = (
    "ix_assertion_actor_id",
    "ix_assertion_source_id",
    "ix_assertion_via_actor_id",
)


@contextmanager
def _indexes_after_load(session: Session) -> Iterator[None]:
    """Into an empty assertion table, drop its secondary indexes and build them after the
    load, in the same transaction (atomic: a failed import restores them with the rest)."""
    empty = session.execute(text("SELECT 1 FROM assertion LIMIT 1")).first() is None
    saved: list[tuple[str, str]] = []
    if empty:
        saved = [
            (str(name), str(sql))
            for name, sql in session.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN :names"
                ).bindparams(bindparam("names", expanding=True)),
                {"names": list(AFTER_LOAD_INDEXES)},
            )
        ]
        for name, _ in saved:
            session.execute(text(f"DROP INDEX {name}"))
    yield
    for _, sql in saved:
        session.execute(text(sql))


def _pack(claim: int, actor: int, stance: int, ordinal: int, precision: int, source: int) -> int:
    """A natural key as one int: a set of a million of them stays small."""
    return ((((claim << 24 | actor) << 3 | stance) << 22 | ordinal) << 2 | precision) << 32 | source


def import_csv(
    session: Session, path: Path, label: str, progress: Progress | None = None
) -> ImportResult:
    importer = CsvImport(session, path, label)
    importer.progress = progress
    return importer.run()
