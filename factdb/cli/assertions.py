"""``factdb assertion …``: an assertion is never edited in place; a correction retracts it
and records the corrected one, which points at it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from factdb.cli import render
from factdb.cli.options import AllowConfusableOpt, ApproximateOpt, FormatOpt
from factdb.cli.render import Format, Line, safe_text
from factdb.cli.state import State

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)


@app.command("correct")
def correct(
    ctx: typer.Context,
    assertion_id: Annotated[int, typer.Argument(metavar="ID", help="The assertion to correct.")],
    reason: Annotated[str, typer.Option("--reason", help="Why: kept with the retracted one.")],
    by: Annotated[str | None, typer.Option("--by", help="The right actor.")] = None,
    stance: Annotated[str | None, typer.Option("--stance", help="The right stance.")] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="The right date: YYYY, YYYY-MM or YYYY-MM-DD, ~ in front when approximate; "
            "without ~ the date is exact.",
        ),
    ] = None,
    approximate: ApproximateOpt = False,
    qualifier: Annotated[
        str | None,
        typer.Option(
            "--qualifier", help="The right qualifier: partial, conditional, hedged; '' for none."
        ),
    ] = None,
    qualifier_note: Annotated[
        str | None,
        typer.Option("--qualifier-note", help="The right qualification in words; '' for none."),
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="The right source URL.")] = None,
    quote: Annotated[str | None, typer.Option("--quote", help="The right quote.")] = None,
    via: Annotated[
        list[str] | None,
        typer.Option("--via", help="The right via chain, nearest to the speaker first."),
    ] = None,
    no_via: Annotated[
        bool, typer.Option("--no-via", help="The assertion came through no one.")
    ] = False,
    allow_confusable: AllowConfusableOpt = False,
    new_actor: Annotated[
        bool,
        typer.Option(
            "--new-actor", help="Create a --by or --via actor even when its name is close to one."
        ),
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Correct an assertion: it is retracted (kept, with --reason) and the corrected one is
    recorded in its place, pointing at it. What is not given is copied."""
    from factdb.core.errors import InvalidInput
    from factdb.core.values import parse_qualifier, parse_stance, parse_stance_date
    from factdb.domain.stances import correct_assertion

    if not reason.strip():
        raise InvalidInput("--reason", "is required: say why the assertion was wrong")
    if no_via and via:
        raise InvalidInput("--no-via", "give --via or --no-via, not both")
    parsed_stance = parse_stance(stance) if stance is not None else None
    parsed_date, marked = parse_stance_date(date) if date is not None else (None, False)
    state: State = ctx.obj
    result = state.record(
        lambda conn: correct_assertion(
            conn,
            assertion_id=assertion_id,
            reason=reason,
            by=by,
            stance=parsed_stance,
            date=parsed_date,
            date_approximate=(marked or approximate) if date is not None or approximate else None,
            qualifier=None if qualifier is None else (parse_qualifier(qualifier) or ""),
            qualifier_note=qualifier_note,
            source_url=source,
            quote=quote,
            via=[] if no_via else via,
            allow_confusable=allow_confusable,
            new_actor=new_actor,
        ),
        reason=reason,
    )
    data = {
        "retracted": result.old_id,
        "recorded": result.new_id,
        "claim_id": result.claim_id,
        "changed": {k: {"old": old, "new": new} for k, (old, new) in result.changed.items()},
    }
    render.emit(data, fmt, _table)


def _table(d: dict[str, Any]) -> list[Any]:
    lines = [
        Line(
            f"assertion {d['recorded']} recorded on claim {d['claim_id']}, correcting "
            f"assertion {d['retracted']} (kept, retracted)",
            style="bold",
        )
    ]
    for field, change in d["changed"].items():
        lines.append(Line(safe_text(f"{field}: {change['old']} → {change['new']}")))
    return lines
