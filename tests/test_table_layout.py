"""Tables for people at 80 columns and in a pipe (docs/reliability.md): words wrap whole,
URLs are never cut into pieces, and a terminal too narrow for the columns gets one
"KEY: value" block per record instead. The CLI runs with standard output not a terminal
(a pipe), at the width of ``$COLUMNS``; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Cli

URL = (
    "https://www.thenationalnews.com/world/asia/2023/07/27/"
    "north-koreas-kim-jong-un-gives-missile-tour-to-russias-defence-minister/"
)
BOX = "│┃┏┓┗┛┡┩└┘┌┐├┤┼╇╋━─┳┻┴┬ "


def words_of(out: str) -> set[str]:
    return {w for w in re.split(f"[{BOX}\n,]+", out) if w}


def url_pieces(out: str) -> list[str]:
    """The lines that hold a part of the seed's URL."""
    return [
        line
        for line in out.splitlines()
        if "https://www.the" in line or re.search("nationalnews|missile|minister/", line)
    ]


@pytest.fixture
def narrow(seeded_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Any:

    def run(width: int, *args: str) -> str:
        monkeypatch.setenv("COLUMNS", str(width))
        return seeded_cli.ok(*args).stdout

    return run


@pytest.mark.parametrize("width", [80, 60])
def test_words_are_never_cut(narrow: Any, width: int) -> None:
    actors = narrow(width, "actor", "list")
    for word in ("Carnegie", "Endowment", "International", "Peace", "organization"):
        assert word in words_of(actors), (word, actors)
    listed = narrow(width, "list")
    for side in ("United", "States", "North", "Korea", "Russia"):
        assert side in words_of(listed), (side, listed)
    shown = narrow(width, "show", "1")
    for word in ("AGAINST", "NEUTRAL", "United", "States", "North", "Korea", "White", "House"):
        assert word in words_of(shown), (word, shown)
    for out in (actors, listed, shown):  # a table fits; a line of text stays whole in a pipe
        assert all(len(line) <= width for line in out.splitlines() if line[:1] in BOX), out


@pytest.mark.parametrize("width", [80, 60, 40])
def test_urls_are_never_cut_into_pieces(narrow: Any, width: int) -> None:
    for args in (("source", "list"), ("sql", "SELECT id, url FROM source")):
        out = narrow(width, *args)
        (line,) = url_pieces(out)  # one line: whole, or shortened with an ellipsis
        assert URL in line or ("https://www.the" in line and "…" in line), out


def test_too_narrow_for_the_columns_gives_one_block_per_record(narrow: Any) -> None:
    out = narrow(40, "actor", "list")
    assert "┃" not in out and "│" not in out
    assert "NAME: Carnegie Endowment for International Peace" in out.splitlines()
    assert "KIND: organization" in out.splitlines()
    blocks = [b for b in out.split("\n\n") if b.strip()]
    count = len(narrow(200, "actor", "list", "-f", "json").splitlines())
    assert len(blocks) >= 2 and count > 0
    source = narrow(40, "source", "list")
    assert f"URL: {URL}" in source.splitlines()  # whole, in a record
    claims = narrow(30, "list")
    assert any(
        line.startswith("CLAIM: North Korea has shipped weapons") for line in claims.splitlines()
    )


def test_wide_enough_keeps_the_table(narrow: Any) -> None:
    out = narrow(120, "actor", "list")
    assert "┃ ID" in out and "│ 18 │ Carnegie Endowment " in out
