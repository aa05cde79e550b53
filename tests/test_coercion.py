"""The pydantic-free reading of command-line values (factdb.cli.coercion) gives what typer's
own reading gives, on every parameter of the application: the same value, or the same error."""

from __future__ import annotations

import subprocess
import sys
from enum import Enum
from typing import Any

import pytest
import typer
from typer._click import Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param
from typer.core import _TyperParameter

from factdb.cli import coercion
from factdb.cli.app import build

SAMPLES: tuple[Any, ...] = (
    "12",
    "-3",
    "0",
    "+5",
    " 5",
    "1_000",
    "99999999999999999999",
    "abc",
    "",
    "json",
    "JSON",
    "table",
    "asserts",
    True,
    False,
    7,
)


def _parameters() -> list[tuple[str, Any, _TyperParameter]]:
    root = typer.main.get_command(build())
    found: list[tuple[str, Any, _TyperParameter]] = []

    def walk(command: Any, path: str) -> None:
        for param in command.params:
            if isinstance(param, _TyperParameter):
                found.append((f"{path} {param.name}", command, param))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(root, "factdb")
    return found


PARAMETERS = _parameters()


def _outcome(runtime: Any, value: Any, param: _TyperParameter, ctx: Context) -> tuple[str, Any]:
    try:
        return ("value", runtime.coerce(value, param=param, ctx=ctx))
    except BadParameter as exc:
        return ("error", exc.format_message())


def _values(param: _TyperParameter) -> list[Any]:
    values: list[Any] = list(SAMPLES)
    annotation = param.type_descriptor.annotation
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        for member in annotation:
            values += [member, member.value, str(member.value).upper()]
    if param.multiple or param.nargs == -1:
        return [(), ("a", "b"), ("1", "2"), ("1", "x"), ["3"], *[(v,) for v in values]]
    return values


def test_every_parameter_has_its_values_read_as_typer_reads_them() -> None:
    fast = 0
    for label, command, param in PARAMETERS:
        runtime = coercion.fast(param.type_descriptor)
        if runtime is None:
            continue
        fast += 1
        own = build_runtime_param(param.type_descriptor)
        ctx = Context(command)
        for value in _values(param):
            mine = _outcome(runtime, value, param, ctx)
            theirs = _outcome(own, value, param, ctx)
            assert mine == theirs, (label, value)
    # Nearly every parameter takes the fast path; a typer upgrade that changed the
    # descriptors would show here.
    assert fast >= 0.9 * len(PARAMETERS), (fast, len(PARAMETERS))


def test_the_fast_path_leaves_paths_and_clamped_numbers_to_typer() -> None:
    kinds = {
        repr(param.type_descriptor.annotation)
        for _, _, param in PARAMETERS
        if coercion.fast(param.type_descriptor) is None
    }
    assert kinds, "some parameters (paths at least) are read by typer itself"
    assert "<class 'str'>" not in kinds


@pytest.mark.parametrize(
    ("args", "pydantic"),
    [
        (["show", "1"], False),
        (["list", "--limit", "20"], False),
        (["show", "x"], True),  # the error is typer's own: pydantic is imported to write it
    ],
)
def test_show_and_list_do_not_import_pydantic(
    tmp_path: Any, args: list[str], pydantic: bool
) -> None:
    db = str(tmp_path / "x.sqlite3")
    subprocess.run(
        [sys.executable, "-m", "factdb", "--db", db, "add", "A claim", "--by", "Someone"]
        + ["--stance", "asserts", "--date", "2022-10", "--source", "https://example.org/a"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    code = (
        "import sys\n"
        "from factdb.cli.app import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print('PYDANTIC' if 'pydantic' in sys.modules else 'NONE', code, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "--db", db, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("PYDANTIC" if pydantic else "NONE"), done.stderr
    if pydantic:
        assert "Invalid value for 'CLAIM_ID'" in done.stderr
