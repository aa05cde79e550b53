"""Output files written whole or not at all (docs/reliability.md, output files).

A file factdb writes (``export FILE``, ``report -o FILE``, ``db backup FILE``) goes to a
temporary file of its own beside the target, ``.NAME.factdb-XXXXXXXX.tmp``, created
exclusively (``O_EXCL | O_NOFOLLOW``: never an existing path, never through a link), and is
renamed onto the target only once complete. Any error, Ctrl-C, SIGTERM or SIGHUP removes the
temporary file; SIGTERM and SIGHUP then end the process with 128 + the signal's number. A
SIGKILL cannot be caught: it may leave such a file, which nothing ever reuses or follows.

The target must be a regular file or nothing: a directory, FIFO, device, socket or symbolic
link is refused (``-`` is standard output, where the commands accept it). A new file gets the
permissions of any new file (0666 less the umask); a replaced file keeps its own.
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TextIO

from factdb.core.errors import Conflict, InvalidInput

ENDING_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s
)
"""Signals that end a write cleanly (temporary file removed, exit 128 + number)."""
_NAME_ROOM = 100
"""Characters of the target's name kept in the temporary name (file names stop at 255)."""


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "directory"),
        (stat.S_ISLNK, "symbolic link"),
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    )
    return next((name for test, name in kinds if test(mode)), "special file")


def check_target(path: Path, field: str) -> os.stat_result | None:
    """The target's own status (not through a link), or None when there is nothing there;
    ``InvalidInput`` when it is not a regular file."""
    try:
        status = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInput(field, f"cannot write {path}: {exc.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise InvalidInput(
            field,
            f"{path} is a {_kind(status.st_mode)}, not a regular file; give a file name, "
            "or '-' for standard output",
        )
    return status


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def _signals_end_the_write() -> Iterator[None]:
    """For the duration of a write: SIGTERM and SIGHUP raise ``SystemExit(128 + number)``,
    so that the temporary file is removed on the way out. Only where the signal still has its
    default action (not ignored, not handled by someone else) and in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    ending: list[int] = []

    def end(signum: int, _frame: FrameType | None) -> None:
        if ending:
            return  # already on the way out: let the clean-up finish
        ending.append(signum)
        raise SystemExit(128 + signum)

    previous = {}
    for signum in ENDING_SIGNALS:
        if signal.getsignal(signum) is signal.SIG_DFL:
            previous[signum] = signal.signal(signum, end)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGTERM and SIGHUP wait until the block ends (then the handler runs)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, ENDING_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@dataclass
class Staged:
    """The temporary file being written: ``fd`` is open for writing, ``path`` names it."""

    fd: int
    path: Path


@contextmanager
def staged(path: Path, field: str, *, new_only: bool = False) -> Iterator[Staged]:
    """A temporary file beside ``path``, renamed onto it when the block ends without error
    and removed otherwise. ``new_only``: ``path`` must not exist (``Conflict``), and is never
    replaced by the rename either."""
    if new_only and os.path.lexists(path):
        raise Conflict(f"{path} exists; choose a new file name")
    existing = check_target(path, field)
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else _new_file_mode()
    folder = path.parent
    with _signals_end_the_write():
        temp: Path | None = None
        fd = -1
        try:
            with _signals_held():  # a signal now would leave the file behind, unnamed
                handle, name = tempfile.mkstemp(
                    prefix=f".{path.name[:_NAME_ROOM]}.factdb-", suffix=".tmp", dir=folder
                )
                fd, temp = handle, Path(name)
            yield Staged(fd, temp)
            os.fchmod(fd, mode)
            os.fsync(fd)
            os.close(fd)
            fd = -1
            _rename(temp, path, new_only)
            temp = None
        except OSError as exc:
            raise InvalidInput(field, f"cannot write {path}: {exc.strerror or exc}") from None
        finally:
            if fd >= 0:
                os.close(fd)
            if temp is not None:
                temp.unlink(missing_ok=True)


def _rename(temp: Path, path: Path, new_only: bool) -> None:
    if not new_only:
        os.replace(temp, path)
        return
    try:
        os.link(temp, path)  # fails if the name was taken meanwhile: never replaces anything
    except FileExistsError:
        raise Conflict(f"{path} exists; choose a new file name") from None
    except OSError:
        if os.path.lexists(path):  # a file system without hard links
            raise Conflict(f"{path} exists; choose a new file name") from None
        os.replace(temp, path)
        return
    temp.unlink()


@contextmanager
def text_output(path: Path, field: str, *, newline: str = "") -> Iterator[TextIO]:
    """``staged`` as a UTF-8 text stream."""
    with (
        staged(path, field) as stage,
        open(stage.fd, "w", encoding="utf-8", newline=newline, closefd=False) as handle,
    ):
        yield handle
