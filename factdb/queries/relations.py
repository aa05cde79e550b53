"""Claim relations as data (docs/design.md, Claim relations): how each relation reads, a
claim's relations from both ends (``show``, the site's claim pages), the claims related to one
(``list --related-to`` and every command with the filters of ``list``), and the chain of
``part_of`` from one claim up to another (the cycle rule of ``claim relate``).

The relations of a claim are the rows of the ``claim_related`` view (migration 0008), read
with the claims' texts; the parts of parts are those of the ``claim_part`` view, walked from
the one claim instead of over every relation (tests/test_cli_relations.py holds them equal).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from factdb.core.errors import NotFound
from factdb.queries.base import Conn, deleted_note
from factdb.storage.reader import Reader

Statement = tuple[str, dict[str, Any]]

LABELS: tuple[str, ...] = ("part of", "has part", "implies", "implied by", "contradicts", "same as")
"""The ``relation`` of ``claim_related``, seen from a claim, in the order ``show`` lists them."""

HEADINGS: dict[str, str] = {"has part": "has parts"}
"""A label as the heading of its list (``has parts: #5 …, #6 …``), where it differs."""

_NOUN = {"part_of": "part of", "same_as": "the same as"}
_VERB = {"implies": ("implies", "imply"), "contradicts": ("contradicts", "contradict")}


def phrase(kind: str, mood: str = "is") -> str:
    """How claim A relates to claim B in a sentence "claim A … claim B", for ``kind``
    (part_of, implies, contradicts, same_as) and ``mood``: ``is`` (is part of, implies), ``now``
    (is now part of, now implies), ``already``, ``no longer``, ``not`` (is not part of, does
    not imply) and ``cannot`` (be part of, imply: "claim A cannot … itself")."""
    if kind in _NOUN:
        noun = _NOUN[kind]
        return {
            "is": f"is {noun}",
            "now": f"is now {noun}",
            "already": f"is already {noun}",
            "no longer": f"is no longer {noun}",
            "not": f"is not {noun}",
            "cannot": f"be {noun}",
        }[mood]
    verb, base = _VERB[kind]
    return {
        "is": verb,
        "now": f"now {verb}",
        "already": f"already {verb}",
        "no longer": f"no longer {verb}",
        "not": f"does not {base}",
        "cannot": base,
    }[mood]


def relations_statement(r: Reader, claim_ids: Sequence[int]) -> Statement:
    """One read of the relations of these claims, from both ends (``claim_related``), with
    the other claim's text: rows (claim id, relation, kind, other claim id, other text)."""
    params: dict[str, Any] = {}
    return (
        "SELECT cr.claim_id, cr.relation, cr.kind, cr.related_claim_id, c.text "
        "FROM claim_related AS cr JOIN claim AS c ON c.id = cr.related_claim_id "
        f"WHERE {r.member_of('cr.claim_id', 'ids', claim_ids, params)}",
        params,
    )


def relations_from_rows(rows: Iterable[tuple[Any, ...]]) -> dict[int, list[dict[str, Any]]]:
    """{claim id: its relations}, each ``{relation, kind, claim_id, claim}`` (the other
    claim), ordered as ``LABELS``, then by the other claim's id."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for claim_id, relation, kind, other_id, text in rows:
        out[int(claim_id)].append(
            {"relation": relation, "kind": kind, "claim_id": int(other_id), "claim": text}
        )
    for items in out.values():
        items.sort(key=lambda x: (LABELS.index(x["relation"]), x["claim_id"]))
    return dict(out)


def claim_relations(conn: Conn, claim_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The relations of these claims (``relations_from_rows``)."""
    r = Reader.of(conn)
    return relations_from_rows(r.rows(*relations_statement(r, claim_ids)))


def grouped(relations: Iterable[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Relations (as ``relations_from_rows`` orders them) by heading: ``[("part of", […]),
    ("has parts", […]), …]``, for the line of ``show`` and the claim page."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in relations:
        heading = HEADINGS.get(item["relation"], item["relation"])
        groups.setdefault(heading, []).append(item)
    return list(groups.items())


RELATED_IDS = (
    "WITH RECURSIVE parts(id) AS ("
    "SELECT claim_id FROM claim_relation WHERE kind = 'part_of' AND other_claim_id = :related_to "
    "UNION SELECT r.claim_id FROM claim_relation AS r JOIN parts ON r.other_claim_id = parts.id "
    "WHERE r.kind = 'part_of') "
    "SELECT id FROM parts "
    "UNION SELECT related_claim_id FROM claim_related WHERE claim_id = :related_to"
)
"""SQL: the ids of the claims related to claim ``:related_to``: every claim it has a relation
with, of any kind, in either direction (``claim_related``), and every part of its parts at
any depth (``claim_part``; UNION ends a cycle written behind factdb's back). It may hold the
claim itself only through such a cycle; ``related_condition`` leaves it out."""


def related_condition(conn: Conn, claim_id: int) -> str:
    """SQL condition on claim ``c`` for ``--related-to ID``, with parameter ``related_to``
    (the caller binds it); ``NotFound`` if there is no claim ``claim_id``."""
    r = Reader.of(conn)
    if (
        not r.holds_id(claim_id)
        or r.first("SELECT 1 FROM claim WHERE id = :id", {"id": claim_id}) is None
    ):
        gone = deleted_note(r, "claim", claim_id)
        raise NotFound("claim", claim_id, gone or "see `factdb list`")
    return f"c.id <> :related_to AND c.id IN ({RELATED_IDS})"


def part_chain(conn: Conn, start: int, goal: int) -> list[int] | None:
    """The shortest chain of ``part_of`` from claim ``start`` up to claim ``goal``:
    ``[start, …, goal]`` where each claim is part of the next; None if ``start`` is not part
    of ``goal`` through any chain. A walk over the wholes of the claims reached so far, one
    query per level; a claim seen before is not walked again."""
    r = Reader.of(conn)
    came_from: dict[int, int] = {start: start}
    level = [start]
    while level:
        following: list[int] = []
        for part, whole in r.rows(
            "SELECT claim_id, other_claim_id FROM claim_relation "
            f"WHERE kind = 'part_of' AND {r.member('claim_id', 'ids')} ORDER BY 1, 2",
            {"ids": level},
        ):
            part, whole = int(part), int(whole)
            if whole in came_from:
                continue
            came_from[whole] = part
            if whole == goal:
                chain = [goal]
                while chain[-1] != start:
                    chain.append(came_from[chain[-1]])
                return chain[::-1]
            following.append(whole)
        level = following
    return None


def chain_text(chain: Sequence[int]) -> str:
    """A ``part_chain`` in words: "claim 1 is part of claim 2, which is part of claim 3"."""
    text = f"claim {chain[0]} is part of claim {chain[1]}"
    for claim_id in chain[2:]:
        text += f", which is part of claim {claim_id}"
    return text
