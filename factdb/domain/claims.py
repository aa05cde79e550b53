"""The corrections of a claim (``factdb claim …``): its wording, tags and alleged violations,
and the merge of two claims. The main job's writes (``factdb add``, ``factdb retract``) are in
``domain.stances``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlmodel import Session, col

from factdb.core.errors import Conflict, InvalidInput, NotFound
from factdb.core.keys import require_text, tag_key, text_key
from factdb.domain.assertions import move_assertions
from factdb.domain.changes import Correction
from factdb.domain.records import tag_claim
from factdb.domain.sanctions import get_sanction
from factdb.queries import deleted_note
from factdb.storage.models import (
    Assertion,
    Claim,
    ClaimSanction,
    ClaimTag,
    Sanction,
    SanctionResponse,
)
from factdb.storage.reader import Reader

if TYPE_CHECKING:
    from factdb.domain.relations import RemovedRelation


def find_claim(session: Session, text: str) -> Claim | None:
    return (
        session.execute(select(Claim).where(col(Claim.text_key) == text_key(text)))
        .scalars()
        .first()
    )


def get_claim(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id) if Reader.of(session).holds_id(claim_id) else None
    if claim is None:
        gone = deleted_note(session, "claim", claim_id)
        raise NotFound("claim", claim_id, gone or "see `factdb list`")
    return claim


@dataclass
class ClaimMergeResult:
    from_id: int
    from_text: str
    into_id: int
    into_text: str
    assertions_moved: list[int]
    assertions_folded: list[tuple[int, int]]
    tags_added: list[str]
    sanctions_linked: list[int]
    relations_moved: list[int] = field(default_factory=list)
    relations_removed: list[RemovedRelation] = field(default_factory=list)
    """FROM's relations that would have related INTO to itself or repeated one of INTO's."""


def merge_claims(session: Session, *, source_id: int, into_id: int) -> ClaimMergeResult:
    """Fold claim ``source_id`` into ``into_id`` (the same proposition, worded twice): its
    assertions, tags and sanction links (both ways: the sanctions it alleges violated, those
    imposed in response to it) move over; an assertion that becomes the same as one
    of INTO's is kept, retracted as folded into it (``assertions.move_assertions``). Its
    relations to other claims become INTO's (``relations.move_relations``: one that would
    relate INTO to itself or repeat one of INTO's is removed, and reported). FROM's record is
    deleted; the change history keeps it (``factdb history claim ID``)."""
    from factdb.domain.relations import move_relations  # relations imports this module

    old, new = get_claim(session, source_id), get_claim(session, into_id)
    if old.id == new.id:
        raise Conflict(f"claim {source_id} cannot be merged into itself")
    assert old.id is not None and new.id is not None
    why = f"claim {old.id} was merged into claim {new.id}"
    moved = move_assertions(
        session,
        col(Assertion.claim_id) == old.id,
        claim_id=new.id,
        why=why,
    )
    tags = list(
        session.execute(select(col(ClaimTag.tag)).where(col(ClaimTag.claim_id) == old.id)).scalars()
    )
    added = tag_claim(session, new.id, tags)
    sanctions = list(
        session.execute(
            select(col(ClaimSanction.sanction_id)).where(col(ClaimSanction.claim_id) == old.id)
        ).scalars()
    )
    linked = []
    for sanction_id in sanctions:
        if session.get(ClaimSanction, (new.id, sanction_id)) is None:
            session.add(ClaimSanction(claim_id=new.id, sanction_id=sanction_id))
            linked.append(sanction_id)
    responses = list(
        session.execute(
            select(col(SanctionResponse.sanction_id)).where(
                col(SanctionResponse.claim_id) == old.id
            )
        ).scalars()
    )
    answered = set(
        session.execute(
            select(col(SanctionResponse.sanction_id)).where(
                col(SanctionResponse.claim_id) == new.id
            )
        ).scalars()
    )
    for sanction_id in responses:
        if sanction_id not in answered:
            session.add(SanctionResponse(sanction_id=sanction_id, claim_id=new.id))
            linked.append(sanction_id)
    session.flush()
    relations = move_relations(session, old.id, new.id)
    from_text = old.text
    session.delete(old)  # its tags and links go with it (ON DELETE CASCADE), recorded
    session.flush()
    return ClaimMergeResult(
        old.id,
        from_text,
        new.id,
        new.text,
        moved.moved,
        moved.folded,
        added,
        linked,
        relations.moved,
        relations.removed,
    )


# --- corrections (``factdb claim edit|tag|untag|link|unlink``) ------------------------------


def _claim_correction(claim: Claim) -> Correction:
    assert claim.id is not None
    return Correction("claim", claim.id, claim.text)


def edit_claim(session: Session, *, claim_id: int, text: str) -> Correction:
    """Reword a claim; its natural key (``text_key``) follows. A wording that is another
    claim's (same key) is a ``Conflict`` pointing at ``claim merge``: two claims never share a
    key. The full-text index follows by the schema's triggers (SQLite) or expression index
    (PostgreSQL)."""
    claim = get_claim(session, claim_id)
    new = require_text(text, "--text")
    result = _claim_correction(claim)
    if new == claim.text:
        return result
    key = text_key(new)
    if key != claim.text_key:
        other = find_claim(session, new)
        if other is not None:
            raise Conflict(
                f"claim {other.id} has that wording already; to make them one claim, use "
                f"`factdb claim merge {claim.id} {other.id}`"
            )
    result.change("text", claim.text, new)
    claim.text = new
    claim.text_key = key
    session.add(claim)
    session.flush()
    result.label = new
    return result


def claim_tags(session: Session, claim_id: int) -> list[str]:
    return list(
        session.execute(
            select(col(ClaimTag.tag))
            .where(col(ClaimTag.claim_id) == claim_id)
            .order_by(col(ClaimTag.tag))
        ).scalars()
    )


def claim_sanctions(session: Session, claim_id: int) -> list[str]:
    return list(
        session.execute(
            select(col(Sanction.name))
            .join(ClaimSanction, col(ClaimSanction.sanction_id) == col(Sanction.id))
            .where(col(ClaimSanction.claim_id) == claim_id)
            .order_by(col(Sanction.name))
        ).scalars()
    )


def _unique_tags(tags: list[str], field: str) -> list[str]:
    if not tags:
        raise InvalidInput(field, "give at least one tag")
    return list(dict.fromkeys(tag_key(text, field) for text in tags))


def add_tags(session: Session, *, claim_id: int, tags: list[str]) -> Correction:
    """Add tags to a claim; those it has already are left as they are."""
    keys = _unique_tags(tags, "TAG")
    claim = get_claim(session, claim_id)
    before = claim_tags(session, claim_id)
    tag_claim(session, claim_id, keys)
    result = _claim_correction(claim)
    result.change("tags", before, claim_tags(session, claim_id))
    return result


def remove_tags(session: Session, *, claim_id: int, tags: list[str]) -> Correction:
    """Remove tags from a claim; a ``Conflict`` (and nothing removed) if it lacks one."""
    keys = _unique_tags(tags, "TAG")
    claim = get_claim(session, claim_id)
    before = claim_tags(session, claim_id)
    missing = [key for key in keys if key not in before]
    if missing:
        has = f"its tags: {', '.join(before)}" if before else "it has none"
        raise Conflict(f"claim {claim_id} has no tag {', '.join(repr(m) for m in missing)} ({has})")
    session.execute(
        delete(ClaimTag).where(col(ClaimTag.claim_id) == claim_id, col(ClaimTag.tag).in_(keys))
    )
    session.flush()
    result = _claim_correction(claim)
    result.change("tags", before, claim_tags(session, claim_id))
    return result


def _sanctions_named(session: Session, names: list[str]) -> list[Sanction]:
    if not names:
        raise InvalidInput("--violates", "give at least one sanction")
    found: dict[int | None, Sanction] = {}
    for name in names:
        sanction = get_sanction(session, name, "--violates")
        found[sanction.id] = sanction
    return list(found.values())


def add_violations(session: Session, *, claim_id: int, sanctions: list[str]) -> Correction:
    """Record that a claim alleges the violation of sanctions (known ones, by name or id)."""
    claim = get_claim(session, claim_id)
    named = _sanctions_named(session, sanctions)
    before = claim_sanctions(session, claim_id)
    for sanction in named:
        assert sanction.id is not None
        if session.get(ClaimSanction, (claim_id, sanction.id)) is None:
            session.add(ClaimSanction(claim_id=claim_id, sanction_id=sanction.id))
    session.flush()
    result = _claim_correction(claim)
    result.change("violates", before, claim_sanctions(session, claim_id))
    return result


def remove_violations(session: Session, *, claim_id: int, sanctions: list[str]) -> Correction:
    """Remove a claim's allegation of violating sanctions; a ``Conflict`` (and nothing
    removed) if it does not allege one of them."""
    claim = get_claim(session, claim_id)
    named = _sanctions_named(session, sanctions)
    before = claim_sanctions(session, claim_id)
    missing = [s.name for s in named if session.get(ClaimSanction, (claim_id, s.id)) is None]
    if missing:
        has = f"it alleges: {', '.join(before)}" if before else "it alleges none"
        raise Conflict(
            f"claim {claim_id} does not allege a violation of "
            f"{', '.join(repr(m) for m in missing)} ({has})"
        )
    session.execute(
        delete(ClaimSanction).where(
            col(ClaimSanction.claim_id) == claim_id,
            col(ClaimSanction.sanction_id).in_([s.id for s in named]),
        )
    )
    session.flush()
    result = _claim_correction(claim)
    result.change("violates", before, claim_sanctions(session, claim_id))
    return result
