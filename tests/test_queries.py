"""The fast reads of factdb.queries give exactly the rows of the analytical views."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from factdb.queries import (
    Filters,
    assertion_rows,
    iso_date,
    list_claims,
    reversals,
    timestamp_text,
)
from factdb.storage import db

DETAIL_COLUMNS = (
    "assertion_id, claim_id, claim, actor_id, actor, actor_kind, side_id, side, stance, "
    "polarity, date, date_start, date_precision, source_id, source_url, outlet, source_title, "
    "source_published, via, quote, recorded_at, retracted_at, retraction_reason, qualifier, "
    "qualifier_note, date_approximate, outlet_id"
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
            "outlet_id": row["outlet_id"],
            "title": row["source_title"],
            "published": row["source_published"],
        },
        "via": row["via"].split("; ") if row["via"] else [],
        "quote": row["quote"],
        "recorded_at": timestamp_text(row["recorded_at"]),
        "retracted": row["retracted_at"] is not None,
        "retracted_at": timestamp_text(row["retracted_at"]),
        "retraction_reason": row["retraction_reason"],
        "qualifier": row["qualifier"],
        "qualifier_note": row["qualifier_note"],
        "date_approximate": bool(row["date_approximate"]),
        "origin": row["origin"],
    }


def _view_rows(session: Any) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            f"SELECT {DETAIL_COLUMNS}, (SELECT o.origin FROM assertion_origin AS o "
            "WHERE o.assertion_id = d.assertion_id) AS origin FROM assertion_detail AS d "
            "ORDER BY claim_id, date_start, assertion_id"
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
    seeded_cli.add(
        1,
        by="Dmitry Peskov",
        stance="denies",
        source="https://example.org/later",
        date="~2025-05",
        qualifier="hedged",
        qualifier_note="not as described",
    )
    seeded_cli.ok("retract", "2", "--reason", "entered twice")
    with db.session_scope(target, write=False) as session:
        view = _view_rows(session)
        ids = sorted({r["claim_id"] for r in view})
        fast = assertion_rows(session, ids, Filters(include_retracted=True))
    assert len(fast) == len(view) == 20
    hedged = [r for r in fast if r["qualifier"] == "hedged"]
    assert [(r["date"], r["date_approximate"]) for r in hedged] == [("~2025-05", True)]
    assert fast == view
    peskov = [r for r in fast if r["actor"] == "Dmitry Peskov"]
    assert peskov[0]["side"] == "Russia"
    assert peskov[0]["origin"] != peskov[1]["origin"]
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


def test_side_flip_view_and_dates_as_given_agree_with_the_queries(seeded_cli, target) -> None:
    """The ``side_flip`` view lists the flips ``show`` lists (several on one claim, one day
    with both signs among them), and ``claim_summary``'s dates as given are ``list``'s."""
    for stance, date in (
        ("asserts", "2025-04-26"),
        ("denies", "2025-06"),
        ("asserts", "2025-06"),
        ("denies", "2025-07-02"),
    ):
        seeded_cli.add(
            1, by="Russia", stance=stance, source=f"https://example.org/{date}", date=date
        )
    with db.session_scope(target, write=False) as session:
        view = [
            (int(r.claim_id), r.side, int(r.from_assertion_id), r.from_stance, r.from_date,
             int(r.to_assertion_id), r.to_stance, r.to_date)
            for r in session.execute(
                text("SELECT * FROM side_flip ORDER BY claim_id, side, to_date_start, "
                     "to_assertion_id, from_assertion_id")
            )
        ]  # fmt: skip
        dates = {
            int(r.claim_id): (r.first_date_text, r.last_date_text)
            for r in session.execute(
                text("SELECT claim_id, first_date_text, last_date_text FROM claim_summary")
            )
        }
        ids = sorted(dates)
        rows = assertion_rows(session, ids, Filters())
        listed = {
            c["id"]: (c["first_date"], c["last_date"]) for c in list_claims(session, Filters())
        }
    mine = [
        (cid, f["side"], f["from_assertion_id"], f["from_stance"], f["from_date"],
         f["to_assertion_id"], f["to_stance"], f["to_date"])
        for cid in ids
        for f in reversals([r for r in rows if r["claim_id"] == cid])
    ]  # fmt: skip
    assert view == mine
    assert len([f for f in view if f[0] == 1]) >= 3
    assert dates == listed


def test_sides_equal_the_view_on_deep_chains_and_cycles(target) -> None:
    """One meaning of an actor's side: the ``actor_side`` view (frozen in the first
    migration), ``queries.sides_of`` and the domain's ``side_of`` agree for every actor: a
    chain deeper than any fixed walk limit, lone actors, and cycles written behind factdb's
    back (every actor in or below a cycle is its own side) with actors hanging below them."""
    from factdb.domain.actors import side_of
    from factdb.domain.records import add_actor
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


def _reversed_sides_by_pairs(assertions: list[dict[str, Any]]) -> list[str]:
    """The pair condition of ``--reversed`` and ``claim_summary.reversed``, quadratic and
    plain: two assertions of the side, opposite signs, the later dated strictly after."""
    return sorted(
        {
            e["side"]
            for e in assertions
            for later in assertions
            if e["side"] == later["side"]
            and e["polarity"] * later["polarity"] < 0
            and e["date_start"] < later["date_start"]
        }
    )


def _flips_by_definition(assertions: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    """The flips, plainly: for each side and each two consecutive dates on which it took a
    non-neutral stance, and each sign of the earlier date whose opposite is on the later
    one, (side, the last assertion of that sign on the earlier date, the first of the
    opposite sign on the later date)."""
    found = []
    for side in sorted({a["side"] for a in assertions}):
        mine = [a for a in assertions if a["side"] == side and a["polarity"] != 0]
        dates = sorted({a["date_start"] for a in mine})
        for before, after in zip(dates, dates[1:], strict=False):
            pairs = []
            for sign in (1, -1):
                old = [
                    a["id"] for a in mine if a["date_start"] == before and a["polarity"] * sign > 0
                ]
                new = [
                    a["id"] for a in mine if a["date_start"] == after and a["polarity"] * sign < 0
                ]
                if old and new:
                    pairs.append((side, max(old), min(new)))
            found += sorted(pairs, key=lambda p: (p[2], p[1]))
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
    """``reversals`` lists the flips of the definition, and a side has a flip exactly when
    the pair condition of ``--reversed`` and ``claim_summary.reversed`` holds for it."""
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
    flips = reversals(assertions)
    assert [
        (f["side"], f["from_assertion_id"], f["to_assertion_id"]) for f in flips
    ] == _flips_by_definition(assertions)
    by_id = {a["id"]: a for a in assertions}
    for f in flips:
        assert (f["from_stance"], f["from_date"]) == (
            by_id[f["from_assertion_id"]]["stance"],
            by_id[f["from_assertion_id"]]["date"],
        )
        assert f["to_date"] == by_id[f["to_assertion_id"]]["date"]
    assert sorted({f["side"] for f in flips}) == _reversed_sides_by_pairs(assertions)
