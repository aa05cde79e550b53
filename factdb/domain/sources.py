"""Sources: where an assertion was reported, identified by their normalized URL; a source's
outlet is an actor (docs/design.md, "Outlets"). Their correction (``factdb source edit``) is
here; finding, creating and adding them (``add``, ``source add``) is in ``domain.records``."""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import select
from sqlmodel import Session, col

from factdb.core.dates import PartialDate, Precision, stored_date
from factdb.core.errors import Conflict, InvalidInput
from factdb.core.keys import clean_text, normalize_url, source_key_without_url
from factdb.domain.changes import KEEP, Correction, Keep, partial_text
from factdb.domain.records import actor_name, new_outlet_note, resolve_outlet
from factdb.queries import source_ref
from factdb.storage.models import Source


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
        actor_name(session, source.outlet_id),
        actor_name(session, new_outlet_id),
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
