"""Storage: how factdb reaches a database.

Which database (``config``), engines and sessions and the schema state (``db``), the tables
(``models``), the driver-level reader used by every read (``reader``), bulk writes for
imports (``bulk``) and the sandboxed ad-hoc SQL of ``factdb sql`` (``sqlexec``).

May import: ``factdb.core``. Knows nothing of claims or stances beyond the tables.
"""
