"""Store: the SQLite file of a kiji database, and all of the core's SQL.

Owns the schema (``schema``), the one migration helper every set of tables in the file uses,
the bot's included (``migrations``), the articles and their reads (``store``), the
per-passage arrays (``doctable``), the fusion signals' per-passage vectors (``vectors``)
and the word pairs' document frequencies (``pair_dfs``),
postings segments and their merging (``segments``), preparing
and writing batches (``prepare``, ``existing``, ``writer``, and the writer's term ids:
``term_ids``), the fusion backfill (``backfill``),
the process lock on the file (``dblock``), the feedback tables (``feedback_store``), the feed
subscriptions (``feeds_table``) and the reads of backups and checks (``checks``). May import
``index.ranking`` (the fusion signals it stores), ``index.analysis`` (tokenising what it writes)
and the shared foundations; it is used by search, ingest, answer, digest and ops, never the reverse.
"""
