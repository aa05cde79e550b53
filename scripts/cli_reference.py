"""The command-line reference of docs/cli.md, generated from the typer app itself.

docs/cli.md runs ``render()`` through cog; regenerate it after changing a command, an
option or a help text with

    .venv/bin/cog -r docs/cli.md

and ``scripts/lint`` (``cog --check``) fails while it is out of date. ``python
scripts/cli_reference.py`` prints the same markdown. The walk reads click's command tree
(``typer.main.get_command``), never the rendered ``--help``: nothing depends on the terminal's
width, on rich, or on the machine, so the output is the same everywhere.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from enum import Enum

import typer
import typer.main
from typer._click import Command
from typer.core import TyperArgument, TyperGroup, TyperOption

from factdb.cli.app import app

# Only for click's own formatter, which this module does not use; fixed all the same.
WIDTH = 100


def render() -> str:
    """The reference: one section per command, depth first, in the order of ``--help``."""
    root = typer.main.get_command(app)
    sections = [_section(ctx, depth) for ctx, depth in _walk(root)]
    return "\n".join(sections) + "\n"


def _walk(
    command: Command,
    name: str = "factdb",
    parent: typer.Context | None = None,
    depth: int = 0,
) -> Iterator[tuple[typer.Context, int]]:
    if command.hidden:
        return
    settings = {"terminal_width": WIDTH, "max_content_width": WIDTH, **command.context_settings}
    ctx = typer.Context(command, info_name=name, parent=parent, **settings)
    yield ctx, depth
    if isinstance(command, TyperGroup):
        for child in command.list_commands(ctx):
            yield from _walk(command.commands[child], child, ctx, depth + 1)


def _section(ctx: typer.Context, depth: int) -> str:
    command = ctx.command
    level = "#" * (2 + max(depth - 1, 0))
    lines = [f"{level} `{ctx.command_path}`", ""]
    text = _help(command)
    if command.deprecated:
        note = command.deprecated if isinstance(command.deprecated, str) else ""
        text = f"**Deprecated.** {note}\n\n{text}".strip()
    if text:
        lines += [text, ""]
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    lines += ["```text", usage, "```", ""]

    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    arguments = [p for p in params if isinstance(p, TyperArgument)]
    options = [p for p in params if isinstance(p, TyperOption)]
    if arguments:
        lines += _table(
            ("Argument", "Value", "Default", "Description"),
            [_argument_row(ctx, p) for p in arguments],
        )
    if options:
        lines += _table(
            ("Option", "Value", "Default", "Description"),
            [_option_row(ctx, p) for p in options],
        )
    if isinstance(command, TyperGroup):
        rows = []
        for child in command.list_commands(ctx):
            sub = command.commands[child]
            if sub.hidden:
                continue
            path = f"{ctx.command_path} {child}"
            rows.append((f"[`{path}`](#{_anchor(path)})", _escape(_first_paragraph(sub))))
        if rows:
            lines += _table(("Command", "Description"), rows)
    return "\n".join(lines)


def _help(command: Command) -> str:
    """The help text as click shows it: up to a form feed, ``\\b`` markers dropped."""
    text = inspect.cleandoc(command.help or "").partition("\f")[0]
    return "\n".join(line for line in text.splitlines() if line.strip() != "\b").strip()


def _first_paragraph(command: Command) -> str:
    if command.short_help:
        return " ".join(inspect.cleandoc(command.short_help).split())
    return " ".join(_help(command).split("\n\n")[0].split())


def _anchor(heading: str) -> str:
    """The id GitHub gives a heading of code: lower case, spaces to hyphens."""
    return "".join(c for c in heading.lower().replace(" ", "-") if c.isalnum() or c in "-_")


def _argument_row(ctx: typer.Context, param: TyperArgument) -> tuple[str, ...]:
    name = param.display_name_raw + ("..." if param.nargs != 1 else "")
    return (
        _code(name),
        _value(ctx, param),
        _default(ctx, param),
        _description(param.help, param.envvar),
    )


def _option_row(ctx: typer.Context, param: TyperOption) -> tuple[str, ...]:
    names = ", ".join(_code(opt) for opt in _short_first(param.opts))
    if param.secondary_opts:
        names += " / " + ", ".join(_code(opt) for opt in _short_first(param.secondary_opts))
    if param.count:
        value = "count"
    elif param.is_flag:
        value = "flag"
    elif param.metavar is not None:
        value = f"{_code(param.metavar)} ({_value(ctx, param)})"
    else:
        value = _value(ctx, param)
    return (names, value, _default(ctx, param), _description(param.help, param.envvar))


def _short_first(opts: list[str]) -> list[str]:
    """``-f, --format`` as ``--help`` orders them: by the length of the dash prefix."""
    return sorted(opts, key=lambda opt: len(opt) - len(opt.lstrip("-/+")))


def _value(ctx: typer.Context, param: TyperArgument | TyperOption) -> str:
    """What the value is: its type, its choices, its range, whether it repeats."""
    desc = param.type_descriptor
    label = param.display_type(ctx).removeprefix("<").removesuffix(">")
    repeats = param.multiple or param.nargs != 1
    if desc.is_list and label.startswith("list[") and label.endswith("]"):
        label = label[len("list[") : -1]
    if desc.is_choice:
        value = "one of " + ", ".join(_code(choice) for choice in label.split("|"))
    elif desc.is_ranged:
        value = f"{_code(label.removesuffix(' range'))}, {_range(param.min, param.max)}"
    else:
        value = _code(label)
    if repeats:
        value += ", repeatable"
    return value


def _range(low: float | None, high: float | None) -> str:
    if high is None:
        return f"at least {low}"
    if low is None:
        return f"at most {high}"
    return f"{low} to {high}"


def _default(ctx: typer.Context, param: TyperArgument | TyperOption) -> str:
    """The default as ``--help`` would show it; "required" for a required parameter."""
    if param.required:
        return "required"
    if isinstance(param.show_default, str):
        return _escape(param.show_default)
    if not param.show_default:
        return ""
    value = param.get_default(ctx, call=False)
    if isinstance(param, TyperOption) and param.is_bool_flag:
        if param.secondary_opts:
            return _code(param.opts[0] if value else param.secondary_opts[0])
        return _code("on") if value else ""
    if callable(value):
        return "(dynamic)"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list | tuple):
        return ", ".join(_code(str(v.value if isinstance(v, Enum) else v)) for v in value)
    if value is None or value == "":
        return ""
    return _code(str(value))


def _description(text: str | None, envvar: str | Sequence[str] | None) -> str:
    description = _escape(text or "")
    if envvar:
        names = [envvar] if isinstance(envvar, str) else list(envvar)
        description += " Environment: " + ", ".join(_code(n) for n in names) + "."
    return description.strip()


def _code(text: str) -> str:
    return f"`{_escape(text)}`"


def _escape(text: str) -> str:
    """A table cell: one line, pipes escaped (GitHub reads ``\\|`` inside code too)."""
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


if __name__ == "__main__":
    print(render(), end="")
