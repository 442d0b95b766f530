"""Answer: composing the reply to a question, and measuring it.

Owns the answer pipeline (``answer``: cited excerpts, related articles, honest "not found"),
the not-found rule (``evidence``), rendering an answer as terminal text or a JSON-ready dict
(``render_text``), scoring question files (``evaluate``) and turning votes into such files
(``feedback``). May import ``index.search``, ``index.digest`` (the news of a period),
``index.store``, ``index.ranking``, ``index.analysis`` and the shared foundations; never ingest,
ops or the CLI.
"""
