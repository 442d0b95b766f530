"""What a newcomer meets in the first hour (issue 16): consistent validation, honest messages,
no alarming output. The real CLI over real SQLite files in tmp_path."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.cli.main import main
from index.digest.digest import build_digest, display_time, empty_digest_message
from index.store.store import IndexStore
from tests.conftest import make_article

JST = timezone(timedelta(hours=9))
TOKYO = ZoneInfo("Asia/Tokyo")


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


ARTICLE = {
    "id": "a1",
    "url": "https://kiji.example/a1",
    "title": "日銀が利上げ",
    "published_at": "2026-11-20T09:00:00+09:00",
    "body": "日本銀行は政策金利を1.0%に引き上げました。",
    "category": "経済",
}


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    db = tmp_path / "k.db"
    src = write_jsonl(tmp_path / "a.jsonl", [ARTICLE])
    assert main(["ingest", "--db", str(db), str(src)]) == 0
    return db


# --- -k is validated the same way for search, ask and chat -------------------------------------


@pytest.mark.parametrize("command", ["search", "ask", "chat"])
@pytest.mark.parametrize("k", ["0", "-5", "x"])
def test_k_below_one_is_a_usage_error_everywhere(
    command: str, k: str, small_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [command, "--db", str(small_db), f"-k={k}"]
    if command != "chat":
        argv.append("金利")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "引数 -k" in err
    assert ("1 以上にしてください" in err) if k != "x" else ("整数を指定してください" in err)


def test_k_of_one_still_works_for_ask_and_search(
    small_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "--db", str(small_db), "-k", "1", "--json", "金利"]) == 0
    assert len(json.loads(capsys.readouterr().out)["hits"]) == 1
    assert main(["ask", "--db", str(small_db), "-k", "1", "--json", "政策金利は何%？"]) == 0
    assert len(json.loads(capsys.readouterr().out)["excerpts"]) <= 1


# --- ingest messages -----------------------------------------------------------------------------


def test_small_ingest_reports_chars_not_a_meaningless_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], english: None
) -> None:
    src = write_jsonl(tmp_path / "a.jsonl", [ARTICLE])
    assert main(["ingest", "--db", str(tmp_path / "k.db"), str(src)]) == 0
    out = capsys.readouterr().out
    assert "M chars/s" not in out
    assert "added 1" in out and " chars in " in out


def test_big_ingest_reports_its_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """(in Japanese, kiji's default: the rate reads 「M 文字/秒」)"""
    body = "日本銀行は政策金利を引き上げました。" * 400  # 7,200 characters
    records = [
        {**ARTICLE, "id": f"a{i}", "url": f"https://kiji.example/a{i}", "body": f"{i}。{body}"}
        for i in range(15)
    ]
    src = write_jsonl(tmp_path / "big.jsonl", records)
    assert main(["ingest", "--db", str(tmp_path / "k.db"), "--workers", "1", str(src)]) == 0
    assert "M 文字/秒）" in capsys.readouterr().out


def test_control_character_message_reads_well(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text('{"id": "x", "title": "a\tb", "body": "c", "published_at": "2026-11-20"}\n')
    ingest = ["ingest", "--db", str(tmp_path / "k.db"), "--format", "jsonl", str(src)]
    assert main(ingest) == 1
    err = capsys.readouterr().err
    assert "エスケープされていない制御文字 U+0009 があります" in err and "（24 文字目）" in err
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert main(ingest) == 1
    err = capsys.readouterr().err
    assert "at at" not in err
    assert "unescaped control character U+0009 inside a string" in err
    assert "at column 24" in err


# --- digest --------------------------------------------------------------------------------------


@pytest.fixture
def day_store(tmp_path: Path, tokenizer: JapaneseTokenizer):
    with IndexStore.open(tmp_path / "d.db") as store:
        store.add_articles(
            [
                make_article("boj", "日銀が利上げ", ["日本銀行が利上げを決めました。"], hour=9),
                make_article("bear", "クマの出没", ["クマの出没が増えています。"], category="社会"),
            ],
            tokenizer,
        )
        yield store


def test_empty_category_says_the_day_had_articles(day_store: IndexStore) -> None:
    day = date(2026, 11, 20)
    digest = build_digest(day_store, day, TOKYO, categories=["スポーツ"])
    assert digest.is_empty
    assert (digest.day_count, digest.day_categories) == (2, ("社会", "経済"))
    message = empty_digest_message(digest)
    assert message == (
        "2026-11-20（Asia/Tokyo）に公開された記事は2件ありますが、スポーツの記事はありません"
        "（この日のカテゴリ: 社会、経済）。"
    )
    empty_day = build_digest(day_store, day + timedelta(days=1), TOKYO, categories=["スポーツ"])
    assert (
        empty_digest_message(empty_day) == "2026-11-21（Asia/Tokyo）に公開された記事はありません。"
    )


def test_cli_digest_category_message(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["digest", "--db", str(small_db), "--date", "2026-11-20", "--category", "スポーツ"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "記事は1件ありますが、スポーツの記事はありません（この日のカテゴリ: 経済）" in out


def test_date_only_articles_are_listed_without_a_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dated = {**ARTICLE, "id": "d1", "url": "https://kiji.example/d1", "title": "日付だけの記事"}
    dated["published_at"] = "2026-11-20"
    src = write_jsonl(tmp_path / "a.jsonl", [ARTICLE, dated])
    db = str(tmp_path / "k.db")
    assert main(["ingest", "--db", db, str(src)]) == 0
    capsys.readouterr()
    assert main(["digest", "--db", db, "--date", "2026-11-20"]) == 0
    text = capsys.readouterr().out
    assert "・日付だけの記事" in text and "・09:00 日銀が利上げ" in text
    assert "00:00" not in text
    assert main(["digest", "--db", db, "--date", "2026-11-20", "--markdown"]) == 0
    md = capsys.readouterr().out
    assert "- **[日付だけの記事](<https://kiji.example/d1>)**\n" in md
    assert "(<https://kiji.example/a1>)** — 09:00" in md


def test_display_time() -> None:
    assert display_time(None, TOKYO) == ""
    assert display_time(datetime(2026, 11, 20, tzinfo=JST), TOKYO) == ""
    assert display_time(datetime(2026, 11, 20, 0, 0, 1, tzinfo=JST), TOKYO) == "00:00"
    assert display_time(datetime(2026, 11, 20, 9, 30, tzinfo=JST), TOKYO) == "09:30"
    assert display_time(datetime(2026, 11, 20, 9, 30, tzinfo=UTC), TOKYO) == "18:30"


# --- feeds ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed.xml",
        "http://localhost:8080/rss",
        "http://[::1]/atom",
        "https://10.0.0.5/news.rdf",
        "http://169.254.169.254/latest",
    ],
)
def test_feeds_add_refuses_a_private_address_and_names_the_setting(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KIJI_FEEDS_ALLOW_PRIVATE", raising=False)
    db = str(tmp_path / "f.db")
    assert main(["feeds", "add", url, "--db", db]) == 2
    err = capsys.readouterr().err
    assert (
        "プライベート、ループバック、またはリンクローカル" in err
        and "KIJI_FEEDS_ALLOW_PRIVATE=1" in err
    )
    assert main(["feeds", "list", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out) == []

    monkeypatch.setenv("KIJI_FEEDS_ALLOW_PRIVATE", "1")
    assert main(["feeds", "add", url, "--db", db]) == 0


def test_feeds_add_accepts_a_public_name_without_a_lookup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KIJI_FEEDS_ALLOW_PRIVATE", raising=False)
    assert (
        main(["feeds", "add", "https://news.example/feed.xml", "--db", str(tmp_path / "f.db")]) == 0
    )


def test_feed_times_are_shown_in_the_kiji_time_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "f.db")
    monkeypatch.delenv("KIJI_TZ", raising=False)
    assert main(["feeds", "add", "https://news.example/feed.xml", "--db", db]) == 0
    capsys.readouterr()
    with IndexStore.open(Path(db)) as store, store.transaction() as conn:
        conn.execute("UPDATE feeds SET next_poll_at = ?", ("2026-11-20T03:00:00+00:00",))
    assert main(["feeds", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "2026-11-20 12:00 JST" in out and "UTC" not in out
    monkeypatch.setenv("KIJI_TZ", "Europe/London")
    assert main(["feeds", "list", "--db", db]) == 0
    assert "2026-11-20 03:00 GMT" in capsys.readouterr().out


def test_feed_manager_add_honours_allowed_addresses(tmp_path: Path) -> None:
    from index.errors import FeedError
    from index.ingest.feeds import FeedManager
    from index.ingest.fetch import Fetcher

    with IndexStore.open(tmp_path / "f.db") as store:

        def manager(fetcher: Fetcher) -> FeedManager:
            return FeedManager(store, None, clock=lambda: datetime.now(UTC), fetcher=fetcher)

        with pytest.raises(FeedError, match="KIJI_FEEDS_ALLOW_PRIVATE"):
            manager(Fetcher()).add("http://127.0.0.1/a.xml")
        one = Fetcher(allow_addresses=frozenset({"127.0.0.1"}))
        assert manager(one).add("http://127.0.0.1/a.xml").url == "http://127.0.0.1/a.xml"
        with pytest.raises(FeedError, match=r"127\.0\.0\.2 is a private"):
            manager(one).add("http://127.0.0.2/b.xml")


# --- chat history ----------------------------------------------------------------------------------


def test_chat_history_is_trimmed_to_the_newest_entries(tmp_path: Path) -> None:
    from prompt_toolkit.history import FileHistory

    from index.cli.chat_history import open_history

    path = tmp_path / "chat_history"
    writer = FileHistory(str(path))
    for i in range(12):
        writer.store_string(f"質問{i}\n二行目{i}" if i == 11 else f"質問{i}")
    history = open_history(tmp_path / "kiji.db", {"KIJI_CHAT_HISTORY_MAX": "5"})
    assert isinstance(history, FileHistory)
    assert list(history.load_history_strings()) == [
        "質問11\n二行目11", "質問10", "質問9", "質問8", "質問7",
    ]  # fmt: skip
    assert path.stat().st_mode & 0o777 == 0o600
    history.store_string("新しい質問")  # prompt_toolkit keeps appending to the trimmed file
    assert list(FileHistory(str(path)).load_history_strings())[:2] == [
        "新しい質問",
        "質問11\n二行目11",
    ]


def test_chat_history_default_path_custom_path_and_off(tmp_path: Path) -> None:
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    from index.cli.chat_history import history_path, open_history

    db = tmp_path / "data" / "kiji.db"
    assert history_path(db, {}) == tmp_path / "data" / "chat_history"
    custom = tmp_path / "elsewhere" / "h"
    assert history_path(db, {"KIJI_CHAT_HISTORY": str(custom)}) == custom
    made = open_history(db, {"KIJI_CHAT_HISTORY": str(custom)})
    assert isinstance(made, FileHistory) and custom.exists()
    assert custom.stat().st_mode & 0o777 == 0o600
    for off in ("off", "OFF", "0", "none"):
        assert history_path(db, {"KIJI_CHAT_HISTORY": off}) is None
        assert isinstance(open_history(db, {"KIJI_CHAT_HISTORY": off}), InMemoryHistory)
    assert not (tmp_path / "data" / "chat_history").exists()
