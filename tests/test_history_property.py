"""Property: whatever sequence of adds, merges, corrections and retractions a user runs, every
assertion ever recorded stays reachable (live or retracted, never deleted), every record
that a merge deleted is in the history, and no id is ever given twice. On both backends,
through real write transactions and the database's triggers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session

from factdb.core.dates import parse_partial
from factdb.core.errors import FactdbError
from factdb.core.vocabulary import Stance
from factdb.domain import actors, claims, stances
from factdb.storage import db
from factdb.storage.config import ChangeContext, DatabaseTarget

# Few values, so that merges and corrections often meet twins.
ACTORS = ["Alpha Ministry", "Bravo Council", "Charlie Agency"]
CLAIMS = ["Ships left the port", "Rockets were delivered", "Ships left the port"]
SOURCES = ["https://example.org/one", "https://example.org/one", "https://example.org/two"]
DATES = ["2023-07", "2023-07", "2023-07"]
STANCES = [Stance.asserts, Stance.denies]

small = st.integers(min_value=0, max_value=2)
operation = st.one_of(
    st.tuples(
        st.just("add"),
        small,
        st.integers(0, 2),
        st.sampled_from(STANCES),
        st.integers(0, 2),
        st.integers(0, 2),
        st.sampled_from([None, "q1", "q2"]),
    ),
    st.tuples(st.just("merge_actors"), small, small),
    st.tuples(st.just("merge_claims"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("correct"), small, st.sampled_from(STANCES), st.sampled_from(["c1", None])),
    st.tuples(st.just("retract"), small),
)


class World:
    """What the test has seen: every id each table ever handed out, and the records merges
    deleted."""

    def __init__(self, target: DatabaseTarget) -> None:
        self.target = target
        self.ids: dict[str, list[int]] = {"assertion": [], "actor": [], "claim": []}
        self.deleted: dict[str, set[int]] = {"actor": set(), "claim": set()}

    def write(self, work: Callable[[Session], Any], command: str) -> Any:
        change = ChangeContext(user="property", command=command)
        try:
            return db.transact(self.target, work, change=change)
        except FactdbError:
            return None  # refused with a clear error: nothing changed

    def saw(self, table: str, ident: int) -> None:
        seen = self.ids[table]
        if ident not in seen:
            assert not seen or ident > max(seen), f"{table} id {ident} given again"
            seen.append(ident)

    def live_assertions(self) -> list[int]:
        with db.session_scope(self.target, write=False) as s:
            return [
                int(i)
                for (i,) in s.execute(
                    text("SELECT id FROM assertion WHERE retracted_at IS NULL ORDER BY id")
                )
            ]

    def claim_ids(self) -> list[int]:
        with db.session_scope(self.target, write=False) as s:
            return [int(i) for (i,) in s.execute(text("SELECT id FROM claim ORDER BY id"))]

    def run(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        if kind == "add":
            _, actor, claim, stance, source, date, quote = op
            result = self.write(
                lambda s: stances.add_assertion(
                    s,
                    text=CLAIMS[claim],
                    by=ACTORS[actor],
                    stance=stance,
                    source_url=SOURCES[source],
                    date=parse_partial(DATES[date]),
                    quote=quote,
                ),
                "factdb add",
            )
            if result is not None:
                self.saw("assertion", result.assertion_id)
                self.saw("actor", result.actor_id)
                self.saw("claim", result.claim_id)
        elif kind == "merge_actors":
            _, a, b = op
            result = self.write(
                lambda s: actors.merge(s, source=ACTORS[a], into=ACTORS[b]), "factdb actor merge"
            )
            if result is not None:
                self.deleted["actor"].add(result.from_id)
        elif kind == "merge_claims":
            _, a, b = op
            ids = self.claim_ids()
            if len(ids) > max(a, b):
                result = self.write(
                    lambda s: claims.merge_claims(s, source_id=ids[a], into_id=ids[b]),
                    "factdb claim merge",
                )
                if result is not None:
                    self.deleted["claim"].add(result.from_id)
        elif kind == "correct":
            _, pick, stance, quote = op
            live = self.live_assertions()
            if live:
                result = self.write(
                    lambda s: stances.correct_assertion(
                        s,
                        assertion_id=live[pick % len(live)],
                        reason="property",
                        stance=stance,
                        quote=quote,
                    ),
                    "factdb assertion correct",
                )
                if result is not None:
                    self.saw("assertion", result.new_id)
        else:
            _, pick = op
            live = self.live_assertions()
            if live:
                self.write(
                    lambda s: stances.retract(s, assertion_id=live[pick % len(live)], reason="p"),
                    "factdb retract",
                )

    def check(self) -> None:
        with db.session_scope(self.target, write=False) as s:
            present = {int(i) for (i,) in s.execute(text("SELECT id FROM assertion"))}
            assert set(self.ids["assertion"]) <= present, "an assertion was deleted"
            recorded = {
                int(k)
                for (k,) in s.execute(
                    text(
                        "SELECT row_key FROM change "
                        "WHERE table_name = 'assertion' AND op = 'insert'"
                    )
                )
            }
            assert present <= recorded, "an assertion without its insert in the history"
            for table, gone in self.deleted.items():
                deleted = {
                    int(k)
                    for (k,) in s.execute(
                        text("SELECT row_key FROM change WHERE table_name = :t AND op = 'delete'"),
                        {"t": table},
                    )
                }
                assert gone <= deleted, f"a merged {table} is missing from the history"
                still = {int(i) for (i,) in s.execute(text(f"SELECT id FROM {table}"))}
                assert not gone & still
            dangling = s.execute(
                text(
                    "SELECT count(*) FROM assertion WHERE (folded_into_id IS NOT NULL OR "
                    "supersedes_id IS NOT NULL) AND coalesce(folded_into_id, supersedes_id) "
                    "NOT IN (SELECT id FROM assertion)"
                )
            ).scalar_one()
            assert dangling == 0


@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(ops=st.lists(operation, min_size=2, max_size=16))
@example(  # two names for one speaker, one stance each: the merge folds one into the other
    ops=[
        ("add", 0, 0, Stance.asserts, 0, 0, "q1"),
        ("add", 1, 0, Stance.asserts, 0, 0, "q2"),
        ("merge_actors", 0, 1),
        ("add", 0, 0, Stance.asserts, 0, 0, None),
    ]
)
@example(  # two wordings of one claim, the same stance on each: the claim merge folds
    ops=[
        ("add", 0, 0, Stance.denies, 0, 0, None),
        ("add", 0, 1, Stance.denies, 0, 0, "q1"),
        ("merge_claims", 1, 0),
        ("correct", 0, Stance.asserts, "c1"),
        ("retract", 0),
        ("add", 2, 1, Stance.denies, 0, 0, None),
    ]
)
def test_no_sequence_loses_an_assertion_or_reuses_an_id(
    target: DatabaseTarget, ops: list[tuple[Any, ...]]
) -> None:
    world = World(target)
    # Examples share the database: the ids given so far are those the history saw inserted.
    with db.session_scope(target, write=False) as s:
        for table in world.ids:
            world.ids[table] = sorted(
                int(k)
                for (k,) in s.execute(
                    text("SELECT row_key FROM change WHERE table_name = :t AND op = 'insert'"),
                    {"t": table},
                )
            )
    for op in ops:
        world.run(op)
        world.check()
