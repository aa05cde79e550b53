"""``factdb db backup`` (docs/reliability.md, crash safety).

A backup taken while others write is a consistent, committed state: on SQLite through the
online backup API (a copy of the files taken mid-transaction can be wrong or malformed), on
PostgreSQL through ``pg_dump --format=custom``. Committed rows still in the ``-wal`` file are
in the copy; rows of a transaction still open are not; an existing file is never overwritten.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from factdb.storage import db
from factdb.storage.config import TABLES, DatabaseTarget
from tests.conftest import Cli
from tests.test_concurrency import (
    factdb_cmd,
    pg_connect,
    plain_pg_url,
    scratch_database,
    sqlite_health,
    table_counts,
)
from tests.test_crash import WriteProbe, plus, write_import_csv


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def _copy_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}
    finally:
        conn.close()


def _no_file_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    """A backup that copies the database files fails the test (docs/reliability.md, crash
    safety)."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("db backup copied a file instead of using the backup API")

    for name in ("copy", "copy2", "copyfile", "copyfileobj"):
        monkeypatch.setattr(shutil, name, refuse)


# --- SQLite ---------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_backup_during_a_running_import_holds_a_committed_state(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    Cli(target).ok("seed")
    db.dispose_all()
    before = table_counts(target)
    big = tmp_path / "big.csv"
    delta = write_import_csv(big, 30_000, "backup")
    probe = WriteProbe(target)
    importer = subprocess.Popen(
        factdb_cmd(target.url, "import", str(big)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not probe.writing() and importer.poll() is None:
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.002)
        during = importer.poll() is None  # the import's transaction is open right now
        copy = tmp_path / "during.sqlite3"
        backup = subprocess.run(
            factdb_cmd(target.url, "db", "backup", str(copy)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        _, err = importer.communicate(timeout=120)
    finally:
        probe.close()
        if importer.poll() is None:
            importer.kill()
    assert importer.returncode == 0, err
    assert during, "the import ended before the backup started; use more rows"
    assert backup.returncode == 0, backup.stderr
    assert not list(tmp_path.glob(".*.factdb-*.tmp"))
    assert sqlite_health(copy) == ("ok", [])
    assert _copy_counts(copy) in (before, plus(before, delta))
    # After the import, a backup has all of it.
    after = tmp_path / "after.sqlite3"
    Cli(target).ok("db", "backup", str(after))
    assert _copy_counts(after) == plus(before, delta) == table_counts(target)
    # The copy is a factdb database in its own right.
    listed = subprocess.run(
        factdb_cmd(str(after), "list", "--format", "json", "--limit", "1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr


@pytest.mark.sqlite_only
def test_backup_has_committed_rows_in_the_wal_and_not_an_open_transaction(
    target: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic: rows committed but still only in the ``-wal`` file (a copy of the main
    file would miss them), and another writer's open transaction holding the write lock (the
    backup must neither wait for it nor include its rows)."""
    assert target.sqlite_path is not None
    cli = Cli(target)
    cli.ok("seed")
    db.dispose_all()
    writer = sqlite3.connect(target.sqlite_path, isolation_level=None, timeout=0)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("BEGIN IMMEDIATE")
        writer.executemany(
            "INSERT INTO claim (text, text_key, created_at) VALUES (?, ?, '2024-01-01')",
            [(f"committed {i}", f"committed {i}") for i in range(500)],
        )
        writer.execute("COMMIT")
        wal = target.sqlite_path.with_name(target.sqlite_path.name + "-wal")
        assert wal.stat().st_size > 0
        committed = table_counts(target)
        writer.execute("BEGIN IMMEDIATE")
        writer.executemany(
            "INSERT INTO claim (text, text_key, created_at) VALUES (?, ?, '2024-01-01')",
            [(f"open {i}", f"open {i}") for i in range(500)],
        )
        _no_file_copies(monkeypatch)
        copy = tmp_path / "copy.sqlite3"
        result = cli("db", "backup", str(copy))
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    monkeypatch.undo()
    # Readers never wait for the writer: the writer holds its lock until the backup has
    # returned, so a backup that waited for it would have failed as busy.
    assert result.exit_code == 0, result.stderr
    assert sqlite_health(copy) == ("ok", [])
    assert _copy_counts(copy) == committed
    # The copy is self-contained: no -wal beside it, and it opens read-only.
    assert not copy.with_name(copy.name + "-wal").exists()
    conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        assert conn.execute("SELECT count(*) FROM claim WHERE text LIKE 'open %'").fetchone() == (
            0,
        )
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal"
    finally:
        conn.close()


# --- both backends --------------------------------------------------------------------------


def test_backup_never_overwrites_an_existing_file(target: DatabaseTarget, tmp_path: Path) -> None:
    existing = tmp_path / "existing.backup"
    existing.write_bytes(b"precious")
    result = Cli(target)("db", "backup", str(existing))
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert str(existing) in _one_line(result.stderr)
    assert existing.read_bytes() == b"precious"
    assert not list(tmp_path.glob(".*.factdb-*.tmp"))


# --- PostgreSQL -----------------------------------------------------------------------------


@pytest.mark.postgres_only
def test_postgresql_backup_is_a_restorable_pg_dump_of_committed_rows(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore are not installed")
    cli = Cli(target)
    cli.ok("seed")
    db.dispose_all()
    committed = table_counts(target)
    out = tmp_path / "factdb.dump"
    with pg_connect(target.url) as writer:  # another client's transaction, still open
        writer.autocommit = False
        writer.execute(
            "INSERT INTO claim (text, text_key, created_at) VALUES ('open', 'open', now())"
        )
        result = cli("db", "backup", str(out))
        writer.rollback()
    db.dispose_all()
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes()[:5] == b"PGDMP"
    assert not list(tmp_path.glob(".*.factdb-*.tmp"))
    with scratch_database("postgresql", tmp_path, at_head=False) as restored:
        done = subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                f"--dbname={plain_pg_url(restored.url)}",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert table_counts(restored) == committed
        assert db.current_revision(db.get_engine(restored)) == db.SCHEMA_HEAD
        db.dispose_all()


@pytest.mark.postgres_only
def test_postgresql_backup_without_pg_dump_is_one_clear_line(
    target: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    out = tmp_path / "factdb.dump"
    result = Cli(target)("db", "backup", str(out))
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "pg_dump" in _one_line(result.stderr)
    assert not out.exists()
    assert not list(tmp_path.glob(".*.factdb-*.tmp"))
