"""The reads of external identifiers (``external_id``): which record an identifier names, and
the identifiers of an actor, of a sanction, or of all of them (docs/design.md, External
identifiers). Identifiers are printed ``scheme:value``, sorted.

Public: ``actor_by_external_id``, ``sanction_by_external_id``, ``external_id_owner``,
``actor_external_ids``, ``sanction_external_ids``, ``all_actor_external_ids``,
``all_sanction_external_ids``, ``actor_by_external_ref``, ``sanction_by_external_ref``."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Literal

from factdb.core.identifiers import ExternalId, external_id_or_none
from factdb.storage.reader import Reader

if TYPE_CHECKING:
    from factdb.queries.base import Conn

Owner = tuple[Literal["actor", "sanction"], int, str]
"""The record an identifier names: its kind, id and name."""


def external_id_owner(conn: Conn, ident: ExternalId) -> Owner | None:
    """The actor or sanction ``ident`` identifies, or None."""
    row = Reader.of(conn).first(
        "SELECT e.actor_id, a.name, e.sanction_id, s.name FROM external_id AS e "
        "LEFT JOIN actor AS a ON a.id = e.actor_id "
        "LEFT JOIN sanction AS s ON s.id = e.sanction_id "
        "WHERE e.scheme = :scheme AND e.value = :value",
        {"scheme": ident.scheme, "value": ident.value},
    )
    if row is None:
        return None
    actor_id, actor, sanction_id, sanction = row
    if actor_id is not None:
        return "actor", int(actor_id), str(actor)
    return "sanction", int(sanction_id), str(sanction)


def scheme_in_use(conn: Conn, scheme: str) -> bool:
    """Whether any record has an identifier of ``scheme``."""
    return (
        Reader.of(conn).first(
            "SELECT 1 FROM external_id WHERE scheme = :scheme LIMIT 1", {"scheme": scheme}
        )
        is not None
    )


def actor_by_external_id(conn: Conn, ident: ExternalId) -> tuple[int, str] | None:
    """(id, name) of the actor ``ident`` identifies; None if it identifies no actor."""
    owner = external_id_owner(conn, ident)
    return (owner[1], owner[2]) if owner is not None and owner[0] == "actor" else None


def sanction_by_external_id(conn: Conn, ident: ExternalId) -> tuple[int, str] | None:
    """(id, name) of the sanction ``ident`` identifies; None if it identifies no sanction."""
    owner = external_id_owner(conn, ident)
    return (owner[1], owner[2]) if owner is not None and owner[0] == "sanction" else None


def actor_by_external_ref(conn: Conn, ref: str) -> tuple[int, str] | None:
    """(id, name) of the actor that ``ref``, read as an identifier (``wikidata:Q7747``,
    ``Q7747``, a Wikidata URL), identifies; None if ``ref`` is no identifier or names none.
    The look-ups by reference try names and aliases first (``queries.actor_ref``)."""
    ident = external_id_or_none(ref)
    return None if ident is None else actor_by_external_id(conn, ident)


def sanction_by_external_ref(conn: Conn, ref: str) -> tuple[int, str] | None:
    """As ``actor_by_external_ref``, for a sanction."""
    ident = external_id_or_none(ref)
    return None if ident is None else sanction_by_external_id(conn, ident)


def _ids_of(conn: Conn, column: str, record_id: int) -> list[str]:
    return [
        f"{scheme}:{value}"
        for scheme, value in Reader.of(conn).rows(
            f"SELECT scheme, value FROM external_id WHERE {column} = :id ORDER BY scheme, value",
            {"id": record_id},
        )
    ]


def actor_external_ids(conn: Conn, actor_id: int) -> list[str]:
    """The identifiers of an actor, ``scheme:value``, sorted."""
    return _ids_of(conn, "actor_id", actor_id)


def sanction_external_ids(conn: Conn, sanction_id: int) -> list[str]:
    """The identifiers of a sanction, ``scheme:value``, sorted."""
    return _ids_of(conn, "sanction_id", sanction_id)


def _all_ids(conn: Conn, column: str) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for record_id, scheme, value in Reader.of(conn).rows(
        f"SELECT {column}, scheme, value FROM external_id WHERE {column} IS NOT NULL "
        f"ORDER BY {column}, scheme, value"
    ):
        found[int(record_id)].append(f"{scheme}:{value}")
    return dict(found)


def all_actor_external_ids(conn: Conn) -> dict[int, list[str]]:
    """Every actor with identifiers -> its identifiers (``actor list``, the export)."""
    return _all_ids(conn, "actor_id")


def all_sanction_external_ids(conn: Conn) -> dict[int, list[str]]:
    """Every sanction with identifiers -> its identifiers."""
    return _all_ids(conn, "sanction_id")
