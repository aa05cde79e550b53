"""A large import reports its progress through a callback (the CLI shows it on a terminal's
stderr only); the domain layer itself prints nothing."""

from __future__ import annotations

import csv
from pathlib import Path

from factdb.interchange.load import import_file
from factdb.storage import db
from factdb.storage.config import DatabaseTarget
from tests.helpers import OLD_CSV_COLUMNS


def test_progress_is_reported_per_batch(target: DatabaseTarget, tmp_path: Path, capsys) -> None:
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(OLD_CSV_COLUMNS)
        for i in range(45_000):
            writer.writerow(
                [
                    f"Claim {i // 10}",
                    f"Actor {i % 10}",
                    "asserts",
                    "2024",
                    f"https://example.org/{i % 100}",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
    seen: list[tuple[str, int]] = []
    with db.session_scope(target, bulk=True) as session:
        result = import_file(
            session,
            path,
            "many.csv",
            "csv",
            progress=lambda stage, rows: seen.append((stage, rows)),
        )
    assert result.new["assertion"] == 45_000
    assert seen == [("written", 20_000), ("written", 40_000)]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_secondary_indexes_are_back_after_a_bulk_load(cli, target, tmp_path: Path) -> None:
    """Into an empty table the importer builds the assertion indexes after loading (SQLite);
    they must exist afterwards, on every backend, whether the import succeeded or not."""
    from sqlalchemy import inspect

    good = tmp_path / "good.csv"
    bad = tmp_path / "bad.csv"
    for path, date in ((bad, "2024-13"), (good, "2024")):
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(OLD_CSV_COLUMNS)
            writer.writerow(
                [
                    "A claim",
                    "An actor",
                    "asserts",
                    date,
                    "https://example.org/a",
                    "",
                    "",
                    "",
                    "Via",
                    "",
                    "",
                ]
            )
    assert cli("import", str(bad)).exit_code == 1
    cli.ok("import", str(good))
    with db.get_engine(target).connect() as conn:
        names = {i["name"] for i in inspect(conn).get_indexes("assertion")}
        via_names = {i["name"] for i in inspect(conn).get_indexes("assertion_via")}
    assert {"ix_assertion_actor_id", "ix_assertion_source_id"} <= names
    assert "ix_assertion_via_actor_id" in via_names
