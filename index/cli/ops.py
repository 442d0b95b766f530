"""``kiji backup|restore|check|doctor``: operating a kiji database safely."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from index.cli import pg_ops
from index.config import CoreSettings, is_postgres_url
from index.errors import DatabaseError, NewsIndexError
from index.messages import CATALOGUE, Lang, Msg, t

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
        "migrate",
        parents=[common],
        help="copy the index between a SQLite file and PostgreSQL, then verify the copy",
    )
    p.add_argument("source", metavar="FROM", help="a SQLite file or a postgresql:// URL")
    p.add_argument("target", metavar="TO", help="a new (or empty) index: file or URL")
    p.add_argument("--queries", type=int, default=50, help="sample queries compared (default 50)")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser(
        "doctor", parents=[common], help="check the configuration and say what to fix"
    )
    p.set_defaults(func=cmd_doctor)


def cmd_backup(args: argparse.Namespace) -> int:
    """0 written and verified; 1 the copy failed (disk full, I/O error: the partial file is
    removed); 2 no database to back up."""
    from index.ops.ops import backup

    if is_postgres_url(args.db):
        return pg_ops.cmd_backup(args)
    t0 = time.perf_counter()
    if not args.db.exists():
        print(t(args.lang, "backup_no_db", db=args.db), file=sys.stderr)
        return 2
    try:
        dest = backup(args.db, args.dest)
    except DatabaseError as e:
        print(t(args.lang, "cli_error", detail=e.text(args.lang)), file=sys.stderr)
        return 1
    size = dest.stat().st_size / 1e6
    seconds = time.perf_counter() - t0
    print(t(args.lang, "backup_written", dest=dest, mb=size, seconds=seconds))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """0 restored; 1 not restored because the database is in use (the processes are named) or
    the copy could not be written; 2 the backup is unusable (missing, a directory, unreadable,
    not a kiji database, or failing the checks). The database is unchanged unless 0."""
    from index.analysis.tokenizer import JapaneseTokenizer
    from index.ops.ops import WriteFailed, restore
    from index.store.dblock import DatabaseInUse

    if is_postgres_url(args.db):
        return pg_ops.cmd_restore(args)
    if not args.yes and sys.stdin.isatty():
        answer = input(t(args.lang, "restore_confirm", db=args.db, backup=args.backup))
        if answer.strip().lower() not in {"y", "yes", "はい"}:
            print(t(args.lang, "restore_aborted"))
            return 1
    tokenizer = JapaneseTokenizer(mode=CoreSettings.from_env().split_mode)
    try:
        report = restore(args.backup, args.db, tokenizer, sample=args.sample)
    except DatabaseInUse as e:
        print(t(args.lang, "restore_in_use", detail=e.text(args.lang)), file=sys.stderr)
        return 1
    except WriteFailed as e:
        print(t(args.lang, "cli_error", detail=e.text(args.lang)), file=sys.stderr)
        return 1
    except DatabaseError as e:
        print(t(args.lang, "cli_error", detail=e.text(args.lang)), file=sys.stderr)
        return 2
    lang = args.lang
    facts = ", ".join(
        f"{fact_label(lang, k)} {v:,}" for k, v in report.facts.items() if isinstance(v, int)
    )
    print(t(args.lang, "restore_done", backup=args.backup, db=args.db, facts=facts))
    return 0


def fact_label(lang: Lang, name: str) -> str:
    """The label of a check's fact (its JSON name when the catalogue has none)."""
    key = f"fact_{name}"
    return t(lang, key) if key in CATALOGUE else name


def cmd_check(args: argparse.Namespace) -> int:
    from index.analysis.tokenizer import JapaneseTokenizer
    from index.ops.ops import check

    report = check(
        args.db, JapaneseTokenizer(mode=CoreSettings.from_env().split_mode), sample=args.sample
    )
    lang: Lang = args.lang
    if args.json:
        # problems in English as before; codes (catalogue keys) and messages in the language
        facts = {k: v.text("en") if isinstance(v, Msg) else v for k, v in report.facts.items()}
        found = {
            "problems": report.problems,
            "problem_codes": [m.key for m in report.findings],
            "messages": report.texts(lang),
        }
        print(json.dumps({"ok": report.ok, **found, **facts}, ensure_ascii=False))
    else:
        for key, value in report.facts.items():
            shown = value.text(lang) if isinstance(value, Msg) else value
            print(f"{fact_label(lang, key):18} {shown}")
        if report.ok:
            print(t(lang, "check_ok"))
        for problem in report.texts(lang):
            print(t(lang, "check_problem", problem=problem))
        if not report.ok:
            print(t(args.lang, "check_hint"))
    return 0 if report.ok else 1


def cmd_migrate(args: argparse.Namespace) -> int:
    """0 copied and verified; 1 copied but the verification failed; 2 could not copy."""
    from index.analysis.tokenizer import JapaneseTokenizer
    from index.config import index_db_location, redacted
    from index.ops.migrate import TOP_K, migrate

    source, target = index_db_location(args.source), index_db_location(args.target)
    tokenizer = JapaneseTokenizer(mode=CoreSettings.from_env().split_mode)
    report = migrate(source, target, tokenizer, queries=args.queries)
    names = {"source": redacted(source), "target": redacted(target)}
    if report.ok:
        rows = f"{sum(report.rows.values()):,}"
        print(
            t(args.lang, "migrate_done", **names, rows=rows, seconds=report.seconds,
              queries=report.queries, k=TOP_K)
        )  # fmt: skip
        return 0
    problems = list(report.check.problems)
    if report.mismatched:
        example = report.mismatched[0]
        problems.append(t(args.lang, "migrate_mismatch", n=len(report.mismatched), example=example))
    print(t(args.lang, "migrate_failed", **names, problems="; ".join(problems)), file=sys.stderr)
    return 1


def cmd_doctor(args: argparse.Namespace) -> int:
    """Each line: ok / warn / FAIL, what was checked, and what to do."""
    results: list[tuple[str, str]] = []

    def say(level: str, key: str, **kw: object) -> None:
        results.append((level, t(args.lang, key, **kw)))

    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        say("warn", "doctor_no_token")
    elif not TOKEN_RE.match(token):
        say("FAIL", "doctor_bad_token")
    else:
        say("ok", "doctor_token_ok")
    if is_postgres_url(args.db):  # the server, its version, the schema, privileges, pg_dump
        results.extend((level, m.text(args.lang)) for level, m in pg_ops.doctor_lines(args.db))
    else:
        _doctor_file(args, say)
    results.extend((level, m.text(args.lang)) for level, m in pg_ops.state_lines())
    try:
        import sudachidict_core  # noqa: F401

        from index.analysis.tokenizer import JapaneseTokenizer

        JapaneseTokenizer().terms("辞書の確認")
        say("ok", "doctor_sudachi_ok")
    except Exception as e:
        say("FAIL", "doctor_sudachi_fail", error=e)
    from index.search import kernels
    from index.store import counting

    slow = [(ja, en) for c, ja, en in ((kernels, "検索", "search"), (counting, "取り込み", "ingest"))
            if not c.COMPILED]  # fmt: skip
    if slow:  # the parts named in the language of the report
        ja, en = "と".join(j for j, _ in slow), " and ".join(e for _, e in slow)
        say("info", "doctor_kernels_numpy", which=ja if args.lang == "ja" else en)
    else:
        say("ok", "doctor_kernels_ok")
    say("info", "doctor_permissions", permissions=", ".join(REQUIRED_PERMISSIONS))
    say("info", "doctor_scopes")
    tags = {level: t(args.lang, f"doctor_level_{level.lower()}") for level, _ in results}
    width = max(len(tag) for tag in tags.values())
    for level, text in results:
        print(f"[{tags[level]:>{width}}] {text}")
    return 1 if any(level == "FAIL" for level, _ in results) else 0


def _doctor_file(args: argparse.Namespace, say: Callable[..., None]) -> None:
    """The database part of ``kiji doctor`` for a SQLite file."""
    db: Path = args.db
    parent = db.parent if not db.exists() else db
    writable = os.access(parent if parent.exists() else Path.home(), os.W_OK)
    if writable:
        say("ok", "doctor_db_writable", db=db)
    else:
        say("FAIL", "doctor_db_not_writable", db=db)
    if db.exists():
        from index.ops.ops import inspect_readonly
        from index.store.schema import SCHEMA_VERSION

        try:  # read-only: the doctor never creates, migrates or writes the database
            facts = inspect_readonly(db)
            version = facts["schema_version"]
            problems = facts["problems"]
            assert isinstance(version, int) and isinstance(problems, list)
            schema = {"version": version, "current": SCHEMA_VERSION}
            if problems:
                say("FAIL", "doctor_schema_problems", problems=problems)
            elif version < SCHEMA_VERSION:
                say("warn", "doctor_schema_old", **schema)
            elif version > SCHEMA_VERSION:
                say("FAIL", "doctor_schema_new", **schema)
            else:
                counts = {"articles": facts["articles"], "passages": facts["passages"]}
                say("ok", "doctor_schema_ok", **schema, **counts)
                if not facts["articles"]:
                    say("warn", "doctor_no_articles")
        except NewsIndexError as e:
            say("FAIL", "doctor_db_error", error=e.text(args.lang))
    else:
        say("warn", "doctor_no_db", db=db)
