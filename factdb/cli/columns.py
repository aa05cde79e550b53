"""The CSV columns of the records a command lists, written as the header when it lists none:
CSV always carries its header (``render.write_csv``). Each is the header the same command
writes when it has records (tests/test_csv_header.py holds them together)."""

from __future__ import annotations

CLAIM_ROW = (
    "id claim assertions n_for n_neutral n_against for neutral against first_date last_date "
    "contested reversed reversed_sides origins_for origins_neutral origins_against outlets_for "
    "outlets_neutral outlets_against tags violates"
).split()
"""A claim of ``list``."""
SANCTION_CLAIM_ROW = [*CLAIM_ROW, "link"]
"""A claim of ``sanction show``: ``link`` says how (``alleged violation``, ``imposed in
response``), as the ``sanction_claim`` view does."""

_ASSERTION_HEAD = (
    "actor actor_kind side stance polarity date date_start date_precision source_id source_url "
    "source_outlet source_outlet_id"
).split()
_ASSERTION_TAIL = (
    "source_title source_published via quote recorded_at retracted retracted_at "
    "retraction_reason qualifier qualifier_note date_approximate origin"
).split()

ASSERTION_ROW = ["id", "claim_id", "claim", *_ASSERTION_HEAD, *_ASSERTION_TAIL]
"""An assertion of ``actor show`` and ``source show``."""

GRADE_FIELDS = ("grade", "meaning", "by", "at", "reason")
"""The fields of a rating in ``show``'s data; an outlet's reliability adds ``actor``."""
GRADE_COLUMNS = [
    *(f"credibility_{f}" for f in GRADE_FIELDS),
    *(f"outlet_reliability_{f}" for f in (*GRADE_FIELDS, "actor")),
]
"""The CSV columns of an assertion's grades in ``show``, empty where it has none."""

SHOW_ROW = [
    "claim_id",
    "claim",
    "id",
    *_ASSERTION_HEAD,
    "source_outlet_actor",
    *_ASSERTION_TAIL,
    *GRADE_COLUMNS,
    "supersedes",
    "folded_into",
    "group",
    "side_reversed",
]
"""An assertion of ``show``."""

ACTOR_ROW = "id name kind part_of side aliases ids assertions".split()
SOURCE_ROW = "id url outlet outlet_id outlet_actor title published assertions claims".split()
SANCTION_ROW = (
    "id name authority authority_id authority_actor programme adopted measures url targets claims "
    "responds_to"
).split()
HISTORY_ROW = "change at user db_role command reason change_set table op row what old new".split()
