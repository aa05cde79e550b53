"""The fast reads of factdb.queries give exactly the rows of the analytical views."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from factdb.queries import Filters, assertion_rows, iso_date, reversals, timestamp_text
from factdb.storage import db

DETAIL_COLUMNS = (
    "assertion_id, claim_id, claim, actor_id, actor, actor_kind, side_id, side, stance, "
    "polarity, date, date_start, date_precision, source_id, source_url, outlet, source_title, "
    "source_published, via, quote, recorded_at, retracted_at, retraction_reason"
)
"""The columns of the ``assertion_detail`` view."""


def _detail(row: dict[str, Any]) -> dict[str, Any]:
    """A row of the ``assertion_detail`` view as the data ``show`` and the reports give (the
    reference the fast rows of ``factdb.queries`` are held to)."""
    return {
        "id": row["assertion_id"],
        "claim_id": row["claim_id"],
        "claim": row["claim"],
        "actor": row["actor"],
        "actor_kind": row["actor_kind"],
        "side": row["side"],
        "stance": row["stance"],
        "polarity": int(row["polarity"]),
        "date": row["date"],
        "date_start": iso_date(row["date_start"]),
        "date_precision": row["date_precision"],
        "source": {
            "id": row["source_id"],
            "url": row["source_url"],
            "outlet": row["outlet"],
            "title": row["source_title"],
            "published": row["source_published"],
        },
        "via": row["via"].split("; ") if row["via"] else [],
        "quote": row["quote"],
        "recorded_at": timestamp_text(row["recorded_at"]),
        "retracted": row["retracted_at"] is not None,
        "retracted_at": timestamp_text(row["retracted_at"]),
        "retraction_reason": row["retraction_reason"],
    }


def _view_rows(session: Any) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            f"SELECT {DETAIL_COLUMNS} FROM assertion_detail ORDER BY claim_id, date_start, "
            "assertion_id"
        )
    )
    return [_detail(dict(r._mapping)) for r in rows]


def test_assertion_rows_equal_the_view(seeded_cli, target) -> None:
    # A deeper hierarchy, a via chain and a retraction on top of the seed article.
    seeded_cli.ok("actor", "add", "Dmitry Peskov", "--kind", "person", "--part-of", "Kremlin")
    seeded_cli.add(
        1,
        by="Dmitry Peskov",
        stance="asserts",
        source="https://example.org/later",
        date="2025-04-26",
        via=["KCNA", "The National"],
    )
    seeded_cli.ok("retract", "2", "--reason", "entered twice")
    with db.session_scope(target, write=False) as session:
        view = _view_rows(session)
        ids = sorted({r["claim_id"] for r in view})
        fast = assertion_rows(session, ids, Filters(include_retracted=True))
    assert len(fast) == len(view) == 19
    assert fast == view
    peskov = [r for r in fast if r["actor"] == "Dmitry Peskov"]
    assert peskov[0]["side"] == "Russia"
    assert peskov[0]["via"] == ["KCNA", "The National"]


def test_reversal_agrees_with_claim_summary(seeded_cli, target) -> None:
    seeded_cli.add(
        1, by="Russia", stance="asserts", source="https://example.org/admission", date="2025-04-26"
    )
    with db.session_scope(target, write=False) as session:
        summary = {
            int(r.claim_id): (int(r.contested), int(r.reversed))
            for r in session.execute(
                text("SELECT claim_id, contested, reversed FROM claim_summary")
            )
        }
        rows = assertion_rows(session, sorted(summary), Filters())
    for claim_id, (_contested, reversed_flag) in summary.items():
        mine = [r for r in rows if r["claim_id"] == claim_id]
        assert bool(reversals(mine)) == bool(reversed_flag), claim_id
    assert summary[1][1] == 1


def test_sides_equal_the_view_on_deep_chains_and_cycles(target) -> None:
    """One meaning of an actor's side: the ``actor_side`` view (frozen in the first
    migration), ``queries.sides_of`` and the domain's ``side_of`` agree for every actor: a
    chain deeper than any fixed walk limit, lone actors, and cycles written behind factdb's
    back (every actor in or below a cycle is its own side) with actors hanging below them."""
    from factdb.domain.actors import add_actor, side_of
    from factdb.queries import ancestor_ids, sides_of
    from factdb.storage.models import Actor

    depth = 100
    with db.session_scope(target, write=True) as session:
        add_actor(session, name="Level 0")
        for level in range(1, depth + 1):
            add_actor(session, name=f"Level {level}", part_of=f"Level {level - 1}")
        add_actor(session, name="Alone")
        for ring in ("Two", "Three"):
            size = 2 if ring == "Two" else 3
            for i in range(size):
                parent = f"{ring} {i - 1}" if i else None
                add_actor(session, name=f"{ring} {i}", part_of=parent)
            add_actor(session, name=f"Below {ring}", part_of=f"{ring} {size - 1}")
        ids = {a.name: a.id for a in session.execute(select(Actor)).scalars()}
    with db.session_scope(target, write=True) as session:
        for ring, size in (("Two", 2), ("Three", 3)):
            session.execute(
                text("UPDATE actor SET part_of_id = :last WHERE id = :first"),
                {"first": ids[f"{ring} 0"], "last": ids[f"{ring} {size - 1}"]},
            )
    with db.session_scope(target, write=False) as session:
        view = {
            int(actor_id): (int(side_id), side)
            for actor_id, side_id, side in session.execute(
                text("SELECT actor_id, side_id, side FROM actor_side")
            )
        }
        fast = sides_of(session, ids.values())
        domain = {
            actor.id: (side_of(session, actor).id, side_of(session, actor).name)
            for actor in session.execute(select(Actor)).scalars()
        }
        deepest = ancestor_ids(session, ids[f"Level {depth}"])
        in_ring = ancestor_ids(session, ids["Three 1"])
        below_ring = ancestor_ids(session, ids["Below Two"])
    assert len(view) == len(ids) == depth + 1 + 1 + 2 + 1 + 3 + 1
    assert fast == view
    assert domain == view
    assert view[ids[f"Level {depth}"]] == (ids["Level 0"], "Level 0")
    for name in ("Two 0", "Two 1", "Below Two", "Three 2", "Below Three", "Alone"):
        assert view[ids[name]] == (ids[name], name)
    assert deepest == {ids[f"Level {level}"] for level in range(depth)}
    assert in_ring == {ids["Three 0"], ids["Three 2"]}
    assert below_ring == {ids["Two 0"], ids["Two 1"]}


def _reversals_by_definition(assertions: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    """The definition, quadratic and plain: for each side, the last assertion that has an
    opposite-sign assertion of the same side on a strictly earlier date, paired with the
    latest such earlier one."""
    found = []
    for side in sorted({a["side"] for a in assertions}):
        items = sorted(
            (a for a in assertions if a["side"] == side and a["polarity"] != 0),
            key=lambda a: (a["date_start"], a["id"]),
        )
        flip = None
        for later in items:
            earlier = [
                e
                for e in items
                if e["date_start"] < later["date_start"]
                and (e["polarity"] > 0) != (later["polarity"] > 0)
            ]
            if earlier:
                flip = (earlier[-1], later)
        if flip:
            found.append((side, flip[0]["id"], flip[1]["id"]))
    return found


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.sampled_from([2, 1, 0, -1, -2]),
            st.integers(min_value=0, max_value=6),
        ),
        max_size=25,
    )
)
@settings(max_examples=300, deadline=None)
def test_reversals_in_one_pass_agree_with_the_definition(spec: list[tuple[str, int, int]]) -> None:
    import datetime as dt

    assertions = [
        {
            "id": i + 1,
            "side": side,
            "polarity": polarity,
            "date_start": dt.date(2024, 1, 1) + dt.timedelta(days=day),
            "stance": str(polarity),
            "date": str(day),
            "actor": side.lower(),
        }
        for i, (side, polarity, day) in enumerate(spec)
    ]
    fast = [(r["side"], r["from_stance"], r["to_stance"]) for r in reversals(assertions)]
    slow = _reversals_by_definition(assertions)
    by_id = {a["id"]: a for a in assertions}
    assert fast == [(side, by_id[e]["stance"], by_id[later]["stance"]) for side, e, later in slow]
    fast_ids = [
        (r["side"], r["from_date"], r["to_date"], r["from_actor"]) for r in reversals(assertions)
    ]
    assert fast_ids == [
        (side, by_id[e]["date"], by_id[later]["date"], by_id[e]["actor"]) for side, e, later in slow
    ]
