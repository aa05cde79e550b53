"""The ``factdb`` executable: the root app, its global options, and the one place where
errors become exit codes (0 success, 1 failed operation, 2 usage; docs/design.md)."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, TextIO, cast

import typer
from typer.core import TyperGroup

from factdb.core.errors import FactdbError

HELP = (
    "factdb: who took which stance on which claim, when, where it was reported and through "
    "whom — side by side, as of any date."
)


class ClosedPipe(Exception):
    """Standard output's reader went away (``| head``): a normal end. Not an ``OSError``, so
    that click does not turn it into a silent exit 1 on its way out."""


class StdoutError(FactdbError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot write to standard output: {self.reason}"


class GuardedStdout:
    """``sys.stdout`` while a command runs: a write error becomes ``ClosedPipe`` (a closed
    pipe) or ``StdoutError`` (anything else, such as a full disk), whoever writes."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    @staticmethod
    def _failed(exc: OSError) -> Exception:
        if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
            return ClosedPipe()
        return StdoutError(exc.strerror or str(exc))

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except OSError as exc:
            raise self._failed(exc) from None

    def writelines(self, lines: Iterable[str]) -> None:
        try:
            self.stream.writelines(lines)
        except OSError as exc:
            raise self._failed(exc) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as exc:
            raise self._failed(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


_METAVARS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Path": "PATH"}


def _no_type(ctx: Any) -> None:
    return None


def polish_help(command: Any) -> None:
    """Help for people, on every command under ``command``: a value shown as TEXT,
    INTEGER… (never a Python type such as ``<list[str]>``), and a repeatable option marked
    ``(repeatable)``. Choices keep their list (``<table|csv|json|jsonl>``)."""
    from typer.core import TyperArgument, TyperOption

    for param in command.params:
        if isinstance(param, TyperArgument):
            param.metavar = param.metavar or (param.name or "VALUE").upper()
            setattr(param, "display_type_rich", _no_type)  # noqa: B010 ("TEXT", not "TEXT <str>")
            continue
        if not isinstance(param, TyperOption) or param.metavar is not None or param.is_flag:
            continue
        if param.type_descriptor.is_choice:
            continue
        annotation = param.type_descriptor.annotation
        if param.type_descriptor.is_list:
            (annotation,) = getattr(annotation, "__args__", (str,))
        name = getattr(annotation, "__name__", "")
        if name in _METAVARS:
            param.metavar = _METAVARS[name]
        if param.multiple and "(repeatable)" not in (param.help or ""):
            param.help = f"{param.help or ''} (repeatable)".strip()
    for sub in getattr(command, "commands", {}).values():
        polish_help(sub)


class FactdbGroup(TyperGroup):
    """Runs the command without click's standalone error printing, so that every error is
    one line on stderr with the right exit code, also under typer's CliRunner."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from factdb.cli import coercion

        super().__init__(*args, **kwargs)
        polish_help(self)
        coercion.install()  # values read without pydantic where they can be

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or os.environ.get("FACTDB_DEBUG") == "1"
        from factdb.cli import state

        state.COMMAND_PATH = self.command_path(argv)
        guard = GuardedStdout(sys.stdout)
        sys.stdout = cast(TextIO, guard)
        try:
            code = run_safely(
                lambda: super(FactdbGroup, self).main(
                    args=argv,
                    prog_name=prog_name or "factdb",
                    complete_var=complete_var,
                    standalone_mode=False,
                    windows_expand_args=windows_expand_args,
                    **extra,
                ),
                debug,
            )
        finally:
            if cast(object, sys.stdout) is guard:
                sys.stdout = guard.stream
        sys.exit(code)

    def command_path(self, argv: list[str]) -> str:
        """The command a command line runs (``factdb actor merge``), for the change history:
        the root's options skipped, then a command, and a subcommand when it is a group."""
        words = ["factdb"]
        group: Any = self
        i = 0
        while i < len(argv):
            arg = argv[i]
            if arg in ("--db", "--read-db", "--as"):
                i += 2
                continue
            if arg.startswith("-"):
                i += 1
                continue
            command = group.commands.get(arg)
            if command is None:
                break
            words.append(arg)
            if not hasattr(command, "commands"):  # not a group (typer's own, not click's)
                break
            group = command
            i += 1
        return " ".join(words)


def _discard_stdout() -> None:
    """Point standard output at devnull, so that the interpreter's final flush of what is
    still buffered neither fails nor prints (Python docs, "Note on SIGPIPE")."""
    try:
        fileno = sys.stdout.fileno()
    except (OSError, ValueError):
        return  # not a file (a test runner's capture): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def run_safely(call: Any, debug: bool) -> int:
    from factdb.cli import render
    from factdb.storage.config import scrub

    def error(message: str) -> None:
        render.error(scrub(message))  # never a password, whatever a driver quoted

    try:
        result = call()
        sys.stdout.flush()  # a full disk shows here, not as a warning at exit
        return result if isinstance(result, int) else 0
    except StdoutError as exc:
        _discard_stdout()
        error(str(exc))
        return exc.exit_code
    except FactdbError as exc:
        error(str(exc))
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        error("aborted")
        return 1
    except typer.TyperException as exc:  # click's UsageError and friends
        code = int(getattr(exc, "exit_code", 2))
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        ctx = getattr(exc, "ctx", None)
        command = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        error(f"{message}{command}")
        return code
    except (ClosedPipe, BrokenPipeError):
        _discard_stdout()  # quiet under `| head`: a closed pipe is a normal end
        return 0
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except Exception as exc:
        if debug:
            raise
        from factdb.cli.errors import describe_unexpected

        message, code = describe_unexpected(exc)
        error(message)
        return code


def _new_app() -> typer.Typer:
    root_app = typer.Typer(
        cls=FactdbGroup,
        help=HELP,
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    root_app.callback()(root)
    return root_app


def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database: a SQLite file path or a postgresql:// URL. Default: "
            "$FACTDB_DATABASE_URL, else the embedded file shown by `factdb db info`.",
            metavar="URL_OR_PATH",
        ),
    ] = None,
    read_db: Annotated[
        str | None,
        typer.Option(
            "--read-db",
            help="Database the read-only commands read from (a hot standby, a copy); writes "
            "still go to --db. Default: $FACTDB_READ_DATABASE_URL, else --db.",
            metavar="URL_OR_PATH",
        ),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Who makes the change, recorded in the history. Default: $FACTDB_USER, else "
            "the operating system's user.",
            metavar="NAME",
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
) -> None:
    from factdb.cli.state import State

    ctx.obj = State(db_option=db, debug=debug, as_user=as_user, read_db_option=read_db)


COMMANDS: dict[str, tuple[str, str, str | None]] = {
    "add": ("claims", "add", None),
    "list": ("claims", "list_", None),
    "show": ("claims", "show", None),
    "retract": ("claims", "retract", None),
    "seed": ("claims", "seed", None),
    "timeline": ("timeline", "timeline", None),
    "report": ("analysis", "report", None),
    "sql": ("analysis", "sql", None),
    "history": ("history", "history", None),
    "import": ("interchange", "import_", None),
    "export": ("interchange", "export", None),
    "site": ("site", "site", None),
    "claim": (
        "claims",
        "claim_app",
        "Correct a claim: its wording, tags, sanctions; relate it to others.",
    ),
    "actor": ("actors", "app", "Actors: names, aliases, kinds, hierarchy."),
    "assertion": ("assertions", "app", "Assertions: corrected by retract-and-replace."),
    "source": ("sources", "app", "Sources: where assertions were reported."),
    "sanction": ("sanctions", "app", "Sanctions and the claims alleging their violation."),
    "db": ("db", "app", "The database: schema, location, counts."),
}
"""Every top-level command, in the order ``factdb --help`` lists them: the module of
``factdb.cli`` that holds it, the function (or, for a group, its typer app), and a group's
help. A command line names one of them: only its module is imported (``factdb show`` does not
import the modules of ``import``, ``site`` or ``actor``), which saves a whole process a
tenth of its start-up (docs/performance.md)."""

_RATINGS: list[bool] = []
"""Set once the rating commands are in the ``actor`` and ``assertion`` groups (module-level
apps, so registered once per process)."""


def _register(root_app: typer.Typer, name: str) -> None:
    import importlib

    module, attribute, group_help = COMMANDS[name]
    command = getattr(importlib.import_module(f"factdb.cli.{module}"), attribute)
    if group_help is None:
        root_app.command(name)(command)
        return
    if name in ("actor", "assertion") and not _RATINGS:
        # The rating commands live under both groups: added when either is first needed.
        from factdb.cli import actors, assertions, ratings

        ratings.register(actors.app, assertions.app)
        _RATINGS.append(True)
    root_app.add_typer(command, name=name, help=group_help)


def build(only: str | None = None) -> typer.Typer:
    """The root app with every command, or with the one command ``only`` alone."""
    root_app = _new_app()
    for name in COMMANDS if only is None else (only,):
        _register(root_app, name)
    return root_app


def command_named(argv: Sequence[str]) -> str | None:
    """The top-level command a command line runs, when it runs one and nothing else needs
    the whole tree (help, shell completion, a misspelt command's suggestions)."""
    if any(name.endswith("_COMPLETE") for name in os.environ):
        return None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--db", "--read-db", "--as"):
            i += 2
            continue
        if arg.startswith(("--db=", "--read-db=", "--as=")) or arg == "--debug":
            i += 1
            continue
        if arg.startswith("-"):
            return None  # --help, --install-completion, or an unknown option: the whole app
        return arg if arg in COMMANDS else None
    return None


_app: typer.Typer | None = None


def __getattr__(name: str) -> Any:
    """``app``: the root app with every command, built on first use (tests, the CLI
    reference)."""
    global _app
    if name == "app":
        if _app is None:
            _app = build()
        return _app
    raise AttributeError(name)


def main() -> None:
    argv = sys.argv[1:]
    typer.main.get_command(build(command_named(argv))).main()


if __name__ == "__main__":
    main()
