"""The timeline picture of a claim: one mark per assertion on a time axis, as data for the
SVG template ``templates/timeline.svg.j2`` (docs/design.md, HTML pages).

Rows are the sides, in the order they first spoke; a side whose marks would overlap gets
more lanes. Stance is shown by colour and by shape (up for a positive stance, down for a
negative one, a diamond for neutral; filled for the strong stance, hollow for the weaker),
so the picture reads in grey print and for colour-blind readers. A date of month or year
precision is drawn as a bar over its whole period with the mark at its middle; a retracted
assertion as a grey mark crossed out; each reversal as an arrow from the stance a side
left to the one it took. Every number is rounded to one decimal and nothing depends on the
clock or on hashing, so the same data gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from factdb.core.dates import PartialDate, Precision
from factdb.core.vocabulary import qualified_stance

WIDTH = 960
LABEL = 170
RIGHT = 24
TOP = 22
LANE = 22
BAND_PAD = 8
AXIS = 30
LEGEND = 46
MIN_GAP = 14.0

STYLE: dict[str, tuple[str, str, bool]] = {
    # stance: (shape, colour, filled)
    "asserts": ("up", "#1a7f37", True),
    "supports": ("up", "#2f9e44", False),
    "neutral": ("diamond", "#8a6a00", True),
    "disputes": ("down", "#cf222e", False),
    "denies": ("down", "#a40e26", True),
}
RETRACTED_COLOUR = "#8c959f"
FLIP_COLOUR = "#8250df"


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def shape_path(shape: str, x: float, y: float, r: float = 7.0) -> str:
    """SVG path data of a mark centred on (x, y)."""
    if shape == "up":
        points = [(x, y - r), (x + r, y + r * 0.8), (x - r, y + r * 0.8)]
    elif shape == "down":
        points = [(x, y + r), (x + r, y - r * 0.8), (x - r, y - r * 0.8)]
    else:
        points = [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
    return "M" + " L".join(f"{_n(px)} {_n(py)}" for px, py in points) + " Z"


@dataclass
class Mark:
    id: int
    x: float
    y: float
    x0: float
    x1: float
    span: bool
    path: str
    colour: str
    filled: bool
    retracted: bool
    stance: str
    title: str
    cross: str = ""
    span_y: float = 0.0
    span_width: float = 0.0


@dataclass
class Row:
    side: str
    y: float
    height: float
    label_y: float


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Arrow:
    path: str
    title: str
    side: str
    from_id: int | None
    to_id: int | None
    was: str = ""


@dataclass
class Picture:
    width: int
    height: int
    left: int
    right: float
    axis_y: float
    rows: list[Row] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    legend: list[dict[str, Any]] = field(default_factory=list)
    legend_y: float = 0.0
    title: str = ""


def _period(a: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    start = dt.date.fromisoformat(str(a["date_start"]))
    given = a.get("date_precision")
    precision: Precision = given if given in ("year", "month") else "day"
    return start, PartialDate(start, precision).end


def _ticks(first: dt.date, last: dt.date, scale: Any) -> list[Tick]:
    days = (last - first).days
    ticks: list[Tick] = []
    if days > 3 * 366:
        step = max(1, (last.year - first.year) // 8 + 1)
        year = first.year + (0 if first == dt.date(first.year, 1, 1) else 1)
        while year <= last.year:
            ticks.append(Tick(scale(dt.date(year, 1, 1)), f"{year:04d}"))
            year += step
        return ticks
    if days > 45:
        months = (last.year - first.year) * 12 + last.month - first.month
        step = next(s for s in (1, 2, 3, 6, 12, 24, 36) if months // s <= 9)
        y, m = first.year, first.month
        if first.day != 1:
            m += 1
        while True:
            y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
            day = dt.date(y, m, 1)
            if day > last:
                break
            label = f"{y:04d}" if m == 1 and step >= 12 else f"{y:04d}-{m:02d}"
            ticks.append(Tick(scale(day), label))
            m += step
        return ticks
    step = max(1, -(-days // 6))
    day = first
    while day <= last:
        ticks.append(Tick(scale(day), day.isoformat()))
        day += dt.timedelta(days=step)
    return ticks


def flip_pairs(reversals: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The reversals of ``show``'s data as flat pairs (side, from and to ends), whether each
    entry is one flip or carries a side's sequence of flips (``flips``/``sequence``)."""
    out: list[dict[str, Any]] = []
    for entry in reversals:
        nested = entry.get("flips") or entry.get("sequence")
        if isinstance(nested, list):
            out.extend({"side": entry.get("side"), **flip} for flip in nested)
        else:
            out.append(dict(entry))
    return out


def _end_id(flip: Mapping[str, Any], end: str) -> int | None:
    for key in (f"{end}_id", f"{end}_assertion_id", f"{end}_assertion"):
        value = flip.get(key)
        if isinstance(value, int):
            return value
    return None


def _find_end(
    flip: Mapping[str, Any], end: str, marks: list[tuple[Mark, Mapping[str, Any]]]
) -> Mark | None:
    wanted = _end_id(flip, end)
    for mark, a in marks:
        if wanted is not None:
            if mark.id == wanted:
                return mark
            continue
        if (
            a["side"] == flip.get("side")
            and a["stance"] == flip.get(f"{end}_stance")
            and a["date"] == flip.get(f"{end}_date")
            and a["actor"] == flip.get(f"{end}_actor", a["actor"])
            and not a.get("retracted")
        ):
            return mark
    return None


def timeline_picture(
    assertions: Sequence[Mapping[str, Any]],
    reversals: Iterable[Mapping[str, Any]] = (),
    *,
    title: str = "",
) -> Picture:
    """The picture of these assertions (``show``'s rows, retracted ones included when they
    are to be drawn), with the reversals of ``show``'s data drawn as arrows."""
    items = sorted(assertions, key=lambda a: (str(a["date_start"]), int(a["id"])))
    pic = Picture(width=WIDTH, height=0, left=LABEL, right=WIDTH - RIGHT, axis_y=0, title=title)
    if items:
        periods = [_period(a) for a in items]
        first = min(p[0] for p in periods)
        last = max(p[1] for p in periods)
        if (last - first).days < 20:
            first -= dt.timedelta(days=10)
            last += dt.timedelta(days=10)
        pad = dt.timedelta(days=max(1, (last - first).days // 40))
        first, last = first - pad, last + pad
        total = (last - first).days + 1
        usable = pic.right - pic.left

        def scale(day: dt.date) -> float:
            return round(pic.left + usable * (day - first).days / total, 1)

        sides: list[str] = []
        for a in items:
            if a["side"] not in sides:
                sides.append(a["side"])
        lanes: dict[str, list[float]] = {s: [] for s in sides}
        placed: list[tuple[Mark, Mapping[str, Any], str, int]] = []
        for a, (start, end) in zip(items, periods, strict=True):
            x0, x1 = scale(start), scale(end + dt.timedelta(days=1))
            span = a.get("date_precision", "day") != "day"
            x = round((x0 + x1) / 2, 1) if span else x0
            left = x0 - 8 if span else x - 8
            right = max(x1, x + 8) if span else x + 8
            ends = lanes[a["side"]]
            lane = next((i for i, e in enumerate(ends) if e + 2 <= left), len(ends))
            if lane == len(ends):
                ends.append(right)
            else:
                ends[lane] = right
            shape, colour, filled = STYLE.get(a["stance"], ("diamond", "#57606a", True))
            retracted = bool(a.get("retracted"))
            via = f" via {' → '.join(a['via'])}" if a.get("via") else ""
            stance = qualified_stance(a["stance"], a.get("qualifier"), a.get("qualifier_note"))
            label = f"#{a['id']} {a['actor']} ({a['side']}) — {stance}, {a['date']}{via}" + (
                " — retracted" if retracted else ""
            )
            mark = Mark(
                id=int(a["id"]),
                x=x,
                y=0,
                x0=x0,
                x1=x1,
                span=span,
                path="",
                colour=RETRACTED_COLOUR if retracted else colour,
                filled=filled and not retracted,
                retracted=retracted,
                stance=a["stance"],
                title=label,
            )
            placed.append((mark, a, shape, lane))
        y = TOP
        row_top: dict[str, float] = {}
        for side in sides:
            n = max(1, len(lanes[side]))
            height = n * LANE + BAND_PAD
            pic.rows.append(
                Row(side=side, y=y, height=height, label_y=round(y + height / 2 + 4, 1))
            )
            row_top[side] = y
            y += height
        for mark, a, shape, lane in placed:
            mark.y = round(row_top[a["side"]] + BAND_PAD / 2 + lane * LANE + LANE / 2, 1)
            mark.path = shape_path(shape, mark.x, mark.y)
            mark.span_y = round(mark.y - 4, 1)
            mark.span_width = round(max(mark.x1 - mark.x0, 1.0), 1)
            if mark.retracted:
                x, yy = mark.x, mark.y
                mark.cross = (
                    f"M{_n(x - 8)} {_n(yy - 8)} L{_n(x + 8)} {_n(yy + 8)} "
                    f"M{_n(x + 8)} {_n(yy - 8)} L{_n(x - 8)} {_n(yy + 8)}"
                )
            pic.marks.append(mark)
        pic.axis_y = y + 4
        pic.ticks = _ticks(first + pad, last - pad, scale)
        with_rows = [(m, a) for m, a, _, _ in placed]
        for flip in flip_pairs(reversals):
            start_mark = _find_end(flip, "from", with_rows)
            end_mark = _find_end(flip, "to", with_rows)
            if start_mark is None or end_mark is None:
                continue
            mid_x = round((start_mark.x + end_mark.x) / 2, 1)
            bend = round(min(start_mark.y, end_mark.y) - 16, 1)
            pic.arrows.append(
                Arrow(
                    path=(
                        f"M{_n(start_mark.x)} {_n(start_mark.y - 8)} "
                        f"Q{_n(mid_x)} {_n(bend)} {_n(end_mark.x)} {_n(end_mark.y - 9)}"
                    ),
                    title=(
                        f"{flip.get('side')} reversed: {flip.get('from_stance')}, "
                        f"{flip.get('from_date')} → {flip.get('to_stance')}, {flip.get('to_date')}"
                    ),
                    side=str(flip.get("side")),
                    from_id=start_mark.id,
                    to_id=end_mark.id,
                    was=f"{flip.get('from_stance')} on {flip.get('from_date')}",
                )
            )
        legend_y = pic.axis_y + AXIS + 6
    else:
        legend_y = TOP
    x = float(pic.left)
    for stance, (shape, colour, filled) in STYLE.items():
        pic.legend.append(
            {
                "kind": "stance",
                "path": shape_path(shape, x, legend_y, 6),
                "colour": colour,
                "filled": filled,
                "x": x + 10,
                "label": stance,
            }
        )
        x += 92
    pic.legend.append({"kind": "span", "x": x, "label": "month or year", "colour": "#57606a"})
    x += 138
    pic.legend.append(
        {
            "kind": "retracted",
            "path": shape_path("diamond", x, legend_y, 6),
            "x": x + 10,
            "colour": RETRACTED_COLOUR,
            "label": "retracted",
        }
    )
    x += 96
    pic.legend.append({"kind": "flip", "x": x, "label": "reversal", "colour": FLIP_COLOUR})
    pic.legend_y = legend_y
    pic.height = int(legend_y + LEGEND / 2)
    return pic
