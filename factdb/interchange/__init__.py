"""Interchange: what goes in and out of factdb in bulk.

Import (``load`` picks the format; ``csvimport`` and ``jsonl`` read; ``common`` is what both
share), export (``export``), the CSV reports (``reports``), the seed data (``seeds``), and
the pages to come.

May import: ``factdb.domain``, ``factdb.queries``, ``factdb.storage``, ``factdb.core``.
Never the command line.
"""
