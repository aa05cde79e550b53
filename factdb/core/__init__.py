"""The core: plain values and rules that need no database.

Errors, the closed vocabularies (stances, actor kinds), partial dates, natural keys and URL
normalization, parsing of what a user types, "did you mean" hints, CSV formula escaping.

May import: the standard library and small field libraries (w3lib, rapidfuzz). Never another
``factdb`` package: everything else builds on this one.
"""
