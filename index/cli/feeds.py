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


def _fail(message: str) -> int:
    print(f"kiji: {message}", file=sys.stderr)
    return 2


def cmd_add(args: argparse.Namespace) -> int:
    manager = _manager(args, tokenizer=False)
    try:
        status = manager.add(args.url)
    except FeedError as e:
        return _fail(str(e))
    finally:
        manager.store.close()
    print(f"購読を追加 subscribed: {status.url}")
    print("次の `kiji feeds poll` で取得します (fetched on the next poll).")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    manager = _manager(args, tokenizer=False)
    try:
        manager.remove(args.url)
    except FeedError as e:
        return _fail(str(e))
    finally:
        manager.store.close()
    print(f"購読を解除 unsubscribed: {args.url.strip()} (取り込み済みの記事は残ります)")
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
                "last_error": f.last_error,
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
    if not feeds:
        print("購読中のフィードはありません (no feeds; add one with `kiji feeds add URL`).")
        return 0
    for f in feeds:
        state = "OK" if f.error_count == 0 else f"エラー error ×{f.error_count}"
        print(f"{f.url}  [{state}]")
        print(f"  タイトル title      {f.title or '-'}")
        print(f"  最終成功 last ok    {_when(f.last_success_at)}")
        print(f"  次回 next poll      {_when(f.next_poll_at)}")
        print(f"  取り込み ingested   {f.items_ingested} (seen {f.items_seen})")
        if f.last_error:
            print(f"  最後のエラー error  {f.last_error}")
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    manager = _manager(args, tokenizer=True)
    try:
        results = manager.poll(args.url, force=args.force)
    except FeedError as e:
        return _fail(str(e))
    finally:
        manager.store.close()
    if not results:
        print("購読中のフィードはありません (no feeds to poll).")
        return 0
    failed = False
    for r in results:
        if r.status == "error":
            failed = True
            print(f"{r.url}: エラー error: {r.error} (next try {_when(r.next_poll_at)})")
        elif r.status == "not_due":
            print(f"{r.url}: まだ (not due until {_when(r.next_poll_at)}; use --force)")
        elif r.status == "not_modified":
            print(f"{r.url}: 更新なし not modified")
        else:
            extra = f", {r.deferred} deferred" if r.deferred else ""
            print(
                f"{r.url}: 新規 new {r.new} / 更新 updated {r.updated} / "
                f"変更なし unchanged {r.unchanged} / 除外 rejected {r.rejected}{extra}"
            )
        for rej in r.rejections:
            failed = True
            print(f"  除外 rejected  {rej.where}: {rej.reason}", file=sys.stderr)
    return 1 if failed else 0
