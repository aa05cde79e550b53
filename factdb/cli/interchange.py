"""``factdb import`` and ``factdb export``: CSV, JSON Lines and FollowTheMoney."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from factdb.cli import render
from factdb.cli.options import AllowConfusableOpt, FormatOpt, build_filters, with_filters
from factdb.cli.render import Format
from factdb.cli.state import State

FileFormat = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="csv, jsonl or ftm (FollowTheMoney entities); by default from the file's "
        "extension (.ftm.json for ftm).",
    ),
]
InputFormat = Annotated[
    str | None,
    typer.Option(
        "--input-format",
        help="csv, jsonl or ftm (FollowTheMoney entities); by default from the file's "
        "extension (.ftm.json for ftm).",
    ),
]
FTM_EXTENSIONS = (".ftm.json", ".ftm.jsonl", ".ftm")
"""File names that mean FollowTheMoney entities, one JSON object a line."""


def _file_format(path: str, given: str | None, option: str = "--format") -> str:
    from factdb.core.errors import InvalidInput

    lowered = path.lower()
    if given:
        value = given.lower()
    elif lowered.endswith(FTM_EXTENSIONS):
        value = "ftm"
    elif lowered.endswith(".csv"):
        value = "csv"
    elif lowered.endswith((".jsonl", ".ndjson")):
        value = "jsonl"
    else:
        raise InvalidInput(
            option,
            f"cannot tell the format of {path!r}; use {option} csv, {option} jsonl or {option} ftm",
        )
    if value not in ("csv", "jsonl", "ftm"):
        raise InvalidInput(option, f"{given!r} is not a file format; use csv, jsonl or ftm")
    if value == "ftm":
        from factdb.interchange.ftm import load_model

        load_model()  # says how to install the extra, before anything else is done
    return value


def _progress(stage: str, rows: int) -> None:
    """One self-overwriting line on a terminal's stderr; nothing when piped."""
    sys.stderr.write(f"\r{stage} {rows:,} rows…")
    sys.stderr.flush()


ANALYZE_AFTER = 10_000
"""From this many new records on, an import refreshes the planner's statistics."""


def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A .csv, .jsonl or .ftm.json file; '-' reads stdin.")],
    file_format: InputFormat = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Validate, count and list the actors it would create; write nothing.",
        ),
    ] = False,
    known_actors_only: Annotated[
        bool,
        typer.Option(
            "--known-actors-only",
            help="Refuse the file if it names an actor the database does not know.",
        ),
    ] = False,
    allow_confusable: AllowConfusableOpt = False,
    fmt: FormatOpt = Format.table,
    output_format: Annotated[
        Format | None,
        typer.Option("--output-format", hidden=True, help="Deprecated: -f/--format."),
    ] = None,
) -> None:
    """Import assertions (CSV), everything (JSON Lines), or actors, memberships and sanctions
    (FollowTheMoney): all or nothing, idempotent."""
    from factdb.core.errors import InvalidInput
    from factdb.core.hints import describe_suggestions
    from factdb.interchange.load import import_file, spool

    kind = _file_format(file, file_format, "--input-format")
    if output_format is not None:  # the spelling of older versions, kept working
        fmt = output_format
    if file == "-":
        path, name = spool(sys.stdin.buffer), "<stdin>"
    else:
        path, name = Path(file), file
        if not path.is_file():
            raise InvalidInput("FILE", f"{file}: no such file")
    state: State = ctx.obj
    # FollowTheMoney writes row by row, each row in the history (a bulk import's history
    # holds one summary per table).
    bulk = kind != "ftm"
    try:
        progress = _progress if sys.stderr.isatty() else None
        if dry_run:
            with state.session(write=False, bulk=bulk) as session:
                result = import_file(
                    session,
                    path,
                    name,
                    kind,
                    dry_run=True,
                    progress=progress,
                    allow_confusable=allow_confusable,
                    known_actors_only=known_actors_only,
                )
        else:
            result = state.transact(
                lambda session: import_file(
                    session,
                    path,
                    name,
                    kind,
                    progress=progress,
                    allow_confusable=allow_confusable,
                    known_actors_only=known_actors_only,
                ),
                bulk=bulk,
            )
            if sum(result.new.values()) >= ANALYZE_AFTER:
                from factdb.storage import db

                db.analyze(state.target())
        if progress is not None:
            sys.stderr.write("\r\033[K")
    finally:
        if file == "-":
            path.unlink(missing_ok=True)
    rows = [
        {"records": k, "new": result.new[k], "already_there": result.existing[k]}
        for k in result.new
    ]
    render.emit(
        rows,
        fmt,
        lambda r: render.records_table(
            r, [("records", "RECORDS"), ("new", "NEW"), ("already_there", "ALREADY THERE")]
        ),
    )
    if result.duplicates:
        render.note(f"skipped {result.duplicates} duplicate rows within the file")
    for message in result.notes:
        render.note(message)
    if dry_run:
        for actor in result.new_actors:
            meant = result.meant.get(actor)
            close = f"; did you mean {describe_suggestions(meant)}?" if meant else ""
            render.note(f"would create actor '{actor}'{close}")
        render.note("dry run: nothing was written")


@with_filters(limit=False)
def export(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(help="A .csv, .jsonl or .ftm.json file; '-' writes stdout.")
    ],
    file_format: FileFormat = None,
) -> None:
    """Export: JSON Lines carries everything (lossless); CSV is the flat interchange format;
    ftm writes actors, memberships and sanctions as FollowTheMoney entities."""
    from factdb.interchange.export import export_csv, export_jsonl

    kind = _file_format(file, file_format) if file != "-" or file_format else "jsonl"
    filters = build_filters(ctx.params)
    if kind == "ftm":
        _export_ftm(ctx, file, filters)
        return
    writer = export_csv if kind == "csv" else export_jsonl
    state: State = ctx.obj
    with state.reader() as session:
        if file == "-":
            writer(session, filters, sys.stdout)
            sys.stdout.flush()
            return
        with render.output_file(file, "FILE", newline="" if kind == "csv" else "\n") as handle:
            count = writer(session, filters, handle)
    render.note(f"{count} records written to {file}")


def _export_ftm(ctx: typer.Context, file: str, filters: object) -> None:
    from factdb.core.errors import InvalidInput
    from factdb.interchange.ftm import export_ftm
    from factdb.queries import Filters

    if filters != Filters():
        raise InvalidInput(
            "--format", "ftm writes every actor and sanction; the claim filters do not apply"
        )
    state: State = ctx.obj
    with state.reader() as session:
        if file == "-":
            result = export_ftm(session, sys.stdout)
            sys.stdout.flush()
        else:
            with render.output_file(file, "FILE", newline="\n") as handle:
                result = export_ftm(session, handle)
    for message in result.notes:
        render.note(message)
    if file != "-":
        render.note(f"{result.count} entities written to {file}")
