"""Full-text search over claims and quotes, kept current by the database itself

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

``factdb list --search`` at a million assertions needs an index, not ``lower(x) LIKE``.
SQLite: FTS5 tables with external content (``claim_fts`` over claim.text,
``quote_fts`` over assertion.quote), maintained by triggers, filled from the existing rows.
PostgreSQL: GIN indexes on ``to_tsvector('simple', …)`` expressions. The 'simple'
configuration and FTS5's unicode61 tokenizer both fold case and split on non-letters, so a
search means the same on both backends: every word, as a prefix, in the claim or a quote.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE claim_fts USING fts5(text, content='claim', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE quote_fts USING fts5(quote, content='assertion', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO claim_fts(rowid, text) SELECT id, text FROM claim",
    "INSERT INTO quote_fts(rowid, quote) SELECT id, quote FROM assertion WHERE quote IS NOT NULL",
    """CREATE TRIGGER claim_fts_insert AFTER INSERT ON claim BEGIN
        INSERT INTO claim_fts(rowid, text) VALUES (new.id, new.text); END""",
    """CREATE TRIGGER claim_fts_delete AFTER DELETE ON claim BEGIN
        INSERT INTO claim_fts(claim_fts, rowid, text) VALUES ('delete', old.id, old.text); END""",
    """CREATE TRIGGER claim_fts_update AFTER UPDATE OF text ON claim BEGIN
        INSERT INTO claim_fts(claim_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO claim_fts(rowid, text) VALUES (new.id, new.text); END""",
    """CREATE TRIGGER quote_fts_insert AFTER INSERT ON assertion WHEN new.quote IS NOT NULL
        BEGIN INSERT INTO quote_fts(rowid, quote) VALUES (new.id, new.quote); END""",
    """CREATE TRIGGER quote_fts_delete AFTER DELETE ON assertion WHEN old.quote IS NOT NULL
        BEGIN INSERT INTO quote_fts(quote_fts, rowid, quote)
        VALUES ('delete', old.id, old.quote); END""",
    """CREATE TRIGGER quote_fts_update AFTER UPDATE OF quote ON assertion BEGIN
        INSERT INTO quote_fts(quote_fts, rowid, quote)
            SELECT 'delete', old.id, old.quote WHERE old.quote IS NOT NULL;
        INSERT INTO quote_fts(rowid, quote)
            SELECT new.id, new.quote WHERE new.quote IS NOT NULL; END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER quote_fts_update",
    "DROP TRIGGER quote_fts_delete",
    "DROP TRIGGER quote_fts_insert",
    "DROP TRIGGER claim_fts_update",
    "DROP TRIGGER claim_fts_delete",
    "DROP TRIGGER claim_fts_insert",
    "DROP TABLE quote_fts",
    "DROP TABLE claim_fts",
]
POSTGRESQL_UP = [
    "CREATE INDEX ix_claim_text_fts ON claim USING gin (to_tsvector('simple', text))",
    "CREATE INDEX ix_assertion_quote_fts ON assertion USING gin "
    "(to_tsvector('simple', coalesce(quote, '')))",
]
POSTGRESQL_DOWN = ["DROP INDEX ix_assertion_quote_fts", "DROP INDEX ix_claim_text_fts"]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_UP if postgresql else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_DOWN if postgresql else SQLITE_DOWN:
        op.execute(statement)
