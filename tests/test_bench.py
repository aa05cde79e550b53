"""The benchmark's quick mode runs end to end, so the benchmark itself cannot rot.

No assertion on speed here (machines are shared and noisy): only that every figure of the
table is produced, with a ratio.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_quick_mode_produces_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    env = dict(os.environ)
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench.py"),
            "--quick",
            "--no-sqlite-utils",
            "--workdir",
            str(tmp_path / "work"),
            "--markdown",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = out.read_text(encoding="utf-8")
    for figure in (
        "import CSV into SQLite",
        "show one claim, domain function",
        "list --contested --limit 50",
        "list --search",
        "count of contested claims",
        "export flat CSV",
        "report timeline",
        "import JSON Lines export into SQLite, peak RSS",
        "import time per row",
        "peak RSS of the JSON Lines import",
    ):
        assert figure in table, figure
    if os.environ.get("FACTDB_TEST_POSTGRES_URL"):
        assert "import CSV into PostgreSQL" in table
        assert "import CSV into populated PostgreSQL" in table
        assert "PostgreSQL show one claim" in table
    rows = [line for line in table.splitlines() if line.startswith("| ") and "×" in line]
    assert len(rows) >= 12
