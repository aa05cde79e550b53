"""Helpers shared by the tests: the error contract, JSON shortcuts, CSV files, and the
schema objects an import must leave as it found them."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path
from typing import Any, Unpack

from factdb.interchange.common import CSV_COLUMNS
from factdb.storage.config import TABLES, DatabaseTarget
from tests.conftest import AddOptions, Cli, Result

OLD_CSV_COLUMNS = [c for c in CSV_COLUMNS if c not in ("qualifier", "qualifier_note")]
"""The header of the flat CSV format before qualified stances: files without the new columns
import as they always did, and the tests that write such files check that too."""


def fails(result: Result, code: int) -> str:
    """The error contract: exit code, exactly one stderr line, no traceback, nothing on stdout."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == "", result.stdout
    return lines[0]


def add(cli: Cli, claim: str | int, **options: Unpack[AddOptions]) -> dict[str, Any]:
    """``factdb add`` (tests.conftest.add_args), which must succeed: what it reports."""
    data: dict[str, Any] = cli.add(claim, format="json", **options).json()
    return data


def show(cli: Any, claim_id: int, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = cli.ok("show", str(claim_id), *args, "--format", "json").json()
    return data


def listed(cli: Any, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = cli.ok("list", *args, "--format", "json").json()
    return rows


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def csv_row(
    claim: str, actor: str, date: str, url: str, quote: str = "", via: str = ""
) -> list[str]:
    """One ``asserts`` row of a flat CSV file in ``OLD_CSV_COLUMNS``."""
    return [claim, actor, "asserts", date, url, "", "", quote, via, "", ""]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    """A flat CSV file in ``OLD_CSV_COLUMNS`` holding ``rows``."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(OLD_CSV_COLUMNS)
        writer.writerows(rows)
    return path


def query(target: DatabaseTarget, sql: str) -> list[tuple[Any, ...]]:
    """The rows of ``sql``, read on a connection of its own (not the one under test)."""
    if target.backend == "sqlite":
        assert target.sqlite_path is not None
        conn = sqlite3.connect(target.sqlite_path)
        try:
            return [tuple(r) for r in conn.execute(sql)]
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(target.libpq_url, autocommit=True) as pg:
        return [tuple(r) for r in pg.execute(sql.encode())]


def schema_objects(target: DatabaseTarget) -> list[tuple[Any, ...]]:
    """Every index, constraint and trigger of factdb's tables, with whether it is valid and
    enabled: what an import must leave as it found it."""
    if target.backend == "sqlite":
        return query(
            target,
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE type IN ('index', 'trigger') ORDER BY type, name",
        )
    tables = "ARRAY[" + ", ".join(f"'{t}'" for t in TABLES) + "]::regclass[]"
    return query(
        target,
        f"""
        SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid),
               indisvalid AND indisready AND indislive
        FROM pg_index WHERE indrelid = ANY({tables})
        UNION ALL
        SELECT 'constraint', conrelid::regclass::text || '.' || conname,
               pg_get_constraintdef(oid), convalidated
        FROM pg_constraint WHERE conrelid = ANY({tables})
        UNION ALL
        SELECT 'trigger', tgrelid::regclass::text || '.' || tgname, pg_get_triggerdef(oid),
               tgenabled = 'O'
        FROM pg_trigger WHERE tgrelid = ANY({tables}) AND NOT tgisinternal
        ORDER BY 1, 2
        """,
    )
