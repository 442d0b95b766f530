"""Ingest: getting articles in, from files and from feeds.

Owns the input parsers (``parsers``: every supported format to ``Article`` or ``Rejection``),
bulk ingestion with tokenising worker processes (``ingest``), feed subscriptions and polling
(``feeds``), the SSRF-safe fetcher (``fetch``) and the caps on what one input may cost
(``limits``). May import ``index.store`` (which writes the batches), ``index.analysis`` and the
shared foundations; never search, answer, digest, ops or the CLI.
"""
