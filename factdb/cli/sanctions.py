"""``factdb sanction …``: sanctions, their authority and targets, and the claims linked to
them both ways (alleging their violation; answered by them)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from factdb.cli import columns, render
from factdb.cli.claims import claims_table
from factdb.cli.options import AllowConfusableOpt, FormatOpt, IdsArg, ReasonOpt
from factdb.cli.render import Format, Line, safe_text
from factdb.cli.state import State

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
COLUMNS = [
    ("id", "ID"),
    ("name", "NAME"),
    ("authority", "AUTHORITY"),
    ("programme", "PROGRAMME"),
    ("adopted", "ADOPTED"),
    ("targets", "TARGETS"),
    ("claims", "VIOLATION CLAIMS"),
    ("responds_to", "IN RESPONSE TO"),
]
SHOWN_TARGETS = 3
"""``sanction list`` names up to this many targets, then counts the others."""

SanctionArg = Annotated[str, typer.Argument(metavar="SANCTION", help="The sanction's name or id.")]
ActorsArg = Annotated[
    list[str], typer.Argument(metavar="ACTOR", help="Actors (name, alias or id; one or more).")
]
AuthorityOpt = Annotated[
    str | None,
    typer.Option(
        "--authority", help="Who imposed it: an actor (a new name becomes an organization)."
    ),
]
ProgrammeOpt = Annotated[
    str | None,
    typer.Option("--programme", help="The sanctions programme or regime, e.g. 'EU Iran drones'."),
]
AdoptedOpt = Annotated[str | None, typer.Option("--adopted", help="YYYY, YYYY-MM or YYYY-MM-DD.")]
ListedOpt = Annotated[
    str | None,
    typer.Option("--listed", help="When the targets were listed: YYYY, YYYY-MM or YYYY-MM-DD."),
]
DelistedOpt = Annotated[
    str | None, typer.Option("--delisted", help="When the targets were delisted.")
]
MeasuresOpt = Annotated[str | None, typer.Option("--measures", help="What it imposes.")]
UrlOpt = Annotated[str | None, typer.Option("--url", help="Where its text is.")]
NewActorOpt = Annotated[
    bool,
    typer.Option(
        "--new-actor",
        help="Create an unknown --authority or target name as a new actor even when it is "
        "close to a known one (a typo, or part of a known name).",
    ),
]
ClaimsOpt = Annotated[
    list[int],
    typer.Option("--to", help="A claim's id (see `factdb list`)."),
]


def authority_label(d: dict[str, Any]) -> str | None:
    """The authority as tables print it, as an outlet: the actor's current name, and the name
    as given when that is another name (``queries.outlet_label``)."""
    from factdb.queries.outlets import outlet_label

    return outlet_label(d["authority"], d["authority_actor"])


def _targets_cell(names: list[str]) -> str:
    if len(names) <= SHOWN_TARGETS:
        return "; ".join(names)
    more = len(names) - SHOWN_TARGETS
    return "; ".join(names[:SHOWN_TARGETS]) + f" and {more} more"


def _list_table(rows: list[dict[str, Any]]) -> list[Any]:
    return render.records_table(
        [
            {**r, "authority": authority_label(r), "targets": _targets_cell(r["targets"])}
            for r in rows
        ],
        COLUMNS,
        empty="no sanctions yet",
    )


def _show_table(d: dict[str, Any]) -> list[Any]:
    from factdb.queries import target_label

    head = " · ".join(
        str(x)
        for x in (
            authority_label(d),
            d["programme"] and f"programme: {d['programme']}",
            d["adopted"] and f"adopted {d['adopted']}",
        )
        if x
    )
    lines: list[Any] = [Line(safe_text(d["name"]), style="bold")]
    if head:
        lines.append(Line(safe_text(head)))
    if d["target_list"]:
        lines.append(Line("targets:", style="bold"))
        lines += [Line("  " + safe_text(target_label(t))) for t in d["target_list"]]
    if d["measures"]:
        lines.append(Line(safe_text(d["measures"])))
    if d["url"]:
        lines.append(Line(safe_text(d["url"])))
    if d.get("ids"):
        lines.append(Line("ids: " + ", ".join(safe_text(i) for i in d["ids"])))
    if "claim_list" in d:
        lines.append(Line("claims alleging its violation:", style="bold"))
        lines += claims_table(d["claim_list"])
        lines.append(Line("claims it was imposed in response to:", style="bold"))
        lines += claims_table(d["response_list"])
    return lines


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="E.g. 'UNSC Resolution 1718'.")],
    authority: AuthorityOpt = None,
    programme: ProgrammeOpt = None,
    adopted: AdoptedOpt = None,
    targets: Annotated[
        list[str] | None,
        typer.Option("--target", help="A sanctioned actor (a new name becomes an actor)."),
    ] = None,
    listed: ListedOpt = None,
    delisted: DelistedOpt = None,
    responds_to: Annotated[
        list[int] | None,
        typer.Option("--responds-to", help="A claim it was imposed in response to (its id)."),
    ] = None,
    measures: MeasuresOpt = None,
    url: UrlOpt = None,
    new_actor: NewActorOpt = False,
    allow_confusable: AllowConfusableOpt = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a sanction. Its authority and targets are actors, found by name or alias; a
    new name close to a known one is refused unless --new-actor. --listed and --delisted
    date the targets given here."""
    from factdb.core.values import parse_optional_date
    from factdb.domain.sanctions import add_sanction
    from factdb.queries import show_sanction

    when = parse_optional_date(adopted, "--adopted")
    on = parse_optional_date(listed, "--listed")
    off = parse_optional_date(delisted, "--delisted")
    state: State = ctx.obj
    with state.session(write=True) as session:
        result = add_sanction(
            session,
            name=name,
            authority=authority,
            programme=programme,
            adopted=when,
            targets=targets or [],
            listed=on,
            delisted=off,
            responds_to=responds_to or [],
            measures=measures,
            url=url,
            new_actor=new_actor,
            allow_confusable=allow_confusable,
        )
        data = show_sanction(session, str(result.sanction.id))
    for message in result.notes:
        render.note(message)
    for key in ("claim_list", "response_list"):
        data.pop(key)
    data["new_actors"] = result.new_actors
    render.emit(data, fmt, _show_table, csv_records=lambda d: [_csv_row(d)])


def _csv_row(d: dict[str, Any]) -> dict[str, Any]:
    return {key: d.get(key) for key in columns.SANCTION_ROW}


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Every sanction: its authority, programme, targets, and how many claims allege its
    violation and it was imposed in response to."""
    from factdb.queries import list_sanctions

    state: State = ctx.obj
    rows = state.read(list_sanctions)
    render.emit(rows, fmt, _list_table, csv_columns=columns.SANCTION_ROW)


@app.command("show")
def show(
    ctx: typer.Context,
    sanction: SanctionArg,
    fmt: FormatOpt = Format.table,
) -> None:
    """One sanction: its authority, targets with their dates, the claims alleging its
    violation and those it was imposed in response to, with their sides (CSV: the claims,
    with the link in `link`)."""
    from factdb.queries import show_sanction

    state: State = ctx.obj
    data = state.read(show_sanction, sanction)
    render.emit(
        data,
        fmt,
        _show_table,
        csv_records=lambda d: [
            *({**c, "link": "alleged violation"} for c in d["claim_list"]),
            *({**c, "link": "imposed in response"} for c in d["response_list"]),
        ],
        csv_columns=columns.SANCTION_CLAIM_ROW,
    )


@app.command("edit")
def edit(
    ctx: typer.Context,
    sanction: SanctionArg,
    name: Annotated[str | None, typer.Option("--name", help="Its new name.")] = None,
    authority: AuthorityOpt = None,
    programme: ProgrammeOpt = None,
    adopted: AdoptedOpt = None,
    measures: MeasuresOpt = None,
    url: UrlOpt = None,
    new_actor: NewActorOpt = False,
    allow_confusable: AllowConfusableOpt = False,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Correct a sanction's fields; '' clears one. A name that is another sanction's is
    refused; the claims linked to it stay linked. Targets: `sanction target|untarget`."""
    from factdb.cli.claims import correct
    from factdb.core.errors import InvalidInput
    from factdb.core.values import parse_optional_date
    from factdb.domain.changes import KEEP
    from factdb.domain.sanctions import edit_sanction

    if all(v is None for v in (name, authority, programme, adopted, measures, url)):
        raise InvalidInput(
            "SANCTION",
            "nothing to change: give --name, --authority, --programme, --adopted, --measures "
            "or --url",
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
            programme=KEEP if programme is None else programme,
            adopted=when,
            measures=KEEP if measures is None else measures,
            url=KEEP if url is None else url,
            new_actor=new_actor,
            allow_confusable=allow_confusable,
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


@app.command("target")
def target(
    ctx: typer.Context,
    sanction: SanctionArg,
    actors: ActorsArg,
    listed: ListedOpt = None,
    delisted: DelistedOpt = None,
    new_actor: NewActorOpt = False,
    allow_confusable: AllowConfusableOpt = False,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add targets to a sanction, or set the dates of targets it has ('' clears one):
    --delisted delists them. A new name becomes an actor, as in `sanction add`."""
    from factdb.cli.claims import correct
    from factdb.core.values import parse_optional_date
    from factdb.domain.changes import KEEP
    from factdb.domain.sanctions import Dates
    from factdb.domain.sanctions import target as do_target

    dates = Dates(
        KEEP if listed is None else parse_optional_date(listed, "--listed"),
        KEEP if delisted is None else parse_optional_date(delisted, "--delisted"),
    )
    correct(
        ctx,
        reason,
        fmt,
        lambda s: do_target(
            s,
            ref=sanction,
            actors=actors,
            dates=dates,
            new_actor=new_actor,
            allow_confusable=allow_confusable,
        ),
    )


@app.command("untarget")
def untarget(
    ctx: typer.Context,
    sanction: SanctionArg,
    actors: ActorsArg,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Remove targets from a sanction (a delisting is `sanction target --delisted`); refused,
    and nothing removed, if it does not target one of them."""
    from factdb.cli.claims import correct
    from factdb.domain.sanctions import untarget as do_untarget

    correct(ctx, reason, fmt, lambda s: do_untarget(s, ref=sanction, actors=actors))


@app.command("respond")
def respond(
    ctx: typer.Context,
    sanction: SanctionArg,
    claims: ClaimsOpt,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record that a sanction was imposed in response to claims (the other direction of
    `claim link --violates`)."""
    from factdb.cli.claims import correct
    from factdb.domain.sanctions import respond as do_respond

    correct(ctx, reason, fmt, lambda s: do_respond(s, ref=sanction, claims=claims))


@app.command("unrespond")
def unrespond(
    ctx: typer.Context,
    sanction: SanctionArg,
    claims: ClaimsOpt,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Withdraw that a sanction was imposed in response to claims; refused, and nothing
    removed, if it was not for one of them."""
    from factdb.cli.claims import correct
    from factdb.domain.sanctions import unrespond as do_unrespond

    correct(ctx, reason, fmt, lambda s: do_unrespond(s, ref=sanction, claims=claims))
