"""Natural keys and text checks (docs/design.md, Domain; docs/reliability.md)."""

from __future__ import annotations

import pytest

from factdb.core.errors import InvalidInput
from factdb.core.keys import (
    MAX_TEXT,
    clean_text,
    name_key,
    normalize_url,
    require_text,
    tag_key,
    text_key,
)

# --- text_key -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "North Korea has shipped weapons to Russia.",
            "  north KOREA has shipped   weapons to Russia ",
        ),
        (
            "North Korea has shipped weapons to Russia",
            "North Korea has shipped weapons, to Russia!",
        ),
        ("Tab\tand\nnewline", "tab and newline"),
        ("«Quoted» — dashes", '"quoted" - dashes'),
        ("Café in Zürich", "cafe in zurich"),
        ("Straße", "STRASSE"),
        ("ﬁnance", "finance"),  # compatibility ligature
        ("Северная Корея!", "северная  корея"),
        ("Ελλάδα", "ελλαδα"),
    ],
)
def test_text_key_folds_case_space_punctuation(a: str, b: str) -> None:
    assert text_key(a) == text_key(b)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Северная Корея!", "северная корея"),
        ("朝鲜向俄罗斯运送武器。", "朝鲜向俄罗斯运送武器"),
        ("كوريا الشمالية", "كوريا الشمالية"),
        ("צפון קוריאה", "צפון קוריאה"),
        ("UNSC Resolution 1718", "unsc resolution 1718"),
    ],
)
def test_text_key_keeps_non_latin_scripts(text: str, key: str) -> None:
    assert text_key(text) == key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("North Korea shipped weapons", "North Korea did not ship weapons"),
        ("Resolution 1718", "Resolution 1874"),
        ("Северная Корея", "Южная Корея"),
        ("!", "?"),
    ],
)
def test_text_key_keeps_different_propositions_apart(a: str, b: str) -> None:
    assert text_key(a) != text_key(b)


def test_text_key_of_punctuation_only_text_is_not_empty() -> None:
    assert text_key("!!!") == "!!!"
    assert text_key(" ?? ") == "??"


# --- name_key and tag_key -------------------------------------------------------------------


def test_name_key() -> None:
    assert name_key("  North   KOREA ") == "north korea"
    assert name_key("Kim Jong-un") != name_key("Kim Jong Un")  # hyphen kept: names are exact
    assert name_key("Ｋｉｍ") == "kim"  # full-width folded (NFKC)
    assert name_key("Северная Корея") == "северная корея"


def test_tag_key() -> None:
    assert tag_key("  Arms  Trade ") == "arms-trade"
    with pytest.raises(InvalidInput):
        tag_key("a;b")
    with pytest.raises(InvalidInput):
        tag_key("   ")


# --- normalize_url --------------------------------------------------------------------------


def test_normalize_url_drops_tracking_and_fragment() -> None:
    text, key = normalize_url(
        "https://www.Example.com/a/b?utm_source=x&id=3&UTM_Medium=y&fbclid=abc&gclid=1#frag"
    )
    assert (
        text == "https://www.Example.com/a/b?utm_source=x&id=3&UTM_Medium=y&fbclid=abc&gclid=1#frag"
    )
    assert key == "example.com/a/b?id=3"


def test_normalize_url_trims_the_given_text() -> None:
    assert normalize_url("  https://example.com/a \n")[0] == "https://example.com/a"


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.com/a?id=3",
        "http://example.com/a?id=3",
        "https://www.example.com/a?id=3",
        "http://www.example.com/a?id=3",
        "https://EXAMPLE.COM/a?id=3",
        "HTTPS://Example.com/a?id=3",
        "https://example.com/a?id=3#section-2",
        "https://example.com/a?id=3&utm_campaign=x",
        "https://example.com/a?fbclid=abc&id=3",
    ],
)
def test_normalize_url_same_page_same_key(variant: str) -> None:
    assert normalize_url(variant)[1] == normalize_url("https://example.com/a?id=3")[1]


def test_normalize_url_trailing_slash_is_folded_with_or_without_query() -> None:
    """normalize_url folds a trailing slash ("/a/" is "/a"); it must do so whether or not a
    query follows, or one page gets two keys depending on its tracking parameters."""
    assert normalize_url("https://example.com/a/")[1] == normalize_url("https://example.com/a")[1]
    assert normalize_url("https://example.com")[1] == normalize_url("https://example.com/")[1]
    assert (
        normalize_url("https://example.com/a/?id=3")[1]
        == normalize_url("https://example.com/a?id=3")[1]
    )
    assert (
        normalize_url("https://example.com/a/?utm_source=x")[1]
        == normalize_url("https://example.com/a")[1]
    )


def test_normalize_url_query_order_does_not_matter() -> None:
    assert (
        normalize_url("https://e.org/a?b=2&a=1")[1] == normalize_url("https://e.org/a?a=1&b=2")[1]
    )


def test_normalize_url_only_tracking_query_leaves_no_question_mark() -> None:
    assert normalize_url("https://example.com/a?utm_source=x")[1] == "example.com/a"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/Path", "https://example.com/path"),  # paths are case-sensitive
        ("https://example.com/a?id=3", "https://example.com/a?id=4"),
        ("https://www2.example.com/a", "https://example.com/a"),
        ("https://example.com/a", "https://example.org/a"),
    ],
)
def test_normalize_url_different_pages_different_keys(a: str, b: str) -> None:
    assert normalize_url(a)[1] != normalize_url(b)[1]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "javascript:alert(1)",
        "mailto:someone@example.com",
        "notaurl",
        "example.com/a",
        "//example.com/a",
        "https://",
        "http:///path",
        "file:///etc/passwd",
        "data:text/html,hi",
        "",
        "   ",
        "https://example.com/a\nhttps://example.com/b",
    ],
)
def test_normalize_url_refuses_non_http(url: str) -> None:
    with pytest.raises(InvalidInput) as info:
        normalize_url(url, field="source_url")
    assert info.value.field == "source_url"
    assert info.value.exit_code == 2


# --- clean_text -----------------------------------------------------------------------------

_KEPT_CONTROLS = [c for c in range(1, 0x20) if c not in (0x09, 0x0A, 0x0D)] + [0x7F]


def test_clean_text_refuses_nul() -> None:
    # PostgreSQL cannot store NUL, so it is refused on both backends alike.
    with pytest.raises(InvalidInput) as info:
        clean_text("before\x00after", "quote")
    assert info.value.field == "quote"
    assert "NUL" in info.value.reason


@pytest.mark.parametrize("code", _KEPT_CONTROLS, ids=[f"U+{c:04X}" for c in _KEPT_CONTROLS])
def test_clean_text_keeps_other_control_characters_exactly(code: int) -> None:
    # Kept exact (and shown escaped in tables), so an export imports back unchanged.
    assert clean_text(f"before{chr(code)}after", "quote") == f"before{chr(code)}after"


def test_clean_text_allows_tab_newline_and_carriage_return() -> None:
    assert clean_text("a\tb\nc\r\nd", "quote") == "a\tb\nc\r\nd"


def test_clean_text_keeps_other_text_exactly() -> None:
    text = "«Да» — 是的 🎉 ‏עברית [bold]x[/bold] <script> =1+2 'q'"
    assert clean_text(text, "quote") == text


def test_clean_text_strips_surrounding_whitespace() -> None:
    assert clean_text("  x \n", "claim") == "x"


def test_clean_text_length_limit() -> None:
    assert MAX_TEXT == 200_000
    at_limit = "x" * MAX_TEXT
    assert clean_text(at_limit, "quote") == at_limit
    assert clean_text(f"  {at_limit}  ", "quote") == at_limit  # measured after trimming
    with pytest.raises(InvalidInput) as info:
        clean_text("x" * (MAX_TEXT + 1), "quote")
    assert "200,000" in info.value.reason
    # counted in characters, not bytes
    assert clean_text("я" * MAX_TEXT, "quote") == "я" * MAX_TEXT


def test_clean_text_required_and_optional() -> None:
    with pytest.raises(InvalidInput, match="required"):
        clean_text(None, "claim")
    with pytest.raises(InvalidInput, match="empty"):
        clean_text(" \t\n ", "claim")
    assert clean_text(None, "quote", required=False) is None
    assert clean_text("   ", "quote", required=False) is None
    assert require_text(" x ", "claim") == "x"


def test_clean_text_single_line() -> None:
    for text in ("a\nb", "a\rb"):
        with pytest.raises(InvalidInput, match="single line"):
            clean_text(text, "--by", single_line=True)
    assert clean_text("a\tb", "--by", single_line=True) == "a\tb"
