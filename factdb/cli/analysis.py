"""``factdb report`` (CSV reports through pandas) and ``factdb sql`` (ad-hoc SQL)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from factdb.cli import render
from factdb.cli.options import FormatOpt, build_filters, with_filters
from factdb.cli.render import Format
from factdb.cli.state import State


@with_filters()
def report(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="side-by-side, matrix, timeline or sources.")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="The CSV file to write; '-' for stdout.")
    ] = "-",
) -> None:
    """Write a CSV report (formula-safe for spreadsheets), with the filters of `list`."""
    from factdb.interchange.reports import report_named, write_report

    chosen = report_named(name)
    filters = build_filters(ctx.params)
    state: State = ctx.obj
    with state.reader() as session:
        if output == "-":
            rows = write_report(session, chosen, filters, sys.stdout)
            sys.stdout.flush()
        else:
            with render.output_file(output, "--output") as handle:
                rows = write_report(session, chosen, filters, handle)
            render.note(f"{name}: {rows} rows written to {output}")


def sql(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Argument(help="The SQL; '-' reads it from stdin.", metavar="SQL")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Read the SQL from this file.")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Bound parameter NAME=VALUE, used as :NAME."),
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Allow changes (all statements in one transaction).")
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why (--write): recorded with the changes in the history."),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            help="Stop after this many seconds (more than 0, at most 86400), printing included.",
        ),
    ] = 5.0,
    max_rows: Annotated[
        int, typer.Option("--max-rows", help="Return at most this many rows.", min=1)
    ] = 100_000,
    fmt: FormatOpt = Format.table,
) -> None:
    """Run SQL on the database: read-only unless --write, time-limited, parameters bound."""
    from factdb.core.errors import InvalidInput
    from factdb.storage import db
    from factdb.storage.sqlexec import TABLE_CELL_CAP, parse_params, run_sql, valid_timeout

    valid_timeout(timeout)
    if file is not None:
        if query is not None:
            raise InvalidInput("SQL", "give the SQL or --file, not both")
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput("--file", f"cannot read {file}: {exc}") from None
    elif query == "-":
        text = sys.stdin.read()
    elif query is not None:
        text = query
    else:
        raise InvalidInput("SQL", "is required (or --file, or '-' for stdin)")
    params = parse_params(param or [])
    if reason is not None and not write:
        raise InvalidInput("--reason", "goes with --write: a read changes nothing")
    state: State = ctx.obj
    target = state.target() if write else state.read_target()  # --write: the primary
    db.ensure_schema(target)
    result = run_sql(
        target,
        text,
        params,
        write=write,
        timeout=timeout,
        max_rows=max_rows,
        change=state.change(reason) if write else None,
    )
    if not result.columns:
        render.note(
            f"{result.statements} statement(s) run; {max(result.rowcount, 0)} rows changed"
            if write
            else "no rows"
        )
        return
    # The deadline reaches the rendering: nothing is printed when it passes meanwhile.
    render.emit(
        result.records(),
        fmt,
        lambda rows: render.records_table(
            rows,
            [(c, c) for c in result.columns],
            empty="no rows",
            check=result.check_deadline,
            max_cell=TABLE_CELL_CAP,
        ),
        csv_columns=result.columns,
        check=result.check_deadline,
    )
    if result.cut_note:
        render.note(result.cut_note)
