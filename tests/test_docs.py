"""Every command has help text and is documented in the README."""

from __future__ import annotations

from pathlib import Path

import typer

from factdb.cli.app import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, object]]:
    root = typer.main.get_group(app)
    found: list[tuple[str, object]] = []
    for name, command in root.commands.items():
        sub = getattr(command, "commands", None)
        if sub:
            found += [(f"{name} {child}", cmd) for child, cmd in sub.items()]
        else:
            found.append((name, command))
    return found


def test_there_are_commands_to_check() -> None:
    names = [name for name, _ in _commands()]
    assert {"add", "list", "show", "sql", "import", "export", "db upgrade"} <= set(names)


def test_every_command_has_help_and_appears_in_the_readme() -> None:
    for name, command in _commands():
        assert (getattr(command, "help", None) or "").strip(), f"`factdb {name}` has no help"
        assert f"factdb {name}" in README, f"`factdb {name}` is not in the README"
