"""``factdb site`` and ``factdb show --format html``: the pages, their picture, and what a real
browser (headless Chromium, tests/browser.py) does with them, on both backends."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from factdb.interchange.picture import flip_pairs, timeline_picture
from factdb.queries import Filters, show_claim
from factdb.queries.site import claim_details
from factdb.storage import db
from tests.browser import Browser, find_chromium
from tests.conftest import Cli
from tests.helpers import fails, show

CLAIM = "Iran has supplied Russia with drones used in Ukraine"
HOSTILE_CLAIM = "<script>document.title='PWNED'</script> drones"
HOSTILE_ACTOR = '"><img src=x onerror="document.body.dataset.pwned=1">'
RTL_QUOTE = "admits \u202edenies\u202c a limited number"


def drones(cli: Cli) -> None:
    """The Iranian-drones dispute: Iran denies, admits, denies again; a retraction; partial
    dates; a relay chain; hostile text."""
    cli.add(CLAIM, by="United States", stance="asserts", source="https://ex.org/us", date="2022-10")
    cli.add(1, by="Ukraine", stance="asserts", source="https://ex.org/ua", date="2022-09-13")
    cli.add(1, by="Iran", stance="denies", source="https://ex.org/ir1", date="2022-10-17")
    cli.ok("actor", "add", "Hossein Amir-Abdollahian", "--kind", "person")
    cli.ok("actor", "part-of", "Hossein Amir-Abdollahian", "Iran")
    cli.add(
        1,
        by="Hossein Amir-Abdollahian",
        stance="supports",
        source="https://ex.org/ir2",
        date="2022-11-05",
        via=["IRNA", "Reuters"],
        quote=RTL_QUOTE,
    )
    cli.add(1, by="Iran", stance="denies", source="https://ex.org/ir3", date="2022-12-19")
    cli.add(1, by="Russia", stance="denies", source="https://ex.org/ru", date="2022")
    cli.add(1, by="Ukraine", stance="asserts", source="https://ex.org/ua2", date="2022-10-20")
    cli.ok("retract", "7", "--reason", "a duplicate")
    cli.ok(
        "add",
        HOSTILE_CLAIM,
        "--by",
        HOSTILE_ACTOR,
        "--stance",
        "asserts",
        "--source",
        "https://ex.org/h",
        "--date",
        "2023-01",
        "--quote",
        "</blockquote><script>x()</script>",
        "--new-actor",
    )


# --- the data of a page -----------------------------------------------------------------------


def test_claim_details_are_show_claim(cli: Cli) -> None:
    drones(cli)
    cli.ok("seed")
    with db.session_scope(cli.target, write=False) as session:
        ids = [1, 2, 3, 4]
        for filters in (
            Filters(),
            Filters(as_of=_date("2022-10")),
            Filters(include_retracted=True),
        ):
            batch = claim_details(session, ids, filters)
            assert [d["id"] for d in batch] == ids
            for data in batch:
                one = show_claim(
                    session,
                    data["id"],
                    as_of=filters.as_of,
                    include_retracted=filters.include_retracted,
                )
                one.pop("last_change")
                uncounted = data.pop("uncounted_retracted")
                assert data == one
                assert all(a["retracted"] for a in uncounted)
                if not filters.include_retracted and data["id"] == 1:
                    assert [a["id"] for a in uncounted] == [7]


def _date(text: str) -> Any:
    from factdb.core.dates import parse_partial

    return parse_partial(text)


# --- the picture --------------------------------------------------------------------------


def _row(
    i: int, side: str, stance: str, date: str, precision: str = "day", **extra: Any
) -> dict[str, Any]:
    return {
        "id": i,
        "side": side,
        "actor": side,
        "stance": stance,
        "date": date,
        "date_start": (date + "-01-01")[:10] if precision == "year" else (date + "-01")[:10],
        "date_precision": precision,
        "via": [],
        **extra,
    }


def test_picture_marks_spans_shapes_and_flips() -> None:
    rows = [
        _row(1, "Iran", "denies", "2022-10-17"),
        _row(2, "Iran", "supports", "2022-11-05"),
        _row(3, "Iran", "denies", "2022-12-19"),
        _row(4, "Russia", "denies", "2022", "year"),
        _row(5, "United States", "asserts", "2022-10", "month"),
        _row(6, "Ukraine", "asserts", "2022-10-20", retracted=True),
    ]
    sequence = [
        {
            "side": "Iran",
            "flips": [
                {"from_id": 1, "to_id": 2, "from_stance": "denies", "to_stance": "supports"},
                {"from_id": 2, "to_id": 3, "from_stance": "supports", "to_stance": "denies"},
            ],
        }
    ]
    pic = timeline_picture(rows, sequence)
    assert [m.id for m in pic.marks] == [4, 5, 1, 6, 2, 3]  # date order (first days)
    spans = {m.id for m in pic.marks if m.span}
    assert spans == {4, 5}
    year = next(m for m in pic.marks if m.id == 4)
    assert (
        year.x1 - year.x0
        > 10
        * (next(m for m in pic.marks if m.id == 5).x1 - next(m for m in pic.marks if m.id == 5).x0)
        / 13
    )
    by_id = {m.id: m for m in pic.marks}
    assert by_id[1].path != by_id[5].path and by_id[1].colour != by_id[5].colour
    assert by_id[1].filled and not by_id[2].filled  # denies filled, supports hollow
    assert by_id[6].retracted and by_id[6].cross and not by_id[6].filled
    assert [(a.from_id, a.to_id) for a in pic.arrows] == [(1, 2), (2, 3)]
    assert [r.side for r in pic.rows] == ["Russia", "United States", "Iran", "Ukraine"]
    # One flip as `show` gives it today (no ids): found by side, stance and date.
    today = [
        {
            "side": "Iran",
            "from_stance": "supports",
            "from_date": "2022-11-05",
            "from_actor": "Iran",
            "to_stance": "denies",
            "to_date": "2022-12-19",
            "to_actor": "Iran",
        }
    ]
    assert [(a.from_id, a.to_id) for a in timeline_picture(rows, today).arrows] == [(2, 3)]
    assert len(flip_pairs(sequence)) == 2
    assert timeline_picture(rows, sequence) == pic  # deterministic


def test_picture_of_nothing_and_of_one_day() -> None:
    assert timeline_picture([]).marks == []
    pic = timeline_picture([_row(1, "A", "neutral", "2024-02-29")])
    assert len(pic.marks) == 1 and pic.ticks


# --- the command ----------------------------------------------------------------------------


def _site(cli: Cli, directory: Path, *args: str) -> Path:
    result = cli.ok("site", "-o", str(directory), *args)
    index = Path(result.stdout.strip())
    assert index == directory.absolute() / "index.html" and index.is_file()
    return index


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_site_is_deterministic_and_replaces_an_earlier_site(cli: Cli, tmp_path: Path) -> None:
    drones(cli)
    cli.ok("seed")
    first = tmp_path / "a"
    _site(cli, first)
    again = tmp_path / "b"
    _site(cli, again)
    assert _files(first) == _files(again)
    assert len([p for p in _files(first) if p.startswith("claims/")]) == len(
        cli.ok("list", "-f", "json").json()
    )
    # Written again with a filter, over itself: only the chosen claims remain.
    _site(cli, first, "--tag", "ukraine-war")
    chosen = {c["id"] for c in cli.ok("list", "--tag", "ukraine-war", "-f", "json").json()}
    assert {int(Path(p).stem) for p in _files(first) if p.startswith("claims/")} == chosen
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing left behind


def test_site_refuses_what_is_not_its_own(cli: Cli, tmp_path: Path) -> None:
    cli.ok("seed")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    assert "not a directory" in fails(cli("site", "-o", str(a_file)), 2)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep")
    assert "holds no factdb site" in fails(cli("site", "-o", str(folder)), 1)
    assert (folder / "keep.txt").read_text() == "keep" and len(list(folder.iterdir())) == 1
    assert "--as-of" in fails(cli("site", "-o", str(tmp_path / "x"), "--as-of", "2024-13"), 2)
    assert not (tmp_path / "x").exists()
    assert "no claim" in fails(cli("show", "99", "--format", "html"), 1)


# --- in a real browser ----------------------------------------------------------------------

# The browser tests share one Chromium (module scope): under pytest-xdist on one worker.
in_the_browser = pytest.mark.xdist_group("browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        message = "chromium is not installed (scripts/test installs it: apt-get install chromium)"
        if os.environ.get("FACTDB_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    b = Browser(executable)
    yield b
    b.close()


def _open(browser: Browser, path: Path) -> Any:
    page = browser.open(path.absolute().as_uri())
    assert page.errors == [], page.errors
    assert all(u.startswith("file://") for u in page.requests), page.requests
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("document.images.length") == 0
    assert page.evaluate("document.body.dataset.pwned === undefined") is True
    return page


_HREFS = "Array.from(document.querySelectorAll('a[href]'), a => a.getAttribute('href'))"
_SOURCES = {
    "https://ex.org/us",
    "https://ex.org/ua",
    "https://ex.org/ir1",
    "https://ex.org/ir2",
    "https://ex.org/ir3",
    "https://ex.org/ru",
    "https://ex.org/ua2",
    "https://ex.org/h",
}


def _check_links(page: Any, where: Path, sources: set[str]) -> None:
    for href in page.evaluate(_HREFS):
        if re.match(r"https?://", href):
            assert href in sources, href  # a source of the database, never loaded
        else:
            assert (where.parent / href).is_file(), href


@in_the_browser
def test_the_harness_sees_scripts_and_requests(browser: Browser, tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><script>console.error("boom")</script>'
        '<img src="http://example.invalid/x.png">',
        encoding="utf-8",
    )
    page = browser.open(bad.as_uri())
    assert any("boom" in m for m in page.console)
    assert "http://example.invalid/x.png" in page.requests


@in_the_browser
def test_site_in_a_browser(cli: Cli, browser: Browser, tmp_path: Path) -> None:
    drones(cli)
    cli.ok("seed")
    seed_sources = {a["source"]["url"] for a in show(cli, 10)["assertions"]}
    index = _site(cli, tmp_path / "site")
    listed = cli.ok("list", "-f", "json").json()
    page = _open(browser, index)
    assert page.evaluate("document.getElementById('n-claims').textContent") == str(len(listed))
    rows = page.evaluate(
        "Array.from(document.querySelectorAll('tr[data-claim]'), r => +r.dataset.claim)"
    )
    assert rows == [c["id"] for c in listed]
    assert page.evaluate("document.getElementById('n-assertions').textContent") == str(
        sum(c["assertions"] for c in listed)
    )
    sources = _SOURCES | seed_sources
    _check_links(page, index, sources)
    for claim in listed:
        path = index.parent / "claims" / f"{claim['id']}.html"
        page = _open(browser, path)
        data = show(cli, claim["id"])
        every = show(cli, claim["id"], "--include-retracted")
        for key in ("assertions", "for", "neutral", "against"):
            shown = page.evaluate(f"document.getElementById('n-{key}').textContent")
            assert shown == str(data["assertion_count" if key == "assertions" else f"n_{key}"])
        marks = page.evaluate(
            "Array.from(document.querySelectorAll('svg g.mark'), m => +m.dataset.assertion)"
        )
        assert sorted(marks) == sorted(a["id"] for a in every["assertions"])
        crossed = page.evaluate(
            "Array.from(document.querySelectorAll('svg g.mark.retracted'), "
            "m => +m.dataset.assertion)"
        )
        assert crossed == [a["id"] for a in every["assertions"] if a["retracted"]]
        spans = page.evaluate("document.querySelectorAll('svg g.mark rect.span').length")
        assert spans == sum(a["date_precision"] != "day" for a in every["assertions"])
        _check_links(page, path, sources)
    # The dispute: every flip of Iran's side (the denial, the admission, the denial again) is
    # drawn and listed; the hostile claim reads as text.
    page = _open(browser, index.parent / "claims" / "1.html")
    iran_flips = [f for f in show(cli, 1)["reversals"] if f["side"] == "Iran"]
    assert [(f["from_stance"], f["to_stance"]) for f in iran_flips] == [
        ("denies", "supports"),
        ("supports", "denies"),
    ]
    drawn = page.evaluate("document.querySelectorAll('svg g.flip[data-side=\"Iran\"]').length")
    assert drawn == len(iran_flips)
    assert page.evaluate("document.querySelectorAll('#reversals li').length") == len(
        show(cli, 1)["reversals"]
    )
    assert RTL_QUOTE in page.evaluate("document.body.textContent")
    assert "IRNA → Reuters" in page.evaluate("document.querySelector('.via').textContent")
    page = _open(browser, index.parent / "claims" / "2.html")
    assert page.evaluate("document.title") == "Claim 2 · factdb"
    assert page.evaluate("document.getElementById('claim-text').textContent") == HOSTILE_CLAIM
    assert HOSTILE_ACTOR in page.evaluate("document.body.textContent")
    # Actor and sanction pages: reached from the index, each well formed.
    for sub in ("actors", "sanctions"):
        for path in sorted((index.parent / sub).glob("*.html")):
            _check_links(_open(browser, path), path, sources)
    iran = next(
        p
        for p in (index.parent / "actors").glob("*.html")
        if "<h1><bdi>Iran</bdi></h1>" in p.read_text()
    )
    page = _open(browser, iran)
    said = page.evaluate(
        "Array.from(document.querySelectorAll('table.statements tr[data-assertion]'), "
        "r => +r.dataset.assertion)"
    )
    assert said == [3, 4, 5]  # its own and its minister's, in date order
    reuters = next(
        p
        for p in (index.parent / "actors").glob("*.html")
        if "<h1><bdi>Reuters</bdi></h1>" in p.read_text()
    )
    assert (
        _open(browser, reuters).evaluate("document.getElementById('n-carried').textContent") == "1"
    )


@in_the_browser
def test_as_of_site_and_one_page_in_a_browser(cli: Cli, browser: Browser, tmp_path: Path) -> None:
    drones(cli)
    index = _site(cli, tmp_path / "site", "--as-of", "2022-10-31")
    before = show(cli, 1, "--as-of", "2022-10-31")
    page = _open(browser, index.parent / "claims" / "1.html")
    assert page.evaluate("document.getElementById('as-of').textContent") == "as of 2022-10-31"
    assert page.evaluate("document.getElementById('n-assertions').textContent") == str(
        before["assertion_count"]
    )
    marks = page.evaluate("document.querySelectorAll('svg g.mark').length")
    assert marks == before["assertion_count"] + 1  # the retracted one, dated 2022-10-20
    assert page.evaluate("document.querySelectorAll('svg g.flip').length") == 0
    assert not before["reversed"] and show(cli, 1)["reversed"]
    # Claim 2 (2023-01) did not exist yet: no page, and the index does not list it.
    assert not (index.parent / "claims" / "2.html").exists()
    assert _open(browser, index).evaluate("document.getElementById('n-claims').textContent") == "1"
    # show --format html: the same page standing alone, links only to sources.
    one = tmp_path / "one.html"
    one.write_text(cli.ok("show", "1", "--format", "html").stdout, encoding="utf-8")
    page = _open(browser, one)
    assert all(re.match(r"https://ex\.org/", h) for h in page.evaluate(_HREFS))
    assert page.evaluate("document.querySelectorAll('svg g.mark').length") == 7
    assert page.evaluate("document.querySelectorAll('svg g.flip').length") >= 1
    assert cli.ok("show", "1", "--format", "html").stdout == one.read_text(encoding="utf-8")
