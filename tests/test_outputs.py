"""Output guarantees (docs/output-guarantees.md): output files, closed pipes, a full stdout.

Output files (``export FILE``, ``report -o FILE``, ``db backup FILE``) are written to a
temporary file of factdb's own, created exclusively beside the target, and renamed onto the
target only when complete:

* an existing ``OUT.partial`` (or any other file) beside the target is never touched, and a
  symbolic link there is never followed;
* a target that is not a regular file (directory, FIFO, device, symbolic link) is refused;
  standard output is ``-``;
* the temporary file is removed on any error, on Ctrl-C and on SIGTERM/SIGHUP (exit 143/129);
  a SIGKILL can leave one, named ``.OUT.factdb-XXXXXXXX.tmp``, which blocks nothing;
* a new file gets the permissions of any new file (0666 less the umask); a replaced file
  keeps its own.

Standard output: a closed pipe (``| head``) ends the command quietly with exit 0; any other
write error (``> /dev/full``) is one line and exit 1.
"""

from __future__ import annotations

import csv
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from factdb.interchange.common import CSV_COLUMNS
from factdb.storage.config import DatabaseTarget
from tests.conftest import Cli
from tests.helpers import fails

BIG_ROWS = 1500
"""Assertions in the database of the pipe tests: every command's output is several times a
pipe's buffer (64 KiB on Linux)."""


def factdb_cmd(target: DatabaseTarget, *args: str) -> list[str]:
    return [sys.executable, "-m", "factdb", "--db", target.url, *args]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for i in range(rows):
            writer.writerow(
                [
                    f"claim number {i}: shipments were seen at the port, say the reports",
                    f"actor {i % 40}",
                    "asserts" if i % 3 else "denies",
                    f"{2000 + i % 20}-{1 + i % 12:02d}",
                    f"https://news.example/{i}",
                    "Example News",
                    f"Report {i}",
                    f"quote {i}, with some words in it to make the line longer",
                    "",
                    "arms",
                    "",
                ]
            )


@pytest.fixture
def big_cli(cli: Cli, tmp_path: Path) -> Cli:
    data = tmp_path / "big.csv"
    write_csv(data, BIG_ROWS)
    cli.ok("import", str(data))
    return cli


def leftovers(folder: Path, *keep: str) -> list[str]:
    """Files in ``folder`` other than ``keep`` and a SQLite database's own."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name not in keep and not p.name.startswith(("factdb.sqlite3", "big.csv"))
    )


# --- closed pipes and a full standard output ---------------------------------------------


PIPE_COMMANDS = [
    ["list"],
    ["list", "--format", "csv"],
    ["export", "-"],
    ["export", "-", "--format", "csv"],
    ["report", "side-by-side"],
]


@pytest.mark.parametrize("args", PIPE_COMMANDS, ids=" ".join)
def test_closed_pipe_is_a_quiet_end(big_cli: Cli, args: list[str]) -> None:
    """``factdb … | head -1``: the reader goes away after one line; exit 0, nothing on stderr."""
    proc = subprocess.Popen(
        factdb_cmd(big_cli.target, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    code = proc.wait(timeout=120)
    assert first, stderr
    assert (code, stderr) == (0, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args", [["export", "-"], ["list"], ["report", "side-by-side"]], ids=" ".join
)
def test_full_stdout_is_one_line(big_cli: Cli, args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            factdb_cmd(big_cli.target, *args), stdout=full, stderr=subprocess.PIPE, timeout=120
        )
    assert (done.returncode, done.stderr.decode()) == (
        1,
        "error: cannot write to standard output: No space left on device\n",
    )
