"""Alembic environment for factdb.

The database comes from factdb itself: ``factdb.storage.db`` hands over an open connection
(inside one transaction) in ``config.attributes["connection"]``. Run from the command line
(``alembic -c alembic.ini …``), the URL is resolved like factdb's own (``-x db=…``,
``FACTDB_DATABASE_URL``, or the default), so alembic and factdb always agree on which database
they touch."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from factdb.storage import config as factdb_config
from factdb.storage import db as factdb_db
from factdb.storage.models import metadata

alembic_cfg = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=factdb_db.include_object,
        # SQLite lacks most ALTER: batch mode copies and moves tables (docs/reliability.md,
        # migrations).
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # One transaction for all revisions, so an upgrade is all-or-nothing.
        transaction_per_migration=False,
    )


def run_migrations_online() -> None:
    connectable = alembic_cfg.attributes.get("connection")
    if isinstance(connectable, Connection):
        _configure(connectable)
        with context.begin_transaction():
            context.run_migrations()
        return
    if connectable is not None:  # an Engine, as pytest-alembic hands over
        with connectable.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
        return
    target = alembic_cfg.attributes.get("factdb_target")
    if target is None:
        target = factdb_config.resolve(context.get_x_argument(as_dictionary=True).get("db"))
    engine = factdb_db.get_engine(target, migrating=True)
    with engine.begin() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("factdb migrations run online only: use `factdb db upgrade`")
run_migrations_online()
