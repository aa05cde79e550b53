"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

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
ActorFilter = Annotated[
    str | None, typer.Option("--actor", help="Claims where this actor or any of its parts spoke.")
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
    str | None, typer.Option("--sanction", help="Claims alleging a violation of this sanction.")
]
RetractedFilter = Annotated[
    bool, typer.Option("--include-retracted", help="Count retracted assertions too.")
]
LimitFilter = Annotated[int | None, typer.Option("--limit", help="At most N claims.", min=0)]


def build_filters(values: Mapping[str, Any]) -> Any:
    """Turn the raw filter options of a command (its ``ctx.params``: the options above, by
    their parameter names) into ``factdb.queries.Filters``, validating each value."""
    from factdb.core.values import parse_optional_date, parse_stance
    from factdb.queries import Filters

    return Filters(
        actor=values.get("actor"),
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
        limit=values.get("limit"),
    )
