"""Interchange: what goes in and out of factdb in bulk.

Import (``load`` picks the format; ``csvimport`` and ``jsonl`` read; ``resolve`` turns the
names both give into ids, creating what is missing; ``common`` is the rest they share), export
(``export``), the CSV reports (``reports``), the seed data (``seeds``), and the pages to come.

May import: ``factdb.domain``, ``factdb.queries``, ``factdb.storage``, ``factdb.core``.
Never the command line.
"""
