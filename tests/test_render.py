"""Plain lines without rich: what the write commands print into a pipe or a file is written
without importing rich, and must be the characters rich writes there."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from factdb.cli import render
from factdb.cli.render import Format, Line

LINES = [
    Line("assertion 19 recorded: Plain Name (existing actor 25) on claim 1 (existing)"),
    Line("", style="dim"),
    Line("trailing spaces   ", style="bold"),
    Line("   leading spaces"),
    Line("wide 中文字 and é ü ñ, combining e\u0301"),
    Line("a" * 500),
    Line("two\nlines", style="dim"),
    Line("[bold]not markup[/bold] :smile: not an emoji"),
    Line.assemble(("id: ", "bold"), "42"),
    Line.assemble(("#7 ", "dim"), ("White House", "bold"), (" — asserts, 2024-02", "")),
    Line(render.safe_text("zero\u200bwidth and bidi \u202e override")),
]


def _rich_file_output(renderables: list[Any]) -> str:
    """What ``render`` draws with rich into a file: its own console, writing to a buffer."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, soft_wrap=True, highlight=False, markup=False, emoji=False, width=80
    )
    assert not console.is_terminal
    for renderable in renderables:
        console.print(renderable)
    return buffer.getvalue()


@pytest.mark.parametrize("line", LINES, ids=lambda line: repr(line)[:40])
def test_a_plain_line_is_what_rich_writes_to_a_file(line: Line) -> None:
    assert render._plain_lines([line]) == _rich_file_output([line])


def test_lines_together_are_what_rich_writes_to_a_file() -> None:
    assert render._plain_lines(LINES) == _rich_file_output(LINES)


@pytest.mark.parametrize("code", [7, 8, 11, 12, 13])
def test_a_control_code_rich_strips_goes_through_rich(code: int) -> None:
    """rich's ``Text`` drops these codes (a line is built with ``safe_text``, which escapes
    them, but a message need not be): such a line is left to rich, as it always was."""
    from rich.control import STRIP_CONTROL_CODES

    assert code in STRIP_CONTROL_CODES
    line = Line(f"before{chr(code)}after")
    assert render._plain_lines([line]) is None
    assert _rich_file_output([line]) == "beforeafter\n"


def test_a_tab_or_a_rich_renderable_goes_through_rich() -> None:
    """rich expands a tab to the next tab stop by cell width: such a line is left to it, as is
    any output that holds something other than lines (a table)."""
    tabbed = Line.assemble(("name: ", "bold"), "a\tb 中\tc")
    assert render._plain_lines([tabbed]) is None
    assert render._plain_lines([LINES[0], render.cell("a cell")]) is None
    # 中 takes two cells: the tab after it is one space shorter than str.expandtabs makes it
    assert _rich_file_output([tabbed]) == "name: a b 中    c\n"
    assert tabbed.plain.expandtabs(8) == "name: a b 中     c"


def _emitted(capsys: pytest.CaptureFixture[str], data: Any, table: Any = None) -> str:
    render.emit(data, Format.table, table)
    return capsys.readouterr().out


def test_emit_into_a_pipe_writes_plain_lines(capsys, monkeypatch) -> None:
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    record = {"id": 3, "name": "Kremlin", "aliases": ["Moscow", "Russia"], "part_of": None}
    assert _emitted(capsys, record) == "id: 3\nname: Kremlin\naliases: Moscow; Russia\npart_of: \n"
    assert _emitted(capsys, {}, lambda _: [Line("done", style="bold")]) == "done\n"


@pytest.mark.parametrize(
    ("env", "plain"),
    [
        ({"FORCE_COLOR": "1"}, False),
        ({"TTY_COMPATIBLE": "1"}, False),
        ({"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"}, True),
        ({"FORCE_COLOR": ""}, True),
    ],
)
def test_a_terminal_as_rich_sees_it_gets_rich(capsys, monkeypatch, env, plain) -> None:
    """The same test as rich's ``Console.is_terminal``: where rich styles the output, rich
    draws it (bold as an escape sequence), so a forced terminal looks as it always did."""
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert render.plain_output() is plain
    assert render.plain_output() is (not Console(file=io.StringIO()).is_terminal)
    out = _emitted(capsys, {"id": 3})
    assert ("\x1b[1m" not in out) is plain
    assert out.replace("\x1b[1m", "").replace("\x1b[0m", "") == "id: 3\n"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_stream_that_is_a_terminal_is_not_plain(monkeypatch) -> None:
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    assert render.plain_output(_Tty()) is False
    assert Console(file=_Tty()).is_terminal
    assert render.plain_output(io.StringIO()) is True
