from __future__ import annotations


def test_seed_show_side_by_side(seeded_cli):
    data = seeded_cli.ok("show", "1", "--format", "json").json()
    assert data["for"] == ["United States"]
    assert data["against"] == ["North Korea", "Russia"]
    assert data["contested"] is True


def test_a_bug_is_one_line_naming_debug(seeded_cli, monkeypatch):
    # A failure that is nobody's input mistake: one line, exit 1, how to see the traceback.
    from factdb import queries

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(queries, "show_claim", broken)
    result = seeded_cli("show", "1")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: internal error: RuntimeError: boom (rerun with --debug for details)\n"
    )
