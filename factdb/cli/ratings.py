"""Ratings (docs/design.md, Ratings): ``factdb actor rate|unrate`` and ``factdb assertion
rate|unrate``, and how ``show`` and ``actor show`` print the grades. The commands belong to
the ``actor`` and ``assertion`` groups; ``register`` adds them there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from factdb.cli import render
from factdb.cli.columns import GRADE_FIELDS
from factdb.cli.options import FormatOpt
from factdb.cli.render import Format, Line, safe_text
from factdb.cli.state import State

if TYPE_CHECKING:
    from sqlmodel import Session

    from factdb.domain.ratings import RatingResult

ActorArg = Annotated[str, typer.Argument(metavar="NAME", help="The actor (name, alias or id).")]
AssertionArg = Annotated[
    int, typer.Argument(metavar="ID", help="The assertion's id (shown by `show`).")
]
RatingReasonOpt = Annotated[
    str,
    typer.Option(
        "--reason",
        help="Why: what the grade rests on. Required; kept with the rating and in the history.",
    ),
]


def _run(ctx: typer.Context, reason: str, fmt: Format, work: Callable[..., RatingResult]) -> None:
    """Rate in one write transaction, as the user of the change context, and print it."""
    from factdb.cli.options import parse_reason

    state: State = ctx.obj
    user = state.user()
    result = state.transact(lambda session: work(session, user), reason=parse_reason(reason))
    render.emit(asdict(result), fmt, lambda r: [Line(safe_text(rating_line(r)))])


def rating_line(r: dict[str, Any]) -> str:
    """What a rating command did, in one line: ``KCNA rated E (unreliable) by erin: …``."""
    label = r["label"]
    if r["action"] == "unchanged":
        return f"{label}: nothing changed (rated {r['grade']} by {r['by']} for this reason already)"
    if r["action"] == "withdrawn":
        return f"rating of {label} withdrawn by {r['by']} (was {r['previous']}): {r['reason']}"
    before = ""
    if r["previous"] == r["grade"]:
        before = ", again"
    elif r["previous"] is not None:
        before = f", was {r['previous']}"
    return f"{label} rated {r['grade']} ({r['meaning']}) by {r['by']}{before}: {r['reason']}"


def actor_rate(
    ctx: typer.Context,
    actor: ActorArg,
    grade: Annotated[
        str,
        typer.Argument(
            help="Its reliability as a source: A completely reliable, B usually reliable, "
            "C fairly reliable, D not usually reliable, E unreliable, F cannot be judged."
        ),
    ],
    reason: RatingReasonOpt,
    fmt: FormatOpt = Format.table,
) -> None:
    """Grade an actor's reliability as a source of information (the Admiralty grading, A–F).
    The newest rating counts; earlier ones stay on record (`actor show`). The same grade for
    the same reason by the same user again changes nothing."""
    from factdb.domain.ratings import parse_actor_grade, rate_actor

    parsed = parse_actor_grade(grade)

    def work(session: Session, user: str) -> RatingResult:
        return rate_actor(session, actor, parsed, reason, user)

    _run(ctx, reason, fmt, work)


def actor_unrate(
    ctx: typer.Context, actor: ActorArg, reason: RatingReasonOpt, fmt: FormatOpt = Format.table
) -> None:
    """Withdraw an actor's reliability grade: it is unrated from now on, and its ratings stay
    on record. Refused when it holds no grade."""
    from factdb.domain.ratings import withdraw_actor

    def work(session: Session, user: str) -> RatingResult:
        return withdraw_actor(session, actor, reason, user)

    _run(ctx, reason, fmt, work)


def assertion_rate(
    ctx: typer.Context,
    assertion_id: AssertionArg,
    grade: Annotated[
        str,
        typer.Argument(
            help="Its credibility: 1 confirmed by other sources, 2 probably true, 3 possibly "
            "true, 4 doubtful, 5 improbable, 6 cannot be judged."
        ),
    ],
    reason: RatingReasonOpt,
    fmt: FormatOpt = Format.table,
) -> None:
    """Grade an assertion's credibility (the Admiralty grading, 1–6). The newest rating
    counts. A retracted assertion is refused: rate the live one that replaced it."""
    from factdb.domain.ratings import parse_assertion_grade, rate_assertion

    parsed = parse_assertion_grade(grade)

    def work(session: Session, user: str) -> RatingResult:
        return rate_assertion(session, assertion_id, parsed, reason, user)

    _run(ctx, reason, fmt, work)


def assertion_unrate(
    ctx: typer.Context,
    assertion_id: AssertionArg,
    reason: RatingReasonOpt,
    fmt: FormatOpt = Format.table,
) -> None:
    """Withdraw an assertion's credibility grade: it is unrated from now on, and its ratings
    stay on record. Refused when it holds no grade."""
    from factdb.domain.ratings import withdraw_assertion

    def work(session: Session, user: str) -> RatingResult:
        return withdraw_assertion(session, assertion_id, reason, user)

    _run(ctx, reason, fmt, work)


def register(actor_app: typer.Typer, assertion_app: typer.Typer) -> None:
    actor_app.command("rate")(actor_rate)
    actor_app.command("unrate")(actor_unrate)
    assertion_app.command("rate")(assertion_rate)
    assertion_app.command("unrate")(assertion_unrate)


# --- the grades in ``show`` and ``actor show`` ----------------------------------------------


def _when(at: str | None) -> str:
    return "" if not at else at.replace("T", " ")[:16] + " UTC"


def grades_line(a: dict[str, Any]) -> str | None:
    """``show``'s line under an assertion: its credibility and its outlet's reliability
    (``queries.grades_text``); None when it has neither."""
    from factdb.queries.ratings import grades_text

    text = grades_text(a)
    return None if text is None else safe_text(text)


def reliability_lines(d: dict[str, Any]) -> list[Line]:
    """``actor show``'s lines on its reliability: the grade now with who, when and why, then
    the earlier ratings, newest first. Nothing for an actor never rated."""
    ratings = d.get("ratings") or []
    if not ratings:
        return []
    current = d.get("reliability")
    if current is not None:
        head = (
            f"reliability: {current['grade']} ({current['meaning']}), rated by {current['by']} "
            f"on {_when(current['at'])}: {current['reason']}"
        )
        earlier = ratings[1:]
    else:
        head = "reliability: not rated (the last rating was withdrawn)"
        earlier = ratings
    lines = [Line(safe_text(head), style="bold")]
    if earlier:
        lines.append(Line("earlier ratings:", style="dim"))
    for rating in earlier:
        what = (
            "withdrawn" if rating["grade"] is None else f"{rating['grade']} ({rating['meaning']})"
        )
        lines.append(
            Line(
                safe_text(f"  {_when(rating['at'])} {what} by {rating['by']}: {rating['reason']}"),
                style="dim",
            )
        )
    return lines


def flat_grades(a: dict[str, Any]) -> dict[str, Any]:
    """An assertion row of ``show`` for CSV: its grades as the same columns whether it has
    them or not (``GRADE_COLUMNS``)."""
    out = dict(a)
    for key, fields in (
        ("credibility", GRADE_FIELDS),
        ("outlet_reliability", (*GRADE_FIELDS, "actor")),
    ):
        if key in out:
            out[key] = out[key] or dict.fromkeys(fields)
    return out
