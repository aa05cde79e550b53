"""Every read: the SQL behind ``list``, ``show``, the reports, the export and the
``show``/``list`` of actors, sources and sanctions, in one package.

The rows are those of the analytical views of the migrations (``assertion_detail``,
``actor_side``, ``claim_summary``), so the CLI, the reports and a user's SQL never disagree;
the hot paths read the tables directly with the same meaning (tests/test_queries.py holds them
to it). Every read runs through ``factdb.storage.reader.Reader`` on the driver's connection: a
function takes either a session (the reports, the tests) or a reader (the fast path of ``show``
and ``list``, which never imports SQLAlchemy). Polarity is spelled through stance sets, the
scale of docs/design.md: asserts +2, supports +1, neutral 0, disputes −1, denies −2.

``base`` (what a read takes, the filters, look-ups by name) ← ``selection`` (which claims)
← ``assertions`` (rows, sides, via chains) ← ``claims`` (list and show, the flips of sides)
← ``export``, ``entities`` and ``story`` (the timeline of a claim, an actor's statements).
This module re-exports what callers outside the package use, so they write
``queries.show_claim``.

May import: ``factdb.storage``, ``factdb.core``.
"""

from factdb.queries.assertions import (
    ACTORS_OF_ASSERTIONS as ACTORS_OF_ASSERTIONS,
)
from factdb.queries.assertions import (
    BASE_SELECT as BASE_SELECT,
)
from factdb.queries.assertions import (
    CLAIMS_BASE_SELECT as CLAIMS_BASE_SELECT,
)
from factdb.queries.assertions import (
    ClaimParts as ClaimParts,
)
from factdb.queries.assertions import (
    Statement as Statement,
)
from factdb.queries.assertions import (
    ancestor_ids as ancestor_ids,
)
from factdb.queries.assertions import (
    assertion_rows as assertion_rows,
)
from factdb.queries.assertions import (
    assertion_scope as assertion_scope,
)
from factdb.queries.assertions import (
    assertions_where as assertions_where,
)
from factdb.queries.assertions import (
    claim_parts as claim_parts,
)
from factdb.queries.assertions import (
    claim_parts_from_rows as claim_parts_from_rows,
)
from factdb.queries.assertions import (
    claims_scope as claims_scope,
)
from factdb.queries.assertions import (
    claims_statement as claims_statement,
)
from factdb.queries.assertions import (
    claims_with_rows as claims_with_rows,
)
from factdb.queries.assertions import (
    date_text as date_text,
)
from factdb.queries.assertions import (
    detail_statements as detail_statements,
)
from factdb.queries.assertions import (
    iso_date as iso_date,
)
from factdb.queries.assertions import (
    resolve_assertion as resolve_assertion,
)
from factdb.queries.assertions import (
    resolve_rows as resolve_rows,
)
from factdb.queries.assertions import (
    sides_from_rows as sides_from_rows,
)
from factdb.queries.assertions import (
    sides_in as sides_in,
)
from factdb.queries.assertions import (
    sides_of as sides_of,
)
from factdb.queries.assertions import (
    sides_sql as sides_sql,
)
from factdb.queries.assertions import (
    timestamp_text as timestamp_text,
)
from factdb.queries.assertions import (
    vias_between as vias_between,
)
from factdb.queries.assertions import (
    vias_from_rows as vias_from_rows,
)
from factdb.queries.assertions import (
    vias_of as vias_of,
)
from factdb.queries.base import (
    COMMON_QUOTE_HITS as COMMON_QUOTE_HITS,
)
from factdb.queries.base import (
    NEGATIVE as NEGATIVE,
)
from factdb.queries.base import (
    POSITIVE as POSITIVE,
)
from factdb.queries.base import (
    SANCTION_COLUMNS as SANCTION_COLUMNS,
)
from factdb.queries.base import (
    SANCTION_FROM as SANCTION_FROM,
)
from factdb.queries.base import (
    Conn as Conn,
)
from factdb.queries.base import (
    Filters as Filters,
)
from factdb.queries.base import (
    Sql as Sql,
)
from factdb.queries.base import (
    actor_by_name as actor_by_name,
)
from factdb.queries.base import (
    actor_keys as actor_keys,
)
from factdb.queries.base import (
    actor_name_pairs as actor_name_pairs,
)
from factdb.queries.base import (
    actor_ref as actor_ref,
)
from factdb.queries.base import (
    deleted_note as deleted_note,
)
from factdb.queries.base import (
    descendant_ids as descendant_ids,
)
from factdb.queries.base import (
    sanction_fields as sanction_fields,
)
from factdb.queries.base import (
    sanction_ref as sanction_ref,
)
from factdb.queries.claims import (
    flip_record as flip_record,
)
from factdb.queries.claims import (
    list_claims as list_claims,
)
from factdb.queries.claims import (
    reversals as reversals,
)
from factdb.queries.claims import (
    show_claim as show_claim,
)
from factdb.queries.claims import (
    summarize as summarize,
)
from factdb.queries.entities import (
    list_actors as list_actors,
)
from factdb.queries.entities import (
    list_sources as list_sources,
)
from factdb.queries.entities import (
    show_actor as show_actor,
)
from factdb.queries.entities import (
    show_source as show_source,
)
from factdb.queries.entities import (
    source_ref as source_ref,
)
from factdb.queries.export import (
    TIMELINE_HEAD as TIMELINE_HEAD,
)
from factdb.queries.export import (
    TIMELINE_TEXT_SQL as TIMELINE_TEXT_SQL,
)
from factdb.queries.export import (
    UNIT_SEPARATOR as UNIT_SEPARATOR,
)
from factdb.queries.export import (
    FlatChunk as FlatChunk,
)
from factdb.queries.export import (
    TimelineChunk as TimelineChunk,
)
from factdb.queries.export import (
    export_assertions as export_assertions,
)
from factdb.queries.export import (
    export_claims as export_claims,
)
from factdb.queries.export import (
    export_entities as export_entities,
)
from factdb.queries.export import (
    export_flat as export_flat,
)
from factdb.queries.export import (
    export_ratings as export_ratings,
)
from factdb.queries.export import (
    export_relations as export_relations,
)
from factdb.queries.export import (
    sources_in as sources_in,
)
from factdb.queries.export import (
    timeline_chunks as timeline_chunks,
)
from factdb.queries.history import (
    HistoryQuery as HistoryQuery,
)
from factdb.queries.history import (
    history as history,
)
from factdb.queries.history import (
    last_change as last_change,
)
from factdb.queries.identifiers import (
    actor_by_external_id as actor_by_external_id,
)
from factdb.queries.identifiers import (
    actor_by_external_ref as actor_by_external_ref,
)
from factdb.queries.identifiers import (
    actor_external_ids as actor_external_ids,
)
from factdb.queries.identifiers import (
    all_actor_external_ids as all_actor_external_ids,
)
from factdb.queries.identifiers import (
    all_sanction_external_ids as all_sanction_external_ids,
)
from factdb.queries.identifiers import (
    external_id_owner as external_id_owner,
)
from factdb.queries.identifiers import (
    sanction_by_external_id as sanction_by_external_id,
)
from factdb.queries.identifiers import (
    sanction_by_external_ref as sanction_by_external_ref,
)
from factdb.queries.identifiers import (
    sanction_external_ids as sanction_external_ids,
)
from factdb.queries.identifiers import (
    scheme_in_use as scheme_in_use,
)
from factdb.queries.ratings import (
    actor_ratings as actor_ratings,
)
from factdb.queries.ratings import (
    attach_ratings as attach_ratings,
)
from factdb.queries.ratings import (
    current_rating as current_rating,
)
from factdb.queries.ratings import (
    grades_at_least as grades_at_least,
)
from factdb.queries.ratings import (
    grades_text as grades_text,
)
from factdb.queries.ratings import (
    rating_conditions as rating_conditions,
)
from factdb.queries.ratings import (
    rating_record as rating_record,
)
from factdb.queries.ratings import (
    ratings_statement as ratings_statement,
)
from factdb.queries.sanctions import (
    answered_by as answered_by,
)
from factdb.queries.sanctions import (
    list_sanctions as list_sanctions,
)
from factdb.queries.sanctions import (
    sanction_claim_ids as sanction_claim_ids,
)
from factdb.queries.sanctions import (
    sanction_targets as sanction_targets,
)
from factdb.queries.sanctions import (
    show_sanction as show_sanction,
)
from factdb.queries.sanctions import (
    target_label as target_label,
)
from factdb.queries.selection import (
    claim_conditions as claim_conditions,
)
from factdb.queries.selection import (
    count_claims as count_claims,
)
from factdb.queries.selection import (
    counted_condition as counted_condition,
)
from factdb.queries.selection import (
    matching_claim_ids as matching_claim_ids,
)
from factdb.queries.selection import (
    search_condition as search_condition,
)
from factdb.queries.story import (
    TIMELINE_FIELDS as TIMELINE_FIELDS,
)
from factdb.queries.story import (
    actor_statements as actor_statements,
)
from factdb.queries.story import (
    claim_timeline as claim_timeline,
)
from factdb.queries.story import (
    travel_chain as travel_chain,
)
