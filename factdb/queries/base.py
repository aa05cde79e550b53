"""What every read takes (``Conn``), the filters of ``list`` and the reports, the shape of a
sanction row, and the look-ups of actors and sanctions by what a user types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from factdb.core.dates import PartialDate, stored_text
from factdb.core.errors import NotFound
from factdb.core.hints import CloseNames, close_by_words, describe_suggestions
from factdb.core.keys import name_key, parse_id
from factdb.core.vocabulary import Stance
from factdb.storage.reader import Reader

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


Conn: TypeAlias = "Session | Reader"
"""What every read takes: a session (its connection and transaction) or a reader."""

COMMON_QUOTE_HITS = 1000
"""From this many matching quotes on, a word is common: ``list --search`` with a limit then
walks the claims in order instead of resolving every match (``search_condition``)."""
POSITIVE = "('asserts', 'supports')"
NEGATIVE = "('disputes', 'denies')"


@dataclass
class Filters:
    """The filters shared by ``list``, ``report`` and ``export`` (docs/design.md)."""

    actor: str | None = None
    via: str | None = None
    outlet: str | None = None
    """Claims with a counted assertion reported in a source of this outlet (or its parts)."""
    stance: Stance | None = None
    tag: str | None = None
    since: PartialDate | None = None
    until: PartialDate | None = None
    as_of: PartialDate | None = None
    contested: bool = False
    reversed: bool = False
    search: str | None = None
    sanction: str | None = None
    include_retracted: bool = False
    min_reliability: str | None = None
    """A reliability grade (A–F): only assertions whose source's outlet is rated so or better
    count (docs/design.md, Ratings)."""
    min_credibility: str | None = None
    """A credibility grade (1–6): only assertions rated so or better count."""
    limit: int | None = None
    min_origins: int | None = None
    related_to: int | None = None
    """A claim's id: only the claims related to it (``queries.relations.RELATED_IDS``)."""

    @property
    def windowed(self) -> bool:
        return any(d is not None for d in (self.since, self.until, self.as_of))

    @property
    def graded(self) -> bool:
        """Whether a rating filter leaves some assertions out of the count."""
        return self.min_reliability is not None or self.min_credibility is not None


@dataclass
class Sql:
    """Conditions and their parameters, built up for one statement on reader ``r``."""

    r: Reader
    where: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.r.rows(sql, self.params)


# --- look-ups by what a user types -----------------------------------------------------------


def actor_by_name(conn: Conn, name: str) -> tuple[int, str] | None:
    """(id, name) of the actor called ``name`` or answering to it as an alias, compared by
    ``name_key`` (case and spacing forgiven); None if no actor does. The one look-up by name
    behind ``actor_ref`` and ``actors.find_actor``."""
    r = Reader.of(conn)
    key = name_key(name)
    row = r.first("SELECT id, name FROM actor WHERE name_key = :key", {"key": key}) or r.first(
        "SELECT a.id, a.name FROM actor_alias AS x JOIN actor AS a ON a.id = x.actor_id "
        "WHERE x.alias_key = :key",
        {"key": key},
    )
    return None if row is None else (int(row[0]), str(row[1]))


def actor_keys(conn: Conn) -> dict[str, int]:
    """Every actor's ``name_key`` and alias keys -> the actor's id: the map an import resolves
    the names of a whole file with, read once (``interchange.resolve``). Its keys are those
    ``actor_by_name`` compares."""
    r = Reader.of(conn)
    keys = {str(key): int(i) for i, key in r.rows("SELECT id, name_key FROM actor")}
    keys.update(
        (str(key), int(i)) for i, key in r.rows("SELECT actor_id, alias_key FROM actor_alias")
    )
    return keys


def actor_ref(conn: Conn, ref: str) -> tuple[int, str]:
    """(id, name) of an actor by name, alias (``actor_by_name``), numeric id or, when no
    name or alias is ``ref``, external id (``wikidata:Q7747``, ``Q7747``:
    ``identifiers.actor_by_external_ref``); ``NotFound`` with a did-you-mean hint
    (``actors.get_actor`` is this, as an ORM object)."""
    from factdb.queries.identifiers import actor_by_external_ref

    r = Reader.of(conn)
    found = actor_by_name(r, ref)
    number = parse_id(ref)
    if found is None and number is not None and r.holds_id(number):
        row = r.first("SELECT id, name FROM actor WHERE id = :id", {"id": number})
        found = None if row is None else (int(row[0]), str(row[1]))
    if found is None and number is None:
        found = actor_by_external_ref(r, ref)
    if found is None:
        gone = deleted_note(r, "actor", number) if number is not None else None
        near = CloseNames(actor_name_pairs(r)).of(ref)
        raise NotFound(
            "actor",
            ref,
            gone or (f"did you mean {describe_suggestions(near)}?" if near else None),
        )
    return found


def deleted_note(conn: Conn, table: str, ident: int) -> str | None:
    """Where a record that is gone went, from the change history: "it was deleted on D by U
    (command); see `factdb history …`". None if the history never saw it deleted."""
    r = Reader.of(conn)
    if not r.holds_id(ident):
        return None
    row = r.first(
        "SELECT c.at, s.user_name, s.command FROM change AS c LEFT JOIN change_set AS s "
        "ON s.id = c.set_id WHERE c.table_name = :table AND c.row_key = :key "
        "AND c.op = 'delete' ORDER BY c.id DESC LIMIT 1",
        {"table": table, "key": str(ident)},
    )
    if row is None:
        return None
    at, user, command = row
    how = f" ({command})" if command else ""
    return (
        f"it was deleted on {str(at)[:10]} by {user or '(direct SQL)'}{how}; "
        f"see `factdb history {table} {ident}`"
    )


def actor_name_pairs(conn: Conn) -> list[tuple[str, str]]:
    """Every (name or alias, actor name) pair, for "did you mean" hints."""
    r = Reader.of(conn)
    pairs = [(str(n), str(n)) for (n,) in r.rows("SELECT name FROM actor")]
    pairs += [
        (str(alias), str(n))
        for alias, n in r.rows(
            "SELECT x.alias, a.name FROM actor_alias AS x JOIN actor AS a ON a.id = x.actor_id"
        )
    ]
    return pairs


def sanction_ref(conn: Conn, ref: str) -> tuple[int, str]:
    """(id, name) of a sanction by name, numeric id or, when no sanction has the name ``ref``,
    external id (``identifiers.sanction_by_external_ref``) (``sanctions.get_sanction`` is
    this, as an ORM object); ``NotFound`` naming the closest names (``hints.close_by_words``)."""
    from factdb.queries.identifiers import sanction_by_external_ref

    r = Reader.of(conn)
    row = r.first("SELECT id, name FROM sanction WHERE name_key = :key", {"key": name_key(ref)})
    number = parse_id(ref)
    if row is None and number is not None and r.holds_id(number):
        row = r.first("SELECT id, name FROM sanction WHERE id = :id", {"id": number})
    if row is None and number is None:
        row = sanction_by_external_ref(r, ref)
    if row is None:
        near = close_by_words(ref, [str(n) for (n,) in r.rows("SELECT name FROM sanction")])
        raise NotFound(
            "sanction",
            ref,
            f"did you mean {describe_suggestions([(n, n) for n in near])}?"
            if near
            else "add it first with `factdb sanction add NAME`",
        )
    return int(row[0]), str(row[1])


MEMBERSHIP_EDGES = (
    "edge(child_id, parent_id) AS ("
    "SELECT id, part_of_id FROM actor WHERE part_of_id IS NOT NULL "
    "UNION ALL SELECT actor_id, parent_id FROM actor_membership)"
)
"""SQL (a CTE): ``edge``, every membership of the hierarchy, current (``actor.part_of_id``) and
ended (``actor_membership``), as (child, parent) (docs/design.md, Memberships over time)."""


def descendant_ids(conn: Conn, actor_id: int) -> list[int]:
    """The actor and every actor that is or was part of it, at any depth, through current
    and ended memberships (docs/design.md, Memberships over time; ``UNION`` stops at a cycle
    written behind factdb's back)."""
    return [
        int(row[0])
        for row in Reader.of(conn).rows(
            f"WITH RECURSIVE {MEMBERSHIP_EDGES}, "
            "parts(id) AS (SELECT id FROM actor WHERE id = :id UNION "
            "SELECT e.child_id FROM edge AS e JOIN parts ON e.parent_id = parts.id) "
            "SELECT id FROM parts",
            {"id": actor_id},
        )
    ]


SANCTION_COLUMNS = (
    "s.name, s.authority, s.authority_id, au.name, s.programme, s.adopted, s.adopted_precision, "
    "s.measures, s.url"
)
SANCTION_FROM = "FROM sanction AS s LEFT JOIN actor AS au ON au.id = s.authority_id"
"""A sanction's own fields, its authority as given and as an actor (docs/design.md,
Sanctions); its targets are rows of ``sanction_target`` (``queries.sanction_targets``)."""


def sanction_fields(
    name: str,
    authority: Any,
    authority_id: Any,
    authority_actor: Any,
    programme: Any,
    adopted: Any,
    precision: Any,
    measures: Any,
    url: Any,
) -> dict[str, Any]:
    """A sanction's own fields (``SANCTION_COLUMNS``) as data, for ``list`` and the export:
    ``authority`` as given, ``authority_id`` and ``authority_actor`` (the actor's current
    name), as a source's outlet."""
    return {
        "name": name,
        "authority": authority,
        "authority_id": None if authority_id is None else int(authority_id),
        "authority_actor": authority_actor,
        "programme": programme,
        "adopted": stored_text(adopted, precision),
        "measures": measures,
        "url": url,
    }
