"""``kiji backup|restore|doctor`` when ``--db`` / ``KIJI_DB`` is a ``postgresql://`` URL: the
words and exit codes around :mod:`index.ops.pg_ops` (the same codes as on a SQLite file)."""

from __future__ import annotations

import argparse
import os
import sys
import time

from index.config import CoreSettings, is_postgres_url
from index.errors import DatabaseError
from index.messages import Msg, t


def _error(args: argparse.Namespace, e: DatabaseError) -> None:
    print(t(args.lang, "cli_error", detail=e.text(args.lang)), file=sys.stderr)


def cmd_backup(args: argparse.Namespace) -> int:
    """0 written and verified; 1 pg_dump failed (the partial file is removed); 2 nothing to
    back up, or no usable pg_dump, or the server cannot be reached."""
    from index.ops.ops import WriteFailed
    from index.ops.pg_ops import backup
    from index.store.pg.conn import describe

    t0 = time.perf_counter()
    try:
        done = backup(args.db, args.dest)
    except WriteFailed as e:
        _error(args, e)
        return 1
    except DatabaseError as e:
        _error(args, e)
        return 2
    lang = args.lang
    mb = done.dest.stat().st_size / 1e6
    print(t(lang, "pg_backup_written", dest=done.dest, mb=mb, seconds=time.perf_counter() - t0))
    counts = {k: done.counts.get(k, 0) for k in ("articles", "passages")}
    print(t(lang, "pg_backup_contents", n_index=len(done.index_tables), **counts))
    if done.state_tables:
        tables = ", ".join(done.state_tables)
        print(t(lang, "pg_backup_state_included", n=len(done.state_tables), tables=tables))
    state = os.environ.get("KIJI_STATE_DB", "").strip()
    if is_postgres_url(state) and describe(state) != describe(args.db):
        print(t(lang, "pg_backup_state_elsewhere", where=describe(state)))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """0 restored and verified; 1 not restored because the database is not empty, cannot be
    reached, or pg_restore failed; 2 the backup is unusable or failed the checks (the database
    is left empty)."""
    from index.analysis.tokenizer import JapaneseTokenizer
    from index.cli.ops import fact_label
    from index.ops.ops import WriteFailed
    from index.ops.pg_ops import restore
    from index.store.pg.conn import describe

    lang = args.lang
    where = describe(args.db)
    if not args.yes and sys.stdin.isatty():
        answer = input(t(lang, "pg_restore_confirm", db=where, backup=args.backup))
        if answer.strip().lower() not in {"y", "yes", "はい"}:
            print(t(lang, "restore_aborted"))
            return 1
    tokenizer = JapaneseTokenizer(mode=CoreSettings.from_env().split_mode)
    try:
        report = restore(args.backup, args.db, tokenizer, sample=args.sample)
    except WriteFailed as e:
        _error(args, e)
        return 1
    except DatabaseError as e:
        _error(args, e)
        return 1 if e.key in ("pg_restore_not_empty", "pg_unreachable") else 2
    facts = ", ".join(
        f"{fact_label(lang, k)} {v:,}" for k, v in report.facts.items() if isinstance(v, int)
    )
    print(t(lang, "restore_done", backup=args.backup, db=where, facts=facts))
    return 0


def doctor_lines(url: str) -> list[tuple[str, Msg]]:
    """The database part of ``kiji doctor`` for a PostgreSQL index."""
    from index.ops.pg_ops import doctor

    return doctor(url)


def state_lines() -> list[tuple[str, Msg]]:
    """``kiji doctor``'s line for the bot's state when ``KIJI_STATE_DB`` is a PostgreSQL URL."""
    from index.ops.pg_ops import state_doctor

    state = os.environ.get("KIJI_STATE_DB", "").strip()
    return state_doctor(state) if is_postgres_url(state) else []
