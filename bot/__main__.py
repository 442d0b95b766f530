"""``python -m bot``: read the environment (and .env), set up logging once, open the stores, run.

This module and the command line (``index/cli/main.py``, ``bot/cli.py``) are the only places that
read ``os.environ``; ``bot/cli.py`` (``kiji run | sync | commands``) calls the functions below.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from prometheus_client import CollectorRegistry

from bot.config import BotSettings, ConfigError
from bot.shutdown import SHUTDOWN_GRACE, graceful_close
from index.cli.parser import KijiParser
from index.config import CoreSettings, index_db_location
from index.errors import NewsIndexError, UnsupportedDatabase
from index.messages import Lang, lang_from_env, t
from index.ops.memory import tune_gc
from index.ops.metrics import KijiMetrics, default_registry
from index.ops.metrics_server import MetricsServer, db_health

if TYPE_CHECKING:
    from bot.client import NewsBot
    from index.analysis.tokenizer import JapaneseTokenizer

log = logging.getLogger("bot")


def load_env(dotenv: Path | None = None) -> dict[str, str]:
    """The process environment over the values of ``.env`` (the environment wins)."""
    values: dict[str, str] = {}
    path = dotenv or Path.cwd() / ".env"
    if path.is_file():
        from dotenv import dotenv_values

        values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    values.update(os.environ)
    return values


def configure_logging(level: str, *, as_json: bool = False) -> None:
    """discord.py's handler on the root logger (or JSON lines with ``as_json``); our packages at
    ``level``, the gateway quieter. Bot tokens are redacted from every record either way."""
    from index.ops.logs import RedactTokens, json_handler

    root = logging.getLogger()
    # Exactly one handler: the CLI's basicConfig (index/cli/main.py) has usually installed a text
    # handler already, and keeping it would print every event twice (once as text).
    # (Only plain StreamHandlers go: a test harness's capturing handlers are subclasses.)
    for handler in root.handlers[:]:
        if type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    if as_json:
        root.addHandler(json_handler())
        root.setLevel(logging.INFO)
    else:
        discord.utils.setup_logging(level=logging.INFO, root=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactTokens())
    for name in ("bot", "index"):
        logging.getLogger(name).setLevel(level)
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    if level == "DEBUG":
        logging.getLogger("discord").setLevel(logging.INFO)  # DEBUG would log gateway payloads


def cli_lang() -> Lang:
    """The language of ``kiji run | sync | commands`` on the terminal (LANG, as ``kiji`` reads it)."""
    return lang_from_env(os.environ)


def _fail(message: str | NewsIndexError) -> int:
    """``kiji: …`` on stderr, in the command line's language; exit code 2."""
    lang = cli_lang()
    detail = message.text(lang) if isinstance(message, NewsIndexError) else message
    print(t(lang, "cli_error", detail=detail), file=sys.stderr)
    return 2


# --------------------------------------------------------------------------- kiji run


async def run_bot(settings: BotSettings, core: CoreSettings) -> int:
    """Open the stores, build the bot with them (advanced_startup.py's shape) and run it until
    SIGINT/SIGTERM; resources are closed in reverse order on the way out. With
    KIJI_METRICS_PORT set, /metrics and /healthz are served on 127.0.0.1 meanwhile."""
    from index.analysis.tokenizer import JapaneseTokenizer

    db = settings.db_path
    tokenizer = JapaneseTokenizer(core.split_mode)
    metrics = KijiMetrics(default_registry)
    with start_metrics(settings, metrics.registry):
        return await _run_bot(settings, core, db, tokenizer, metrics)


@contextlib.contextmanager
def start_metrics(
    settings: BotSettings, registry: CollectorRegistry
) -> Iterator[MetricsServer | None]:
    """The /metrics and /healthz endpoint on 127.0.0.1:KIJI_METRICS_PORT, if one is set."""
    if settings.metrics_port is None:
        yield None
        return
    server = MetricsServer(registry, port=settings.metrics_port, health=db_health(settings.db_path))
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _run_bot(
    settings: BotSettings,
    core: CoreSettings,
    db: Path | str,
    tokenizer: JapaneseTokenizer,
    metrics: KijiMetrics,
) -> int:
    from bot.client import NewsBot
    from bot.poster import DiscordDigestPoster
    from bot.scheduler import DigestScheduler
    from bot.state.settings import SettingsStore
    from bot.worker import open_workers
    from index.digest.digest import build_digest

    # KIJI_STATE_DB: the settings, the schedules and the exactly-once log on PostgreSQL, shared
    # by every host; else in the kiji database (its file, or its PostgreSQL database)
    state = settings.state_db or db
    async with (
        open_workers(settings, core, tokenizer) as (reader, writer),
        await SettingsStore.open(state) as guild_settings,
    ):
        bot = NewsBot(
            settings=settings,
            guild_settings=guild_settings,
            index=reader,
            writer=writer,
            metrics=metrics,
        )

        def build(day, zone, categories):  # called in a worker thread by the scheduler
            return reader.call(
                lambda ctx: build_digest(
                    ctx.store, day, zone, categories=categories, tokenizer=ctx.tokenizer
                )
            )

        scheduler = DigestScheduler(
            state, build, DiscordDigestPoster(bot), clock=bot.clock, metrics=metrics
        )
        async with scheduler, bot:
            bot.scheduler = scheduler
            install_signal_handlers(bot)
            try:
                await bot.start(settings.token)
            except discord.LoginFailure:
                return _fail(t(cli_lang(), "run_token_rejected"))
            except discord.PrivilegedIntentsRequired:
                return _fail(t(cli_lang(), "run_intents_refused"))
    log.info("kiji stopped")
    return 0


def install_signal_handlers(bot: NewsBot, grace: float = SHUTDOWN_GRACE) -> None:
    """SIGINT/SIGTERM: stop taking new interactions, finish or answer the ones in flight
    within ``grace`` seconds, then close (bot/shutdown.py). A second signal changes nothing."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, lambda s=sig: _shutdown(bot, s, grace))


def _shutdown(bot: NewsBot, sig: signal.Signals, grace: float) -> None:
    if bot.inflight.draining:
        return
    log.info("received %s, shutting down", sig.name)
    bot.shutdown_task = asyncio.get_running_loop().create_task(
        graceful_close(bot, bot.inflight, grace)
    )


def run(db_path: Path | str | None = None, env: Mapping[str, str] | None = None) -> int:
    """``kiji run``: the bot, or a one-line explanation when it cannot start."""
    env = dict(load_env() if env is None else env)
    if db_path is not None:
        env["KIJI_DB"] = str(db_path)
    try:
        settings = BotSettings.from_env(env)
    except ConfigError as e:
        return _fail(e)
    configure_logging(settings.log_level, as_json=settings.log_json)
    tune_gc()  # also for `python -m bot`, which does not pass through the command line
    try:
        return asyncio.run(run_bot(settings, CoreSettings.from_env(env)))
    except NewsIndexError as e:
        return _fail(e)
    except KeyboardInterrupt:
        return 130


# --------------------------------------------------------------------------- kiji sync / commands


async def _offline_bot(settings: BotSettings):
    from bot.client import NewsBot

    bot = NewsBot(settings=settings, guild_settings=None, index=None, background_tasks=False)
    await bot.install()
    return bot


async def command_payloads(settings: BotSettings) -> list[dict[str, object]]:
    """The application-command payloads a sync would send (no network, no database)."""
    bot = await _offline_bot(settings)
    return await bot.command_payloads()


def commands_json(env: Mapping[str, str] | None = None, *, as_json: bool = True) -> int:
    """``kiji commands [--json]``: print the payloads (JSON) or a summary: each command's name,
    its Japanese name and its description in the command line's language."""
    env = dict(load_env() if env is None else env)
    try:
        settings = BotSettings.from_env(env, require_token=False)
    except ConfigError as e:
        return _fail(e)
    payloads = asyncio.run(command_payloads(settings))
    if as_json:
        print(json.dumps(payloads, ensure_ascii=False, indent=2))
        return 0
    lang = cli_lang()
    for p in payloads:
        print(_command_line(p, lang))
        for o in p.get("options", []):  # type: ignore[union-attr]
            if o.get("type") in (1, 2):  # subcommands and groups
                print(f"  {_command_line(o, lang)}")
    return 0


def _command_line(payload: Mapping[str, Any], lang: Lang) -> str:
    """``name  名前  description`` of a command payload, the description in ``lang`` (the
    Japanese one Discord is given, or the English one)."""
    ja_name = (payload.get("name_localizations") or {}).get("ja", "")
    description = payload.get("description", "")
    if lang == "ja":
        description = (payload.get("description_localizations") or {}).get("ja", description)
    return f"{payload['name']:<10} {ja_name:<12} {description}"


async def sync_commands(settings: BotSettings, guild_id: int | None) -> int:
    from bot.client import NewsBot

    bot = NewsBot(settings=settings, guild_settings=None, index=None, background_tasks=False)
    async with bot:
        try:
            await bot.login(settings.token)  # HTTP only; setup_hook installs the commands
        except discord.LoginFailure:
            return _fail(t(cli_lang(), "run_token_rejected"))
        if guild_id is not None:
            guild = discord.Object(guild_id)
            bot.tree.copy_global_to(guild=guild)
            synced = await bot.tree.sync(guild=guild)
            where = t(cli_lang(), "sync_where_guild", guild=guild_id)
        else:
            synced = await bot.tree.sync()
            where = t(cli_lang(), "sync_where_global")
    names = ", ".join(c.name for c in synced)
    print(t(cli_lang(), "sync_done", n=len(synced), where=where, names=names))
    return 0


def sync(guild_id: int | None, *, use_global: bool, env: Mapping[str, str] | None = None) -> int:
    """``kiji sync [--guild ID | --global]``: the dev guild (KIJI_DEV_GUILD_ID) by default."""
    env = dict(load_env() if env is None else env)
    try:
        settings = BotSettings.from_env(env)
    except ConfigError as e:
        return _fail(e)
    configure_logging(settings.log_level, as_json=settings.log_json)
    target = None if use_global else (guild_id or settings.dev_guild_id)
    try:
        return asyncio.run(sync_commands(settings, target))
    except discord.HTTPException as e:
        return _fail(t(cli_lang(), "sync_refused", status=e.status, text=e.text[:200]))


def main(argv: list[str] | None = None) -> int:
    parser = KijiParser(prog="python -m bot", description="Run the kiji Discord bot.")
    parser.add_argument("--db", help="kiji database file or postgresql:// URL (default: $KIJI_DB)")
    args = parser.parse_args(argv)
    try:
        db = index_db_location(args.db) if args.db else None
    except UnsupportedDatabase as e:
        return _fail(e)
    if isinstance(db, Path):
        db = db.resolve()
    return run(db)


if __name__ == "__main__":
    sys.exit(main())
