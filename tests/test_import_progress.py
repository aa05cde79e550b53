"""A large import reports its progress through a callback (the CLI shows it on a terminal's
stderr only); the domain layer itself prints nothing."""

from __future__ import annotations

import csv
from pathlib import Path

from factdb import db
from factdb.config import DatabaseTarget
from factdb.interchange import CSV_COLUMNS, import_file


def test_progress_is_reported_per_batch(target: DatabaseTarget, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
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
