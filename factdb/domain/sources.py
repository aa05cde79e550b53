"""Sources: where an assertion was reported, identified by their normalized URL."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from factdb.core.dates import PartialDate
from factdb.core.errors import Conflict, InvalidInput
from factdb.core.keys import clean_text, normalize_url, source_key_without_url
from factdb.storage.models import Source


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
