"""Sanctions (UNSC Resolution 1718 …) and the claims alleging their violation."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from factdb.core.dates import PartialDate
from factdb.core.errors import Conflict
from factdb.core.keys import check_name, clean_text, name_key, normalize_url
from factdb.domain.actors import get_actor
from factdb.queries import sanction_ref
from factdb.storage.models import Sanction


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
        target_actor_id=target_actor.id if target_actor else None,
        measures=clean_text(measures, "--measures", required=False),
        url=normalize_url(url, "--url")[0] if url else None,
    )
    session.add(sanction)
    session.flush()
    return sanction
