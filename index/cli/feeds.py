"""The ``kiji feeds`` commands: add, list, remove and poll RSS/Atom subscriptions."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from index.config import CoreSettings
from index.errors import FeedError
from index.ingest.fetch import (
    ALLOW_PRIVATE_ENV,  # set to 1 to allow intranet (private) feed servers
)
from index.messages import Lang, t


def register(sub) -> None:
    """Add the ``feeds`` command group to the ``kiji`` subparsers."""
    parents = [sub.common] if hasattr(sub, "common") else []
    feeds = sub.add_parser("feeds", help="RSS/Atom feed subscriptions (add, list, remove, poll)")
    actions = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    feeds.set_defaults(func=lambda args: _usage(feeds))

    p = actions.add_parser("add", parents=parents, help="subscribe to a feed URL")
    p.add_argument("url", metavar="URL")
    p.set_defaults(func=cmd_add)

    p = actions.add_parser("list", parents=parents, help="subscriptions and their polling state")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = actions.add_parser("remove", parents=parents, help="unsubscribe (articles stay indexed)")
    p.add_argument("url", metavar="URL")
    p.set_defaults(func=cmd_remove)

    p = actions.add_parser("poll", parents=parents, help="fetch due feeds (or URL) and ingest")
    p.add_argument("url", nargs="?", metavar="URL")
    p.add_argument(
        "--force",
        action="store_true",
        help="poll now, ignoring the schedule and ETag/Last-Modified",
    )
    p.set_defaults(func=cmd_poll)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _manager(args: argparse.Namespace, *, tokenizer: bool):
    from index.analysis.tokenizer import JapaneseTokenizer
    from index.ingest.feeds import FeedManager
    from index.ingest.fetch import Fetcher
    from index.store.store import IndexStore

    store = IndexStore.open(args.db)
    tok = JapaneseTokenizer(mode=CoreSettings.from_env().split_mode) if tokenizer else None
    fetcher = Fetcher(allow_private=os.environ.get(ALLOW_PRIVATE_ENV) == "1")
    return FeedManager(store, tok, clock=lambda: datetime.now(UTC), fetcher=fetcher)


def _fail(message: str, lang: Lang) -> int:
    print(t(lang, "cli_error", detail=message), file=sys.stderr)
    return 2


def cmd_add(args: argparse.Namespace) -> int:
    manager = _manager(args, tokenizer=False)
    try:
        status = manager.add(args.url)
    except FeedError as e:
        return _fail(e.text(args.lang), args.lang)
    finally:
        manager.store.close()
    print(t(args.lang, "cli_feeds_subscribed", url=status.url))
    print(t(args.lang, "cli_feeds_next_poll"))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    manager = _manager(args, tokenizer=False)
    try:
        manager.remove(args.url)
    except FeedError as e:
        return _fail(e.text(args.lang), args.lang)
    finally:
        manager.store.close()
    print(t(args.lang, "cli_feeds_unsubscribed", url=args.url.strip()))
    return 0


def _when(value: datetime | None) -> str:
    """A feed time in the zone of every other kiji date (KIJI_TZ, default Asia/Tokyo)."""
    if value is None:
        return "-"
    return value.astimezone(ZoneInfo(CoreSettings.from_env().timezone)).strftime(
        "%Y-%m-%d %H:%M %Z"
    )


def cmd_list(args: argparse.Namespace) -> int:
    manager = _manager(args, tokenizer=False)
    try:
        feeds = manager.list()
    finally:
        manager.store.close()
    if args.json:
        rows = [
            {
                "url": f.url,
                "title": f.title,
                "added_at": f.added_at.isoformat(),
                "last_polled_at": f.last_polled_at.isoformat() if f.last_polled_at else None,
                "last_success_at": f.last_success_at.isoformat() if f.last_success_at else None,
                "last_error": f.error_text("en"),
                "last_error_code": f.error_code,
                "last_error_message": f.error_text(args.lang),
                "error_count": f.error_count,
                "next_poll_at": f.next_poll_at.isoformat() if f.next_poll_at else None,
                "items_ingested": f.items_ingested,
                "items_seen": f.items_seen,
                "guild_id": f.guild_id,
            }
            for f in feeds
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    lang = args.lang
    if not feeds:
        print(t(lang, "cli_feeds_none"))
        return 0
    for f in feeds:
        state = (
            t(lang, "cli_feeds_state_ok")
            if f.error_count == 0
            else t(lang, "cli_feeds_state_error", n=f.error_count)
        )
        print(f"{f.url}  [{state}]")
        print(t(lang, "cli_feeds_title", title=f.title or "-"))
        print(t(lang, "cli_feeds_last_ok", when=_when(f.last_success_at)))
        print(t(lang, "cli_feeds_next", when=_when(f.next_poll_at)))
        print(t(lang, "cli_feeds_ingested", n=f.items_ingested, seen=f.items_seen))
        if f.last_error:
            print(t(lang, "cli_feeds_last_error", error=f.error_text(lang)))
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    manager = _manager(args, tokenizer=True)
    try:
        results = manager.poll(args.url, force=args.force)
    except FeedError as e:
        return _fail(e.text(args.lang), args.lang)
    finally:
        manager.store.close()
    lang = args.lang
    if not results:
        print(t(lang, "cli_feeds_none_to_poll"))
        return 0
    failed = False
    for r in results:
        when = _when(r.next_poll_at)
        if r.status == "error":
            failed = True
            error = r.error_text(lang)
            print(t(lang, "cli_feeds_poll_error", url=r.url, error=error, when=when))
        elif r.status == "not_due":
            print(t(lang, "cli_feeds_poll_not_due", url=r.url, when=when))
        elif r.status == "not_modified":
            print(t(lang, "cli_feeds_poll_not_modified", url=r.url))
        else:
            extra = t(lang, "cli_feeds_poll_deferred", n=r.deferred) if r.deferred else ""
            counts = {"new": r.new, "updated": r.updated, "unchanged": r.unchanged}
            done = t(lang, "cli_feeds_poll_done", url=r.url, rejected=r.rejected, **counts)
            print(done + extra)
        for rej in r.rejections:
            failed = True
            print(
                "  " + t(lang, "ingest_rejected", where=rej.where, reason=rej.text(lang)),
                file=sys.stderr,
            )
    return 1 if failed else 0
