"""Help a newcomer can act on: required options marked required, repeatable ones marked
repeatable (never a type such as ``<list[str]>``), one spelling of the output-format option,
shell completion installable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.core import TyperGroup, TyperOption
from typer.testing import CliRunner

from factdb.cli.app import app


def commands() -> Iterator[tuple[str, Any]]:
    def walk(path: str, command: Any) -> Iterator[tuple[str, Any]]:
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(f"{path} {name}".strip(), sub)

    yield from walk("", typer.main.get_command(app))


def help_of(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def option_line(text: str, option: str) -> str:
    """The help of ``option``: its line and the lines that go on with it."""
    lines = text.splitlines()
    (start,) = [i for i, line in enumerate(lines) if re.match(rf"\s+(-\w, )?{option}\b", line)]
    end = start + 1
    while end < len(lines) and lines[end].startswith(" " * 10):
        end += 1
    return " ".join(lines[start:end])


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (("add",), ("--by", "--stance", "--source")),
        (("retract",), ("--reason",)),
        (("assertion", "correct"), ("--reason",)),
    ],
)
def test_required_options_are_marked(command: tuple[str, ...], options: tuple[str, ...]) -> None:
    text = help_of(*command)
    for option in options:
        assert "[required]" in option_line(text, option), option
    assert "[required]" not in option_line(text, "--format")


def test_no_option_shows_a_python_type() -> None:
    repeatable = 0
    for path, command in commands():
        text = help_of(*path.split())
        assert not re.search(r"<(str|int|float|list\[[^>]*\])>", text), (path, text)
        for param in command.params:
            if isinstance(param, TyperOption) and param.multiple and not param.hidden:
                line = option_line(text, param.opts[-1])
                assert " TEXT " in line or " INTEGER " in line, (path, line)
                assert "(repeatable)" in line, (path, line)
                repeatable += 1
    assert repeatable >= 8  # add --via/--tag/--violates, sql -p, actor add --alias, …


def test_repeatable_options_read_as_such() -> None:
    text = help_of("add")
    assert re.search(r"--via TEXT\s+Intermediary", text)
    assert "(repeatable)" in option_line(text, "--tag")


def test_one_spelling_of_the_output_format() -> None:
    for path, command in commands():
        if isinstance(command, TyperGroup) or not path:
            continue
        names = {opt for p in command.params if not getattr(p, "hidden", False) for opt in p.opts}
        assert "--output-format" not in names, path
        if "--format" in names:
            assert "-f" in names, path
    assert "--input-format" in help_of("import")


def test_completion_can_be_installed() -> None:
    text = help_of()
    assert "--install-completion" in text and "--show-completion" in text


def test_bash_completion_completes_commands() -> None:
    result = CliRunner().invoke(
        app,
        [],
        env={"_FACTDB_COMPLETE": "complete_bash", "COMP_WORDS": "factdb act", "COMP_CWORD": "1"},
        prog_name="factdb",
    )
    assert "actor" in result.stdout.split()


def test_missing_required_option_is_one_line(cli: Any) -> None:
    result = cli("add", "A claim", "--stance", "asserts", "--source", "https://example.org/a")
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "--by" in result.stderr
    assert "Traceback" not in result.stderr
    empty = cli("retract", "1", "--reason", " ")
    assert empty.exit_code == 2 and "--reason" in empty.stderr


def test_import_takes_the_old_spelling_too(cli: Any, tmp_path: Any) -> None:
    path = tmp_path / "one.csv"
    path.write_text(
        "claim,actor,stance,date,source_url\nA claim,Someone,asserts,2024,https://example.org/a\n",
        encoding="utf-8",
    )
    new = cli.ok("import", str(path), "-f", "json").json()
    old = cli.ok("import", str(path), "--output-format", "json").json()
    assert [r["records"] for r in new] == [r["records"] for r in old]
    stdin = cli.ok("import", "-", "--input-format", "csv", "-f", "json", input=path.read_text())
    assert stdin.json()[0]["already_there"] >= 0
