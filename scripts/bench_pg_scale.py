"""How far one PostgreSQL server goes: concurrent writers and readers (docs/performance.md,
"Past one machine").

On a database of ``--rows`` assertions (``scripts/bench_data.py``, imported with ``factdb
import``; kept between runs as ``factdb_pgscale_<rows>``), each phase runs for ``--seconds``:

- N writers, each a process recording new assertions in a loop as ``factdb add`` does
  (``State.record(add_assertion …)``: one new claim and source per write, an existing actor);
- M readers, each a process reading random claims as ``factdb show`` does
  (``State.read(show_claim …)``), on the primary or, with ``--standby URL``, on a hot standby;
- the baselines, in the same run: a bare single-row INSERT committed per write, and a bare
  primary-key SELECT of one claim per read, through psycopg on the same server.

It prints, per phase, the writes and reads per second and their 95th-percentile latency. The
server is ``FACTDB_TEST_POSTGRES_URL``'s (``scripts/test`` sets one up); not a test.

    .venv/bin/python scripts/bench_pg_scale.py --rows 100000 --seconds 10
    .venv/bin/python scripts/bench_pg_scale.py --standby postgresql://…:5433/factdb_test
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from bench_data import generate  # noqa: E402


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _with_db(url: str, name: str) -> str:
    return url.rpartition("/")[0] + "/" + name


def prepare(admin: str, rows: int, workdir: Path) -> tuple[str, int]:
    """The benchmark database (made and loaded when missing) and its number of claims."""
    import psycopg

    name = f"factdb_pgscale_{rows}"
    url = _with_db(_libpq(admin), name)
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {name}")
    factdb = [sys.executable, "-m", "factdb", "--db", url]
    if not exists:
        files = generate(workdir, rows)
        subprocess.run([*factdb, "db", "upgrade"], check=True, capture_output=True)
        started = time.monotonic()
        for key in ("actors", "csv"):
            subprocess.run([*factdb, "import", str(files[key])], check=True, capture_output=True)
        print(f"loaded {rows:,} rows into {name} in {time.monotonic() - started:.0f} s")
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT max(id) FROM claim").fetchone()
        conn.execute("CREATE TABLE IF NOT EXISTS scale_probe (id serial, v text)")
        conn.commit()
    assert row is not None
    return url, int(row[0])


def _writer(url: str, worker: int, deadline: float, out: Any) -> None:
    from factdb.cli.state import State
    from factdb.core.values import parse_stance, parse_stance_date
    from factdb.domain.stances import add_assertion

    state = State(db_option=url, as_user="bench")
    stance = parse_stance("asserts")
    date, _ = parse_stance_date("2025-01-02")
    times: list[float] = []
    k = 0
    tag = f"{os.getpid()}-{worker}-{time.time_ns()}"
    while time.monotonic() < deadline:
        k += 1
        started = time.perf_counter()
        state.record(
            functools.partial(
                add_assertion,
                text=f"scale claim {tag} {k}",
                by="State 0",
                stance=stance,
                source_url=f"https://scale.example.org/{tag}/{k}",
                date=date,
            )
        )
        times.append(time.perf_counter() - started)
    out.put(("write", times))


def _reader(url: str, read_url: str | None, claims: int, deadline: float, out: Any) -> None:
    from factdb.cli.state import State
    from factdb.queries.claims import show_claim

    state = State(db_option=url, read_db_option=read_url)
    rng = random.Random(os.getpid())
    times: list[float] = []
    while time.monotonic() < deadline:
        started = time.perf_counter()
        state.read(show_claim, rng.randint(1, claims))
        times.append(time.perf_counter() - started)
    out.put(("read", times))


def _bare_writer(url: str, deadline: float, out: Any) -> None:
    import psycopg

    times: list[float] = []
    with psycopg.connect(url) as conn:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            conn.execute("INSERT INTO scale_probe (v) VALUES (%s)", ("x",))
            conn.commit()
            times.append(time.perf_counter() - started)
    out.put(("write", times))


def _bare_reader(url: str, claims: int, deadline: float, out: Any) -> None:
    import psycopg

    rng = random.Random(os.getpid())
    times: list[float] = []
    with psycopg.connect(url) as conn:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            conn.execute("SELECT text FROM claim WHERE id = %s", (rng.randint(1, claims),))
            conn.rollback()
            times.append(time.perf_counter() - started)
    out.put(("read", times))


def phase(label: str, jobs: list[tuple[Any, tuple[Any, ...]]], seconds: float) -> dict[str, Any]:
    """Run every job in a process of its own for ``seconds``; their rates and p95s."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start = time.monotonic() + 1.0  # all start together, after the fork
    deadline = start + seconds
    procs = []
    for func, args in jobs:
        p = ctx.Process(target=_delayed, args=(start, func, (*args, deadline, out)))
        p.start()
        procs.append(p)
    results: dict[str, list[float]] = {"write": [], "read": []}
    for _ in procs:
        kind, times = out.get(timeout=seconds + 120)
        if kind == "error":
            sys.exit(f"{label}: a worker failed: {times}")
        results[kind].extend(times)
    for p in procs:
        p.join()
    row: dict[str, Any] = {"phase": label}
    for kind, times in results.items():
        row[f"{kind}s_per_s"] = len(times) / seconds if times else None
        row[f"{kind}_p95_ms"] = (
            statistics.quantiles(times, n=20)[-1] * 1000 if len(times) >= 20 else None
        )
    return row


def _delayed(start: float, func: Any, args: tuple[Any, ...]) -> None:
    time.sleep(max(0.0, start - time.monotonic()))
    try:
        func(*args)
    except Exception as exc:
        args[-1].put(("error", f"{type(exc).__name__}: {exc}"))


def _fmt(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/factdb-pgscale"))
    parser.add_argument("--standby", help="a hot standby of the server, for readers there")
    args = parser.parse_args()
    admin = os.environ.get("FACTDB_TEST_POSTGRES_URL")
    if not admin:
        sys.exit("set FACTDB_TEST_POSTGRES_URL (a role that may create databases)")
    url, claims = prepare(admin, args.rows, args.workdir)
    # Imported before the workers fork: a phase times the work, not the imports.
    import factdb.cli.state  # noqa: F401
    import factdb.domain.claims  # noqa: F401
    import factdb.queries.claims  # noqa: F401
    import factdb.storage.db  # noqa: F401
    import factdb.storage.reader  # noqa: F401

    standby = _with_db(_libpq(args.standby), url.rpartition("/")[2]) if args.standby else None
    s = args.seconds
    plan: list[tuple[str, list[tuple[Any, tuple[Any, ...]]]]] = [
        ("baseline: 1 bare INSERT writer", [(_bare_writer, (url,))]),
        ("baseline: 1 bare SELECT reader", [(_bare_reader, (url, claims))]),
    ]
    for n in (1, 2, 4):
        plan.append((f"{n} writer(s)", [(_writer, (url, i)) for i in range(n)]))
    for m in (1, 2, 4):
        plan.append((f"{m} reader(s)", [(_reader, (url, None, claims)) for _ in range(m)]))
    plan.append(
        (
            "2 writers + 2 readers",
            [(_writer, (url, i)) for i in range(2)]
            + [(_reader, (url, None, claims)) for _ in range(2)],
        )
    )
    if standby is not None:
        plan.append(
            (
                "2 writers + 2 readers on the standby",
                [(_writer, (url, i)) for i in range(2)]
                + [(_reader, (url, standby, claims)) for _ in range(2)],
            )
        )
    print(f"{claims:,} claims; {s:g} s per phase; {os.cpu_count()} cores")
    print("| phase | writes/s | write p95 ms | reads/s | read p95 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, jobs in plan:
        row = phase(label, jobs, s)
        print(
            f"| {label} | {_fmt(row['writes_per_s'])} | {_fmt(row['write_p95_ms'], 1)} | "
            f"{_fmt(row['reads_per_s'])} | {_fmt(row['read_p95_ms'], 1)} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
