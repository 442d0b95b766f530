"""Scoring question files through the answer pipeline: what ``kiji eval`` measures.

A question file has one JSON object per line, the format of ``livedoor-dev/questions.jsonl``::

    {"q": "…", "kind": "fact" | "time" | "unanswerable", "gold": "<article id>" | null,
     "expect_any": ["verbatim answer", …], "answer_type": "person", "category": "…"}

Scoring (the rule of that set's README):

- an *answerable* question (``kind`` other than ``unanswerable``) counts when the answer is
  ``answered``, the gold article (if the line names one) is cited in the top-k excerpts and one of
  those excerpts holds a string of ``expect_any`` (any excerpt when ``expect_any`` is empty);
- it counts as *answer in excerpt 1* when excerpt [1] alone satisfies that;
- an *unanswerable* question counts when the status is ``not_found``.

This module only reads answers; it never writes to the index.
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import NewsIndexError
from index.models import Answer, Excerpt

UNANSWERABLE = "unanswerable"


class EvalFileError(NewsIndexError):
    """A question file that cannot be read (a line that is not a question object)."""


@dataclass(frozen=True)
class EvalQuestion:
    q: str
    kind: str = "fact"
    gold: str | None = None
    expect_any: tuple[str, ...] = ()
    answer_type: str | None = None
    category: str | None = None
    line: int = 0

    @property
    def answerable(self) -> bool:
        return self.kind != UNANSWERABLE


@dataclass(frozen=True)
class EvalResult:
    question: EvalQuestion
    status: str
    ok: bool
    first: bool  # answerable: excerpt [1] holds the answer
    gold_cited: bool
    took_ms: float
    excerpts: tuple[Excerpt, ...] = ()


@dataclass
class EvalReport:
    results: list[EvalResult] = field(default_factory=list)

    def _share(self, pred: Callable[[EvalResult], bool], pool: list[EvalResult]) -> float:
        return sum(1 for r in pool if pred(r)) / len(pool) if pool else 0.0

    @property
    def answerable(self) -> list[EvalResult]:
        return [r for r in self.results if r.question.answerable]

    @property
    def unanswerable(self) -> list[EvalResult]:
        return [r for r in self.results if not r.question.answerable]

    def summary(self) -> dict[str, object]:
        ans, una = self.answerable, self.unanswerable
        times = sorted(r.took_ms for r in self.results)
        by_kind: dict[str, dict[str, float | int]] = {}
        for kind in sorted({r.question.kind for r in self.results}):
            pool = [r for r in self.results if r.question.kind == kind]
            by_kind[kind] = {"n": len(pool), "score": round(self._share(lambda r: r.ok, pool), 4)}
        by_type: dict[str, dict[str, float | int]] = {}
        for at in sorted({r.question.answer_type or "" for r in ans}):
            pool = [r for r in ans if (r.question.answer_type or "") == at]
            by_type[at or "-"] = {
                "n": len(pool),
                "score": round(self._share(lambda r: r.ok, pool), 4),
                "first": round(self._share(lambda r: r.first, pool), 4),
            }
        return {
            "questions": len(self.results),
            "overall": round(self._share(lambda r: r.ok, self.results), 4),
            "answerable": len(ans),
            "answered_correctly": sum(1 for r in ans if r.ok),
            "answer_in_excerpt_1": round(self._share(lambda r: r.first, ans), 4),
            "answer_in_top_k": round(self._share(lambda r: r.ok, ans), 4),
            "gold_cited": round(self._share(lambda r: r.gold_cited, ans), 4),
            "false_not_found": sum(1 for r in ans if r.status == "not_found"),
            "unanswerable": len(una),
            "not_found_on_unanswerable": sum(1 for r in una if r.ok),
            "p50_ms": round(_percentile(times, 50), 2),
            "p99_ms": round(_percentile(times, 99), 2),
            "by_kind": by_kind,
            "by_answer_type": by_type,
        }

    @property
    def failures(self) -> list[EvalResult]:
        return [r for r in self.results if not r.ok]


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    i = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[i]


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u3000", "")


def read_questions(path: Path) -> list[EvalQuestion]:
    """Questions of a JSON-lines file; blank lines, ``#`` comments and unhelpful-vote records
    with neither gold nor expected text (``kiji feedback export --include-negative``) are skipped.

    Raises :class:`EvalFileError` naming the line of the first record that is not a question.
    """
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise EvalFileError.keyed("eval_unreadable", path=path, error=e.strerror or e) from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise EvalFileError.keyed("eval_not_utf8", path=path, byte=e.start) from e
    return list(_parse(text.splitlines(), path))


def _parse(lines: Iterable[str], path: Path) -> Iterator[EvalQuestion]:
    for no, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise EvalFileError.keyed("eval_not_json", where=f"{path}:{no}", error=e.msg) from e
        if not isinstance(obj, dict) or not isinstance(obj.get("q"), str) or not obj["q"].strip():
            raise EvalFileError.keyed("eval_no_question", where=f"{path}:{no}")
        expect = obj.get("expect_any") or []
        if isinstance(expect, str):
            expect = [expect]
        if not isinstance(expect, list) or not all(isinstance(x, str) for x in expect):
            raise EvalFileError.keyed("eval_bad_expect", where=f"{path}:{no}")
        kind = str(obj.get("kind") or "fact")
        gold = obj.get("gold")
        if obj.get("vote") == "down" and gold in (None, "") and not expect:
            continue  # a 👎 from `kiji feedback export --include-negative`: to review, not to score
        yield EvalQuestion(
            q=obj["q"],
            kind=kind,
            gold=str(gold) if gold not in (None, "") else None,
            expect_any=tuple(x for x in expect if x),
            answer_type=obj.get("answer_type"),
            category=obj.get("category"),
            line=no,
        )


def holds_answer(excerpt: Excerpt, question: EvalQuestion) -> bool:
    """Whether one excerpt satisfies the question: from the gold article, holding an answer."""
    if question.gold is not None and excerpt.article_id != question.gold:
        return False
    if not question.expect_any:
        return True
    text = _norm(excerpt.text)
    return any(_norm(x) in text for x in question.expect_any)


def score(question: EvalQuestion, answer: Answer, took_ms: float) -> EvalResult:
    excerpts = answer.excerpts
    if not question.answerable:
        ok = answer.status == "not_found"
        return EvalResult(question, answer.status, ok, False, False, took_ms, excerpts)
    answered = answer.status == "answered"
    ok = answered and any(holds_answer(e, question) for e in excerpts)
    first = answered and bool(excerpts) and holds_answer(excerpts[0], question)
    cited = answered and (
        question.gold is None or any(e.article_id == question.gold for e in excerpts)
    )
    return EvalResult(question, answer.status, ok, first, cited, took_ms, excerpts)


def run_eval(
    questions: Iterable[EvalQuestion],
    ask: Callable[[str], Answer],
    *,
    progress: Callable[[int], None] | None = None,
) -> EvalReport:
    """Ask every question through ``ask`` (the same pipeline as ``kiji ask``) and score it."""
    report = EvalReport()
    for i, q in enumerate(questions, 1):
        t0 = time.perf_counter()
        answer = ask(q.q)
        took = (time.perf_counter() - t0) * 1000.0
        report.results.append(score(q, answer, took))
        if progress is not None:
            progress(i)
    return report


def result_dict(r: EvalResult) -> dict[str, object]:
    return {
        "line": r.question.line,
        "q": r.question.q,
        "kind": r.question.kind,
        "answer_type": r.question.answer_type,
        "gold": r.question.gold,
        "expect_any": list(r.question.expect_any),
        "status": r.status,
        "ok": r.ok,
        "answer_in_excerpt_1": r.first,
        "gold_cited": r.gold_cited,
        "took_ms": round(r.took_ms, 2),
        "excerpts": [{"n": e.n, "article_id": e.article_id, "text": e.text} for e in r.excerpts],
    }
