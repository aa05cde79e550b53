"""``factdb history``: every change to the record, newest first, and who made it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from factdb.cli import columns, render
from factdb.cli.options import FormatOpt
from factdb.cli.render import Format, Line
from factdb.cli.state import State

KINDS = ("claim", "actor", "source", "sanction")


def history(
    ctx: typer.Context,
    kind: Annotated[
        str | None,
        typer.Argument(help="Only changes about one record: claim, actor, source or sanction."),
    ] = None,
    ref: Annotated[
        str | None,
        typer.Argument(
            help="Which one: a claim's id; an actor's name, alias or id; a source's id or URL; "
            "a sanction's name or id. An id also finds a record that was merged away."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only changes on or after this date (YYYY-MM-DD) or time."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Only changes made by this user ('(direct SQL)' for others)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many changes.", min=1)
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Every change to the record, newest first: what (table, row, old → new), when, by whom,
    through which command, and why. Changes made through `factdb sql --write` or any other SQL
    client are recorded too."""
    from factdb.queries import history as read_history

    state: State = ctx.obj
    with state.reader() as conn:
        query = _query(conn, kind, ref, since, by, limit)
        data = read_history(conn, query)
    render.emit(data, fmt, _table, csv_records=_csv, csv_columns=columns.HISTORY_ROW)


def _query(
    conn: Any,
    kind: str | None,
    ref: str | None,
    since: str | None,
    by: str | None,
    limit: int | None,
) -> Any:
    from factdb.core.errors import InvalidInput
    from factdb.core.keys import parse_id
    from factdb.queries import HistoryQuery, actor_ref, sanction_ref, source_ref

    query = HistoryQuery(since=_since(since), user=by, limit=limit)
    if kind is None:
        return query
    if kind not in KINDS:
        raise InvalidInput("KIND", f"{kind!r} is not one of {', '.join(KINDS)}")
    if ref is None:
        raise InvalidInput(
            "REF", f"which {kind}? give its id{'' if kind == 'claim' else ' or name'}"
        )
    number = parse_id(ref)
    if kind == "claim":
        if number is None:
            raise InvalidInput("REF", f"a claim is given by its id, not {ref!r}")
        query.claim_id = number
    elif kind == "actor":
        query.actor_id = number if number is not None else actor_ref(conn, ref)[0]
    elif kind == "source":
        query.source_id = number if number is not None else source_ref(conn, ref)
    else:
        query.sanction_id = number if number is not None else sanction_ref(conn, ref)[0]
    return query


def _since(value: str | None) -> str | None:
    """An ISO date or date and time, as the history's times are written (UTC)."""
    import datetime as dt

    from factdb.core.errors import InvalidInput

    if value is None:
        return None
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value).isoformat()
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("--since", f"{value!r} is not a date (YYYY-MM-DD) or time") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds")


PAST = {"insert": "added", "update": "changed", "delete": "deleted"}


def _who(record: dict[str, Any]) -> str:
    """The user, and the command (without ``factdb``) or, for direct SQL, the role."""
    who = str(record["user"])
    if record["command"]:
        who += f" · {str(record['command']).removeprefix('factdb ')}"
    elif record["db_role"]:
        who += f" as {record['db_role']}"
    return who


def _table(records: list[dict[str, Any]]) -> list[Any]:
    rows = [
        {
            "change": r["change"],
            "at": r["at"].replace("T", " ")[:16],
            "who": _who(r),
            "what": f"{r['table']} {r['row']} {PAST[r['op']]}"
            + (f": {r['what']}" if r["what"] else ""),
            "reason": r["reason"] or "",
        }
        for r in records
    ]
    return render.records_table(
        rows,
        [
            ("change", "#"),
            ("at", "WHEN (UTC)"),
            ("who", "WHO · COMMAND"),
            ("what", "WHAT"),
            ("reason", "WHY"),
        ],
        max_width={"what": 3, "reason": 1},
        empty="no change recorded",
    )


def _csv(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import json

    return [
        {
            **{k: v for k, v in r.items() if k not in ("old", "new")},
            "old": None if r["old"] is None else json.dumps(r["old"], ensure_ascii=False),
            "new": None if r["new"] is None else json.dumps(r["new"], ensure_ascii=False),
        }
        for r in records
    ]


def last_change_line(data: dict[str, Any]) -> Line | None:
    """``show``'s line on when the record last changed, and who changed it."""
    last = data.get("last_change")
    if not last:
        return None
    at = str(last["at"]).replace("T", " ")[:16]
    command = f" ({last['command']})" if last["command"] else ""
    return Line(render.safe_text(f"last changed {at} UTC by {last['user']}{command}"), style="dim")
