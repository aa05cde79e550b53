""" "Did you mean" hints: the known names closest to one a user typed.

Apart from ``factdb.domain.actors`` so that the read path (``factdb.queries``) can give the same
hints without importing SQLModel.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from factdb.core.keys import confusable_skeleton, is_invisible, name_key, strip_invisible


def closest_names(name: str, pairs: list[tuple[str, str]], limit: int = 3) -> list[tuple[str, str]]:
    """Of (name or alias, actor name) pairs, those whose first part is close to ``name``."""
    from rapidfuzz import fuzz, process, utils

    if not pairs or not utils.default_process(name):
        # Nothing to compare: a name of punctuation alone would score 100 against another.
        return []

    # fuzz.ratio, not WRatio: WRatio scores short substrings ("US" in "Russia") at 90.
    matches = process.extract(
        name,
        [p[0] for p in pairs],
        scorer=fuzz.ratio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=80,
    )
    return [pairs[index] for _, _, index in matches]


def describe_suggestions(found: list[tuple[str, str]]) -> str:
    return ", ".join(f"'{n}'" if n == a else f"'{n}' ({a})" for n, a in found)


_WORD = re.compile(r"\w+")


def name_words(name: str) -> tuple[str, ...]:
    """The words of a name, compared as ``name_key`` compares names (NFKC, case folded);
    punctuation separates words ("Kim Jong-un" is kim, jong, un)."""
    return tuple(_WORD.findall(unicodedata.normalize("NFKC", name).casefold()))


class CloseNames:
    """What a name no actor answers to may have been meant as: the known names (actor names
    and aliases) it is a close typo of (``closest_names``), or a part of: a whole word, or
    words in a row, of a known name ("Kirby" of "John Kirby", "Kanaani" of "Nasser
    Kanaani"). ``factdb add`` refuses such a name unless told it is a new actor; an import's
    dry run lists them. One object serves many names: the parts are indexed once."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self.pairs: list[tuple[str, str]] = list(pairs)
        # words in a row of a known name (never all of them) -> indexes into pairs
        self.parts: dict[tuple[str, ...], list[int]] = {}
        for index, (known, _) in enumerate(self.pairs):
            words = name_words(known)
            runs = {
                words[start:end]
                for start in range(len(words))
                for end in range(start + 1, len(words) + 1)
                if end - start < len(words)
            }
            for run in runs:
                self.parts.setdefault(run, []).append(index)

    def of(self, name: str, limit: int = 3) -> list[tuple[str, str]]:
        """The (known name, its actor) pairs ``name`` may have meant, one per actor, at most
        ``limit``: close typos first (closest first), then the names it is a part of
        (shortest first)."""
        typos = closest_names(name, self.pairs, limit)
        words = name_words(name)
        parts = sorted(
            (self.pairs[i] for i in self.parts.get(words, ()) if words),
            key=lambda pair: (len(pair[0]), pair[0]),
        )
        return _one_per_actor([*typos, *parts], limit)


def _one_per_actor(found: Sequence[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    seen: set[str] = set()
    kept: list[tuple[str, str]] = []
    for pair in found:
        if pair[1] not in seen and len(kept) < limit:
            seen.add(pair[1])
            kept.append(pair)
    return kept


def close_by_words(name: str, names: Iterable[str], limit: int = 3) -> list[str]:
    """Of known ``names``, those ``name`` may have meant: close typos (as ``closest_names``
    scores them, within 10 points of the closest: names that differ by a number are not
    offered for each other's typo), then the names holding every word of it, in any order
    ("2231" and "UNSC 2231" of "UNSC Resolution 2231"), shortest first; at most ``limit``."""
    from rapidfuzz import fuzz, process, utils

    known = list(dict.fromkeys(names))
    scored: list[tuple[str, float, int]] = []
    comparable = bool(utils.default_process(name))  # not punctuation alone
    if known and comparable:
        scored = process.extract(
            name,
            known,
            scorer=fuzz.ratio,
            processor=utils.default_process,
            limit=limit,
            score_cutoff=80,
        )
    best = max((score for _, score, _ in scored), default=0.0)
    typos = [known[index] for _, score, index in scored if score >= best - 10]
    words = set(name_words(name))
    holding = sorted(
        (n for n in known if words and words <= set(name_words(n))),
        key=lambda n: (len(n), n),
    )
    return list(dict.fromkeys([*typos, *holding]))[:limit]


class LookAlikes:
    """The names a database knows (actor names and aliases) by what they look like
    (``keys.confusable_skeleton``): a new name that looks like a known one but is another
    name is refused (``problem``), as a typo would be hinted, so that two actors never show
    alike in a table. One object serves a whole import; ``remember`` adds each new name."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        # skeleton -> [(name_key, name or alias, actor name)]
        self.by_skeleton: dict[str, list[tuple[str, str, str]]] = {}
        self.keys: set[str] = set()
        for name, actor in pairs:
            self.remember(name, actor)

    def remember(self, name: str, actor: str | None = None) -> None:
        key = name_key(name)
        if key in self.keys:
            return
        self.keys.add(key)
        self.by_skeleton.setdefault(confusable_skeleton(name), []).append(
            (key, name, actor or name)
        )

    def problem(self, name: str, *, allow: bool = False, owner: str | None = None) -> str | None:
        """Why ``name`` (not a known name itself) may not name a new actor or alias of
        ``owner``: it differs from a known name only by invisible characters (always
        refused), or looks like one (refused unless ``allow``). None if it may."""
        key = name_key(name)
        if key in self.keys:
            return None
        owner_key = name_key(owner) if owner is not None else None
        for other_key, other, actor in self.by_skeleton.get(confusable_skeleton(name), ()):
            if other_key == key or name_key(actor) == owner_key:
                continue
            known = f"actor '{other}'" if other == actor else f"'{other}' (actor '{actor}')"
            if name_key(strip_invisible(name)) == name_key(strip_invisible(other)):
                hidden = "".join(sorted({c for c in name if is_invisible(c)}))
                return (
                    f"{name!r} differs from {known} only by invisible characters "
                    f"({ascii(hidden)[1:-1]}); use '{other}'"
                )
            if not allow:
                odd = sorted({c for c in name if not c.isascii()} - set(other))
                letters = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in odd)
                return (
                    f"{name!r} looks like {known} but is another name"
                    + (f" ({letters})" if letters else "")
                    + "; use the known name, or --allow-confusable if it is another actor"
                )
        return None
