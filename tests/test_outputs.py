"""Output guarantees (docs/reliability.md, output files): output files, closed pipes, a full stdout.

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

from factdb.storage.config import DatabaseTarget
from tests.conftest import Cli
from tests.helpers import OLD_CSV_COLUMNS, fails

BIG_ROWS = 1500
"""Assertions in the database of the pipe tests: every command's output is several times a
pipe's buffer (64 KiB on Linux)."""


def factdb_cmd(target: DatabaseTarget, *args: str) -> list[str]:
    return [sys.executable, "-m", "factdb", "--db", target.url, *args]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(OLD_CSV_COLUMNS)
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


# --- output files: the temporary file ------------------------------------------------------


@pytest.mark.parametrize("command", ["export", "report"])
def test_existing_partial_file_is_left_alone(seeded_cli: Cli, tmp_path: Path, command: str) -> None:
    out = tmp_path / "out.csv"
    partial = tmp_path / "out.csv.partial"
    partial.write_text("somebody else's file\n", encoding="utf-8")
    args = ["export", str(out)] if command == "export" else ["report", "matrix", "-o", str(out)]
    seeded_cli.ok(*args)
    assert partial.read_text(encoding="utf-8") == "somebody else's file\n"
    assert out.is_file() and not out.is_symlink() and out.stat().st_size > 100
    assert leftovers(tmp_path, "out.csv", "out.csv.partial") == []


@pytest.mark.parametrize("command", ["export", "report"])
def test_symlink_beside_the_target_is_not_followed(
    seeded_cli: Cli, tmp_path: Path, command: str
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    link = tmp_path / "out.csv.partial"
    link.symlink_to(victim)
    out = tmp_path / "out.csv"
    args = ["export", str(out)] if command == "export" else ["report", "matrix", "-o", str(out)]
    seeded_cli.ok(*args)
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert link.is_symlink() and os.readlink(link) == str(victim)
    assert out.is_file() and not out.is_symlink()


def test_stale_temporary_file_of_a_killed_export_blocks_nothing(
    seeded_cli: Cli, tmp_path: Path
) -> None:
    """What a SIGKILL leaves: factdb's own temporary name, unique, never reused or followed."""
    stale = tmp_path / ".out.jsonl.factdb-abcd1234.tmp"
    stale.write_text("half an export", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    seeded_cli.ok("export", str(out))
    assert stale.read_text(encoding="utf-8") == "half an export"
    assert out.read_text(encoding="utf-8").startswith("{")


def test_temporary_file_is_factdbs_own_beside_the_target(tmp_path: Path) -> None:
    from factdb.cli.render import output_file

    out = tmp_path / "report.csv"
    with output_file(str(out), "--output") as handle:
        handle.write("a,b\r\n")
        handle.flush()
        (temp,) = [p for p in tmp_path.iterdir()]
        assert temp.name.startswith(".report.csv.factdb-") and temp.name.endswith(".tmp")
        assert stat.S_IMODE(temp.lstat().st_mode) == 0o600  # nobody reads a half-written file
        assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]
    assert out.read_bytes() == b"a,b\r\n"


def test_error_while_writing_removes_the_temporary_file(tmp_path: Path) -> None:
    from factdb.cli.render import output_file

    out = tmp_path / "report.csv"
    out.write_text("the old report\n", encoding="utf-8")
    with pytest.raises(RuntimeError), output_file(str(out), "--output") as handle:
        handle.write("half")
        raise RuntimeError("the query failed")
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]
    assert out.read_text(encoding="utf-8") == "the old report\n"


SIGNAL_SCRIPT = """
import os, signal, sys, time
from factdb.cli.render import output_file

signum = int(sys.argv[2])
signal.signal(signum, signal.SIG_DFL)  # as a shell leaves it (nohup would ignore SIGHUP)
before = signal.getsignal(signum)
try:
    with output_file(sys.argv[1], "--output") as handle:
        handle.write("half")
        handle.flush()
        os.kill(os.getpid(), signum)
        time.sleep(5)  # the handler interrupts this
finally:
    print(signal.getsignal(signum) == before)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_signal_while_writing_removes_the_temporary_file(tmp_path: Path, signum: int) -> None:
    """In a child process (without the handler, the signal would end the test run)."""
    out = tmp_path / "report.csv"
    done = subprocess.run(
        [sys.executable, "-c", SIGNAL_SCRIPT, str(out), str(signum)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (128 + signum, "True\n", "")
    assert list(tmp_path.iterdir()) == []


def test_sigterm_during_cli_export_leaves_nothing(big_cli: Cli, tmp_path: Path) -> None:
    """A real process: SIGTERM once its temporary file exists; exit 143, no file left."""
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "all.jsonl"
    for _ in range(5):
        proc = subprocess.Popen(
            factdb_cmd(big_cli.target, "export", str(out)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started = time.monotonic()
        while proc.poll() is None and not any(folder.iterdir()):
            assert time.monotonic() - started < 60
            time.sleep(0.0005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        if not out.exists():
            break
        out.unlink()  # the export was complete before the signal: again
    assert proc.returncode == 143, stderr
    assert list(folder.iterdir()) == []


# --- output files: the target --------------------------------------------------------------


def _target_kinds(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "folder"
    folder.mkdir()
    yield "directory", folder
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    yield "FIFO", fifo
    link = tmp_path / "link.csv"
    (tmp_path / "real.csv").write_text("real\n", encoding="utf-8")
    link.symlink_to(tmp_path / "real.csv")
    yield "symbolic link", link
    if os.geteuid() == 0:
        device = tmp_path / "null"
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        yield "character device", device


@pytest.mark.parametrize("command", ["export", "report"])
def test_target_that_is_not_a_regular_file_is_refused(
    seeded_cli: Cli, tmp_path: Path, command: str
) -> None:
    for kind, path in _target_kinds(tmp_path):
        before = path.lstat()
        args = (
            ["export", str(path), "--format", "csv"]
            if command == "export"
            else ["report", "matrix", "-o", str(path)]
        )
        line = fails(seeded_cli(*args), 2)
        assert f"{path} is a {kind}, not a regular file" in line, line
        after = path.lstat()
        assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode), kind
    assert (tmp_path / "real.csv").read_text(encoding="utf-8") == "real\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    ("name", "kind"),
    [("/dev/null", "character device"), ("/dev/stdout", "")],
)
def test_dev_null_and_dev_stdout_are_refused(name: str, kind: str) -> None:
    """Checked without writing (a regression here must not replace /dev/null): '-' is the way
    to standard output, `> /dev/null` the way to discard."""
    from factdb.core.errors import InvalidInput
    from factdb.core.files import check_target

    if not os.path.lexists(name):
        pytest.skip(f"no {name} here")
    with pytest.raises(InvalidInput) as refused:
        check_target(Path(name), "FILE")
    assert "not a regular file" in str(refused.value)
    assert kind in str(refused.value)


# --- output files: permissions -------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=oct)
def test_new_file_gets_the_usual_permissions(tmp_path: Path, umask: int) -> None:
    from factdb.cli.render import output_file

    out = tmp_path / "new.csv"
    old = os.umask(umask)
    try:
        with output_file(str(out), "FILE") as handle:
            handle.write("x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664], ids=oct)
def test_replaced_file_keeps_its_permissions(seeded_cli: Cli, tmp_path: Path, mode: int) -> None:
    out = tmp_path / "private.csv"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(mode)
    seeded_cli.ok("export", str(out))
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert out.read_text(encoding="utf-8").startswith("claim,")


# --- db backup -----------------------------------------------------------------------------


def test_backup_leaves_partial_and_links_alone(cli: Cli, tmp_path: Path) -> None:
    if cli.target.backend == "postgresql":
        import shutil

        if shutil.which("pg_dump") is None:
            pytest.skip("needs pg_dump")
    cli.ok("seed")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    (tmp_path / "copy.db.partial").symlink_to(victim)
    (tmp_path / "other.db.partial").write_text("somebody else's\n", encoding="utf-8")
    cli.ok("db", "backup", str(tmp_path / "copy.db"))
    cli.ok("db", "backup", str(tmp_path / "other.db"))
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert (tmp_path / "copy.db.partial").is_symlink()
    assert (tmp_path / "other.db.partial").read_text(encoding="utf-8") == "somebody else's\n"
    for name in ("copy.db", "other.db"):
        path = tmp_path / name
        assert path.is_file() and not path.is_symlink() and path.stat().st_size > 1000
    assert (
        leftovers(
            tmp_path, "victim.txt", "copy.db", "other.db", "copy.db.partial", "other.db.partial"
        )
        == []
    )


def test_backup_refuses_a_dangling_link(cli: Cli, tmp_path: Path) -> None:
    link = tmp_path / "copy.db"
    link.symlink_to(tmp_path / "nowhere.db")
    line = fails(cli("db", "backup", str(link)), 1)
    assert "exists" in line
    assert link.is_symlink() and not (tmp_path / "nowhere.db").exists()
