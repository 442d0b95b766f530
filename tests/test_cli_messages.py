"""The last errors and texts moved into the message catalogue, each said in Japanese by default
and in English with ``LANG=en…``: a database from a newer kiji, the restore lock, PostgreSQL,
the metrics port, ``kiji eval``'s question file, a question that cannot be searched, the
``kiji commands`` list and argparse's remaining usage errors.

Real CLI (in process, and the console script in a child process where the bot starts), real
SudachiPy, real SQLite files, the local PostgreSQL server for its messages.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from bot.cli import main
from bot.state import schema as bot_tables
from index.config import SAMPLE_ARTICLES
from index.store.schema import SCHEMA_VERSION
from index.store.store import IndexStore

from .pg import pg_database

CONSOLE_SCRIPT = "import sys; from bot.cli import main; sys.exit(main())"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")  # kana and kanji
TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB"

Said = tuple[int, str, str]  # exit code, stdout, stderr


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("messages") / "kiji.db"
    assert main(["ingest", "--db", str(db), str(SAMPLE_ARTICLES)]) == 0
    return db


@pytest.fixture
def both(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[[list[str]], tuple[Said, Said]]:
    """Run one command line in Japanese (the default), then with ``LANG=en_US.UTF-8``."""

    def run(argv: list[str]) -> tuple[Said, Said]:
        said = []
        for lang in ("ja_JP.UTF-8", "en_US.UTF-8"):
            monkeypatch.setenv("LANG", lang)
            code = main(argv)
            out, err = capsys.readouterr()
            said.append((code, out, err))
        return said[0], said[1]

    return run


def console(*argv: str, cwd: Path, **env: str) -> Said:
    """The console script in a child process (the bot's commands start there)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "KIJI_"))}
    done = subprocess.run(
        [sys.executable, "-c", CONSOLE_SCRIPT, *argv],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def kiji_run(tmp_path: Path, **env: str) -> tuple[Said, Said]:
    """``kiji run`` with a well-formed token, in Japanese and then in English: it stops (exit
    2, nothing on stdout) before it would log in to Discord."""
    said = []
    for lang in ("ja_JP.UTF-8", "en_US.UTF-8"):
        code, out, err = console("run", cwd=tmp_path, LANG=lang, DISCORD_TOKEN=TOKEN, **env)
        assert (code, out) == (2, ""), err
        said.append((code, out, err))
    return said[0], said[1]


def first_article() -> Path:
    return min(p for p in SAMPLE_ARTICLES.iterdir() if p.suffix == ".txt")


# ------------------------------------------------------------------ databases and their locks
def test_a_database_from_a_newer_kiji_is_refused_in_the_language(tmp_path: Path, both) -> None:
    db = tmp_path / "newer.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    ja, en = both(["ingest", "--db", str(db), str(first_article())])
    assert ja == (
        2,
        "",
        f"kiji: このデータベースのスキーマはバージョン 999 で、この kiji（{SCHEMA_VERSION}）より"
        "新しいものです。kiji を更新する（pip install -U kiji）か、このバージョンで作った"
        "バックアップを使ってください\n",
    )
    assert en == (
        2,
        "",
        f"kiji: this database has schema version 999, newer than this kiji ({SCHEMA_VERSION}); "
        "upgrade kiji (pip install -U kiji) or use a backup made by this version\n",
    )


def test_newer_bot_settings_stop_kiji_run_in_the_language(sample_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    shutil.copyfile(sample_db, db)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE bot_schema (component TEXT PRIMARY KEY, version INTEGER)")
    conn.execute("INSERT INTO bot_schema VALUES ('settings', 99)")
    conn.commit()
    conn.close()
    ja, en = kiji_run(tmp_path, KIJI_DB=str(db))
    latest = bot_tables.SETTINGS.latest  # the last line, after the index's log lines
    assert ja[2].endswith(
        "\nkiji: このデータベースのボットの設定はバージョン 99 で、"
        f"この kiji が知っているのは {latest} までです。kiji を更新してください\n"
    )
    assert en[2].endswith(
        "\nkiji: the bot settings in this database are version 99, "
        f"this kiji knows {latest}; upgrade kiji\n"
    )


def test_a_restore_refused_by_the_lock_is_said_in_the_language(
    sample_db: Path, tmp_path: Path, both
) -> None:
    db = tmp_path / "live.db"
    shutil.copyfile(sample_db, db)
    restore = ["restore", "--yes", str(sample_db), "--db", str(db)]
    pid = os.getpid()
    with IndexStore.open(db):  # open in this process
        ja, en = both(restore)
    assert ja == (
        1,
        "",
        f"kiji: 復元しませんでした：{db} はこのプロセス（pid {pid}）で開いています。"
        "閉じてから復元してください\n",
    )
    assert en == (
        1,
        "",
        f"kiji: not restored: {db} is open in this process (pid {pid}); close it before restoring\n",
    )

    holder = subprocess.Popen(  # another process holds the lock
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_SH); print('held', flush=True); time.sleep(60)",
            f"{db}.lock",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        ja, en = both(restore)
    finally:
        holder.kill()
        holder.wait()
    named = f"pid {holder.pid} ("  # and its command line
    assert ja[2].startswith(f"kiji: 復元しませんでした：{db} は使用中です（{named}")
    assert ja[2].endswith("）。先に止めてから（例：systemctl stop kiji）復元してください\n")
    assert en[2].startswith(f"kiji: not restored: {db} is in use by {named}")
    assert en[2].endswith("; stop it first (e.g. systemctl stop kiji), then restore\n")


# ------------------------------------------------------------------ PostgreSQL
def test_an_unreachable_postgresql_server_is_said_in_the_language(both) -> None:
    url = "postgresql://postgres:secret@127.0.0.1:1/kiji"
    ja, en = both(["search", "--db", url, "台風"])
    assert ja[0] == 2 and ja[2].startswith(
        "kiji: PostgreSQL（postgres@127.0.0.1:1/kiji、KIJI_DB）に接続できません："
    )
    assert en[0] == 2 and en[2].startswith(
        "kiji: cannot connect to PostgreSQL at postgres@127.0.0.1:1/kiji (KIJI_DB): "
    )
    assert "secret" not in ja[2] + en[2]


def test_postgresql_schema_checks_are_said_in_the_language(both) -> None:
    with pg_database() as url:
        ja, en = both(["stats", "--db", url])
        assert ja[2] == (
            "kiji: この PostgreSQL のデータベースには kiji の索引がありません"
            "（`kiji ingest` で作れます）\n"
        )
        assert en[2] == (
            "kiji: no kiji index in this PostgreSQL database (run `kiji ingest` to create one)\n"
        )
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE meta (key text PRIMARY KEY, value text)")
            conn.execute("INSERT INTO meta VALUES ('schema_version', '999')")
        ja, en = both(["stats", "--db", url])
    assert ja[2].startswith("kiji: このデータベースのスキーマはバージョン 999 で、この kiji（")
    assert ja[2].endswith("）より新しいものです。kiji を更新してください（pip install -U kiji）\n")
    assert re.fullmatch(
        r"kiji: this database has schema version 999, newer than this kiji \(\d+\); "
        r"upgrade kiji \(pip install -U kiji\)\n",
        en[2],
    )


# ------------------------------------------------------------------ the metrics endpoint
def test_a_metrics_port_in_use_stops_kiji_run_in_the_language(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ja, en = kiji_run(tmp_path, KIJI_DB=str(tmp_path / "k.db"), KIJI_METRICS_PORT=str(port))
    assert re.fullmatch(
        rf"kiji: 127\.0\.0\.1:{port} でメトリクスを公開できません（[^）]+）。"
        r"KIJI_METRICS_PORT にほかのポートを指定してください\n",
        ja[2],
    ), ja[2]
    assert re.fullmatch(
        rf"kiji: cannot serve metrics on 127\.0\.0\.1:{port} \([^)]+\); "
        r"choose another KIJI_METRICS_PORT\n",
        en[2],
    ), en[2]


# ------------------------------------------------------------------ kiji eval's question file
def test_a_bad_question_file_is_said_in_the_language(tmp_path: Path, both) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"q": "日銀は？"}\n{"question": "x"}\n', encoding="utf-8")
    ja, en = both(["eval", "--db", str(tmp_path / "k.db"), str(questions)])
    assert ja == (1, "", f'kiji: {questions}:2: 各行に "q"（質問の文字列）が必要です\n')
    assert en == (1, "", f'kiji: {questions}:2: each line needs a "q" string\n')

    questions.write_text('{"q": "日銀は？", "expect_any": 3}\nnot json\n', encoding="utf-8")
    ja, en = both(["eval", "--db", str(tmp_path / "k.db"), str(questions)])
    assert ja[2] == f'kiji: {questions}:1: "expect_any" は文字列のリストにしてください\n'
    assert en[2] == f'kiji: {questions}:1: "expect_any" must be a list of strings\n'

    questions.write_bytes(b'{"q": "\xff"}\n')
    ja, en = both(["eval", "--db", str(tmp_path / "k.db"), str(questions)])
    assert ja[2] == f"kiji: {questions}: UTF-8 ではありません（7 バイト目）\n"
    assert en[2] == f"kiji: {questions}: not UTF-8 (byte 7)\n"


# ------------------------------------------------------------------ questions that cannot be searched
def test_a_question_that_cannot_be_searched_is_said_in_the_language(sample_db: Path, both) -> None:
    ja, en = both(["ask", "--db", str(sample_db), "🎉🎉🎉"])
    assert ja[0] == en[0] == 2
    assert (
        "検索できる語が見つかりませんでした。記号や絵文字だけでなく、言葉で質問してください。"
        in ja[1]
    )
    assert "No searchable words were found. Ask with words, not only symbols or emoji." in en[1]
    assert not JAPANESE.search(en[1])

    ja, en = both(["ask", "--db", str(sample_db), "金利" * 600])
    assert "質問が長すぎます（1200文字）。1000文字以内にしてください。" in ja[1]
    assert "The question is too long (1200 characters). Keep it within 1000 characters." in en[1]


def test_search_on_stdin_gives_the_error_in_the_language(
    sample_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = {}
    for lang in ("ja_JP.UTF-8", "en_US.UTF-8"):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("？！\n".encode())))
        monkeypatch.setenv("LANG", lang)
        assert main(["search", "--db", str(sample_db)]) == 1
        (line,) = capsys.readouterr().out.splitlines()
        errors[lang[:2]] = json.loads(line)["error"]
    assert errors == {
        "ja": "検索できる語が見つかりませんでした。記号や絵文字だけでなく、言葉で質問してください。",
        "en": "No searchable words were found. Ask with words, not only symbols or emoji.",
    }


# ------------------------------------------------------------------ kiji commands
def test_kiji_commands_lists_descriptions_in_the_language(both) -> None:
    ja, en = both(["commands"])
    assert ja[0] == en[0] == 0
    assert re.search(
        r"^ask +聞く +ニュースについて質問すると、出典つきの抜粋で答えます$", ja[1], re.M
    )
    assert re.search(r"^  add +追加 +RSS/Atomフィードを登録します$", ja[1], re.M)
    assert "Ask a question about the news" not in ja[1]
    assert re.search(
        r"^ask +聞く +Ask a question about the news; kiji answers with cited excerpts$", en[1], re.M
    )
    assert re.search(r"^  add +追加 +Subscribe to an RSS or Atom feed$", en[1], re.M)


# ------------------------------------------------------------------ argparse's own errors
def test_the_remaining_usage_errors_are_said_in_the_language(both) -> None:
    ja, en = both(["ask", "--now", "2026-11-20T12:00", "金利"])
    assert ja[0] == 2 and ja[2].endswith(
        "kiji ask: エラー: 引数 --now：タイムゾーンを付けてください（例：2026-11-15T09:00+09:00）\n"
    )
    assert en[2].endswith(
        "kiji ask: error: argument --now: --now needs a timezone, e.g. 2026-11-15T09:00+09:00\n"
    )
    ja, en = both(["eval", "-k", "x", "q.jsonl"])
    assert ja[2].endswith("kiji eval: エラー: 引数 -k：整数を指定してください（'x' でした）\n")
    assert en[2].endswith("kiji eval: error: argument -k: expected a whole number, got 'x'\n")
    ja, en = both(["ask", "--json=yes", "金利"])
    assert ja[2].endswith("kiji ask: エラー: 引数 --json：値 'yes' は取りません\n")
    assert en[2].endswith("kiji ask: error: argument --json: ignored explicit argument 'yes'\n")


def test_argparse_counts_are_said_in_japanese() -> None:
    from index.cli.parser import usage_error

    assert usage_error("argument --x: expected at most one argument", "ja") == (
        "引数 --x：値は一つまでです"
    )
    assert (
        usage_error("argument pair: expected 2 arguments", "ja") == "引数 pair：値が 2 個必要です"
    )
    assert usage_error("argument pair: expected 2 arguments", "en") == (
        "argument pair: expected 2 arguments"
    )
    assert usage_error("something argparse may say one day", "ja") == (
        "something argparse may say one day"
    )
