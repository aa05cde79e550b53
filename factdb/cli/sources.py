"""``factdb source …``: where assertions were reported."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from factdb.cli import columns, render
from factdb.cli.options import AllowConfusableOpt, FormatOpt, NewOutletActorOpt, ReasonOpt
from factdb.cli.render import Format
from factdb.cli.state import State

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
COLUMNS = [
    ("id", "ID"),
    ("outlet", "OUTLET"),
    ("published", "PUBLISHED"),
    ("url", "URL"),
    ("assertions", "ASSERTIONS"),
    ("claims", "CLAIMS"),
]


OutletOpt = Annotated[
    str | None,
    typer.Option(
        "--outlet",
        help="Who published it: an actor, by name or alias (a new one is created, kind media).",
    ),
]


def _outlet_label(d: dict[str, Any]) -> dict[str, Any]:
    """A source row as its table prints it: the outlet by its actor (``outlet_label``)."""
    from factdb.queries.outlets import outlet_label

    return {**d, "outlet": outlet_label(d["outlet"], d["outlet_actor"])}


def sources_table(rows: list[dict[str, Any]], **kwargs: Any) -> list[Any]:
    return render.records_table([_outlet_label(r) for r in rows], COLUMNS, **kwargs)


@app.command("add")
def add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The http(s) URL.")],
    outlet: OutletOpt = None,
    title: Annotated[str | None, typer.Option("--title", help="Its title.")] = None,
    published: Annotated[
        str | None, typer.Option("--published", help="YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    updated: Annotated[str | None, typer.Option("--updated", help="Last update date.")] = None,
    new_actor: NewOutletActorOpt = False,
    allow_confusable: AllowConfusableOpt = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a source. Its outlet is an actor: a name close to a known one is refused
    unless --new-actor."""
    from factdb.core.values import parse_optional_date
    from factdb.domain.records import add_source
    from factdb.queries import show_source

    pub = parse_optional_date(published, "--published")
    upd = parse_optional_date(updated, "--updated")
    state: State = ctx.obj
    with state.writing() as session:
        result = add_source(
            session,
            url=url,
            outlet=outlet,
            title=title,
            published=pub,
            updated=upd,
            new_actor=new_actor,
            allow_confusable=allow_confusable,
        )
        data = show_source(session, str(result.source.id))
    for message in result.notes:
        render.note(message)
    data.pop("assertion_list")
    render.emit(data, fmt)


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Every source with how many assertions and claims it carries."""
    from factdb.queries import list_sources

    state: State = ctx.obj
    rows = state.read(list_sources)
    render.emit(
        rows,
        fmt,
        lambda d: sources_table(d, empty="no sources yet", max_width={"url": 60}),
        csv_columns=columns.SOURCE_ROW,
    )


@app.command("show")
def show(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The source's id or URL.")],
    fmt: FormatOpt = Format.table,
) -> None:
    """One source and the assertions it reports."""
    from factdb.queries import show_source

    state: State = ctx.obj
    data = state.read(show_source, source)
    render.emit(
        data,
        fmt,
        lambda d: [
            *sources_table([d]),
            *render.records_table(
                d["assertion_list"],
                [
                    ("id", "ID"),
                    ("claim_id", "CLAIM"),
                    ("claim", "TEXT"),
                    ("actor", "ACTOR"),
                    ("stance", "STANCE"),
                    ("date", "DATE"),
                    ("via", "VIA"),
                ],
                empty="no assertions",
                max_width={"claim": 60},
            ),
        ],
        csv_records=lambda d: d["assertion_list"],
        csv_columns=columns.ASSERTION_ROW,
    )


@app.command("edit")
def edit(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The source's id or URL.")],
    url: Annotated[str | None, typer.Option("--url", help="Its URL; its identity follows.")] = None,
    outlet: OutletOpt = None,
    title: Annotated[str | None, typer.Option("--title", help="Its title.")] = None,
    published: Annotated[
        str | None, typer.Option("--published", help="YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    updated: Annotated[str | None, typer.Option("--updated", help="Last update date.")] = None,
    new_actor: NewOutletActorOpt = False,
    allow_confusable: AllowConfusableOpt = False,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Correct a source's fields; '' clears one. A URL that is another source's is refused.
    A new outlet is found among the actors as `source add` finds it."""
    from factdb.cli.claims import correct
    from factdb.core.errors import InvalidInput
    from factdb.core.values import parse_optional_date
    from factdb.domain.changes import KEEP
    from factdb.domain.sources import edit_source

    if all(v is None for v in (url, outlet, title, published, updated)):
        raise InvalidInput(
            "SOURCE", "nothing to change: give --url, --outlet, --title, --published or --updated"
        )
    pub = KEEP if published is None else parse_optional_date(published, "--published")
    upd = KEEP if updated is None else parse_optional_date(updated, "--updated")
    correct(
        ctx,
        reason,
        fmt,
        lambda s: edit_source(
            s,
            ref=source,
            url=KEEP if url is None else url,
            outlet=KEEP if outlet is None else outlet,
            title=KEEP if title is None else title,
            published=pub,
            updated=upd,
            new_actor=new_actor,
            allow_confusable=allow_confusable,
        ),
    )
