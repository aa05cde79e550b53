"""The schema's own rules (docs/reliability.md, bad input): SQLModel tables skip
validation, so every closed set of values, natural key and reference must be enforced by the
database itself. Each bad row goes in through raw SQL, on SQLite and on PostgreSQL, and must be
refused with an IntegrityError naming the rule that refused it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from factdb.storage import db
from factdb.storage.config import DatabaseTarget
from factdb.storage.models import POLARITY, Stance

NOW = "CURRENT_TIMESTAMP"

# Rows every case can refer to: actor 1 "North Korea" (alias "DPRK"), actor 2 "Russia",
# claim 1, source 1, sanction 1, assertion 1 (North Korea denies claim 1 on 2024-02-27).
BASE_ROWS = [
    f"INSERT INTO actor (name, name_key, kind, created_at) "
    f"VALUES ('North Korea', 'north korea', 'state', {NOW})",
    f"INSERT INTO actor (name, name_key, kind, created_at) "
    f"VALUES ('Russia', 'russia', 'state', {NOW})",
    "INSERT INTO actor_alias (actor_id, alias, alias_key) VALUES (1, 'DPRK', 'dprk')",
    f"INSERT INTO claim (text, text_key, created_at) "
    f"VALUES ('North Korea shipped arms', 'north korea shipped arms', {NOW})",
    f"INSERT INTO source (url, key, created_at) "
    f"VALUES ('https://example.org/a', 'example.org/a', {NOW})",
    f"INSERT INTO sanction (name, name_key, created_at) "
    f"VALUES ('UNSC Resolution 1718', 'unsc resolution 1718', {NOW})",
    "INSERT INTO assertion (claim_id, actor_id, stance, date, date_precision, source_id, "
    f"recorded_at) VALUES (1, 1, 'denies', '2024-02-27', 'day', 1, {NOW})",
]
# Ids are not given (PostgreSQL sequences would fall behind); a fresh database numbers from 1.
BASE_IDS = {"actor": [1, 2], "actor_alias": [1], "claim": [1], "source": [1], "sanction": [1]}


def _actor(name_key: str, kind: str = "state", part_of: str = "NULL") -> str:
    return (
        "INSERT INTO actor (name, name_key, kind, part_of_id, created_at) "
        f"VALUES ('{name_key.title()}', '{name_key}', '{kind}', {part_of}, {NOW})"
    )


def _assertion(
    *,
    claim: int = 1,
    actor: int = 2,
    stance: str = "asserts",
    date: str = "'2024-03-01'",
    precision: str = "'day'",
    source: int = 1,
    retracted_at: str = "NULL",
    reason: str = "NULL",
) -> str:
    return (
        "INSERT INTO assertion (claim_id, actor_id, stance, date, date_precision, source_id, "
        "recorded_at, retracted_at, retraction_reason) VALUES "
        f"({claim}, {actor}, '{stance}', {date}, {precision}, {source}, {NOW}, "
        f"{retracted_at}, {reason})"
    )


def _source(
    *,
    url: str = "'https://example.org/b'",
    key: str = "'example.org/b'",
    published: str = "NULL",
    published_precision: str = "NULL",
    updated: str = "NULL",
    updated_precision: str = "NULL",
) -> str:
    return (
        "INSERT INTO source (url, key, published, published_precision, updated, "
        f"updated_precision, created_at) VALUES ({url}, {key}, {published}, "
        f"{published_precision}, {updated}, {updated_precision}, {NOW})"
    )


def _sanction(
    *,
    name_key: str = "'eu regulation 833/2014'",
    url: str = "NULL",
    adopted: str = "NULL",
    adopted_precision: str = "NULL",
    authority: str = "NULL",
) -> str:
    return (
        "INSERT INTO sanction (name, name_key, url, adopted, adopted_precision, "
        f"authority_id, created_at) VALUES ('EU Regulation 833/2014', {name_key}, {url}, "
        f"{adopted}, {adopted_precision}, {authority}, {NOW})"
    )


def _target(
    *,
    actor: str = "1",
    listed: str = "NULL",
    listed_precision: str = "NULL",
    delisted: str = "NULL",
    delisted_precision: str = "NULL",
) -> str:
    """A target of sanction 1 (made by the case's setup)."""
    return (
        "INSERT INTO sanction_target (sanction_id, actor_id, listed, listed_precision, "
        f"delisted, delisted_precision, created_at) VALUES (1, {actor}, {listed}, "
        f"{listed_precision}, {delisted}, {delisted_precision}, {NOW})"
    )


@dataclass
class Case:
    id: str
    sql: str
    """The offending statement."""
    expect: tuple[str, ...]
    """Fragments of the error message, any of which identifies the rule (the constraint name
    on PostgreSQL, SQLite's own wording for unique and foreign keys)."""
    setup: list[str] = field(default_factory=list)
    """Valid statements run first, in the same transaction."""


def _ck(name: str) -> tuple[str, ...]:
    return (name,)


def _uq(name: str, column: str) -> tuple[str, ...]:
    return (name, f"UNIQUE constraint failed: {column}")


def _fk(name: str) -> tuple[str, ...]:
    return (name, "FOREIGN KEY constraint failed")


ALIAS_IS_NAME = ("actor alias equals the name of another actor",)
NAME_IS_ALIAS = ("actor name equals an alias of another actor",)

CASES = [
    # closed sets of values
    Case("stance-maybe", _assertion(stance="maybe"), _ck("ck_assertion_stance_valid")),
    Case("stance-case", _assertion(stance="Denies"), _ck("ck_assertion_stance_valid")),
    Case("stance-empty", _assertion(stance=""), _ck("ck_assertion_stance_valid")),
    Case("actor-kind", _actor("atlantis", kind="alien"), _ck("ck_actor_kind_valid")),
    Case("actor-kind-case", _actor("atlantis", kind="State"), _ck("ck_actor_kind_valid")),
    Case(
        "date-precision",
        _assertion(precision="'week'"),
        _ck("ck_assertion_date_precision_valid"),
    ),
    # a date and its precision go together
    Case(
        "source-precision-without-date",
        _source(published_precision="'day'"),
        _ck("ck_source_published_precision"),
    ),
    Case(
        "source-date-without-precision",
        _source(published="'2024-02-27'"),
        _ck("ck_source_published_precision"),
    ),
    Case(
        "source-bad-precision",
        _source(published="'2024-02-27'", published_precision="'week'"),
        _ck("ck_source_published_precision"),
    ),
    Case(
        "source-updated-date-without-precision",
        _source(updated="'2024-02-27'"),
        _ck("ck_source_updated_precision"),
    ),
    Case(
        "source-updated-precision-without-date",
        _source(updated_precision="'month'"),
        _ck("ck_source_updated_precision"),
    ),
    Case(
        "sanction-precision-without-date",
        _sanction(adopted_precision="'year'"),
        _ck("ck_sanction_adopted_precision"),
    ),
    Case(
        "sanction-date-without-precision",
        _sanction(adopted="'2006-10-14'"),
        _ck("ck_sanction_adopted_precision"),
    ),
    # retraction is complete or absent
    Case(
        "retracted-without-reason",
        _assertion(retracted_at=NOW),
        _ck("ck_assertion_retraction_complete"),
    ),
    Case(
        "reason-without-retracted",
        _assertion(reason="'mistake'"),
        _ck("ck_assertion_retraction_complete"),
    ),
    # only http(s) URLs
    Case("source-ftp-url", _source(url="'ftp://x'"), _ck("ck_source_url_http")),
    Case("source-relative-url", _source(url="'example.org/b'"), _ck("ck_source_url_http")),
    Case("source-javascript-url", _source(url="'javascript:alert(1)'"), _ck("ck_source_url_http")),
    Case("sanction-ftp-url", _sanction(url="'ftp://x'"), _ck("ck_sanction_url_http")),
    # natural keys
    Case(
        "claim-text-key",
        f"INSERT INTO claim (text, text_key, created_at) "
        f"VALUES ('NORTH KOREA SHIPPED ARMS!', 'north korea shipped arms', {NOW})",
        _uq("uq_claim_text_key", "claim.text_key"),
    ),
    Case("actor-name-key", _actor("russia"), _uq("uq_actor_name_key", "actor.name_key")),
    Case(
        "alias-key",
        "INSERT INTO actor_alias (actor_id, alias, alias_key) VALUES (2, 'Dprk', 'dprk')",
        _uq("uq_actor_alias_alias_key", "actor_alias.alias_key"),
    ),
    Case(
        "source-key",
        _source(url="'http://www.example.org/a'", key="'example.org/a'"),
        _uq("uq_source_key", "source.key"),
    ),
    Case(
        "sanction-name-key",
        _sanction(name_key="'unsc resolution 1718'"),
        _uq("uq_sanction_name_key", "sanction.name_key"),
    ),
    Case(
        "assertion-natural-key",
        _assertion(actor=1, stance="denies", date="'2024-02-27'"),
        # Unique among live (unretracted) assertions: a partial unique index.
        _uq("ux_assertion_live_key", "assertion.claim_id"),
    ),
    Case(
        "claim-tag-twice",
        "INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'arms')",
        _uq("pk_claim_tag", "claim_tag.claim_id"),
        setup=["INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'arms')"],
    ),
    Case(
        "via-position-twice",
        "INSERT INTO assertion_via (assertion_id, position, actor_id) VALUES (1, 1, 2)",
        _uq("pk_assertion_via", "assertion_via.assertion_id"),
        setup=["INSERT INTO assertion_via (assertion_id, position, actor_id) VALUES (1, 1, 1)"],
    ),
    # names and aliases share one namespace (triggers)
    Case(
        "alias-is-other-actors-name",
        "INSERT INTO actor_alias (actor_id, alias, alias_key) VALUES (2, 'north korea', "
        "'north korea')",
        ALIAS_IS_NAME,
    ),
    Case(
        "alias-updated-to-other-actors-name",
        "UPDATE actor_alias SET alias = 'Russia', alias_key = 'russia' WHERE id = 1",
        ALIAS_IS_NAME,
    ),
    Case("name-is-other-actors-alias", _actor("dprk"), NAME_IS_ALIAS),
    Case(
        "name-updated-to-other-actors-alias",
        "UPDATE actor SET name = 'DPRK', name_key = 'dprk' WHERE id = 2",
        NAME_IS_ALIAS,
    ),
    # structure
    Case(
        "part-of-itself",
        "UPDATE actor SET part_of_id = id WHERE id = 1",
        _ck("ck_actor_not_own_part"),
    ),
    Case(
        "via-position-zero",
        "INSERT INTO assertion_via (assertion_id, position, actor_id) VALUES (1, 0, 2)",
        _ck("ck_assertion_via_position_positive"),
    ),
    Case(
        "via-position-negative",
        "INSERT INTO assertion_via (assertion_id, position, actor_id) VALUES (1, -1, 2)",
        _ck("ck_assertion_via_position_positive"),
    ),
    # foreign keys
    Case("assertion-claim-fk", _assertion(claim=999), _fk("fk_assertion_claim_id_claim")),
    Case("assertion-actor-fk", _assertion(actor=999), _fk("fk_assertion_actor_id_actor")),
    Case("assertion-source-fk", _assertion(source=999), _fk("fk_assertion_source_id_source")),
    Case("actor-part-of-fk", _actor("atlantis", part_of="999"), _fk("fk_actor_part_of_id_actor")),
    Case(
        "alias-actor-fk",
        "INSERT INTO actor_alias (actor_id, alias, alias_key) VALUES (999, 'X', 'x')",
        _fk("fk_actor_alias_actor_id_actor"),
    ),
    Case(
        "via-actor-fk",
        "INSERT INTO assertion_via (assertion_id, position, actor_id) VALUES (1, 1, 999)",
        _fk("fk_assertion_via_actor_id_actor"),
    ),
    Case(
        "via-assertion-fk",
        "INSERT INTO assertion_via (assertion_id, position, actor_id) VALUES (999, 1, 2)",
        _fk("fk_assertion_via_assertion_id_assertion"),
    ),
    Case(
        "claim-sanction-fk",
        "INSERT INTO claim_sanction (claim_id, sanction_id) VALUES (1, 999)",
        _fk("fk_claim_sanction_sanction_id_sanction"),
    ),
    Case(
        "claim-tag-fk",
        "INSERT INTO claim_tag (claim_id, tag) VALUES (999, 'x')",
        _fk("fk_claim_tag_claim_id_claim"),
    ),
    Case(
        "sanction-target-fk",
        _target(actor="999"),
        _fk("fk_sanction_target_actor_id_actor"),
        setup=[_sanction()],
    ),
    Case(
        "sanction-authority-fk",
        _sanction(authority="999"),
        _fk("fk_sanction_authority_id_actor"),
    ),
    Case(
        "sanction-target-twice",
        _target(),
        _uq("uq_sanction_target_sanction_id_actor_id", "sanction_target.sanction_id"),
        setup=[_sanction(), _target()],
    ),
    Case(
        "sanction-delisted-before-listed",
        _target(
            listed="'2024-01-01'",
            listed_precision="'year'",
            delisted="'2023-01-01'",
            delisted_precision="'year'",
        ),
        _ck("ck_sanction_target_listed_first"),
        setup=[_sanction()],
    ),
    Case(
        "sanction-listed-without-precision",
        _target(listed="'2024-01-01'"),
        _ck("ck_sanction_target_listed_precision"),
        setup=[_sanction()],
    ),
    Case(
        "sanction-response-claim-fk",
        "INSERT INTO sanction_response (sanction_id, claim_id) VALUES (1, 999)",
        _fk("fk_sanction_response_claim_id_claim"),
        setup=[_sanction()],
    ),
    Case(
        "delete-referenced-actor",
        "DELETE FROM actor WHERE id = 1",
        _fk("fk_assertion_actor_id_actor"),
    ),
]


@pytest.fixture
def engine(target: DatabaseTarget) -> Iterator[Engine]:
    engine = db.get_engine(target)
    with engine.begin() as conn:
        for statement in BASE_ROWS:
            conn.execute(text(statement))
        for table, ids in BASE_IDS.items():
            found = conn.execute(text(f"SELECT id FROM {table} ORDER BY id")).scalars().all()
            assert found == ids, table
    yield engine


def _count(conn: Connection, table: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _snapshot(engine: Engine) -> dict[str, int]:
    tables = ["actor", "actor_alias", "claim", "claim_tag", "source", "assertion"]
    tables += ["assertion_via", "sanction", "claim_sanction"]
    with engine.connect() as conn:
        counts = {t: _count(conn, t) for t in tables}
        conn.rollback()
    return counts


def _assert_refused(engine: Engine, case: Case) -> None:
    # Always rolled back, so a statement that wrongly succeeds does not leak into the next case.
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            for statement in case.setup:
                conn.execute(text(statement))
            with pytest.raises(DBAPIError) as info:
                conn.execute(text(case.sql))
        finally:
            trans.rollback()
    assert isinstance(info.value, IntegrityError), repr(info.value)
    message = str(info.value.orig)
    assert any(fragment in message for fragment in case.expect), message


def test_bad_rows_are_refused(engine: Engine, subtests: pytest.Subtests) -> None:
    """One database per backend for all cases (subtests), each case reported on its own."""
    before = _snapshot(engine)
    for case in CASES:
        with subtests.test(case.id):
            _assert_refused(engine, case)
    assert _snapshot(engine) == before


def test_base_rows_are_valid(engine: Engine) -> None:
    """The valid counterparts of the cases above insert: the refusals are the rule's doing."""
    statements = [
        _assertion(),
        _assertion(retracted_at=NOW, reason="'mistake'", stance="supports"),
        _actor("atlantis", kind="other", part_of="1"),
        _source(published="'2024-02-01'", published_precision="'month'"),
        _sanction(
            url="'https://eur-lex.europa.eu/x'",
            adopted="'2014-01-01'",
            adopted_precision="'year'",
            authority="2",
        ),
        _target(
            listed="'2022-10-20'",
            listed_precision="'day'",
            delisted="'2024-03-01'",
            delisted_precision="'month'",
        ),
        "INSERT INTO sanction_response (sanction_id, claim_id) VALUES (1, 1)",
        "INSERT INTO actor_alias (actor_id, alias, alias_key) VALUES (2, 'Moscow', 'moscow')",
        "INSERT INTO actor_alias (actor_id, alias, alias_key) VALUES (1, 'North Korea', "
        "'north korea')",  # an alias may repeat the actor's own name
        "INSERT INTO assertion_via (assertion_id, position, actor_id) VALUES (1, 1, 2)",
        "INSERT INTO assertion_via (assertion_id, position, actor_id) VALUES (1, 2, 1)",
        "INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'arms')",
        "INSERT INTO claim_sanction (claim_id, sanction_id) VALUES (1, 1)",
        # the same stance of the same actor on another date, or with another precision
        _assertion(actor=1, stance="denies", date="'2024-02-01'", precision="'month'"),
        "UPDATE actor SET part_of_id = 2 WHERE id = 1",
    ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    counts = _snapshot(engine)
    assert counts["assertion"] == 4
    assert counts["assertion_via"] == 2


def test_each_stance_inserts_and_reads_back(engine: Engine, subtests: pytest.Subtests) -> None:
    for stance in Stance:
        with subtests.test(stance.value):
            with engine.begin() as conn:
                new_id = conn.execute(
                    text(_assertion(stance=stance.value) + " RETURNING id")
                ).scalar_one()
            with engine.connect() as conn:
                row: Any = conn.execute(
                    text("SELECT stance, date, date_precision FROM assertion WHERE id = :id"),
                    {"id": new_id},
                ).one()
                detail: Any = conn.execute(
                    text(
                        "SELECT stance, polarity, date FROM assertion_detail "
                        "WHERE assertion_id = :id"
                    ),
                    {"id": new_id},
                ).one()
                conn.rollback()
            assert row.stance == stance.value
            assert str(row.date) == "2024-03-01"
            assert row.date_precision == "day"
            assert detail.stance == stance.value
            assert int(detail.polarity) == POLARITY[stance] == stance.polarity
            assert detail.date == "2024-03-01"


def test_cascades_remove_dependent_rows(engine: Engine) -> None:
    """ON DELETE CASCADE of aliases, tags, vias and sanction links works on both backends
    (SQLite only with foreign keys on)."""
    with engine.begin() as conn:
        conn.execute(text(_actor("atlantis")))
        atlantis = conn.execute(text("SELECT id FROM actor WHERE name_key = 'atlantis'")).scalar()
        conn.execute(
            text("INSERT INTO actor_alias (actor_id, alias, alias_key) VALUES (:a, 'A', 'a')"),
            {"a": atlantis},
        )
        conn.execute(text("INSERT INTO claim_tag (claim_id, tag) VALUES (1, 'arms')"))
        conn.execute(text("INSERT INTO claim_sanction (claim_id, sanction_id) VALUES (1, 1)"))
        conn.execute(
            text("INSERT INTO assertion_via (assertion_id, position, actor_id) VALUES (1, 1, 2)")
        )
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM actor WHERE id = :a"), {"a": atlantis})
        conn.execute(text("DELETE FROM assertion WHERE id = 1"))
        conn.execute(text("DELETE FROM claim WHERE id = 1"))
    counts = _snapshot(engine)
    assert counts["actor_alias"] == 1  # DPRK stays; Atlantis' alias went with it
    assert counts["claim_tag"] == counts["claim_sanction"] == counts["assertion_via"] == 0


def test_url_scheme_case_is_treated_alike_on_both_backends(target: DatabaseTarget) -> None:
    """`--source HTTPS://Example.org/a` is an http(s) URL (keys.normalize_url accepts it); the
    url CHECK uses LIKE, which ignores case on SQLite but not on PostgreSQL, so the backends
    must not disagree about storing it."""
    from tests.conftest import Cli

    cli = Cli(target)
    cli.add(
        "North Korea shipped arms",
        by="White House",
        stance="asserts",
        source="HTTPS://Example.org/a",
        date="2024",
    )
    cli.add(
        "North Korea shipped arms",
        by="Russia",
        stance="denies",
        source="https://example.org/a",
        date="2024",
    )
    sources = cli.ok("source", "list", "--format", "json").json()
    assert len(sources) == 1
