"""``factdb seed``: load the claims of the seed article, shipped inside the package."""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterator

from sqlmodel import Session

from factdb.interchange.common import ImportResult
from factdb.interchange.jsonl import load_jsonl


def seed_files() -> list[str]:
    root = importlib.resources.files("factdb.seeds")
    return sorted(p.name for p in root.iterdir() if p.name.endswith(".jsonl"))


def seed(session: Session) -> ImportResult:
    """Load every ``*.jsonl`` of ``seeds/``; loading twice changes nothing."""
    root = importlib.resources.files("factdb.seeds")
    total = ImportResult()
    for name in seed_files():

        def lines(name: str = name) -> Iterator[str]:
            with root.joinpath(name).open("rb") as handle:  # lines split on LF only
                for raw in handle:
                    yield raw.decode("utf-8")

        total.add(load_jsonl(session, lines, f"seeds/{name}"))
    return total
