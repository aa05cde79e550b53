"""``factdb seed``: load the claims of the seed article, shipped inside the package."""

from __future__ import annotations

import importlib.resources

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
        with root.joinpath(name).open(encoding="utf-8") as handle:
            part = load_jsonl(session, handle, f"seeds/{name}")
        total.add(part)
    return total
