"""``factdb sanction …``: sanctions and the claims that allege their violation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from factdb.cli import columns, render
from factdb.cli.claims import claims_table
from factdb.cli.options import FormatOpt, IdsArg, ReasonOpt
from factdb.cli.render import Format, safe_text
from factdb.cli.state import State

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
COLUMNS = [
    ("id", "ID"),
    ("name", "NAME"),
    ("authority", "AUTHORITY"),
    ("adopted", "ADOPTED"),
    ("target", "TARGET"),
    ("claims", "CLAIMS"),
]


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="E.g. 'UNSC Resolution 1718'.")],
    authority: Annotated[str | None, typer.Option("--authority", help="Who imposed it.")] = None,
    adopted: Annotated[
        str | None, typer.Option("--adopted", help="YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="The sanctioned actor.")] = None,
    measures: Annotated[str | None, typer.Option("--measures", help="What it imposes.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Where its text is.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a sanction."""
    from factdb.core.values import parse_optional_date
    from factdb.domain.sanctions import add_sanction
    from factdb.queries import show_sanction

    when = parse_optional_date(adopted, "--adopted")
    state: State = ctx.obj
    with state.session(write=True) as session:
        sanction = add_sanction(
            session,
            name=name,
            authority=authority,
            adopted=when,
            target=target,
            measures=measures,
            url=url,
        )
        data = show_sanction(session, str(sanction.id))
    data.pop("claim_list")
    render.emit(data, fmt)


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Every sanction with how many claims allege its violation."""
    from factdb.queries import list_sanctions

    state: State = ctx.obj
    rows = state.read(list_sanctions)
    render.emit(
        rows,
        fmt,
        lambda d: render.records_table(d, COLUMNS, empty="no sanctions yet"),
        csv_columns=columns.SANCTION_ROW,
    )


@app.command("show")
def show(
    ctx: typer.Context,
    sanction: Annotated[str, typer.Argument(help="The sanction's name or id.")],
    fmt: FormatOpt = Format.table,
) -> None:
    """One sanction and the claims alleging its violation, with their sides."""
    from factdb.queries import show_sanction

    state: State = ctx.obj
    data = state.read(show_sanction, sanction)
    render.emit(
        data,
        fmt,
        lambda d: [
            Text(f"{safe_text(d['name'])}", style="bold"),
            Text(
                safe_text(
                    " · ".join(str(x) for x in (d["authority"], d["adopted"], d["target"]) if x)
                )
            ),
            *([Text(safe_text(d["measures"]))] if d["measures"] else []),
            *([Text("ids: " + ", ".join(safe_text(i) for i in d["ids"]))] if d["ids"] else []),
            Text("claims alleging its violation:", style="bold"),
            *claims_table(d["claim_list"]),
        ],
        csv_records=lambda d: d["claim_list"],
        csv_columns=columns.CLAIM_ROW,
    )


@app.command("edit")
def edit(
    ctx: typer.Context,
    sanction: Annotated[str, typer.Argument(metavar="NAME", help="The sanction's name or id.")],
    name: Annotated[str | None, typer.Option("--name", help="Its new name.")] = None,
    authority: Annotated[str | None, typer.Option("--authority", help="Who imposed it.")] = None,
    adopted: Annotated[
        str | None, typer.Option("--adopted", help="YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="The sanctioned actor.")] = None,
    measures: Annotated[str | None, typer.Option("--measures", help="What it imposes.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Where its text is.")] = None,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Correct a sanction's fields; '' clears one. A name that is another sanction's is
    refused; the claims alleging its violation stay linked."""
    from factdb.cli.claims import correct
    from factdb.core.errors import InvalidInput
    from factdb.core.values import parse_optional_date
    from factdb.domain.changes import KEEP
    from factdb.domain.sanctions import edit_sanction

    if all(v is None for v in (name, authority, adopted, target, measures, url)):
        raise InvalidInput(
            "NAME",
            "nothing to change: give --name, --authority, --adopted, --target, --measures or --url",
        )
    when = KEEP if adopted is None else parse_optional_date(adopted, "--adopted")
    correct(
        ctx,
        reason,
        fmt,
        lambda s: edit_sanction(
            s,
            ref=sanction,
            name=KEEP if name is None else name,
            authority=KEEP if authority is None else authority,
            adopted=when,
            target=KEEP if target is None else target,
            measures=KEEP if measures is None else measures,
            url=KEEP if url is None else url,
        ),
    )


@app.command("identify")
def identify(
    ctx: typer.Context,
    sanction: Annotated[str, typer.Argument(metavar="NAME", help="The sanction's name or id.")],
    ids: IdsArg,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a sanction's ids in other systems; it is then found by them wherever it is
    named. An id of another sanction or of an actor is refused."""
    from factdb.cli.claims import correct
    from factdb.domain.identifiers import identify as do_identify

    correct(ctx, reason, fmt, lambda s: do_identify(s, record="sanction", ref=sanction, ids=ids))


@app.command("unidentify")
def unidentify(
    ctx: typer.Context,
    sanction: Annotated[str, typer.Argument(metavar="NAME", help="The sanction's name or id.")],
    ids: IdsArg,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Remove external ids from a sanction; refused if it lacks one of them."""
    from factdb.cli.claims import correct
    from factdb.domain.identifiers import unidentify as do_unidentify

    correct(ctx, reason, fmt, lambda s: do_unidentify(s, record="sanction", ref=sanction, ids=ids))
