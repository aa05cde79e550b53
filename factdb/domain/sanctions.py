"""Sanctions (UNSC Resolution 1718 …) and the claims alleging their violation."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from factdb.core.dates import PartialDate
from factdb.core.errors import Conflict
from factdb.core.keys import check_name, clean_text, name_key, normalize_url
from factdb.domain.actors import get_actor
from factdb.domain.changes import KEEP, Correction, Keep, date_text, partial_text
from factdb.queries import sanction_ref
from factdb.storage.models import Actor, Sanction, SanctionTarget


def find_sanction(session: Session, name: str) -> Sanction | None:
    return (
        session.execute(select(Sanction).where(col(Sanction.name_key) == name_key(name)))
        .scalars()
        .first()
    )


def get_sanction(session: Session, ref: str, field: str = "sanction") -> Sanction:
    """A sanction by name or numeric id (``queries.sanction_ref``); ``NotFound`` if unknown."""
    sanction = session.get(Sanction, sanction_ref(session, ref)[0])
    assert sanction is not None
    return sanction


def add_sanction(
    session: Session,
    *,
    name: str,
    authority: str | None = None,
    adopted: PartialDate | None = None,
    target: str | None = None,
    measures: str | None = None,
    url: str | None = None,
) -> Sanction:
    text = check_name(name, "NAME", "sanctions")
    existing = find_sanction(session, text)
    if existing is not None:
        raise Conflict(f"sanction '{existing.name}' already exists (id {existing.id})")
    target_actor = get_actor(session, target, "--target") if target else None
    sanction = Sanction(
        name=text,
        name_key=name_key(text),
        authority=clean_text(authority, "--authority", required=False, single_line=True),
        adopted=adopted.start if adopted else None,
        adopted_precision=adopted.precision if adopted else None,
        measures=clean_text(measures, "--measures", required=False),
        url=normalize_url(url, "--url")[0] if url else None,
    )
    session.add(sanction)
    session.flush()
    if target_actor is not None:
        assert sanction.id is not None and target_actor.id is not None
        session.add(SanctionTarget(sanction_id=sanction.id, actor_id=target_actor.id))
        session.flush()
    return sanction


def edit_sanction(
    session: Session,
    *,
    ref: str,
    name: str | Keep = KEEP,
    authority: str | None | Keep = KEEP,
    adopted: PartialDate | None | Keep = KEEP,
    target: str | None | Keep = KEEP,
    measures: str | None | Keep = KEEP,
    url: str | None | Keep = KEEP,
) -> Correction:
    """Correct a sanction's fields (``KEEP`` leaves one as it is, None or "" clears it). A
    new name brings its key (``name_key``) along; a name that is another sanction's is a
    ``Conflict``. The claims alleging its violation stay linked to it."""
    sanction = get_sanction(session, ref, "SANCTION")
    assert sanction.id is not None
    result = Correction("sanction", sanction.id, sanction.name)
    if not isinstance(name, Keep):
        text = check_name(name, "--name", "sanctions")
        other = find_sanction(session, text)
        if other is not None and other.id != sanction.id:
            raise Conflict(f"sanction '{other.name}' (id {other.id}) has that name already")
        result.change("name", sanction.name, text)
        sanction.name, sanction.name_key = text, name_key(text)
        result.label = text
    if not isinstance(authority, Keep):
        value = clean_text(authority, "--authority", required=False, single_line=True)
        result.change("authority", sanction.authority, value)
        sanction.authority = value
    if not isinstance(adopted, Keep):
        result.change(
            "adopted",
            date_text(sanction.adopted, sanction.adopted_precision),
            partial_text(adopted),
        )
        sanction.adopted = adopted.start if adopted else None
        sanction.adopted_precision = adopted.precision if adopted else None
    if not isinstance(target, Keep):
        old = session.get(Actor, sanction.target_actor_id) if sanction.target_actor_id else None
        new = get_actor(session, target, "--target") if target else None
        result.change("target", old.name if old else None, new.name if new else None)
        sanction.target_actor_id = new.id if new else None
    if not isinstance(measures, Keep):
        value = clean_text(measures, "--measures", required=False)
        result.change("measures", sanction.measures, value)
        sanction.measures = value
    if not isinstance(url, Keep):
        value = normalize_url(url, "--url")[0] if url else None
        result.change("url", sanction.url, value)
        sanction.url = value
    session.add(sanction)
    session.flush()
    return result
