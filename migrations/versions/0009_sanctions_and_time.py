"""Sanctions with authorities and many targets, memberships over time, external identifiers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

* ``sanction`` gains ``authority_id`` (the authority as an actor; ``authority`` keeps the name
  as given) and ``programme``, and loses ``target_actor_id``: its targets move to
  ``sanction_target`` (new), any number of actors, each listed and delisted on partial dates.
  A sanction's one target becomes its first target, its dates unknown.
* ``sanction_response`` (new): a sanction imposed in response to a claim (the other direction
  of ``claim_sanction``, a claim alleging the violation of a sanction).
* ``actor`` gains ``part_of_since`` (when its current membership began); ``actor_membership``
  (new) holds memberships that ended, from an optional ``since`` until ``until``.
  ``actor_alias`` gains ``since`` and ``until``. Every date is partial, with its precision.
* ``external_id`` (new): identifiers of actors and sanctions in other systems, one value of a
  scheme naming one record.
* **Authorities become actors.** Each distinct authority text is matched to the actor of that
  name or alias; one that matches none becomes a new actor of kind ``organization``. Recorded
  in the change history with the targets moved, as one change set, ``factdb db upgrade``.
* Views: ``assertion_side`` (new: each assertion with the side its speaker belonged to on the
  assertion's date; the same as ``actor_side`` where no membership of the speaker's hierarchy
  has a date), ``actor_part`` (new: every membership, current and ended, with its dates),
  ``sanction_claim`` (new: every link between a sanction and a claim, both directions).
  ``claim_summary``, ``side_flip``, ``assertion_detail`` and ``assertion_origin`` count an
  assertion for its side on its date: their SQL is 0007's and 0008's with ``actor_side``
  joined by actor replaced by ``assertion_side`` joined by assertion; their columns are
  unchanged.
* History triggers: the new tables get theirs; those of ``actor``, ``actor_alias`` and
  ``sanction`` (SQLite: they name their columns) are written again.

Downgrade refuses while any of the new facts exists (a membership that ended or a since, an
alias's dates, a second target or a target's dates, a response link, an external id, a
programme); the actors made from authorities stay.
"""

from __future__ import annotations

import getpass
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

from factdb.core.errors import SchemaError

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRECISIONS = "('year', 'month', 'day')"


def _revision(name: str) -> ModuleType:
    """An earlier revision of this directory, for its frozen SQL (views, history triggers)."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"factdb_revision_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


R0007 = _revision("0007_flips_and_dates_as_given.py")
R0008 = _revision("0008_weighing_evidence.py")

# The columns of the tables whose history triggers this revision writes (frozen).
COLUMNS: dict[str, list[str]] = {
    "actor": [
        "id",
        "name",
        "name_key",
        "kind",
        "part_of_id",
        "created_at",
        "part_of_since",
        "part_of_since_precision",
    ],
    "actor_alias": [
        "id",
        "actor_id",
        "alias",
        "alias_key",
        "since",
        "since_precision",
        "until",
        "until_precision",
    ],
    "sanction": [
        "id",
        "name",
        "name_key",
        "authority",
        "adopted",
        "adopted_precision",
        "measures",
        "url",
        "created_at",
        "authority_id",
        "programme",
    ],
    "actor_membership": [
        "id",
        "actor_id",
        "parent_id",
        "since",
        "since_precision",
        "until",
        "until_precision",
        "created_at",
    ],
    "sanction_target": [
        "id",
        "sanction_id",
        "actor_id",
        "listed",
        "listed_precision",
        "delisted",
        "delisted_precision",
        "created_at",
    ],
    "sanction_response": ["id", "sanction_id", "claim_id"],
    "external_id": ["id", "actor_id", "sanction_id", "scheme", "value", "created_at"],
}
About = tuple[str | None, str | None, str | None, str | None]
ABOUT: dict[str, About] = {
    "actor": (None, "id", None, None),
    "actor_alias": (None, "actor_id", None, None),
    "sanction": (None, "authority_id", None, "id"),
    "actor_membership": (None, "actor_id", None, None),
    "sanction_target": (None, "actor_id", None, "sanction_id"),
    "sanction_response": ("claim_id", None, None, "sanction_id"),
    "external_id": (None, "actor_id", None, "sanction_id"),
}
NEW_TABLES = ["actor_membership", "sanction_target", "sanction_response", "external_id"]
SANCTION_ABOUT_0006: About = (None, "target_actor_id", None, "id")


def _precision(column: str) -> str:
    return (
        f"({column} IS NULL AND {column}_precision IS NULL) OR ({column} IS NOT NULL AND "
        f"{column}_precision IS NOT NULL AND {column}_precision IN {PRECISIONS})"
    )


def _precision_check(table: str, column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(_precision(column), name=op.f(f"ck_{table}_{column}_precision"))


# --- tables --------------------------------------------------------------------------------


def _create_tables() -> None:
    op.create_table(
        "actor_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("since_precision", sa.Text(), nullable=True),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("until_precision", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("actor_id <> parent_id", name=op.f("ck_actor_membership_not_own_part")),
        sa.CheckConstraint(
            "since IS NULL OR since < until", name=op.f("ck_actor_membership_since_before_until")
        ),
        _precision_check("actor_membership", "since"),
        _precision_check("actor_membership", "until"),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actor.id"], name=op.f("fk_actor_membership_actor_id_actor")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["actor.id"], name=op.f("fk_actor_membership_parent_id_actor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actor_membership")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_actor_membership_actor_id"), "actor_membership", ["actor_id"])
    op.create_index(op.f("ix_actor_membership_parent_id"), "actor_membership", ["parent_id"])
    op.create_table(
        "sanction_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sanction_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Date(), nullable=True),
        sa.Column("listed_precision", sa.Text(), nullable=True),
        sa.Column("delisted", sa.Date(), nullable=True),
        sa.Column("delisted_precision", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _precision_check("sanction_target", "listed"),
        _precision_check("sanction_target", "delisted"),
        sa.CheckConstraint(
            "listed IS NULL OR delisted IS NULL OR listed <= delisted",
            name=op.f("ck_sanction_target_listed_first"),
        ),
        sa.ForeignKeyConstraint(
            ["sanction_id"],
            ["sanction.id"],
            name=op.f("fk_sanction_target_sanction_id_sanction"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actor.id"], name=op.f("fk_sanction_target_actor_id_actor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanction_target")),
        sa.UniqueConstraint(
            "sanction_id", "actor_id", name=op.f("uq_sanction_target_sanction_id_actor_id")
        ),
        sqlite_autoincrement=True,
    )
    # Its index on actor_id has the name of sanction.target_actor_id's: made after that goes.
    op.create_table(
        "sanction_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sanction_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sanction_id"],
            ["sanction.id"],
            name=op.f("fk_sanction_response_sanction_id_sanction"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_sanction_response_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanction_response")),
        sa.UniqueConstraint(
            "sanction_id", "claim_id", name=op.f("uq_sanction_response_sanction_id_claim_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_sanction_response_claim_id"), "sanction_response", ["claim_id"])
    op.create_table(
        "external_id",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("sanction_id", sa.Integer(), nullable=True),
        sa.Column("scheme", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(actor_id IS NULL) <> (sanction_id IS NULL)", name=op.f("ck_external_id_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actor.id"], name=op.f("fk_external_id_actor_id_actor")
        ),
        sa.ForeignKeyConstraint(
            ["sanction_id"],
            ["sanction.id"],
            name=op.f("fk_external_id_sanction_id_sanction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_id")),
        sa.UniqueConstraint("scheme", "value", name=op.f("uq_external_id_scheme_value")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_external_id_actor_id"), "external_id", ["actor_id"])
    op.create_index(op.f("ix_external_id_sanction_id"), "external_id", ["sanction_id"])


def _add_columns(dialect: str) -> None:
    added = {
        "actor": ["part_of_since"],
        "actor_alias": ["since", "until"],
    }
    for table, dates in added.items():
        for column in dates:
            name = f"ck_{table}_{column}_precision"
            if dialect == "postgresql":
                op.add_column(table, sa.Column(column, sa.Date(), nullable=True))
                op.add_column(table, sa.Column(f"{column}_precision", sa.Text(), nullable=True))
                op.create_check_constraint(op.f(name), table, _precision(column))
            else:
                # ADD COLUMN keeps the table and its triggers; the CHECK rides on the second
                # column, where it sees both.
                op.execute(f"ALTER TABLE {table} ADD COLUMN {column} DATE")
                op.execute(
                    f"ALTER TABLE {table} ADD COLUMN {column}_precision TEXT "
                    f"CONSTRAINT {name} CHECK ({_precision(column)})"
                )
    op.create_index(op.f("ix_actor_part_of_since"), "actor", ["part_of_since"])
    if dialect == "postgresql":
        op.add_column("sanction", sa.Column("authority_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_sanction_authority_id_actor"), "sanction", "actor", ["authority_id"], ["id"]
        )
    else:
        op.execute(
            "ALTER TABLE sanction ADD COLUMN authority_id INTEGER "
            "CONSTRAINT fk_sanction_authority_id_actor REFERENCES actor (id)"
        )
    op.execute("ALTER TABLE sanction ADD COLUMN programme TEXT")
    op.create_index(op.f("ix_sanction_authority_id"), "sanction", ["authority_id"])


def _drop_target_column(dialect: str) -> None:
    if dialect == "postgresql":
        op.drop_index(op.f("ix_sanction_target_actor_id"), "sanction")
        op.drop_constraint(op.f("fk_sanction_target_actor_id_actor"), "sanction", "foreignkey")
        op.drop_column("sanction", "target_actor_id")
        return
    # SQLite cannot drop a column that a foreign key names: sanction is rebuilt (its
    # triggers go with it and are written again by _history_triggers).
    op.drop_index(op.f("ix_sanction_target_actor_id"), "sanction")
    op.execute("PRAGMA legacy_alter_table = ON")
    with op.batch_alter_table(
        "sanction", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("target_actor_id")
    op.execute("PRAGMA legacy_alter_table = OFF")


# --- history triggers ----------------------------------------------------------------------


def _history_triggers(dialect: str, tables: Sequence[str]) -> None:
    if dialect == "postgresql":
        # to_jsonb(row) holds every column: the triggers of the old tables stay; the function
        # of sanction names what a sanction is about, now its authority.
        for table in tables:
            for statement in R0008._pg_functions(table, ABOUT[table]):
                op.execute(statement)
            if table in NEW_TABLES:
                for statement in R0008._pg_triggers(table):
                    op.execute(statement)
        return
    for table in tables:
        if table not in NEW_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS change_{table}_{event}")
        for statement in R0008._sqlite_triggers(table, COLUMNS[table], ABOUT[table]):
            op.execute(statement)


# --- the data ------------------------------------------------------------------------------


def _move_data(dialect: str) -> None:
    """Targets to ``sanction_target``; authority texts to actors (name or alias, else a new
    actor of kind organization). One change set when anything moved."""
    from factdb.core.keys import name_key

    bind = op.get_bind()
    targets = bind.execute(
        sa.text("SELECT count(*) FROM sanction WHERE target_actor_id IS NOT NULL")
    ).scalar_one()
    authorities = [
        str(row[0])
        for row in bind.execute(
            sa.text("SELECT DISTINCT authority FROM sanction WHERE authority IS NOT NULL")
        )
    ]
    if not targets and not authorities:
        return
    set_id = int(R0008._open_change_set(dialect))
    bind.execute(
        sa.text(
            "INSERT INTO sanction_target (sanction_id, actor_id, created_at) "
            "SELECT id, target_actor_id, created_at FROM sanction "
            "WHERE target_actor_id IS NOT NULL ORDER BY id"
        )
    )
    known: dict[str, int] = {}
    for key, actor_id in bind.execute(sa.text("SELECT name_key, id FROM actor")):
        known[str(key)] = int(actor_id)
    for key, actor_id in bind.execute(sa.text("SELECT alias_key, actor_id FROM actor_alias")):
        known.setdefault(str(key), int(actor_id))
    for authority in sorted(authorities):
        key = name_key(authority)
        if key not in known:
            known[key] = int(
                bind.execute(
                    sa.text(
                        "INSERT INTO actor (name, name_key, kind, created_at) "
                        "VALUES (:name, :key, 'organization', CURRENT_TIMESTAMP) RETURNING id"
                    ),
                    {"name": authority, "key": key},
                ).scalar_one()
            )
        bind.execute(
            sa.text("UPDATE sanction SET authority_id = :actor WHERE authority = :authority"),
            {"actor": known[key], "authority": authority},
        )
    _close_change_set(set_id)


def _close_change_set(set_id: int) -> None:
    import datetime as dt

    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM change_current WHERE set_id = :id"), {"id": set_id})
    moment = dt.datetime.now(dt.UTC)
    at = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    role = (
        bind.execute(sa.text("SELECT current_user")).scalar_one()
        if bind.dialect.name == "postgresql"
        else None
    )
    bind.execute(
        sa.text(
            "INSERT INTO change_set (id, at, user_name, db_role, command, reason) "
            "VALUES (:id, :at, :user, :role, 'factdb db upgrade', :reason)"
        ),
        {
            "id": set_id,
            "at": at,
            "user": os.environ.get("FACTDB_USER") or getpass.getuser(),
            "role": role,
            "reason": "revision 0009: the authorities of sanctions become actors, "
            "and each sanction's target its first target",
        },
    )


# --- views ---------------------------------------------------------------------------------

PARENT_AT = """COALESCE(
        (SELECT m.parent_id FROM actor_membership AS m
         WHERE m.actor_id = {node} AND (m.since IS NULL OR m.since <= {date})
           AND {date} < m.until
         ORDER BY m.until LIMIT 1),
        (SELECT p.part_of_id FROM actor AS p
         WHERE p.id = {node} AND (p.part_of_since IS NULL OR p.part_of_since <= {date})))"""
"""SQL: the parent of actor ``node`` on ``date``: the ended membership whose period holds the
date, else the current parent if the date is not before the membership began
(docs/design.md, Memberships over time)."""

DATED = """dated_edge(child_id, parent_id) AS (
    SELECT id, part_of_id FROM actor WHERE part_of_id IS NOT NULL
    UNION ALL SELECT actor_id, parent_id FROM actor_membership
),
dated(actor_id) AS (
    SELECT x.actor_id FROM (
        SELECT actor_id FROM actor_membership
        UNION SELECT id FROM actor WHERE part_of_since IS NOT NULL
    ) AS x
    UNION
    SELECT e.child_id FROM dated AS d JOIN dated_edge AS e ON e.parent_id = d.actor_id
)"""
"""SQL (CTEs): ``dated``, the actors whose side can depend on the date: those with a
membership that ended or a current one with a start, and every actor below them."""

ASSERTION_SIDE = f"""
CREATE VIEW assertion_side AS
WITH RECURSIVE {DATED},
walk(assertion_id, node, parent, on_date, depth) AS (
    SELECT a.id, a.actor_id, {PARENT_AT.format(node="a.actor_id", date="a.date")}, a.date, 0
    FROM assertion AS a WHERE a.actor_id IN (SELECT actor_id FROM dated)
    UNION ALL
    SELECT w.assertion_id, w.parent, {PARENT_AT.format(node="w.parent", date="w.on_date")},
           w.on_date, w.depth + 1
    FROM walk AS w WHERE w.parent IS NOT NULL AND w.depth < 64
)
SELECT a.id AS assertion_id, a.actor_id AS actor_id, s.actor AS actor, s.kind AS kind,
       s.side_id AS side_id, s.side AS side
FROM assertion AS a JOIN actor_side AS s ON s.actor_id = a.actor_id
WHERE a.actor_id NOT IN (SELECT actor_id FROM dated)
UNION ALL
SELECT a.id, a.actor_id, ac.name, ac.kind, COALESCE(top.node, a.actor_id),
       COALESCE(t.name, ac.name)
FROM assertion AS a
JOIN actor AS ac ON ac.id = a.actor_id
LEFT JOIN walk AS top ON top.assertion_id = a.id AND top.parent IS NULL
LEFT JOIN actor AS t ON t.id = top.node
WHERE a.actor_id IN (SELECT actor_id FROM dated)
"""

ACTOR_PART = """
CREATE VIEW actor_part AS
SELECT a.id AS actor_id, a.name AS actor, p.id AS parent_id, p.name AS parent,
       a.part_of_since AS since, a.part_of_since_precision AS since_precision,
       NULL AS until, NULL AS until_precision, 1 AS current
FROM actor AS a JOIN actor AS p ON p.id = a.part_of_id
UNION ALL
SELECT a.id, a.name, p.id, p.name, m.since, m.since_precision, m.until, m.until_precision, 0
FROM actor_membership AS m
JOIN actor AS a ON a.id = m.actor_id
JOIN actor AS p ON p.id = m.parent_id
"""

SANCTION_CLAIM = """
CREATE VIEW sanction_claim AS
SELECT sanction_id, claim_id, 'alleged violation' AS link FROM claim_sanction
UNION ALL
SELECT sanction_id, claim_id, 'imposed in response' FROM sanction_response
"""

BY_ACTOR = "JOIN actor_side AS {a} ON {a}.actor_id = {row}.actor_id"
BY_ASSERTION = "JOIN assertion_side AS {a} ON {a}.assertion_id = {row}.id"


def _by_assertion(sql: str, *joins: tuple[str, str]) -> str:
    """``sql`` with each join of ``actor_side`` by actor replaced by ``assertion_side`` by
    assertion; a join that is not there is a bug of this revision."""
    for alias, row in joins:
        old = BY_ACTOR.format(a=alias, row=row)
        if old not in sql:
            raise AssertionError(f"revision 0009: {old!r} not in a view")
        sql = sql.replace(old, BY_ASSERTION.format(a=alias, row=row))
    return sql


REVERSED_0001 = """        JOIN actor_side AS xs ON xs.actor_id = x.actor_id
        JOIN actor_side AS ys ON ys.side_id = xs.side_id
        JOIN assertion AS y ON y.actor_id = ys.actor_id AND y.claim_id = x.claim_id"""
REVERSED = """        JOIN assertion_side AS xs ON xs.assertion_id = x.id
        JOIN assertion AS y ON y.claim_id = x.claim_id
        JOIN assertion_side AS ys ON ys.assertion_id = y.id AND ys.side_id = xs.side_id"""


def _claim_summary(dialect: str) -> str:
    sql = str(R0007._claim_summary(dialect))
    if REVERSED_0001 not in sql:
        raise AssertionError("revision 0009: claim_summary's reversal test not found")
    return _by_assertion(sql.replace(REVERSED_0001, REVERSED), ("ac", "a"))


def _views_sql(dialect: str) -> dict[str, str]:
    """The views this revision writes again, by name, in an order that creates each after
    what it reads."""
    return {
        "claim_summary": _claim_summary(dialect),
        "side_flip": _by_assertion(str(R0007._side_flip(dialect)), ("s", "a")),
        "assertion_detail": _by_assertion(str(R0008._assertion_detail(dialect)), ("ac", "a")),
        "assertion_origin": _by_assertion(str(R0008._assertion_origin(dialect)), ("sd", "a")),
    }


def _old_views_sql(dialect: str) -> dict[str, str]:
    return {
        "claim_summary": str(R0007._claim_summary(dialect)),
        "side_flip": str(R0007._side_flip(dialect)),
        "assertion_detail": str(R0008._assertion_detail(dialect)),
        "assertion_origin": str(R0008._assertion_origin(dialect)),
    }


def _replace_views(dialect: str, views: dict[str, str]) -> None:
    """Write the views again, their columns unchanged: PostgreSQL replaces each in place (the
    views reading them stay); SQLite drops and creates (a view is resolved when read)."""
    for name, sql in views.items():
        if dialect == "postgresql":
            op.execute(sql.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1))
        else:
            op.execute(f"DROP VIEW {name}")
            op.execute(sql)


# --- both ----------------------------------------------------------------------------------


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _create_tables()
    _add_columns(dialect)
    _history_triggers(dialect, [*NEW_TABLES, "actor", "actor_alias", "sanction"])
    _move_data(dialect)
    _drop_target_column(dialect)
    op.create_index(op.f("ix_sanction_target_actor_id"), "sanction_target", ["actor_id"])
    if dialect == "sqlite":
        _history_triggers(dialect, ["sanction"])  # the rebuild dropped them
    op.execute(ASSERTION_SIDE)
    op.execute(ACTOR_PART)
    op.execute(SANCTION_CLAIM)
    _replace_views(dialect, _views_sql(dialect))


def _first_targets(first_targets: list[tuple[int, int]]) -> None:
    """0008's one target of each sanction, back in ``sanction.target_actor_id``."""
    op.create_index(op.f("ix_sanction_target_actor_id"), "sanction", ["target_actor_id"])
    for sanction_id, actor_id in first_targets:
        op.get_bind().execute(
            sa.text("UPDATE sanction SET target_actor_id = :actor WHERE id = :id"),
            {"actor": actor_id, "id": sanction_id},
        )


def downgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    kept = bind.execute(
        sa.text(
            "SELECT (SELECT count(*) FROM actor_membership) "
            "+ (SELECT count(*) FROM actor WHERE part_of_since IS NOT NULL) "
            "+ (SELECT count(*) FROM actor_alias WHERE since IS NOT NULL OR until IS NOT NULL) "
            "+ (SELECT count(*) FROM sanction_target WHERE listed IS NOT NULL "
            "   OR delisted IS NOT NULL) "
            "+ (SELECT count(*) FROM (SELECT sanction_id FROM sanction_target "
            "   GROUP BY sanction_id HAVING count(*) > 1) AS many) "
            "+ (SELECT count(*) FROM sanction_response) + (SELECT count(*) FROM external_id) "
            "+ (SELECT count(*) FROM sanction WHERE programme IS NOT NULL)"
        )
    ).scalar_one()
    if kept:
        raise SchemaError(
            f"cannot downgrade below 0009: {kept} membership date(s), alias date(s), "
            "sanction target(s) beyond the first or with dates, response link(s), external "
            "id(s) or programme(s) have no place in revision 0008; nothing changed"
        )
    _replace_views(dialect, _old_views_sql(dialect))
    for view in ("sanction_claim", "actor_part", "assertion_side"):
        op.execute(f"DROP VIEW {view}")
    first_targets = [
        (int(sanction_id), int(actor_id))
        for sanction_id, actor_id in bind.execute(
            sa.text("SELECT sanction_id, actor_id FROM sanction_target ORDER BY sanction_id")
        )
    ]
    for table in NEW_TABLES:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER change_{table}_insert ON {table}")
            op.execute(f"DROP TRIGGER change_{table}_row ON {table}")
            op.execute(f"DROP FUNCTION factdb_change_{table}_insert()")
            op.execute(f"DROP FUNCTION factdb_change_{table}_row()")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER change_{table}_{event}")
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
    if dialect == "postgresql":
        op.add_column("sanction", sa.Column("target_actor_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_sanction_target_actor_id_actor"),
            "sanction",
            "actor",
            ["target_actor_id"],
            ["id"],
        )
        _first_targets(first_targets)
    op.drop_index(op.f("ix_sanction_authority_id"), "sanction")
    op.drop_index(op.f("ix_actor_part_of_since"), "actor")
    if dialect == "postgresql":
        op.drop_constraint(op.f("fk_sanction_authority_id_actor"), "sanction", "foreignkey")
        for column in ("authority_id", "programme"):
            op.drop_column("sanction", column)
        for table, column in (
            ("actor", "part_of_since"),
            ("actor_alias", "since"),
            ("actor_alias", "until"),
        ):
            op.drop_constraint(op.f(f"ck_{table}_{column}_precision"), table, "check")
            op.drop_column(table, f"{column}_precision")
            op.drop_column(table, column)
        for statement in R0008._pg_functions("sanction", SANCTION_ABOUT_0006):
            op.execute(statement)
        return
    for table in ("actor", "actor_alias", "sanction"):
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER change_{table}_{event}")
    op.execute("PRAGMA legacy_alter_table = ON")
    with op.batch_alter_table(
        "sanction", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("authority_id")
        batch.drop_column("programme")
        batch.add_column(sa.Column("target_actor_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_sanction_target_actor_id_actor"), "actor", ["target_actor_id"], ["id"]
        )
    op.execute("PRAGMA legacy_alter_table = OFF")
    _first_targets(first_targets)
    for table, column in (
        ("actor", "part_of_since"),
        ("actor_alias", "since"),
        ("actor_alias", "until"),
    ):
        # The CHECK rides on the precision column: both drop in place.
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}_precision")
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    r0006 = _revision("0006_change_history.py")
    for table in ("actor", "actor_alias", "sanction"):
        for statement in R0008._sqlite_triggers(table, r0006.COLUMNS[table], r0006.ABOUT[table]):
            op.execute(statement)
