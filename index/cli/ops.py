"""``kiji backup|restore|check|doctor``: operating a kiji database safely."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from index.config import CoreSettings
from index.errors import DatabaseError, NewsIndexError

# Bot tokens are three base64url parts joined by dots (user id . timestamp . HMAC).
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}$")

# What the bot needs in a channel (see README → Discord setup).
REQUIRED_PERMISSIONS = (
    "View Channels",
    "Send Messages",
    "Send Messages in Threads",
    "Embed Links",
    "Read Message History",
)


def register(sub: argparse._SubParsersAction) -> None:
    common = sub.common  # type: ignore[attr-defined]
    p = sub.add_parser(
        "backup", parents=[common], help="online backup of the database (bot may run)"
    )
    p.add_argument(
        "dest", type=Path, metavar="PATH", help="backup file, or a directory for a dated file"
    )
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser(
        "restore", parents=[common], help="replace the database with a verified backup"
    )
    p.add_argument("backup", type=Path, metavar="BACKUP")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--sample", type=int, default=200, help="passages re-tokenised and compared")
    p.set_defaults(func=cmd_restore)
    p = sub.add_parser("check", parents=[common], help="integrity check + index consistency")
    p.add_argument("--sample", type=int, default=200, help="passages re-tokenised and compared")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser(
        "doctor", parents=[common], help="check the configuration and say what to fix"
    )
    p.set_defaults(func=cmd_doctor)


def cmd_backup(args: argparse.Namespace) -> int:
    """0 written and verified; 1 the copy failed (disk full, I/O error: the partial file is
    removed); 2 no database to back up."""
    from index.ops.ops import backup

    t0 = time.perf_counter()
    if not args.db.exists():
        print(f"kiji: no database at {args.db} to back up", file=sys.stderr)
        return 2
    try:
        dest = backup(args.db, args.dest)
    except DatabaseError as e:
        print(f"kiji: {e}", file=sys.stderr)
        return 1
    size = dest.stat().st_size / 1e6
    print(f"backup written: {dest} ({size:,.1f} MB, {time.perf_counter() - t0:.1f} s, verified)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """0 restored; 1 not restored because the database is in use (the processes are named) or
    the copy could not be written; 2 the backup is unusable (missing, a directory, unreadable,
    not a kiji database, or failing the checks). The database is unchanged unless 0."""
    from index.analysis.tokenizer import JapaneseTokenizer
    from index.ops.ops import WriteFailed, restore
    from index.store.dblock import DatabaseInUse

    if not args.yes and sys.stdin.isatty():
        answer = input(f"{args.db} を {args.backup} で置き換えます。よろしいですか? [y/N] ")
        if answer.strip().lower() not in {"y", "yes", "はい"}:
            print("中止しました aborted")
            return 1
    tokenizer = JapaneseTokenizer(mode=CoreSettings.from_env().split_mode)
    try:
        report = restore(args.backup, args.db, tokenizer, sample=args.sample)
    except DatabaseInUse as e:
        print(f"kiji: not restored: {e}", file=sys.stderr)
        return 1
    except WriteFailed as e:
        print(f"kiji: {e}", file=sys.stderr)
        return 1
    except DatabaseError as e:
        print(f"kiji: {e}", file=sys.stderr)
        return 2
    facts = ", ".join(f"{k} {v:,}" for k, v in report.facts.items() if isinstance(v, int))
    print(f"restored {args.backup} → {args.db} (verified: {facts})")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from index.analysis.tokenizer import JapaneseTokenizer
    from index.ops.ops import check

    report = check(
        args.db, JapaneseTokenizer(mode=CoreSettings.from_env().split_mode), sample=args.sample
    )
    if args.json:
        print(
            json.dumps(
                {"ok": report.ok, "problems": report.problems, **report.facts}, ensure_ascii=False
            )
        )
    else:
        for key, value in report.facts.items():
            print(f"{key:18} {value}")
        if report.ok:
            print("OK: integrity check passed and the postings agree with the passages")
        for problem in report.problems:
            print(f"PROBLEM: {problem}")
        if not report.ok:
            print(
                "→ restore a backup (`kiji restore FILE`) or re-ingest your sources into a new database"
            )
    return 0 if report.ok else 1


def cmd_doctor(args: argparse.Namespace) -> int:
    """Each line: ok / warn / FAIL, what was checked, and what to do."""
    results: list[tuple[str, str]] = []

    def say(level: str, text: str) -> None:
        results.append((level, text))

    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        say(
            "warn",
            "DISCORD_TOKEN is not set: `kiji` runs the terminal chat; set it in .env to run the bot",
        )
    elif not TOKEN_RE.match(token):
        say(
            "FAIL",
            "DISCORD_TOKEN does not look like a bot token (three dot-separated parts); "
            "copy it again from the Developer Portal → Bot → Reset Token",
        )
    else:
        say("ok", "DISCORD_TOKEN has the shape of a bot token (not shown)")
    db: Path = args.db
    parent = db.parent if not db.exists() else db
    writable = os.access(parent if parent.exists() else Path.home(), os.W_OK)
    say(
        "ok" if writable else "FAIL",
        f"database path {db} is {'writable' if writable else 'NOT writable'}",
    )
    try:
        import sudachidict_core  # noqa: F401

        from index.analysis.tokenizer import JapaneseTokenizer

        JapaneseTokenizer().terms("辞書の確認")
        say("ok", "Sudachi dictionary (sudachidict-core) loads")
    except Exception as e:
        say("FAIL", f"the Sudachi dictionary does not load ({e}); run `pip install -e .` again")
    if db.exists():
        from index.ops.ops import inspect_readonly
        from index.store.schema import SCHEMA_VERSION

        try:  # read-only: the doctor never creates, migrates or writes the database
            facts = inspect_readonly(db)
            version = facts["schema_version"]
            problems = facts["problems"]
            assert isinstance(version, int) and isinstance(problems, list)
            if problems:
                say("FAIL", "database schema: " + "; ".join(problems))
            elif version < SCHEMA_VERSION:
                say(
                    "warn",
                    f"database schema v{version}: this kiji (v{SCHEMA_VERSION}) migrates it the "
                    "next time it opens it read-write (kiji run, kiji ingest); back it up first",
                )
            elif version > SCHEMA_VERSION:
                say(
                    "FAIL",
                    f"database schema v{version} is newer than this kiji (v{SCHEMA_VERSION}): "
                    "upgrade kiji",
                )
            else:
                say(
                    "ok",
                    f"database schema v{version} (this kiji: v{SCHEMA_VERSION}), "
                    f"{facts['articles']:,} articles, {facts['passages']:,} passages",
                )
                if not facts["articles"]:
                    say(
                        "warn",
                        "the database holds no articles: `kiji ingest data/articles` or "
                        "`kiji feeds add URL`",
                    )
        except NewsIndexError as e:
            say("FAIL", f"database: {e}")
    else:
        say(
            "warn",
            f"no database at {db} yet: it is created from data/articles on first `kiji chat`, "
            "or by `kiji ingest PATH`",
        )
    say(
        "info",
        "not checked (that needs a connection to Discord): give the bot these permissions in "
        "answer/digest channels: " + ", ".join(REQUIRED_PERMISSIONS),
    )
    say("info", "OAuth2 scopes: bot applications.commands; no privileged intents are needed")
    width = max(len(level) for level, _ in results)
    for level, text in results:
        print(f"[{level:>{width}}] {text}")
    return 1 if any(level == "FAIL" for level, _ in results) else 0
