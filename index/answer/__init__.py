"""Answer: composing the reply to a question, and measuring it.

Owns the answer pipeline (``answer``: the question, the passages, the not-found decision, related
articles), the excerpts cut from the passages (``excerpts``, with the text helpers of
``excerpt_text``, each passage's analysis read once in ``analysed`` and the signals it reads of
each sentence in ``reading``), the news of a period (``period``), rendering an answer as terminal text or a
JSON-ready dict (``render_text``), scoring question files (``evaluate``) and turning votes into
such files (``feedback``). May import ``index.search``, ``index.digest`` (the news of a period),
``index.store``, ``index.ranking`` (its weights and the not-found rule), ``index.analysis`` and
the shared foundations; never ingest, ops or the CLI.
"""
