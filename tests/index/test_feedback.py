"""Votes on answers: the feedback store, `+`/`-` in `kiji chat`, `kiji feedback export`, and the
helpful rate of `kiji stats`, over real databases in tmp_path and real Sudachi."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.answer import Answerer
from index.answer.feedback import eval_records, expect_strings
from index.cli.main import main
from index.models import Answer
from index.search.search import Searcher
from index.store.feedback_store import (
    TERMINAL,
    AnswerNotFound,
    FeedbackStore,
    HelpfulRate,
    VotedAnswer,
)
from index.store.store import IndexStore
from tests.index.test_answer import ARTICLES

NOW = "2026-11-20T12:00:00+09:00"
T0 = datetime.fromisoformat(NOW)
EVAL_FIELDS = {"q", "kind", "gold", "expect_any", "answer_type", "category"}
SHARED_EVAL = Path(__file__).resolve().parents[3] / "shared/eval/livedoor-dev/questions.jsonl"


@pytest.fixture
def db(tmp_path: Path, tokenizer: JapaneseTokenizer) -> Path:
    path = tmp_path / "kiji.db"
    with IndexStore.open(path) as store:
        store.add_articles(ARTICLES, tokenizer)
    return path


def ask(store: IndexStore, tokenizer: JapaneseTokenizer, question: str) -> Answer:
    answer = Answerer(store, Searcher(store, tokenizer), tokenizer).ask(question, now=T0, k=3)
    assert answer.status == "answered" and answer.excerpts
    return answer


def chat(db: Path, monkeypatch: pytest.MonkeyPatch, lines: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    return main(["chat", "--db", str(db), "--now", NOW])


# --------------------------------------------------------------------------- the store


def test_one_vote_per_voter_per_answer(db: Path, tokenizer: JapaneseTokenizer) -> None:
    with IndexStore.open(db) as store:
        fb = FeedbackStore(store)
        answer = ask(store, tokenizer, "日銀は政策金利を何%に引き上げた？")
        a = fb.remember_answer(answer.question, answer.excerpts, now=T0)
        # The same answer shown again is the same answer.
        assert fb.remember_answer(answer.question, answer.excerpts, now=T0) == a
        other = ask(store, tokenizer, "円安の理由は？")
        assert fb.remember_answer(other.question, other.excerpts, now=T0) != a

        assert fb.vote(a, "1", 1, source="discord", guild_id=7, now=T0).outcome == "new"
        assert fb.vote(a, "1", 1, source="discord", guild_id=7, now=T0).outcome == "same"
        assert fb.helpful_rate(T0 - timedelta(days=7)) == HelpfulRate(1, 0)
        assert fb.vote(a, "1", -1, source="discord", guild_id=7, now=T0).outcome == "changed"
        assert fb.helpful_rate(T0 - timedelta(days=7)) == HelpfulRate(0, 1)
        fb.vote(a, "2", 1, source="discord", guild_id=7, now=T0)
        fb.vote(a, TERMINAL, 1, source="terminal", now=T0)
        week = fb.helpful_rate(T0 - timedelta(days=7))
        assert (week.up, week.down, week.rate) == (2, 1, pytest.approx(2 / 3))
        assert fb.helpful_rate(T0 - timedelta(days=7), guild_id=7) == HelpfulRate(1, 1)
        assert fb.helpful_rate(T0 + timedelta(seconds=1)) == HelpfulRate(0, 0)

        (voted,) = fb.voted_answers()
        assert (voted.question, voted.up, voted.down) == (answer.question, 2, 1)
        assert voted.sources == ("discord", "terminal")
        assert voted.index_version == store.meta_int("generation") > 0
        assert [e.article_id for e in voted.excerpts] == [e.article_id for e in answer.excerpts]
        assert voted.excerpts[0].text == answer.excerpts[0].text
        assert voted.excerpts[0].url == "https://kiji.example/rate"
        assert voted.excerpts[0].category == "経済"

        with pytest.raises(AnswerNotFound):
            fb.vote(999, "1", 1, source="discord", now=T0)
        with pytest.raises(ValueError):
            fb.vote(a, "1", 0, source="discord", now=T0)


def test_reading_a_database_without_votes_writes_nothing(db: Path) -> None:
    with IndexStore.open(db, readonly=True) as store:
        fb = FeedbackStore(store)
        assert fb.voted_answers() == []
        assert fb.helpful_rate(T0).rate is None


# --------------------------------------------------------------------------- kiji chat


def test_chat_plus_and_minus_vote_on_the_last_answer(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = "+\n日銀は政策金利を何%に引き上げた？\n+\n+\n円安の理由は？\n-\n+\n"
    assert chat(db, monkeypatch, lines) == 0
    out = capsys.readouterr().out
    assert "+ / - で役に立った" in out  # the help line says how
    assert "評価できる回答がまだありません" in out  # "+" before any answer
    assert out.count("👍 を記録しました") == 1
    assert "👍 はすでに記録されています" in out
    assert "評価を 👍 に変更しました" in out
    with IndexStore.open(db) as store:
        voted = {v.question: v for v in FeedbackStore(store).voted_answers()}
    assert set(voted) == {"日銀は政策金利を何%に引き上げた？", "円安の理由は？"}
    assert (voted["日銀は政策金利を何%に引き上げた？"].up, voted["円安の理由は？"].up) == (1, 1)
    assert all(v.down == 0 and v.sources == ("terminal",) for v in voted.values())


# --------------------------------------------------------------------------- export


def test_export_writes_an_eval_file_that_the_same_pipeline_passes(
    db: Path,
    tmp_path: Path,
    tokenizer: JapaneseTokenizer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = "日銀は政策金利を何%に引き上げた？\n+\n円安の理由は？\n-\n"
    assert chat(db, monkeypatch, lines) == 0
    out = tmp_path / "eval" / "feedback.jsonl"
    assert main(["feedback", "export", "--db", str(db), "--out", str(out)]) == 0
    assert "質問 1 件（👍 1、👎 0）を書き出しました" in capsys.readouterr().err

    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 1  # the 👎 answer is left out by default
    (rec,) = records
    assert set(rec) >= EVAL_FIELDS
    assert rec["q"] == "日銀は政策金利を何%に引き上げた？"
    assert (rec["kind"], rec["gold"], rec["category"], rec["vote"]) == (
        "fact",
        "rate",
        "経済",
        "up",
    )
    assert rec["expect_any"] and all(isinstance(x, str) for x in rec["expect_any"])
    assert rec["shown"][0]["url"] == "https://kiji.example/rate"
    # The shared livedoor-dev set has the same fields with the same types.
    if SHARED_EVAL.exists():
        sample = json.loads(SHARED_EVAL.read_text(encoding="utf-8").splitlines()[0])
        assert set(sample) == EVAL_FIELDS
        assert all(type(rec[k]) is type(sample[k]) for k in EVAL_FIELDS - {"answer_type"})

    # Scored by the eval rule over the same index: excerpt 1 cites gold and holds expected text.
    with IndexStore.open(db) as store:
        body = store.get_article("rate").body  # type: ignore[union-attr]
        assert all(x in body for x in rec["expect_any"])  # verbatim article text
        first = ask(store, tokenizer, rec["q"]).excerpts[0]
    assert first.article_id == rec["gold"]
    assert any(x in first.text for x in rec["expect_any"])

    # --include-negative adds the 👎 answer for review: no gold, the vote says why.
    assert main(["feedback", "export", "--db", str(db), "--include-negative"]) == 0
    both = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    down = next(r for r in both if r["vote"] == "down")
    assert (down["q"], down["gold"], down["expect_any"]) == ("円安の理由は？", None, [])
    assert down["shown"][0]["article_id"] == "yen"


def test_export_since_keeps_only_later_votes(
    db: Path, tokenizer: JapaneseTokenizer, capsys: pytest.CaptureFixture[str]
) -> None:
    with IndexStore.open(db) as store:
        fb = FeedbackStore(store)
        for question, day in (("日銀は政策金利を何%に引き上げた？", 1), ("円安の理由は？", 10)):
            answer = ask(store, tokenizer, question)
            a = fb.remember_answer(question, answer.excerpts, now=T0)
            fb.vote(a, "1", 1, source="discord", now=datetime(2026, 11, day, 12, tzinfo=UTC))
    assert main(["feedback", "export", "--db", str(db), "--since", "2026-11-05"]) == 0
    assert [json.loads(x)["q"] for x in capsys.readouterr().out.splitlines()] == ["円安の理由は？"]
    assert main(["feedback", "export", "--db", str(db), "--since", "11/05"]) == 2


def _voted(question: str, up: int, down: int, day: int, article: str = "a") -> VotedAnswer:
    from index.store.feedback_store import ShownExcerpt

    when = datetime(2026, 11, day, tzinfo=UTC)
    text = "…冒頭は省略。日本銀行は利上げを決めました。短い。"
    shown = (ShownExcerpt(1, article, 1, "t", "https://kiji.example/a", text, "経済"),)
    return VotedAnswer(1, question, shown, 3, up, down, ("discord",), when, when)


def test_records_take_the_majority_and_one_line_per_question() -> None:
    answers = [
        _voted("q1", 2, 1, 1, article="old"),
        _voted("q1", 1, 0, 3, article="new"),  # later helpful answer of the same question wins
        _voted("q2", 1, 1, 2),  # a tie says nothing
        _voted("q3", 0, 2, 2),  # unhelpful: only on request
        _voted("q4", 1, 0, 4, article="kept"),
        _voted("q4", 0, 1, 5),  # a later 👎 does not replace a helpful answer
    ]
    assert [(r["q"], r["gold"]) for r in eval_records(answers)] == [("q1", "new"), ("q4", "kept")]
    with_down = eval_records(answers, include_negative=True)
    assert [(r["q"], r["vote"]) for r in with_down] == [("q1", "up"), ("q3", "down"), ("q4", "up")]


def test_expected_strings_are_whole_sentences_without_the_cut_marks() -> None:
    assert expect_strings("…冒頭は省略。日本銀行は利上げを決めました。短い。") == [
        "冒頭は省略。",
        "日本銀行は利上げを決めました。",
    ]
    assert expect_strings("短い…") == ["短い"]


# --------------------------------------------------------------------------- kiji stats


def test_stats_shows_the_weeks_helpful_rate(
    db: Path, tokenizer: JapaneseTokenizer, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    with IndexStore.open(db) as store:
        fb = FeedbackStore(store)
        answer = ask(store, tokenizer, "円安の理由は？")
        a = fb.remember_answer(answer.question, answer.excerpts, now=now)
        for voter, vote in (("1", 1), ("2", 1), ("3", 1), ("4", -1)):
            fb.vote(a, voter, vote, source="discord", now=now)
        fb.vote(a, "5", -1, source="discord", now=now - timedelta(days=8))  # too old
    assert main(["stats", "--db", str(db), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["helpful_7d"] == {"up": 3, "down": 1, "rate": 0.75}
    assert main(["stats", "--db", str(db)]) == 0
    assert "役に立った   75%（👍 3 / 👎 1、直近7日間）" in capsys.readouterr().out
