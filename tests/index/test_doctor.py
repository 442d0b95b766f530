"""`kiji doctor` only looks (issue 12 row 19): it never migrates or writes the database, and it
says which things it did not check. A real `kiji doctor` process on real files."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.models import Article
from index.store.schema import SCHEMA_VERSION
from index.store.store import IndexStore
from tests.conftest import REPO

TOKEN = "MTA1234567890123456789012.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789"


def doctor(db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DISCORD_TOKEN": TOKEN}
    return subprocess.run(
        [sys.executable, "-m", "index.cli", "doctor", "--db", str(db)],
        capture_output=True, text=True, timeout=120, env=env, cwd=REPO,
    )  # fmt: skip


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_doctor_never_migrates_an_older_database(
    db_path: Path, tokenizer: JapaneseTokenizer, news_articles: list[Article], english: None
) -> None:
    with IndexStore.open(db_path) as s:
        s.add_articles(news_articles, tokenizer)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = DELETE")  # a file with no WAL, as a backup is
    conn.execute("DROP TABLE doc_chunks")  # what a version-1 file lacks
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    before = digest(db_path), sorted(p.name for p in db_path.parent.iterdir())
    proc = doctor(db_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"database schema v1: this kiji (v{SCHEMA_VERSION}) migrates it" in proc.stdout
    after = digest(db_path), sorted(p.name for p in db_path.parent.iterdir())
    assert after == before  # not a byte written, not a file created (no -wal, no .lock)


def test_doctor_reports_what_it_checks_and_what_it_only_lists(
    db_path: Path, tokenizer: JapaneseTokenizer, news_articles: list[Article], english: None
) -> None:
    with IndexStore.open(db_path) as s:
        s.add_articles(news_articles, tokenizer)
    before = digest(db_path)
    proc = doctor(db_path)
    assert proc.returncode == 0, proc.stdout
    assert f"[  ok] database schema v{SCHEMA_VERSION}" in proc.stdout
    assert "5 articles" in proc.stdout
    assert "not checked (that needs a connection to Discord)" in proc.stdout
    assert digest(db_path) == before


def test_doctor_fails_a_database_with_foreign_columns(db_path: Path) -> None:
    """(in Japanese, the default)"""
    with IndexStore.open(db_path):
        pass
    conn = sqlite3.connect(db_path)
    conn.execute("ALTER TABLE passages RENAME COLUMN dl TO length")
    conn.commit()
    conn.close()
    proc = doctor(db_path)
    assert proc.returncode == 1
    assert "[失敗] データベースのスキーマ：テーブル passages の列は（" in proc.stdout


def test_doctor_says_whether_the_search_and_ingest_loops_are_compiled(
    db_path: Path,
    english: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A process says what its import found (the real extensions when pip built them); without
    one, an info line names what runs slower and how to get it, and nothing fails."""
    from index.cli.main import main
    from index.search import kernels
    from index.store import counting

    proc = doctor(db_path)
    line = "the inner loops of search and ingest are compiled (C)"
    assert (line in proc.stdout) == (kernels.COMPILED and counting.COMPILED), proc.stdout
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setattr(kernels, "COMPILED", False)
    monkeypatch.setattr(counting, "COMPILED", True)
    assert main(["doctor", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert "[info] the inner loops of search run in Python and numpy" in out and "gcc" in out
    assert line not in out
    monkeypatch.setattr(counting, "COMPILED", False)
    assert main(["doctor", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert "[info] the inner loops of search and ingest run in Python and numpy" in out
    monkeypatch.setattr(kernels, "COMPILED", True)
    assert main(["doctor", "--db", str(db_path)]) == 0
    assert "[info] the inner loops of ingest run in Python and numpy" in capsys.readouterr().out
