"""External identifiers of actors and sanctions (``wikidata:Q7747``): attach, detach, find a
record by one, move an actor's to another (docs/design.md, External identifiers).

One value of a scheme names one record: attaching an identifier that another record has is a
``Conflict`` naming that record; attaching one the record has already changes nothing.
Identifiers are given as ``core.identifiers.ExternalId`` (``parse_external_id`` reads what a
user typed) or as text, parsed here.

Public, for the commands and for importers:

* ``find_actor_by_external_id(session, ident) -> Actor | None``
* ``find_sanction_by_external_id(session, ident) -> Sanction | None``
* ``attach_actor_id(session, actor_id, ident) -> bool`` and
  ``attach_sanction_id(session, sanction_id, ident) -> bool``: True when added;
* ``identify(session, record=, ref=, ids=) -> Correction`` and ``unidentify(…)``: the commands
  ``actor|sanction identify|unidentify``;
* ``move_actor_ids(session, from_id, into_id) -> int`` (``actor merge``),
  ``count_actor_ids(session, actor_id) -> int`` (``actor delete``).

The identifiers of a record are read with ``queries.actor_external_ids`` and
``queries.sanction_external_ids`` (every record's: ``queries.all_actor_external_ids``)."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from factdb.core.errors import Conflict
from factdb.core.identifiers import (
    ExternalId,
    external_id_or_none,
    parse_external_id,
    parse_external_ids,
)
from factdb.domain.changes import Correction
from factdb.domain.records import Record, attach_external_id, taken_message
from factdb.queries import (
    actor_external_ids,
    actor_ref,
    external_id_owner,
    sanction_external_ids,
    sanction_ref,
)
from factdb.queries.base import Conn
from factdb.storage.models import Actor, Sanction
from factdb.storage.models import ExternalId as ExternalIdRow


def _ident(ident: ExternalId | str) -> ExternalId:
    return ident if isinstance(ident, ExternalId) else parse_external_id(ident)


def find_actor_by_external_id(session: Session, ident: ExternalId | str) -> Actor | None:
    """The actor ``ident`` identifies; None if it identifies none (or a sanction)."""
    owner = external_id_owner(session, _ident(ident))
    return session.get(Actor, owner[1]) if owner is not None and owner[0] == "actor" else None


def find_sanction_by_external_id(session: Session, ident: ExternalId | str) -> Sanction | None:
    """The sanction ``ident`` identifies; None if it identifies none (or an actor)."""
    owner = external_id_owner(session, _ident(ident))
    if owner is None or owner[0] != "sanction":
        return None
    return session.get(Sanction, owner[1])


def find_actor_by_external_ref(session: Session, ref: str) -> Actor | None:
    """The actor that ``ref``, read as an identifier (``wikidata:Q7747``, ``Q7747``, a
    Wikidata URL), identifies; None if ``ref`` is no identifier or identifies no actor."""
    ident = external_id_or_none(ref)
    return None if ident is None else find_actor_by_external_id(session, ident)


def attach_actor_id(conn: Conn, actor_id: int, ident: ExternalId | str) -> bool:
    """Give actor ``actor_id`` the identifier ``ident``: True when added, False when it has it
    already; ``Conflict`` (``records.taken_message``) when another actor or a sanction has it
    (``records.attach_external_id``)."""
    return attach_external_id(conn, "actor", actor_id, _ident(ident))


def attach_sanction_id(conn: Conn, sanction_id: int, ident: ExternalId | str) -> bool:
    """As ``attach_actor_id``, for a sanction."""
    return attach_external_id(conn, "sanction", sanction_id, _ident(ident))


def _record(session: Session, record: Record, ref: str) -> tuple[int, str]:
    return actor_ref(session, ref) if record == "actor" else sanction_ref(session, ref)


def _ids_of(session: Session, record: Record, record_id: int) -> list[str]:
    if record == "actor":
        return actor_external_ids(session, record_id)
    return sanction_external_ids(session, record_id)


def identify(session: Session, *, record: Record, ref: str, ids: list[str]) -> Correction:
    """Attach identifiers to the actor or sanction ``ref`` names (name, alias, id or one of
    its identifiers). All are checked before the first is written: a malformed one is
    ``InvalidInput``, one that another record has a ``Conflict`` naming that record. Those the
    record has already are said in ``notes``."""
    idents = parse_external_ids(ids)
    record_id, label = _record(session, record, ref)
    result = Correction(record, record_id, label)
    before = _ids_of(session, record, record_id)
    for ident in idents:
        owner = external_id_owner(session, ident)
        if owner is not None and (owner[0], owner[1]) != (record, record_id):
            raise Conflict(taken_message(ident, owner))
    already = [
        ident for ident in idents if not attach_external_id(session, record, record_id, ident)
    ]
    result.change("ids", before, _ids_of(session, record, record_id))
    if already:
        what = ", ".join(str(i) for i in already)
        result.notes.append(
            f"{what} already recorded"
            + ("; nothing changed" if result.action == "unchanged" else "")
        )
    return result


def unidentify(session: Session, *, record: Record, ref: str, ids: list[str]) -> Correction:
    """Detach identifiers from the actor or sanction ``ref`` names; a ``Conflict`` (and
    nothing detached) if it lacks one of them."""
    idents = parse_external_ids(ids)
    record_id, label = _record(session, record, ref)
    before = _ids_of(session, record, record_id)
    for ident in idents:
        if str(ident) in before:
            continue
        owner = external_id_owner(session, ident)
        elsewhere = f"; it identifies {owner[0]} '{owner[2]}' (id {owner[1]})" if owner else ""
        has = f"its ids: {', '.join(before)}" if before else "it has none"
        raise Conflict(f"{record} '{label}' has no id {ident} ({has}){elsewhere}")
    column = ExternalIdRow.actor_id if record == "actor" else ExternalIdRow.sanction_id
    for ident in idents:
        session.execute(
            delete(ExternalIdRow).where(
                col(column) == record_id,
                col(ExternalIdRow.scheme) == ident.scheme,
                col(ExternalIdRow.value) == ident.value,
            )
        )
    session.flush()
    result = Correction(record, record_id, label)
    result.change("ids", before, _ids_of(session, record, record_id))
    return result


def move_actor_ids(session: Session, from_id: int, into_id: int) -> int:
    """Give every identifier of actor ``from_id`` to ``into_id`` (``actor merge``); how many."""
    moved = session.execute(
        update(ExternalIdRow).where(col(ExternalIdRow.actor_id) == from_id).values(actor_id=into_id)
    )
    session.flush()
    return int(getattr(moved, "rowcount", 0) or 0)


def count_actor_ids(session: Session, actor_id: int) -> int:
    """How many identifiers actor ``actor_id`` has (``actor delete`` refuses while any)."""
    return int(
        session.execute(
            select(func.count()).where(col(ExternalIdRow.actor_id) == actor_id)
        ).scalar_one()
    )
