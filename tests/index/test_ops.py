"""backup / restore / check / doctor on real database files."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.cli.main import main
from index.errors import DatabaseError
from index.models import Article
from index.ops.ops import backup, check, restore
from index.search.search import Searcher
from index.store.store import IndexStore


def test_backup_while_writing_and_restore(
    filled: Path, tmp_path: Path, tokenizer: JapaneseTokenizer, news_articles
) -> None:
    writer = IndexStore.open(filled)
    stop = threading.Event()

    def keep_writing() -> None:
        i = 0
        while not stop.is_set():
            writer.add_articles(
                [Article.from_text(f"extra{i}", f"追加記事{i}", f"株価が{i}円上昇しました。")],
                tokenizer,
            )
            i += 1

    t = threading.Thread(target=keep_writing)
    t.start()
    try:
        dest = backup(filled, tmp_path / "copy.db", pages_per_step=1)
    finally:
        stop.set()
        t.join()
        writer.close()
    assert check(dest, tokenizer).ok
    # damage the live file, then restore the backup
    filled.write_bytes(b"garbage" * 100)
    with pytest.raises(DatabaseError):
        IndexStore.open(filled)
    restore(dest, filled)
    s = IndexStore.open(filled)
    assert Searcher(s, tokenizer).search("台風").hits[0].article_id == "typhoon"
    s.close()


def test_restore_refuses_a_bad_backup(filled: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    with pytest.raises(DatabaseError, match="not restored"):
        restore(bad, filled)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (a)").connection.commit()
    with pytest.raises(DatabaseError, match="not a kiji database"):
        restore(other, filled)
    assert IndexStore.open(filled).stats()["articles"] == 5  # untouched


def test_check_finds_inconsistent_postings(filled: Path, tokenizer: JapaneseTokenizer) -> None:
    assert check(filled, tokenizer).ok
    conn = sqlite3.connect(filled)
    conn.execute("UPDATE terms SET df = df + 3 WHERE term = '台風'")
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'n_docs'")
    conn.commit()
    conn.close()
    report = check(filled, tokenizer)
    assert not report.ok
    assert any("台風" in p for p in report.problems)
    assert any("passage count" in p for p in report.problems)


def test_check_detects_wrong_tf_by_sampling(filled: Path, tokenizer: JapaneseTokenizer) -> None:
    conn = sqlite3.connect(filled)
    tid = conn.execute("SELECT tid FROM terms WHERE term = '台風'").fetchone()[0]
    conn.execute("UPDATE postings SET tfs = ? WHERE tid = ?", (b"\x09\x00", tid))
    conn.commit()
    conn.close()
    report = check(filled, tokenizer, sample=1000)
    assert not report.ok and any("sampled passages disagree" in p for p in report.problems)


def test_cli_backup_check_doctor(
    filled: Path, tmp_path: Path, capsys, monkeypatch, english: None
) -> None:
    assert main(["backup", "--db", str(filled), str(tmp_path)]) == 0
    assert "verified" in capsys.readouterr().out
    assert main(["check", "--db", str(filled), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["passages"] > 0
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-token")
    assert main(["doctor", "--db", str(filled)]) == 1
    text = capsys.readouterr().out
    assert "does not look like a bot token" in text and "not-a-token" not in text
    monkeypatch.setenv(
        "DISCORD_TOKEN", "MTA1234567890123456789012.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789"
    )
    assert main(["doctor", "--db", str(filled)]) == 0
    text = capsys.readouterr().out
    assert "[  ok] DISCORD_TOKEN" in text and "GabcDE" not in text
