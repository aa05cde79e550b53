"""Tables and enums. No queries here (docs/design.md, Architecture).

SQLModel ``table=True`` models skip validation (docs/reliability.md, bad input), so every closed
set of values (stance, actor kind, date precision) is also a CHECK constraint, enforced by
SQLite and PostgreSQL alike, and every reference is a foreign key. Constraint names follow one
naming convention so that alembic's batch mode on SQLite can address them."""

import datetime as dt
from typing import cast

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig  # the type of model_config (sqlmodel is pinned)

from factdb.core.vocabulary import CREDIBILITY_GRADES as CREDIBILITY_GRADES
from factdb.core.vocabulary import DIRECTED_RELATIONS as DIRECTED_RELATIONS
from factdb.core.vocabulary import POLARITY as POLARITY
from factdb.core.vocabulary import QUALIFIERS as QUALIFIERS
from factdb.core.vocabulary import RELATION_KINDS as RELATION_KINDS
from factdb.core.vocabulary import RELIABILITY_GRADES as RELIABILITY_GRADES
from factdb.core.vocabulary import ActorKind as ActorKind
from factdb.core.vocabulary import Stance as Stance

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)
metadata = SQLModel.metadata


PRECISION_VALUES = ("year", "month", "day")


def _in(column: str, values: tuple[str, ...] | list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _precision_check(column: str, name: str) -> CheckConstraint:
    """A date and its precision are set together, the precision from the closed set."""
    return CheckConstraint(
        f"({column} IS NULL AND {column}_precision IS NULL) OR "
        f"({column} IS NOT NULL AND {column}_precision IS NOT NULL "
        f"AND {_in(column + '_precision', PRECISION_VALUES)})",
        name=name,
    )


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a model, typed (for bulk inserts without ORM objects)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


AUTOINCREMENT = {"sqlite_autoincrement": True}
"""SQLite: a new row's id is above every id the table ever had, so that an id a user wrote
down never comes back for another record (PostgreSQL's sequences never go back)."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Row(SQLModel):
    """What every table's model is. Its pydantic validators are built when first used
    (``defer_build``), not when the module is imported: table models are not validated on
    creation anyway (above), and building the validators of every table took about half of
    this module's import, which every write command pays (docs/performance.md, start-up)."""

    model_config = SQLModelConfig(defer_build=True)


class Actor(Row, table=True):
    __tablename__ = "actor"
    __table_args__ = (
        CheckConstraint(_in("kind", [k.value for k in ActorKind]), name="kind_valid"),
        CheckConstraint("part_of_id IS NULL OR part_of_id <> id", name="not_own_part"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=Text)
    name_key: str = Field(sa_type=Text, unique=True)
    kind: str = Field(sa_type=Text, default=ActorKind.other.value)
    part_of_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("actor.id"), index=True)
    )
    """The current parent (docs/design.md, Memberships over time)."""
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    part_of_since: dt.date | None = Field(default=None, sa_column=Column(Date, index=True))
    """When the current membership began (a partial date), if given."""
    part_of_since_precision: str | None = Field(default=None, sa_type=Text)


class ActorMembership(Row, table=True):
    """A membership of an actor in a parent that ended: part of ``parent_id`` from ``since``
    (when given) until ``until``. The current parent is ``actor.part_of_id``."""

    __tablename__ = "actor_membership"
    __table_args__ = (
        CheckConstraint("actor_id <> parent_id", name="not_own_part"),
        CheckConstraint("since IS NULL OR since < until", name="since_before_until"),
        _precision_check("since", "since_precision"),
        _precision_check("until", "until_precision"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(
        sa_column=Column(Integer, ForeignKey("actor.id"), nullable=False, index=True)
    )
    parent_id: int = Field(
        sa_column=Column(Integer, ForeignKey("actor.id"), nullable=False, index=True)
    )
    since: dt.date | None = Field(default=None, sa_type=Date)
    since_precision: str | None = Field(default=None, sa_type=Text)
    until: dt.date = Field(sa_column=Column(Date, nullable=False))
    until_precision: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ActorAlias(Row, table=True):
    __tablename__ = "actor_alias"
    __table_args__ = (
        _precision_check("since", "since_precision"),
        _precision_check("until", "until_precision"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("actor.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    alias: str = Field(sa_type=Text)
    alias_key: str = Field(sa_type=Text, unique=True)
    since: dt.date | None = Field(default=None, sa_type=Date)
    """When the alias came into use (a partial date), if given; it resolves at all times."""
    since_precision: str | None = Field(default=None, sa_type=Text)
    until: dt.date | None = Field(default=None, sa_type=Date)
    """When the alias went out of use, if given."""
    until_precision: str | None = Field(default=None, sa_type=Text)


class Claim(Row, table=True):
    __tablename__ = "claim"
    __table_args__ = (AUTOINCREMENT,)

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_type=Text)
    text_key: str = Field(sa_type=Text, unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ClaimTag(Row, table=True):
    __tablename__ = "claim_tag"
    __table_args__ = (Index("ix_claim_tag_tag", "tag"),)

    claim_id: int = Field(
        sa_column=Column(Integer, ForeignKey("claim.id", ondelete="CASCADE"), primary_key=True)
    )
    tag: str = Field(sa_type=Text, primary_key=True)


class Source(Row, table=True):
    __tablename__ = "source"
    __table_args__ = (
        CheckConstraint(
            "url IS NULL OR substr(url, 1, 7) = 'http://' OR substr(url, 1, 8) = 'https://'",
            name="url_http",
        ),
        _precision_check("published", "published_precision"),
        _precision_check("updated", "updated_precision"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    url: str | None = Field(default=None, sa_type=Text)
    key: str = Field(sa_type=Text, unique=True)
    outlet: str | None = Field(default=None, sa_type=Text)
    """The outlet's name as given (it is part of the key of a source without a URL)."""
    outlet_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("actor.id"), index=True)
    )
    """The outlet as an actor (kind media when factdb created it), matched by name or alias."""
    title: str | None = Field(default=None, sa_type=Text)
    published: dt.date | None = Field(default=None, sa_type=Date)
    published_precision: str | None = Field(default=None, sa_type=Text)
    updated: dt.date | None = Field(default=None, sa_type=Date)
    updated_precision: str | None = Field(default=None, sa_type=Text)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Assertion(Row, table=True):
    """One actor's stance on one claim, on a date, reported in a source. Append-only: a
    correction retracts it and records a new one that ``supersedes`` it; a merge that makes
    it another's twin retracts it as ``folded_into`` that one. The natural key is unique among
    live (unretracted) assertions."""

    __tablename__ = "assertion"
    __table_args__ = (
        Index(
            "ux_assertion_live_key",
            "claim_id",
            "actor_id",
            "stance",
            "date",
            "date_precision",
            "source_id",
            unique=True,
            sqlite_where=text("retracted_at IS NULL"),
            postgresql_where=text("retracted_at IS NULL"),
        ),
        CheckConstraint(_in("stance", [s.value for s in Stance]), name="stance_valid"),
        CheckConstraint(_in("date_precision", PRECISION_VALUES), name="date_precision_valid"),
        CheckConstraint(
            f"qualifier IS NULL OR {_in('qualifier', QUALIFIERS)}", name="qualifier_valid"
        ),
        CheckConstraint(
            "(retracted_at IS NULL AND retraction_reason IS NULL) OR "
            "(retracted_at IS NOT NULL AND retraction_reason IS NOT NULL)",
            name="retraction_complete",
        ),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(
        sa_column=Column(Integer, ForeignKey("claim.id"), nullable=False, index=True)
    )
    actor_id: int = Field(
        sa_column=Column(Integer, ForeignKey("actor.id"), nullable=False, index=True)
    )
    stance: str = Field(sa_type=Text)
    date: dt.date = Field(sa_type=Date)
    date_precision: str = Field(sa_type=Text)
    source_id: int = Field(
        sa_column=Column(Integer, ForeignKey("source.id"), nullable=False, index=True)
    )
    quote: str | None = Field(default=None, sa_type=Text)
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    retracted_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    retraction_reason: str | None = Field(default=None, sa_type=Text)
    supersedes_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("assertion.id"))
    )
    folded_into_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("assertion.id"))
    )
    qualifier: str | None = Field(default=None, sa_type=Text)
    """How the stance is qualified: partial, conditional or hedged (docs/design.md)."""
    qualifier_note: str | None = Field(default=None, sa_type=Text)
    """The qualification in the recorder's words, with or without a qualifier."""
    date_approximate: bool = Field(
        default=False,
        sa_column=Column(Boolean, nullable=False, server_default=false()),
    )
    """The date is approximate (printed ``~2022-10``)."""


class AssertionVia(Row, table=True):
    """The attribution chain of an assertion, nearest to the speaker first (position 1)."""

    __tablename__ = "assertion_via"
    __table_args__ = (CheckConstraint("position >= 1", name="position_positive"),)

    assertion_id: int = Field(
        sa_column=Column(Integer, ForeignKey("assertion.id", ondelete="CASCADE"), primary_key=True)
    )
    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    actor_id: int = Field(
        sa_column=Column(Integer, ForeignKey("actor.id"), nullable=False, index=True)
    )


class ClaimRelation(Row, table=True):
    """A claim related to another: part of it, implying it, contradicting it, the same as it.
    The symmetric kinds (contradicts, same as) are stored once, the lower id first."""

    __tablename__ = "claim_relation"
    __table_args__ = (
        CheckConstraint(_in("kind", RELATION_KINDS), name="kind_valid"),
        CheckConstraint("claim_id <> other_claim_id", name="not_itself"),
        CheckConstraint(
            f"{_in('kind', DIRECTED_RELATIONS)} OR claim_id < other_claim_id",
            name="symmetric_ordered",
        ),
        UniqueConstraint("claim_id", "kind", "other_claim_id"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(sa_column=Column(Integer, ForeignKey("claim.id"), nullable=False))
    kind: str = Field(sa_type=Text)
    other_claim_id: int = Field(
        sa_column=Column(Integer, ForeignKey("claim.id"), nullable=False, index=True)
    )
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Rating(Row, table=True):
    """A grade given to an actor (source reliability, A–F) or to an assertion (information
    credibility, 1–6), by whom, when and why. Appended, never changed: the newest rating of a
    record is its grade; a rating without a grade withdraws the one before."""

    __tablename__ = "rating"
    __table_args__ = (
        CheckConstraint(
            "(actor_id IS NOT NULL AND assertion_id IS NULL "
            f"AND (grade IS NULL OR {_in('grade', RELIABILITY_GRADES)})) OR "
            "(assertion_id IS NOT NULL AND actor_id IS NULL "
            f"AND (grade IS NULL OR {_in('grade', CREDIBILITY_GRADES)}))",
            name="grade_fits_target",
        ),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("actor.id"), index=True)
    )
    assertion_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("assertion.id"), index=True)
    )
    grade: str | None = Field(default=None, sa_type=Text)
    rated_by: str = Field(sa_type=Text)
    rated_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    reason: str | None = Field(default=None, sa_type=Text)


class Sanction(Row, table=True):
    __tablename__ = "sanction"
    __table_args__ = (
        _precision_check("adopted", "adopted_precision"),
        CheckConstraint(
            "url IS NULL OR substr(url, 1, 7) = 'http://' OR substr(url, 1, 8) = 'https://'",
            name="url_http",
        ),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=Text)
    name_key: str = Field(sa_type=Text, unique=True)
    authority: str | None = Field(default=None, sa_type=Text)
    """The authority's name as given."""
    adopted: dt.date | None = Field(default=None, sa_type=Date)
    adopted_precision: str | None = Field(default=None, sa_type=Text)
    measures: str | None = Field(default=None, sa_type=Text)
    url: str | None = Field(default=None, sa_type=Text)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    authority_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("actor.id"), index=True)
    )
    """The authority as an actor (UN Security Council, Council of the EU, OFAC…)."""
    programme: str | None = Field(default=None, sa_type=Text)
    """The sanctions programme or regime (``EU Iran drones``, ``UNSC 1718``)."""


class SanctionTarget(Row, table=True):
    """An actor a sanction targets, listed and delisted on (partial) dates as given."""

    __tablename__ = "sanction_target"
    __table_args__ = (
        UniqueConstraint("sanction_id", "actor_id"),
        _precision_check("listed", "listed_precision"),
        _precision_check("delisted", "delisted_precision"),
        CheckConstraint(
            "listed IS NULL OR delisted IS NULL OR listed <= delisted", name="listed_first"
        ),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    sanction_id: int = Field(
        sa_column=Column(Integer, ForeignKey("sanction.id", ondelete="CASCADE"), nullable=False)
    )
    actor_id: int = Field(
        sa_column=Column(Integer, ForeignKey("actor.id"), nullable=False, index=True)
    )
    listed: dt.date | None = Field(default=None, sa_type=Date)
    listed_precision: str | None = Field(default=None, sa_type=Text)
    delisted: dt.date | None = Field(default=None, sa_type=Date)
    delisted_precision: str | None = Field(default=None, sa_type=Text)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class SanctionResponse(Row, table=True):
    """A sanction was imposed in response to a claim."""

    __tablename__ = "sanction_response"
    __table_args__ = (UniqueConstraint("sanction_id", "claim_id"), AUTOINCREMENT)

    id: int | None = Field(default=None, primary_key=True)
    sanction_id: int = Field(
        sa_column=Column(Integer, ForeignKey("sanction.id", ondelete="CASCADE"), nullable=False)
    )
    claim_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("claim.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class ExternalId(Row, table=True):
    """An identifier of an actor or a sanction in another system: ``scheme:value``
    (``wikidata:Q7747``, ``opensanctions:NK-…``). A value of a scheme names one record."""

    __tablename__ = "external_id"
    __table_args__ = (
        UniqueConstraint("scheme", "value"),
        CheckConstraint("(actor_id IS NULL) <> (sanction_id IS NULL)", name="one_owner"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("actor.id"), index=True)
    )
    sanction_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("sanction.id", ondelete="CASCADE"), index=True),
    )
    scheme: str = Field(sa_type=Text)
    value: str = Field(sa_type=Text)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ClaimSanction(Row, table=True):
    """A claim alleges a violation of a sanction."""

    __tablename__ = "claim_sanction"

    claim_id: int = Field(
        sa_column=Column(Integer, ForeignKey("claim.id", ondelete="CASCADE"), primary_key=True)
    )
    sanction_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("sanction.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class ChangeSet(Row, table=True):
    """One write transaction of a factdb command: who, through which command, why."""

    __tablename__ = "change_set"
    __table_args__ = (AUTOINCREMENT,)

    id: int | None = Field(default=None, primary_key=True)
    at: str = Field(sa_type=Text)
    user_name: str = Field(sa_type=Text)
    db_role: str | None = Field(default=None, sa_type=Text)
    command: str = Field(sa_type=Text)
    reason: str | None = Field(default=None, sa_type=Text)


class Change(Row, table=True):
    """One row inserted, updated or deleted, written by the database's triggers (migration
    0006): the row's key and its values before and after as JSON text. Append-only."""

    __tablename__ = "change"
    __table_args__ = (
        CheckConstraint("op IN ('insert', 'update', 'delete')", name="op_valid"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    set_id: int | None = Field(default=None, index=True)
    at: str = Field(sa_type=Text)
    db_role: str | None = Field(default=None, sa_type=Text)
    table_name: str = Field(sa_type=Text)
    op: str = Field(sa_type=Text)
    row_key: str = Field(sa_type=Text)
    old: str | None = Field(default=None, sa_type=Text)
    new: str | None = Field(default=None, sa_type=Text)
    claim_id: int | None = Field(default=None, index=True)
    actor_id: int | None = Field(default=None, index=True)
    source_id: int | None = Field(default=None, index=True)
    sanction_id: int | None = Field(default=None, index=True)
    id_from: int | None = Field(default=None)
    """A bulk import's change: the first and last new id of the table (``row_key`` '*')."""
    id_to: int | None = Field(default=None)


class ChangeCurrent(Row, table=True):
    """The change set of the write transaction in progress: inserted at its start, deleted
    before it commits, so never seen by another transaction."""

    __tablename__ = "change_current"

    set_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    bulk: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    """1 during a bulk import: the insert triggers stand aside (``storage.history``)."""
