"""``factdb site``: a static HTML site of the claims (docs/design.md, HTML pages)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from factdb.cli import render
from factdb.cli.options import build_filters, with_filters
from factdb.cli.state import State


def _progress(stage: str, done: int) -> None:
    """One self-overwriting line on a terminal's stderr; nothing when piped."""
    sys.stderr.write(f"\rwriting {stage}: {done:,}…")
    sys.stderr.flush()


@with_filters()
def site(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The directory to write (new, empty, or an earlier factdb site, replaced).",
            metavar="DIR",
        ),
    ],
) -> None:
    """Write a static HTML site of the claims (with the filters of `list`): an index, a page
    per claim with its timeline picture, a page per actor and sanction. It opens from the
    file system, with no network and no script."""
    from factdb.interchange.site import write_site

    filters = build_filters(ctx.params)
    state: State = ctx.obj
    progress = _progress if sys.stderr.isatty() else None
    with state.reader() as conn:
        result = write_site(conn, filters, output, progress)
    if progress is not None:
        sys.stderr.write("\r\033[K")
    render.note(
        f"{result.claims} claims, {result.actors} actors, {result.sanctions} sanctions "
        f"written to {result.directory}"
    )
    sys.stdout.write(f"{result.index.absolute()}\n")
