"""``kiji backup``, ``restore`` and ``doctor`` on a PostgreSQL index, through the real CLI and the
local server (issue 15): pg_dump of kiji's tables (with the bot's state when it shares the
database), pg_restore into an empty database only, verified as on SQLite, and one clear line
for each failure (no pg_dump, an old pg_dump, an unreachable server, a non-empty target)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from index.config import SAMPLE_ARTICLES
from index.store.pg import admin
from index.store.schema import SCHEMA_VERSION

from .pg import admin_url, pg_database
from .test_pg_index import hits, run

GUILD = 4242


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_database() as url:
        yield url


@pytest.fixture
def empty_url() -> Iterator[str]:
    with pg_database() as url:
        yield url


def tables(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return admin.all_tables(conn)


async def _bot_state(url: str, *, read: bool = False) -> object:
    """Create the bot's tables in ``url`` with one guild's settings, or read them back."""
    from bot.state import SettingsStore, open_digest_store

    async with await SettingsStore.open(url) as settings:
        if read:
            return settings.get(GUILD).answer_channels
        await settings.update(GUILD, add_channel=77)
    await (await open_digest_store(url)).close()
    return None


def ingest(capsys: pytest.CaptureFixture[str], url: str) -> None:
    code, _, err = run(capsys, "ingest", "--db", url, "--workers", "1", str(SAMPLE_ARTICLES))
    assert code == 0, err


def test_backup_then_restore_into_an_empty_database(
    tmp_path: Path, pg_url: str, empty_url: str, capsys: pytest.CaptureFixture[str], english: None
) -> None:
    ingest(capsys, pg_url)
    asyncio.run(_bot_state(pg_url))  # KIJI_STATE_DB is the same database
    code, out, err = run(capsys, "backup", "--db", pg_url, str(tmp_path))
    assert code == 0, err
    dump = next(tmp_path.glob("kiji-*.dump"))
    assert dump.read_bytes()[:5] == b"PGDMP" and not list(tmp_path.glob("*.partial"))
    assert f"backup written: {dump}" in out
    assert f"included: the index's {len(admin.index_tables())} tables" in out
    articles = next(ln for ln in out.splitlines() if ln.startswith("included:"))
    assert "also the bot's 6 state tables (KIJI_STATE_DB is this database): bot_schema," in out

    code, out, err = run(capsys, "restore", "--yes", "--db", empty_url, str(dump))
    assert code == 0, err
    assert out.startswith(f"restored {dump} → ") and "passages" in out and "guild_settings 1" in out
    counted = re.search(r"\((\d+) articles, (\d+) passages\)", articles)
    assert counted is not None  # the backup counts as the restore's check does
    assert f"articles {counted[1]}" in out and f"passages {counted[2]}" in out
    assert hits(capsys, empty_url) == hits(capsys, pg_url)
    code, out, _ = run(capsys, "check", "--db", empty_url, "--json")
    assert code == 0 and json.loads(out)["ok"]
    assert asyncio.run(_bot_state(empty_url, read=True)) == frozenset({77})
    assert sorted(tables(empty_url)) == sorted(tables(pg_url))

    # A second restore into the same (now full) database is refused, naming what is there.
    code, out, err = run(capsys, "restore", "--yes", "--db", empty_url, str(dump))
    assert code == 1 and out == ""
    assert f"is not empty ({len(tables(empty_url))} tables: " in err and "nothing was done" in err
    assert len(err.splitlines()) == 1


def test_a_backup_that_fails_the_checks_leaves_the_target_empty(
    tmp_path: Path, pg_url: str, empty_url: str, capsys: pytest.CaptureFixture[str], english: None
) -> None:
    ingest(capsys, pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # damage: a wrong document count
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'n_docs'")
    dump = tmp_path / "bad.dump"
    assert run(capsys, "backup", "--db", pg_url, str(dump))[0] == 0
    code, out, err = run(capsys, "restore", "--yes", "--db", empty_url, str(dump))
    assert code == 2 and out == ""
    assert "the backup was not restored, it failed the checks" in err
    assert tables(empty_url) == []


def test_what_is_not_a_postgresql_backup_is_refused(
    tmp_path: Path, empty_url: str, capsys: pytest.CaptureFixture[str], english: None
) -> None:
    sqlite = tmp_path / "kiji.db"
    assert run(capsys, "ingest", "--db", str(sqlite), str(SAMPLE_ARTICLES))[0] == 0
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    cases = {
        sqlite: f"{sqlite} is a SQLite database; copy it into PostgreSQL with `kiji migrate",
        text: f"{text} is not a pg_dump custom-format archive",
        tmp_path: f"{tmp_path} is a directory",
        tmp_path / "missing.dump": "does not exist",
    }
    for path, said in cases.items():
        code, out, err = run(capsys, "restore", "--yes", "--db", empty_url, str(path))
        assert (code, out) == (2, ""), err
        assert said in err and len(err.splitlines()) == 1
    assert tables(empty_url) == []


def test_backup_without_pg_dump_or_with_an_old_one(
    tmp_path: Path,
    pg_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    english: None,
) -> None:
    ingest(capsys, pg_url)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    code, out, err = run(capsys, "backup", "--db", pg_url, str(tmp_path))
    assert (code, out) == (2, "")
    assert err == (
        "kiji: pg_dump is not on PATH; install the PostgreSQL client programs "
        "(postgresql-client on Debian/Ubuntu)\n"
    )
    old = bin_dir / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 11.22'\n")
    old.chmod(0o755)
    code, out, err = run(capsys, "backup", "--db", pg_url, str(tmp_path))
    assert (code, out) == (2, "")
    assert f"pg_dump ({old}) is version 11, older than the server (15)" in err
    assert list(tmp_path.glob("*.dump")) == []


def test_an_unreachable_server_in_either_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql://postgres:secret@127.0.0.1:1/kiji"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    code, out, err = run(capsys, "backup", "--db", url, str(tmp_path))
    assert (code, out) == (2, "")
    assert err.startswith("kiji: cannot connect to PostgreSQL at postgres@127.0.0.1:1/kiji: ")
    assert "check that the server is running" in err and "secret" not in err
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    code, out, err = run(capsys, "backup", "--db", url, str(tmp_path))
    assert code == 2 and err.startswith(
        "kiji: PostgreSQL（postgres@127.0.0.1:1/kiji）に接続できません"
    )
    code, out, err = run(capsys, "doctor", "--db", url)
    assert code == 1 and "[失敗] PostgreSQL（postgres@127.0.0.1:1/kiji）に接続できません" in out


def test_doctor_on_postgresql(
    pg_url: str, empty_url: str, capsys: pytest.CaptureFixture[str], english: None
) -> None:
    code, out, err = run(capsys, "doctor", "--db", empty_url)
    assert code == 0, out + err
    assert "[  ok] PostgreSQL at postgres@127.0.0.1:5432/" in out and "(server 15." in out
    assert "no kiji index in postgres@127.0.0.1:5432/" in out
    assert "[  ok] pg_dump 15 (" in out and "[  ok] pg_restore 15 (" in out
    assert tables(empty_url) == []  # the doctor only looks

    ingest(capsys, pg_url)
    code, out, err = run(capsys, "doctor", "--db", pg_url)
    assert code == 0, out + err
    assert f"database schema v{SCHEMA_VERSION} (this kiji: v{SCHEMA_VERSION}), " in out
    assert f"user postgres can read and write kiji's {len(admin.index_tables())} tables" in out
    with psycopg.connect(pg_url, autocommit=True) as conn:  # a newer kiji's index
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    code, out, _ = run(capsys, "doctor", "--db", pg_url)
    assert (
        code == 1
        and f"[FAIL] database schema v99 is newer than this kiji (v{SCHEMA_VERSION})" in out
    )


def test_doctor_names_the_privileges_a_user_lacks(
    pg_url: str, capsys: pytest.CaptureFixture[str], english: None
) -> None:
    ingest(capsys, pg_url)
    role = f"kiji_ro_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            grant = "GRANT SELECT ON articles, passages TO {}"
            conn.execute(sql.SQL(grant).format(sql.Identifier(role)))
        url = pg_url.replace("postgresql://postgres@", f"postgresql://{role}@")
        code, out, _ = run(capsys, "doctor", "--db", url)
        assert code == 1
        line = next(ln for ln in out.splitlines() if "cannot read and write" in ln)
        assert line.startswith(f"[FAIL] user {role} cannot read and write these tables: meta, ")
        assert "articles" in line and "GRANT SELECT, INSERT, UPDATE, DELETE" in line
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        with psycopg.connect(admin_url(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_the_state_tables_named_by_the_core_are_the_bots(empty_url: str) -> None:
    asyncio.run(_bot_state(empty_url))
    assert sorted(tables(empty_url)) == sorted(admin.STATE_TABLES)


def test_doctor_checks_the_bots_state_on_postgresql(
    tmp_path: Path,
    empty_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    english: None,
) -> None:
    db = str(tmp_path / "kiji.db")
    monkeypatch.setenv("KIJI_STATE_DB", empty_url)
    code, out, _ = run(capsys, "doctor", "--db", db)
    assert code == 0, out
    assert "[  ok] KIJI_STATE_DB: PostgreSQL at postgres@127.0.0.1:5432/" in out
    assert "(0 of the bot's 6 state tables there; `kiji run` creates the others" in out
    asyncio.run(_bot_state(empty_url))
    assert "(6 of the bot's 6 state tables there" in run(capsys, "doctor", "--db", db)[1]
    monkeypatch.setenv("KIJI_STATE_DB", "postgresql://postgres:secret@127.0.0.1:1/state")
    code, out, _ = run(capsys, "doctor", "--db", db)
    assert code == 1 and "secret" not in out
    assert "[FAIL] KIJI_STATE_DB: cannot connect to PostgreSQL at postgres@127.0.0.1:1/state" in out
