"""The ``kiji`` command line: a thin adapter over the core (exit 0 ok, 1 partial failure, 2 usage).

The core's subcommands only: the ``kiji`` console script (``bot/cli.py``) passes the bot's
``register`` as a plugin, so this package never names ``bot``. Library errors (:class:`~index.errors.NewsIndexError`) become one-line messages on stderr;
tracebacks only with ``--verbose``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from index import __version__
from index.cli import answer as cli_answer
from index.cli import digest as cli_digest
from index.cli import eval as cli_eval
from index.cli import feedback as cli_feedback
from index.cli import feeds as cli_feeds
from index.cli import ingest as cli_ingest
from index.cli import ops as cli_ops
from index.cli.args import positive_int
from index.cli.location import (
    PG_NOT_YET,
    READ_COMMANDS,
    is_pg_error,
    resolve_db,
    resolve_read_db,
)
from index.cli.parser import KijiParser
from index.cli.user_input import input_lines, utf8_problem
from index.config import CoreSettings, is_postgres_url, redacted
from index.errors import InvalidQuery, NewsIndexError
from index.messages import Lang, lang_from_env, t
from index.ops.memory import tune_gc
from index.sanitize import printable

log = logging.getLogger(__name__)

# Adds subcommands to the ``kiji`` subparsers (``args.db`` is a Path by the time they run).
Register = Callable[[argparse._SubParsersAction], None]

# Subcommand groups written as their own modules; each has ``register(subparsers)``.
_COMMANDS: tuple[Register, ...] = (
    cli_answer.register,
    cli_eval.register,
    cli_feedback.register,
    cli_feeds.register,
    cli_digest.register,
    cli_ops.register,
)


def _load_env() -> None:
    try:
        from dotenv import load_dotenv
    except ImportError:  # pragma: no cover - python-dotenv is a dependency
        return
    load_dotenv(Path.cwd() / ".env", override=False)


def build_parser(plugins: Sequence[Register] = (), lang: Lang | None = None) -> KijiParser:
    """The ``kiji`` parser: the core's subcommands, then those that ``plugins`` add; its help
    in ``lang`` (default: the locale's)."""
    parser = KijiParser(
        lang=lang,
        prog="kiji",
        description="kiji (記事): answers Japanese questions about news articles, with citations.",
    )
    parser.add_argument("--version", action="version", version=f"kiji {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        help="database file (default: $KIJI_DB or ~/.local/share/kiji/kiji.db), "
        "or a postgresql://user@host:port/db URL",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.common = common  # type: ignore[attr-defined]  # plugins reuse the shared options

    cli_ingest.register(sub)  # first in --help

    p = sub.add_parser(
        "search", parents=[common], help="rank passages for a query (JSON lines on stdin)"
    )
    p.add_argument("query", nargs="?", help="the query; without it, one query per line on stdin")
    p.add_argument("-k", type=positive_int, default=10, help="number of hits (default 10)")
    p.add_argument("--json", action="store_true", help="JSON output (always on for stdin queries)")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("stats", parents=[common], help="articles, passages, terms, size on disk")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser(
        "optimize", parents=[common], help="merge index segments (--full purges deletions)"
    )
    p.add_argument("--full", action="store_true")
    p.set_defaults(func=cmd_optimize)

    p = sub.add_parser("delete", parents=[common], help="delete articles by id")
    p.add_argument("ids", nargs="+")
    p.set_defaults(func=cmd_delete)

    for register in (*_COMMANDS, *plugins):
        register(sub)
    return parser


def open_core(args: argparse.Namespace, *, create: bool = True):
    """(store, tokenizer, settings) for a command."""
    from index.analysis.tokenizer import JapaneseTokenizer
    from index.store.store import IndexStore

    settings = CoreSettings.from_env()
    store = IndexStore.open(args.db, create=create)
    return store, JapaneseTokenizer(mode=settings.split_mode), settings


# ---------------------------------------------------------------------------------- commands
def _hit_dict(hit) -> dict:
    return {
        "article_id": hit.article_id,
        "url": hit.url,
        "title": hit.title,
        "published_at": hit.published_at.isoformat() if hit.published_at else None,
        "passage_id": hit.passage_id,
        "heading": hit.heading,
        "score": round(hit.score, 6),
        "text": hit.text,
    }


def cmd_search(args: argparse.Namespace) -> int:
    from index.search.search import Searcher

    store, tokenizer, settings = open_core(args, create=False)
    searcher = Searcher(store, tokenizer, settings.bm25, fusion_params=settings.fusion)
    status = 0
    try:
        if args.query is not None:
            result = searcher.search(args.query, args.k)
            if args.json:
                print(json.dumps(_result_dict(result), ensure_ascii=False))
            else:
                _print_hits(result, args.lang)
            return 0
        for line in input_lines(sys.stdin, args.lang):
            query = line.text
            if not query.strip() and line.error is None:
                continue
            try:
                if line.error is not None:
                    raise InvalidQuery(line.error, "not_utf8")
                result = searcher.search(query, args.k)
                print(json.dumps(_result_dict(result), ensure_ascii=False), flush=True)
            except InvalidQuery as e:
                status = 1
                print(
                    json.dumps(
                        {"query": query, "took_ms": 0, "hits": [], "error": e.text(args.lang)},
                        ensure_ascii=False,
                    ),
                    flush=True,
                )
    finally:
        store.close()
    return status


def _result_dict(result) -> dict:
    return {
        "query": result.query,
        "took_ms": round(result.took_ms, 3),
        "hits": [_hit_dict(h) for h in result.hits],
    }


def _print_hits(result, lang: Lang) -> None:
    if not result.hits:
        print(t(lang, "cli_search_no_hits", ms=result.took_ms))
        return
    for i, h in enumerate(result.hits, 1):
        date = (
            h.published_at.date().isoformat() if h.published_at else t(lang, "cli_search_no_date")
        )
        heading = f" › {printable(h.heading)}" if h.heading else ""
        print(f"{i}. [{h.score:.3f}] {printable(h.title)}{heading} ({date}) {printable(h.url)}")
        text = h.text.replace("\n", " ")
        print(f"   {printable(text[:160])}{'…' if len(text) > 160 else ''}")
    print(t(lang, "cli_search_footer", n=len(result.hits), ms=result.took_ms))


def cmd_stats(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from index.store.feedback_store import FeedbackStore

    store, _, _ = open_core(args, create=False)
    try:
        stats = store.stats()
        helpful = FeedbackStore(store).helpful_rate(datetime.now(UTC) - timedelta(days=7))
    finally:
        store.close()
    stats["path"] = redacted(args.db)  # type: ignore[assignment]
    rate = None if helpful.rate is None else round(helpful.rate, 4)
    stats["helpful_7d"] = {"up": helpful.up, "down": helpful.down, "rate": rate}  # type: ignore[assignment]
    if args.json:
        print(json.dumps(stats, ensure_ascii=False))
    else:
        lang = args.lang
        print(t(lang, "cli_stats_database", path=redacted(args.db)))
        print(t(lang, "cli_stats_articles", articles=stats["articles"], stubs=stats["stubs"]))
        print(t(lang, "cli_stats_passages", n=stats["passages"]))
        print(t(lang, "cli_stats_terms", n=stats["terms"]))
        print(t(lang, "cli_stats_segments", n=stats["segments"]))
        print(t(lang, "cli_stats_size", mb=int(stats["size_bytes"]) / 1e6))
        print(t(lang, "cli_stats_schema", version=stats["schema_version"]))
        if helpful.rate is None:
            print(t(lang, "cli_stats_helpful_none"))
        else:
            up, down = helpful.up, helpful.down
            print(t(lang, "cli_stats_helpful", rate=helpful.rate, up=up, down=down))
    return 0


def cmd_optimize(args: argparse.Namespace) -> int:
    from index.store.backfill import backfill_signals
    from index.store.writer import merge_segments

    store, tokenizer, _ = open_core(args, create=False)
    try:
        t0 = time.perf_counter()
        filled = backfill_signals(store, tokenizer)  # fusion postings of pre-schema-3 passages
        if filled:
            print(t(args.lang, "optimize_backfilled", n=filled))
        n = merge_segments(store, full=args.full)
        store.checkpoint("TRUNCATE")
    finally:
        store.close()
    print(t(args.lang, "optimize_merged", n=n, seconds=time.perf_counter() - t0))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    store, tokenizer, _ = open_core(args, create=False)
    missing = 0
    try:
        for article_id in args.ids:
            if store.delete_article(article_id, tokenizer):
                print(t(args.lang, "delete_done", id=article_id))
            else:
                missing += 1
                print(t(args.lang, "delete_missing", id=article_id), file=sys.stderr)
    finally:
        store.close()
    return 1 if missing else 0


def _default_command() -> list[str]:
    """The command line alone: the terminal chat (the ``kiji`` script may run the bot instead)."""
    return ["chat"]


def _utf8_output() -> None:
    """Japanese and JSON go out as UTF-8 even under an ASCII locale (LANG=C), and text that cannot
    be encoded (a path holding bytes that were not UTF-8) is escaped instead of crashing."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        encoding = (getattr(stream, "encoding", "") or "").lower().replace("_", "-")
        try:
            if encoding in ("utf-8", "utf8"):
                reconfigure(errors="backslashreplace")
            else:
                reconfigure(encoding="utf-8", errors="backslashreplace")
        except (ValueError, OSError):  # pragma: no cover - a stream that cannot change
            pass


def main(
    argv: list[str] | None = None,
    *,
    plugins: Sequence[Register] = (),
    default: Callable[[], list[str]] = _default_command,
) -> int:
    """Run one ``kiji`` command: the core's, or one that ``plugins`` add; without arguments,
    ``default()`` (called once ``.env`` is loaded)."""
    _load_env()
    _utf8_output()
    tune_gc()  # a command that answers questions makes many short-lived objects
    lang = lang_from_env(os.environ)
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(plugins, lang)
    if not argv:
        argv = default()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 on --help
        return int(e.code or 0)
    func = getattr(args, "func", None) or getattr(args, "handler", None)
    if func is None:
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for name, value in vars(args).items():  # text arguments; paths may hold any bytes
        values = value if isinstance(value, list) else [value]
        for text in values:
            problem = utf8_problem(text, lang) if isinstance(text, str) else None
            if problem is not None:
                print(t(lang, "cli_bad_argument", name=name, problem=problem), file=sys.stderr)
                return 2
    args.lang = lang
    try:
        read_db = resolve_read_db(args, os.environ)
        args.db = resolve_db(args)
        args.read_db = read_db or args.db  # KIJI_DB_READ: a replica for the reads
        if args.command in READ_COMMANDS:
            args.db = args.read_db
        if is_postgres_url(args.db) and args.command in PG_NOT_YET:
            print(
                t(lang, "cli_error", detail=t(lang, "pg_not_yet", command=args.command)),
                file=sys.stderr,
            )
            return 2
        return int(func(args) or 0)
    except NewsIndexError as e:
        if getattr(args, "verbose", False):
            raise
        print(t(lang, "cli_error", detail=e.text(lang)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(t(lang, "cli_interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # disk full, I/O errors, a lost server: one line, exit 1
        if not isinstance(e, sqlite3.Error | OSError) and not is_pg_error(e):
            raise
        if getattr(args, "verbose", False):
            raise
        from index.ops.ops import storage_problem

        where = f" ({e.filename})" if isinstance(e, OSError) and e.filename else ""
        problem = storage_problem(e)
        print(
            t(lang, "cli_storage_failed", command=args.command, problem=problem, where=where),
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
