"""Options shared by several commands, defined once."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar, cast, get_type_hints

import typer

from factdb.cli.render import Format

FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="Output: table for people; csv, json, jsonl exact.",
        case_sensitive=False,
    ),
]
AllowConfusableOpt = Annotated[
    bool,
    typer.Option(
        "--allow-confusable",
        help="Accept a new actor name that looks like a known one (Cyrillic о for Latin o…).",
    ),
]
NewOutletActorOpt = Annotated[
    bool,
    typer.Option(
        "--new-actor",
        help="Create an unknown --outlet name as a new actor even when it is close to a known "
        "one (a typo, or part of a known name).",
    ),
]
ReasonOpt = Annotated[
    str | None,
    typer.Option("--reason", help="Why: recorded with the change in the history."),
]
IdsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="ID...",
        help="External ids, SCHEME:VALUE: wikidata:Q7747 (or Q7747, or its Wikidata URL), "
        "opensanctions:….",
    ),
]
"""The external ids of ``actor|sanction identify|unidentify`` (docs/design.md)."""
ActorFilter = Annotated[
    str | None, typer.Option("--actor", help="Claims where this actor or any of its parts spoke.")
]
ViaFilter = Annotated[
    str | None,
    typer.Option("--via", help="Claims this relay (or any of its parts) carried: in a via chain."),
]
OutletFilter = Annotated[
    str | None,
    typer.Option(
        "--outlet",
        help="Claims reported in a source of this outlet (an actor, or any of its parts).",
    ),
]
StanceFilter = Annotated[
    str | None, typer.Option("--stance", help="Claims with an assertion of this stance.")
]
TagFilter = Annotated[str | None, typer.Option("--tag", help="Claims with this tag.")]
SinceFilter = Annotated[
    str | None,
    typer.Option("--since", help="Count assertions dated on or after D (YYYY[-MM[-DD]])."),
]
UntilFilter = Annotated[
    str | None, typer.Option("--until", help="Count assertions dated on or before D.")
]
AsOfFilter = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="The dispute as it stood at the end of D: later assertions are not counted."
    ),
]
ContestedFilter = Annotated[
    bool,
    typer.Option("--contested", help="Only claims with both a positive and a negative stance."),
]
ReversedFilter = Annotated[
    bool, typer.Option("--reversed", help="Only claims where a side changed its stance over time.")
]
SearchFilter = Annotated[
    str | None, typer.Option("--search", help="Case-insensitive text in the claim or a quote.")
]
SanctionFilter = Annotated[
    str | None,
    typer.Option(
        "--sanction",
        help="Claims alleging a violation of this sanction, or that it was imposed in response to.",
    ),
]
RelatedToFilter = Annotated[
    int | None,
    typer.Option(
        "--related-to",
        metavar="ID",
        help="Claims related to claim ID: in any relation, either way, and the parts of its "
        "parts at any depth (not ID itself).",
    ),
]
RetractedFilter = Annotated[
    bool, typer.Option("--include-retracted", help="Count retracted assertions too.")
]
MinReliabilityFilter = Annotated[
    str | None,
    typer.Option(
        "--min-reliability",
        help="Count only assertions whose source's outlet is rated this reliable or better "
        "(A best, F cannot be judged: B keeps A and B). Unrated outlets, and sources without "
        "one, are left out.",
    ),
]
MinCredibilityFilter = Annotated[
    str | None,
    typer.Option(
        "--min-credibility",
        help="Count only assertions rated this credible or better (1 best, 6 cannot be "
        "judged: 2 keeps 1 and 2). Unrated assertions are left out.",
    ),
]
LimitFilter = Annotated[int | None, typer.Option("--limit", help="At most N claims.", min=0)]
MinOriginsFilter = Annotated[
    int | None,
    typer.Option(
        "--min-origins",
        help="Only claims carried for, or against, by at least N independent origins (a "
        "speaker's statement on one date through one first relay counts once, however many "
        "sources repeat it).",
        min=1,
    ),
]


# The filter options of `list`, `report` and `export`: parameter name, declaration, default.
FILTERS: tuple[tuple[str, Any, object], ...] = (
    ("actor", ActorFilter, None),
    ("via", ViaFilter, None),
    ("outlet", OutletFilter, None),
    ("stance", StanceFilter, None),
    ("tag", TagFilter, None),
    ("since", SinceFilter, None),
    ("until", UntilFilter, None),
    ("as_of", AsOfFilter, None),
    ("contested", ContestedFilter, False),
    ("reversed_", ReversedFilter, False),
    ("search", SearchFilter, None),
    ("sanction", SanctionFilter, None),
    ("min_origins", MinOriginsFilter, None),
    ("related_to", RelatedToFilter, None),
    ("include_retracted", RetractedFilter, False),
    ("min_reliability", MinReliabilityFilter, None),
    ("min_credibility", MinCredibilityFilter, None),
    ("limit", LimitFilter, None),
)

Command = TypeVar("Command", bound=Callable[..., None])


def with_filters(*, limit: bool = True) -> Callable[[Command], Command]:
    """Give a command the filter options (without ``--limit`` if ``limit`` is false), placed
    before its ``--format`` option, or after its own parameters when it has none. The command
    does not take them as arguments: it reads them from ``ctx.params`` (see ``build_filters``)."""

    def decorate(command: Command) -> Command:
        hints = get_type_hints(command, include_extras=True)
        own = [
            p.replace(annotation=hints[p.name])
            for p in inspect.signature(command).parameters.values()
        ]
        added = [
            inspect.Parameter(
                name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=declared
            )
            for name, declared, default in FILTERS
            if limit or name != "limit"
        ]
        at = next((i for i, p in enumerate(own) if p.name == "fmt"), len(own))
        params = [*own[:at], *added, *own[at:]]
        names = {p.name for p in own}

        @functools.wraps(command)
        def wrapper(**values: Any) -> None:
            command(**{k: v for k, v in values.items() if k in names})

        signature = inspect.Signature(params, return_annotation=None)
        wrapper.__signature__ = signature  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
        return cast(Command, wrapper)

    return decorate


def build_filters(values: Mapping[str, Any]) -> Any:
    """Turn the raw filter options of a command (its ``ctx.params``: the options above, by
    their parameter names) into ``factdb.queries.Filters``, validating each value."""
    from factdb.core.values import (
        parse_credibility,
        parse_optional_date,
        parse_reliability,
        parse_stance,
    )
    from factdb.queries import Filters

    reliability, credibility = values.get("min_reliability"), values.get("min_credibility")

    return Filters(
        actor=values.get("actor"),
        via=values.get("via"),
        outlet=values.get("outlet"),
        stance=parse_stance(values["stance"]) if values.get("stance") else None,
        tag=values.get("tag"),
        since=parse_optional_date(values.get("since"), "--since"),
        until=parse_optional_date(values.get("until"), "--until"),
        as_of=parse_optional_date(values.get("as_of"), "--as-of"),
        contested=bool(values.get("contested")),
        reversed=bool(values.get("reversed_")),
        search=values.get("search"),
        sanction=values.get("sanction"),
        include_retracted=bool(values.get("include_retracted")),
        min_reliability=None if reliability is None else parse_reliability(reliability),
        min_credibility=None if credibility is None else parse_credibility(credibility),
        limit=values.get("limit"),
        min_origins=values.get("min_origins"),
        related_to=values.get("related_to"),
    )


def parse_reason(value: str | None) -> str | None:
    """``--reason`` of a correction: stripped; refused as any text would be (NUL, length)."""
    from factdb.core.keys import clean_text

    return clean_text(value, "--reason", required=False)


ApproximateOpt = Annotated[
    bool,
    typer.Option(
        "--approximate",
        help="The date is approximate (printed ~2022-10); the same as writing ~ before it.",
    ),
]
QualifierOpt = Annotated[
    str | None,
    typer.Option(
        "--qualifier",
        help="How the stance is qualified: partial (part of the claim), conditional, or "
        "hedged (said with reservations).",
    ),
]
QualifierNoteOpt = Annotated[
    str | None,
    typer.Option(
        "--qualifier-note",
        help="The qualification in your words, shown beside the stance ('a limited number, "
        "months before the war').",
    ),
]
