"""Ops: operating kiji: the database file, metrics, logs and rate limits.

Owns online backup, verified restore and the integrity checks (``ops``), the metrics
(``metrics``, on prometheus-client) and their ``/metrics`` and ``/healthz`` endpoint
(``metrics_server``), JSON logs and token redaction (``logs``) and per-key token-bucket rate
limits (``ratelimit``: the one limiter, the bot's command cooldowns included), and giving the
C heap's free pages back between questions (``memory``). May import
``index.store``, ``index.analysis`` and the shared foundations; never search, answer, ingest,
digest or the CLI.
"""
