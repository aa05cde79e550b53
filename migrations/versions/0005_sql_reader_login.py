"""PostgreSQL: a LOGIN role per database that read-only ``factdb sql`` connects as

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

``SET LOCAL ROLE factdb_reader`` (0002) is no boundary for arbitrary SQL: the statement can
run ``set_config('role', <owner>, true)`` and have the owner's privileges back. Read-only
``factdb sql`` therefore opens a connection of its own that LOGS IN as a role which is member
of no role (NOINHERIT, no attribute but LOGIN) and may only CONNECT, use schema public and
SELECT its tables (also future ones, by default privileges): there is no other role to go back
to (docs/reliability.md, ad-hoc SQL).

Roles belong to the whole server, databases are many: the role is named
``factdb_sql_<database>_<8 random hex>`` and recorded, with its random password, in
``factdb_private.sql_reader``, a table in a schema of its own that only the owner may read. A
database copied with ``CREATE DATABASE … TEMPLATE`` copies that row and the grants, so the copy
shares the role. The password is given to CREATE ROLE as a SCRAM verifier, so statement logs
never show it.

Making a role needs CREATEROLE (or superuser). Without it the role is not made here; the first
read-only ``factdb sql`` of a role that may makes it, and read-only ``factdb sql`` is refused
until then. The downgrade revokes the role's grants in this database and drops it, unless
another database (a copy) still grants it something; then it stays, with a notice.

Two copies downgraded at once can each hold the role's share lock (a view the downgrade
recreates is granted to the role by the default privileges) and then each wait for the other
to drop it: PostgreSQL ends the one that finds the deadlock. That one keeps the role, with a
notice, and commits; the other then drops it, unless a third database still grants it
something.

0002's NOLOGIN ``factdb_reader`` is left as it was: it is shared by every database of the
server that 0002 ran on, it may only SELECT, and nothing logs in as it. No-op on SQLite.
"""

import re
import secrets
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA_UP = [
    "CREATE SCHEMA factdb_private",
    "REVOKE ALL ON SCHEMA factdb_private FROM PUBLIC",
    "CREATE TABLE factdb_private.sql_reader (role text PRIMARY KEY, password text NOT NULL)",
    "REVOKE ALL ON TABLE factdb_private.sql_reader FROM PUBLIC",
]

DOWNGRADE = """
DO $body$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT s.role FROM factdb_private.sql_reader s
             JOIN pg_roles ON pg_roles.rolname = s.role LOOP
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM %I',
                       r.role);
        EXECUTE format('REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM %I', r.role);
        EXECUTE format('REVOKE USAGE ON SCHEMA public FROM %I', r.role);
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM %I', current_database(), r.role);
        BEGIN
            EXECUTE format('DROP ROLE %I', r.role);
        EXCEPTION
            WHEN dependent_objects_still_exist OR insufficient_privilege THEN
                RAISE NOTICE 'factdb: role % is kept: %', r.role, SQLERRM;
            WHEN deadlock_detected THEN
                RAISE NOTICE 'factdb: role % is kept: a database sharing it is dropping it '
                             'at the same time', r.role;
        END;
    END LOOP;
END
$body$
"""


def _make_reader() -> None:
    bind = op.get_bind()
    user, can, database = bind.execute(
        text(
            "SELECT current_user, rolsuper OR rolcreaterole, current_database() "
            "FROM pg_roles WHERE rolname = current_user"
        )
    ).one()
    if not can:
        return  # factdb sql makes it later, run by a role that may (see the docstring)
    slug = re.sub(r"[^a-z0-9_]", "", str(database).lower())[:24]
    role = f"factdb_sql_{slug}_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(24)
    pgconn = bind.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
    verifier = pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
    quoted = '"' + role + '"'
    database_name = '"' + str(database).replace('"', '""') + '"'
    for statement in (
        f"CREATE ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
        f"NOREPLICATION NOBYPASSRLS PASSWORD '{verifier.decode()}'",
        f"ALTER ROLE {quoted} SET default_transaction_read_only = on",
        f"GRANT CONNECT ON DATABASE {database_name} TO {quoted}",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {quoted}",
    ):
        bind.exec_driver_sql(statement)
    bind.execute(
        text("INSERT INTO factdb_private.sql_reader (role, password) VALUES (:r, :p)"),
        {"r": role, "p": password},
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in SCHEMA_UP:
        op.execute(statement)
    _make_reader()


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(DOWNGRADE)
    op.execute("DROP SCHEMA factdb_private CASCADE")
