"""Corrections as commands: ``claim edit|tag|untag|link|unlink``, ``source edit``, ``actor
rename|edit|delete`` and ``sanction edit`` (docs/design.md, Corrections).

Each test runs on SQLite and PostgreSQL (the ``cli`` fixture). A refusal is one stderr line
with its exit code (``fails``), and changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cli
from tests.helpers import add, fails, listed, parse_csv, show

URL = "https://www.thenationalnews.com/world/asia/2023/07/27/kim-missile-tour/"
OTHER_URL = "https://www.38north.org/2024/11/russia-north-korea/"
CLAIM = "North Korea has shipped weapons to Russia"
TROOPS = "North Korean troops are deployed to Russia"
R1718 = "UNSC Resolution 1718"


def as_json(cli: Cli, *args: str) -> Any:
    return cli.ok(*args, "--format", "json").json()


def changes(data: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {c["field"]: (c["old"], c["new"]) for c in data["changes"]}


@pytest.fixture
def two_claims(cli: Cli) -> tuple[int, int]:
    first = add(cli, CLAIM, by="Kim Jong Un", stance="denies", source=URL, date="2023-07-27")
    second = add(cli, TROOPS, by="Ukraine", stance="asserts", source=OTHER_URL, date="2024-11")
    return first["claim_id"], second["claim_id"]


# --- claim edit -----------------------------------------------------------------------------


def test_claim_edit_rewords_and_the_key_follows(cli, two_claims):
    claim_id, _ = two_claims
    new = "North Korea has supplied arms to Russia"
    data = as_json(cli, "claim", "edit", str(claim_id), "--text", new, "--reason", "wording")
    assert data["action"] == "edited"
    assert changes(data) == {"text": (CLAIM, new)}
    assert show(cli, claim_id)["claim"] == new
    # the natural key followed: adding the new wording (in another spelling) is the same claim
    again = add(
        cli,
        "north korea has SUPPLIED arms to Russia.",
        by="Russia",
        stance="denies",
        source=URL,
        date="2023-07",
    )
    assert again["claim_id"] == claim_id and not again["claim_created"]
    # and the old wording is a new claim, not this one
    old = add(cli, CLAIM, by="Russia", stance="denies", source=URL, date="2023-07")
    assert old["claim_created"] and old["claim_id"] != claim_id


def test_claim_edit_search_finds_the_new_wording(cli, two_claims):
    claim_id, _ = two_claims
    cli.ok("claim", "edit", str(claim_id), "--text", "Pyongyang sold artillery shells to Moscow")
    assert [r["id"] for r in listed(cli, "--search", "artillery")] == [claim_id]
    assert listed(cli, "--search", "weapons") == []


def test_claim_edit_table_prints_old_and_new(cli, two_claims):
    claim_id, _ = two_claims
    out = cli.ok("claim", "edit", str(claim_id), "--text", "North Korea shipped arms").stdout
    assert f"claim {claim_id} edited" in out
    assert "→" in out and "North Korea shipped arms" in out


def test_claim_edit_same_wording_changes_nothing(cli, two_claims):
    claim_id, _ = two_claims
    data = as_json(cli, "claim", "edit", str(claim_id), "--text", CLAIM)
    assert data["action"] == "unchanged" and data["changes"] == []
    out = cli.ok("claim", "edit", str(claim_id), "--text", f"  {CLAIM} ").stdout
    assert "nothing changed" in out


def test_claim_edit_spelling_only_keeps_the_key(cli, two_claims):
    claim_id, _ = two_claims
    data = as_json(cli, "claim", "edit", str(claim_id), "--text", CLAIM.lower() + ".")
    assert changes(data) == {"text": (CLAIM, CLAIM.lower() + ".")}
    assert add(cli, CLAIM, by="Russia", stance="denies", source=URL, date="2023")["claim_id"] == (
        claim_id
    )


def test_claim_edit_to_another_claims_wording_is_refused(cli, two_claims):
    claim_id, other = two_claims
    line = fails(cli("claim", "edit", str(claim_id), "--text", TROOPS.upper()), 1)
    assert f"claim {other}" in line
    assert f"factdb claim merge {claim_id} {other}" in line
    assert show(cli, claim_id)["claim"] == CLAIM


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["--text", ""], 2, "--text"),
        (["--text", "a\x00b"], 2, "NUL"),
        ([], 2, "--text"),
        (["--text", "x", "--reason", "a\x00b"], 2, "--reason"),
    ],
)
def test_claim_edit_invalid_input(cli, two_claims, args, code, expected):
    claim_id, _ = two_claims
    line = fails(cli("claim", "edit", str(claim_id), *args), code)
    assert expected in line
    assert show(cli, claim_id)["claim"] == CLAIM


def test_claim_edit_unknown_claim(cli):
    assert "no claim 999" in fails(cli("claim", "edit", "999", "--text", "x"), 1)


# --- claim tag / untag ----------------------------------------------------------------------


def test_claim_tag_and_untag(cli, two_claims):
    claim_id, _ = two_claims
    data = as_json(cli, "claim", "tag", str(claim_id), "Arms Trade", "sanctions")
    assert changes(data) == {"tags": ([], ["arms-trade", "sanctions"])}
    assert show(cli, claim_id)["tags"] == ["arms-trade", "sanctions"]
    again = as_json(cli, "claim", "tag", str(claim_id), "sanctions")
    assert again["action"] == "unchanged"
    data = as_json(cli, "claim", "untag", str(claim_id), "ARMS trade", "--reason", "wrong tag")
    assert changes(data) == {"tags": (["arms-trade", "sanctions"], ["sanctions"])}
    assert show(cli, claim_id)["tags"] == ["sanctions"]
    assert listed(cli, "--tag", "arms-trade") == []


def test_claim_untag_a_missing_tag_is_refused_and_removes_nothing(cli, two_claims):
    claim_id, _ = two_claims
    cli.ok("claim", "tag", str(claim_id), "sanctions")
    line = fails(cli("claim", "untag", str(claim_id), "sanctions", "nope"), 1)
    assert "'nope'" in line and "sanctions" in line
    assert show(cli, claim_id)["tags"] == ["sanctions"]


def test_claim_untag_csv_has_a_row_per_change(cli, two_claims):
    claim_id, _ = two_claims
    cli.ok("claim", "tag", str(claim_id), "a", "b")
    rows = parse_csv(cli.ok("claim", "untag", str(claim_id), "a", "--format", "csv").stdout)
    assert rows == [
        {
            "record": "claim",
            "id": str(claim_id),
            "action": "edited",
            "field": "tags",
            "old": "a; b",
            "new": "b",
        }
    ]


def test_claim_tag_invalid_tag(cli, two_claims):
    claim_id, _ = two_claims
    assert "';'" in fails(cli("claim", "tag", str(claim_id), "a;b"), 2)
    assert show(cli, claim_id)["tags"] == []


# --- claim link / unlink --------------------------------------------------------------------


def test_claim_link_and_unlink(cli, two_claims):
    claim_id, _ = two_claims
    cli.ok("sanction", "add", R1718)
    data = as_json(cli, "claim", "link", str(claim_id), "--violates", "unsc resolution 1718")
    assert changes(data) == {"violates": ([], [R1718])}
    assert show(cli, claim_id)["violates"] == [R1718]
    assert as_json(cli, "claim", "link", str(claim_id), "--violates", R1718)["action"] == (
        "unchanged"
    )
    data = as_json(cli, "claim", "unlink", str(claim_id), "--violates", R1718)
    assert changes(data) == {"violates": ([R1718], [])}
    assert show(cli, claim_id)["violates"] == []


def test_claim_unlink_what_is_not_linked_is_refused(cli, two_claims):
    claim_id, other = two_claims
    cli.ok("sanction", "add", R1718)
    cli.ok("sanction", "add", "UNSC Resolution 1874")
    cli.ok("claim", "link", str(claim_id), "--violates", R1718)
    line = fails(cli("claim", "unlink", str(claim_id), "--violates", R1718, "--violates", "2"), 1)
    assert "does not allege a violation of 'UNSC Resolution 1874'" in line
    assert show(cli, claim_id)["violates"] == [R1718]
    assert "does not allege" in fails(cli("claim", "unlink", str(other), "--violates", R1718), 1)


def test_claim_link_unknown_sanction(cli, two_claims):
    claim_id, _ = two_claims
    assert "no sanction" in fails(cli("claim", "link", str(claim_id), "--violates", "X"), 1)
    assert "--violates" in fails(cli("claim", "link", str(claim_id)), 2)


# --- source edit ----------------------------------------------------------------------------


def test_source_edit_fields(cli, two_claims):
    source_id = as_json(cli, "source", "show", URL)["id"]
    data = as_json(
        cli,
        "source",
        "edit",
        URL,
        "--outlet",
        "The National",
        "--title",
        "Kim gives missile tour",
        "--published",
        "2023-07",
        "--updated",
        "2023-07-28",
        "--reason",
        "from the page",
    )
    assert data["record"] == "source" and data["id"] == source_id
    assert changes(data) == {
        "outlet": (None, "The National"),
        "outlet_actor": (None, "The National"),  # a new actor, kind media
        "title": (None, "Kim gives missile tour"),
        "published": (None, "2023-07"),
        "updated": (None, "2023-07-28"),
    }
    shown = as_json(cli, "source", "show", str(source_id))
    assert (shown["outlet"], shown["published"]) == ("The National", "2023-07")
    cleared = as_json(cli, "source", "edit", str(source_id), "--title", "")
    assert changes(cleared) == {"title": ("Kim gives missile tour", None)}


def test_source_edit_url_moves_the_key(cli, two_claims):
    source_id = as_json(cli, "source", "show", URL)["id"]
    new = "https://www.thenationalnews.com/world/asia/2023/07/27/kim-gives-missile-tour/"
    data = as_json(cli, "source", "edit", str(source_id), "--url", new)
    assert changes(data)["url"] == (URL, new)
    assert as_json(cli, "source", "show", new.replace("https://www.", "http://"))["id"] == (
        source_id
    )
    fails(cli("source", "show", URL), 1)
    # adding with the new URL finds the corrected source
    assert (
        add(cli, CLAIM, by="Russia", stance="denies", source=new, date="2023")["source_id"]
        == source_id
    )


def test_source_edit_url_of_another_source_is_refused(cli, two_claims):
    line = fails(cli("source", "edit", URL, "--url", OTHER_URL + "?utm_source=x"), 1)
    other = as_json(cli, "source", "show", OTHER_URL)["id"]
    assert f"source {other}" in line
    assert as_json(cli, "source", "show", URL)["url"] == URL


def test_source_edit_without_url_rekeys_on_outlet_title_date(cli):
    cli.ok("source", "add", URL)
    cli.ok("source", "add", OTHER_URL)
    data = as_json(cli, "source", "edit", URL, "--url", "", "--outlet", "KCNA", "--title", "T")
    assert changes(data)["url"] == (URL, None)
    assert changes(data)["key"][1] == "nourl|kcna|t|"
    # another source cannot become the same outlet, title and date
    line = fails(
        cli("source", "edit", OTHER_URL, "--url", "", "--outlet", "kcna", "--title", "t"), 1
    )
    assert f"source {data['id']}" in line
    # with another date it is another source
    other = as_json(
        cli,
        "source",
        "edit",
        OTHER_URL,
        "--url",
        "",
        "--outlet",
        "KCNA",
        "--title",
        "T",
        "--published",
        "2024",
    )
    assert changes(other)["key"][1] == "nourl|kcna|t|2024"
    # and its date is part of its key: changing it moves the key
    moved = as_json(cli, "source", "edit", str(other["id"]), "--published", "2024-11")
    assert changes(moved)["key"] == ("nourl|kcna|t|2024", "nourl|kcna|t|2024-11")


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        ([], 2, "nothing to change"),
        (["--url", "ftp://x"], 2, "--url"),
        (["--published", "27 July 2023"], 2, "--published"),
        (["--updated", "2023-02-30"], 2, "--updated"),
        (["--url", ""], 2, "needs a URL"),
        (["--outlet", "a\nb"], 2, "--outlet"),
    ],
)
def test_source_edit_invalid_input(cli, args, code, expected):
    cli.ok("source", "add", URL)
    assert expected in fails(cli("source", "edit", URL, *args), code)
    assert as_json(cli, "source", "show", URL)["url"] == URL


def test_source_edit_unknown(cli):
    assert "no source" in fails(cli("source", "edit", "999", "--outlet", "x"), 1)


# --- actor rename / edit / delete -----------------------------------------------------------


def test_actor_rename_drops_the_old_name_by_default(cli, two_claims):
    result = cli.ok("actor", "rename", "Kim Jong Un", "Kim Jong-un", "--format", "json")
    data = result.json()
    assert changes(data) == {"name": ("Kim Jong Un", "Kim Jong-un")}
    assert "--keep-alias" in result.stderr
    assert "no actor" in fails(cli("actor", "show", "Kim Jong Un"), 1)
    assert as_json(cli, "actor", "show", "kim jong-un")["name"] == "Kim Jong-un"


def test_actor_rename_keep_alias(cli, two_claims):
    data = as_json(cli, "actor", "rename", "Kim Jong Un", "Kim Jong-un", "--keep-alias")
    assert changes(data) == {
        "name": ("Kim Jong Un", "Kim Jong-un"),
        "aliases": ([], ["Kim Jong Un"]),
    }
    assert as_json(cli, "actor", "show", "Kim Jong Un")["name"] == "Kim Jong-un"
    # the table says it too
    cli.ok("actor", "add", "Xi Jinping")
    out = cli.ok("actor", "rename", "Xi Jinping", "Xi", "--keep-alias").stdout
    assert "name: Xi Jinping → Xi" in out and "aliases: (none) → Xi Jinping" in out


def test_actor_rename_to_one_of_its_aliases(cli):
    cli.ok("actor", "add", "North Korea", "--alias", "DPRK")
    data = as_json(cli, "actor", "rename", "North Korea", "dprk")
    assert changes(data) == {"name": ("North Korea", "dprk"), "aliases": (["DPRK"], [])}


def test_actor_rename_taken_name_or_alias_is_refused(cli):
    cli.ok("actor", "add", "Russia", "--alias", "Moscow")
    cli.ok("actor", "add", "Kremlin")
    for taken in ("russia", "MOSCOW"):
        line = fails(cli("actor", "rename", "Kremlin", taken), 1)
        assert "already names actor 'Russia'" in line and "actor merge" in line
    assert as_json(cli, "actor", "show", "Kremlin")["name"] == "Kremlin"


def test_actor_rename_confusable_is_refused_unless_allowed(cli):
    cli.ok("actor", "add", "Russia")
    cli.ok("actor", "add", "Kremlin")
    look_alike = "Rus\u0455ia"  # Cyrillic dze
    assert "looks like" in fails(cli("actor", "rename", "Kremlin", look_alike), 1)
    assert "invisible" in fails(cli("actor", "rename", "Kremlin", "Rus\u200bsia"), 1)
    data = as_json(cli, "actor", "rename", "Kremlin", look_alike, "--allow-confusable")
    assert changes(data)["name"] == ("Kremlin", look_alike)


def test_actor_rename_fixes_its_own_look_alike(cli):
    # an actor recorded with a Cyrillic letter by mistake can be given the Latin spelling
    cli.ok("actor", "add", "Rus\u0455ia")
    data = as_json(cli, "actor", "rename", "Rus\u0455ia", "Russia")
    assert changes(data)["name"] == ("Rus\u0455ia", "Russia")


def test_actor_rename_same_name_changes_nothing(cli):
    cli.ok("actor", "add", "Russia")
    assert "nothing changed" in cli.ok("actor", "rename", "Russia", "Russia").stdout
    assert "name: Russia → RUSSIA" in cli.ok("actor", "rename", "russia", "RUSSIA").stdout


@pytest.mark.parametrize(("new", "expected"), [("", "NEW"), ("a;b", "';'"), ("a\nb", "NEW")])
def test_actor_rename_invalid_name(cli, new, expected):
    cli.ok("actor", "add", "Russia")
    assert expected in fails(cli("actor", "rename", "Russia", new), 2)


def test_actor_edit_kind(cli):
    cli.ok("actor", "add", "Xi Jinping")
    data = as_json(cli, "actor", "edit", "Xi Jinping", "--kind", "person", "--reason", "x")
    assert changes(data) == {"kind": ("other", "person")}
    assert as_json(cli, "actor", "edit", "Xi Jinping", "--kind", "PERSON")["action"] == (
        "unchanged"
    )
    assert "--kind" in fails(cli("actor", "edit", "Xi Jinping", "--kind", "tyrant"), 2)
    assert "--kind" in fails(cli("actor", "edit", "Xi Jinping"), 2)
    assert "no actor" in fails(cli("actor", "edit", "Nobody", "--kind", "person"), 1)


def test_actor_delete_with_its_aliases(cli):
    cli.ok("actor", "add", "Typo Actr", "--alias", "Typo")
    data = as_json(cli, "actor", "delete", "typo", "--reason", "typo")
    assert data["action"] == "deleted"
    assert changes(data) == {
        "name": ("Typo Actr", None),
        "kind": ("other", None),
        "aliases": (["Typo"], []),
    }
    assert as_json(cli, "actor", "list") == []
    cli.ok("actor", "add", "Typo")  # the alias went with it


def test_actor_delete_refused_while_referred_to(cli):
    add(cli, CLAIM, by="Kim Jong Un", stance="denies", source=URL, date="2023", via=["KCNA"])
    cli.ok("actor", "add", "North Korea")
    cli.ok("actor", "part-of", "Kim Jong Un", "North Korea")
    cli.ok("actor", "part-of", "KCNA", "North Korea")
    cli.ok("sanction", "add", R1718, "--target", "North Korea", "--authority", "KCNA")
    line = fails(cli("actor", "delete", "Kim Jong Un"), 1)
    assert "1 assertion" in line and "nothing was deleted" in line
    line = fails(cli("actor", "delete", "KCNA"), 1)
    assert "1 via link" in line and "1 sanction as its authority" in line
    line = fails(cli("actor", "delete", "North Korea"), 1)
    assert "2 parts" in line and "1 sanction as its target" in line
    assert {a["name"] for a in as_json(cli, "actor", "list")} == {
        "Kim Jong Un",
        "KCNA",
        "North Korea",
    }


# --- sanction edit --------------------------------------------------------------------------


def test_sanction_edit_fields(cli, two_claims):
    claim_id, _ = two_claims
    cli.ok("sanction", "add", R1718, "--measures", "arms embargo")
    cli.ok("claim", "link", str(claim_id), "--violates", R1718)
    cli.ok("actor", "add", "North Korea")
    data = as_json(
        cli,
        "sanction",
        "edit",
        R1718,
        "--name",
        "UN Security Council Resolution 1718",
        "--authority",
        "UN Security Council",
        "--adopted",
        "2006-10",
        "--programme",
        "UNSC 1718",
        "--measures",
        "",
        "--url",
        "https://www.un.org/securitycouncil/s/res/1718-%282006%29",
        "--reason",
        "official name",
    )
    assert changes(data) == {
        "name": (R1718, "UN Security Council Resolution 1718"),
        "authority": (None, "UN Security Council"),
        "authority_actor": (None, "UN Security Council"),
        "programme": (None, "UNSC 1718"),
        "adopted": (None, "2006-10"),
        "measures": ("arms embargo", None),
        "url": (None, "https://www.un.org/securitycouncil/s/res/1718-%282006%29"),
    }
    # the claim stays linked, under the new name, which is the sanction's key now
    assert show(cli, claim_id)["violates"] == ["UN Security Council Resolution 1718"]
    assert as_json(cli, "sanction", "show", "un security council resolution 1718")["claims"] == 1
    assert "no sanction" in fails(cli("sanction", "show", R1718), 1)


def test_sanction_edit_name_of_another_is_refused(cli):
    cli.ok("sanction", "add", R1718)
    cli.ok("sanction", "add", "UNSC Resolution 1874")
    line = fails(
        cli("sanction", "edit", "UNSC Resolution 1874", "--name", "unsc resolution 1718"), 1
    )
    assert R1718 in line
    names = [s["name"] for s in as_json(cli, "sanction", "list")]
    assert names == [R1718, "UNSC Resolution 1874"]
    data = as_json(cli, "sanction", "edit", R1718, "--name", "unsc resolution 1718")
    assert changes(data) == {"name": (R1718, "unsc resolution 1718")}


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        ([], 2, "nothing to change"),
        (["--name", ""], 2, "--name"),
        (["--name", "a;b"], 2, "';'"),
        (["--adopted", "October 2006"], 2, "--adopted"),
        (["--url", "javascript:alert(1)"], 2, "--url"),
        (["--target", "Nobody"], 2, "No such option"),
        (["--authority", "a;b"], 2, "';'"),
    ],
)
def test_sanction_edit_invalid_input(cli, args, code, expected):
    cli.ok("sanction", "add", R1718)
    assert expected in fails(cli("sanction", "edit", R1718, *args), code)
    assert [s["name"] for s in as_json(cli, "sanction", "list")] == [R1718]


def test_sanction_edit_unknown(cli):
    assert "no sanction" in fails(cli("sanction", "edit", "X", "--authority", "y"), 1)
