"""Formula-injection escaping for every CSV factdb writes (docs/reliability.md, CSV formula
injection, OWASP).

Text that a spreadsheet would evaluate (leading ``=``, ``+``, ``-``, ``@``, TAB, CR) gets a
leading apostrophe; so does text that already starts with one, which makes the rule reversible:
factdb's CSV import removes exactly one leading apostrophe. Only text is escaped, never numbers
or dates."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def escape_formula(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    return value[1:] if value.startswith("'") else value
