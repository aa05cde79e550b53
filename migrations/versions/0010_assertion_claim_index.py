"""An index of every assertion by its claim

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

* ``ix_assertion_claim_id`` (new): ``assertion (claim_id)``, retracted assertions included.
  The only index leading with ``claim_id`` was the unique key of live assertions, which is
  partial (``WHERE retracted_at IS NULL``): a question about all of a claim's assertions
  (``show``'s correction links, ``--include-retracted``, a claim's history) could not use it
  and read the whole table, on SQLite and PostgreSQL alike (41 ms a ``show`` at 100,000
  assertions on PostgreSQL, growing with the table; docs/performance.md).

No data changes; downgrade drops the index.
"""

from __future__ import annotations

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_assertion_claim_id"), "assertion", ["claim_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_assertion_claim_id"), table_name="assertion")
