"""Deterministic benchmark data in factdb's interchange formats (fixed seed).

``actors.jsonl``: N_ACTORS actors in a hierarchy (states, their bodies, their people) with
aliases. ``assertions.csv``: the flat CSV, 10 assertions per claim by 10 different actors
(so every row is a distinct natural key), partial dates and tags, in one of two shapes:

- ``shared``: one source per 20 assertions (50,000 at a million), each cited by about 20
  assertions, short quotes (6 words), via chains of 0–2 names;
- ``distinct``: one source per assertion (every row its own article URL and title), long
  quotes (40–120 words), via chains of 3–6 names.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from factdb.interchange.common import CSV_COLUMNS

COLUMNS = CSV_COLUMNS[: CSV_COLUMNS.index("qualifier")]
"""The columns written: those of a file without qualified stances (the figures of
docs/performance.md are for such files)."""

WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu missile "
    "shipment sanction rocket border tanker vessel drone artillery fuel oil grain transfer "
    "export import port convoy rail factory treaty ceasefire summit envoy report"
).split()
VOCABULARY = WORDS + [
    a + b for a in ("ka", "lo", "mi", "ne", "ru", "sa", "te", "vo") for b in WORDS[:30]
]
"""The words of the long quotes: WORDS and 240 made-up ones."""
STANCES = ["asserts", "asserts", "supports", "neutral", "disputes", "denies", "denies"]
TAGS = [f"tag-{i}" for i in range(50)]


def actor_names(n_actors: int) -> list[tuple[str, str, str | None, list[str]]]:
    """(name, kind, parent, aliases): states, then bodies of states, then people."""
    states = max(1, n_actors // 50)
    bodies = max(1, n_actors // 5)
    out: list[tuple[str, str, str | None, list[str]]] = []
    for i in range(states):
        out.append((f"State {i}", "state", None, [f"Capital {i}", f"ST{i}"]))
    for i in range(bodies):
        out.append((f"Ministry {i}", "government", f"State {i % states}", [f"MIN-{i}"]))
    i = 0
    while len(out) < n_actors:
        out.append((f"Person {i}", "person", f"Ministry {i % bodies}", []))
        i += 1
    return out


SHAPES = ("shared", "distinct")


def generate(
    directory: Path, n_rows: int, seed: int = 1718, shape: str = "shared"
) -> dict[str, Path]:
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}")
    distinct = shape == "distinct"
    rng = random.Random(seed)
    # Long quotes are slices of one random text: a word drawn per word would take minutes.
    pool = rng.choices(VOCABULARY, k=1 << 17) if distinct else []
    directory.mkdir(parents=True, exist_ok=True)
    n_claims = max(1, n_rows // 10)
    n_actors = 2_000 if n_rows >= 100_000 else max(20, n_rows // 50)
    n_sources = max(1, n_rows // 20)
    actors = actor_names(n_actors)
    actors_path = directory / "actors.jsonl"
    with actors_path.open("w", encoding="utf-8") as handle:
        for name, kind, parent, aliases in actors:
            handle.write(
                json.dumps(
                    {
                        "type": "actor",
                        "name": name,
                        "kind": kind,
                        "part_of": parent,
                        "aliases": aliases,
                    }
                )
                + "\n"
            )
    names = [a[0] for a in actors]
    csv_path = directory / "assertions.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for c in range(n_claims):
            words = " ".join(rng.choice(WORDS) for _ in range(8))
            claim = f"Claim {c}: {words}"
            tags = "; ".join(sorted(set(rng.sample(TAGS, rng.randint(0, 2)))))
            speakers = rng.sample(names, 10)
            for k in range(10):
                if c * 10 + k >= n_rows:
                    break
                year = rng.randint(2019, 2025)
                precision = rng.random()
                if precision < 0.1:
                    date = f"{year}"
                elif precision < 0.3:
                    date = f"{year}-{rng.randint(1, 12):02d}"
                else:
                    date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                if distinct:
                    row = c * 10 + k
                    url = f"https://news{row % 40}.example/{year}/article-{row}"
                    outlet, title = f"Outlet {row % 40}", f"Article {row}: {words[:40].rstrip()}"
                    start = rng.randrange(len(pool) - 120)
                    quote = " ".join(pool[start : start + rng.randint(40, 120)])
                    via = "; ".join(rng.sample(names, rng.randint(3, 6)))
                    stance = rng.choice(STANCES)
                else:
                    source = rng.randrange(n_sources)
                    url = f"https://news{source % 40}.example/story-{source}"
                    outlet, title = f"Outlet {source % 40}", f"Story {source}"
                    via = "; ".join(rng.sample(names, rng.choice((0, 0, 0, 1, 2))))
                    stance = rng.choice(STANCES)  # drawn in the order of the first version
                    quote = " ".join(rng.choice(WORDS) for _ in range(6))
                writer.writerow(
                    [claim, speakers[k], stance, date, url, outlet, title] + [quote, via, tags, ""]
                )
    return {"actors": actors_path, "csv": csv_path}


if __name__ == "__main__":
    import sys

    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    print(generate(Path(sys.argv[1]), rows, shape=sys.argv[3] if len(sys.argv) > 3 else "shared"))
