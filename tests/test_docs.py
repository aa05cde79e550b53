"""The documentation is complete and its references resolve: every command has help text
and a section in docs/cli.md naming each of its options; every relative link of README.md
and docs/*.md, and every docs/ file the code names, exists. That docs/cli.md matches the code
to the letter is `cog --check` in scripts/lint."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import typer
from typer._click import Command
from typer.core import TyperGroup

from factdb.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
CLI_DOC = ROOT / "docs" / "cli.md"


def _commands() -> list[tuple[str, Command]]:
    """Every visible command and group below the root, as (``"actor add"``, command)."""

    def walk(command: Command, path: str) -> Iterator[tuple[str, Command]]:
        if not isinstance(command, TyperGroup):
            return
        for name, child in command.commands.items():
            if child.hidden:
                continue
            child_path = f"{path} {name}".strip()
            yield child_path, child
            yield from walk(child, child_path)

    return list(walk(typer.main.get_command(app), ""))


def _sections(markdown: str) -> dict[str, str]:
    """Heading text (backticks dropped) -> the text up to the next heading."""
    sections: dict[str, str] = {}
    current: str | None = None
    in_fence = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            current = match.group(1).replace("`", "").strip()
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def test_there_are_commands_to_check() -> None:
    names = [name for name, _ in _commands()]
    assert {"add", "list", "show", "sql", "import", "export", "db", "db upgrade"} <= set(names)
    assert "actor add" in names


def test_every_command_has_help() -> None:
    for name, command in _commands():
        assert (command.help or "").strip(), f"`factdb {name}` has no help"


def test_docs_cli_has_a_section_for_every_command_with_all_its_options() -> None:
    sections = _sections(CLI_DOC.read_text(encoding="utf-8"))
    root = typer.main.get_command(app)
    checked = 0
    for name, command in [("", root), *_commands()]:
        heading = f"factdb {name}".strip()
        assert heading in sections, f"docs/cli.md has no heading `{heading}`"
        section = sections[heading]
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            names = [*param.opts, *param.secondary_opts]
            if param.param_type_name == "argument":
                names = [param.metavar or param.name]
            for option in names:
                assert f"`{option}`" in section or f"`{option}...`" in section, (
                    f"docs/cli.md, section `{heading}`, does not mention `{option}`"
                )
                checked += 1
    assert checked > 50


def test_sections_are_found_by_heading() -> None:
    sections = _sections("# Title\n\nintro\n\n## `factdb add`\n\n| `--by` |\n```\n# no\n```\n")
    assert list(sections) == ["Title", "factdb add"]
    assert "`--by`" in sections["factdb add"]
    assert "# no" in sections["factdb add"]


_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.MULTILINE)


def _relative_links(markdown: str) -> list[str]:
    """The link targets that name a file of the repository: no URL scheme, no bare anchor;
    code blocks and code spans are not links."""
    text = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", markdown, flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"(`+).+?\1", "", text, flags=re.DOTALL)
    targets = [m.group(1) for m in _LINK.finditer(text)]
    targets += [m.group(1) for m in _REFERENCE.finditer(text)]
    found = []
    for target in targets:
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not parts.path:
            continue
        found.append(unquote(parts.path))
    return found


def test_relative_links_are_found() -> None:
    markdown = (
        "See [add](docs/cli.md#factdb-add), [web](https://example.org/x.md), [top](#top),\n"
        '![logo](img/logo%20one.png "Logo"), [mail](mailto:a@b.c) and `[no](code.md)`.\n'
        "```\n[no](fenced.md)\n```\n"
        "[ref]: ../other.md\n"
    )
    assert _relative_links(markdown) == ["docs/cli.md", "img/logo one.png", "../other.md"]


def test_every_relative_link_of_the_markdown_points_at_a_file() -> None:
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert CLI_DOC in documents
    broken = []
    for document in documents:
        for target in _relative_links(document.read_text(encoding="utf-8")):
            base = ROOT if target.startswith("/") else document.parent
            if not (base / target.lstrip("/")).exists():
                broken.append(f"{document.relative_to(ROOT)}: {target}")
    assert not broken, "links to missing files: " + ", ".join(broken)


_DOCS_REFERENCE = re.compile(r"\bdocs/[\w./-]*\w\.md\b")


def test_every_docs_file_the_code_names_exists() -> None:
    named: dict[str, set[str]] = {}
    for folder in ("factdb", "tests", "migrations", "scripts"):
        for path in sorted((ROOT / folder).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            for reference in _DOCS_REFERENCE.findall(text):
                named.setdefault(reference, set()).add(str(path.relative_to(ROOT)))
    assert "docs/cli.md" in named
    missing = {ref: sorted(files) for ref, files in named.items() if not (ROOT / ref).is_file()}
    assert not missing, f"named but missing (document: files naming it): {missing}"
