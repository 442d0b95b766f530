"""The ``kiji`` command line over the core: one of the two entry points (the other is ``bot``).

Owns the parser and the core's subcommands (``main``: ingest, search, stats, optimize, delete;
``answer``: ask and chat with its ``chat_history``; ``eval``; ``feedback``; ``feeds``;
``digest``; ``ops``: backup, restore, check, doctor) and the argument and input helpers
(``args``, ``user_input``). A thin adapter: it may import every part of ``index``, which never
imports it, and never imports ``bot``: the ``kiji`` console script (``bot/cli.py``) adds the
bot's subcommands to this parser (``main(plugins=…)``). ``python -m index.cli`` runs the core's
commands alone.
"""
