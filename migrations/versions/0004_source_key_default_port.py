"""Source keys without a default port

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

A source's key no longer holds its URL's default port (``http://example.org:80/a`` and
``https://example.org:443/a`` are ``example.org/a``), and any other port is written as a
number (``:08080`` is ``:8080``, as the general path always wrote it). Only the keys of sources
whose URL names a port can change; they are computed again with ``keys.normalize_url``, every
other column kept.

Two sources are never merged here: a source whose new key is already another source's (the
same page entered once with and once without its default port) keeps its old key, so both
stay as they were, and a warning names them. A URL that normalize_url now refuses (a port
above 65535, which the fast path used to take) keeps its key as well.

Downgrading keeps the keys: they are still unique, and an older factdb only misses the
source when given the URL with its default port again.
"""

import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

from factdb.core.errors import InvalidInput
from factdb.core.keys import normalize_url

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("factdb.migrations")


def _names_a_port(url: str) -> bool:
    try:
        return urlsplit(url).port is not None
    except ValueError:
        return False


def new_keys(
    rows: list[tuple[int, str, str]], holders: dict[str, int]
) -> tuple[dict[int, str], list[str]]:
    """({source id: new key}, warnings) for rows (id, url, key) in id order; ``holders``
    gives the source that holds a key now, for every new key. A key that is taken already is
    not given again (no merge)."""
    changes: dict[int, str] = {}
    warnings: list[str] = []
    for source_id, url, key in rows:
        new = _key(url)
        if new is None or new == key:
            continue
        other = holders.get(new)
        if other is not None:
            warnings.append(
                f"source {source_id} ({url}) keeps its key {key!r}: source {other} has the "
                f"key {new!r} that it would get now; the two stay separate sources"
            )
            continue
        holders[new] = source_id
        changes[source_id] = new
    return changes, warnings


def _key(url: str) -> str | None:
    try:
        return normalize_url(url, "url")[1]
    except InvalidInput:
        return None


def upgrade() -> None:
    conn = op.get_bind()
    rows = [
        (int(source_id), url, key)
        for source_id, url, key in conn.execute(
            sa.text(
                "SELECT id, url, key FROM source WHERE url IS NOT NULL AND key LIKE '%:%' "
                "ORDER BY id"
            )
        )
        if _names_a_port(url)
    ]
    wanted = sorted({k for k in (_key(url) for _, url, _ in rows) if k is not None})
    holders: dict[str, int] = {}
    find = sa.text("SELECT key, id FROM source WHERE key IN :keys").bindparams(
        sa.bindparam("keys", expanding=True)
    )
    for start in range(0, len(wanted), 500):
        holders.update(
            (key, int(source_id))
            for key, source_id in conn.execute(find, {"keys": wanted[start : start + 500]})
        )
    changes, warnings = new_keys(rows, holders)
    for source_id, key in changes.items():
        conn.execute(
            sa.text("UPDATE source SET key = :key WHERE id = :id"), {"key": key, "id": source_id}
        )
    for warning in warnings:
        log.warning("factdb: %s", warning)


def downgrade() -> None:
    pass
