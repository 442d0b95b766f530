"""Ranking: pure scoring, with no I/O, and every weight that decides an order or an answer.

Owns Okapi BM25 (``bm25``), the lexical fusion signals and their fusion (``fusion``), the
candidate answer spans of a passage and their weights (``answer_spans``, with how well each kind
of span answers each kind of question in ``span_fits``), the scorer of excerpts
with its fitted weights (``excerpt_score``), the recency boost of 最近 (``recency``) and the
not-found rule with its calibrated bounds (``evidence``). Everything here is a pure function of
terms, counts and morphemes, so it can be tested and tuned in isolation. May import
``index.analysis`` and the shared foundations; never the store, search or anything above.
"""
