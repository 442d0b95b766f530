"""The ``kiji ask`` and ``kiji chat`` subcommands: a thin adapter over :class:`index.answer.answer.Answerer`.

``register(sub)`` adds both to an argparse subparsers object; each sets ``handler(args) -> int``.
``args.db`` comes from the global ``--db`` option (a resolved Path).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from rich.console import Console

from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.answer import Answerer
from index.answer.render_text import answer_to_dict, render_answer
from index.cli.args import positive_int
from index.cli.user_input import input_lines
from index.config import SAMPLE_ARTICLES, CoreSettings
from index.errors import NewsIndexError
from index.messages import Lang, t
from index.models import Answer
from index.ops.memory import release_free_heap
from index.search.search import Searcher
from index.store.feedback_store import TERMINAL, FeedbackStore
from index.store.store import IndexStore

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INVALID = 2
QUIT_WORDS = frozenset({"exit", "quit", "/exit", "/quit", ":q", "終了", "おわり"})
VOTE_WORDS = {"+": 1, "＋": 1, "👍": 1, "-": -1, "－": -1, "👎": -1}  # on the last answer


def _parse_now(value: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {value!r}") from e
    if dt.tzinfo is None:
        raise argparse.ArgumentTypeError("--now needs a timezone, e.g. 2026-11-15T09:00+09:00")
    return dt


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ask`` and ``chat`` to the subcommands of ``kiji``.

    Uses the CLI's shared options (``sub.common``: ``--db``, ``--verbose``) when it has them.
    """
    parents = [getattr(sub, "common")] if hasattr(sub, "common") else []  # noqa: B009
    ask = sub.add_parser(
        "ask",
        parents=parents,
        help="answer a question with cited excerpts",
        description="Answer a Japanese question from the indexed articles, citing excerpts.",
    )
    ask.add_argument("question", nargs="+", help="the question (words are joined with spaces)")
    ask.add_argument("--json", action="store_true", dest="as_json", help="print JSON")
    ask.add_argument(
        "-k", type=positive_int, default=3, help="at most this many excerpts (default 3)"
    )
    ask.add_argument("--now", type=_parse_now, help="answer as of this time (ISO, with timezone)")
    ask.set_defaults(handler=ask_command, func=ask_command)

    chat = sub.add_parser(
        "chat",
        parents=parents,
        help="ask questions interactively in the terminal",
        description="An interactive session over the same answers as `kiji ask` (Ctrl-D exits).",
    )
    chat.add_argument(
        "-k", type=positive_int, default=3, help="at most this many excerpts (default 3)"
    )
    chat.add_argument("--now", type=_parse_now, help="answer as of this time (ISO, with timezone)")
    chat.set_defaults(handler=chat_command, func=chat_command)


def _db_path(args: argparse.Namespace, settings: CoreSettings) -> Path | str:
    db = getattr(args, "db", None)
    return db if db else settings.db_path


def _clock(args: argparse.Namespace, settings: CoreSettings) -> Callable[[], datetime]:
    fixed: datetime | None = getattr(args, "now", None)
    if fixed is not None:
        return lambda: fixed
    tz = ZoneInfo(settings.timezone)
    return lambda: datetime.now(tz)


def _answerer(store: IndexStore, settings: CoreSettings) -> Answerer:
    tokenizer = JapaneseTokenizer(settings.split_mode)
    searcher = Searcher(store, tokenizer, settings.bm25, fusion_params=settings.fusion)
    return Answerer(store, searcher, tokenizer)


def ask_command(args: argparse.Namespace) -> int:
    """``kiji ask``: 0 answered or not found, 2 invalid question, 1 database error."""
    settings = CoreSettings.from_env()
    try:
        store = IndexStore.open(_db_path(args, settings), create=False)
    except NewsIndexError as e:
        print(t(args.lang, "cli_error", detail=e.text(args.lang)), file=sys.stderr)
        return EXIT_ERROR
    with store:
        answer = _answerer(store, settings).ask(
            " ".join(args.question), now=_clock(args, settings)(), k=args.k, lang=args.lang
        )
    if args.as_json:
        sys.stdout.write(json.dumps(answer_to_dict(answer), ensure_ascii=False, indent=2) + "\n")
    else:
        render_answer(answer, Console(file=sys.stdout, highlight=False), args.lang)
    return EXIT_INVALID if answer.status == "invalid" else EXIT_OK


def chat_command(args: argparse.Namespace) -> int:
    """``kiji chat``: read questions until Ctrl-D (or end of input when not a terminal)."""
    settings = CoreSettings.from_env()
    db = _db_path(args, settings)
    read = getattr(args, "read_db", None)
    return run_chat(
        db, settings=settings, k=args.k, now=_clock(args, settings), lang=args.lang, read_db=read
    )


def build_sample_db(db: Path, console: Console, lang: Lang = "ja") -> None:
    """Create ``db`` from the sample articles in ``data/articles`` (first run of ``kiji chat``)."""
    console.print(
        t(lang, "chat_building_sample", db=db, sample=SAMPLE_ARTICLES),
        soft_wrap=True,
    )
    tokenizer = JapaneseTokenizer()
    with IndexStore.open(db) as store:
        try:
            from index.ingest.ingest import ingest_paths
        except ImportError:  # the bulk ingester is optional here: parse and add in this process
            from index.ingest.parsers import iter_input_files, parse_path
            from index.models import Article

            files = list(iter_input_files([SAMPLE_ARTICLES]))
            articles = [a for f in files for a in parse_path(f) if isinstance(a, Article)]
            report = store.add_articles(articles, tokenizer)
        else:
            report = ingest_paths(store, tokenizer, [SAMPLE_ARTICLES], progress=True, lang=lang)
    console.print(t(lang, "chat_sample_built", n=report.added), soft_wrap=True)


def _questions(stdin: TextIO, db: Path | str, lang: Lang) -> Iterator[str]:
    """Lines typed at a prompt (history, arrow keys) on a terminal, else lines of ``stdin``."""
    if not stdin.isatty():
        for line in input_lines(stdin, lang):
            if line.error is not None:  # said, and the session goes on with the next line
                print(t(lang, "chat_line_skipped", problem=line.error), file=sys.stderr, flush=True)
                continue
            yield line.text
        return
    from prompt_toolkit import PromptSession

    from index.cli.chat_history import open_history  # bounded; KIJI_CHAT_HISTORY=off disables it

    session: PromptSession[str] = PromptSession(history=open_history(db))
    while True:
        try:
            yield session.prompt(t(lang, "chat_prompt"))
        except KeyboardInterrupt:
            continue
        except EOFError:
            return


def run_chat(
    db: Path | str,
    *,
    settings: CoreSettings | None = None,
    k: int = 3,
    now: Callable[[], datetime] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    lang: Lang = "ja",
    read_db: Path | str | None = None,
) -> int:
    """The chat loop (also the default job when no Discord token is configured).

    :param read_db: where the answers are read (``KIJI_DB_READ``, a replica), when not from
        ``db``; the votes are written to ``db`` all the same.
    """
    settings = settings or CoreSettings.from_env()
    source: TextIO = stdin if stdin is not None else sys.stdin
    console = Console(file=stdout or sys.stdout, highlight=False)
    tz = ZoneInfo(settings.timezone)
    clock = now or (lambda: datetime.now(tz))
    try:
        if isinstance(db, Path) and not db.exists():
            build_sample_db(db, console, lang)
        reads = db if read_db is None else read_db
        store = IndexStore.open(reads, create=False)
        try:
            writes = store if reads == db else IndexStore.open(db, create=False)
        except BaseException:
            store.close()
            raise
    except NewsIndexError as e:
        print(t(lang, "cli_error", detail=e.text(lang)), file=sys.stderr)
        return EXIT_ERROR
    with store, writes:
        answerer = _answerer(store, settings)
        stats = store.stats()
        console.print(t(lang, "chat_banner", n=stats["articles"]), soft_wrap=True)
        feedback = FeedbackStore(writes)
        last: Answer | None = None
        for line in _questions(source, db, lang):
            question = line.strip()
            if not question:
                continue
            if question.lower() in QUIT_WORDS:
                break
            if question in VOTE_WORDS:
                _vote(feedback, last, VOTE_WORDS[question], clock(), console, lang)
                continue
            last = answerer.ask(question, now=clock(), k=k, lang=lang)
            render_answer(last, console, lang)
            # The answer is out; while the next question is typed, hand the heap's holes back
            # (a few ms; index.ops.memory).
            release_free_heap()
    return EXIT_OK


def _vote(
    feedback: FeedbackStore,
    answer: Answer | None,
    vote: int,
    now: datetime,
    console: Console,
    lang: Lang,
) -> None:
    """``+`` / ``-`` after an answer: record the terminal's vote on it (a second one replaces it)."""
    if answer is None or answer.status != "answered" or not answer.excerpts:
        console.print(t(lang, "chat_nothing_to_vote"))
        return
    answer_id = feedback.remember_answer(answer.question, answer.excerpts, now=now)
    result = feedback.vote(answer_id, TERMINAL, vote, source="terminal", now=now)
    mark = "👍" if vote > 0 else "👎"
    console.print(t(lang, f"chat_vote_{result.outcome}", mark=mark))
