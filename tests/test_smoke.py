from __future__ import annotations


def test_seed_show_side_by_side(seeded_cli):  # type: ignore[no-untyped-def]
    data = seeded_cli.ok("show", "1", "--format", "json").json()
    assert data["for"] == ["United States"]
    assert data["against"] == ["North Korea", "Russia"]
    assert data["contested"] is True
