"""Search: ranked passages and related articles for a query, read from the store.

Owns the :class:`~index.search.search.Searcher` (BM25 and fusion over the packed postings,
exact statistics, in-memory per-passage arrays), the selection of the top passages from its
score array (``topk``), its postings cache and fusion signal scores (``postings``) and the
related articles of a cited one (``related``: explicit 関連記事 links, then "more like this"). May import ``index.store``,
``index.ranking``, ``index.analysis`` and the shared foundations; never answer, ingest or above.
"""
