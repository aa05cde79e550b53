"""``factdb actor …``: names, aliases, kinds and the part_of hierarchy."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from factdb.cli import columns, render
from factdb.cli.history import last_change_line
from factdb.cli.options import AllowConfusableOpt, FormatOpt, IdsArg, ReasonOpt
from factdb.cli.ratings import reliability_lines
from factdb.cli.render import Format, Line, safe_text
from factdb.cli.state import State
from factdb.core.vocabulary import qualified_stance

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The actor's name.")],
    kind: Annotated[
        str, typer.Option("--kind", help="state, government, person, media, organization, other.")
    ] = "other",
    part_of: Annotated[
        str | None, typer.Option("--part-of", help="The body this actor belongs to.")
    ] = None,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="Another name.")] = None,
    ids: Annotated[
        list[str] | None,
        typer.Option(
            "--id", help="An external id, SCHEME:VALUE: wikidata:Q7747 (or Q7747), opensanctions:…"
        ),
    ] = None,
    allow_confusable: AllowConfusableOpt = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add an actor."""
    from factdb.core.identifiers import parse_external_ids
    from factdb.core.values import parse_kind
    from factdb.domain.records import add_actor, attach_external_id
    from factdb.queries import show_actor

    parsed = parse_kind(kind)
    idents = parse_external_ids(ids or [], "--id")
    state: State = ctx.obj
    with state.writing() as session:
        actor = add_actor(
            session,
            name=name,
            kind=parsed,
            part_of=part_of,
            aliases=alias or [],
            allow_confusable=allow_confusable,
        )
        for ident in idents:
            attach_external_id(session, "actor", actor.id, ident)
        data = show_actor(session, str(actor.id))
    # What it said, and no "last changed": this command's change set is written at its commit.
    for key in (
        "assertions",
        "reliability",
        "ratings",
        "last_change",
        "memberships",
        "alias_periods",
    ):
        data.pop(key)
    render.emit(data, fmt)


@app.command("alias")
def alias(
    ctx: typer.Context,
    actor: Annotated[str, typer.Argument(help="The actor (name, alias or id).")],
    aliases: Annotated[list[str], typer.Argument(help="The aliases to add.")],
    since: Annotated[
        str | None,
        typer.Option("--from", help="Since when these aliases were in use (a partial date)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Until when these aliases were in use.")
    ] = None,
    allow_confusable: AllowConfusableOpt = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Give an actor more names; "Pyongyang" then resolves to North Korea. With --from or
    --until, the period the aliases were in use (they resolve at all times)."""
    from factdb.core.values import parse_optional_date
    from factdb.domain.records import actor_row, add_aliases, aliases_of, date_aliases
    from factdb.queries import actor_ref
    from factdb.queries.memberships import alias_periods

    start = parse_optional_date(since, "--from")
    end = parse_optional_date(until, "--until")
    state: State = ctx.obj
    with state.writing() as session:
        found = actor_row(session, actor_ref(session, actor)[0])
        assert found is not None
        added = add_aliases(
            session, actor=found, aliases=aliases, allow_confusable=allow_confusable
        )
        notes = []
        if start is not None or end is not None:
            notes = date_aliases(session, actor=found, aliases=aliases, since=start, until=end)
        data = {
            "id": found.id,
            "name": found.name,
            "added": added,
            "aliases": aliases_of(session, found.id),
        }
        data["notes"] = notes
        data["alias_periods"] = alias_periods(session, found.id)
    render.emit(data, fmt, _alias_lines)


def _alias_lines(d: dict[str, Any]) -> list[Any]:
    lines: list[Any] = [Line(f"added alias '{safe_text(a)}'") for a in d["added"]]
    lines += [Line(safe_text(note)) for note in d["notes"]]
    periods = {p["alias"]: p for p in d["alias_periods"]}
    shown = ", ".join(_alias_text(a, periods) for a in d["aliases"]) or "none"
    lines.append(Line(f"{safe_text(d['name'])} · aliases: {shown}"))
    return lines


@app.command("part-of")
def part_of(
    ctx: typer.Context,
    actor: Annotated[str, typer.Argument(help="The actor (name, alias or id).")],
    parent: Annotated[
        str | None, typer.Argument(help="The body it belongs to; omit to make it top-level.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="When it became part of PARENT (YYYY, YYYY-MM or YYYY-MM-DD); a different "
            "current parent's membership ends then.",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="When it stopped being part of PARENT: a membership that ended (the current "
            "one, if PARENT is the current parent).",
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Set (or clear) the body an actor belongs to, now or for a period; its stances count
    for the side it belonged to on their dates."""
    from factdb.core.values import parse_optional_date
    from factdb.domain.actors import get_actor
    from factdb.domain.memberships import set_membership

    start = parse_optional_date(since, "--from")
    end = parse_optional_date(until, "--until")
    state: State = ctx.obj
    with state.session(write=True) as session:
        found = get_actor(session, actor)
        parent_actor = get_actor(session, parent, "PARENT") if parent else None
        result = set_membership(session, actor=found, parent=parent_actor, since=start, until=end)
        data = _membership_data(session, result)
    render.emit(data, fmt, _membership_lines)


@app.command("unpart")
def unpart(
    ctx: typer.Context,
    actor: Annotated[str, typer.Argument(help="The actor (name, alias or id).")],
    parent: Annotated[str, typer.Argument(help="The body of the membership to remove.")],
    until: Annotated[
        str | None,
        typer.Option("--until", help="Only the membership in PARENT that ended on this date."),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Remove a membership recorded wrongly (the history keeps it); to record that a
    membership ended, use `actor part-of ACTOR PARENT --until DATE`."""
    from factdb.core.values import parse_optional_date
    from factdb.domain.actors import get_actor
    from factdb.domain.memberships import remove_membership

    end = parse_optional_date(until, "--until")
    state: State = ctx.obj
    with state.session(write=True) as session:
        found = get_actor(session, actor)
        parent_actor = get_actor(session, parent, "PARENT")
        result = remove_membership(session, actor=found, parent=parent_actor, until=end)
        data = _membership_data(session, result)
    render.emit(data, fmt, _membership_lines)


def _membership_data(session: Any, result: Any) -> dict[str, Any]:
    from factdb.domain.actors import side_of
    from factdb.queries.memberships import memberships

    found = result.actor
    parent = session.get(type(found), found.part_of_id) if found.part_of_id else None
    return {
        "id": found.id,
        "name": found.name,
        "part_of": parent.name if parent else None,
        "side": side_of(session, found).name,
        "changed": result.changed,
        "notes": result.notes,
        "memberships": memberships(session, found.id),
    }


def _membership_lines(d: dict[str, Any]) -> list[Any]:
    lines: list[Any] = [Line(safe_text(note)) for note in d["notes"]]
    lines.append(Line(f"{safe_text(d['name'])} · side today: {safe_text(d['side'])}"))
    lines += membership_lines(d["memberships"])
    return lines


def _alias_text(alias: str, periods: dict[str, dict[str, Any]]) -> str:
    from factdb.domain.changes import period_text

    period = periods.get(alias)
    when = period_text(period["since"], period["until"]) if period else ""
    return safe_text(alias) + (f" ({when})" if when else "")


def membership_lines(rows: list[dict[str, Any]]) -> list[Any]:
    """``part of: X (since 2024-05)`` and ``was part of: Y (from 2012-11 until 2024-05)``."""
    from factdb.domain.changes import period_text

    out: list[Any] = []
    for m in rows:
        when = period_text(m["since"], m["until"])
        label = "part of" if m["current"] else "was part of"
        out.append(Line(f"{label}: {safe_text(m['parent'])}" + (f" ({when})" if when else "")))
    return out


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Every actor with its kind, parent, side and aliases."""
    from factdb.queries import list_actors

    state: State = ctx.obj
    rows = state.read(list_actors)
    render.emit(
        rows,
        fmt,
        lambda data: render.records_table(
            data,
            [
                ("id", "ID"),
                ("name", "NAME"),
                ("kind", "KIND"),
                ("part_of", "PART OF"),
                ("side", "SIDE"),
                ("aliases", "ALIASES"),
                ("assertions", "ASSERTIONS"),
            ],
            empty="no actors yet",
        ),
        csv_columns=columns.ACTOR_ROW,
    )


@app.command("show")
def show(
    ctx: typer.Context,
    actor: Annotated[str, typer.Argument(help="The actor (name, alias or id).")],
    fmt: FormatOpt = Format.table,
) -> None:
    """One actor: its names, hierarchy, and every stance it and its parts took, in date
    order (BY names who spoke)."""
    from factdb.queries import show_actor

    state: State = ctx.obj
    data = state.read(show_actor, actor)
    render.emit(
        data,
        fmt,
        _show_table,
        csv_records=lambda d: d["assertions"],
        csv_columns=columns.ASSERTION_ROW,
    )


def _show_table(d: dict[str, Any]) -> list[Any]:
    head = Line(
        f"{safe_text(d['name'])} ({d['kind']}) · side: {safe_text(d['side'])}", style="bold"
    )
    lines: list[Any] = [head]
    if d.get("memberships"):
        lines += membership_lines(d["memberships"])
    elif d["part_of"]:
        lines.append(Line(f"part of: {safe_text(d['part_of'])}"))
    if d["aliases"]:
        periods = {p["alias"]: p for p in d.get("alias_periods", [])}
        lines.append(Line("aliases: " + ", ".join(_alias_text(a, periods) for a in d["aliases"])))
    if d["ids"]:
        lines.append(Line("ids: " + ", ".join(safe_text(i) for i in d["ids"])))
    if d["parts"]:
        lines.append(Line("parts: " + ", ".join(safe_text(p) for p in d["parts"])))
    outlet_line = _outlet_line(d)
    if outlet_line is not None:
        lines.append(outlet_line)
    for key, what in (("target_of_sanctions", "target"), ("authority_of_sanctions", "authority")):
        if d[key]:
            lines.append(Line(f"{what} of {d[key]} sanction{'' if d[key] == 1 else 's'}"))
    lines += reliability_lines(d)
    changed = last_change_line(d)
    if changed is not None:
        lines.append(changed)
    lines += render.records_table(
        [
            {
                **a,
                "stance": qualified_stance(a["stance"], a["qualifier"], a["qualifier_note"])
                + (" (retracted)" if a["retracted"] else ""),
                # the relays in the order they carried it, as `show` and `timeline` print them
                "via": " → ".join(a["via"]) if a["via"] else "",
            }
            for a in d["assertions"]
        ],
        [
            ("date", "DATE"),
            ("id", "ID"),
            ("actor", "BY"),
            ("claim_id", "CLAIM"),
            ("claim", "TEXT"),
            ("stance", "STANCE"),
            ("via", "RELAYED BY"),
        ],
        empty="no assertions by it or its parts",
        max_width={"claim": 60},
    )
    return lines


def _outlet_line(d: dict[str, Any]) -> Line | None:
    """ "outlet of 3 sources" for an actor that published some (``source list`` lists them)."""
    n = d["outlet_of_sources"]
    if not n:
        return None
    return Line(f"outlet of {n} source{'' if n == 1 else 's'}")


@app.command("rename")
def rename(
    ctx: typer.Context,
    actor: Annotated[str, typer.Argument(metavar="NAME", help="The actor (name, alias or id).")],
    new_name: Annotated[str, typer.Argument(metavar="NEW", help="Its new name.")],
    keep_alias: Annotated[
        bool, typer.Option("--keep-alias", help="Keep the old name as an alias.")
    ] = False,
    allow_confusable: AllowConfusableOpt = False,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Rename an actor. NEW may not name another actor; the old name is dropped unless
    --keep-alias."""
    from factdb.cli.claims import correct_by_hand
    from factdb.domain.records import rename as do_rename

    correct_by_hand(
        ctx,
        reason,
        fmt,
        lambda s: do_rename(
            s,
            ref=actor,
            new_name=new_name,
            keep_alias=keep_alias,
            allow_confusable=allow_confusable,
        ),
    )


@app.command("edit")
def edit(
    ctx: typer.Context,
    actor: Annotated[str, typer.Argument(metavar="NAME", help="The actor (name, alias or id).")],
    kind: Annotated[
        str,
        typer.Option("--kind", help="state, government, person, media, organization or other."),
    ],
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Correct an actor's kind (`actor rename` its name, `actor part-of` its parent)."""
    from factdb.cli.claims import correct_by_hand
    from factdb.core.values import parse_kind
    from factdb.domain.records import set_kind

    parsed = parse_kind(kind)
    correct_by_hand(ctx, reason, fmt, lambda s: set_kind(s, ref=actor, kind=parsed))


@app.command("delete")
def delete(
    ctx: typer.Context,
    actor: Annotated[str, typer.Argument(metavar="NAME", help="The actor (name, alias or id).")],
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Delete an actor, with its aliases; refused while assertions, via links, parts,
    sanctions, sources (as their outlet), ratings or external ids refer to it."""
    from factdb.cli.claims import correct
    from factdb.domain.actors import delete_actor

    correct(ctx, reason, fmt, lambda s: delete_actor(s, ref=actor))


@app.command("merge")
def merge(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FROM", help="The actor to fold away.")],
    into: Annotated[str, typer.Argument(metavar="INTO", help="The actor that remains.")],
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Merge FROM into INTO: nothing is lost. Assertions, via links, parts, memberships, the
    sanctions it is the target or authority of, the sources it is the outlet of, ratings,
    external ids and aliases move;
    FROM's name becomes an alias. An assertion that becomes the same as one of INTO's is
    kept, retracted as folded into it. FROM's record stays in the history."""
    from factdb.domain.actors import merge as do_merge

    state: State = ctx.obj
    with state.session(write=True, reason=reason) as session:
        result = do_merge(session, source=source, into=into)
        data = {
            "from": result.from_name,
            "from_id": result.from_id,
            "into": result.into.name,
            "into_id": result.into.id,
            "assertions_moved": result.assertions_moved,
            "assertions_folded": [
                {"assertion": a, "same_as": b} for a, b in result.assertions_folded
            ],
            "via_links_moved": result.via_links_moved,
            "parts_moved": result.parts_moved,
            "sanctions_moved": result.sanctions_moved,
            "outlets_moved": result.outlets_moved,
            "ratings_moved": result.ratings_moved,
            "ids_moved": result.ids_moved,
            "authorities_moved": result.authorities_moved,
            "targets_kept_once": result.targets_kept_once,
            "aliases_added": result.aliases_moved,
        }
    render.emit(data, fmt, _merge_table)


def _merge_table(d: dict[str, Any]) -> list[Any]:
    lines = [
        Line(
            safe_text(
                f"merged actor {d['from_id']} '{d['from']}' into {d['into_id']} '{d['into']}'"
            ),
            style="bold",
        )
    ]
    moved = d["assertions_moved"]
    lines.append(
        Line(
            f"assertions moved: {len(moved)}"
            + (f" ({', '.join(map(str, moved))})" if moved else "")
        )
    )
    for fold in d["assertions_folded"]:
        lines.append(
            Line(
                f"assertion {fold['assertion']} kept, retracted: the same as assertion "
                f"{fold['same_as']} (its quote and via chain stay on it)"
            )
        )
    for key, label in (
        ("via_links_moved", "via links moved"),
        ("parts_moved", "parts moved"),
        ("sanctions_moved", "sanctions re-targeted"),
        ("authorities_moved", "sanctions' authority moved"),
        ("outlets_moved", "sources' outlet moved"),
        ("ratings_moved", "ratings moved"),
        ("ids_moved", "external ids moved"),
    ):
        if d[key]:
            lines.append(Line(f"{label}: {d[key]}"))
    for name in d["targets_kept_once"]:
        lines.append(
            Line(safe_text(f"sanction '{name}' targeted both: kept once, as '{d['into']}'"))
        )
    lines.append(Line("aliases added: " + ", ".join(safe_text(a) for a in d["aliases_added"])))
    lines.append(
        Line(f"what actor {d['from_id']} was: factdb history actor {d['from_id']}", style="dim")
    )
    return lines


@app.command("identify")
def identify(
    ctx: typer.Context,
    actor: Annotated[str, typer.Argument(metavar="NAME", help="The actor (name, alias or id).")],
    ids: IdsArg,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record an actor's ids in other systems (Wikidata, OpenSanctions …); the actor is then
    found by them wherever it is named. An id of another actor or of a sanction is refused."""
    from factdb.cli.claims import correct
    from factdb.domain.identifiers import identify as do_identify

    correct(ctx, reason, fmt, lambda s: do_identify(s, record="actor", ref=actor, ids=ids))


@app.command("unidentify")
def unidentify(
    ctx: typer.Context,
    actor: Annotated[str, typer.Argument(metavar="NAME", help="The actor (name, alias or id).")],
    ids: IdsArg,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Remove external ids from an actor; refused if it lacks one of them."""
    from factdb.cli.claims import correct
    from factdb.domain.identifiers import unidentify as do_unidentify

    correct(ctx, reason, fmt, lambda s: do_unidentify(s, record="actor", ref=actor, ids=ids))
