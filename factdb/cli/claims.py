"""The main job at the top level: add, list, show, retract, seed; and the ``claim`` group,
which corrects a claim (its wording, tags and alleged violations) and relates it to others."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from factdb.cli import columns, render
from factdb.cli.history import last_change_line
from factdb.cli.options import (
    AllowConfusableOpt,
    ApproximateOpt,
    AsOfFilter,
    FormatOpt,
    QualifierNoteOpt,
    QualifierOpt,
    ReasonOpt,
    RetractedFilter,
    build_filters,
    with_filters,
)
from factdb.cli.ratings import flat_grades, grades_line
from factdb.cli.render import Format, Line, cell, safe_text
from factdb.cli.state import State
from factdb.core.vocabulary import qualified_stance, weight_text

if TYPE_CHECKING:
    from sqlmodel import Session

    from factdb.domain.changes import Correction
    from factdb.storage.reader import Reader


class ShowFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    html = "html"


ShowFormatOpt = Annotated[
    ShowFormat,
    typer.Option(
        "--format",
        "-f",
        help="Output: table for people; csv, json, jsonl exact; html a page with the "
        "timeline picture (as `factdb site` writes it).",
        case_sensitive=False,
    ),
]

GROUP_TITLES = {"for": "FOR", "neutral": "NEUTRAL", "against": "AGAINST"}
GROUP_STYLES = {"for": "green", "neutral": "yellow", "against": "red"}


def add(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(help="The claim, as a proposition.")] = None,
    *,
    by: Annotated[str, typer.Option("--by", help="Who takes the stance (name or alias).")],
    stance: Annotated[
        str, typer.Option("--stance", help="asserts, supports, neutral, disputes or denies.")
    ],
    source: Annotated[str, typer.Option("--source", help="URL where it was reported.")],
    claim: Annotated[
        int | None, typer.Option("--claim", help="Add to an existing claim instead of TEXT.")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="When: YYYY, YYYY-MM or YYYY-MM-DD, ~ in front when approximate "
            "(~2022-10). Default: the source's publication date.",
        ),
    ] = None,
    approximate: ApproximateOpt = False,
    qualifier: QualifierOpt = None,
    qualifier_note: QualifierNoteOpt = None,
    quote: Annotated[str | None, typer.Option("--quote", help="Verbatim quote.")] = None,
    via: Annotated[
        list[str] | None,
        typer.Option("--via", help="Intermediary, in order, nearest to the speaker first."),
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag the claim.")] = None,
    violates: Annotated[
        list[str] | None,
        typer.Option("--violates", help="A sanction the claim alleges is violated."),
    ] = None,
    outlet: Annotated[
        str | None,
        typer.Option(
            "--outlet",
            help="The source's outlet: an actor, by name or alias (a new one is created, kind "
            "media).",
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="The source's title.")] = None,
    published: Annotated[
        str | None, typer.Option("--published", help="The source's publication date.")
    ] = None,
    allow_confusable: AllowConfusableOpt = False,
    new_actor: Annotated[
        bool,
        typer.Option(
            "--new-actor",
            help="Create an unknown --by/--via/--outlet name even when it is close to a known "
            "one (a typo, or part of a known name: 'Kirby' of 'John Kirby').",
        ),
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record who took which stance on a claim, creating claim, actor and source when new.

    A --by, --via or --outlet name that no actor answers to but that is close to a known
    name or alias is refused, naming the known ones; --new-actor creates it anyway."""
    from factdb.core.errors import InvalidInput
    from factdb.core.values import (
        parse_optional_date,
        parse_qualifier,
        parse_stance,
        parse_stance_date,
    )
    from factdb.domain.stances import add_assertion

    for option, value in (("--by", by), ("--stance", stance), ("--source", source)):
        if not value:
            raise InvalidInput(option, "is required")
    if text is not None and claim is None and text.strip().isdecimal():
        # `factdb add 12 --by …` meant claim 12: on the command line a bare number is the
        # claim's id misplaced, never a proposition (an import or the domain may hold one).
        number = text.strip()
        raise InvalidInput(
            "TEXT",
            f"{number!r} is a number, not a claim; to add to claim {number}, use --claim {number}",
        )
    parsed_stance = parse_stance(stance)
    parsed_date, marked = parse_stance_date(date) if date is not None else (None, False)
    parsed_qualifier = parse_qualifier(qualifier)
    parsed_published = parse_optional_date(published, "--published")
    state: State = ctx.obj
    result = state.record(
        lambda conn: add_assertion(
            conn,
            text=text,
            claim_id=claim,
            by=by,
            stance=parsed_stance,
            source_url=source,
            date=parsed_date,
            date_approximate=marked or approximate,
            qualifier=parsed_qualifier,
            qualifier_note=qualifier_note,
            quote=quote,
            via=via or [],
            tags=tag or [],
            violates=violates or [],
            outlet=outlet,
            title=title,
            published=parsed_published,
            allow_confusable=allow_confusable,
            new_actor=new_actor,
        )
    )
    for hint in result.hints:
        render.note(hint)
    render.emit(asdict(result), fmt, _add_table)


def _add_table(r: dict[str, Any]) -> list[Any]:
    def new(flag: bool) -> str:
        return "new" if flag else "existing"

    if not r["assertion_created"]:
        return [
            Line(
                f"assertion {r['assertion_id']} already recorded; {_duplicate_changes(r)} — "
                f"{safe_text(r['actor'])} (actor {r['actor_id']}) on claim {r['claim_id']}, "
                f"{r['date']}, source {r['source_id']}"
            )
        ]
    return [
        Line(
            f"assertion {r['assertion_id']} recorded: {safe_text(r['actor'])} "
            f"({new(r['actor_created'])} actor {r['actor_id']}) on claim {r['claim_id']} "
            f"({new(r['claim_created'])}), "
            f"{r['date']}, source {r['source_id']} ({new(r['source_created'])})"
        )
    ]


def _duplicate_changes(r: dict[str, Any]) -> str:
    """What a repeated add did besides finding its assertion: "nothing changed", or the
    tags it added, the sanctions it linked and the actors (--via) it created."""
    done = [
        *(f"added tag {safe_text(t)}" for t in r["tags_added"]),
        *(f"linked sanction {safe_text(s)}" for s in r["sanctions_linked"]),
        *(f"created actor {safe_text(a)}" for a in r["new_actors"]),
    ]
    return "; ".join(done) if done else "nothing changed"


@with_filters()
def list_(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Claims with their sides at a glance."""
    from factdb.queries import list_claims

    filters = build_filters(ctx.params)
    state: State = ctx.obj
    rows = state.read(list_claims, filters)
    render.emit(
        rows,
        fmt,
        lambda data: claims_table(data, ctx.params["as_of"]),
        csv_columns=columns.CLAIM_ROW,
    )


def claims_table(rows: list[dict[str, Any]], as_of: str | None = None) -> list[Any]:
    if not rows:
        return [Line("no claims match", style="dim")]
    from rich.table import Table

    title = f"as of {as_of}" if as_of else None
    footnote = Line("* a side that changed its stance", style="dim")
    reversed_any = any(r["reversed"] for r in rows)

    def sides_text(r: dict[str, Any], group: str) -> str:
        return ", ".join(safe_text(s) + ("*" if s in r["reversed_sides"] else "") for s in r[group])

    def status(r: dict[str, Any]) -> str:
        return " ".join(
            f for f, on in (("CONTESTED", r["contested"]), ("REVERSED", r["reversed"])) if on
        )

    # Words wrap whole: FOR and AGAINST are never narrower than their longest word.
    floors = [
        max(len(str(r["id"])) for r in rows),
        20,
        render.column_floor("FOR", [sides_text(r, "for") for r in rows]),
        render.column_floor("AGAINST", [sides_text(r, "against") for r in rows]),
        max(4, *(len(safe_text(r["last_date"])) for r in rows)),
        render.column_floor("STATUS", [status(r) for r in rows]),
    ]
    if not render.table_fits(floors):
        blocks = render.record_blocks(
            [
                [
                    ("ID", str(r["id"])),
                    ("CLAIM", safe_text(r["claim"])),
                    ("FOR", sides_text(r, "for")),
                    ("AGAINST", sides_text(r, "against")),
                    ("LAST", safe_text(r["last_date"])),
                    ("STATUS", status(r)),
                ]
                for r in rows
            ],
            title=title,
        )
        return [*blocks, footnote] if reversed_any else blocks
    table = Table(title=title, header_style="bold", expand=True)
    table.add_column("ID", justify="right", no_wrap=True, min_width=floors[0])
    table.add_column("CLAIM", overflow="ellipsis", no_wrap=True, ratio=5, min_width=floors[1])
    table.add_column("FOR", overflow="fold", style="green", ratio=2, min_width=floors[2])
    table.add_column("AGAINST", overflow="fold", style="red", ratio=2, min_width=floors[3])
    table.add_column("LAST", no_wrap=True, min_width=floors[4])
    table.add_column("STATUS", overflow="fold", min_width=floors[5])
    for r in rows:
        flags = []
        if r["contested"]:
            flags.append("CONTESTED")
        if r["reversed"]:
            flags.append("REVERSED")
        claim = cell(r["claim"])

        def sides(group: str, r: dict[str, Any] = r) -> Line:
            marked = [safe_text(s) + ("*" if s in r["reversed_sides"] else "") for s in r[group]]
            return Line(", ".join(marked))

        table.add_row(
            str(r["id"]),
            claim,
            sides("for"),
            sides("against"),
            cell(r["last_date"]),
            Line(" ".join(flags), style="bold"),
        )
    return [table, footnote] if reversed_any else [table]


def show(
    ctx: typer.Context,
    claim_id: Annotated[int, typer.Argument(help="The claim's id (see `factdb list`).")],
    as_of: AsOfFilter = None,
    include_retracted: RetractedFilter = False,
    fmt: ShowFormatOpt = ShowFormat.table,
) -> None:
    """The side-by-side view of one claim: for | neutral | against."""
    from factdb.core.values import parse_optional_date
    from factdb.queries import show_claim

    when = parse_optional_date(as_of, "--as-of")
    state: State = ctx.obj
    if fmt is ShowFormat.html:
        from factdb.interchange.site import show_page

        page = state.read(show_page, claim_id, as_of=when, include_retracted=include_retracted)
        render.emit_text(page)
        return
    data = state.read(show_claim, claim_id, as_of=when, include_retracted=include_retracted)
    render.emit(
        data, Format(fmt.value), show_table, csv_records=_show_csv, csv_columns=columns.SHOW_ROW
    )


def _show_csv(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"claim_id": data["id"], "claim": data["claim"], **flat_grades(a)}
        for a in data["assertions"]
    ]


def travel_chain(a: dict[str, Any]) -> str:
    """The way an assertion travelled, from the speaker: "Amir-Abdollahian → IRNA → Reuters"."""
    from factdb.queries.story import travel_chain as chain

    return safe_text(chain(a["actor"], a["via"]))


def flip_line(flip: dict[str, Any]) -> str:
    """One flip of a side (``queries.reversals``), with the assertions on both ends."""
    return (
        f"{flip['side']} — {flip['from_stance']}, {flip['from_date']} "
        f"(#{flip['from_assertion_id']}) → {flip['to_stance']}, {flip['to_date']} "
        f"(#{flip['to_assertion_id']}) (REVERSED)"
    )


def _source_where(source: dict[str, Any]) -> str:
    """Where an assertion was reported, as ``show`` prints it: the outlet by its actor
    (``outlets.outlet_label``), else the URL, else the source's id."""
    from factdb.queries.outlets import outlet_label

    outlet = outlet_label(source["outlet"], source.get("outlet_actor"))
    return outlet or source["url"] or f"source {source['id']}"


def _assertion_block(a: dict[str, Any]) -> Line:
    source = a["source"]
    where = _source_where(source)
    if source["published"]:
        where += f" ({source['published']})"
    parts: list[tuple[str, str]] = [
        (f"#{a['id']} ", "dim"),
        (safe_text(a["actor"]), "bold"),
    ]
    stance = qualified_stance(a["stance"], a["qualifier"], a["qualifier_note"])
    parts.append((safe_text(f" — {stance}, {a['date']}"), ""))
    if a["retracted"]:
        parts.append((" [retracted]", "dim"))
    if a.get("supersedes"):
        parts.append((f" (corrects #{a['supersedes']})", "dim"))
    if a["via"]:
        parts.append(("\n  via chain: " + travel_chain(a), "italic"))
    parts.append(("\n  " + safe_text(where), "dim"))
    grades = grades_line(a)
    if grades is not None:
        parts.append(("\n  " + grades, "cyan"))
    if a["quote"]:
        parts.append(("\n  “" + safe_text(a["quote"]) + "”", ""))
    if a["retracted"]:
        parts.append(("\n  retracted: " + safe_text(a["retraction_reason"]), "dim"))
    return Line.assemble(*parts)


def show_table(data: dict[str, Any]) -> list[Any]:
    from rich.console import Group
    from rich.table import Table

    header = Line.assemble((f"Claim {data['id']} · ", "bold"), (safe_text(data["claim"]), "bold"))
    meta = []
    if data["tags"]:
        meta.append("tags: " + ", ".join(data["tags"]))
    if data["violates"]:
        meta.append("alleges violation of: " + ", ".join(data["violates"]))
    if data.get("answered_by"):
        meta.append("sanctions imposed in response: " + ", ".join(data["answered_by"]))
    status = "CONTESTED" if data["contested"] else "not contested"
    if data["reversed"]:
        status += " · REVERSED"
    line = [status]
    for group in ("for", "against"):
        if data[group]:
            line.append(f"{group}: " + ", ".join(data[group]))
    if data["first_date"]:
        line.append(f"{data['first_date']} … {data['last_date']}")
    if data["as_of"]:
        line.append(f"as of {data['as_of']}")
    out: list[Any] = [header]
    if meta:
        out.append(Line(safe_text(" · ".join(meta)), style="dim"))
    related = relations_line(data)
    if related is not None:
        out.append(related)
    changed = last_change_line(data)
    if changed is not None:
        out.append(changed)
    out.append(Line(safe_text(" · ".join(line)), style="bold red" if data["contested"] else ""))
    for flip in data["reversals"]:
        out.append(Line(safe_text(flip_line(flip)), style="bold magenta"))
    table = Table(header_style="bold", expand=True, show_lines=False)
    columns: dict[str, list[Line]] = {"for": [], "neutral": [], "against": []}
    by_group_side: dict[str, dict[str, list[dict[str, Any]]]] = {g: {} for g in columns}
    for a in data["assertions"]:
        by_group_side[a["group"]].setdefault(a["side"], []).append(a)
    titles = {}
    weighed = data["corroboration"]
    for group, sides in by_group_side.items():
        titles[group] = f"{GROUP_TITLES[group]} ({sum(len(v) for v in sides.values())})"
        if sides:
            columns[group].append(Line("in all: " + weight_text(weighed[group]), style="dim"))
        counts = {c["side"]: c for c in weighed[group]["sides"]}
        for side, items in sides.items():
            mark = " (REVERSED)" if items[0]["side_reversed"] else ""
            columns[group].append(Line(safe_text(side) + mark, style=f"bold {GROUP_STYLES[group]}"))
            if side in counts:
                columns[group].append(Line(weight_text(counts[side]), style="dim"))
            for a in items:
                columns[group].append(_assertion_block(a))
    # Words wrap whole, URLs are never folded; a terminal too narrow for three such columns
    # gets them one after the other.
    floors = [
        max(
            render.column_floor(titles[g], [t.plain for t in columns[g]]),
            render.longest_url(t.plain for t in columns[g]),
        )
        for g in columns
    ]
    if not render.table_fits(floors):
        for group, texts in columns.items():
            out.append(Line(""))
            out.append(Line(titles[group], style=f"bold {GROUP_STYLES[group]}"))
            out.extend(texts)
    else:
        for group, floor in zip(columns, floors, strict=True):
            table.add_column(
                titles[group],
                min_width=floor,
                overflow="fold",
                header_style=f"bold {GROUP_STYLES[group]}",
            )
        table.add_row(*(Group(*columns[g]) if columns[g] else Line("") for g in columns))
        out.append(table)
    if not data["assertions"]:
        out.append(
            Line(
                "no assertions counted" + (f" as of {data['as_of']}" if data["as_of"] else ""),
                style="dim",
            )
        )
    return out


def short(text: str, width: int = 40) -> str:
    """A claim's text cut to ``width`` characters, ending in … when cut."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def relations_line(data: dict[str, Any]) -> Line | None:
    """``show``'s line of the claim's relations, by kind: "part of: #1 …; has parts: #5 …,
    #6 …; contradicts: #7 …"; None without any."""
    from factdb.queries.relations import grouped

    groups = grouped(data.get("relations") or [])
    if not groups:
        return None
    line = "; ".join(
        f"{heading}: " + ", ".join(f"#{r['claim_id']} {short(r['claim'])}" for r in items)
        for heading, items in groups
    )
    return Line(safe_text(line))


def retract(
    ctx: typer.Context,
    assertion_id: Annotated[int, typer.Argument(help="The assertion's id (shown by `show`).")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is withdrawn.")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Flag an assertion as withdrawn or mistaken; it is kept, and left out of sides."""
    from factdb.domain.stances import retract as do_retract

    state: State = ctx.obj
    with state.writing(reason) as conn:
        result = do_retract(conn, assertion_id=assertion_id, reason=reason)
    render.emit(
        asdict(result),
        fmt,
        lambda r: [Line(f"assertion {r['assertion_id']} retracted: {safe_text(r['reason'])}")],
    )


def seed(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Load the claims of the seed article (seeds/); loading twice changes nothing."""
    from factdb.interchange.seeds import seed as do_seed

    state: State = ctx.obj
    with state.session(write=True) as session:
        result = do_seed(session)
    data = [{"type": k, "new": result.new[k], "existing": result.existing[k]} for k in result.new]
    render.emit(
        data,
        fmt,
        lambda rows: render.records_table(
            rows, [("type", "RECORDS"), ("new", "NEW"), ("existing", "ALREADY THERE")]
        ),
    )


# --- ``factdb claim …``: corrections of a claim ---------------------------------------------

claim_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
ClaimId = Annotated[int, typer.Argument(metavar="ID", help="The claim's id (see `factdb list`).")]
TagsArg = Annotated[list[str], typer.Argument(metavar="TAG", help="Tags (one or more).")]
ViolatesOpt = Annotated[
    list[str],
    typer.Option("--violates", help="A sanction, by name or id."),
]


def correct(
    ctx: typer.Context, reason: str | None, fmt: Format, work: Callable[[Session], Correction]
) -> None:
    """Run a correction (a function of ``factdb.domain``) in one write transaction that
    records ``--reason``, and print what it changed."""
    from factdb.cli.options import parse_reason

    why = parse_reason(reason)
    state: State = ctx.obj
    result = state.transact(work, reason=why)
    render.emit_correction(asdict(result), fmt)


def correct_by_hand(
    ctx: typer.Context,
    reason: str | None,
    fmt: Format,
    work: Callable[[Session | Reader], Correction],
) -> None:
    """``correct`` for a correction written in SQL (``domain.claims``), which runs on the
    driver's connection when it can (``State.record``: no SQLAlchemy to import)."""
    from factdb.cli.options import parse_reason

    why = parse_reason(reason)
    state: State = ctx.obj
    result = state.record(work, reason=why)
    render.emit_correction(asdict(result), fmt)


@claim_app.command("edit")
def edit(
    ctx: typer.Context,
    claim_id: ClaimId,
    text: Annotated[str, typer.Option("--text", help="The new wording.")],
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Reword a claim. Its identity (the folded text) follows; a wording that is another
    claim's is refused."""
    from factdb.domain.claims import edit_claim

    correct_by_hand(ctx, reason, fmt, lambda s: edit_claim(s, claim_id=claim_id, text=text))


@claim_app.command("tag")
def tag(
    ctx: typer.Context,
    claim_id: ClaimId,
    tags: TagsArg,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Tag a claim; tags it has already are left as they are."""
    from factdb.domain.claims import add_tags

    correct_by_hand(ctx, reason, fmt, lambda s: add_tags(s, claim_id=claim_id, tags=tags))


@claim_app.command("untag")
def untag(
    ctx: typer.Context,
    claim_id: ClaimId,
    tags: TagsArg,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Remove tags from a claim; refused, and nothing removed, if it lacks one of them."""
    from factdb.domain.claims import remove_tags

    correct_by_hand(ctx, reason, fmt, lambda s: remove_tags(s, claim_id=claim_id, tags=tags))


@claim_app.command("link")
def link(
    ctx: typer.Context,
    claim_id: ClaimId,
    violates: ViolatesOpt,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record that a claim alleges the violation of a sanction (one already recorded)."""
    from factdb.domain.claims import add_violations

    correct_by_hand(
        ctx, reason, fmt, lambda s: add_violations(s, claim_id=claim_id, sanctions=violates)
    )


@claim_app.command("unlink")
def unlink(
    ctx: typer.Context,
    claim_id: ClaimId,
    violates: ViolatesOpt,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Withdraw a claim's allegation of violating a sanction; refused if it makes none."""
    from factdb.domain.claims import remove_violations

    correct_by_hand(
        ctx, reason, fmt, lambda s: remove_violations(s, claim_id=claim_id, sanctions=violates)
    )


@claim_app.command("merge")
def merge(
    ctx: typer.Context,
    source_id: Annotated[
        int, typer.Argument(metavar="FROM", help="The claim to fold away (its id).")
    ],
    into_id: Annotated[int, typer.Argument(metavar="INTO", help="The claim that remains.")],
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Merge claim FROM into INTO (one claim worded twice): nothing is lost. Assertions, tags,
    sanction links and relations move; an assertion that becomes the same as one of INTO's is
    kept, retracted as folded into it; a relation that would relate INTO to itself or repeat
    one of INTO's is removed, and said. FROM's record stays in the history."""
    from factdb.cli.options import parse_reason
    from factdb.domain.claims import merge_claims

    state: State = ctx.obj
    result = state.transact(
        lambda s: merge_claims(s, source_id=source_id, into_id=into_id),
        reason=parse_reason(reason),
    )
    data = {
        "from_id": result.from_id,
        "from": result.from_text,
        "into_id": result.into_id,
        "into": result.into_text,
        "assertions_moved": result.assertions_moved,
        "assertions_folded": [{"assertion": a, "same_as": b} for a, b in result.assertions_folded],
        "tags_added": result.tags_added,
        "sanctions_linked": result.sanctions_linked,
        "relations_moved": result.relations_moved,
        "relations_removed": [asdict(r) for r in result.relations_removed],
    }
    render.emit(data, fmt, _merge_table)


def _merge_table(d: dict[str, Any]) -> list[Any]:
    moved = d["assertions_moved"]
    lines = [
        Line(
            safe_text(
                f"merged claim {d['from_id']} '{d['from']}' into {d['into_id']} '{d['into']}'"
            ),
            style="bold",
        ),
        Line(
            f"assertions moved: {len(moved)}"
            + (f" ({', '.join(map(str, moved))})" if moved else "")
        ),
    ]
    for fold in d["assertions_folded"]:
        lines.append(
            Line(
                f"assertion {fold['assertion']} kept, retracted: the same as assertion "
                f"{fold['same_as']} (its quote and via chain stay on it)"
            )
        )
    if d["tags_added"]:
        lines.append(Line("tags added: " + ", ".join(d["tags_added"])))
    if d["sanctions_linked"]:
        lines.append(Line(f"sanction links added: {len(d['sanctions_linked'])}"))
    lines.extend(_merged_relations(d))
    lines.append(
        Line(f"what claim {d['from_id']} was: factdb history claim {d['from_id']}", style="dim")
    )
    return lines


def _merged_relations(d: dict[str, Any]) -> list[Line]:
    """The merge's lines on relations: how many moved, and each one removed, and why."""
    from factdb.queries.relations import phrase

    lines = []
    moved = d["relations_moved"]
    if moved:
        lines.append(Line(f"relations moved: {len(moved)} ({', '.join(map(str, moved))})"))
    for r in d["relations_removed"]:
        was = f"claim {r['claim_id']} {phrase(r['kind'])} claim {r['other_claim_id']}"
        why = (
            f"claim {d['into_id']} would {phrase(r['kind'], 'cannot')} itself"
            if r["duplicate_of"] is None
            else f"it would repeat relation {r['duplicate_of']}"
        )
        lines.append(Line(f"relation {r['relation']} removed ({was}): {why}"))
    return lines


# --- ``factdb claim relate|unrelate`` --------------------------------------------------------

ClaimA = Annotated[int, typer.Argument(metavar="A", help="The claim that relates (its id).")]
PartOfOpt = Annotated[
    int | None,
    typer.Option("--part-of", metavar="B", help="A is part of claim B (one of its elements)."),
]
ImpliesOpt = Annotated[
    int | None, typer.Option("--implies", metavar="B", help="If A is true, claim B is true.")
]
ContradictsOpt = Annotated[
    int | None,
    typer.Option(
        "--contradicts", metavar="B", help="A and claim B cannot both be true (both ways)."
    ),
]
SameAsOpt = Annotated[
    int | None,
    typer.Option(
        "--same-as",
        metavar="B",
        help="A and claim B say the same thing, kept apart (both ways; `claim merge` makes "
        "them one).",
    ),
]
RELATION_OPTIONS = ("--part-of", "--implies", "--contradicts", "--same-as")


def _relation(*values: int | None) -> tuple[str, int]:
    """(kind, claim B) of the one relation option given; a usage error for none or several."""
    from factdb.core.errors import InvalidInput
    from factdb.core.vocabulary import RELATION_KINDS

    given = [
        (kind, option, value)
        for kind, option, value in zip(RELATION_KINDS, RELATION_OPTIONS, values, strict=True)
        if value is not None
    ]
    if len(given) != 1:
        got = f" (got {' and '.join(option for _, option, _ in given)})" if given else ""
        raise InvalidInput(
            "RELATION", f"give exactly one of {', '.join(RELATION_OPTIONS)}, with claim B{got}"
        )
    kind, _, other = given[0]
    assert other is not None
    return kind, other


def _relation_line(r: dict[str, Any]) -> list[Any]:
    from factdb.queries.relations import phrase

    a, b, kind = r["claim_id"], r["other_claim_id"], r["kind"]
    if r["action"] == "related":
        return [Line(f"claim {a} {phrase(kind, 'now')} claim {b}")]
    if r["action"] == "unrelated":
        return [Line(f"claim {a} {phrase(kind, 'no longer')} claim {b}")]
    return [Line(f"claim {a} {phrase(kind, 'already')} claim {b}; nothing changed")]


@claim_app.command("relate")
def relate(
    ctx: typer.Context,
    claim_id: ClaimA,
    part_of: PartOfOpt = None,
    implies: ImpliesOpt = None,
    contradicts: ContradictsOpt = None,
    same_as: SameAsOpt = None,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record how claim A relates to claim B (exactly one of the four options): part of it,
    implying it, contradicting it, or the same as it. Recording it again changes nothing.
    Refused: a claim related to itself, and a --part-of that would make a claim part of itself
    through a chain of parts."""
    from factdb.cli.options import parse_reason
    from factdb.domain.relations import relate as do_relate

    kind, other = _relation(part_of, implies, contradicts, same_as)
    state: State = ctx.obj
    result = state.transact(
        lambda s: do_relate(s, claim_id, kind, other), reason=parse_reason(reason)
    )
    render.emit(asdict(result), fmt, _relation_line)


@claim_app.command("unrelate")
def unrelate(
    ctx: typer.Context,
    claim_id: ClaimA,
    part_of: PartOfOpt = None,
    implies: ImpliesOpt = None,
    contradicts: ContradictsOpt = None,
    same_as: SameAsOpt = None,
    reason: ReasonOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Remove a relation between claims A and B (exactly one of the four options, as it was
    recorded; --contradicts and --same-as in either order). Refused if it is not recorded."""
    from factdb.cli.options import parse_reason
    from factdb.domain.relations import unrelate as do_unrelate

    kind, other = _relation(part_of, implies, contradicts, same_as)
    state: State = ctx.obj
    result = state.transact(
        lambda s: do_unrelate(s, claim_id, kind, other), reason=parse_reason(reason)
    )
    render.emit(asdict(result), fmt, _relation_line)
