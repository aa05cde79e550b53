"""Ratings (docs/design.md, Ratings): the reliability of an actor as a source of information
(A–F) and the credibility of an assertion (1–6), each with who gave it, when and why.

Ratings are appended, never changed: a new grade is a new row, and so is a withdrawal (a row
without a grade). The newest row of a record is its grade. Who rates is the user of the
change context (``--as NAME``, else ``$FACTDB_USER``, else the operating system's user),
given by the caller as ``by``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from factdb.core.errors import Conflict, InvalidInput, NotFound
from factdb.core.keys import require_text
from factdb.core.values import parse_credibility, parse_reliability
from factdb.core.vocabulary import (
    CREDIBILITY_GRADES,
    CREDIBILITY_MEANING,
    RELIABILITY_GRADES,
    RELIABILITY_MEANING,
)
from factdb.domain.actors import get_actor
from factdb.queries import current_rating, timestamp_text
from factdb.storage.models import Assertion, Rating
from factdb.storage.reader import Reader

Record = Literal["actor", "assertion"]
Action = Literal["rated", "withdrawn", "unchanged"]


@dataclass
class RatingResult:
    """What a rating command did: ``rated`` (a new row with ``grade``), ``withdrawn`` (a new
    row without one) or ``unchanged`` (the same user gave this grade for this reason last:
    nothing was written)."""

    record: Record
    id: int
    label: str
    """The actor's name, or ``assertion N``."""
    action: Action
    grade: str | None
    meaning: str | None
    previous: str | None
    """The grade the record held before (None: unrated)."""
    by: str
    at: str | None
    reason: str
    rating_id: int | None


def _reason(reason: str | None) -> str:
    """``--reason`` is required: a grade without its why cannot be traced."""
    if reason is None or not reason.strip():
        raise InvalidInput("--reason", "is required: say why (what the grade rests on)")
    return require_text(reason, "--reason")


def parse_actor_grade(value: str) -> str:
    """An actor's reliability grade, A–F (case ignored); a credibility grade (1–6) is
    refused naming the command that takes it."""
    if value.strip() in CREDIBILITY_GRADES:
        raise InvalidInput(
            "GRADE",
            f"{value.strip()!r} is a credibility grade, which rates an assertion (`factdb "
            f"assertion rate`); an actor's reliability is one of {', '.join(RELIABILITY_GRADES)}",
        )
    return parse_reliability(value, "GRADE")


def parse_assertion_grade(value: str) -> str:
    """An assertion's credibility grade, 1–6; a reliability grade (A–F) is refused naming
    the command that takes it."""
    if value.strip().upper() in RELIABILITY_GRADES:
        raise InvalidInput(
            "GRADE",
            f"{value.strip()!r} is a reliability grade, which rates an actor (`factdb actor "
            f"rate`); an assertion's credibility is one of {', '.join(CREDIBILITY_GRADES)}",
        )
    return parse_credibility(value, "GRADE")


def _assertion(session: Session, assertion_id: int) -> Assertion:
    found = (
        session.get(Assertion, assertion_id) if Reader.of(session).holds_id(assertion_id) else None
    )
    if found is None:
        raise NotFound("assertion", assertion_id, "assertion ids are shown by `factdb show`")
    return found


def _append(
    session: Session,
    *,
    record: Record,
    ident: int,
    label: str,
    grade: str | None,
    reason: str,
    by: str,
) -> RatingResult:
    """Append a rating row (``grade`` None withdraws), unless it would repeat the newest one:
    the same grade, by the same user, for the same reason."""
    meanings = RELIABILITY_MEANING if record == "actor" else CREDIBILITY_MEANING
    column = {"actor_id": ident} if record == "actor" else {"assertion_id": ident}
    newest = current_rating(session, **column)
    previous = None if newest is None else newest[1]
    if grade is None and previous is None:
        raise Conflict(f"{_label(record, label)} is not rated; there is no rating to withdraw")
    result = RatingResult(
        record=record,
        id=ident,
        label=label,
        action="rated" if grade is not None else "withdrawn",
        grade=grade,
        meaning=None if grade is None else meanings[grade],
        previous=previous,
        by=by,
        at=None,
        reason=reason,
        rating_id=None,
    )
    if newest is not None and (grade, by, reason) == (newest[1], newest[2], newest[3]):
        result.action, result.rating_id = "unchanged", newest[0]
        return result
    row = Rating(
        actor_id=column.get("actor_id"),
        assertion_id=column.get("assertion_id"),
        grade=grade,
        rated_by=by,
        reason=reason,
    )
    session.add(row)
    session.flush()
    result.at, result.rating_id = timestamp_text(row.rated_at), row.id
    return result


def _label(record: Record, label: str) -> str:
    return f"actor '{label}'" if record == "actor" else label


def rate_actor(session: Session, actor: str, grade: str, reason: str, by: str) -> RatingResult:
    """Rate an actor's reliability as a source (A–F), by name, alias or id."""
    parsed = parse_actor_grade(grade)
    why = _reason(reason)
    found = get_actor(session, actor, "NAME")
    assert found.id is not None
    return _append(
        session, record="actor", ident=found.id, label=found.name, grade=parsed, reason=why, by=by
    )


def rate_assertion(
    session: Session, assertion_id: int, grade: str, reason: str, by: str
) -> RatingResult:
    """Rate an assertion's credibility (1–6). A retracted assertion is refused: it counts
    nowhere, and a correction or a merge names the live one to rate instead."""
    parsed = parse_assertion_grade(grade)
    why = _reason(reason)
    assertion = _assertion(session, assertion_id)
    if assertion.retracted_at is not None:
        live = next(
            (
                f"; rate assertion {other} instead"
                for other in (_superseded_by(session, assertion_id), assertion.folded_into_id)
                if other is not None
            ),
            "",
        )
        raise Conflict(
            f"assertion {assertion_id} is retracted ({assertion.retraction_reason}){live}"
        )
    return _append(
        session,
        record="assertion",
        ident=assertion_id,
        label=f"assertion {assertion_id}",
        grade=parsed,
        reason=why,
        by=by,
    )


def _superseded_by(session: Session, assertion_id: int) -> int | None:
    """The id of the assertion that corrected this one (``assertion correct``), if any."""
    found = Reader.of(session).scalar(
        "SELECT max(id) FROM assertion WHERE supersedes_id = :id", {"id": assertion_id}
    )
    return None if found is None else int(found)


def withdraw_actor(session: Session, actor: str, reason: str, by: str) -> RatingResult:
    """Withdraw an actor's grade: it is unrated from now on (its ratings stay on record). An
    actor that holds no grade is refused."""
    why = _reason(reason)
    found = get_actor(session, actor, "NAME")
    assert found.id is not None
    return _append(
        session, record="actor", ident=found.id, label=found.name, grade=None, reason=why, by=by
    )


def withdraw_assertion(session: Session, assertion_id: int, reason: str, by: str) -> RatingResult:
    """Withdraw an assertion's grade (a retracted one's too); one that holds no grade is
    refused."""
    why = _reason(reason)
    _assertion(session, assertion_id)
    return _append(
        session,
        record="assertion",
        ident=assertion_id,
        label=f"assertion {assertion_id}",
        grade=None,
        reason=why,
        by=by,
    )
