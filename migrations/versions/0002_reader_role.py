"""PostgreSQL: the SELECT-only role that ``factdb sql`` switches to

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

A read-only transaction does not stop ``COPY … TO`` a server file or ``pg_read_file`` for a
privileged user (docs/reliability.md, ad-hoc SQL); ``factdb sql`` therefore runs read-only queries as
``factdb_reader``, which may only SELECT. Roles belong to the whole server: the role is
created once and granted to the migrating user; without the CREATEROLE privilege the step is
skipped with a notice and ``factdb sql`` relies on the read-only transaction alone.
No-op on SQLite.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
DO $body$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'factdb_reader') THEN
        CREATE ROLE factdb_reader NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
    END IF;
    IF NOT pg_has_role(current_user, 'factdb_reader', 'MEMBER') THEN
        EXECUTE format('GRANT factdb_reader TO %I', current_user);
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO factdb_reader', current_database());
    GRANT USAGE ON SCHEMA public TO factdb_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO factdb_reader;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO factdb_reader;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'factdb: cannot create or grant role factdb_reader (%); factdb sql will '
        'rely on read-only transactions', SQLERRM;
END
$body$
"""

DOWNGRADE = """
DO $body$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'factdb_reader') THEN
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM factdb_reader;
        REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM factdb_reader;
        REVOKE USAGE ON SCHEMA public FROM factdb_reader;
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM factdb_reader', current_database());
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'factdb: cannot revoke from factdb_reader (%)', SQLERRM;
END
$body$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(UPGRADE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DOWNGRADE)
