"""The change history, ids never reused, and assertions that can be corrected and folded

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

**History.** Every insert, update and delete on factdb's tables is written to ``change`` by
the database itself, with triggers, so that a change made through ``factdb sql --write`` or
another SQL client is recorded as surely as one made by a factdb command: the table, the
row's key, the whole row before and after (JSON text), when, and the ids it is about (claim,
actor, source, sanction) so that ``factdb history claim 3`` finds a tag or a via link of
claim 3 as well. PostgreSQL adds the database role.

A bulk import (``factdb import``, ``factdb seed``) is recorded as one change per table it
inserted into instead of one per row: the row count and the range of new ids (``id_from``,
``id_to``), written by factdb at the end of the import (``change_current.bulk`` tells the insert
triggers to stand aside meanwhile). The imported rows hold what was imported; every later
update or delete of them is recorded row by row. One row per imported row would have tripled
the time and the size of a million-row import.

A factdb write transaction says who makes it: it inserts one row into ``change_current``
(its own id for the change set) at its start and deletes it before it commits, so no other
transaction ever sees that row, and a write from another client finds no row there and is
recorded without one. At the end the command writes ``change_set`` (who, which command, why)
if anything changed. ``change`` and ``change_set`` are append-only: a trigger refuses every
UPDATE and DELETE (and TRUNCATE on PostgreSQL).

PostgreSQL writes inserted rows with a statement-level trigger over the transition table (one
INSERT … SELECT per statement, also for ``COPY``), updates and deletes with row-level
triggers. SQLite has row-level triggers only. No change is recorded when an UPDATE leaves the
row as it was.

**Ids never reused.** SQLite gives a new row ``max(id) + 1`` unless the table is declared
``AUTOINCREMENT``: deleting the newest row would let the next one take its id, so a reference
written down last week would point at another record. The tables with an id a user can cite
are rebuilt with ``AUTOINCREMENT`` (their rows and ids kept). PostgreSQL's sequences never go
back.

**Assertions.** ``supersedes_id`` is the assertion a correction replaces (``factdb assertion
correct``); ``folded_into_id`` is the assertion a merged-away duplicate now stands for (``factdb
actor merge``). Both old records are kept, retracted, with their quotes and via chains. So the
natural key is unique among live (unretracted) assertions only.

Downgrade drops the history and the two columns (refusing when a retracted assertion shares
its natural key with another, which the old unique key cannot hold). The tables stay
``AUTOINCREMENT``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from factdb.core.errors import SchemaError

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables and columns as this revision leaves them (frozen: a later revision that changes
# a table writes its triggers again).
COLUMNS: dict[str, list[str]] = {
    "actor": ["id", "name", "name_key", "kind", "part_of_id", "created_at"],
    "actor_alias": ["id", "actor_id", "alias", "alias_key"],
    "claim": ["id", "text", "text_key", "created_at"],
    "claim_tag": ["claim_id", "tag"],
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
    ],
    "assertion_via": ["assertion_id", "position", "actor_id"],
    "sanction": [
        "id",
        "name",
        "name_key",
        "authority",
        "adopted",
        "adopted_precision",
        "target_actor_id",
        "measures",
        "url",
        "created_at",
    ],
    "claim_sanction": ["claim_id", "sanction_id"],
}
ID_TABLES = ["actor", "actor_alias", "claim", "source", "assertion", "sanction"]
KEY_COLUMNS = {
    "claim_tag": ["claim_id", "tag"],
    "assertion_via": ["assertion_id", "position"],
    "claim_sanction": ["claim_id", "sanction_id"],
}
# What a row is about: (claim, actor, source, sanction), each a column of the row, or
# "claim_of_assertion" (a via link's claim is its assertion's), or None.
ABOUT: dict[str, tuple[str | None, str | None, str | None, str | None]] = {
    "actor": (None, "id", None, None),
    "actor_alias": (None, "actor_id", None, None),
    "claim": ("id", None, None, None),
    "claim_tag": ("claim_id", None, None, None),
    "source": (None, None, "id", None),
    "assertion": ("claim_id", "actor_id", "source_id", None),
    "assertion_via": ("claim_of_assertion", "actor_id", None, None),
    "sanction": (None, "target_actor_id", None, "id"),
    "claim_sanction": ("claim_id", None, None, "sanction_id"),
}
APPEND_ONLY = "the change history is append-only"
FORGED = "rows of the change history are written by the change triggers only"

NATURAL_KEY = ["claim_id", "actor_id", "stance", "date", "date_precision", "source_id"]
OLD_UNIQUE = "uq_assertion_claim_id_actor_id_stance_date_date_precision_source_id"
LIVE_UNIQUE = "ux_assertion_live_key"


def _create_history_tables() -> None:
    op.create_table(
        "change_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Text(), nullable=False),
        sa.Column("user_name", sa.Text(), nullable=False),
        sa.Column("db_role", sa.Text(), nullable=True),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_set")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.Text(), nullable=False),
        sa.Column("db_role", sa.Text(), nullable=True),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("op", sa.Text(), nullable=False),
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("sanction_id", sa.Integer(), nullable=True),
        sa.Column("id_from", sa.Integer(), nullable=True),
        sa.Column("id_to", sa.Integer(), nullable=True),
        sa.CheckConstraint("op IN ('insert', 'update', 'delete')", name=op.f("ck_change_op_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change")),
        sqlite_autoincrement=True,
    )
    for column in ("set_id", "claim_id", "actor_id", "source_id", "sanction_id"):
        op.create_index(op.f(f"ix_change_{column}"), "change", [column])
    op.create_table(
        "change_current",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("bulk", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("set_id", name=op.f("pk_change_current")),
    )


# --- SQLite --------------------------------------------------------------------------------


def _sqlite_key(table: str, row: str) -> str:
    columns = KEY_COLUMNS.get(table, ["id"])
    return " || '/' || ".join(f"{row}.{c}" for c in columns)


def _sqlite_about(table: str, row: str) -> list[str]:
    about = []
    for column in ABOUT[table]:
        if column is None:
            about.append("NULL")
        elif column == "claim_of_assertion":
            about.append(f"(SELECT claim_id FROM assertion WHERE id = {row}.assertion_id)")
        else:
            about.append(f"{row}.{column}")
    return about


def _sqlite_json(table: str, row: str) -> str:
    return "json_object(" + ", ".join(f"'{c}', {row}.{c}" for c in COLUMNS[table]) + ")"


def _sqlite_triggers(table: str) -> list[str]:
    insert = (
        "INSERT INTO change (set_id, at, table_name, op, row_key, old, new, claim_id, "
        "actor_id, source_id, sanction_id) VALUES ((SELECT set_id FROM change_current), "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
        f"'{table}', "
    )
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COLUMNS[table])
    return [
        f"CREATE TRIGGER change_{table}_insert AFTER INSERT ON {table} WHEN NOT EXISTS "
        f"(SELECT 1 FROM change_current WHERE bulk <> 0) BEGIN {insert}"
        f"'insert', {_sqlite_key(table, 'NEW')}, NULL, {_sqlite_json(table, 'NEW')}, "
        f"{', '.join(_sqlite_about(table, 'NEW'))}); END",
        f"CREATE TRIGGER change_{table}_update AFTER UPDATE ON {table} WHEN {changed} BEGIN "
        f"{insert}'update', {_sqlite_key(table, 'NEW')}, {_sqlite_json(table, 'OLD')}, "
        f"{_sqlite_json(table, 'NEW')}, {', '.join(_sqlite_about(table, 'NEW'))}); END",
        f"CREATE TRIGGER change_{table}_delete AFTER DELETE ON {table} BEGIN {insert}"
        f"'delete', {_sqlite_key(table, 'OLD')}, {_sqlite_json(table, 'OLD')}, NULL, "
        f"{', '.join(_sqlite_about(table, 'OLD'))}); END",
    ]


def _sqlite_triggers_on(tables: list[str]) -> list[str]:
    """The SQL of the triggers on ``tables``, to create them again after a rebuild."""
    rows = op.get_bind().execute(
        sa.text(
            "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name NOT LIKE 'change%' ORDER BY name"
        )
    )
    return [str(sql) for table, sql in rows if table in tables]


def _sqlite_upgrade() -> None:
    # The views (0001) name these tables: SQLite would check them while a rebuilt table is
    # renamed into place, before the name they mean exists again. The legacy rename leaves
    # them alone, and they are valid again once the rename is done.
    op.execute("PRAGMA legacy_alter_table = ON")
    triggers = _sqlite_triggers_on(ID_TABLES)
    for table in ID_TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            if table == "assertion":
                batch.drop_constraint(OLD_UNIQUE, type_="unique")
                batch.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
                batch.add_column(sa.Column("folded_into_id", sa.Integer(), nullable=True))
                batch.create_foreign_key(
                    op.f("fk_assertion_supersedes_id_assertion"),
                    "assertion",
                    ["supersedes_id"],
                    ["id"],
                )
                batch.create_foreign_key(
                    op.f("fk_assertion_folded_into_id_assertion"),
                    "assertion",
                    ["folded_into_id"],
                    ["id"],
                )
    op.execute("PRAGMA legacy_alter_table = OFF")
    # Rebuilding a table drops its triggers (0001's name checks, 0003's full-text index).
    for statement in triggers:
        op.execute(statement)
    _create_history_tables()
    for table in COLUMNS:
        for statement in _sqlite_triggers(table):
            op.execute(statement)
    for table in ("change", "change_set"):
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_append_only_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def _sqlite_downgrade() -> None:
    for table in ("change", "change_set"):
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_append_only_{event}")
    for table in COLUMNS:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER change_{table}_{event}")


# --- PostgreSQL ----------------------------------------------------------------------------


def _pg_about(table: str) -> str:
    parts = []
    for column in ABOUT[table]:
        if column is None:
            parts.append("NULL::integer")
        elif column == "claim_of_assertion":
            parts.append(
                "(SELECT a.claim_id FROM assertion a WHERE a.id = (j->>'assertion_id')::integer)"
            )
        else:
            parts.append(f"(j->>'{column}')::integer")
    return ", ".join(parts)


def _pg_key(table: str) -> str:
    return " || '/' || ".join(f"(j->>'{c}')" for c in KEY_COLUMNS.get(table, ["id"]))


PG_NOW = "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"


def _pg_functions(table: str) -> list[str]:
    """Per table: a statement-level function for inserts (over the transition table) and a
    row-level one for updates and deletes."""
    select = (
        "SELECT (SELECT set_id FROM change_current LIMIT 1), "
        f"{PG_NOW}, current_user, '{table}', {{op}}, {_pg_key(table)}, {{old}}, {{new}}, "
        f"{_pg_about(table)}"
    )
    columns = (
        "INSERT INTO change (set_id, at, db_role, table_name, op, row_key, old, new, "
        "claim_id, actor_id, source_id, sanction_id) "
    )
    return [
        f"""CREATE FUNCTION factdb_change_{table}_insert() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN
            IF EXISTS (SELECT 1 FROM change_current WHERE bulk <> 0) THEN RETURN NULL; END IF;
            {columns}
            {select.format(op="'insert'", old="NULL", new="j::text")}
            FROM (SELECT to_jsonb(r) AS j FROM new_rows r) AS rows;
            RETURN NULL;
        END $$""",
        f"""CREATE FUNCTION factdb_change_{table}_row() RETURNS trigger
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
        f"CREATE TRIGGER change_{table}_insert AFTER INSERT ON {table} "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION factdb_change_{table}_insert()",
        f"CREATE TRIGGER change_{table}_row AFTER UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION factdb_change_{table}_row()",
    ]


def _pg_upgrade() -> None:
    # PostgreSQL cut the constraint's name to 63 characters (SQLAlchemy's truncation).
    (name,) = [
        c["name"]
        for c in sa.inspect(op.get_bind()).get_unique_constraints("assertion")
        if c["column_names"] == NATURAL_KEY
    ]
    op.drop_constraint(name, "assertion", type_="unique")
    op.add_column("assertion", sa.Column("supersedes_id", sa.Integer(), nullable=True))
    op.add_column("assertion", sa.Column("folded_into_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_assertion_supersedes_id_assertion"),
        "assertion",
        "assertion",
        ["supersedes_id"],
        ["id"],
    )
    op.create_foreign_key(
        op.f("fk_assertion_folded_into_id_assertion"),
        "assertion",
        "assertion",
        ["folded_into_id"],
        ["id"],
    )
    _create_history_tables()
    for table in COLUMNS:
        for statement in _pg_functions(table):
            op.execute(statement)
    op.execute(
        f"""CREATE FUNCTION factdb_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"""
    )
    # A row of ``change`` comes from the triggers above, never from a statement (depth 0),
    # but for the summary of a bulk import, which factdb writes itself.
    op.execute(
        f"""CREATE FUNCTION factdb_change_by_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF pg_trigger_depth() < 2
                AND NOT EXISTS (SELECT 1 FROM change_current WHERE bulk <> 0) THEN
                RAISE EXCEPTION '{FORGED}';
            END IF;
            RETURN NEW;
        END $$"""
    )
    op.execute(
        "CREATE TRIGGER change_by_trigger_only BEFORE INSERT ON change FOR EACH ROW "
        "EXECUTE FUNCTION factdb_change_by_trigger()"
    )
    for table in ("change", "change_set"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION factdb_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION factdb_append_only()"
        )


def _pg_downgrade() -> None:
    for table in COLUMNS:
        op.execute(f"DROP TRIGGER change_{table}_insert ON {table}")
        op.execute(f"DROP TRIGGER change_{table}_row ON {table}")
        op.execute(f"DROP FUNCTION factdb_change_{table}_insert()")
        op.execute(f"DROP FUNCTION factdb_change_{table}_row()")
    for table in ("change", "change_set"):
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION factdb_append_only()")
    op.execute("DROP TRIGGER change_by_trigger_only ON change")
    op.execute("DROP FUNCTION factdb_change_by_trigger()")


# --- both ----------------------------------------------------------------------------------


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()
    op.create_index(
        LIVE_UNIQUE,
        "assertion",
        NATURAL_KEY,
        unique=True,
        sqlite_where=sa.text("retracted_at IS NULL"),
        postgresql_where=sa.text("retracted_at IS NULL"),
    )


def downgrade() -> None:
    bind = op.get_bind()
    twins = bind.execute(
        sa.text(
            f"SELECT count(*) FROM (SELECT 1 FROM assertion GROUP BY {', '.join(NATURAL_KEY)} "
            "HAVING count(*) > 1) AS t"
        )
    ).scalar_one()
    if twins:
        raise SchemaError(
            f"cannot downgrade below 0006: {twins} natural key(s) are held by more than one assertion "
            "(a correction or a merge kept both); revision 0005 allows one; nothing changed"
        )
    if bind.dialect.name == "postgresql":
        _pg_downgrade()
    else:
        _sqlite_downgrade()
    op.drop_index(LIVE_UNIQUE, "assertion")
    op.drop_table("change_current")
    op.drop_table("change")
    op.drop_table("change_set")
    sqlite = bind.dialect.name != "postgresql"
    if sqlite:
        op.execute("PRAGMA legacy_alter_table = ON")
        triggers = _sqlite_triggers_on(["assertion"])
    with op.batch_alter_table("assertion") as batch:
        batch.drop_constraint(op.f("fk_assertion_folded_into_id_assertion"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_assertion_supersedes_id_assertion"), type_="foreignkey")
        batch.drop_column("folded_into_id")
        batch.drop_column("supersedes_id")
        batch.create_unique_constraint(op.f(OLD_UNIQUE), NATURAL_KEY)
    if sqlite:
        op.execute("PRAGMA legacy_alter_table = OFF")
        for statement in triggers:  # the batch rebuilt assertion
            op.execute(statement)
