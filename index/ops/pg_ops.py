"""``kiji backup``, ``restore`` and ``doctor`` on a PostgreSQL index (``--db postgresql://…``).

* **Backup**: ``pg_dump --format=custom`` of kiji's tables: the index's, and the bot's state
  tables when ``KIJI_STATE_DB`` is the same database (they are included whenever they are there).
  ``pg_dump`` reads one snapshot, so the copy is consistent while the bot and ingests go on. It
  is written to ``NAME.partial``, kept only once ``pg_restore --list`` reads it back with every
  table's data, and renamed.
* **Restore**: ``pg_restore --single-transaction`` into an *empty* database (a database with any
  table is refused, named), then verified as a SQLite restore is (``kiji check``: the schema,
  the counts against the postings, a re-tokenised sample); a restore that fails the checks is
  dropped again, so the database is left as empty as it was.
* **Doctor**: server reachable, its version, the index's schema version and tables, the
  privileges kiji needs (CREATE for the first ingest, writing kiji's tables), the index's
  counts, and whether ``pg_dump`` / ``pg_restore`` can back this server up.

Every failure is a catalogue message (:mod:`index.messages`); the server's own words, when it
gave some, are quoted in it.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from index.analysis.tokenizer import JapaneseTokenizer
from index.errors import DatabaseError
from index.messages import Msg
from index.ops.ops import CheckReport, WriteFailed, check, file_header
from index.store.schema import SCHEMA_VERSION

DUMP_MAGIC = b"PGDMP"  # the first bytes of a pg_dump custom-format archive
MIN_SERVER = 12  # the oldest PostgreSQL major version kiji is known to work with
TOOL_TIMEOUT = 6 * 3600  # seconds a pg_dump / pg_restore may take

if TYPE_CHECKING:
    import psycopg


@dataclass
class PgBackup:
    """What :func:`backup` wrote."""

    dest: Path
    index_tables: list[str]
    state_tables: list[str]  # the bot's tables, when KIJI_STATE_DB is this database
    counts: dict[str, int] = field(default_factory=dict)


@contextlib.contextmanager
def server(url: str) -> Iterator[psycopg.Connection]:
    """A connection to ``url``; DatabaseError ``pg_unreachable`` (the server's reason) if not."""
    import psycopg

    from index.store.pg.conn import describe

    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as e:
        raise DatabaseError.keyed("pg_unreachable", where=describe(url), error=_first(e)) from None
    try:
        yield conn
    finally:
        conn.close()


def _first(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def find_tool(name: str) -> str:
    """The path of ``pg_dump`` / ``pg_restore`` on PATH, or DatabaseError ``pg_tool_missing``."""
    path = shutil.which(name)
    if path is None:
        raise DatabaseError.keyed("pg_tool_missing", tool=name)
    return path


def tool_major(path: str) -> int:
    """The major version ``path --version`` reports (``pg_dump (PostgreSQL) 15.20`` → 15)."""
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise DatabaseError.keyed("pg_tool_unusable", tool=path, error=_first(e)) from None
    m = re.search(r"\)\s*(\d+)", out)
    if m is None:
        raise DatabaseError.keyed("pg_tool_unusable", tool=path, error=out.strip()[:200])
    return int(m.group(1))


def check_tool(name: str, server_major: int) -> tuple[str, int]:
    """``name``'s path and major version; DatabaseError when it is missing or older than the
    server (``pg_dump`` refuses to dump a newer server)."""
    path = find_tool(name)
    found = tool_major(path)
    if found < server_major:
        raise DatabaseError.keyed(
            "pg_tool_too_old", tool=name, version=found, server=server_major, path=path
        )
    return path, found


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=TOOL_TIMEOUT, check=False
    )


def _stderr(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    return lines[0][:300] if lines else f"exit code {proc.returncode}"


def backup(url: str, dest: Path) -> PgBackup:
    """``pg_dump`` kiji's tables in ``url`` to ``dest`` (a file, or a directory for a dated
    ``kiji-YYYYmmdd-HHMMSS.dump``), verified by reading it back; see the module."""
    from index.store.pg import admin
    from index.store.pg.conn import describe

    with server(url) as raw:
        facts = admin.server_facts(raw)
        dump, _ = check_tool("pg_dump", admin.major(facts.version_num))
        find_tool("pg_restore")  # reads the archive back
        if facts.schema_version == 0:  # None: not readable by this user; pg_dump will say so
            raise DatabaseError.keyed("pg_backup_no_index", where=describe(url))
        counts = facts.counts
    tables = facts.tables
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / f"kiji-{time.strftime('%Y%m%d-%H%M%S')}.dump"
    if not dest.parent.is_dir():
        raise DatabaseError.keyed("backup_no_directory", dir=dest.parent)
    tmp = dest.with_name(dest.name + ".partial")
    conninfo, env = admin.tool_connection(url)
    argv = [dump, "--format=custom", "--no-owner", "--no-privileges", "--strict-names"]
    argv += [f"--table={table}" for table in tables]
    argv += [f"--file={tmp}", f"--dbname={conninfo}"]
    try:
        proc = _run(argv, env)
        if proc.returncode != 0:
            raise WriteFailed.keyed("pg_backup_failed", dest=dest, error=_stderr(proc))
        missing = sorted(set(tables) - set(archive_tables(tmp)))
        if missing:
            raise WriteFailed.keyed("pg_backup_incomplete", dest=dest, tables=", ".join(missing))
        tmp.replace(dest)
    except OSError as e:
        raise WriteFailed.keyed("pg_backup_failed", dest=dest, error=_first(e)) from e
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    index_set = set(admin.index_tables())
    return PgBackup(
        dest=dest,
        index_tables=[t for t in tables if t in index_set],
        state_tables=[t for t in tables if t not in index_set],
        counts=counts,
    )


def archive_tables(path: Path) -> list[str]:
    """The tables whose rows a custom-format archive holds (``pg_restore --list``)."""
    proc = _run([find_tool("pg_restore"), "--list", str(path)])
    if proc.returncode != 0:
        raise DatabaseError.keyed("pg_archive_unreadable", path=path, error=_stderr(proc))
    found = []
    for line in proc.stdout.splitlines():  # "217; 0 16390 TABLE DATA public articles postgres"
        m = re.search(r"\bTABLE DATA \S+ (\S+)", line)
        if m and not line.lstrip().startswith(";"):
            found.append(m.group(1))
    return found


def _archive_problem(path: Path) -> Msg | None:
    """Why ``path`` is not a pg_dump custom-format archive to restore, or None."""
    header = file_header(path, "pg_archive_is_directory")
    if isinstance(header, Msg):
        return header
    if header.startswith(b"SQLite format 3"):
        return Msg("pg_archive_is_sqlite", {"path": path})
    if not header.startswith(DUMP_MAGIC):
        return Msg("pg_archive_not_dump", {"path": path})
    return None


def restore(
    backup_path: Path,
    url: str,
    tokenizer: JapaneseTokenizer | None = None,
    *,
    sample: int = 200,
) -> CheckReport:
    """``pg_restore`` ``backup_path`` into the empty database ``url`` and verify it; see the
    module. DatabaseError ``pg_restore_not_empty`` for a database with tables (nothing done),
    ``restore_unusable`` / ``restore_failed_checks`` for a bad backup (the database is left
    empty), WriteFailed when pg_restore fails (its single transaction left nothing)."""
    from index.store.pg import admin
    from index.store.pg.conn import describe

    backup_path = Path(backup_path)
    problem = _archive_problem(backup_path)
    if problem is not None:
        raise DatabaseError.keyed("restore_unusable", problem=problem)
    tool = find_tool("pg_restore")
    with server(url) as raw:
        existing = admin.all_tables(raw)
        if existing:
            shown = ", ".join(existing[:5]) + (" …" if len(existing) > 5 else "")
            raise DatabaseError.keyed(
                "pg_restore_not_empty", where=describe(url), n=len(existing), tables=shown
            )
        try:
            archived = archive_tables(backup_path)
        except DatabaseError as e:
            raise DatabaseError.keyed("restore_unusable", problem=e.msg or str(e)) from None
        if "meta" not in archived:
            raise DatabaseError.keyed(
                "restore_unusable", problem=Msg("pg_archive_not_kiji", {"path": backup_path})
            )
        conninfo, env = admin.tool_connection(url)
        argv = [tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        proc = _run([*argv, f"--dbname={conninfo}", str(backup_path)], env)
        if proc.returncode != 0:
            raise WriteFailed.keyed("pg_restore_failed", where=describe(url), error=_stderr(proc))
        report = check(url, tokenizer, sample=sample)
        if not report.ok:
            admin.drop_tables(raw, admin.kiji_tables(raw))
            raise DatabaseError.keyed("restore_failed_checks", problems=report.findings)
        state = [t for t in admin.kiji_tables(raw) if t in admin.STATE_TABLES]
        report.facts.update(admin.row_counts(raw, state))
    return report


def doctor(url: str) -> list[tuple[str, Msg]]:
    """``kiji doctor``'s lines for a PostgreSQL index: (level, message), level ok/warn/FAIL."""
    from index.store.pg import admin
    from index.store.pg.conn import describe

    lines: list[tuple[str, Msg]] = []

    def say(level: str, key: str, **params: object) -> None:
        lines.append((level, Msg(key, params)))

    try:
        with server(url) as raw:
            facts = admin.server_facts(raw)
    except DatabaseError as e:
        lines.append(("FAIL", e.msg or Msg("doctor_db_error", {"error": str(e)})))
        return lines
    where, server_major = describe(url), admin.major(facts.version_num)
    about = {"where": where, "version": facts.version, "user": facts.user}
    if server_major < MIN_SERVER:
        say("FAIL", "doctor_pg_server_old", **about, minimum=MIN_SERVER)
    else:
        say("ok", "doctor_pg_server", **about)
    version = facts.schema_version
    schema = {"version": version, "current": SCHEMA_VERSION}
    if version is None:  # kiji's tables cannot all be read: the privileges line says which
        pass
    elif version == 0:
        if facts.can_create:
            say("warn", "doctor_pg_no_index", where=where)
        else:
            say("FAIL", "doctor_pg_cannot_create", user=facts.user, database=facts.database)
    elif version > SCHEMA_VERSION:
        say("FAIL", "doctor_schema_new", **schema)
    elif version < SCHEMA_VERSION:
        say("FAIL", "doctor_pg_schema_old", **schema)
    elif facts.problems:
        say("FAIL", "doctor_schema_problems", problems=facts.problems)
    else:
        counts = {k: facts.counts.get(k, 0) for k in ("articles", "passages")}
        say("ok", "doctor_schema_ok", **schema, **counts)
        if not counts["articles"]:
            say("warn", "doctor_no_articles")
    if facts.not_writable:
        say("FAIL", "doctor_pg_not_writable", user=facts.user, tables=", ".join(facts.not_writable))
    elif facts.tables:
        say("ok", "doctor_pg_writable", user=facts.user, n=len(facts.tables))
    for tool in ("pg_dump", "pg_restore"):
        try:
            path, found = check_tool(tool, server_major)
        except DatabaseError as e:
            lines.append(("warn", e.msg or Msg("doctor_db_error", {"error": str(e)})))
        else:
            say("ok", "doctor_pg_tool_ok", tool=tool, path=path, version=found)
    return lines


def state_doctor(url: str) -> list[tuple[str, Msg]]:
    """``kiji doctor``'s line for the bot's state on PostgreSQL (``KIJI_STATE_DB``)."""
    from index.store.pg import admin
    from index.store.pg.conn import describe

    try:
        with server(url) as raw:
            present = [t for t in admin.kiji_tables(raw) if t in admin.STATE_TABLES]
    except DatabaseError as e:
        return [("FAIL", Msg("doctor_pg_state_error", {"error": e.msg or str(e)}))]
    params = {"where": describe(url), "n": len(present), "total": len(admin.STATE_TABLES)}
    return [("ok", Msg("doctor_pg_state", params))]
