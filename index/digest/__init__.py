"""Digest: the articles of one calendar day, grouped by category, ranked, with lead summaries.

Owns :func:`~index.digest.digest.build_digest`: it reads the store and returns a frozen
:class:`~index.models.Digest`; it never reads the clock, writes or knows about Discord. May
import ``index.store``, ``index.analysis`` and the shared foundations; never search, answer,
ingest, ops or the CLI.
"""
