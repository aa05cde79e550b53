"""``sanction list`` and ``sanction show``: a sanction's authority, programme, targets (each
listed and delisted on partial dates) and the claims linked to it both ways: claims alleging
its violation (``claim_sanction``) and claims it was imposed in response to
(``sanction_response``) (docs/design.md, Sanctions)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from factdb.core.dates import stored_text
from factdb.queries.base import (
    SANCTION_COLUMNS,
    SANCTION_FROM,
    Conn,
    Filters,
    sanction_fields,
    sanction_ref,
)
from factdb.storage.reader import Reader

VIOLATION = "alleged violation"
RESPONSE = "imposed in response"
"""The two links of the ``sanction_claim`` view: a claim alleging the violation of the
sanction, and a claim the sanction was imposed in response to."""


def sanction_targets(conn: Conn, sanction_id: int | None = None) -> dict[int, list[dict[str, Any]]]:
    """Every sanction's (or one's) targets, in the order they were added: ``actor`` (its
    current name), ``actor_id``, ``listed`` and ``delisted`` as given (or None)."""
    r = Reader.of(conn)
    where = "" if sanction_id is None else " WHERE t.sanction_id = :id"
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for sid, aid, name, listed, lp, delisted, dp in r.rows(
        "SELECT t.sanction_id, a.id, a.name, t.listed, t.listed_precision, t.delisted, "
        "t.delisted_precision FROM sanction_target AS t JOIN actor AS a ON a.id = t.actor_id"
        f"{where} ORDER BY t.sanction_id, t.id",
        {} if sanction_id is None else {"id": sanction_id},
    ):
        out[int(sid)].append(
            {
                "actor": name,
                "actor_id": int(aid),
                "listed": stored_text(listed, lp),
                "delisted": stored_text(delisted, dp),
            }
        )
    return out


def target_label(target: dict[str, Any]) -> str:
    """A target as a table prints it: ``Shahed Aviation Industries (listed 2022-10-20,
    delisted 2024)``."""
    dates = [
        f"{word} {target[key]}"
        for word, key in (("listed", "listed"), ("delisted", "delisted"))
        if target[key]
    ]
    return str(target["actor"]) + (f" ({', '.join(dates)})" if dates else "")


def sanction_claim_ids(
    conn: Conn, sanction_id: int | None = None
) -> dict[int, dict[str, set[int]]]:
    """sanction id -> {``VIOLATION``: claim ids, ``RESPONSE``: claim ids}, from the
    ``sanction_claim`` view."""
    r = Reader.of(conn)
    where = "" if sanction_id is None else " WHERE sanction_id = :id"
    out: dict[int, dict[str, set[int]]] = defaultdict(lambda: {VIOLATION: set(), RESPONSE: set()})
    for sid, cid, link in r.rows(
        f"SELECT sanction_id, claim_id, link FROM sanction_claim{where}",
        {} if sanction_id is None else {"id": sanction_id},
    ):
        out[int(sid)][str(link)].add(int(cid))
    return out


def answered_by(conn: Conn, claim_ids: Sequence[int]) -> dict[int, list[str]]:
    """claim id -> the names of the sanctions imposed in response to it, sorted."""
    if not claim_ids:
        return {}
    r = Reader.of(conn)
    out: dict[int, list[str]] = defaultdict(list)
    for cid, name in r.rows(
        "SELECT x.claim_id, s.name FROM sanction_response AS x JOIN sanction AS s "
        f"ON s.id = x.sanction_id WHERE {r.member('x.claim_id', 'ids')} ORDER BY s.name",
        {"ids": list(claim_ids)},
    ):
        out[int(cid)].append(str(name))
    return out


def list_sanctions(conn: Conn, sanction_id: int | None = None) -> list[dict[str, Any]]:
    """Every sanction (or one): its fields (``sanction_fields``), ``targets`` (names, in
    the order added), ``claims`` (how many allege its violation) and ``responds_to`` (how
    many claims it was imposed in response to)."""
    r = Reader.of(conn)
    where = "" if sanction_id is None else " WHERE s.id = :id"
    rows = r.rows(
        f"SELECT s.id, {SANCTION_COLUMNS}, "
        "(SELECT count(*) FROM claim_sanction AS cs WHERE cs.sanction_id = s.id), "
        "(SELECT count(*) FROM sanction_response AS x WHERE x.sanction_id = s.id) "
        f"{SANCTION_FROM}{where} ORDER BY s.name",
        {} if sanction_id is None else {"id": sanction_id},
    )
    targets = sanction_targets(r, sanction_id)
    out = []
    for sid, *fields, claims, responses in rows:
        row = {"id": int(sid), **sanction_fields(*fields)}
        row["targets"] = [t["actor"] for t in targets.get(int(sid), [])]
        row["claims"], row["responds_to"] = int(claims), int(responses)
        out.append(row)
    return out


def show_sanction(conn: Conn, ref: str, filters: Filters | None = None) -> dict[str, Any]:
    """One sanction (``list_sanctions``' row) with ``target_list`` (each target with its
    dates), ``claim_list`` (the claims alleging its violation) and ``response_list`` (the
    claims it was imposed in response to), as ``list`` summarizes them."""
    from factdb.queries.claims import list_claims  # claims imports this module

    r = Reader.of(conn)
    sanction_id, name = sanction_ref(r, ref)
    [row] = list_sanctions(r, sanction_id)
    base = filters or Filters()
    base.sanction = name
    claims = list_claims(r, base)
    links = sanction_claim_ids(r, sanction_id)[sanction_id]
    from factdb.queries.identifiers import sanction_external_ids

    return {
        **row,
        "ids": sanction_external_ids(r, sanction_id),
        "target_list": sanction_targets(r, sanction_id).get(sanction_id, []),
        "claim_list": [c for c in claims if int(c["id"]) in links[VIOLATION]],
        "response_list": [c for c in claims if int(c["id"]) in links[RESPONSE]],
    }


def actor_sanction_counts(conn: Conn, actor_id: int) -> dict[str, int]:
    """How many sanctions target the actor and how many it is the authority of."""
    r = Reader.of(conn)
    target = r.scalar("SELECT count(*) FROM sanction_target WHERE actor_id = :id", {"id": actor_id})
    authority = r.scalar("SELECT count(*) FROM sanction WHERE authority_id = :id", {"id": actor_id})
    return {
        "target_of_sanctions": int(target or 0),
        "authority_of_sanctions": int(authority or 0),
    }
