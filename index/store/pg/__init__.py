"""The index on PostgreSQL (``--db`` / ``KIJI_DB`` = ``postgresql://user@host:port/db``).

The same design as the SQLite file: packed postings per term and segment (``bytea``), the
per-passage arrays in ``doc_chunks``, numpy scoring in :mod:`index.search`; only what differs in
kind lives here: the connection adapter that runs the shared SQL (``conn``), the schema
(``schema``), and the backend methods of :class:`~index.store.store.IndexStore` (``store``):
``REPEATABLE READ`` snapshots for a query, one writer at a time by an advisory lock, ``COPY`` for
bulk loads. psycopg is imported only when a PostgreSQL URL is opened.
"""
