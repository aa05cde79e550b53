"""The CSV importer writes in batches while it reads (factdb.interchange.csvimport): repeats,
via chains, rows already there and errors must come out the same whichever batch a row falls in.
A batch of three rows puts repeats within one batch and across batches, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from factdb.interchange import csvimport
from factdb.interchange.common import ImportErrors, ImportResult
from factdb.interchange.load import import_file
from factdb.storage import db
from factdb.storage.config import DatabaseTarget
from tests.helpers import csv_row, write_csv

ROWS = [
    csv_row("Claim A", "Alice", "2024", "https://example.org/1", "first", "Via 1; Via 2"),
    csv_row("Claim A", "Bob", "2024", "https://example.org/1"),
    csv_row("Claim A", "Alice", "2024", "https://example.org/1", "repeat, same batch", "Via 3"),
    csv_row("Claim B", "Alice", "2024-02", "https://example.org/2", "", "Via 2"),
    csv_row("Claim A", "Bob", "2024", "https://www.example.org/1/", "repeat, next batch", "Via 1"),
    csv_row("Claim C", "Carol", "2024-02-03", "https://example.org/3", "tab\tand\\slash"),
    csv_row("Claim B", "Alice", "2024-02", "https://example.org/2", "repeat", "Via 3"),
    csv_row("Claim D", "Dan", "2023", "https://example.org/4", "last", "Via 1"),
]


def _import(target: DatabaseTarget, path: Path) -> ImportResult:
    return db.transact(target, lambda s: import_file(s, path, str(path), "csv"), bulk=True)


def _assertions(target: DatabaseTarget) -> list[tuple[object, ...]]:
    """(id, claim, actor, quote, via chain) of every assertion, in id order."""
    with db.session_scope(target, write=False) as session:
        via: dict[int, list[str]] = {}
        for assertion_id, name in session.execute(
            text(
                "SELECT w.assertion_id, x.name FROM assertion_via AS w "
                "JOIN actor AS x ON x.id = w.actor_id ORDER BY w.assertion_id, w.position"
            )
        ):
            via.setdefault(int(assertion_id), []).append(name)
        return [
            (int(i), claim, actor, quote, ";".join(via[int(i)]) if int(i) in via else None)
            for i, claim, actor, quote in session.execute(
                text(
                    "SELECT a.id, c.text, ac.name, a.quote FROM assertion AS a "
                    "JOIN claim AS c ON c.id = a.claim_id "
                    "JOIN actor AS ac ON ac.id = a.actor_id ORDER BY a.id"
                )
            )
        ]


@pytest.mark.parametrize("batch", [1, 3, 1000])
def test_repeats_across_batches_keep_the_first_row(
    target: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(csvimport, "BATCH", batch)
    path = write_csv(tmp_path / "rows.csv", ROWS)
    result = _import(target, path)
    assert (result.new["assertion"], result.duplicates, result.rows) == (5, 3, 8)
    rows = _assertions(target)
    first = rows[0][0]
    assert isinstance(first, int)
    # Contiguous ids in file order; the first of repeated rows kept with its own via chain.
    assert [r[0] for r in rows] == list(range(first, first + 5))
    assert [r[1:] for r in rows] == [
        ("Claim A", "Alice", "first", "Via 1;Via 2"),
        ("Claim A", "Bob", None, None),
        ("Claim B", "Alice", None, "Via 2"),
        ("Claim C", "Carol", "tab\tand\\slash", None),
        ("Claim D", "Dan", "last", "Via 1"),
    ]
    # Again, with a new row: the old ones are already there, the repeats still repeats.
    more = write_csv(
        tmp_path / "more.csv", [*ROWS, csv_row("Claim A", "Erin", "2022", "https://example.org/5")]
    )
    again = _import(target, more)
    assert (again.new["assertion"], again.existing["assertion"], again.duplicates) == (1, 5, 3)
    assert len(_assertions(target)) == 6


def test_an_error_after_written_batches_leaves_nothing(
    target: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches written before the first bad row are rolled back with the transaction, and
    every error of the file is still reported."""
    monkeypatch.setattr(csvimport, "BATCH", 2)
    bad = [*ROWS[:5], csv_row("Claim E", "Eve", "2024-13", "https://example.org/9"), *ROWS[5:]]
    bad.append(csv_row("Claim F", "Fay", "2024", "ftp://example.org/x"))
    path = write_csv(tmp_path / "bad.csv", bad)
    with db.session_scope(target, write=False) as session:
        before = {
            t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("actor", "claim", "source", "assertion", "assertion_via")
        }
    with pytest.raises(ImportErrors) as raised:
        _import(target, path)
    assert [(e.line, e.field) for e in raised.value.errors] == [(7, "date"), (11, "source_url")]
    with db.session_scope(target, write=False) as session:
        after = {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in before}
    assert after == before


def test_a_row_breaking_a_check_constraint_fails_the_import(
    target: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite checks the CHECK constraints of a bulk load once, after it (PostgreSQL row by
    row): a value the importer let through by mistake still fails the whole import, and the
    bulk connection enforces CHECK constraints again afterwards."""
    from sqlalchemy.exc import IntegrityError

    monkeypatch.setitem(csvimport.STANCES, "bogus", "bogus")
    monkeypatch.setitem(csvimport.STANCE_CODES, "bogus", 7)
    row = csv_row("Claim Z", "Zed", "2024", "https://example.org/z")
    row[2] = "bogus"
    path = write_csv(tmp_path / "bogus.csv", [*ROWS, row])
    with pytest.raises(IntegrityError, match="(?i)check constraint"):
        _import(target, path)
    assert _assertions(target) == []
    if target.backend == "sqlite":
        with db.get_engine(target, bulk=True).connect() as conn:
            assert conn.exec_driver_sql("PRAGMA ignore_check_constraints").scalar() == 0


def _tagged(claim: str, actor: str, url: str, tags: str, title: str = "") -> list[str]:
    return [claim, actor, "asserts", "2024", url, "Outlet", title, "", "", tags, ""]


FORGETFUL = [
    _tagged("Claim A", "Alice", "https://example.org/1", "red", "One"),
    _tagged("Claim B", "Bob", "https://example.org/2", ""),
    _tagged("Claim C", "Carol", "https://example.org/3", "blue"),
    _tagged("Claim D", "Dan", "https://example.org/4", ""),
    # Claim A and the first URL again, batches after both were forgotten: the same claim and
    # source (found through the unique indexes), the tags merged, the repeat caught.
    _tagged("Claim A", "Bob", "https://example.org/1", "green; red", "Other title"),
    _tagged("Claim A", "Alice", "https://www.example.org/1/", "red"),
    _tagged("Claim E", "Eve", "https://example.org/5", "red"),
    _tagged("Claim C", "Carol", "https://example.org/3", "blue"),
]


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_claims_and_sources_forgotten_between_batches_resolve_to_one(
    target: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """The importer keeps only ``KEEP`` claims and sources resolved between batches: one
    named again after it was forgotten is the same row, repeats of a natural key are still
    caught, tags gathered before and after are written once, and the counts say what was
    made and what was there (a second import of the file finds everything)."""
    monkeypatch.setattr(csvimport, "BATCH", batch)
    monkeypatch.setattr(csvimport, "KEEP", 2)
    path = write_csv(tmp_path / "forgetful.csv", FORGETFUL)
    result = _import(target, path)
    assert (result.new["claim"], result.new["source"], result.new["assertion"]) == (5, 5, 6)
    assert (result.existing["claim"], result.existing["source"], result.duplicates) == (0, 0, 2)
    with db.session_scope(target, write=False) as session:
        sources = session.execute(text("SELECT url, title FROM source ORDER BY id")).all()
        tags = session.execute(
            text(
                "SELECT c.text, t.tag FROM claim_tag AS t JOIN claim AS c ON c.id = t.claim_id "
                "ORDER BY c.text, t.tag"
            )
        ).all()
        claims = session.execute(text("SELECT text FROM claim ORDER BY id")).scalars().all()
    assert [tuple(s) for s in sources][0] == ("https://example.org/1", "One")
    assert len(sources) == 5
    assert claims == ["Claim A", "Claim B", "Claim C", "Claim D", "Claim E"]
    assert [tuple(t) for t in tags] == [
        ("Claim A", "green"),
        ("Claim A", "red"),
        ("Claim C", "blue"),
        ("Claim E", "red"),
    ]
    again = _import(target, path)
    assert (again.new["claim"], again.new["source"], again.new["assertion"]) == (0, 0, 0)
    assert (again.existing["claim"], again.existing["source"]) == (5, 5)
    # All eight rows were there before. A repeat counts as a repeat while its claim is kept,
    # as already there once the claim was forgotten: the importer keeps no key for it.
    assert again.existing["assertion"] + again.duplicates == 8
    assert (again.existing["assertion"], again.duplicates) == ((6, 2) if batch > 2 else (8, 0))
