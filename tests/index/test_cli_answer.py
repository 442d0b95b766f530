"""`kiji ask` and `kiji chat` in process, over real databases in tmp_path."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.cli.answer import register, run_chat
from index.store.store import IndexStore
from tests.index.test_answer import ARTICLES

NOW = "2026-11-20T12:00:00+09:00"


def run(argv: list[str]) -> int:
    """The subcommands behind a tiny parser with the global --db option, as index/cli/main.py has
    (which also sets the language: Japanese here)."""
    parser = argparse.ArgumentParser(prog="kiji")
    parser.add_argument("--db", type=Path)
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    args.lang = "ja"
    return args.handler(args)


@pytest.fixture
def db(tmp_path: Path, tokenizer: JapaneseTokenizer) -> Path:
    path = tmp_path / "kiji.db"
    with IndexStore.open(path) as store:
        store.add_articles(ARTICLES, tokenizer)
    return path


def test_ask_json_has_the_documented_shape(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        ["--db", str(db), "ask", "--json", "--now", NOW, "日銀は政策金利を何%に引き上げた？"]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {
        "question", "status", "message", "note", "excerpts", "related", "closest", "took_ms",
    }  # fmt: skip
    assert out["question"] == "日銀は政策金利を何%に引き上げた？"
    assert out["status"] == "answered"
    first = out["excerpts"][0]
    assert set(first) == {
        "n", "text", "highlights", "article_id", "title", "url", "published_at", "heading", "score",
    }  # fmt: skip
    assert first["n"] == 1
    assert first["article_id"] == "rate"
    assert first["published_at"] == "2026-11-20T09:00:00+09:00"
    assert first["heading"] == "はじめに"
    assert all(first["text"][s:e] for s, e in first["highlights"])
    assert out["related"][0] == {
        "article_id": "yen",
        "title": "円安が進む理由を解説",
        "url": "https://kiji.example/yen",
        "published_at": "2026-11-18T09:00:00+09:00",
    }
    assert isinstance(out["took_ms"], float)


def test_ask_words_are_joined_and_k_limits_excerpts(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--db", str(db), "ask", "--json", "-k", "1", "住宅ローン", "金利"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["question"] == "住宅ローン 金利"
    assert len(out["excerpts"]) == 1


def test_ask_not_found_exits_zero(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--db", str(db), "ask", "--json", "ビットコインの半減期はいつ？"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "not_found"
    assert out["excerpts"] == []
    assert "見つかりませんでした" in out["message"]


@pytest.mark.parametrize("question", ["😀", "<@123>"])
def test_ask_invalid_exits_two(db: Path, capsys: pytest.CaptureFixture[str], question: str) -> None:
    assert run(["--db", str(db), "ask", "--json", question]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "invalid"
    assert out["message"]


def test_ask_prints_numbered_excerpts_and_citations(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One excerpt, so the reprint of the same news is offered among the related articles.
    assert run(["--db", str(db), "ask", "--now", NOW, "-k", "1", "昨日上陸した台風は？"]) == 0
    out = capsys.readouterr().out
    assert "昨日（11月19日）に公開された記事から答えています。" in out
    assert "[1] 台風21号は11月19日午前6時ごろ、高知県室戸市付近に上陸しました。" in out
    assert "台風21号が高知県に上陸・2026-11-19・はじめに・https://kiji.example/typhoon" in out
    assert "[2]" not in out
    assert "関連記事" in out and "台風21号の被害まとめ" in out
    assert " ms" in out


def test_ask_without_a_database_explains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--db", str(tmp_path / "missing.db"), "ask", "金利"]) == 1
    assert "kiji ingest" in capsys.readouterr().err
    assert not (tmp_path / "missing.db").exists()


def test_ask_rejects_a_naive_now(db: Path) -> None:
    with pytest.raises(SystemExit):
        run(["--db", str(db), "ask", "--now", "2026-11-20T12:00", "金利"])


def test_chat_reads_questions_line_by_line(db: Path) -> None:
    out = io.StringIO()
    stdin = io.StringIO("日銀の政策金利は？\n\n😀\nquit\n円安の理由は？\n")
    assert run_chat(db, stdin=stdin, stdout=out, k=2) == 0
    text = out.getvalue()
    assert "7 件の記事について質問できます" in text
    assert "[1] " in text and "1.0%" in text
    assert "検索できる語が見つかりませんでした" in text
    assert "158円" not in text  # nothing after "quit" is asked


def test_chat_subcommand_stops_at_end_of_input(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("円安の理由は？\n"))
    assert run(["--db", str(db), "chat", "--now", NOW]) == 0
    assert "金利差" in capsys.readouterr().out


def test_chat_builds_the_sample_database_on_first_run(tmp_path: Path) -> None:
    db = tmp_path / "new" / "kiji.db"
    out = io.StringIO()
    assert run_chat(db, stdin=io.StringIO("ピッチクロックとは？\n"), stdout=out) == 0
    text = out.getvalue()
    assert "サンプル記事から作成します" in text
    assert "件の記事を取り込みました" in text
    assert "[1] " in text and "ピッチクロック" in text
    assert db.exists()
