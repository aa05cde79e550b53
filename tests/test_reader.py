"""The read path on the driver's own connection (factdb.storage.reader): one spelling of SQL on both
backends, the CLI's fast path that never imports SQLAlchemy, and its fall-back."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from factdb import queries
from factdb.core.errors import DatabaseError, NotFound
from factdb.queries import Filters, list_claims, show_claim, sides_of
from factdb.storage import db
from factdb.storage.config import DatabaseTarget
from factdb.storage.reader import Reader, open_reader


def test_one_spelling_of_parameters_lists_and_dates(seeded_cli, target) -> None:
    with open_reader(target) as r:
        assert r is not None
        # A literal percent sign and a cast survive the translation to psycopg's style.
        assert r.rows("SELECT '100%' || :x", {"x": "!"}) == [("100%!",)]
        assert r.scalar("SELECT CAST(:n AS INTEGER) + 1", {"n": 41}) == 42
        ids = r.rows(
            "SELECT id FROM claim WHERE " + r.member("id", "ids") + " ORDER BY id",
            {"ids": [3, 1, 999]},
        )
        assert ids == [(1,), (3,)]
        assert r.rows("SELECT id FROM claim WHERE " + r.member("id", "ids"), {"ids": []}) == []
        dated = r.scalar(
            "SELECT count(*) FROM assertion WHERE date <= :d", {"d": dt.date(2023, 7, 31)}
        )
        assert dated == r.scalar("SELECT count(*) FROM assertion")
        missing = "^database error: (no such table|relation .* does not exist)"
        with pytest.raises(DatabaseError, match=missing):
            r.rows("SELECT * FROM no_such_table")


def test_reader_never_writes(seeded_cli, target) -> None:
    with open_reader(target) as r:
        assert r is not None
        with pytest.raises(DatabaseError):
            r.rows("DELETE FROM claim")
    with open_reader(target) as r:
        assert r is not None
        assert r.scalar("SELECT count(*) FROM claim") == 14


def test_reader_of_a_session_shares_its_transaction(target) -> None:
    with db.session_scope(target, write=True) as session:
        from sqlalchemy import text

        session.execute(
            text(
                "INSERT INTO claim (text, text_key, created_at) "
                "VALUES ('uncommitted', 'u', CURRENT_TIMESTAMP)"
            )
        )
        assert Reader.of(session).scalar("SELECT text FROM claim") == "uncommitted"
        session.rollback()


def test_same_data_through_a_session_and_the_fast_path(seeded_cli, target) -> None:
    with db.session_scope(target, write=False) as session:
        slow = (show_claim(session, 1), list_claims(session, Filters(actor="Russia")))
    with open_reader(target) as r:
        assert r is not None
        fast = (show_claim(r, 1), list_claims(r, Filters(actor="Russia")))
    assert fast == slow
    assert slow[0]["against"] == ["North Korea", "Russia"]


def test_not_found_and_hints_on_the_fast_path(seeded_cli, target) -> None:
    with open_reader(target) as r:
        assert r is not None
        with pytest.raises(NotFound, match="no claim 999"):
            show_claim(r, 999)
        with pytest.raises(NotFound, match="did you mean 'Russia'"):
            list_claims(r, Filters(actor="Rusia"))
        with pytest.raises(NotFound, match="did you mean 'UNSC Resolution 1718'"):
            list_claims(r, Filters(sanction="UNSC Resolution 1"))
        with pytest.raises(NotFound, match="sanction add"):
            list_claims(r, Filters(sanction="Wassenaar Arrangement"))


def test_a_cycle_written_behind_factdbs_back_ends_the_walk(seeded_cli, target) -> None:
    a = seeded_cli.ok("actor", "add", "Cycle A", "--format", "json").json()["id"]
    b = seeded_cli.ok("actor", "add", "Cycle B", "--part-of", "Cycle A", "--format", "json")
    b_id = b.json()["id"]
    with db.session_scope(target, write=True) as session:
        from sqlalchemy import text

        session.execute(text("UPDATE actor SET part_of_id = :b WHERE id = :a"), {"a": a, "b": b_id})
    with open_reader(target) as r:
        assert r is not None
        sides = sides_of(r, [a, b_id])
    assert sides == {a: (a, "Cycle A"), b_id: (b_id, "Cycle B")}


@pytest.mark.parametrize("common", [False, True])
def test_both_search_plans_find_the_same_claims(seeded_cli, target, monkeypatch, common) -> None:
    # The seed quotes: a word in a counted quote, one only in a retracted quote, one in texts.
    seeded_cli.ok("retract", "2", "--reason", "test")
    seeded_cli.ok("retract", "3", "--reason", "test")
    if common:
        monkeypatch.setattr(queries, "COMMON_QUOTE_HITS", 1)
    with open_reader(target) as r:
        assert r is not None
        found = {
            word: [c["id"] for c in list_claims(r, Filters(search=word, limit=limit))]
            for word in ("shipped", "transactions", "Russia", "deny")
            for limit in (50,)
        }
        limited = [c["id"] for c in list_claims(r, Filters(search="Russia", limit=2))]
        retracted = [
            c["id"]
            for c in list_claims(r, Filters(search="transactions", include_retracted=True, limit=9))
        ]
    assert found["shipped"] == [1]
    assert found["transactions"] == []  # only in the quotes of retracted 2 and 3
    assert retracted == [1]
    assert limited == found["Russia"][:2] and len(found["Russia"]) > 2


def _fresh_process(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run the CLI in a new interpreter; report its exit code, output and whether SQLAlchemy
    or SQLModel were imported."""
    code = (
        "import sys, json, contextlib, io\n"
        "from factdb.cli.app import app\n"
        "out = io.StringIO()\n"
        "rc = 0\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        "        app(args=sys.argv[1:], prog_name='factdb')\n"
        "    except SystemExit as e:\n"
        "        rc = e.code or 0\n"
        "mods = [m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'pandas') if m in sys.modules]\n"
        "print(json.dumps({'rc': rc, 'out': out.getvalue(), 'modules': mods}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.stdout, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["stderr"] = done.stderr
    return result


def test_show_and_list_start_without_sqlalchemy(seeded_cli, target) -> None:
    env = {**os.environ, "FACTDB_DATABASE_URL": target.url}
    for args in (["show", "1"], ["list", "--contested"], ["list", "--actor", "Moscow"]):
        done = _fresh_process(args, env)
        assert done["rc"] == 0, done
        assert done["modules"] == [], (args, done["modules"])
    assert "North Korea" in _fresh_process(["show", "1"], env)["out"]


def test_a_database_behind_head_takes_the_full_path(empty_target: DatabaseTarget) -> None:
    env = {**os.environ, "FACTDB_DATABASE_URL": empty_target.url}
    db.upgrade(empty_target, "0002")
    db.dispose_all()
    done = _fresh_process(["list"], env)
    assert done["rc"] == 1
    assert f"behind {db.SCHEMA_HEAD}; run `factdb --db … db upgrade`" in done["stderr"]
    with open_reader(empty_target) as r:
        assert r is None


def test_streams_nest_and_a_failed_batch_is_one_error(seeded_cli, target) -> None:
    with open_reader(target) as r:
        assert r is not None
        pairs = [
            (outer[0], inner[0])
            for chunk in r.stream("SELECT id FROM claim ORDER BY id", size=5)
            for outer in chunk
            for inner_chunk in r.stream("SELECT id FROM actor ORDER BY id LIMIT 2", size=1)
            for inner in inner_chunk
        ]
        assert len(pairs) == 14 * 2
        with pytest.raises(DatabaseError):
            r.batch([("SELECT 1", {}), ("SELECT * FROM no_such_table", {})])


def test_statements_planned_once_give_the_same_rows(seeded_cli, target) -> None:
    """``batch(planned_once=True)`` (show's reads) and ``member_of`` (an equality for one id)
    answer as the statements planned for their values do, and leave the reader's planning
    as it was."""
    with open_reader(target) as r:
        assert r is not None

        def statements(ids: list[int]) -> list[tuple[str, dict[str, Any]]]:
            params: dict[str, Any] = {}
            sql = (
                "SELECT c.id, count(a.id) FROM claim AS c JOIN assertion AS a ON a.claim_id = c.id "
                f"WHERE {r.member_of('c.id', 'ids', ids, params)} GROUP BY c.id ORDER BY c.id"
            )
            return [(sql, params), ("SELECT count(*) FROM actor", {})]

        mode = "SELECT current_setting('plan_cache_mode')" if r.postgresql else "SELECT 1"
        before = r.scalar(mode)
        for ids in ([1], [3, 1, 999], [999]):
            planned = r.batch(statements(ids))
            for _ in range(3):  # prepared at the first run, its plan reused by the next
                assert r.batch(statements(ids), planned_once=True) == planned
            assert [row[0] for row in planned[0]] == sorted(set(ids) - {999})
        assert r.scalar(mode) == before
        with pytest.raises(DatabaseError):
            r.batch([("SELECT * FROM no_such_table", {})], planned_once=True)
