"""Claims: the corrections of a claim (``factdb claim edit|tag|untag|link|unlink``: its
wording, tags and alleged violations, in SQL on any connection, as ``domain.records``: they are
typed by hand) and the merge of two claims (``claim merge``, through the ORM). The main job's
writes (``factdb add``, ``factdb retract``) are in ``domain.stances``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from factdb.core.errors import Conflict, InvalidInput, NotFound
from factdb.core.keys import require_text, tag_key, text_key
from factdb.domain.changes import Correction
from factdb.domain.records import claim_text, find_claim_id, tag_claim
from factdb.queries import deleted_note, sanction_ref
from factdb.queries.base import Conn
from factdb.storage.reader import Reader

if TYPE_CHECKING:
    from sqlmodel import Session

    from factdb.domain.relations import RemovedRelation
    from factdb.storage.models import Claim


def get_claim(session: Session, claim_id: int) -> Claim:
    """A claim as an ORM object; ``NotFound`` (saying where it went) if there is none."""
    from factdb.storage.models import Claim

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
    from sqlalchemy import select
    from sqlmodel import col

    from factdb.domain.assertions import move_assertions
    from factdb.domain.relations import move_relations  # relations imports this module
    from factdb.storage.models import Assertion, ClaimSanction, ClaimTag, SanctionResponse

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


def edit_claim(conn: Conn, *, claim_id: int, text: str) -> Correction:
    """Reword a claim; its natural key (``text_key``) follows. A wording that is another
    claim's (same key) is a ``Conflict`` pointing at ``claim merge``: two claims never share a
    key. The full-text index follows by the schema's triggers (SQLite) or expression index
    (PostgreSQL)."""
    r = Reader.of(conn)
    old = claim_text(r, claim_id)
    new = require_text(text, "--text")
    result = Correction("claim", claim_id, old)
    if new == old:
        return result
    key = text_key(new)
    other = find_claim_id(r, new)
    if other is not None and other != claim_id:
        raise Conflict(
            f"claim {other} has that wording already; to make them one claim, use "
            f"`factdb claim merge {claim_id} {other}`"
        )
    result.change("text", old, new)
    r.run(
        "UPDATE claim SET text = :text, text_key = :key WHERE id = :id",
        {"text": new, "key": key, "id": claim_id},
    )
    result.label = new
    return result


def claim_tags(conn: Conn, claim_id: int) -> list[str]:
    return [
        str(tag)
        for (tag,) in Reader.of(conn).rows(
            "SELECT tag FROM claim_tag WHERE claim_id = :id ORDER BY tag", {"id": claim_id}
        )
    ]


def claim_sanctions(conn: Conn, claim_id: int) -> list[str]:
    return [
        str(name)
        for (name,) in Reader.of(conn).rows(
            "SELECT s.name FROM sanction AS s JOIN claim_sanction AS cs ON cs.sanction_id = s.id "
            "WHERE cs.claim_id = :id ORDER BY s.name",
            {"id": claim_id},
        )
    ]


def _unique_tags(tags: list[str], field: str) -> list[str]:
    if not tags:
        raise InvalidInput(field, "give at least one tag")
    return list(dict.fromkeys(tag_key(text, field) for text in tags))


def add_tags(conn: Conn, *, claim_id: int, tags: list[str]) -> Correction:
    """Add tags to a claim; those it has already are left as they are."""
    keys = _unique_tags(tags, "TAG")
    r = Reader.of(conn)
    result = Correction("claim", claim_id, claim_text(r, claim_id))
    before = claim_tags(r, claim_id)
    tag_claim(r, claim_id, keys)
    result.change("tags", before, claim_tags(r, claim_id))
    return result


def remove_tags(conn: Conn, *, claim_id: int, tags: list[str]) -> Correction:
    """Remove tags from a claim; a ``Conflict`` (and nothing removed) if it lacks one."""
    keys = _unique_tags(tags, "TAG")
    r = Reader.of(conn)
    result = Correction("claim", claim_id, claim_text(r, claim_id))
    before = claim_tags(r, claim_id)
    missing = [key for key in keys if key not in before]
    if missing:
        has = f"its tags: {', '.join(before)}" if before else "it has none"
        raise Conflict(f"claim {claim_id} has no tag {', '.join(repr(m) for m in missing)} ({has})")
    r.run(
        f"DELETE FROM claim_tag WHERE claim_id = :id AND {r.member('tag', 'tags')}",
        {"id": claim_id, "tags": keys},
    )
    result.change("tags", before, claim_tags(r, claim_id))
    return result


def _sanctions_named(r: Reader, names: list[str]) -> dict[int, str]:
    """{id: name} of the sanctions named (by name, id or external id), each once."""
    if not names:
        raise InvalidInput("--violates", "give at least one sanction")
    return dict(sanction_ref(r, name) for name in names)


def add_violations(conn: Conn, *, claim_id: int, sanctions: list[str]) -> Correction:
    """Record that a claim alleges the violation of sanctions (known ones, by name or id)."""
    r = Reader.of(conn)
    result = Correction("claim", claim_id, claim_text(r, claim_id))
    named = _sanctions_named(r, sanctions)
    before = claim_sanctions(r, claim_id)
    for sanction_id in named:
        params = {"claim": claim_id, "sanction": sanction_id}
        if not r.first(
            "SELECT 1 FROM claim_sanction WHERE claim_id = :claim AND sanction_id = :sanction",
            params,
        ):
            r.run(
                "INSERT INTO claim_sanction (claim_id, sanction_id) VALUES (:claim, :sanction)",
                params,
            )
    result.change("violates", before, claim_sanctions(r, claim_id))
    return result


def remove_violations(conn: Conn, *, claim_id: int, sanctions: list[str]) -> Correction:
    """Remove a claim's allegation of violating sanctions; a ``Conflict`` (and nothing
    removed) if it does not allege one of them."""
    r = Reader.of(conn)
    result = Correction("claim", claim_id, claim_text(r, claim_id))
    named = _sanctions_named(r, sanctions)
    before = claim_sanctions(r, claim_id)
    alleged = {
        int(sanction_id)
        for (sanction_id,) in r.rows(
            "SELECT sanction_id FROM claim_sanction WHERE claim_id = :id", {"id": claim_id}
        )
    }
    missing = [name for sanction_id, name in named.items() if sanction_id not in alleged]
    if missing:
        has = f"it alleges: {', '.join(before)}" if before else "it alleges none"
        raise Conflict(
            f"claim {claim_id} does not allege a violation of "
            f"{', '.join(repr(m) for m in missing)} ({has})"
        )
    r.run(
        f"DELETE FROM claim_sanction WHERE claim_id = :id AND {r.member('sanction_id', 'ids')}",
        {"id": claim_id, "ids": list(named)},
    )
    result.change("violates", before, claim_sanctions(r, claim_id))
    return result
