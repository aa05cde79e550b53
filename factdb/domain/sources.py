"""Sources: where an assertion was reported, identified by their normalized URL; a source's
outlet is an actor (docs/design.md, "Outlets")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import select
from sqlmodel import Session, col

from factdb.core.dates import PartialDate, Precision, stored_date
from factdb.core.errors import Conflict, InvalidInput
from factdb.core.hints import CloseNames, describe_suggestions
from factdb.core.keys import clean_text, normalize_url, source_key_without_url
from factdb.domain.actors import ResolvedActor, resolve_actor
from factdb.domain.changes import KEEP, Correction, Keep, partial_text
from factdb.queries import source_ref
from factdb.storage.models import Actor, ActorKind, Source


def get_or_create_source(
    session: Session,
    *,
    url: str | None,
    outlet: str | None = None,
    title: str | None = None,
    published: PartialDate | None = None,
    updated: PartialDate | None = None,
    field: str = "--source",
    new_only: bool = False,
) -> tuple[Source, bool]:
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
    source = session.execute(select(Source).where(col(Source.key) == key)).scalars().first()
    if source is not None and new_only:
        raise Conflict(f"source already recorded as id {source.id}")
    if source is not None:
        changed = False
        for attr, value in (("outlet", outlet), ("title", title)):
            if value and not getattr(source, attr):
                setattr(source, attr, value)
                changed = True
        for attr, pdate in (("published", published), ("updated", updated)):
            if pdate is not None and getattr(source, attr) is None:
                setattr(source, attr, pdate.start)
                setattr(source, f"{attr}_precision", pdate.precision)
                changed = True
        if changed:
            session.add(source)
            session.flush()
        return source, False
    source = Source(
        url=display,
        key=key,
        outlet=outlet,
        title=title,
        published=published.start if published else None,
        published_precision=published.precision if published else None,
        updated=updated.start if updated else None,
        updated_precision=updated.precision if updated else None,
    )
    session.add(source)
    session.flush()
    return source, True


# --- outlets ---------------------------------------------------------------------------------


def resolve_outlet(
    session: Session,
    name: str,
    *,
    field: str = "--outlet",
    new_actor: bool = False,
    allow_confusable: bool = False,
    close: CloseNames | None = None,
) -> ResolvedActor:
    """The actor an outlet name names, as ``add --by`` finds a speaker
    (``actors.resolve_actor``): its name or an alias; a name that may mean a known actor (a
    close typo, a part of a known name) is a ``Conflict`` naming them unless ``new_actor``;
    a name close to nothing becomes a new actor of kind ``media``."""
    return resolve_actor(
        session,
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
    session: Session,
    source: Source,
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
        session, text, new_actor=new_actor, allow_confusable=allow_confusable, close=close
    )
    source.outlet_id = found.actor.id
    session.add(source)
    session.flush()
    return found


@dataclass
class SourceResult:
    source: Source
    outlet: ResolvedActor | None
    """The outlet's actor, when the source has an outlet."""
    notes: list[str]


def add_source(
    session: Session,
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
        session,
        url=url,
        outlet=outlet,
        title=title,
        published=published,
        updated=updated,
        field="URL",
        new_only=True,
    )
    found = link_outlet(
        session, source, outlet, new_actor=new_actor, allow_confusable=allow_confusable
    )
    notes = [new_outlet_note(found)] if found is not None and found.created else []
    return SourceResult(source, found, notes)


def _actor_name(session: Session, actor_id: int | None) -> str | None:
    actor = session.get(Actor, actor_id) if actor_id is not None else None
    return None if actor is None else actor.name


def edit_source(
    session: Session,
    *,
    ref: str,
    url: str | None | Keep = KEEP,
    outlet: str | None | Keep = KEEP,
    title: str | None | Keep = KEEP,
    published: PartialDate | None | Keep = KEEP,
    updated: PartialDate | None | Keep = KEEP,
    new_actor: bool = False,
    allow_confusable: bool = False,
) -> Correction:
    """Correct a source's fields (``KEEP`` leaves one as it is, None or "" clears it). Its
    natural key follows what it is made of: the normalized URL, or, without a URL, the
    outlet, title and publication date. A key that is another source's is a ``Conflict``.
    A new outlet is resolved to an actor as ``add`` resolves it (``resolve_outlet``:
    ``new_actor``, ``allow_confusable``); clearing the outlet clears its actor too."""
    source = session.get(Source, source_ref(session, ref))
    assert source is not None and source.id is not None
    new_url, new_key, url_key = source.url, source.key, None
    if not isinstance(url, Keep):
        new_url, url_key = normalize_url(url, "--url") if url else (None, None)
    new_outlet = source.outlet
    if not isinstance(outlet, Keep):
        new_outlet = clean_text(outlet, "--outlet", required=False, single_line=True)
    new_title = source.title
    if not isinstance(title, Keep):
        new_title = clean_text(title, "--title", required=False, single_line=True)
    old_published = _partial(source.published, source.published_precision)
    new_published = old_published if isinstance(published, Keep) else published
    old_updated = _partial(source.updated, source.updated_precision)
    new_updated = old_updated if isinstance(updated, Keep) else updated
    if new_url is not None:
        if url_key is not None:
            new_key = url_key
    elif not (new_outlet or new_title):
        raise InvalidInput(
            "--url" if source.url else "--outlet",
            "a source needs a URL, or an outlet and a title",
        )
    elif (source.url, source.outlet, source.title, old_published) != (
        new_url,
        new_outlet,
        new_title,
        new_published,
    ):
        new_key = source_key_without_url(
            new_outlet, new_title, str(new_published) if new_published else None
        )
    if new_key != source.key:
        other = session.execute(select(Source).where(col(Source.key) == new_key)).scalars().first()
        if other is not None and other.id != source.id:
            what = f"that URL already ({other.url})" if new_url else "that outlet, title and date"
            raise Conflict(f"source {other.id} has {what}; nothing was changed")
    new_outlet_id, found = source.outlet_id, None
    if not new_outlet:
        new_outlet_id = None
    elif new_outlet != source.outlet or source.outlet_id is None:
        found = resolve_outlet(
            session, new_outlet, new_actor=new_actor, allow_confusable=allow_confusable
        )
        new_outlet_id = found.actor.id
    result = Correction("source", source.id, new_url or new_title or new_outlet or "")
    result.change("url", source.url, new_url)
    result.change("outlet", source.outlet, new_outlet)
    result.change(
        "outlet_actor",
        _actor_name(session, source.outlet_id),
        _actor_name(session, new_outlet_id),
    )
    if found is not None and found.created:
        result.notes.append(new_outlet_note(found))
    result.change("title", source.title, new_title)
    result.change("published", partial_text(old_published), partial_text(new_published))
    result.change("updated", partial_text(old_updated), partial_text(new_updated))
    result.change("key", source.key, new_key)
    source.url, source.key, source.outlet, source.title = new_url, new_key, new_outlet, new_title
    source.outlet_id = new_outlet_id
    source.published = new_published.start if new_published else None
    source.published_precision = new_published.precision if new_published else None
    source.updated = new_updated.start if new_updated else None
    source.updated_precision = new_updated.precision if new_updated else None
    session.add(source)
    session.flush()
    return result


def _partial(start: dt.date | None, precision: str | None) -> PartialDate | None:
    if start is None or precision is None:
        return None
    return PartialDate(stored_date(start), cast(Precision, precision))
