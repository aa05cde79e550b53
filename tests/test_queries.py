"""The fast reads of factdb.queries give exactly the rows of the analytical views."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from factdb import db
from factdb.queries import DETAIL_COLUMNS, Filters, _detail, assertion_rows, reversals


def _view_rows(session: Any) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            f"SELECT {DETAIL_COLUMNS} FROM assertion_detail ORDER BY claim_id, date_start, "
            "assertion_id"
        )
    )
    return [_detail(dict(r._mapping)) for r in rows]


def test_assertion_rows_equal_the_view(seeded_cli, target) -> None:  # type: ignore[no-untyped-def]
    # A deeper hierarchy, a via chain and a retraction on top of the seed article.
    seeded_cli.ok("actor", "add", "Dmitry Peskov", "--kind", "person", "--part-of", "Kremlin")
    seeded_cli.ok(
        "add",
        "--claim",
        "1",
        "--by",
        "Dmitry Peskov",
        "--stance",
        "asserts",
        "--source",
        "https://example.org/later",
        "--date",
        "2025-04-26",
        "--via",
        "KCNA",
        "--via",
        "The National",
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


def test_reversal_agrees_with_claim_summary(seeded_cli, target) -> None:  # type: ignore[no-untyped-def]
    seeded_cli.ok(
        "add",
        "--claim",
        "1",
        "--by",
        "Russia",
        "--stance",
        "asserts",
        "--source",
        "https://example.org/admission",
        "--date",
        "2025-04-26",
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
