"""`kiji digest`: print the digest of one day as plain text, Markdown or JSON."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from index.digest.digest import DEFAULT_TZ, build_digest, display_time, empty_digest_message
from index.errors import NewsIndexError
from index.messages import Lang, t
from index.models import Digest, DigestItem
from index.sanitize import printable
from index.store.store import IndexStore

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``digest`` subcommand to the CLI's subparsers (handler in ``handler``)."""
    p = sub.add_parser(
        "digest",
        parents=[getattr(sub, "common")] if hasattr(sub, "common") else [],  # noqa: B009
        help="print the news digest of one day",
        description="Articles published on one calendar day, grouped by category, with summaries.",
    )
    p.add_argument("--date", help="the day, YYYY-MM-DD (default: today in --tz)")
    p.add_argument("--tz", default=DEFAULT_TZ, help="time zone of the day (default %(default)s)")
    p.add_argument(
        "--category",
        action="append",
        dest="categories",
        metavar="C",
        help="only this category (repeatable; その他 = articles without one)",
    )
    p.add_argument("--max", type=int, default=30, dest="max_items", help="at most N articles")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_const", const="json", dest="format")
    fmt.add_argument("--markdown", action="store_const", const="markdown", dest="format")
    p.set_defaults(handler=handler, func=handler, format="text")


def handler(args: argparse.Namespace) -> int:
    """Run ``kiji digest``: 0 (also for an empty day), 1 for a database problem, 2 for bad input.

    Reads ``args.db`` (a resolved Path) and, for tests, ``args.now`` (an aware datetime) in place
    of the system clock.
    """
    try:
        tz = ZoneInfo(args.tz)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError; "../x" a ValueError
        print(t(args.lang, "digest_bad_tz", tz=args.tz), file=sys.stderr)
        return 2
    if args.date is None:
        now = getattr(args, "now", None) or datetime.now(UTC)
        day = now.astimezone(tz).date()
    else:
        try:
            if not _DATE.fullmatch(args.date):
                raise ValueError
            day = date.fromisoformat(args.date)
        except ValueError:
            print(t(args.lang, "digest_bad_date", date=args.date), file=sys.stderr)
            return 2
    if args.max_items < 1:
        print(t(args.lang, "digest_bad_max"), file=sys.stderr)
        return 2
    try:
        with IndexStore.open(args.db, create=False, readonly=True) as store:
            digest = build_digest(
                store, day, tz, categories=args.categories, max_items=args.max_items
            )
    except NewsIndexError as e:
        print(t(args.lang, "digest_error", detail=e), file=sys.stderr)
        return 1
    render = {"json": to_json, "markdown": to_markdown}.get(args.format, to_text)
    print(render(digest, tz, args.lang))
    return 0


def _local(item: DigestItem, tz: ZoneInfo) -> datetime | None:
    return item.published_at.astimezone(tz) if item.published_at else None


def _count(digest: Digest) -> int:
    return sum(len(s.items) for s in digest.sections)


def to_json(digest: Digest, tz: ZoneInfo, lang: Lang = "ja") -> str:
    """``{"date", "tz", "sections": [{"name", "items": [...]}]}``, times in ``tz`` (no text to
    translate: ``lang`` is taken only to match the other renderings)."""
    payload = {
        "date": digest.date,
        "tz": digest.tz,
        "sections": [
            {
                "name": section.name,
                "items": [
                    {
                        "article_id": item.article_id,
                        "title": item.title,
                        "url": item.url,
                        "published_at": (t.isoformat() if (t := _local(item, tz)) else None),
                        "summary": item.summary,
                    }
                    for item in section.items
                ],
            }
            for section in digest.sections
        ],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def to_text(digest: Digest, tz: ZoneInfo, lang: Lang = "ja") -> str:
    if digest.is_empty:
        return empty_digest_message(digest, lang)
    heading = t(lang, "digest_heading_count", date=digest.date, tz=digest.tz, n=_count(digest))
    lines = [heading]
    for section in digest.sections:
        lines.append("")
        name = printable(section.name)
        lines.append("■ " + t(lang, "digest_section", name=name, n=len(section.items)))
        for item in section.items:
            when = display_time(item.published_at, tz)
            title = printable(item.title)
            lines.append(f"・{when} {title}" if when else f"・{title}")
            if item.summary:
                lines.append(f"  {printable(item.summary)}")
            if item.url:
                lines.append(f"  {printable(item.url)}")
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", printable(text))


def to_markdown(digest: Digest, tz: ZoneInfo, lang: Lang = "ja") -> str:
    lines = ["# " + t(lang, "digest_heading", date=digest.date, tz=digest.tz), ""]
    if digest.is_empty:
        lines.append(empty_digest_message(digest, lang))
        return "\n".join(lines)
    for section in digest.sections:
        name = _md_escape(section.name)
        lines.append("## " + t(lang, "digest_section", name=name, n=len(section.items)))
        lines.append("")
        for item in section.items:
            title = _md_escape(item.title)
            linked = f"[{title}](<{item.url}>)" if item.url else title
            when = display_time(item.published_at, tz)
            lines.append(f"- **{linked}** — {when}" if when else f"- **{linked}**")
            if item.summary:
                lines.append(f"  {_md_escape(item.summary)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
