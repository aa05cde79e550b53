"""Weighing the evidence: claim relations, outlets as actors, ratings, qualified stances,
approximate dates, and the origin of every assertion

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

* ``claim_relation`` (new): a claim is part of, implies, contradicts or is the same as another.
  The symmetric kinds are stored once, the lower id first (a CHECK holds it).
* ``rating`` (new): a source-reliability grade (A–F) of an actor, or an information-credibility
  grade (1–6) of an assertion, with who, when and why. Appended; the newest counts; a rating
  without a grade withdraws the one before.
* ``assertion`` gains ``qualifier`` (partial, conditional, hedged), ``qualifier_note`` and
  ``date_approximate``; ``source`` gains ``outlet_id``, the outlet as an actor. Added with
  ``ALTER TABLE … ADD COLUMN``: no table is rebuilt, so a large database upgrades in moments.
* **Outlets become actors.** Each distinct outlet text is matched to the actor of that name or
  alias (the same keys as ``factdb add``); an outlet that matches none becomes a new actor of
  kind ``media``. The outlet text stays on the source as given. The new actors and links are
  recorded in the change history as one change set, ``factdb db upgrade`` (0008).
* Views: ``claim_related`` (every relation from both ends, ``part of`` / ``has part``),
  ``claim_part`` (every part of a claim through any chain of ``part_of``), ``rating_current`` (each rated record's grade now), ``assertion_origin`` (every
  assertion's origin: its speaker, its date as given and the first relay of its chain),
  ``side_corroboration`` and ``claim_corroboration`` (assertions, independent origins and
  distinct outlets per side and per position), and ``assertion_detail`` with the new columns
  last and its ``date`` as given (``~2022-10`` when approximate) (docs/design.md, Origins and corroboration).
* The history triggers of 0006 name their table's columns (SQLite): those of ``assertion`` and
  ``source`` are written again, and the new tables get theirs.

The SQL is written out here, frozen. Downgrade refuses while a relation or a rating exists or
an assertion is qualified or approximate (revision 0007 has no place for them); the actors
made from outlets stay.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from factdb.core.errors import SchemaError

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POLARITY_SQL = (
    "CASE a.stance WHEN 'asserts' THEN 2 WHEN 'supports' THEN 1 WHEN 'neutral' THEN 0 "
    "WHEN 'disputes' THEN -1 WHEN 'denies' THEN -2 END"
)
QUALIFIERS = ("partial", "conditional", "hedged")
RELATION_KINDS = ("part_of", "implies", "contradicts", "same_as")
DIRECTED = ("part_of", "implies")
RELIABILITY = ("A", "B", "C", "D", "E", "F")
CREDIBILITY = ("1", "2", "3", "4", "5", "6")

# The columns of the tables whose history triggers this revision writes (frozen).
COLUMNS: dict[str, list[str]] = {
    "source": [
        "id",
        "url",
        "key",
        "outlet",
        "title",
        "published",
        "published_precision",
        "updated",
        "updated_precision",
        "created_at",
        "outlet_id",
    ],
    "assertion": [
        "id",
        "claim_id",
        "actor_id",
        "stance",
        "date",
        "date_precision",
        "source_id",
        "quote",
        "recorded_at",
        "retracted_at",
        "retraction_reason",
        "supersedes_id",
        "folded_into_id",
        "qualifier",
        "qualifier_note",
        "date_approximate",
    ],
    "claim_relation": ["id", "claim_id", "kind", "other_claim_id", "created_at"],
    "rating": ["id", "actor_id", "assertion_id", "grade", "rated_by", "rated_at", "reason"],
}
# What a row is about (claim, actor, source, sanction), as in 0006.
About = tuple[str | None, str | None, str | None, str | None]
ABOUT: dict[str, About] = {
    "source": (None, "outlet_id", "id", None),
    "assertion": ("claim_id", "actor_id", "source_id", None),
    "claim_relation": ("claim_id", None, None, None),
    "rating": ("claim_of_assertion", "actor_id", None, None),
}
NEW_TABLES = ["claim_relation", "rating"]


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _date_text(dialect: str, alias: str) -> str:
    if dialect == "postgresql":
        return (
            f"CASE {alias}.date_precision WHEN 'year' THEN to_char({alias}.date, 'YYYY') "
            f"WHEN 'month' THEN to_char({alias}.date, 'YYYY-MM') "
            f"ELSE to_char({alias}.date, 'YYYY-MM-DD') END"
        )
    return (
        f"CASE {alias}.date_precision WHEN 'year' THEN substr({alias}.date, 1, 4) "
        f"WHEN 'month' THEN substr({alias}.date, 1, 7) ELSE {alias}.date END"
    )


# --- tables --------------------------------------------------------------------------------


def _create_tables() -> None:
    op.create_table(
        "claim_relation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("other_claim_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_in("kind", RELATION_KINDS), name=op.f("ck_claim_relation_kind_valid")),
        sa.CheckConstraint("claim_id <> other_claim_id", name=op.f("ck_claim_relation_not_itself")),
        sa.CheckConstraint(
            f"{_in('kind', DIRECTED)} OR claim_id < other_claim_id",
            name=op.f("ck_claim_relation_symmetric_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_claim_relation_claim_id_claim")
        ),
        sa.ForeignKeyConstraint(
            ["other_claim_id"], ["claim.id"], name=op.f("fk_claim_relation_other_claim_id_claim")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_relation")),
        sa.UniqueConstraint(
            "claim_id",
            "kind",
            "other_claim_id",
            name=op.f("uq_claim_relation_claim_id_kind_other_claim_id"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_claim_relation_other_claim_id"), "claim_relation", ["other_claim_id"])
    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("assertion_id", sa.Integer(), nullable=True),
        sa.Column("grade", sa.Text(), nullable=True),
        sa.Column("rated_by", sa.Text(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(actor_id IS NOT NULL AND assertion_id IS NULL "
            f"AND (grade IS NULL OR {_in('grade', RELIABILITY)})) OR "
            "(assertion_id IS NOT NULL AND actor_id IS NULL "
            f"AND (grade IS NULL OR {_in('grade', CREDIBILITY)}))",
            name=op.f("ck_rating_grade_fits_target"),
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["actor.id"], name=op.f("fk_rating_actor_id_actor")),
        sa.ForeignKeyConstraint(
            ["assertion_id"], ["assertion.id"], name=op.f("fk_rating_assertion_id_assertion")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_rating_actor_id"), "rating", ["actor_id"])
    op.create_index(op.f("ix_rating_assertion_id"), "rating", ["assertion_id"])


def _add_columns(dialect: str) -> None:
    qualifier_check = f"qualifier IS NULL OR {_in('qualifier', QUALIFIERS)}"
    if dialect == "postgresql":
        op.add_column("assertion", sa.Column("qualifier", sa.Text(), nullable=True))
        op.add_column("assertion", sa.Column("qualifier_note", sa.Text(), nullable=True))
        op.add_column(
            "assertion",
            sa.Column("date_approximate", sa.Boolean(), server_default=sa.false(), nullable=False),
        )
        op.create_check_constraint(
            op.f("ck_assertion_qualifier_valid"), "assertion", qualifier_check
        )
        op.add_column("source", sa.Column("outlet_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_source_outlet_id_actor"), "source", "actor", ["outlet_id"], ["id"]
        )
    else:
        # ADD COLUMN keeps the table (and its triggers); SQLite accepts a CHECK and a
        # REFERENCES clause on an added column whose default is NULL.
        op.execute(
            "ALTER TABLE assertion ADD COLUMN qualifier TEXT "
            f"CONSTRAINT ck_assertion_qualifier_valid CHECK ({qualifier_check})"
        )
        op.execute("ALTER TABLE assertion ADD COLUMN qualifier_note TEXT")
        op.execute("ALTER TABLE assertion ADD COLUMN date_approximate BOOLEAN DEFAULT 0 NOT NULL")
        op.execute(
            "ALTER TABLE source ADD COLUMN outlet_id INTEGER "
            "CONSTRAINT fk_source_outlet_id_actor REFERENCES actor (id)"
        )
    op.create_index(op.f("ix_source_outlet_id"), "source", ["outlet_id"])


# --- outlets become actors -----------------------------------------------------------------


def _outlets_to_actors(dialect: str) -> None:
    """Match every outlet text to an actor by name or alias, creating a media actor where
    none matches; recorded as one change set."""
    from factdb.core.keys import name_key

    bind = op.get_bind()
    outlets = [
        str(row[0])
        for row in bind.execute(
            sa.text("SELECT DISTINCT outlet FROM source WHERE outlet IS NOT NULL ORDER BY 1")
        )
    ]
    if not outlets:
        return
    set_id = _open_change_set(dialect)
    known: dict[str, int] = {}
    for key, actor_id in bind.execute(sa.text("SELECT name_key, id FROM actor")):
        known[str(key)] = int(actor_id)
    for key, actor_id in bind.execute(sa.text("SELECT alias_key, actor_id FROM actor_alias")):
        known.setdefault(str(key), int(actor_id))
    for outlet in outlets:
        key = name_key(outlet)
        if key not in known:
            known[key] = int(
                bind.execute(
                    sa.text(
                        "INSERT INTO actor (name, name_key, kind, created_at) "
                        "VALUES (:name, :key, 'media', CURRENT_TIMESTAMP) RETURNING id"
                    ),
                    {"name": outlet, "key": key},
                ).scalar_one()
            )
        bind.execute(
            sa.text("UPDATE source SET outlet_id = :actor WHERE outlet = :outlet"),
            {"actor": known[key], "outlet": outlet},
        )
    _close_change_set(set_id)


def _open_change_set(dialect: str) -> int:
    bind = op.get_bind()
    if dialect == "postgresql":
        set_id = int(
            bind.execute(
                sa.text("SELECT nextval(pg_get_serial_sequence('change_set', 'id'))")
            ).scalar_one()
        )
    else:
        set_id = int(
            bind.execute(
                sa.text(
                    "SELECT max(coalesce((SELECT max(id) FROM change_set), 0), coalesce("
                    "(SELECT seq FROM sqlite_sequence WHERE name = 'change_set'), 0)) + 1"
                )
            ).scalar_one()
        )
    bind.execute(
        sa.text("INSERT INTO change_current (set_id, bulk) VALUES (:id, 0)"), {"id": set_id}
    )
    return set_id


def _close_change_set(set_id: int) -> None:
    import datetime as dt

    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM change_current WHERE set_id = :id"), {"id": set_id})
    moment = dt.datetime.now(dt.UTC)
    at = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    user = os.environ.get("FACTDB_USER") or getpass.getuser()
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
            "user": user,
            "role": role,
            "reason": "revision 0008: the outlets of sources become actors",
        },
    )


# --- history triggers ----------------------------------------------------------------------


def _sqlite_about(about_columns: About, row: str) -> list[str]:
    about = []
    for column in about_columns:
        if column is None:
            about.append("NULL")
        elif column == "claim_of_assertion":
            about.append(f"(SELECT claim_id FROM assertion WHERE id = {row}.assertion_id)")
        else:
            about.append(f"{row}.{column}")
    return about


def _sqlite_json(columns: list[str], row: str) -> str:
    return "json_object(" + ", ".join(f"'{c}', {row}.{c}" for c in columns) + ")"


def _sqlite_triggers(
    table: str, columns: list[str] | None = None, about: About | None = None
) -> list[str]:
    columns = columns or COLUMNS[table]
    about = about or ABOUT[table]
    insert = (
        "INSERT INTO change (set_id, at, table_name, op, row_key, old, new, claim_id, "
        "actor_id, source_id, sanction_id) VALUES ((SELECT set_id FROM change_current), "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
        f"'{table}', "
    )
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    return [
        f"CREATE TRIGGER change_{table}_insert AFTER INSERT ON {table} WHEN NOT EXISTS "
        f"(SELECT 1 FROM change_current WHERE bulk <> 0) BEGIN {insert}"
        f"'insert', NEW.id, NULL, {_sqlite_json(columns, 'NEW')}, "
        f"{', '.join(_sqlite_about(about, 'NEW'))}); END",
        f"CREATE TRIGGER change_{table}_update AFTER UPDATE ON {table} WHEN {changed} BEGIN "
        f"{insert}'update', NEW.id, {_sqlite_json(columns, 'OLD')}, "
        f"{_sqlite_json(columns, 'NEW')}, {', '.join(_sqlite_about(about, 'NEW'))}); END",
        f"CREATE TRIGGER change_{table}_delete AFTER DELETE ON {table} BEGIN {insert}"
        f"'delete', OLD.id, {_sqlite_json(columns, 'OLD')}, NULL, "
        f"{', '.join(_sqlite_about(about, 'OLD'))}); END",
    ]


PG_NOW = "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"


def _pg_about(about: About) -> str:
    parts = []
    for column in about:
        if column is None:
            parts.append("NULL::integer")
        elif column == "claim_of_assertion":
            parts.append(
                "(SELECT a.claim_id FROM assertion a WHERE a.id = (j->>'assertion_id')::integer)"
            )
        else:
            parts.append(f"(j->>'{column}')::integer")
    return ", ".join(parts)


def _pg_functions(table: str, about: About | None = None) -> list[str]:
    """As 0006: a statement-level function for inserts, a row-level one for the rest."""
    select = (
        "SELECT (SELECT set_id FROM change_current LIMIT 1), "
        f"{PG_NOW}, current_user, '{table}', {{op}}, (j->>'id'), {{old}}, {{new}}, "
        f"{_pg_about(about or ABOUT[table])}"
    )
    columns = (
        "INSERT INTO change (set_id, at, db_role, table_name, op, row_key, old, new, "
        "claim_id, actor_id, source_id, sanction_id) "
    )
    return [
        f"""CREATE OR REPLACE FUNCTION factdb_change_{table}_insert() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN
            IF EXISTS (SELECT 1 FROM change_current WHERE bulk <> 0) THEN RETURN NULL; END IF;
            {columns}
            {select.format(op="'insert'", old="NULL", new="j::text")}
            FROM (SELECT to_jsonb(r) AS j FROM new_rows r) AS rows;
            RETURN NULL;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION factdb_change_{table}_row() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE o jsonb; n jsonb; j jsonb;
        BEGIN
            IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD); END IF;
            IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW); END IF;
            IF TG_OP = 'UPDATE' AND o = n THEN RETURN NULL; END IF;
            j := coalesce(n, o);
            {columns}
            {select.format(op="lower(TG_OP)", old="o::text", new="n::text")};
            RETURN NULL;
        END $$""",
    ]


def _pg_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER change_{table}_insert AFTER INSERT ON {table} "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION factdb_change_{table}_insert()",
        f"CREATE TRIGGER change_{table}_row AFTER UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION factdb_change_{table}_row()",
    ]


def _history_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        # to_jsonb(row) holds every column: the triggers of assertion and source stay; the
        # function of source names what a source is about, now its outlet as well.
        for table in COLUMNS:
            for statement in _pg_functions(table):
                op.execute(statement)
        for table in NEW_TABLES:
            for statement in _pg_triggers(table):
                op.execute(statement)
        return
    for table in ("source", "assertion"):
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER change_{table}_{event}")
    for table in COLUMNS:
        for statement in _sqlite_triggers(table):
            op.execute(statement)


# --- views ---------------------------------------------------------------------------------


def _assertion_detail(dialect: str) -> str:
    published_text = _date_text(dialect, "s").replace("s.date_precision", "s.published_precision")
    published_text = published_text.replace("s.date", "s.published")
    if dialect == "postgresql":
        via = (
            "(SELECT string_agg(va.name, '; ' ORDER BY v.position) FROM assertion_via AS v "
            "JOIN actor AS va ON va.id = v.actor_id WHERE v.assertion_id = a.id)"
        )
    else:
        via = (
            "(SELECT group_concat(name, '; ') FROM (SELECT va.name AS name "
            "FROM assertion_via AS v JOIN actor AS va ON va.id = v.actor_id "
            "WHERE v.assertion_id = a.id ORDER BY v.position))"
        )
    return f"""
CREATE VIEW assertion_detail AS
SELECT
    a.id AS assertion_id,
    a.claim_id AS claim_id,
    c.text AS claim,
    a.actor_id AS actor_id,
    ac.actor AS actor,
    ac.kind AS actor_kind,
    ac.side_id AS side_id,
    ac.side AS side,
    a.stance AS stance,
    {POLARITY_SQL} AS polarity,
    CASE WHEN a.date_approximate THEN '~' ELSE '' END || {_date_text(dialect, "a")} AS date,
    a.date AS date_start,
    a.date_precision AS date_precision,
    a.source_id AS source_id,
    s.url AS source_url,
    s.outlet AS outlet,
    s.title AS source_title,
    {published_text} AS source_published,
    {via} AS via,
    a.quote AS quote,
    a.recorded_at AS recorded_at,
    a.retracted_at AS retracted_at,
    a.retraction_reason AS retraction_reason,
    a.qualifier AS qualifier,
    a.qualifier_note AS qualifier_note,
    a.date_approximate AS date_approximate,
    s.outlet_id AS outlet_id,
    (SELECT r.grade FROM rating_current AS r WHERE r.actor_id = s.outlet_id) AS outlet_reliability,
    (SELECT r.grade FROM rating_current AS r WHERE r.assertion_id = a.id) AS credibility
FROM assertion AS a
JOIN claim AS c ON c.id = a.claim_id
JOIN actor_side AS ac ON ac.actor_id = a.actor_id
JOIN source AS s ON s.id = a.source_id
"""


RATING_CURRENT = """
CREATE VIEW rating_current AS
SELECT r.id AS rating_id, r.actor_id, r.assertion_id, r.grade, r.rated_by, r.rated_at, r.reason
FROM rating AS r
WHERE r.grade IS NOT NULL AND r.id = (
    SELECT max(n.id) FROM rating AS n
    WHERE (n.actor_id = r.actor_id) OR (n.assertion_id = r.assertion_id)
)
"""


def _assertion_origin(dialect: str) -> str:
    date = _date_text(dialect, "a")
    return f"""
CREATE VIEW assertion_origin AS
SELECT
    a.id AS assertion_id,
    a.claim_id AS claim_id,
    a.actor_id AS speaker_id,
    {date} AS date,
    v.actor_id AS first_relay_id,
    CAST(a.actor_id AS TEXT) || '/' || {date} || '/'
        || COALESCE(CAST(v.actor_id AS TEXT), '-') AS origin,
    s.outlet_id AS outlet_id,
    sd.side_id AS side_id,
    sd.side AS side,
    CASE WHEN {POLARITY_SQL} > 0 THEN 'for' WHEN {POLARITY_SQL} < 0 THEN 'against'
         ELSE 'neutral' END AS position,
    a.retracted_at AS retracted_at
FROM assertion AS a
JOIN source AS s ON s.id = a.source_id
JOIN actor_side AS sd ON sd.actor_id = a.actor_id
LEFT JOIN assertion_via AS v ON v.assertion_id = a.id AND v.position = 1
"""


SIDE_CORROBORATION = """
CREATE VIEW side_corroboration AS
SELECT
    o.claim_id, o.position, o.side_id, o.side,
    COUNT(*) AS assertions,
    COUNT(DISTINCT o.origin) AS origins,
    COUNT(DISTINCT o.outlet_id) AS outlets
FROM assertion_origin AS o
WHERE o.retracted_at IS NULL
GROUP BY o.claim_id, o.position, o.side_id, o.side
"""


def _claim_corroboration() -> str:
    columns = []
    for position in ("for", "neutral", "against"):
        when = f"CASE WHEN o.position = '{position}' THEN"
        columns += [
            f"COALESCE(SUM({when} 1 ELSE 0 END), 0) AS {position}_assertions",
            f"COUNT(DISTINCT {when} o.origin END) AS {position}_origins",
            f"COUNT(DISTINCT {when} o.outlet_id END) AS {position}_outlets",
        ]
    joined = ",\n    ".join(columns)
    return f"""
CREATE VIEW claim_corroboration AS
SELECT
    c.id AS claim_id,
    {joined}
FROM claim AS c
LEFT JOIN assertion_origin AS o ON o.claim_id = c.id AND o.retracted_at IS NULL
GROUP BY c.id
"""


CLAIM_RELATED = """
CREATE VIEW claim_related AS
SELECT r.id AS relation_id, r.claim_id AS claim_id, r.kind AS kind,
       CASE r.kind WHEN 'part_of' THEN 'part of' WHEN 'implies' THEN 'implies'
            WHEN 'contradicts' THEN 'contradicts' ELSE 'same as' END AS relation,
       r.other_claim_id AS related_claim_id
FROM claim_relation AS r
UNION ALL
SELECT r.id, r.other_claim_id, r.kind,
       CASE r.kind WHEN 'part_of' THEN 'has part' WHEN 'implies' THEN 'implied by'
            WHEN 'contradicts' THEN 'contradicts' ELSE 'same as' END,
       r.claim_id
FROM claim_relation AS r
"""

CLAIM_PART = """
CREATE VIEW claim_part AS
WITH RECURSIVE parts(whole_id, part_id, depth) AS (
    SELECT other_claim_id, claim_id, 1 FROM claim_relation WHERE kind = 'part_of'
    UNION ALL
    SELECT parts.whole_id, r.claim_id, parts.depth + 1
    FROM parts JOIN claim_relation AS r ON r.kind = 'part_of' AND r.other_claim_id = parts.part_id
    WHERE parts.depth < 100
)
SELECT whole_id, part_id, MIN(depth) AS depth FROM parts GROUP BY whole_id, part_id
"""


def _views(dialect: str) -> None:
    op.execute(CLAIM_RELATED)
    op.execute(CLAIM_PART)
    op.execute("DROP VIEW assertion_detail")
    op.execute(RATING_CURRENT)
    op.execute(_assertion_detail(dialect))
    op.execute(_assertion_origin(dialect))
    op.execute(SIDE_CORROBORATION)
    op.execute(_claim_corroboration())


# --- both ----------------------------------------------------------------------------------


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _create_tables()
    _add_columns(dialect)
    _history_triggers(dialect)
    _views(dialect)
    _outlets_to_actors(dialect)


def downgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    kept = bind.execute(
        sa.text(
            "SELECT (SELECT count(*) FROM claim_relation) + (SELECT count(*) FROM rating) "
            "+ (SELECT count(*) FROM assertion WHERE qualifier IS NOT NULL "
            "OR qualifier_note IS NOT NULL OR date_approximate)"
        )
    ).scalar_one()
    if kept:
        raise SchemaError(
            f"cannot downgrade below 0008: {kept} relation(s), rating(s) or qualified or "
            "approximate assertion(s) have no place in revision 0007; nothing changed"
        )
    for view in (
        "claim_part",
        "claim_related",
        "claim_corroboration",
        "side_corroboration",
        "assertion_origin",
        "assertion_detail",
        "rating_current",
    ):
        op.execute(f"DROP VIEW {view}")
    _restore_0001_assertion_detail(dialect)
    if dialect == "postgresql":
        for table in NEW_TABLES:
            op.execute(f"DROP TRIGGER change_{table}_insert ON {table}")
            op.execute(f"DROP TRIGGER change_{table}_row ON {table}")
            op.execute(f"DROP FUNCTION factdb_change_{table}_insert()")
            op.execute(f"DROP FUNCTION factdb_change_{table}_row()")
    else:
        for table in COLUMNS:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER change_{table}_{event}")
    op.drop_table("rating")
    op.drop_table("claim_relation")
    op.drop_index(op.f("ix_source_outlet_id"), "source")
    if dialect == "postgresql":
        op.drop_constraint(op.f("fk_source_outlet_id_actor"), "source", type_="foreignkey")
        op.drop_constraint(op.f("ck_assertion_qualifier_valid"), "assertion", type_="check")
        op.drop_column("source", "outlet_id")
    else:
        # SQLite cannot drop a column that a foreign key names: source is rebuilt.
        op.execute("PRAGMA legacy_alter_table = ON")
        with op.batch_alter_table(
            "source", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            batch.drop_column("outlet_id")
        op.execute("PRAGMA legacy_alter_table = OFF")
    for column in ("date_approximate", "qualifier_note", "qualifier"):
        # SQLite drops these in place: the CHECK of qualifier is on the column itself.
        op.execute(f"ALTER TABLE assertion DROP COLUMN {column}")
    _restore_0006_triggers(dialect)


def _restore_0001_assertion_detail(dialect: str) -> None:
    sql = _assertion_detail(dialect).replace(
        "CASE WHEN a.date_approximate THEN '~' ELSE '' END || ", ""
    )
    head, _, _ = sql.partition("    a.qualifier AS qualifier,")
    rest = sql.partition("FROM assertion AS a\n")[2]
    op.execute(head.rstrip().rstrip(",") + "\nFROM assertion AS a\n" + rest)


SOURCE_ABOUT_0006: About = (None, None, "id", None)


def _restore_0006_triggers(dialect: str) -> None:
    """The history triggers of source and assertion as 0006 wrote them."""
    if dialect == "postgresql":
        for statement in _pg_functions("source", SOURCE_ABOUT_0006):
            op.execute(statement)
        return
    new = {"outlet_id", "qualifier", "qualifier_note", "date_approximate"}
    for table in ("source", "assertion"):
        columns = [c for c in COLUMNS[table] if c not in new]
        about = SOURCE_ABOUT_0006 if table == "source" else ABOUT[table]
        for statement in _sqlite_triggers(table, columns, about):
            op.execute(statement)
