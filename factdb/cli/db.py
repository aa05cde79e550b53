"""``factdb db …``: schema migrations (alembic), location and counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from factdb.cli import render
from factdb.cli.options import FormatOpt
from factdb.cli.render import Format, Line
from factdb.cli.state import State

if TYPE_CHECKING:
    from factdb.storage.config import DatabaseTarget

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)


@app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the schema up to REVISION (default: head), in one transaction."""
    from factdb.storage import db

    where, before, after = _migrate(ctx, db.upgrade, revision)
    render.note(f"{where}: {before or 'empty'} → {after}")


@app.command("downgrade")
def downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision ('base' removes everything).")],
) -> None:
    """Migrate the schema down to REVISION."""
    from factdb.storage import db

    where, before, after = _migrate(ctx, db.downgrade, revision)
    render.note(f"{where}: {before or 'empty'} → {after or 'base'}")


def _migrate(
    ctx: typer.Context, step: Callable[[DatabaseTarget, str], None], revision: str
) -> tuple[str, str | None, str | None]:
    """Run one migration step to REVISION: the database (redacted), its revision before, after."""
    from factdb.storage import db

    state: State = ctx.obj
    target = state.target()
    before = db.current_revision(db.get_engine(target))
    step(target, revision)
    return target.redacted, before, db.current_revision(db.get_engine(target))


@app.command("current")
def current(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """The database's schema revision."""
    from factdb.storage import db

    state: State = ctx.obj
    target = state.target()
    revision = db.current_revision(db.get_engine(target))
    data = {"revision": revision, "head": db.SCHEMA_HEAD, "at_head": revision == db.SCHEMA_HEAD}
    render.emit(
        data,
        fmt,
        lambda d: [
            Line(
                f"{d['revision'] or 'none'}"
                + (" (head)" if d["at_head"] else f" (head is {d['head']})")
            )
        ],
    )


@app.command("history")
def history(fmt: FormatOpt = Format.table) -> None:
    """The schema revisions this factdb ships, newest first."""
    from factdb.storage import db

    rows = db.history()
    render.emit(
        rows,
        fmt,
        lambda d: render.records_table(
            d, [("revision", "REVISION"), ("down_revision", "AFTER"), ("message", "MESSAGE")]
        ),
    )


@app.command("info")
def info(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Backend, location (password hidden), schema revision and row counts."""
    from factdb.core.errors import SchemaError
    from factdb.storage import db

    state: State = ctx.obj
    target = state.target()
    try:
        db.ensure_schema(target)  # creates a new embedded database at head, like any command
    except SchemaError:
        pass  # info reports the revision as it is: that is what the user asks for
    data: dict[str, Any] = asdict(db.info(target))
    render.emit(data, fmt, _info_table)


def _info_table(d: dict[str, Any]) -> list[Any]:
    lines: list[Any] = [
        Line(f"backend:  {d['backend']}"),
        Line(f"database: {d['url']}  (from {d['origin']})"),
        Line(
            f"revision: {d['revision'] or 'none (empty database)'}"
            + ("" if d["revision"] == d["head"] else f"  (head is {d['head']})")
        ),
    ]
    if d["counts"]:
        lines += render.records_table(
            [{"table": k, "rows": v} for k, v in d["counts"].items()],
            [("table", "TABLE"), ("rows", "ROWS")],
        )
    return lines


@app.command("backup")
def backup(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="Where to write the copy (a new file).")],
    fmt: FormatOpt = Format.table,
) -> None:
    """A consistent copy while others use the database (SQLite backup API; pg_dump)."""
    from pathlib import Path

    from factdb.storage import db

    state: State = ctx.obj
    result = db.backup(state.target(), Path(file))
    render.emit(
        asdict(result),
        fmt,
        lambda d: [Line(f"backup written to {d['path']} ({d['bytes']:,} bytes, {d['method']})")],
    )
