"""What a correction did to one record (``claim edit``, ``actor rename``, ``source edit`` …):
each field's old and new value, for the command to print (docs/design.md, Corrections)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal, TypeAlias

from factdb.core.dates import PartialDate, format_partial

Value: TypeAlias = "str | list[str] | None"
Action = Literal["edited", "deleted", "unchanged"]


class Keep(Enum):
    """A field a correction leaves as it is (an option not given), as opposed to ``None``,
    which clears it."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass
class FieldChange:
    field: str
    old: Value
    new: Value


@dataclass
class Correction:
    """One record after a correction: ``action`` is ``edited`` (``changes`` lists each field
    that changed), ``deleted`` (``changes`` what went, new values None or empty) or
    ``unchanged`` (the record already was as asked; ``changes`` is empty)."""

    record: Literal["claim", "actor", "source", "sanction"]
    id: int
    label: str
    action: Action = "unchanged"
    changes: list[FieldChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def change(self, name: str, old: Value, new: Value) -> None:
        """Record a field's change, if it is one."""
        if old != new:
            self.changes.append(FieldChange(name, old, new))
            if self.action == "unchanged":
                self.action = "edited"


def date_text(start: dt.date | str | None, precision: str | None) -> str | None:
    """A stored partial date as given (``2024-02``), or None."""
    if start is None or precision is None:
        return None
    return format_partial(
        start if isinstance(start, dt.date) else dt.date.fromisoformat(start), precision
    )


def partial_text(value: PartialDate | None) -> str | None:
    return None if value is None else str(value)


def period_text(since: str | None, until: str | None) -> str:
    """``from 2012-11 until 2024-05``, ``until 2024-05``, ``since 2024-05`` or ``''``."""
    if since and until:
        return f"from {since} until {until}"
    if until:
        return f"until {until}"
    return f"since {since}" if since else ""
