"""Source keys: the fast path of ``normalize_url`` (a regular expression, no w3lib) gives
exactly the key of the general path (w3lib) for every URL it takes, and a URL's default port
is not part of its key."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from factdb.core.errors import InvalidInput
from factdb.core.keys import _normalize_url, _simple_url, normalize_url
from factdb.storage.config import DatabaseTarget

FIELD = "--source"

_LABEL = st.text("abcdefghijklmnopqrstuvwxyzABCDEFXYZ0123456789-", min_size=1, max_size=12)
_UNICODE_LABEL = st.sampled_from(["bücher", "пример", "例え", "ÉCOLE", "xn--bcher-kva", "straße"])
_HOSTS = st.one_of(
    st.lists(_LABEL, min_size=1, max_size=4).map(".".join),
    st.lists(st.one_of(_LABEL, _UNICODE_LABEL), min_size=1, max_size=3).map(".".join),
    st.sampled_from(
        ["example.org", "EXAMPLE.org", "Www.Example.ORG", "www.example.org", "127.0.0.1"]
    ),
).flatmap(lambda host: st.sampled_from([host, "www." + host, "WWW." + host, host + "."]))
_PORTS = st.one_of(
    st.just(""),
    st.sampled_from([":80", ":443", ":080", ":0443", ":8080", ":08080", ":0", ":65535", ":"]),
    st.integers(0, 99_999).map(lambda n: f":{n}"),
)
_SEGMENT = st.one_of(
    st.text("abcXYZ019._~-", max_size=8),
    st.sampled_from(["%2F", "%2f", "%C3%A9", "%41", "%zz", "é", "кот", "a b", "..", ".", "%"]),
)
_PATHS = st.one_of(
    st.just(""),
    st.lists(_SEGMENT, max_size=4).map(lambda segments: "/" + "/".join(segments)),
    st.lists(_SEGMENT, min_size=1, max_size=3).map(lambda segments: "/" + "/".join(segments) + "/"),
)
_PARAM = st.tuples(
    st.sampled_from(
        ["id", "q", "utm_source", "UTM_Medium", "fbclid", "gclid", "mc_cid", "pk_kwd", "a", "é"]
    ),
    st.sampled_from(["", "1", "x y", "%20", "a+b", "é", "3"]),
)
_QUERIES = st.one_of(
    st.just(""),
    st.just("?"),
    st.lists(_PARAM, min_size=1, max_size=4).map(
        lambda params: "?" + "&".join(f"{k}={v}" for k, v in params)
    ),
)
_FRAGMENTS = st.sampled_from(["", "#", "#top", "#section-2", "#é"])
_SCHEMES = st.sampled_from(["http", "https", "HTTP", "Https"])

URLS = st.builds(
    lambda scheme, host, port, path, query, fragment: (
        f"{scheme}://{host}{port}{path}{query}{fragment}"
    ),
    _SCHEMES,
    _HOSTS,
    _PORTS,
    _PATHS,
    _QUERIES,
    _FRAGMENTS,
)
SIMPLE_URLS = st.builds(
    lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
    _SCHEMES,
    st.lists(_LABEL, min_size=1, max_size=4).map(".".join),
    _PORTS,
    st.lists(st.text("abcXYZ019._~-", max_size=8), max_size=4).map(
        lambda segments: "/" + "/".join(segments)
    ),
)
"""URLs in the fast path's own alphabet, so that most take it."""


def _general(url: str) -> tuple[str, str] | str:
    try:
        return _normalize_url(url, FIELD)
    except InvalidInput as exc:
        return f"refused: {exc.reason}"


def _given(url: str) -> tuple[str, str] | str:
    try:
        return normalize_url(url, FIELD)
    except InvalidInput as exc:
        return f"refused: {exc.reason}"


@given(URLS)
@settings(max_examples=1500, deadline=None)
@example("http://example.org:80/a")
@example("https://example.org:443/a?x=1#top")
@example("http://Example.org:080")
def test_any_url_gets_the_key_of_the_general_path(url: str) -> None:
    fast = _simple_url(url)
    if fast is not None:
        assert fast == _general(url)
    assert _given(url) == _general(url)


@given(SIMPLE_URLS)
@settings(max_examples=1500, deadline=None)
def test_the_fast_path_agrees_with_w3lib(url: str) -> None:
    fast = _simple_url(url)
    if fast is None:
        assert _given(url) == _general(url)
    else:
        assert fast == _general(url)


def test_most_simple_urls_take_the_fast_path() -> None:
    """The property above is about the fast path: it must be the one taken for simple URLs."""
    for url in ("https://example.org/a", "HTTP://WWW.Example.org:8080/a/b-c_d.html/"):
        assert _simple_url(url) is not None


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://example.org:80/a", "example.org/a"),
        ("https://example.org:443/a", "example.org/a"),
        ("http://example.org/a", "example.org/a"),
        ("https://www.Example.org:443/a/", "example.org/a"),
        ("http://example.org:080/a", "example.org/a"),
        ("https://example.org:0443", "example.org"),
        ("http://example.org:80/a?utm_source=x&id=3#top", "example.org/a?id=3"),
        ("https://example.org:443/a?id=3", "example.org/a?id=3"),
        ("https://user@example.org:443/a?id=3", "user@example.org/a?id=3"),
        ("http://[::1]:80/a?id=3", "[::1]/a?id=3"),
        # any other port stays, as a number
        ("http://example.org:443/a", "example.org:443/a"),
        ("https://example.org:80/a", "example.org:80/a"),
        ("http://example.org:8080/a", "example.org:8080/a"),
        ("http://example.org:08080/a", "example.org:8080/a"),
        ("https://example.org:8443/a?id=3", "example.org:8443/a?id=3"),
    ],
)
def test_a_default_port_is_not_part_of_the_key(url: str, key: str) -> None:
    assert normalize_url(url)[1] == key
    assert _normalize_url(url, FIELD)[1] == key
    assert normalize_url(url)[0] == url  # the URL itself is kept as given


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org:99999/a",
        "http://example.org:65536/a?id=3",
        "http://example.org:port/a",
        "http://example.org:-1/a",
        "http://[::1/a",
    ],
)
def test_an_invalid_port_is_one_line_of_error(url: str) -> None:
    with pytest.raises(InvalidInput) as info:
        normalize_url(url, "source_url")
    assert info.value.field == "source_url"
    assert "is not an http(s) URL" in info.value.reason


# --- revision 0004: keys written with a default port -----------------------------------------

# url, key as factdb computed it before revision 0004, key after the upgrade
OLD_SOURCES: list[tuple[str | None, str, str]] = [
    ("http://example.org:80/a", "example.org:80/a", "example.org/a"),
    (
        "https://Example.org:443/b?id=3&utm_source=x",
        "example.org:443/b?id=3",
        "example.org/b?id=3",
    ),
    ("http://example.org:8080/c", "example.org:8080/c", "example.org:8080/c"),
    ("http://example.org:08080/d", "example.org:08080/d", "example.org:8080/d"),
    ("https://example.org:80/e", "example.org:80/e", "example.org:80/e"),
    ("https://example.org/f", "example.org/f", "example.org/f"),
    # the same page with and without its default port: two sources, and they stay two
    ("https://news.example/p", "news.example/p", "news.example/p"),
    ("https://news.example:443/p", "news.example:443/p", "news.example:443/p"),
    # two sources that both would get one key: the first (by id) gets it
    ("http://twin.example:80/q", "twin.example:80/q", "twin.example/q"),
    ("https://twin.example:443/q", "twin.example:443/q", "twin.example:443/q"),
    # a port the fast path took and normalize_url now refuses: left alone
    ("http://example.org:99999/g", "example.org:99999/g", "example.org:99999/g"),
    (None, "nourl|kcna|statement|2024", "nourl|kcna|statement|2024"),
]


def test_upgrade_drops_default_ports_from_source_keys_without_merging(
    empty_target: DatabaseTarget, caplog: pytest.LogCaptureFixture
) -> None:
    import datetime as dt

    from sqlalchemy import text

    from factdb.domain.records import get_or_create_source
    from factdb.storage import db

    db.upgrade(empty_target, "0003")
    created = dt.datetime(2024, 2, 27, 9, 30, tzinfo=dt.UTC)
    with db.get_engine(empty_target).begin() as conn:
        for number, (url, key, _) in enumerate(OLD_SOURCES, start=1):
            conn.execute(
                text(
                    "INSERT INTO source (id, url, key, outlet, title, published, "
                    "published_precision, created_at) VALUES (:id, :url, :key, :outlet, "
                    ":title, :published, 'month', :created)"
                ),
                {
                    "id": number,
                    "url": url,
                    "key": key,
                    "outlet": f"Outlet {number}",
                    "title": "Заголовок «цитата»",
                    "published": dt.date(2024, number, 1),
                    "created": created,
                },
            )

    def rows() -> dict[int, tuple[object, ...]]:
        with db.get_engine(empty_target).connect() as conn:
            return {
                int(r[0]): tuple(r[1:])
                for r in conn.execute(
                    text(
                        "SELECT id, key, url, outlet, title, published, published_precision, "
                        "created_at FROM source ORDER BY id"
                    )
                )
            }

    before = rows()
    db.dispose_all()
    with caplog.at_level("WARNING", logger="factdb.migrations"):
        db.upgrade(empty_target)
    after = rows()
    assert db.current_revision(db.get_engine(empty_target)) == db.SCHEMA_HEAD
    assert {i: r[0] for i, r in after.items()} == {
        i: new for i, (_, _, new) in enumerate(OLD_SOURCES, start=1)
    }
    assert {i: r[1:] for i, r in after.items()} == {i: r[1:] for i, r in before.items()}
    warnings = [r.getMessage() for r in caplog.records if r.name == "factdb.migrations"]
    assert len(warnings) == 2
    assert "source 8 (https://news.example:443/p) keeps its key" in warnings[0]
    assert "source 7 has the key 'news.example/p'" in warnings[0]
    assert "source 10 (https://twin.example:443/q) keeps its key" in warnings[1]
    assert "source 9 has the key 'twin.example/q'" in warnings[1]
    # today's factdb finds the upgraded sources by their URL, with or without the port
    with db.session_scope(empty_target, write=True) as session:
        for url, number in (
            ("http://example.org:80/a", 1),
            ("https://example.org/a", 1),
            ("http://example.org/b?id=3", 2),
            ("http://example.org:08080/d", 4),
            ("https://news.example:443/p", 7),
            ("https://twin.example/q", 9),
        ):
            source, made = get_or_create_source(session, url=url)
            assert (source.id, made) == (number, False), url
    # downgrading keeps every key (they stay unique); upgrading again changes nothing
    db.downgrade(empty_target, "0003")
    assert rows() == after
    db.upgrade(empty_target)
    assert rows() == after
