"""The domain rules and writes: actors and their hierarchy, claims and assertions, sources,
sanctions. Each function takes a session, checks what the user gave, writes, and returns data;
none prints.

May import: ``factdb.queries``, ``factdb.storage``, ``factdb.core``.
"""
