"""The ``kiji`` console script: the core's command line (index/cli/main.py) plus ``kiji run |
sync | commands``.

This side may import both packages, so the bot's subcommands reach the core's parser as a plugin
(``index`` never names ``bot``). A thin adapter: each handler turns ``args`` into a call of
``bot/__main__.py`` and returns an exit code; discord is imported only when one of them runs, so
``kiji search`` starts as fast as the core alone.
"""

from __future__ import annotations

import argparse
import os

from index.cli.main import build_parser as core_parser
from index.cli.main import main as core_main


def build_parser() -> argparse.ArgumentParser:
    """The ``kiji`` parser with every command, the bot's included (what ``kiji --help`` shows)."""
    return core_parser(plugins=(register,))


def main(argv: list[str] | None = None) -> int:
    """``kiji``: every command; ``kiji`` alone runs the bot when DISCORD_TOKEN is set (from the
    environment or .env), else the terminal chat."""
    return core_main(argv, plugins=(register,), default=default_command)


def default_command() -> list[str]:
    """``kiji`` alone: the Discord bot when a token is configured, else the terminal chat."""
    return ["run"] if os.environ.get("DISCORD_TOKEN") else ["chat"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``run``, ``sync`` and ``commands`` to the ``kiji`` subparsers (``args.db`` is a Path)."""
    common = [getattr(sub, "common")] if hasattr(sub, "common") else []  # noqa: B009
    p = sub.add_parser("run", parents=common, help="run the Discord bot (needs DISCORD_TOKEN)")
    p.add_argument(
        "--shard-ids",
        metavar="IDS",
        help="comma-separated shards this process runs (KIJI_SHARD_IDS)",
    )
    p.add_argument(
        "--shard-count",
        type=int,
        metavar="N",
        help="total shards across processes (KIJI_SHARD_COUNT)",
    )
    p.set_defaults(handler=_run)

    p = sub.add_parser(
        "sync", help="publish the slash commands to Discord (never done automatically)"
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--guild",
        type=int,
        metavar="ID",
        help="one server, immediately (default: KIJI_DEV_GUILD_ID)",
    )
    where.add_argument(
        "--global", dest="use_global", action="store_true", help="every server (up to an hour)"
    )
    p.set_defaults(handler=_sync)

    p = sub.add_parser("commands", help="print the command payloads a sync would send (offline)")
    p.add_argument("--json", action="store_true", help="the exact JSON payloads")
    p.set_defaults(handler=_commands)


def _run(args: argparse.Namespace) -> int:
    from bot.__main__ import run

    # The flags are the environment settings under another name; the bot reads its settings
    # from the environment in one place (bot/config.py).
    if getattr(args, "shard_ids", None):
        os.environ["KIJI_SHARD_IDS"] = args.shard_ids
    if getattr(args, "shard_count", None) is not None:
        os.environ["KIJI_SHARD_COUNT"] = str(args.shard_count)

    return run(getattr(args, "db", None))


def _sync(args: argparse.Namespace) -> int:
    from bot.__main__ import sync

    return sync(args.guild, use_global=args.use_global)


def _commands(args: argparse.Namespace) -> int:
    from bot.__main__ import commands_json

    return commands_json(as_json=args.json)
