"""HTML pages: ``factdb site`` (a static site of the claims a filter chooses, with a page per
claim, actor and sanction) and ``factdb show ID --format html`` (one page).

Pages are jinja2 templates (``templates/``) with autoescaping on: every text from the
database is escaped, and wrapped in ``<bdi>`` so that a right-to-left override stays inside
its own text. Each page carries its style inline and a Content-Security-Policy that allows no
script and no request (``default-src 'none'``): it opens from the file system and reaches no
network. Links to sources are kept only for ``http``/``https`` URLs. Pages hold no time of
writing: the same data gives the same bytes (docs/design.md, HTML pages).

The site is written to a new directory beside the target and renamed onto it when complete:
never a half-written site; a directory that is not empty and holds no factdb site is refused.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from factdb.core.dates import PartialDate
from factdb.core.errors import Conflict, InvalidInput
from factdb.core.vocabulary import qualification, weight_text
from factdb.interchange.picture import flip_pairs, timeline_picture
from factdb.queries import (
    Conn,
    Filters,
    grades_text,
    list_claims,
    list_sanctions,
    sanction_claim_ids,
    sanction_targets,
    show_claim,
)
from factdb.queries.outlets import outlet_label
from factdb.queries.relations import grouped
from factdb.queries.sanctions import RESPONSE, VIOLATION
from factdb.queries.site import (
    ACTOR_BATCH,
    SiteActors,
    actor_statements,
    claim_batches,
    claim_details,
    site_actors,
)

if TYPE_CHECKING:
    import jinja2

SYMBOLS = {"asserts": "▲", "supports": "△", "neutral": "◆", "disputes": "▽", "denies": "▼"}
GENERATOR = '<meta name="generator" content="factdb site">'
SPEAKER_BUDGET = 400
"""Actors whose statements one batch of actor pages reads at most (an actor and its parts)."""


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("factdb.interchange", "templates"),
        autoescape=True,
        # A field the data lacks renders as nothing: the pages take ``show``'s data as it grows.
        undefined=jinja2.ChainableUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.globals["symbols"] = SYMBOLS
    env.globals["grades_text"] = grades_text
    return env


@lru_cache(maxsize=1)
def stylesheet() -> str:
    import importlib.resources

    return (
        importlib.resources.files("factdb.interchange")
        .joinpath("templates/site.css")
        .read_text(encoding="utf-8")
    )


def external(url: object) -> str | None:
    """A source's URL as a link target: http(s) only (a ``javascript:`` URL written behind
    factdb's back stays text)."""
    if not isinstance(url, str):
        return None
    lowered = url.strip().lower()
    if lowered.startswith(("http://", "https://")) and url == url.strip():
        return url
    return None


class Links:
    """Where a name links to, relative to the page (``root`` is ``""`` or ``"../"``); None for
    what has no page (always, in a page written alone). The ``*_html`` methods give the
    escaped markup of a name with its link, cached: pages repeat names, and a Python call is
    several times cheaper than a template macro (docs/performance.md, the HTML site)."""

    def __init__(
        self,
        root: str = "",
        actors: Mapping[str, int] | None = None,
        claims: set[int] | None = None,
        sanctions: Mapping[str, int] | None = None,
    ) -> None:
        self.root = root
        self.actors = actors or {}
        self.claims = claims or set()
        self.sanctions = sanctions or {}
        self._actor_html: dict[str, Markup] = {}

    def actor(self, name: str) -> str | None:
        found = self.actors.get(name)
        return None if found is None else f"{self.root}actors/{found}.html"

    def claim(self, claim_id: int) -> str | None:
        return f"{self.root}claims/{claim_id}.html" if claim_id in self.claims else None

    def sanction(self, name: str) -> str | None:
        found = self.sanctions.get(name)
        return None if found is None else f"{self.root}sanctions/{found}.html"

    @staticmethod
    def external(url: object) -> str | None:
        return external(url)

    def at(self, root: str) -> Links:
        return Links(root, self.actors, self.claims, self.sanctions)

    def actor_html(self, name: str) -> Markup:
        found = self._actor_html.get(name)
        if found is None:
            found = _linked(self.actor(name), name)
            self._actor_html[name] = found
        return found

    def claim_html(self, claim_id: int, text: str) -> Markup:
        return _linked(self.claim(claim_id), text)

    def sanction_html(self, name: str) -> Markup:
        return _linked(self.sanction(name), name)

    @staticmethod
    def source_html(source: Mapping[str, Any]) -> Markup:
        outlet = outlet_label(source.get("outlet"), source.get("outlet_actor"))
        label = outlet or source.get("title") or source.get("url")
        label = label or f"source {source.get('id')}"
        url = external(source.get("url"))
        if url is None:
            out = Markup("<bdi>{}</bdi>").format(label)
        else:
            out = Markup(
                '<a href="{}" rel="noopener noreferrer nofollow"><bdi>{}</bdi></a>'
            ).format(url, label)
        if source.get("published"):
            out += Markup(" ({})").format(source["published"])
        return out

    def via_html(self, a: Mapping[str, Any]) -> Markup:
        if not a.get("via"):
            return Markup("")
        chain = Markup(" → ").join(self.actor_html(n) for n in [a["actor"], *a["via"]])
        return Markup('<span class="via">{}</span>').format(chain)

    @staticmethod
    def stance_html(stance: str) -> Markup:
        return _stance_html(stance)

    @staticmethod
    def qualification(a: Mapping[str, Any]) -> Markup:
        """`` (partial: a limited number)`` after a stance; nothing when unqualified."""
        words = qualification(a.get("qualifier"), a.get("qualifier_note"))
        if not words:
            return Markup("")
        return Markup(' <span class="qualifier">(<bdi>{}</bdi>)</span>').format(words)

    @staticmethod
    def weight(counts: Mapping[str, Any]) -> str:
        return weight_text(counts)


def _linked(url: str | None, text: str) -> Markup:
    if url is None:
        return Markup("<bdi>{}</bdi>").format(text)
    return Markup('<a href="{}"><bdi>{}</bdi></a>').format(url, text)


@lru_cache(maxsize=16)
def _stance_html(stance: str) -> Markup:
    return Markup('<span class="stance {}">{} {}</span>').format(
        stance, SYMBOLS.get(stance, ""), stance
    )


def describe_filters(filters: Filters) -> str:
    """The filters of a site in words, for its pages ("as of 2023-06 · tag: drones")."""
    parts = []
    for label, value in (
        ("as of", filters.as_of),
        ("since", filters.since),
        ("until", filters.until),
        ("actor:", filters.actor),
        ("outlet:", filters.outlet),
        ("stance:", filters.stance),
        ("tag:", filters.tag),
        ("sanction:", filters.sanction),
        ("related to claim", filters.related_to),
        ("search:", filters.search),
    ):
        if value is not None:
            parts.append(f"{label} {value}")
    if filters.min_reliability is not None:
        parts.append(f"outlets rated {filters.min_reliability} or better")
    if filters.min_credibility is not None:
        parts.append(f"credibility {filters.min_credibility} or better")
    for label, flag in (
        ("contested only", filters.contested),
        ("reversed only", filters.reversed),
        ("retracted assertions counted", filters.include_retracted),
    ):
        if flag:
            parts.append(label)
    if filters.limit is not None:
        parts.append(f"at most {filters.limit} claims")
    return " · ".join(parts)


def _render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(css=stylesheet(), **context)


def claim_page(data: Mapping[str, Any], links: Links, filters_text: str = "") -> str:
    """The page of one claim: ``show``'s data (``show_claim``, or ``claim_details`` with
    ``uncounted_retracted``)."""
    uncounted = list(data.get("uncounted_retracted", []))
    drawn = [*data["assertions"], *uncounted]
    pic = timeline_picture(
        drawn, data.get("reversals", []), title=f"Timeline of claim {data['id']}: {data['claim']}"
    )
    columns: dict[str, list[tuple[str, list[Mapping[str, Any]]]]] = {}
    for group in ("for", "neutral", "against"):
        sides: dict[str, list[Mapping[str, Any]]] = {}
        for a in data["assertions"]:
            if a.get("group") == group:
                sides.setdefault(a["side"], []).append(a)
        columns[group] = list(sides.items())
    uncounted_ids = {a["id"] for a in uncounted}
    chronology = [
        {**a, "counted": a["id"] not in uncounted_ids}
        for a in sorted(drawn, key=lambda a: (str(a["date_start"]), int(a["id"])))
    ]
    flips = flip_pairs(data.get("reversals", []))
    flip_ends = {arrow.to_id: arrow.was for arrow in pic.arrows}
    return _render(
        "claim.html.j2",
        c={**data, "uncounted_retracted": uncounted},
        pic=pic,
        columns=columns,
        chronology=chronology,
        flips=flips,
        flip_ends=flip_ends,
        relation_groups=grouped(data.get("relations", [])),
        link=links,
        links=bool(links.claims),
        root=links.root,
        filters=filters_text,
    )


def show_page(
    conn: Conn, claim_id: int, *, as_of: PartialDate | None = None, include_retracted: bool = False
) -> str:
    """``factdb show ID --format html``: the claim's page as the site has it, standing alone
    (no links to other pages; links to sources kept)."""
    show_claim(conn, claim_id, as_of=as_of, include_retracted=include_retracted)  # NotFound
    filters = Filters(as_of=as_of, include_retracted=include_retracted)
    [data] = claim_details(conn, [claim_id], filters)
    return claim_page(data, Links(), describe_filters(filters))


@dataclass
class SiteResult:
    directory: Path
    index: Path
    claims: int
    actors: int
    sanctions: int


def _target(path: Path) -> None:
    """Refuse a target that is not a directory, or a directory that is not empty and holds
    no factdb site (its files are not ours to replace)."""
    if not path.exists() and not path.is_symlink():
        return
    if path.is_symlink() or not path.is_dir():
        raise InvalidInput("--output", f"{path} exists and is not a directory")
    entries = list(path.iterdir())
    if not entries:
        return
    index = path / "index.html"
    try:
        head = index.read_text(encoding="utf-8", errors="replace")[:2000]
    except OSError:
        head = ""
    if GENERATOR not in head:
        raise Conflict(
            f"{path} is not empty and holds no factdb site; give a new or empty directory"
        )


def _write(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _actor_batches(site: SiteActors) -> Iterable[list[int]]:
    batch: list[int] = []
    weight = 0
    for actor_id in site.named:
        size = len(site.below(actor_id))
        if batch and (weight + size > SPEAKER_BUDGET or len(batch) >= ACTOR_BATCH):
            yield batch
            batch, weight = [], 0
        batch.append(actor_id)
        weight += size
    if batch:
        yield batch


def write_site(
    conn: Conn,
    filters: Filters,
    directory: Path,
    progress: Callable[[str, int], None] | None = None,
) -> SiteResult:
    """Write the site of the claims matching ``filters`` into ``directory``."""
    _target(directory)
    parent = directory.absolute().parent
    if not parent.is_dir():
        raise InvalidInput("--output", f"{parent} is not a directory")
    work = Path(tempfile.mkdtemp(prefix=f".{directory.name[:100]}.factdb-", dir=parent))
    try:
        result = _build(conn, filters, work, progress)
        _swap(work, directory)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return SiteResult(
        directory, directory / "index.html", result.claims, result.actors, result.sanctions
    )


def _swap(work: Path, directory: Path) -> None:
    os.chmod(work, 0o777 & ~_umask())
    if directory.exists() and any(directory.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f".{directory.name[:100]}.old-", dir=work.parent))
        os.replace(directory, old / "site")
        os.replace(work, directory)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(work, directory)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _build(
    conn: Conn, filters: Filters, out: Path, progress: Callable[[str, int], None] | None
) -> SiteResult:
    filters_text = describe_filters(filters)
    index_rows = list_claims(conn, filters)
    claim_ids = [int(r["id"]) for r in index_rows]
    site = site_actors(conn, filters)
    names = {site.actors[i]["name"]: i for i in site.named}
    sanctions = list_sanctions(conn)
    sanction_ids = {s["name"]: int(s["id"]) for s in sanctions}
    links = Links("", names, set(claim_ids), sanction_ids)
    for sub in ("claims", "actors", "sanctions"):
        (out / sub).mkdir()
    _write(
        out / "index.html",
        _render(
            "index.html.j2",
            claims=index_rows,
            actors=sorted(
                (site.actors[i] for i in site.named), key=lambda a: (a["name"].casefold(), a["id"])
            ),
            sanctions=sanctions,
            link=links,
            links=True,
            root="",
            filters=filters_text,
        ),
    )
    below = links.at("../")
    done = 0
    for batch in claim_batches(conn, filters, claim_ids):
        for data in batch:
            _write(out / "claims" / f"{data['id']}.html", claim_page(data, below, filters_text))
        done += len(batch)
        if progress is not None:
            progress("claims", done)
    written = 0
    for ids in _actor_batches(site):
        statements = actor_statements(conn, filters, site, ids)
        for actor_id in ids:
            actor = site.actors[actor_id]
            _write(
                out / "actors" / f"{actor_id}.html",
                _render(
                    "actor.html.j2",
                    a=actor,
                    above=[site.actors[p]["name"] for p in site.above(actor_id)],
                    since=actor["since"],
                    ended=[{**m, "name": site.actors[m["parent"]]["name"]} for m in actor["ended"]],
                    parts=[site.actors[p]["name"] for p in site.parts.get(actor_id, [])],
                    said=statements[actor_id]["said"],
                    carried=statements[actor_id]["carried"],
                    link=below,
                    links=True,
                    root="../",
                    filters=filters_text,
                ),
            )
        written += len(ids)
        if progress is not None:
            progress("actors", written)
    targets = sanction_targets(conn)
    linked = sanction_claim_ids(conn)
    for sanction in sanctions:
        links_of = linked.get(int(sanction["id"]), {})
        _write(
            out / "sanctions" / f"{sanction['id']}.html",
            _render(
                "sanction.html.j2",
                s=sanction,
                targets=targets.get(int(sanction["id"]), []),
                claims=[r for r in index_rows if r["id"] in links_of.get(VIOLATION, ())],
                responses=[r for r in index_rows if r["id"] in links_of.get(RESPONSE, ())],
                link=below,
                links=True,
                root="../",
                filters=filters_text,
            ),
        )
    return SiteResult(out, out / "index.html", len(claim_ids), len(site.named), len(sanctions))
