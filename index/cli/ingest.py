"""``kiji ingest``: add articles from files and directories, and say what was rejected."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from index.messages import Lang, t
from index.models import Rejection
from index.sanitize import printable


def register(sub: argparse._SubParsersAction) -> None:
    common = sub.common  # type: ignore[attr-defined]  # the shared options (index.cli.main)
    p = sub.add_parser("ingest", parents=[common], help="add articles from files or directories")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--format", choices=("jsonl", "explainer", "livedoor", "feed", "html"))
    p.add_argument("--workers", type=int, default=None, help="tokenising processes (default: CPUs)")
    p.add_argument("--batch-size", type=int, default=5000, help="articles per transaction")
    p.add_argument(
        "--nice",
        type=int,
        default=10,
        metavar="N",
        help="lower the tokenising workers' CPU priority by N (default 10; 0: normal priority)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_ingest)


def cmd_ingest(args: argparse.Namespace) -> int:
    from index.cli.main import open_core
    from index.ingest.ingest import ingest_paths

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        paths = ", ".join(map(str, missing))
        print(t(args.lang, "ingest_no_such_path", paths=paths), file=sys.stderr)
        return 2
    if args.batch_size < 1 or not 0 <= args.nice <= 19:
        print(t(args.lang, "ingest_bad_options"), file=sys.stderr)
        return 2
    store, tokenizer, _ = open_core(args)
    try:
        report = ingest_paths(
            store,
            tokenizer,
            args.paths,
            fmt=args.format,
            workers=args.workers,
            progress=sys.stderr.isatty(),
            batch_size=args.batch_size,
            niceness=args.nice,
            lang=args.lang,
        )
    finally:
        store.close()
    if args.json:
        print(
            json.dumps(
                {
                    "added": report.added,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "rejected": [_rejection_dict(r, args.lang) for r in report.rejected],
                    "rejected_count": report.rejected_count,
                    "skipped": [_rejection_dict(r, args.lang) for r in report.skipped],
                    "passages": report.passages,
                    "chars": report.chars,
                    "seconds": round(report.seconds, 3),
                },
                ensure_ascii=False,
            )
        )
    else:
        _print_ingest_report(report, args.lang)
    return 1 if report.rejected else 0


def _rejection_dict(r: Rejection, lang: Lang) -> dict[str, object]:
    """A rejection in ``--json``: ``code`` (the catalogue key, stable; null for a reason given
    as text), ``reason`` in English as before, and ``message`` in the user's language."""
    return {"where": r.where, "code": r.code, "reason": r.reason, "message": r.text(lang)}


# Below this many characters an ingest is too short for its rate to mean anything.
RATE_MIN_CHARS = 100_000


def _print_ingest_report(report, lang: Lang) -> None:
    """What was skipped and rejected (the first 50 of each) on stderr, then one summary line."""
    for r in report.skipped[:50]:
        reason = printable(r.text(lang))
        print(t(lang, "ingest_skipped", where=printable(r.where), reason=reason), file=sys.stderr)
    if len(report.skipped) > 50:
        print(t(lang, "ingest_more_skipped", n=len(report.skipped) - 50), file=sys.stderr)
    for r in report.rejected[:50]:
        reason = printable(r.text(lang))
        print(t(lang, "ingest_rejected", where=printable(r.where), reason=reason), file=sys.stderr)
    if report.rejected_count > 50:
        print(t(lang, "ingest_more_rejected", n=report.rejected_count - 50), file=sys.stderr)
    summary = t(
        lang,
        "ingest_summary",
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected_count,
        passages=report.passages,
        throughput=_throughput(report.chars, report.seconds, lang),
    )
    print(summary)


def _throughput(chars: int, seconds: float, lang: Lang) -> str:
    """``1,234 chars in 0.3 s``, with the rate in M chars/s only for an ingest big enough."""
    text = t(lang, "ingest_throughput", chars=chars, seconds=seconds)
    if chars >= RATE_MIN_CHARS and seconds > 0:
        text += t(lang, "ingest_rate", rate=chars / seconds / 1e6)
    return text
