"""``factdb timeline CLAIM_ID``: a dispute in date order, flips of sides marked."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from factdb.cli import render
from factdb.cli.options import FormatOpt, RetractedFilter
from factdb.cli.render import Format, cell, safe_text
from factdb.cli.state import State
from factdb.core.vocabulary import qualification

STANCE_STYLES = {2: "green", 1: "green", 0: "yellow", -1: "red", -2: "red"}


def timeline(
    ctx: typer.Context,
    claim_id: Annotated[int, typer.Argument(help="The claim's id (see `factdb list`).")],
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Only the statements of this actor or any of its parts."),
    ] = None,
    via: Annotated[
        str | None,
        typer.Option("--via", help="Only the statements this relay (or any of its parts) carried."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Count assertions dated on or after D (YYYY[-MM[-DD]])."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Count assertions dated on or before D.")
    ] = None,
    include_retracted: RetractedFilter = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """One claim's dispute in date order: who said what, when, for which side, through whom;
    a statement that reverses its side's previous stance is marked FLIP."""
    from factdb.core.values import parse_optional_date
    from factdb.queries import claim_timeline

    state: State = ctx.obj
    data = state.read(
        claim_timeline,
        claim_id,
        actor=actor,
        via=via,
        since=parse_optional_date(since, "--since"),
        until=parse_optional_date(until, "--until"),
        include_retracted=include_retracted,
    )
    render.emit(data["entries"], fmt, lambda _: timeline_table(data))


def timeline_table(data: dict[str, Any]) -> list[Any]:
    head = Text(f"Claim {data['id']} · ", style="bold")
    head.append(safe_text(data["claim"]), style="bold")
    scope = [
        f"{label} {safe_text(data[key])}"
        for key, label in (("actor", "by"), ("via", "via"), ("since", "since"), ("until", "until"))
        if data[key]
    ]
    out: list[Any] = [head]
    if scope:
        out.append(Text(" · ".join(scope), style="dim"))
    if not data["entries"]:
        out.append(Text("no assertions match", style="dim"))
        return out
    table = Table(header_style="bold", expand=True)
    table.add_column("DATE", no_wrap=True, min_width=10)
    table.add_column("SIDE", overflow="fold", ratio=1, min_width=9)
    table.add_column("STANCE", no_wrap=True, min_width=8)
    table.add_column("WHO → RELAYS", overflow="fold", ratio=3, min_width=12)
    table.add_column("SOURCE", overflow="fold", ratio=2, min_width=8)
    for e in data["entries"]:
        stance = Text(e["stance"], style=STANCE_STYLES[e["polarity"]])
        words = qualification(e["qualifier"], e["qualifier_note"])
        if words:
            stance.append(safe_text(f"\n({words})"), style="italic")
        if e["flip"]:
            stance.append(f"\nFLIP from {e['flip_from_stance']}", style="bold magenta")
            stance.append(f"\n{e['flip_from_date']} #{e['flip_from_assertion_id']}", style="dim")
        if e["retracted"]:
            stance.append("\n[retracted]", style="dim")
        who = Text(f"#{e['id']} ", style="dim")
        who.append(safe_text(e["chain"]))
        if e["quote"]:
            who.append("\n“" + safe_text(e["quote"]) + "”", style="italic")
        source = e["source"]
        table.add_row(
            cell(e["date"]),
            cell(e["side"]),
            stance,
            who,
            cell(source["outlet"] or source["url"] or source["title"]),
        )
    out.append(table)
    if data["reversals"]:
        out.append(
            Text(f"flips of a side's stance in this dispute: {len(data['reversals'])}", style="dim")
        )
    return out
