"""The command line speaks Japanese by default and English when the locale says ``en``
(``LC_ALL``, then ``LC_MESSAGES``, then ``LANG``), with no mixed 「追加 added」 lines.

Real CLI (in process, and the console script in a child process), real SudachiPy, a real
database built from data/articles.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from index.config import SAMPLE_ARTICLES

CONSOLE_SCRIPT = "import sys; from bot.cli import main; sys.exit(main())"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")  # kana and kanji


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("lang") / "kiji.db"
    assert main(["ingest", "--db", str(db), str(SAMPLE_ARTICLES)]) == 0
    return db


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_summary_is_japanese_by_default_and_english_with_lang_en(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "k.db")
    code, out, _ = run(["ingest", "--db", db, str(SAMPLE_ARTICLES)], capsys)
    assert code == 0
    assert re.fullmatch(
        r"追加 28 / 更新 0 / 変更なし 0 / 除外 0 — [\d,]+ 段落、[\d,]+ 文字、[\d.]+ 秒\n", out
    )

    monkeypatch.setenv("LANG", "en_US.UTF-8")
    code, out, _ = run(["ingest", "--db", db, str(SAMPLE_ARTICLES)], capsys)
    assert code == 0
    assert re.fullmatch(
        r"added 0 / updated 0 / unchanged 28 / rejected 0 — [\d,]+ passages, [\d,]+ chars in [\d.]+ s\n",
        out,
    )


def test_stats_labels_follow_the_language(
    sample_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ja, _ = run(["stats", "--db", str(sample_db)], capsys)
    assert ja.splitlines()[1].startswith("記事") and "articles" not in ja
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    _, en, _ = run(["stats", "--db", str(sample_db)], capsys)
    assert en.splitlines()[1].startswith("articles   28") and not JAPANESE.search(en)


def test_not_found_and_empty_digest_in_each_language(
    sample_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    question = ["ask", "--db", str(sample_db), "火星の天気は？"]
    empty_day = ["digest", "--db", str(sample_db), "--date", "2001-01-01"]
    _, ja, _ = run(question, capsys)
    assert "見つかりませんでした" in ja
    _, ja_digest, _ = run(empty_day, capsys)
    assert ja_digest == "2001-01-01（Asia/Tokyo）に公開された記事はありません。\n"

    monkeypatch.setenv("LC_MESSAGES", "en_US.UTF-8")  # wins over LANG
    _, en, _ = run(question, capsys)
    assert "No article in the index answers this question" in en
    _, en_digest, _ = run(empty_day, capsys)
    assert en_digest == "No articles were published on 2001-01-01 (Asia/Tokyo).\n"


def test_errors_are_framed_in_the_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = str(tmp_path / "nothing-here")
    _, _, ja = run(["ingest", "--db", str(tmp_path / "k.db"), missing], capsys)
    assert ja == f"kiji: ファイルまたはディレクトリがありません：{missing}\n"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    _, _, en = run(["ingest", "--db", str(tmp_path / "k.db"), missing], capsys)
    assert en == f"kiji: no such file or directory: {missing}\n"


def test_a_core_error_is_shown_in_the_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add = ["feeds", "add", "ftp://news.example/feed", "--db", str(tmp_path / "k.db")]
    code, _, ja = run(add, capsys)
    assert code == 2
    assert ja.startswith(
        "kiji: 取得できるのは http:// と https:// の URL だけです（ftp:// は使えません"
    )
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    _, _, en = run(add, capsys)
    assert en.startswith("kiji: only http:// and https:// URLs can be fetched, not ftp://")


def test_an_ops_error_is_shown_in_the_language(
    sample_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    backup = ["backup", "--db", str(sample_db), str(tmp_path / "no" / "such" / "dir" / "x.db")]
    code, _, ja = run(backup, capsys)
    assert code == 1
    assert ja.startswith("kiji: バックアップは書き出していません：ディレクトリ ")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    _, _, en = run(backup, capsys)
    assert en.startswith("kiji: the backup was not written: no directory ")


def test_the_console_script_reads_lc_all_first(sample_db: Path, tmp_path: Path) -> None:
    code = "import sys; from bot.cli import main; sys.exit(main())"

    def stats(**env: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code, "stats", "--db", str(sample_db)],
            env={**os.environ, **env},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert stats(LC_ALL="en_US.UTF-8", LANG="ja_JP.UTF-8").startswith("database   ")
    assert stats(LC_ALL="ja_JP.UTF-8", LANG="en_US.UTF-8").startswith("データベース ")


def test_ingest_rejections_and_skips_are_said_in_the_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "README.md").write_text("# notes\n", encoding="utf-8")
    (corpus / "a.jsonl").write_text('{"id": "x", "title": "t", "body": "b"}\n', encoding="utf-8")
    ingest = ["ingest", "--db", str(tmp_path / "k.db"), str(corpus)]
    code, _, ja = run(ingest, capsys)
    assert code == 1
    assert f"除外  {corpus / 'a.jsonl'}:1: フィールド 'published_at' がありません\n" in ja
    assert f"スキップ  {corpus / 'README.md'}: 記事ではなく説明書きのファイルです" in ja
    assert "missing" not in ja and "documentation" not in ja

    monkeypatch.setenv("LANG", "en_US.UTF-8")
    code, _, en = run(ingest, capsys)
    assert f"rejected  {corpus / 'a.jsonl'}:1: missing field 'published_at'\n" in en
    assert f"skipped  {corpus / 'README.md'}: a documentation file" in en
    assert not JAPANESE.search(en)


def test_ingest_json_gives_a_stable_code_the_english_reason_and_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"id": "x", "title": "t", "body": "b", "published_at": "soon"}\n[1]\n')
    ingest = ["ingest", "--db", str(tmp_path / "k.db"), "--json", str(bad)]
    _, out, _ = run(ingest, capsys)
    rejected = json.loads(out)["rejected"]
    assert rejected == [
        {
            "where": f"{bad}:1",
            "code": "reject_date_not_iso",
            "reason": "published_at 'soon' is not an ISO 8601 date (e.g. 2025-01-06T09:00:00+09:00)",
            "message": "published_at 'soon' は ISO 8601 の日付ではありません（例：2025-01-06T09:00:00+09:00）",
        },
        {
            "where": f"{bad}:2",
            "code": "reject_not_object",
            "reason": "expected a JSON object, got list",
            "message": "JSON オブジェクトではありません（list）",
        },
    ]
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    _, out, _ = run(ingest, capsys)
    assert [r["message"] for r in json.loads(out)["rejected"]] == [r["reason"] for r in rejected]


def test_check_findings_are_said_in_the_language(
    sample_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    db = tmp_path / "broken.db"
    shutil.copyfile(sample_db, db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'n_docs'")
    conn.commit()
    conn.close()
    check = ["check", "--db", str(db), "--sample", "5"]
    code, ja, _ = run(check, capsys)
    assert code == 1
    assert re.search(r"^問題: 段落の数が meta では 999、passages では \d+ です$", ja, re.M)
    assert "PROBLEM" not in ja and "in meta" not in ja

    monkeypatch.setenv("LANG", "en_US.UTF-8")
    code, en, _ = run(check, capsys)
    assert re.search(r"^PROBLEM: passage count 999 in meta, \d+ in passages$", en, re.M)
    assert not JAPANESE.search(en)
    _, out, _ = run([*check, "--json"], capsys)
    report = json.loads(out)
    assert report["problem_codes"] == ["check_passage_count"]
    assert report["messages"] == report["problems"]  # English asked for: the same words


def test_a_settings_error_at_start_up_is_said_in_the_language(tmp_path: Path) -> None:
    """``kiji commands`` reads the bot's settings first (bot/config.py), in a child process."""

    def commands(**env: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", CONSOLE_SCRIPT, "commands"],
            env={**os.environ, "KIJI_LOG_LEVEL": "loud", **env},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert (done.returncode, done.stdout) == (2, ""), done.stderr
        return done.stderr

    assert commands(LANG="ja_JP.UTF-8") == (
        "kiji: KIJI_LOG_LEVEL='LOUD' はログレベルではありません（DEBUG、INFO、WARNING、ERROR）\n"
    )
    assert commands(LANG="en_US.UTF-8") == (
        "kiji: KIJI_LOG_LEVEL='LOUD' is not a log level (DEBUG, INFO, WARNING, ERROR)\n"
    )


def test_help_and_usage_errors_follow_the_language(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, ja, _ = run(["ingest", "--help"], capsys)
    assert code == 0
    assert ja.startswith("使い方: kiji ingest ")
    assert "\n引数:\n" in ja and "\nオプション:\n" in ja
    assert "このヘルプを表示して終了する" in ja and "1 トランザクションあたりの記事数" in ja
    assert "usage" not in ja and "transaction" not in ja
    _, top, _ = run(["--help"], capsys)
    assert "    ingest    ファイルやディレクトリから記事を取り込む\n" in top
    assert "    run       Discord ボットを動かす（DISCORD_TOKEN が必要）\n" in top  # the bot's
    code, _, err = run(["search", "-k", "0", "金利"], capsys)
    assert code == 2
    assert err.endswith("kiji search: エラー: 引数 -k：1 以上にしてください（0 でした）\n")

    monkeypatch.setenv("LANG", "en_US.UTF-8")
    _, en, _ = run(["ingest", "--help"], capsys)
    assert en.startswith("usage: kiji ingest ")
    assert "show this help message and exit" in en and "articles per transaction" in en
    assert not JAPANESE.search(en)
    _, _, err = run(["search", "-k", "0", "金利"], capsys)
    assert err.endswith("kiji search: error: argument -k: must be at least 1 (got 0)\n")
