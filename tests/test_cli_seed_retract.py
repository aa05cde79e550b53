"""``factdb seed`` (the seed article, idempotent) and ``factdb retract`` (kept, flagged,
left out of sides by default).

Each test runs on SQLite and PostgreSQL (the ``cli`` and ``seeded_cli`` fixtures).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import add, fails, listed, show

SEED = Path(__file__).resolve().parent.parent / "seeds" / "the-national-2023-07-27.jsonl"
CLAIM = "North Korea has shipped weapons to Russia"
URL = "https://example.org/a"


def seed_records() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            out.setdefault(record["type"], []).append(record)
    return out


# --- seed -----------------------------------------------------------------------------------


def test_seed_counts_then_nothing_new(cli):
    records = seed_records()
    first = {r["type"]: r for r in cli.ok("seed", "--format", "json").json()}
    for kind in ("claim", "assertion", "source", "sanction"):
        assert first[kind]["new"] == len(records[kind]), (kind, first[kind])
    second = cli.ok("seed", "--format", "json").json()
    assert second, "seed reports its counts"
    for row in second:
        assert row["new"] == 0, row
    assert {r["type"] for r in second} >= {"claim", "assertion", "actor", "source", "sanction"}
    assert len(listed(cli)) == len(records["claim"])


def test_seed_table_smoke(cli):
    out = cli.ok("seed").stdout
    assert "claim" in out and "assertion" in out


def test_seed_list_has_the_claims(seeded_cli):
    texts = {r["claim"] for r in listed(seeded_cli)}
    assert texts == {c["text"] for c in seed_records()["claim"]}


def test_seed_show_1_side_by_side(seeded_cli):
    data = show(seeded_cli, 1)
    assert data["claim"].startswith("North Korea has shipped weapons")
    assert data["for"] == ["United States"]
    assert data["against"] == ["North Korea", "Russia"]
    assert data["contested"] is True
    assert data["violates"] == ["UNSC Resolution 1718", "UNSC Resolution 1874"]
    assert "arms-transfer" in data["tags"]
    by_actor = {a["actor"]: a for a in data["assertions"]}
    assert by_actor["White House"]["side"] == "United States"
    assert by_actor["White House"]["date"] == "2023-07"
    assert by_actor["White House"]["source"]["outlet"] == "The National"
    assert by_actor["White House"]["source"]["published"] == "2023-07-27"
    out = seeded_cli.ok("show", "1").stdout
    assert "CONTESTED" in out and "United States" in out


def test_seed_via_and_contested_list(seeded_cli):
    assert [r["id"] for r in listed(seeded_cli, "--contested")] == [1]
    kim = [r for r in listed(seeded_cli, "--actor", "Kim Jong Un")]
    assert kim
    claim = show(seeded_cli, kim[0]["id"])
    assert any(a["via"] == ["KCNA"] for a in claim["assertions"])


def test_seed_after_manual_entries_merges(cli):
    """Records typed in before seeding are matched by natural key, not duplicated."""
    cli.ok("actor", "add", "Russia", "--kind", "state")
    text = seed_records()["claim"][0]["text"]
    add(cli, text.upper(), by="Russia", stance="denies", source=URL, date="2023-07")
    cli.ok("seed")
    matching = [r for r in listed(cli) if r["claim"].casefold() == text.casefold()]
    assert len(matching) == 1
    names = [a["name"] for a in cli.ok("actor", "list", "--format", "json").json()]
    assert names.count("Russia") == 1


# --- retract --------------------------------------------------------------------------------


@pytest.fixture
def disputed(cli: Any) -> tuple[Any, int, int]:
    """A claim asserted by the White House and denied only by Russia: (cli, claim, denial)."""
    cli.ok("actor", "add", "United States", "--kind", "state")
    cli.ok("actor", "add", "White House", "--kind", "government", "--part-of", "United States")
    cli.ok("actor", "add", "Russia", "--kind", "state", "--alias", "Moscow")
    r = add(cli, CLAIM, by="White House", stance="asserts", source=URL, date="2023-07-26")
    d = add(cli, r["claim_id"], by="Moscow", stance="denies", source=URL, date="2023-07-27")
    return cli, int(r["claim_id"]), int(d["assertion_id"])


def test_retract_leaves_sides(disputed):
    cli, claim_id, denial = disputed
    assert show(cli, claim_id)["contested"] is True
    data = cli.ok(
        "retract", str(denial), "--reason", "misattributed quote", "--format", "json"
    ).json()
    assert data["assertion_id"] == denial
    assert data["claim_id"] == claim_id
    assert data["reason"] == "misattributed quote"
    shown = show(cli, claim_id)
    assert shown["contested"] is False
    assert shown["against"] == []
    assert [a["actor"] for a in shown["assertions"]] == ["White House"]
    assert listed(cli, "--contested") == []
    [row] = listed(cli)
    assert row["against"] == [] and row["contested"] is False


def test_retracted_is_kept_and_visible(disputed, monkeypatch):
    cli, claim_id, denial = disputed
    cli.ok("retract", str(denial), "--reason", "misattributed quote")
    shown = show(cli, claim_id, "--include-retracted")
    flagged = {a["id"]: a for a in shown["assertions"]}
    assert flagged[denial]["retracted"] is True
    assert flagged[denial]["retraction_reason"] == "misattributed quote"
    assert flagged[denial]["retracted_at"]
    assert len(shown["assertions"]) == 2
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that the reason is not wrapped
    out = cli.ok("show", str(claim_id), "--include-retracted").stdout
    assert "retracted" in out
    assert "misattributed quote" in out
    # the actor still shows its stance, flagged
    actor = cli.ok("actor", "show", "Russia", "--format", "json").json()
    [a] = actor["assertions"]
    assert a["retracted"] is True


def test_include_retracted_filter_and_flag_agree(disputed):
    """With --include-retracted, a claim that --contested selects is flagged contested."""
    cli, claim_id, denial = disputed
    cli.ok("retract", str(denial), "--reason", "misattributed quote")
    selected = {r["id"] for r in listed(cli, "--contested", "--include-retracted")}
    flagged = {r["id"] for r in listed(cli, "--include-retracted") if r["contested"]}
    assert selected == flagged


def test_retract_twice_fails(disputed):
    cli, _, denial = disputed
    cli.ok("retract", str(denial), "--reason", "misattributed quote")
    line = fails(cli("retract", str(denial), "--reason", "again"), 1)
    assert str(denial) in line
    assert "already" in line
    actor = cli.ok("actor", "show", "Russia", "--format", "json").json()
    assert actor["assertions"][0]["retraction_reason"] == "misattributed quote"


def test_retract_unknown_assertion(cli):
    line = fails(cli("retract", "999", "--reason", "no such thing"), 1)
    assert "999" in line


def test_retract_needs_a_reason(disputed):
    cli, claim_id, denial = disputed
    for reason in (None, "", "   "):
        args = ["retract", str(denial)] + ([] if reason is None else ["--reason", reason])
        line = fails(cli(*args), 2)
        assert "--reason" in line, reason
    assert show(cli, claim_id)["contested"] is True


def test_retract_non_numeric_id(cli):
    fails(cli("retract", "abc", "--reason", "x"), 2)


def test_retract_a_reversal_undoes_it(cli):
    cli.ok("actor", "add", "Russia", "--kind", "state")
    cid = add(cli, CLAIM, by="Russia", stance="denies", source=URL, date="2024-10-18")["claim_id"]
    later = add(
        cli,
        cid,
        by="Russia",
        stance="asserts",
        source=URL,
        date="2025-04-26",
    )["assertion_id"]
    assert show(cli, cid)["reversed"] is True
    assert [r["id"] for r in listed(cli, "--reversed")] == [cid]
    cli.ok("retract", str(later), "--reason", "mistranslation")
    assert show(cli, cid)["reversed"] is False
    assert listed(cli, "--reversed") == []
