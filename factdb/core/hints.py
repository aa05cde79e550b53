""" "Did you mean" hints: the known names closest to one a user typed.

Apart from ``factdb.domain.actors`` so that the read path (``factdb.queries``) can give the same
hints without importing SQLModel.
"""

from __future__ import annotations


def closest_names(name: str, pairs: list[tuple[str, str]], limit: int = 3) -> list[tuple[str, str]]:
    """Of (name or alias, actor name) pairs, those whose first part is close to ``name``."""
    if not pairs:
        return []
    from rapidfuzz import fuzz, process, utils

    # fuzz.ratio, not WRatio: WRatio scores short substrings ("US" in "Russia") at 90.
    matches = process.extract(
        name,
        [p[0] for p in pairs],
        scorer=fuzz.ratio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=80,
    )
    return [pairs[index] for _, _, index in matches]


def describe_suggestions(found: list[tuple[str, str]]) -> str:
    return ", ".join(f"'{n}'" if n == a else f"'{n}' ({a})" for n, a in found)
