"""factdb's benchmark: every figure side by side with a baseline measured in the same run.

    scripts/bench                   # 1,000,000 assertions (and 100,000 for growth)
    scripts/bench --rows 100000     # one size
    scripts/bench --quick           # a few thousand rows: proves the benchmark runs (CI)
    scripts/bench --markdown FILE   # also write the table as markdown

Machines here are shared and noisy (absolute times drift 1.1–1.6× between runs), so each
figure is a ratio to a baseline timed in the same run: raw sqlite3 executemany of the same
pre-parsed rows, `sqlite-utils insert --csv` of the same file, hand-written SQL through the
sqlite3 module, the sqlite3 shell's `-csv` export, psycopg COPY into PostgreSQL.
sqlite-utils is installed into a separate virtualenv under the work directory, never into
factdb's own environment.
"""

from __future__ import annotations

import argparse
import csv
import functools
import itertools
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from bench_data import SHAPES, generate  # noqa: E402

PYTHON = sys.executable
FACTDB = [PYTHON, "-m", "factdb"]
SQLITE_UTILS_VERSION = "4.2.1"


@dataclass
class Figure:
    what: str
    factdb: float
    baseline: float
    unit: str
    target: str
    limit: float | None
    note: str = ""
    smaller_is_better: bool = True
    paired_ratio: float | None = None
    """The median of the ratios of runs made in turn with the baseline's (``paired``): what
    the ratio is, when given, as the machine's speed drifts between the two medians."""

    @property
    def ratio(self) -> float:
        if self.paired_ratio is not None:
            return self.paired_ratio
        return self.factdb / self.baseline if self.baseline else float("nan")

    @property
    def met(self) -> str:
        if self.limit is None:
            return "—"
        return "yes" if self.ratio <= self.limit else "NO"


def fetch_all(conn: sqlite3.Connection, sql: str, params: Any) -> list[Any]:
    return conn.execute(sql, params).fetchall()


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_measured(cmd: list[str], **kwargs: Any) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of a whole process."""
    rss_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-rss-{os.getpid()}"
    full = (
        ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *cmd]
        if Path("/usr/bin/time").exists()
        else cmd
    )
    start = time.perf_counter()
    subprocess.run(full, check=True, stdout=subprocess.DEVNULL, **kwargs)
    elapsed = time.perf_counter() - start
    rss = int(rss_file.read_text().split()[-1]) if rss_file.exists() else 0
    rss_file.unlink(missing_ok=True)
    return elapsed, rss


def median_of(fn: Callable[[], Any], rounds: int) -> tuple[float, float]:
    times = sorted(timed(fn) for _ in range(rounds))
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return statistics.median(times), p95


def paired(
    fn: Callable[[], Any], baseline: Callable[[], Any], rounds: int
) -> tuple[float, float, float]:
    """``fn`` and ``baseline`` in turn (a warm-up each, then ``rounds`` pairs): the median
    of each one's times and the median of the pairs' ratios."""
    fn()
    baseline()
    pairs = [(timed(fn), timed(baseline)) for _ in range(rounds)]
    return (
        statistics.median(a for a, _ in pairs),
        statistics.median(b for _, b in pairs),
        statistics.median(a / b for a, b in pairs),
    )


PAIRED_NOTE = "median of {n} pairs' ratios, run in turn"
WHOLE_PROCESS_ROUNDS = 7
"""Pairs of runs of each whole-process row (``paired``): the reads and the writes."""


def sqlite_utils(workdir: Path) -> Path | None:
    venv = workdir / "bench-venv"
    exe = venv / "bin" / "sqlite-utils"
    if exe.exists():
        return exe
    try:
        subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"sqlite-utils=={SQLITE_UTILS_VERSION}"],
            check=True,
        )
    except subprocess.CalledProcessError:
        print("sqlite-utils could not be installed; its baselines are skipped", file=sys.stderr)
        return None
    return exe


def parsed_chunks(csv_path: Path, size: int = 50_000) -> Iterator[list[tuple[str, ...]]]:
    """The CSV's rows, parsed, a chunk at a time: the baselines time only the writing, and
    memory stays bounded at any size."""
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        while chunk := [tuple(r) for r in itertools.islice(reader, size)]:
            yield chunk


FLAT = (
    "CREATE TABLE flat (claim TEXT, actor TEXT, stance TEXT, date TEXT, source_url TEXT, "
    "outlet TEXT, title TEXT, quote TEXT, via TEXT, tags TEXT, violates TEXT)"
)


def raw_executemany(csv_path: Path, path: Path) -> float:
    """Seconds of raw executemany of the parsed rows into one table without indexes, in one
    transaction (the parsing not counted)."""
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(FLAT)
    elapsed = 0.0
    conn.execute("BEGIN")
    for chunk in parsed_chunks(csv_path):
        elapsed += timed(
            functools.partial(
                conn.executemany, "INSERT INTO flat VALUES (?,?,?,?,?,?,?,?,?,?,?)", chunk
            )
        )
    elapsed += timed(lambda: conn.execute("COMMIT"))
    conn.close()
    path.unlink(missing_ok=True)
    return elapsed


def pg_admin() -> str | None:
    return os.environ.get("FACTDB_TEST_POSTGRES_URL")


PG_DATABASES: list[str] = []
"""The databases this run made, dropped at its end."""


def pg_database(admin: str, name: str) -> str:
    """A new, empty database, named after this process so that runs side by side on one
    server never drop each other's."""
    import psycopg

    name = f"{name}_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        pg_drop(conn, name)
        conn.execute(f"CREATE DATABASE {name}")
    if name not in PG_DATABASES:
        PG_DATABASES.append(name)
    return admin.rsplit("/", 1)[0] + "/" + name


def pg_drop(conn: Any, name: str) -> None:
    """Drop a database of this run. ``WITH (FORCE)`` ends this role's sessions in it, but not
    an autovacuum worker's (a superuser's process), which a role without
    ``pg_signal_backend`` may not end: an autovacuum that started on the rows just loaded
    makes the drop fail for a moment, so it is tried again."""
    import psycopg

    for attempt in range(20):
        try:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            if attempt == 19:
                raise
            time.sleep(0.25)


def pg_drop_all() -> None:
    admin = pg_admin()
    if not admin or not PG_DATABASES:
        return
    import psycopg

    with psycopg.connect(
        admin.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        for name in PG_DATABASES:
            pg_drop(conn, name)


def pg_copy(csv_path: Path, url: str) -> float:
    """Seconds of psycopg COPY of the parsed rows into one table without indexes."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(FLAT)
        conn.commit()
        elapsed = 0.0
        with conn.cursor() as cur, cur.copy("COPY flat FROM STDIN") as copy:
            for chunk in parsed_chunks(csv_path):
                start = time.perf_counter()
                for row in chunk:
                    copy.write_row(row)
                elapsed += time.perf_counter() - start
            start = time.perf_counter()
        elapsed += time.perf_counter() - start  # the end of the COPY
        elapsed += timed(conn.commit)
        return elapsed


def pg_import(
    rows: int,
    shape: str,
    files: dict[str, Path],
    figures: list[Figure],
    label: str,
    out: dict[str, float],
) -> str | None:
    """`factdb import` of the CSV into an empty PostgreSQL database, then of as many new rows
    (the same file, every claim renamed) into the populated one, each beside psycopg COPY of
    the same parsed rows into one unindexed table (the better of a COPY before and one after
    the imports: the machine is shared). While each import runs, a second connection samples
    pg_locks every 20 ms (which tables the import holds ACCESS EXCLUSIVE) and, during the
    populated import, reads one claim's assertions (the `show` query) over and over: the
    reads are the figure's note. Returns the URL of the loaded database (None without
    PostgreSQL); ``out`` gets the imports' seconds ("pg import SHAPE", "pg import populated"),
    for the growth rows."""
    import threading

    import psycopg

    admin = pg_admin()
    if not admin:
        return None
    plain = admin.replace("postgresql+psycopg://", "postgresql://")
    suffix = "" if shape == "shared" else f"_{shape}"
    data = files["csv"].parent
    url = pg_database(plain, f"factdb_bench_{rows}{suffix}")
    subprocess.run([*FACTDB, "--db", url, "db", "upgrade"], check=True, stderr=subprocess.DEVNULL)
    subprocess.run(
        [*FACTDB, "--db", url, "import", str(files["actors"])],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    copy_url = pg_database(plain, f"factdb_bench_copy_{rows}{suffix}")
    copy_time = pg_copy(files["csv"], copy_url)
    more = data / "more.csv"
    with (
        files["csv"].open(encoding="utf-8", newline="") as src,
        more.open("w", encoding="utf-8", newline="") as dst,
    ):
        reader, writer = csv.reader(src), csv.writer(dst)
        writer.writerow(next(reader))
        writer.writerows(["More " + row[0], *row[1:]] for row in reader)

    def watched(path: Path, read: bool) -> tuple[float, dict[str, float], list[float]]:
        """Seconds of the import, seconds each table was held ACCESS EXCLUSIVE, and the
        seconds of each concurrent read (none when not reading)."""
        held: dict[str, float] = {}
        reads: list[float] = []
        done = threading.Event()

        def watch() -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                last = time.perf_counter()
                while not done.is_set():
                    now = time.perf_counter()
                    for (table,) in conn.execute(
                        "SELECT c.relname FROM pg_locks AS l "
                        "JOIN pg_stat_activity AS a ON a.pid = l.pid "
                        "JOIN pg_class AS c ON c.oid = l.relation AND c.relkind = 'r' "
                        "WHERE a.application_name = 'factdb' AND l.granted "
                        "AND l.database = (SELECT oid FROM pg_database "
                        "WHERE datname = current_database()) "
                        "AND l.mode = 'AccessExclusiveLock' AND l.locktype = 'relation'"
                    ):
                        held[table] = held.get(table, 0.0) + (now - last)
                    last = now
                    if read:
                        start = time.perf_counter()
                        conn.execute(
                            "SELECT a.id, a.stance, a.quote FROM assertion AS a "
                            "WHERE a.claim_id = %s AND a.retracted_at IS NULL "
                            "ORDER BY a.date, a.id",
                            (random.randint(1, 1000),),
                        ).fetchall()
                        reads.append(time.perf_counter() - start)
                    time.sleep(0.02)

        thread = threading.Thread(target=watch)
        thread.start()
        try:
            elapsed, _ = run_measured([*FACTDB, "--db", url, "import", str(path)])
        finally:
            done.set()
            thread.join()
        return elapsed, held, reads

    empty_time, empty_held, _ = watched(files["csv"], False)
    out[f"pg import {shape}"] = empty_time
    populated = shape == "shared"  # one data shape is enough for the populated figure
    populated_time, populated_held, reads = watched(more, True) if populated else (0.0, {}, [])
    copy_time = min(
        copy_time, pg_copy(files["csv"], pg_database(plain, f"factdb_bench_copy_{rows}{suffix}"))
    )
    locks = ", ".join(f"{t} {s:.0f} s" for t, s in sorted(empty_held.items())) or "none"
    figures.append(
        Figure(
            f"import CSV into PostgreSQL {label}",
            empty_time,
            copy_time,
            "s",
            "≤ 3×",
            3.0,
            f"ACCESS EXCLUSIVE: {locks}",
        )
    )
    if not populated:
        return url
    out["pg import populated"] = populated_time
    figures.append(
        Figure(
            f"import CSV into populated PostgreSQL {label}",
            populated_time,
            copy_time,
            "s",
            "≤ 10×",
            10.0,
            f"as many new rows again; {len(reads)} concurrent reads of a claim's assertions, "
            f"median {statistics.median(reads or [0]) * 1000:.1f} ms, longest "
            f"{max(reads or [0]) * 1000:.0f} ms; ACCESS EXCLUSIVE: "
            + (", ".join(sorted(populated_held)) or "none"),
        )
    )
    return url


SHOW_SQL = (
    "SELECT a.id, ac.name, a.stance, a.date, a.date_precision, s.url, s.outlet, a.quote "
    "FROM assertion AS a JOIN actor AS ac ON ac.id = a.actor_id "
    "JOIN source AS s ON s.id = a.source_id WHERE a.claim_id = ? ORDER BY a.date, a.id"
)
CONTESTED_SQL = (
    "SELECT c.id, c.text FROM claim AS c WHERE EXISTS (SELECT 1 FROM assertion AS a "
    "WHERE a.claim_id = c.id AND a.retracted_at IS NULL AND a.stance IN ('asserts', "
    "'supports')) AND EXISTS (SELECT 1 FROM assertion AS a WHERE a.claim_id = c.id AND "
    "a.retracted_at IS NULL AND a.stance IN ('disputes', 'denies')) ORDER BY c.id LIMIT 50"
)
COUNT_CONTESTED_SQL = CONTESTED_SQL.replace("SELECT c.id, c.text", "SELECT count(*)").replace(
    " ORDER BY c.id LIMIT 50", ""
)
ACTOR_SQL = (
    "WITH RECURSIVE parts(id) AS (SELECT id FROM actor WHERE name = ? UNION ALL "
    "SELECT a.id FROM actor AS a JOIN parts ON a.part_of_id = parts.id) "
    "SELECT c.id, c.text FROM claim AS c WHERE EXISTS (SELECT 1 FROM assertion AS a "
    "WHERE a.claim_id = c.id AND a.retracted_at IS NULL AND a.actor_id IN (SELECT id FROM "
    "parts)) ORDER BY c.id LIMIT 50"
)
SEARCH_SQL = (
    "SELECT c.id, c.text FROM claim AS c WHERE lower(c.text) LIKE ? OR EXISTS (SELECT 1 FROM "
    "assertion AS a WHERE a.claim_id = c.id AND a.retracted_at IS NULL AND lower(a.quote) LIKE ?) "
    "ORDER BY c.id LIMIT 50"
)
EXPORT_SQL = (
    "SELECT c.text, ac.name, a.stance, a.date, s.url, s.outlet, s.title, a.quote "
    "FROM assertion AS a JOIN claim AS c ON c.id = a.claim_id JOIN actor AS ac ON "
    "ac.id = a.actor_id JOIN source AS s ON s.id = a.source_id ORDER BY a.id"
)


SEARCH_CASES = (("tanker", "a word in 15% of the claims"), ("1234", "a rare word"))


def queries(
    db_path: Path, rounds: int, figures: list[Figure], label: str, pg_url: str | None
) -> dict[str, float]:
    """The domain functions through the reader the CLI uses (factdb.storage.reader.open_reader),
    each beside its hand-written SQL on a raw sqlite3 connection, both warm."""
    from factdb.queries import Filters, count_claims, list_claims, show_claim
    from factdb.storage.config import DatabaseTarget
    from factdb.storage.reader import open_reader

    target = DatabaseTarget("sqlite:///" + str(db_path), "--db")
    raw = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    n_claims = raw.execute("SELECT max(id) FROM claim").fetchone()[0]
    rng = random.Random(7)
    ids = [rng.randint(1, n_claims) for _ in range(rounds)]
    out: dict[str, float] = {}
    with open_reader(target) as reader:
        assert reader is not None, "the benchmark database is not at the schema head"
        times = []
        base = []
        for cid in ids:
            show_claim(reader, cid)  # warm both: the same pages in the cache
            raw.execute(SHOW_SQL, (cid,)).fetchall()
            times.append(timed(functools.partial(show_claim, reader, cid)))
            base.append(timed(functools.partial(fetch_all, raw, SHOW_SQL, (cid,))))
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1] * 1000
        figures.append(
            Figure(
                f"show one claim, domain function {label}",
                statistics.median(times) * 1000,
                statistics.median(base) * 1000,
                "ms",
                "≤ 3×",
                3.0,
                f"p95 {p95:.2f} ms",
            )
        )
        out["show"] = statistics.median(times)
        cases: list[tuple[str, Filters, str, tuple[Any, ...], str]] = [
            (
                "list --contested --limit 50",
                Filters(contested=True, limit=50),
                CONTESTED_SQL,
                (),
                "",
            ),
            (
                "list --actor 'State 0' --limit 50",
                Filters(actor="State 0", limit=50),
                ACTOR_SQL,
                ("State 0",),
                "",
            ),
        ]
        cases += [
            (
                f"list --search {word} --limit 50",
                Filters(search=word, limit=50),
                SEARCH_SQL,
                (f"%{word}%", f"%{word}%"),
                note,
            )
            for word, note in SEARCH_CASES
        ]
        for name, filters, sql, params, note in cases:
            n = max(3, rounds // 20)
            fact, _ = median_of(functools.partial(list_claims, reader, filters), n)
            hand, _ = median_of(functools.partial(fetch_all, raw, sql, params), n)
            figures.append(
                Figure(f"{name} {label}", fact * 1000, hand * 1000, "ms", "≤ 3×", 3.0, note)
            )
            out[name] = fact
        fact, _ = median_of(lambda: count_claims(reader, Filters(contested=True)), 3)
        hand, _ = median_of(lambda: raw.execute(COUNT_CONTESTED_SQL).fetchall(), 3)
        figures.append(
            Figure(
                f"count of contested claims {label}", fact * 1000, hand * 1000, "ms", "≤ 3×", 3.0
            )
        )
        out["count"] = fact
    raw.close()
    if pg_url:
        pg_target = DatabaseTarget(pg_url.replace("postgresql://", "postgresql+psycopg://"), "--db")
        with open_reader(pg_target) as reader:
            assert reader is not None
            for cid in ids[:10]:
                show_claim(reader, cid)  # warm, and past psycopg's prepare threshold
            pg_times = sorted(timed(functools.partial(show_claim, reader, cid)) for cid in ids)
        med = statistics.median(pg_times) * 1000
        out["pg show"] = statistics.median(pg_times)
        figures.append(
            Figure(
                f"PostgreSQL show one claim (median) {label}",
                med,
                1.0,
                "ms",
                "≤ 1 ms",
                1.0,
                "baseline column is the 1 ms target",
            )
        )
    return out


def import_shape(
    rows: int,
    shape: str,
    workdir: Path,
    figures: list[Figure],
    su: Path | None,
    use_pg: bool,
    out: dict[str, float],
) -> tuple[Path, float, str | None, float]:
    """One shape of the data: generated, imported into SQLite beside raw executemany and
    sqlite-utils, into PostgreSQL beside COPY, and exported beside the sqlite3 shell.
    Returns the SQLite database, the import's seconds, the PostgreSQL URL and the shell's
    export seconds (the baseline of the reports too)."""
    label = f"({rows:,}, {shape} sources)"
    data = workdir / f"data-{rows}-{shape}"
    files = generate(data, rows, shape=shape)
    raw_time = raw_executemany(files["csv"], data / "raw.db")
    db_path = data / "factdb.sqlite3"
    for p in data.glob("factdb.sqlite3*"):
        p.unlink()
    subprocess.run(
        [*FACTDB, "--db", str(db_path), "import", str(files["actors"])],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    fact_time, fact_rss = run_measured([*FACTDB, "--db", str(db_path), "import", str(files["csv"])])
    figures.append(
        Figure(
            f"import CSV into SQLite {label}",
            fact_time,
            raw_time,
            "s",
            "≤ 6×",
            6.0,
            f"peak RSS {fact_rss / 1024:.0f} MiB (≤ 400)",
        )
    )
    if su is not None:
        su_db = data / "su.db"
        su_db.unlink(missing_ok=True)
        su_time, _ = run_measured([str(su), "insert", str(su_db), "t", str(files["csv"]), "--csv"])
        su_db.unlink(missing_ok=True)
        figures.append(
            Figure(
                f"import vs sqlite-utils insert --csv {label}",
                fact_time,
                su_time,
                "s",
                "≤ 0.25×",
                0.25,
            )
        )
    pg_url = pg_import(rows, shape, files, figures, label, out) if use_pg else None
    export_path = data / "export.csv"
    fact_export, export_rss = run_measured(
        [*FACTDB, "--db", str(db_path), "export", str(export_path)]
    )
    export_path.unlink(missing_ok=True)
    shell_export, _ = run_measured(["sqlite3", "-csv", str(db_path), EXPORT_SQL])
    figures.append(
        Figure(
            f"export flat CSV {label}",
            fact_export,
            shell_export,
            "s",
            "≤ 2×",
            2.0,
            f"peak RSS {export_rss / 1024:.0f} MiB (≤ 100)",
        )
    )
    return db_path, fact_time, pg_url, shell_export


def whole_processes(db_path: Path, rows: int, su: Path, figures: list[Figure], label: str) -> None:
    """``show`` and ``list`` as whole processes beside ``sqlite-utils query``."""
    claim_id = 1 + rows // 20
    for what, command, sql in (
        ("`factdb show ID`", ["show", str(claim_id)], SHOW_SQL.replace("?", str(claim_id))),
        (
            "`factdb list --limit 20`",
            ["list", "--limit", "20"],
            "SELECT * FROM claim_summary LIMIT 20",
        ),
    ):
        fact, base, ratio = paired(
            functools.partial(
                subprocess.run,
                [*FACTDB, "--db", str(db_path), *command],
                check=True,
                stdout=subprocess.DEVNULL,
            ),
            functools.partial(
                subprocess.run,
                [str(su), "query", str(db_path), sql],
                check=True,
                stdout=subprocess.DEVNULL,
            ),
            WHOLE_PROCESS_ROUNDS,
        )
        figures.append(
            Figure(
                f"{what}, whole process {label}",
                fact,
                base,
                "s",
                "≤ 1.0× sqlite-utils query",
                1.0,
                PAIRED_NOTE.format(n=WHOLE_PROCESS_ROUNDS),
                paired_ratio=ratio,
            )
        )


def write_commands(
    db_path: Path, rows: int, su: Path, figures: list[Figure], label: str, rounds: int
) -> None:
    """The write commands as whole processes, each round a real write with fresh values,
    beside ``sqlite-utils insert`` of one JSON row into a scratch table of the same
    database."""
    n_claims = max(1, rows // 10)
    counter = itertools.count(1)
    stamp = int(time.time())

    def fresh() -> int:
        return next(counter)

    def factdb(*args: str) -> Callable[[], Any]:
        return lambda: subprocess.run(
            [*FACTDB, "--db", str(db_path), *args], check=True, stdout=subprocess.DEVNULL
        )

    def baseline() -> None:
        k = fresh()
        subprocess.run(
            [str(su), "insert", str(db_path), "bench_scratch", "-"],
            input=f'{{"round": {k}, "stamp": {stamp}, "note": "a row"}}'.encode(),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def add() -> None:
        k = fresh()
        factdb(
            "add",
            "--claim",
            str(1 + (k * 7919) % n_claims),
            "--by",
            "State 0",
            "--stance",
            "asserts",
            "--date",
            "2022-10",
            "--source",
            f"https://bench.example/{stamp}/add-{k}",
        )()

    # Assertions of the shared data, far apart, each used once: retracted or corrected.
    targets = iter(range(rows // 3, rows, max(1, rows // (4 * rounds + 8))))

    def retract() -> None:
        factdb("retract", str(next(targets)), "--reason", "benchmark")()

    def actor_add() -> None:
        factdb("actor", "add", f"Benchmark Actor {stamp} {fresh()}")()

    def source_add() -> None:
        k = fresh()
        factdb(
            "source",
            "add",
            f"https://bench.example/{stamp}/source-{k}",
            "--outlet",
            "Outlet 1",
            "--title",
            f"Benchmark story {k}",
        )()

    def correct() -> None:
        k = fresh()
        factdb(
            "assertion",
            "correct",
            str(next(targets)),
            "--quote",
            f"Corrected quote {stamp} {k}",
            "--reason",
            "benchmark",
        )()

    def tag() -> None:
        k = fresh()
        factdb("claim", "tag", str(1 + (k * 7919) % n_claims), f"bench-{stamp}-{k}")()

    for what, fn in (
        ("`factdb add --claim ID --by ACTOR --stance asserts --date 2022-10 --source URL`", add),
        ("`factdb retract ID`", retract),
        ("`factdb actor add NAME`", actor_add),
        ("`factdb source add URL --outlet … --title …`", source_add),
        ("`factdb assertion correct ID --quote … --reason …`", correct),
        ("`factdb claim tag ID TAG`", tag),
    ):
        fact, base, ratio = paired(fn, baseline, rounds)
        figures.append(
            Figure(
                f"{what}, whole process {label}",
                fact,
                base,
                "s",
                "≤ 1.0× sqlite-utils insert",
                1.0,
                PAIRED_NOTE.format(n=rounds),
                paired_ratio=ratio,
            )
        )


def run(
    rows: int,
    workdir: Path,
    figures: list[Figure],
    su: Path | None,
    use_pg: bool,
    rounds: int,
    shapes: tuple[str, ...] = SHAPES,
) -> dict[str, float]:
    label = f"({rows:,})"
    out: dict[str, float] = {}
    db_path = pg_url = None
    shell_export = 0.0
    for shape in shapes:
        path, seconds, url, shell = import_shape(rows, shape, workdir, figures, su, use_pg, out)
        out[f"import {shape}"] = seconds
        if shape == "shared":
            db_path, pg_url, shell_export = path, url, shell
        else:
            for p in path.parent.glob(path.name + "*"):  # disk: only the shared one is read
                p.unlink()
    assert db_path is not None
    out.update(queries(db_path, rounds, figures, label, pg_url))
    if su is not None:
        whole_processes(db_path, rows, su, figures, label)
        write_commands(db_path, rows, su, figures, label, WHOLE_PROCESS_ROUNDS)
    timeline_path = db_path.parent / "timeline.csv"
    fact_timeline, timeline_rss = run_measured(
        [*FACTDB, "--db", str(db_path), "report", "timeline", "-o", str(timeline_path)]
    )
    timeline_path.unlink(missing_ok=True)
    figures.append(
        Figure(
            f"report timeline {label}",
            fact_timeline,
            shell_export,
            "s",
            "≤ 3.5×",
            3.5,
            f"peak RSS {timeline_rss / 1024:.0f} MiB (≤ 400)",
        )
    )
    jsonl_import(db_path, figures, label, out)
    return out


def jsonl_import(db_path: Path, figures: list[Figure], label: str, out: dict[str, float]) -> None:
    """The lossless round trip at scale: the database exported as JSON Lines and imported into
    an empty one. Its peak memory is the figure (the file is read again in chunks, not held);
    its time is put beside the CSV import of the same rows."""
    jsonl_path = db_path.parent / "export.jsonl"
    fresh = db_path.parent / "from-jsonl.sqlite3"

    def remove_fresh() -> None:
        for p in db_path.parent.glob(fresh.name + "*"):
            p.unlink()

    remove_fresh()
    subprocess.run(
        [*FACTDB, "--db", str(db_path), "export", str(jsonl_path)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds, rss = run_measured([*FACTDB, "--db", str(fresh), "import", str(jsonl_path)])
    jsonl_path.unlink(missing_ok=True)
    remove_fresh()
    out["jsonl rss"] = rss / 1024
    figures.append(
        Figure(
            f"import JSON Lines export into SQLite, peak RSS {label}",
            rss / 1024,
            400.0,
            "MiB",
            "≤ 400 MiB",
            1.0,
            f"{seconds:.1f} s, {seconds / out['import shared']:.1f}× the CSV import of its "
            "rows; baseline column is the 400 MiB bound",
        )
    )


def startup(figures: list[Figure], su: Path | None) -> None:
    exe = shutil.which("factdb", path=str(Path(PYTHON).parent)) or "factdb"
    fact = median_of(
        lambda: subprocess.run([exe, "--help"], check=True, stdout=subprocess.DEVNULL), 7
    )[0]
    if su is not None:
        base = median_of(
            lambda: subprocess.run([str(su), "--version"], check=True, stdout=subprocess.DEVNULL), 7
        )[0]
        figures.append(
            Figure(
                "`factdb --help`, whole process",
                fact,
                base,
                "s",
                "— (sqlite-utils --version)",
                None,
                "fine: importing typer alone takes most of it",
            )
        )


def table(figures: list[Figure], growth: list[Figure]) -> str:
    lines = [
        "| what | factdb | baseline | ratio | target | met | note |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for f in [*figures, *growth]:
        lines.append(
            f"| {f.what} | {f.factdb:.3g} {f.unit} | {f.baseline:.3g} {f.unit} | "
            f"{f.ratio:.2f}× | {f.target} | {f.met} | {f.note} |"
        )
    return "\n".join(lines)


def compiled() -> None:
    """factdb's modules compiled to bytecode before any whole process is timed, as an
    installed package is (pip compiles what it installs, as it did sqlite-utils in the
    baseline's virtualenv). A checkout installed in editable mode is compiled by Python on
    first import, unless PYTHONDONTWRITEBYTECODE is set: then every factdb process would
    compile its own sixty modules again, about 0.1 s the baseline never pays."""
    subprocess.run(
        [PYTHON, "-m", "compileall", "-q", str(ROOT / "factdb")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--growth-from",
        type=int,
        default=100_000,
        help="also run this smaller size and report growth (0: skip)",
    )
    parser.add_argument("--quick", action="store_true", help="a few thousand rows, for CI")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/factdb-bench"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite-utils", action="store_true")
    parser.add_argument(
        "--shared-only",
        action="store_true",
        help="only the shared-sources shape (the distinct one doubles a ten-million-row run)",
    )
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    if args.quick:
        args.rows, args.growth_from = 3_000, 1_000
    args.workdir.mkdir(parents=True, exist_ok=True)
    su = None if args.no_sqlite_utils else sqlite_utils(args.workdir)
    compiled()
    figures: list[Figure] = []
    growth: list[Figure] = []
    rounds = 30 if args.quick else 200
    startup(figures, su)
    try:
        return report(args, figures, growth, su, rounds)
    finally:
        pg_drop_all()


def report(
    args: argparse.Namespace,
    figures: list[Figure],
    growth: list[Figure],
    su: Path | None,
    rounds: int,
) -> int:
    shapes = ("shared",) if args.shared_only else SHAPES
    use_pg = not args.no_postgres
    big = run(args.rows, args.workdir, figures, su, use_pg, rounds, shapes)
    if args.growth_from:
        small_figures: list[Figure] = []
        small = run(args.growth_from, args.workdir, small_figures, None, use_pg, rounds, shapes)
        factor = args.rows / args.growth_from
        per_row = (
            [(f"import {shape}", f"{shape} sources") for shape in shapes]
            + [(f"pg import {shape}", f"PostgreSQL, {shape} sources") for shape in shapes]
            + [("pg import populated", "PostgreSQL, populated")]
        )
        for key, what in per_row:
            if key not in big or key not in small:
                continue  # PostgreSQL not reached
            growth.append(
                Figure(
                    f"import time per row, {args.rows:,} vs {args.growth_from:,} ({what})",
                    big[key] / args.rows * 1e6,
                    small[key] / args.growth_from * 1e6,
                    "µs",
                    "≤ 1.3×",
                    1.3,
                )
            )
        for key in (
            "show",
            "list --contested --limit 50",
            "list --actor 'State 0' --limit 50",
            *(f"list --search {word} --limit 50" for word, _ in SEARCH_CASES),
            "pg show",
        ):
            if key not in big or key not in small:
                continue
            growth.append(
                Figure(
                    f"growth of {key.replace('pg show', 'PostgreSQL show')}, ×{factor:g} data",
                    big[key] * 1000,
                    small[key] * 1000,
                    "ms",
                    "≤ 2×",
                    2.0,
                )
            )
        if "jsonl rss" in big and "jsonl rss" in small:
            growth.append(
                Figure(
                    f"peak RSS of the JSON Lines import, ×{factor:g} data",
                    big["jsonl rss"],
                    small["jsonl rss"],
                    "MiB",
                    "≤ 1.3×",
                    1.3,
                )
            )
    text = table(figures, growth)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    if args.quick:
        return 0  # CI proves the benchmark runs; speed is judged on full runs only
    return 0


if __name__ == "__main__":
    sys.exit(main())
