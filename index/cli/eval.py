"""``kiji eval FILE``: run a question file through the answer pipeline and print its scores.

Communities use it on their own corpora (the file format is documented in :mod:`index.answer.evaluate`
and the README); developers run it for every change to the answer path.
"""

from __future__ import annotations

import argparse
import json
import sys

from index.answer.evaluate import EvalReport, read_questions, result_dict, run_eval
from index.cli.answer import EXIT_ERROR, EXIT_OK, _answerer, _clock, _db_path, _parse_now
from index.cli.args import positive_int
from index.config import CoreSettings
from index.errors import NewsIndexError
from index.messages import Lang, t
from index.store.store import IndexStore


def register(sub: argparse._SubParsersAction) -> None:
    parents = [getattr(sub, "common")] if hasattr(sub, "common") else []  # noqa: B009
    p = sub.add_parser(
        "eval",
        parents=parents,
        help="score a question file (JSON lines) through the answer pipeline",
        description=(
            "Ask every question of FILE (one JSON object per line: q, kind, gold, expect_any) "
            "as `kiji ask` would, and print the scores and the failures."
        ),
    )
    p.add_argument("file", metavar="FILE", help="question file (JSON lines)")
    p.add_argument("--json", action="store_true", dest="as_json", help="print JSON")
    p.add_argument(
        "-k", type=positive_int, default=3, help="excerpts per answer, as in kiji ask (default 3)"
    )
    p.add_argument("--now", type=_parse_now, help="answer as of this time (ISO, with timezone)")
    p.add_argument("--all", action="store_true", help="list every question, not only failures")
    p.set_defaults(func=eval_command, handler=eval_command)


def eval_command(args: argparse.Namespace) -> int:
    """0 when the file ran (whatever the scores), 1 on a database or file error."""
    from pathlib import Path

    settings = CoreSettings.from_env()
    try:
        questions = read_questions(Path(args.file))
        store = IndexStore.open(_db_path(args, settings), create=False)
    except NewsIndexError as e:
        print(t(args.lang, "cli_error", detail=e.text(args.lang)), file=sys.stderr)
        return EXIT_ERROR
    if not questions:
        print(t(args.lang, "eval_no_questions", file=args.file), file=sys.stderr)
        return EXIT_ERROR
    clock = _clock(args, settings)
    with store:
        answerer = _answerer(store, settings)
        report = run_eval(questions, lambda q: answerer.ask(q, now=clock(), k=args.k))
    if args.as_json:
        shown = report.results if args.all else report.failures
        out = {
            "summary": report.summary(),
            "results" if args.all else "failures": [result_dict(r) for r in shown],
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_report(report, show_all=args.all, lang=args.lang)
    return EXIT_OK


def _print_report(report: EvalReport, *, show_all: bool, lang: Lang) -> None:
    s = report.summary()

    def w(key: str, **kw: object) -> None:
        sys.stdout.write(t(lang, key, **kw) + "\n")

    w("eval_overall", n=s["questions"], overall=s["overall"])
    w(
        "eval_answerable",
        right=s["answered_correctly"],
        n=s["answerable"],
        top_k=s["answer_in_top_k"],
        first=s["answer_in_excerpt_1"],
        cited=s["gold_cited"],
        false_not_found=s["false_not_found"],
    )
    if s["unanswerable"]:
        w("eval_unanswerable", right=s["not_found_on_unanswerable"], n=s["unanswerable"])
    w("eval_time", p50=s["p50_ms"], p99=s["p99_ms"])
    by_type = s["by_answer_type"]
    assert isinstance(by_type, dict)
    if len(by_type) > 1:
        types = ", ".join(f"{k} {v['score']:.2f} ({v['n']})" for k, v in by_type.items())
        w("eval_by_type", types=types)
    shown = report.results if show_all else report.failures
    if shown:
        sys.stdout.write("\n")
        w("eval_all" if show_all else "eval_failures")
    for r in shown:
        mark = "ok  " if r.ok else "FAIL"
        q = r.question
        w("eval_question", mark=mark, line=q.line, kind=q.kind, q=q.q)
        if q.expect_any:
            gold = q.gold or t(lang, "eval_any_article")
            w("eval_expected", expect=" | ".join(q.expect_any), gold=gold)
        if r.status != "answered":
            w("eval_got", status=r.status)
        for e in r.excerpts:
            text = e.text.replace("\n", " ")
            sys.stdout.write(f"     [{e.n}] {e.article_id}: {text[:90]}\n")
