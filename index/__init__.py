"""kiji's core: Japanese tokenising, the SQLite BM25 index, search, answers, digests and ingestion.

Its parts are subpackages, each saying in its ``__init__.py`` what it owns and may import, with
arrows pointing down only: ``cli`` → ``answer`` | ``ingest`` | ``ops`` → ``digest`` | ``search``
→ ``store`` → ``ranking`` → ``analysis`` → the shared foundations here (``models``, ``errors``,
``urls``, ``sanitize``, and ``messages``: the ja/en catalogue of every user-facing string). ``config`` holds the core's settings for the entry points. Nothing in
this package imports discord or ``bot`` (the Discord layer); ``lint-imports`` checks every arrow
(the contracts are in pyproject.toml).
"""

__version__ = "0.1.0"
