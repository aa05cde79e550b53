"""``factdb import FILE``: the entry point that picks the format, and the spooling of
standard input to a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO

from sqlmodel import Session

from factdb.domain.records import close_names, meant_names
from factdb.interchange.common import (
    ImportResult,
    text_lines,
)
from factdb.interchange.jsonl import (
    load_jsonl,
)


def import_file(
    session: Session,
    path: Path,
    label: str,
    fmt: str,
    dry_run: bool = False,
    progress: Callable[[str, int], None] | None = None,
    allow_confusable: bool = False,
    known_actors_only: bool = False,
) -> ImportResult:
    """Import a CSV, JSON Lines or FollowTheMoney file. Validation first; any error writes nothing.

    ``known_actors_only`` refuses every actor name the database does not know (name or
    alias). A dry run also tells, for each actor it would create, the known names it may
    have meant (``ImportResult.meant``)."""
    close = close_names(session) if dry_run else None
    if fmt == "ftm":
        from factdb.interchange.ftm import import_ftm

        result: ImportResult = import_ftm(
            session,
            path,
            label,
            allow_confusable=allow_confusable,
            known_actors_only=known_actors_only,
        )
    elif fmt == "csv":
        from factdb.interchange.csvimport import import_csv

        result = import_csv(session, path, label, progress, allow_confusable, known_actors_only)
    else:
        result = load_jsonl(
            session,
            lambda: text_lines(path, label),
            label,
            allow_confusable,
            known_actors_only,
        )
    if close is not None:
        session.rollback()
        for name in result.new_actors:
            meant = meant_names(close, name, allow_confusable=allow_confusable)
            if meant:
                result.meant[name] = meant
    return result


def spool(stdin: IO[bytes], directory: str | None = None) -> Path:
    """Standard input to a temporary file: a file has a size for the progress and can be
    read again after an error."""
    import shutil
    import tempfile

    handle = tempfile.NamedTemporaryFile(
        prefix="factdb-import-", suffix=".tmp", delete=False, dir=directory
    )
    with handle:
        shutil.copyfileobj(stdin, handle)
    return Path(handle.name)
