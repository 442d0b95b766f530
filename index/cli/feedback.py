"""``kiji feedback export``: the votes on answers as an eval question file (see index/answer/feedback.py)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from index.answer.feedback import dumps, eval_records
from index.config import CoreSettings
from index.errors import NewsIndexError
from index.messages import t
from index.store.feedback_store import FeedbackStore
from index.store.store import IndexStore

EXIT_OK = 0
EXIT_ERROR = 1


def _since(value: str) -> datetime:
    """An ISO date (midnight in kiji's timezone) or date-time (with or without offset)."""
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(
            f"not an ISO date: {value!r} (e.g. 2026-11-01 or 2026-11-01T09:00+09:00)"
        ) from e
    if dt.tzinfo is None:
        tz = ZoneInfo(CoreSettings.from_env().timezone)
        dt = datetime.combine(dt.date(), dt.time() if "T" in value else time(), tz)
    return dt


def register(sub: argparse._SubParsersAction) -> None:
    parents = [getattr(sub, "common")] if hasattr(sub, "common") else []  # noqa: B009
    feedback = sub.add_parser(
        "feedback",
        help="the 👍/👎 votes on answers",
        description="Votes cast on answers in Discord (buttons) and in `kiji chat` (+ / -).",
    )
    actions = feedback.add_subparsers(dest="feedback_command", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        parents=parents,
        help="write the votes as an eval question file (JSON lines, for `kiji eval`)",
        description="Write one question per voted answer in the format of "
        "livedoor-dev/questions.jsonl: a helpful answer's first excerpt becomes the gold article "
        "and expected text.",
    )
    export.add_argument("--out", type=Path, help="write to this file (default: standard output)")
    export.add_argument(
        "--since", type=_since, metavar="DATE", help="only votes cast on or after DATE (ISO)"
    )
    export.add_argument(
        "--include-negative",
        action="store_true",
        help='also write 👎 answers, as lines with "vote": "down" and gold null (to review)',
    )
    export.set_defaults(handler=export_command, func=export_command)


def export_command(args: argparse.Namespace) -> int:
    db = args.db if getattr(args, "db", None) else CoreSettings.from_env().db_path
    try:
        store = IndexStore.open(db, create=False)
    except NewsIndexError as e:
        print(t(args.lang, "cli_error", detail=e.text(args.lang)), file=sys.stderr)
        return EXIT_ERROR
    with store:
        answers = FeedbackStore(store).voted_answers(args.since)
    records = eval_records(answers, include_negative=args.include_negative)
    text = dumps(records)
    if args.out is not None:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(text, encoding="utf-8")
        except OSError as e:
            error = e.strerror or e
            print(
                t(args.lang, "feedback_cannot_write", path=args.out, error=error), file=sys.stderr
            )
            return EXIT_ERROR
    else:
        sys.stdout.write(text)
    up = sum(1 for r in records if r["vote"] == "up")
    down = len(records) - up
    where = t(args.lang, "feedback_exported_to", path=args.out) if args.out is not None else ""
    n, voted = len(records), len(answers)
    done = t(args.lang, "feedback_exported", n=n, up=up, down=down, answers=voted, where=where)
    print(done, file=sys.stderr)
    return EXIT_OK
