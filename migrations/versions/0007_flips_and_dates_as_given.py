"""Views: every flip of a side (``side_flip``), and ``claim_summary`` with its dates as given

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Views only; no table is touched, so the history triggers of 0006 stay as they are.

* ``side_flip`` (new): one row per flip of a side on a claim (docs/design.md, "Reversed"): in
  date order, a change of sign between two consecutive dates on which the side took a
  non-neutral stance, with the assertions on both ends: on the earlier date the side's last
  assertion (by id) of the old sign, on the later date its first of the new sign. Counted as
  ``claim_summary`` counts: assertions not retracted, no date window. The same flips as
  ``factdb.queries.reversals`` (tests/test_queries.py holds them to it).
* ``claim_summary`` gains ``first_date_text`` and ``last_date_text``: the first and last
  dates as given (``2024-09`` for a month), beside the sortable ``first_date`` and
  ``last_date`` (first days), which lose the precision. The date as given is that of the
  first assertion in (date, id) order, and of the last, as ``factdb list`` prints them. The
  new columns come last, so the columns before them keep their places.

The SQL is written out here, frozen: a later change of a view is a later revision. The
downgrade drops ``side_flip`` and restores 0001's ``claim_summary``.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POLARITY_SQL = (
    "CASE a.stance WHEN 'asserts' THEN 2 WHEN 'supports' THEN 1 WHEN 'neutral' THEN 0 "
    "WHEN 'disputes' THEN -1 WHEN 'denies' THEN -2 END"
)

# 0001's claim_summary, for the downgrade.
CLAIM_SUMMARY_0001 = f"""
CREATE VIEW claim_summary AS
SELECT
    c.id AS claim_id,
    c.text AS claim,
    COUNT(a.id) AS assertions,
    COALESCE(SUM(CASE WHEN {POLARITY_SQL} > 0 THEN 1 ELSE 0 END), 0) AS n_for,
    COALESCE(SUM(CASE WHEN {POLARITY_SQL} = 0 THEN 1 ELSE 0 END), 0) AS n_neutral,
    COALESCE(SUM(CASE WHEN {POLARITY_SQL} < 0 THEN 1 ELSE 0 END), 0) AS n_against,
    COUNT(DISTINCT CASE WHEN {POLARITY_SQL} > 0 THEN ac.side_id END) AS sides_for,
    COUNT(DISTINCT CASE WHEN {POLARITY_SQL} < 0 THEN ac.side_id END) AS sides_against,
    COUNT(DISTINCT a.source_id) AS sources,
    MIN(a.date) AS first_date,
    MAX(a.date) AS last_date,
    CASE WHEN SUM(CASE WHEN {POLARITY_SQL} > 0 THEN 1 ELSE 0 END) > 0
          AND SUM(CASE WHEN {POLARITY_SQL} < 0 THEN 1 ELSE 0 END) > 0
         THEN 1 ELSE 0 END AS contested,
    CASE WHEN EXISTS (
        SELECT 1 FROM assertion AS x
        JOIN actor_side AS xs ON xs.actor_id = x.actor_id
        JOIN actor_side AS ys ON ys.side_id = xs.side_id
        JOIN assertion AS y ON y.actor_id = ys.actor_id AND y.claim_id = x.claim_id
        WHERE x.claim_id = c.id AND x.retracted_at IS NULL AND y.retracted_at IS NULL
          AND y.date > x.date
          AND ((x.stance IN ('asserts', 'supports') AND y.stance IN ('disputes', 'denies'))
            OR (x.stance IN ('disputes', 'denies') AND y.stance IN ('asserts', 'supports')))
    ) THEN 1 ELSE 0 END AS reversed
FROM claim AS c
LEFT JOIN assertion AS a ON a.claim_id = c.id AND a.retracted_at IS NULL
LEFT JOIN actor_side AS ac ON ac.actor_id = a.actor_id
GROUP BY c.id, c.text
"""


def _date_text(dialect: str, alias: str) -> str:
    """The date of assertion ``alias`` as given (``2024``, ``2024-09``, ``2024-09-12``)."""
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


def _claim_summary(dialect: str) -> str:
    def end(direction: str) -> str:
        return (
            f"(SELECT {_date_text(dialect, 'e')} FROM assertion AS e "
            "WHERE e.claim_id = c.id AND e.retracted_at IS NULL "
            f"ORDER BY e.date {direction}, e.id {direction} LIMIT 1)"
        )

    return f"""
CREATE VIEW claim_summary AS
SELECT
    c.id AS claim_id,
    c.text AS claim,
    COUNT(a.id) AS assertions,
    COALESCE(SUM(CASE WHEN {POLARITY_SQL} > 0 THEN 1 ELSE 0 END), 0) AS n_for,
    COALESCE(SUM(CASE WHEN {POLARITY_SQL} = 0 THEN 1 ELSE 0 END), 0) AS n_neutral,
    COALESCE(SUM(CASE WHEN {POLARITY_SQL} < 0 THEN 1 ELSE 0 END), 0) AS n_against,
    COUNT(DISTINCT CASE WHEN {POLARITY_SQL} > 0 THEN ac.side_id END) AS sides_for,
    COUNT(DISTINCT CASE WHEN {POLARITY_SQL} < 0 THEN ac.side_id END) AS sides_against,
    COUNT(DISTINCT a.source_id) AS sources,
    MIN(a.date) AS first_date,
    MAX(a.date) AS last_date,
    CASE WHEN SUM(CASE WHEN {POLARITY_SQL} > 0 THEN 1 ELSE 0 END) > 0
          AND SUM(CASE WHEN {POLARITY_SQL} < 0 THEN 1 ELSE 0 END) > 0
         THEN 1 ELSE 0 END AS contested,
    CASE WHEN EXISTS (
        SELECT 1 FROM assertion AS x
        JOIN actor_side AS xs ON xs.actor_id = x.actor_id
        JOIN actor_side AS ys ON ys.side_id = xs.side_id
        JOIN assertion AS y ON y.actor_id = ys.actor_id AND y.claim_id = x.claim_id
        WHERE x.claim_id = c.id AND x.retracted_at IS NULL AND y.retracted_at IS NULL
          AND y.date > x.date
          AND ((x.stance IN ('asserts', 'supports') AND y.stance IN ('disputes', 'denies'))
            OR (x.stance IN ('disputes', 'denies') AND y.stance IN ('asserts', 'supports')))
    ) THEN 1 ELSE 0 END AS reversed,
    {end("ASC")} AS first_date_text,
    {end("DESC")} AS last_date_text
FROM claim AS c
LEFT JOIN assertion AS a ON a.claim_id = c.id AND a.retracted_at IS NULL
LEFT JOIN actor_side AS ac ON ac.actor_id = a.actor_id
GROUP BY c.id, c.text
"""


def _side_flip(dialect: str) -> str:
    return f"""
CREATE VIEW side_flip AS
WITH counted AS (
    SELECT a.claim_id, s.side_id, s.side, a.id, a.date,
           CASE WHEN a.stance IN ('asserts', 'supports') THEN 1 ELSE -1 END AS sign
    FROM assertion AS a JOIN actor_side AS s ON s.actor_id = a.actor_id
    WHERE a.retracted_at IS NULL AND a.stance <> 'neutral'
),
days AS (
    SELECT claim_id, side_id, side, date, sign, MIN(id) AS first_id, MAX(id) AS last_id
    FROM counted GROUP BY claim_id, side_id, side, date, sign
),
steps AS (
    SELECT claim_id, side_id, date,
           LAG(date) OVER (PARTITION BY claim_id, side_id ORDER BY date) AS before
    FROM (SELECT DISTINCT claim_id, side_id, date FROM counted) AS d
)
SELECT
    st.claim_id AS claim_id,
    st.side_id AS side_id,
    e.side AS side,
    f.id AS from_assertion_id,
    fa.name AS from_actor,
    f.stance AS from_stance,
    {_date_text(dialect, "f")} AS from_date,
    f.date AS from_date_start,
    t.id AS to_assertion_id,
    ta.name AS to_actor,
    t.stance AS to_stance,
    {_date_text(dialect, "t")} AS to_date,
    t.date AS to_date_start
FROM steps AS st
JOIN days AS e ON e.claim_id = st.claim_id AND e.side_id = st.side_id AND e.date = st.before
JOIN days AS l ON l.claim_id = st.claim_id AND l.side_id = st.side_id AND l.date = st.date
    AND l.sign = -e.sign
JOIN assertion AS f ON f.id = e.last_id
JOIN actor AS fa ON fa.id = f.actor_id
JOIN assertion AS t ON t.id = l.first_id
JOIN actor AS ta ON ta.id = t.actor_id
"""


def upgrade() -> None:
    dialect = str(op.get_bind().dialect.name)
    op.execute("DROP VIEW claim_summary")
    op.execute(_claim_summary(dialect))
    op.execute(_side_flip(dialect))


def downgrade() -> None:
    op.execute("DROP VIEW side_flip")
    op.execute("DROP VIEW claim_summary")
    op.execute(CLAIM_SUMMARY_0001)
