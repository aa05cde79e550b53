"""Ratings as data (docs/design.md, Ratings): the grade a record holds now, the ratings an
actor was given, the grades beside each assertion of ``show``, and the conditions of the
``--min-reliability`` and ``--min-credibility`` filters.

A record's grade is its newest rating (the highest id) when that one has a grade; a newest
rating without one withdrew the grade before, and the record is unrated. This is the
``rating_current`` view of migration 0008, read here by record with the ratings' indexes
(tests/test_cli_ratings.py holds the two to each other)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from factdb.core.vocabulary import (
    CREDIBILITY_GRADES,
    CREDIBILITY_MEANING,
    RELIABILITY_GRADES,
    RELIABILITY_MEANING,
)
from factdb.queries.base import Conn
from factdb.storage.reader import Reader

Statement = tuple[str, dict[str, Any]]


def _timestamp(value: Any) -> str | None:
    from factdb.queries.assertions import timestamp_text

    return timestamp_text(value)


def rating_record(
    kind: str, grade: str | None, by: Any, at: Any, reason: Any, **extra: Any
) -> dict[str, Any]:
    """One rating as data: ``grade`` (None for a withdrawal), its ``meaning``, who gave it
    (``by``), when (``at``, ISO 8601 UTC) and why. ``kind`` is ``reliability`` (an actor,
    A–F) or ``credibility`` (an assertion, 1–6)."""
    meanings = RELIABILITY_MEANING if kind == "reliability" else CREDIBILITY_MEANING
    return {
        "grade": grade,
        "meaning": None if grade is None else meanings.get(grade),
        "by": by,
        "at": _timestamp(at),
        "reason": reason,
        **extra,
    }


def grades_at_least(kind: str, grade: str) -> tuple[str, ...]:
    """The grades as good as ``grade`` or better: ``B`` → A, B; ``2`` → 1, 2. The grades that
    cannot be judged (F, 6) rank last, so ``F`` or ``6`` keeps every graded record."""
    grades = RELIABILITY_GRADES if kind == "reliability" else CREDIBILITY_GRADES
    return grades[: grades.index(grade) + 1]


def _listed(grades: Sequence[str]) -> str:
    # The grades come from the closed sets of factdb.core.vocabulary, never from the user.
    return ", ".join(f"'{g}'" for g in grades)


def graded(column: str, grades: Sequence[str]) -> str:
    """SQL: the ids in ``column`` (``actor_id`` or ``assertion_id``) of the records whose
    newest rating gives one of ``grades``. It does not depend on the row it is tested for, so
    both backends work it out once per statement (a hashed subplan, a materialized list)."""
    return (
        f"SELECT rt.{column} FROM rating AS rt WHERE rt.{column} IS NOT NULL "
        f"AND rt.grade IN ({_listed(grades)}) AND rt.id = "
        f"(SELECT max(n.id) FROM rating AS n WHERE n.{column} = rt.{column})"
    )


def rating_conditions(
    min_reliability: str | None, min_credibility: str | None, alias: str
) -> list[str]:
    """SQL conditions on assertion ``alias``: its source's outlet (``source.outlet_id``) holds
    ``min_reliability`` or better now, and it holds ``min_credibility`` or better itself. An
    unrated outlet, a source whose outlet is no actor and an unrated assertion match neither.
    """
    parts = []
    if min_reliability is not None:
        # The outlets holding such a grade are few: worked out once, where looking up each
        # assertion's source and its outlet's newest rating took 1.1 s on PostgreSQL for
        # `list --min-reliability B` at 100,000 assertions (64 ms so).
        outlets = graded("actor_id", grades_at_least("reliability", min_reliability))
        parts.append(
            f"{alias}.source_id IN (SELECT rs.id FROM source AS rs WHERE rs.outlet_id IN "
            f"({outlets}))"
        )
    if min_credibility is not None:
        # The newest rating of each assertion, looked up from it through the ratings' index:
        # cheaper than working out every graded assertion first when there are many of them
        # and a --limit stops the walk early.
        listed = _listed(grades_at_least("credibility", min_credibility))
        parts.append(
            f"(SELECT rt.grade FROM rating AS rt WHERE rt.assertion_id = {alias}.id "
            f"ORDER BY rt.id DESC LIMIT 1) IN ({listed})"
        )
    return parts


# --- the grades beside each assertion (``show``, the HTML pages) --------------------------------


def ratings_statement(scope: str, params: dict[str, Any]) -> Statement:
    """One read of the current grades about the assertions ``a`` that ``scope`` selects (the
    scope of the rows they go with: ``assertions.claims_scope``): rows ``(assertion id,
    'credibility', grade, by, at, reason, NULL)`` for a graded assertion and ``(assertion id,
    'reliability', grade, by, at, reason, outlet name)`` for one whose source's outlet is
    graded (``attach_ratings`` puts them on the rows). Each newest rating is found through the
    ratings' index from the assertion, so the read costs what the rows' own read does."""
    return (
        "SELECT a.id, 'credibility', rt.grade, rt.rated_by, rt.rated_at, rt.reason, NULL "
        "FROM assertion AS a JOIN rating AS rt ON rt.id = "
        "(SELECT max(n.id) FROM rating AS n WHERE n.assertion_id = a.id) "
        f"WHERE {scope} AND rt.grade IS NOT NULL "
        "UNION ALL "
        "SELECT a.id, 'reliability', rt.grade, rt.rated_by, rt.rated_at, rt.reason, o.name "
        "FROM assertion AS a JOIN source AS s ON s.id = a.source_id "
        "JOIN actor AS o ON o.id = s.outlet_id JOIN rating AS rt ON rt.id = "
        "(SELECT max(n.id) FROM rating AS n WHERE n.actor_id = s.outlet_id) "
        f"WHERE {scope} AND rt.grade IS NOT NULL",
        params,
    )


def attach_ratings(rows: list[dict[str, Any]], rating_rows: list[tuple[Any, ...]]) -> None:
    """Give each assertion row its ``credibility`` and its source's ``outlet_reliability``
    (``rating_record``, the outlet's name as ``actor``), or None where there is no grade:
    unrated stays unrated, never a default grade."""
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for aid, kind, grade, by, at, reason, outlet in rating_rows:
        extra = {"actor": outlet} if kind == "reliability" else {}
        found[(int(aid), kind)] = rating_record(kind, grade, by, at, reason, **extra)
    for row in rows:
        row["credibility"] = found.get((row["id"], "credibility"))
        row["outlet_reliability"] = found.get((row["id"], "reliability"))


def grades_text(row: dict[str, Any]) -> str | None:
    """An assertion's grades in words, as ``show`` and the HTML pages print them beside it:
    ``credibility 2 (probably true) · outlet KCNA: E (unreliable)``; None when it has none."""
    parts = []
    credibility = row.get("credibility")
    if credibility:
        parts.append(f"credibility {credibility['grade']} ({credibility['meaning']})")
    outlet = row.get("outlet_reliability")
    if outlet:
        parts.append(f"outlet {outlet['actor']}: {outlet['grade']} ({outlet['meaning']})")
    return " · ".join(parts) or None


# --- an actor's ratings (``actor show``) ----------------------------------------------------


def actor_ratings(conn: Conn, actor_id: int) -> dict[str, Any]:
    """``reliability``: the actor's grade now (``rating_record``), or None when it is unrated
    (never rated, or its last grade withdrawn); ``ratings``: every rating it was given,
    newest first, a withdrawal with grade None."""
    rows = Reader.of(conn).rows(
        "SELECT grade, rated_by, rated_at, reason FROM rating WHERE actor_id = :id "
        "ORDER BY id DESC",
        {"id": actor_id},
    )
    ratings = [rating_record("reliability", *row) for row in rows]
    current = ratings[0] if ratings and ratings[0]["grade"] is not None else None
    return {"reliability": current, "ratings": ratings}


def current_rating(
    conn: Conn, *, actor_id: int | None = None, assertion_id: int | None = None
) -> tuple[int, str | None, str, str | None] | None:
    """The newest rating of an actor or an assertion: (id, grade, by, reason), None if it was
    never rated. A grade of None means the last rating withdrew it."""
    column = "actor_id" if actor_id is not None else "assertion_id"
    value = actor_id if actor_id is not None else assertion_id
    row = Reader.of(conn).first(
        f"SELECT id, grade, rated_by, reason FROM rating WHERE {column} = :v "
        "ORDER BY id DESC LIMIT 1",
        {"v": value},
    )
    if row is None:
        return None
    return int(row[0]), row[1], str(row[2]), row[3]
