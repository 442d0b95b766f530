"""kiji's core: Japanese tokenising, the SQLite BM25 index, search, answers, digests and ingestion.

Nothing in this package imports discord; the Discord layer lives in ``bot``.
"""

__version__ = "0.1.0"
