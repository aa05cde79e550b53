"""Upgrades keep data (docs/reliability.md, migrations), on both backends.

A database is built at revision 0001 (the first release's schema) and filled through plain
SQL INSERTs written against that schema, not through today's models, with the rows that break
careless migrations: unicode in every script, quotes, newlines, formula-like text, partial
dates of every precision, ordered via chains, retractions, aliases, a three-level hierarchy,
sanctions with and without dates, a source without URL. The natural keys are frozen here as
the first release computed them. Upgrading to head must keep every row and value; downgrading
to 0001 and upgrading again as well; and the upgraded database must work with today's factdb
(aliases resolve, claims are found by their key, every stance inserts and reads back).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BindParameter, Date, DateTime, MetaData, bindparam, inspect, select, text
from sqlalchemy.engine import Connection

from factdb.storage import db
from factdb.storage.config import TABLES, DatabaseTarget
from factdb.storage.models import Stance
from tests.conftest import Cli
from tests.test_concurrency import health

BASE = "0001"
UTC = dt.UTC

# --- the fixture rows, as of revision 0001 ---------------------------------------------------

T0 = dt.datetime(2024, 2, 27, 9, 30, 15, 123456, tzinfo=UTC)

# name, name_key, kind, part_of (name or None)
ACTORS: list[tuple[str, str, str, str | None]] = [
    ("United States", "united states", "state", None),
    ("White House", "white house", "government", "United States"),
    ("John Kirby", "john kirby", "person", "White House"),
    ("North Korea", "north korea", "state", None),
    ("Kim Jong Un", "kim jong un", "person", "North Korea"),
    ("KCNA", "kcna", "media", "North Korea"),
    ("Russia", "russia", "state", None),
    ("МИД России", "мид россии", "government", "Russia"),
    ("Сергей Лавров", "сергей лавров", "person", "МИД России"),
    ("Yonhap", "yonhap", "media", None),
    ("The National", "the national", "media", None),
    ('O\'Brien "the analyst"', 'o\'brien "the analyst"', "person", None),
    ("وزارة الخارجية", "وزارة الخارجية", "government", None),
    ("🛰️ Observer", "🛰️ observer", "other", None),
    ("UN Panel of Experts", "un panel of experts", "organization", None),
]
# actor, alias, alias_key
ALIASES = [
    ("North Korea", "Pyongyang", "pyongyang"),
    ("North Korea", "DPRK", "dprk"),
    ("Russia", "Россия", "россия"),
    ("Russia", "Moscow", "moscow"),
]
CLAIM_TEXTS = [
    (
        "North Korea has shipped weapons to Russia for its war in Ukraine",
        "north korea has shipped weapons to russia for its war in ukraine",
    ),
    (
        "Russia has paid North Korea in oil above the UN cap",
        "russia has paid north korea in oil above the un cap",
    ),
    ("Кремль отрицает поставки", "кремль отрицает поставки"),
    (
        'Claim with "quotes", commas; semicolons and a newline\nsecond line',
        "claim with quotes commas semicolons and a newline second line",
    ),
    ('=HYPERLINK("x") starts like a formula', "hyperlink x starts like a formula"),
    ("Ракеты KN-23 🚀 were fired at Kharkiv", "ракеты kn 23 were fired at kharkiv"),
]
# claim index, tag
TAGS = [(0, "arms-trade"), (0, "sanctions"), (1, "oil"), (2, "übertag"), (5, "missiles")]
# url, key, outlet, title, (published, precision), (updated, precision)
SOURCES: list[tuple[Any, ...]] = [
    (
        "https://www.whitehouse.gov/briefing-room/2023/10/13/kirby/?utm_source=tw#top",
        "whitehouse.gov/briefing-room/2023/10/13/kirby",
        "The White House",
        "Press Briefing by John Kirby",
        (dt.date(2023, 10, 13), "day"),
        (dt.date(2023, 10, 14), "day"),
    ),
    (
        "https://kcna.kp/en/article/q/1234.kcmsd",
        "kcna.kp/en/article/q/1234.kcmsd",
        "KCNA",
        "Statement «on the fabrication»",
        (dt.date(2023, 10, 1), "month"),
        (None, None),
    ),
    (
        "https://en.yna.co.kr/view/AEN20240227000451315",
        "en.yna.co.kr/view/AEN20240227000451315",
        "Yonhap",
        None,
        (dt.date(2024, 1, 1), "year"),
        (None, None),
    ),
    (
        "https://ria.ru/20240301/опровержение.html",
        "ria.ru/20240301/%D0%BE%D0%BF%D1%80%D0%BE%D0%B2%D0%B5%D1%80%D0%B6%D0%B5%D0%BD%D0%B8%D0%B5.html",
        "РИА Новости",
        "Опровержение: «никаких поставок»",
        (None, None),
        (None, None),
    ),
    (
        None,
        "nourl|un panel of experts|final report s 2024 215|2024-03",
        "UN Panel of Experts",
        "Final report S/2024/215",
        (dt.date(2024, 3, 1), "month"),
        (None, None),
    ),
]
# name, name_key, authority, (adopted, precision), target actor, measures, url
SANCTIONS: list[tuple[Any, ...]] = [
    (
        "UNSC Resolution 1718",
        "unsc resolution 1718",
        "UN Security Council",
        (dt.date(2006, 10, 14), "day"),
        "North Korea",
        'Arms embargo; no exports of "major arms" to or from the DPRK',
        "https://undocs.org/S/RES/1718(2006)",
    ),
    (
        "UNSC Resolution 2397",
        "unsc resolution 2397",
        None,
        (dt.date(2017, 1, 1), "year"),
        None,
        None,
        None,
    ),
]
CLAIM_SANCTIONS = [
    (0, "UNSC Resolution 1718"),
    (1, "UNSC Resolution 2397"),
    (1, "UNSC Resolution 1718"),
]
# claim, actor, stance, (date, precision), source, quote, via chain, retraction
ASSERTIONS: list[tuple[Any, ...]] = [
    (
        0,
        "John Kirby",
        "asserts",
        (dt.date(2023, 10, 13), "day"),
        0,
        "North Korea has recently provided Russia with more than a thousand containers",
        [],
        None,
    ),
    (
        0,
        "Kim Jong Un",
        "denies",
        (dt.date(2023, 10, 1), "month"),
        2,
        "«Абсурд» — 'nonsense', he said;\nthen left",
        ["KCNA", "Yonhap"],
        None,
    ),
    (0, "Сергей Лавров", "denies", (dt.date(2024, 1, 1), "year"), 3, None, [], None),
    (0, "Russia", "disputes", (dt.date(2024, 3, 1), "month"), 3, "", ["МИД России"], None),
    (
        0,
        "UN Panel of Experts",
        "supports",
        (dt.date(2024, 3, 1), "month"),
        4,
        "=SUM(A1) stays text",
        [],
        None,
    ),
    (0, "🛰️ Observer", "neutral", (dt.date(2024, 2, 29), "day"), 2, "🛰️ 📦 → 🇷🇺", [], None),
    (1, "وزارة الخارجية", "asserts", (dt.date(2024, 2, 1), "month"), 2, "نص عربي", [], None),
    (
        1,
        'O\'Brien "the analyst"',
        "supports",
        (dt.date(2024, 2, 27), "day"),
        0,
        'It\'s "likely"',
        ["The National", "Yonhap", "KCNA"],
        (T0 + dt.timedelta(days=3), 'Mistaken attribution: it was "someone else"'),
    ),
    (2, "Russia", "denies", (dt.date(2024, 3, 1), "day"), 3, None, [], None),
    (
        3,
        "North Korea",
        "neutral",
        (dt.date(2000, 1, 1), "year"),
        1,
        "multi\nline\r\nquote",
        [],
        None,
    ),
    (
        4,
        "White House",
        "asserts",
        (dt.date(2024, 12, 1), "month"),
        0,
        "'leading apostrophe",
        [],
        None,
    ),
    (
        5,
        "United States",
        "asserts",
        (dt.date(2024, 1, 6), "day"),
        0,
        None,
        [],
        (T0 + dt.timedelta(hours=5), "Retracted: wrong date"),
    ),
]


def _insert(conn: Connection, sql: str, params: dict[str, Any], returning: bool = True) -> int:
    """One plain INSERT; Date and DateTime parameters typed as the 0001 columns are."""
    stmt = text(sql + (" RETURNING id" if returning else ""))
    binds: list[BindParameter[Any]] = []
    for name, value in params.items():
        if isinstance(value, dt.datetime):
            binds.append(bindparam(name, type_=DateTime(timezone=True)))
        elif isinstance(value, dt.date):
            binds.append(bindparam(name, type_=Date()))
    if binds:
        stmt = stmt.bindparams(*binds)
    result = conn.execute(stmt, params)
    return int(result.scalar_one()) if returning else 0


def fill_revision_0001(conn: Connection) -> None:
    actor_ids: dict[str, int] = {}
    for n, (name, key, kind, parent) in enumerate(ACTORS):
        actor_ids[name] = _insert(
            conn,
            "INSERT INTO actor (name, name_key, kind, part_of_id, created_at) "
            "VALUES (:name, :key, :kind, :parent, :created)",
            {
                "name": name,
                "key": key,
                "kind": kind,
                "parent": actor_ids[parent] if parent else None,
                "created": T0 + dt.timedelta(seconds=n),
            },
        )
    for actor, alias, key in ALIASES:
        _insert(
            conn,
            "INSERT INTO actor_alias (actor_id, alias, alias_key) VALUES (:a, :alias, :key)",
            {"a": actor_ids[actor], "alias": alias, "key": key},
        )
    claim_ids = [
        _insert(
            conn,
            "INSERT INTO claim (text, text_key, created_at) VALUES (:t, :k, :c)",
            {"t": t, "k": k, "c": T0 + dt.timedelta(minutes=n)},
        )
        for n, (t, k) in enumerate(CLAIM_TEXTS)
    ]
    for claim, tag in TAGS:
        _insert(
            conn,
            "INSERT INTO claim_tag (claim_id, tag) VALUES (:c, :t)",
            {"c": claim_ids[claim], "t": tag},
            returning=False,
        )
    source_ids = [
        _insert(
            conn,
            "INSERT INTO source (url, key, outlet, title, published, published_precision, "
            "updated, updated_precision, created_at) "
            "VALUES (:url, :key, :outlet, :title, :pub, :pubp, :upd, :updp, :created)",
            {
                "url": url,
                "key": key,
                "outlet": outlet,
                "title": title,
                "pub": pub[0],
                "pubp": pub[1],
                "upd": upd[0],
                "updp": upd[1],
                "created": T0,
            },
        )
        for url, key, outlet, title, pub, upd in SOURCES
    ]
    sanction_ids: dict[str, int] = {}
    for name, key, authority, adopted, target, measures, url in SANCTIONS:
        sanction_ids[name] = _insert(
            conn,
            "INSERT INTO sanction (name, name_key, authority, adopted, adopted_precision, "
            "target_actor_id, measures, url, created_at) "
            "VALUES (:name, :key, :auth, :adopted, :prec, :target, :measures, :url, :created)",
            {
                "name": name,
                "key": key,
                "auth": authority,
                "adopted": adopted[0],
                "prec": adopted[1],
                "target": actor_ids[target] if target else None,
                "measures": measures,
                "url": url,
                "created": T0,
            },
        )
    for claim, sanction in CLAIM_SANCTIONS:
        _insert(
            conn,
            "INSERT INTO claim_sanction (claim_id, sanction_id) VALUES (:c, :s)",
            {"c": claim_ids[claim], "s": sanction_ids[sanction]},
            returning=False,
        )
    for n, (claim, actor, stance, date, source, quote, via, retraction) in enumerate(ASSERTIONS):
        assertion_id = _insert(
            conn,
            "INSERT INTO assertion (claim_id, actor_id, stance, date, date_precision, "
            "source_id, quote, recorded_at, retracted_at, retraction_reason) "
            "VALUES (:claim, :actor, :stance, :date, :prec, :source, :quote, :rec, :ret, :why)",
            {
                "claim": claim_ids[claim],
                "actor": actor_ids[actor],
                "stance": stance,
                "date": date[0],
                "prec": date[1],
                "source": source_ids[source],
                "quote": quote,
                "rec": T0 + dt.timedelta(hours=n),
                "ret": retraction[0] if retraction else None,
                "why": retraction[1] if retraction else None,
            },
        )
        for position, name in enumerate(via, start=1):
            _insert(
                conn,
                "INSERT INTO assertion_via (assertion_id, position, actor_id) VALUES (:a, :p, :v)",
                {"a": assertion_id, "p": position, "v": actor_ids[name]},
                returning=False,
            )


# --- dumps ----------------------------------------------------------------------------------


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def dump(target: DatabaseTarget) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, typed through reflection, ordered by primary key."""
    engine = db.get_engine(target)
    with engine.connect() as conn:
        meta = MetaData()
        existing = set(inspect(conn).get_table_names())
        names = [t for t in TABLES if t in existing]  # a revision before the table's
        meta.reflect(bind=conn, only=names)
        out = {}
        for name in names:
            table = meta.tables[name]
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*order)).mappings().all()
            out[name] = [{k: _value(v) for k, v in row.items()} for row in rows]
        conn.rollback()
    db.dispose_all()
    return out


def _same_rows(before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]):
    """``after`` holds ``before`` exactly: the same rows, and in each row the same values in
    every column that existed before (a later revision may add columns)."""
    assert set(before) <= set(after)
    for table, rows in before.items():
        now = _sanctions_as_before(after) if table == "sanction" else after[table]
        projected = [{k: row[k] for k in rows[0]} for row in now] if rows else now
        assert projected[: len(rows)] == rows, table
        added = projected[len(rows) :]
        if table == "actor":
            assert all(_made_by_an_upgrade(a, before) for a in added), added
        else:
            assert added == [], table


def _made_by_an_upgrade(actor: dict[str, Any], before: dict[str, list[dict[str, Any]]]) -> bool:
    """Revision 0008 makes an actor (media) of each outlet no actor answered to, and 0009 one
    (organization) of each sanction's authority."""
    outlets = {source["outlet"] for source in before["source"]}
    authorities = {sanction["authority"] for sanction in before["sanction"]}
    return (actor["kind"], actor["name"] in outlets, actor["name"] in authorities) in {
        ("media", True, False),
        ("media", True, True),
        ("organization", False, True),
    }


def _sanctions_as_before(after: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The sanctions of a database from revision 0009 on, with the column they had before:
    ``target_actor_id``, each one's first target (``sanction_target``, in id order). Each
    authority given is an actor of that name (a new one, or the actor the name named)."""
    rows = after["sanction"]
    if not rows or "target_actor_id" in rows[0]:
        return rows
    first: dict[int, int] = {}
    for target in after["sanction_target"]:
        first.setdefault(target["sanction_id"], target["actor_id"])
    names = {actor["id"]: actor["name"] for actor in after["actor"]}
    for row in rows:
        assert (row["authority"] is None) == (row["authority_id"] is None), row
        if row["authority"] is not None:
            assert names[row["authority_id"]] == row["authority"], row
    return [{**row, "target_actor_id": first.get(row["id"])} for row in rows]


def _build(target: DatabaseTarget) -> dict[str, list[dict[str, Any]]]:
    db.upgrade(target, BASE)
    with db.get_engine(target).begin() as conn:
        fill_revision_0001(conn)
    db.dispose_all()
    return dump(target)


# --- tests ----------------------------------------------------------------------------------


def test_the_fixture_holds_what_was_written(empty_target: DatabaseTarget) -> None:
    at_base = _build(empty_target)
    assert db.current_revision(db.get_engine(empty_target)) == BASE
    counts = {t: len(rows) for t, rows in at_base.items()}
    assert counts == {
        "actor": len(ACTORS),
        "actor_alias": len(ALIASES),
        "claim": len(CLAIM_TEXTS),
        "claim_tag": len(TAGS),
        "source": len(SOURCES),
        "assertion": len(ASSERTIONS),
        "assertion_via": sum(len(a[6]) for a in ASSERTIONS),
        "sanction": len(SANCTIONS),
        "claim_sanction": len(CLAIM_SANCTIONS),
    }
    # values come back exactly as written, whatever the backend's storage
    assert [r["name"] for r in at_base["actor"]] == [a[0] for a in ACTORS]
    assert [r["text"] for r in at_base["claim"]] == [c[0] for c in CLAIM_TEXTS]
    assert [r["quote"] for r in at_base["assertion"]] == [a[5] for a in ASSERTIONS]
    assert at_base["assertion"][7]["retracted_at"] == (T0 + dt.timedelta(days=3)).isoformat()
    assert at_base["assertion"][1]["recorded_at"] == (T0 + dt.timedelta(hours=1)).isoformat()
    assert [r["date"] for r in at_base["assertion"]] == [a[3][0].isoformat() for a in ASSERTIONS]
    assert health(empty_target) == ("ok", [])


def test_upgrade_to_head_keeps_every_row_and_value(empty_target: DatabaseTarget) -> None:
    at_base = _build(empty_target)
    db.upgrade(empty_target, "head")
    db.dispose_all()
    assert db.current_revision(db.get_engine(empty_target)) == db.SCHEMA_HEAD
    _same_rows(at_base, dump(empty_target))
    assert health(empty_target) == ("ok", [])
    # down to the old release and up again: still every row
    db.downgrade(empty_target, BASE)
    db.dispose_all()
    assert db.current_revision(db.get_engine(empty_target)) == BASE
    _same_rows(at_base, dump(empty_target))
    db.upgrade(empty_target, "head")
    db.dispose_all()
    _same_rows(at_base, dump(empty_target))
    assert health(empty_target) == ("ok", [])


def test_cli_upgrade_then_the_old_rows_read_through_the_views(
    empty_target: DatabaseTarget,
) -> None:
    at_base = _build(empty_target)
    cli = Cli(empty_target)
    cli.ok("db", "upgrade")
    with db.get_engine(empty_target).connect() as conn:
        detail = conn.execute(
            text(
                "SELECT actor, side, stance, date, via, quote, retracted_at IS NOT NULL "
                "FROM assertion_detail ORDER BY assertion_id"
            )
        ).all()
        summary = conn.execute(
            text("SELECT claim, contested, n_for, n_against FROM claim_summary ORDER BY claim_id")
        ).all()
        conn.rollback()
    db.dispose_all()
    assert [tuple(r) for r in detail] == [
        ("John Kirby", "United States", "asserts", "2023-10-13", None, ASSERTIONS[0][5], False),
        (
            "Kim Jong Un",
            "North Korea",
            "denies",
            "2023-10",
            "KCNA; Yonhap",
            ASSERTIONS[1][5],
            False,
        ),
        ("Сергей Лавров", "Russia", "denies", "2024", None, None, False),
        ("Russia", "Russia", "disputes", "2024-03", "МИД России", "", False),
        (
            "UN Panel of Experts",
            "UN Panel of Experts",
            "supports",
            "2024-03",
            None,
            "=SUM(A1) stays text",
            False,
        ),
        ("🛰️ Observer", "🛰️ Observer", "neutral", "2024-02-29", None, "🛰️ 📦 → 🇷🇺", False),
        ("وزارة الخارجية", "وزارة الخارجية", "asserts", "2024-02", None, "نص عربي", False),
        (
            'O\'Brien "the analyst"',
            'O\'Brien "the analyst"',
            "supports",
            "2024-02-27",
            "The National; Yonhap; KCNA",
            'It\'s "likely"',
            True,
        ),
        ("Russia", "Russia", "denies", "2024-03-01", None, None, False),
        ("North Korea", "North Korea", "neutral", "2000", None, "multi\nline\r\nquote", False),
        ("White House", "United States", "asserts", "2024-12", None, "'leading apostrophe", False),
        ("United States", "United States", "asserts", "2024-01-06", None, None, True),
    ]
    assert [(c, int(x), f, a) for c, x, f, a in summary] == [
        (CLAIM_TEXTS[0][0], 1, 2, 3),
        (CLAIM_TEXTS[1][0], 0, 1, 0),  # the analyst's assertion is retracted
        (CLAIM_TEXTS[2][0], 0, 0, 1),
        (CLAIM_TEXTS[3][0], 0, 0, 0),
        (CLAIM_TEXTS[4][0], 0, 1, 0),
        (CLAIM_TEXTS[5][0], 0, 0, 0),
    ]
    shown = cli.ok("show", str(at_base["claim"][0]["id"]), "--format", "json").stdout
    assert "Абсурд" in shown and "KCNA" in shown


def test_todays_factdb_works_on_the_upgraded_rows(empty_target: DatabaseTarget) -> None:
    """Item 23 and the frozen keys: aliases resolve to the old actors, a claim typed in another
    case finds the old claim, a URL with tracking parameters finds the old source, and every
    stance inserts and reads back."""
    at_base = _build(empty_target)
    cli = Cli(empty_target)
    cli.ok("db", "upgrade")
    dates = ["2025", "2025-02", "2025-03-04", "2025-04", "2025-05-31"]
    for stance, date in zip(Stance, dates, strict=True):
        cli.add(
            "NORTH KOREA has shipped weapons to Russia — for its war in Ukraine!",
            by="DPRK" if stance.value != "neutral" else "россия",
            stance=stance.value,
            source="https://WWW.whitehouse.gov/briefing-room/2023/10/13/kirby/?utm_campaign=x",
            date=date,
            via=["pyongyang"],
        )
    db.dispose_all()
    after = dump(empty_target)
    assert len(after["claim"]) == len(CLAIM_TEXTS)
    made = [a for a in after["actor"][len(ACTORS) :]]
    assert made and all(_made_by_an_upgrade(a, at_base) for a in made)  # 0008, 0009
    assert len(after["source"]) == len(SOURCES)
    new = after["assertion"][len(ASSERTIONS) :]
    assert [r["stance"] for r in new] == [s.value for s in Stance]
    assert {r["claim_id"] for r in new} == {at_base["claim"][0]["id"]}
    ids = {r["name"]: r["id"] for r in after["actor"]}
    assert [r["actor_id"] for r in new] == [
        ids["Russia"] if s.value == "neutral" else ids["North Korea"] for s in Stance
    ]
    assert {r["source_id"] for r in new} == {at_base["source"][0]["id"]}
    shown = cli.ok("show", str(at_base["claim"][0]["id"]), "--format", "json").stdout
    for date in dates:
        assert f'"{date}"' in shown
    sanction = cli.ok("sanction", "show", "UNSC Resolution 1718", "--format", "json").json()
    assert sanction["targets"] == ["North Korea"]
    assert (sanction["authority"], sanction["authority_actor"]) == ("UN Security Council",) * 2
    assert sanction["claims"] == 2
    actor = cli.ok("actor", "show", "UN Security Council", "--format", "json").json()
    assert (actor["kind"], actor["authority_of_sanctions"]) == ("organization", 1)
    _same_rows(
        at_base,
        {
            t: rows[: len(at_base[t])] if t in at_base and t != "actor" else rows
            for t, rows in after.items()
        },
    )
