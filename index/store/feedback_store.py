"""Votes on answers (👍/👎 in Discord, ``+``/``-`` in ``kiji chat``) in the kiji database.

The one module that owns the feedback tables; the bot and the terminal both write through it
(the bot from a thread of its own, on its own connection), and ``kiji feedback export`` and the
statistics read through it. Two tables:

- ``feedback_answers``: an answer as it was shown: the question, the excerpts on its first page
  (article and passage ids, titles, URLs, text) and the index version (``meta.generation``,
  bumped by every committed ingest batch and merge). The same question shown with the same
  excerpts is the same answer, whenever and wherever it was asked.
- ``feedback_votes``: one row per (answer, voter): a Discord member id, or ``"terminal"``. A
  second vote by the same voter replaces the first, so nobody counts twice.

Their version is the ``feedback_schema`` key of ``meta``; each step is applied in the
transaction that records it (:mod:`index.store.migrations`). Reads on a database without the
tables return nothing (a read-only store is never written to).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, cast

from index.models import Excerpt
from index.store import migrations
from index.store.store import Conn, IndexStore

if TYPE_CHECKING:
    import sqlite3

SCHEMA_KEY = "feedback_schema"
TERMINAL = "terminal"  # the voter of ``kiji chat``

Source = Literal["discord", "terminal"]
Outcome = Literal["new", "changed", "same"]

MIGRATIONS: tuple[migrations.Step, ...] = (
    """CREATE TABLE IF NOT EXISTS feedback_answers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,          -- sha256 of the question and the shown excerpts
        question TEXT NOT NULL,
        excerpts TEXT NOT NULL,            -- JSON list of ShownExcerpt fields
        index_version INTEGER NOT NULL,    -- meta.generation when first shown
        created_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS feedback_votes (
        answer_id INTEGER NOT NULL REFERENCES feedback_answers(id),
        voter TEXT NOT NULL,               -- Discord member id, or 'terminal'
        source TEXT NOT NULL CHECK (source IN ('discord', 'terminal')),
        guild_id INTEGER,
        vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
        voted_at TEXT NOT NULL,            -- ISO 8601 with offset
        voted_ts REAL NOT NULL,            -- the same instant, POSIX seconds
        PRIMARY KEY (answer_id, voter)
    );
    CREATE INDEX IF NOT EXISTS feedback_votes_ts ON feedback_votes(voted_ts)""",
)
SCHEMA_VERSION = len(MIGRATIONS)
FEEDBACK = migrations.Migrations(
    MIGRATIONS,
    migrations.MetaKey(SCHEMA_KEY),
    "schema_feedback_too_new",
)


@dataclass(frozen=True)
class ShownExcerpt:
    """An excerpt as a member saw it under an answer."""

    n: int
    article_id: str
    passage_id: int
    title: str
    url: str
    text: str
    category: str | None = None

    @classmethod
    def of(cls, excerpt: Excerpt, category: str | None = None) -> ShownExcerpt:
        return cls(
            n=excerpt.n,
            article_id=excerpt.article_id,
            passage_id=excerpt.passage_id,
            title=excerpt.title,
            url=excerpt.url,
            text=excerpt.text,
            category=category,
        )


@dataclass(frozen=True)
class VoteOutcome:
    answer_id: int
    vote: int  # +1 or -1
    previous: int | None  # the voter's earlier vote on this answer

    @property
    def outcome(self) -> Outcome:
        if self.previous is None:
            return "new"
        return "same" if self.previous == self.vote else "changed"


@dataclass(frozen=True)
class HelpfulRate:
    """Votes since a time: 👍 / (👍 + 👎), None when nobody voted."""

    up: int
    down: int

    @property
    def total(self) -> int:
        return self.up + self.down

    @property
    def rate(self) -> float | None:
        return self.up / self.total if self.total else None


@dataclass(frozen=True)
class VotedAnswer:
    """An answer with the votes it got (in the period asked for)."""

    answer_id: int
    question: str
    excerpts: tuple[ShownExcerpt, ...]
    index_version: int
    up: int
    down: int
    sources: tuple[str, ...]
    first_voted: datetime  # UTC
    last_voted: datetime  # UTC


class AnswerNotFound(LookupError):
    """A vote for an answer id that is not (or no longer) in the database."""


def answer_key(question: str, excerpts: Sequence[Excerpt]) -> str:
    payload = [question, [(e.passage_id, e.article_id, e.text) for e in excerpts]]
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()


class FeedbackStore:
    """Feedback on one :class:`IndexStore` connection (use it from that store's thread)."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self._ready = False

    @property
    def conn(self) -> Conn:
        return self.store.conn

    # ------------------------------------------------------------------ schema
    def _has_tables(self) -> bool:
        if self._ready:
            return True
        return self.store.has_table("feedback_votes")

    def ensure_schema(self) -> None:
        """Create or migrate the feedback tables (a no-op once done on this connection)."""
        if not self._ready:
            # (PostgreSQL's schema creates these tables at their version: nothing is pending)
            migrations.migrate(cast("sqlite3.Connection", self.conn), FEEDBACK)
            self._ready = True

    # ------------------------------------------------------------------ writes
    def remember_answer(self, question: str, excerpts: Sequence[Excerpt], *, now: datetime) -> int:
        """The id of the answer ``question`` → ``excerpts`` (the excerpts shown on its first
        page), stored the first time it is seen."""
        self.ensure_schema()
        key = answer_key(question, excerpts)
        select = "SELECT id FROM feedback_answers WHERE key = ?"
        row = self.conn.execute(select, (key,)).fetchone()
        if row is not None:  # write only for an answer not seen before
            return int(row[0])
        ids = sorted({e.article_id for e in excerpts})
        categories: dict[str, str | None] = {}
        if ids:
            marks = ",".join("?" * len(ids))
            categories = dict(
                self.conn.execute(
                    f"SELECT id, category FROM articles WHERE id IN ({marks})", ids
                ).fetchall()
            )
        shown = [ShownExcerpt.of(e, categories.get(e.article_id)).__dict__ for e in excerpts]
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO feedback_answers(key, question, excerpts, index_version, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
                (
                    key,
                    question,
                    json.dumps(shown, ensure_ascii=False),
                    self.store.meta_int("generation"),
                    now.isoformat(),
                ),
            )
            row = conn.execute(select, (key,)).fetchone()
        assert row is not None
        return int(row[0])

    def vote(
        self,
        answer_id: int,
        voter: str,
        vote: int,
        *,
        source: Source,
        guild_id: int | None = None,
        now: datetime,
    ) -> VoteOutcome:
        """Record ``voter``'s vote (+1 or -1) on an answer, replacing their earlier one.

        Raises :class:`AnswerNotFound` for an unknown answer id.
        """
        if vote not in (1, -1):
            raise ValueError(f"a vote is +1 or -1, not {vote!r}")
        self.ensure_schema()
        with self.store.transaction() as conn:
            if (
                conn.execute("SELECT 1 FROM feedback_answers WHERE id = ?", (answer_id,)).fetchone()
                is None
            ):
                raise AnswerNotFound(answer_id)
            row = conn.execute(
                "SELECT vote FROM feedback_votes WHERE answer_id = ? AND voter = ?",
                (answer_id, voter),
            ).fetchone()
            conn.execute(
                "INSERT INTO feedback_votes"
                "(answer_id, voter, source, guild_id, vote, voted_at, voted_ts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(answer_id, voter) DO UPDATE SET "
                "vote = excluded.vote, voted_at = excluded.voted_at, voted_ts = excluded.voted_ts, "
                "guild_id = excluded.guild_id, source = excluded.source",
                (answer_id, voter, source, guild_id, vote, now.isoformat(), now.timestamp()),
            )
        return VoteOutcome(answer_id, vote, int(row[0]) if row else None)

    # ------------------------------------------------------------------ reads
    def helpful_rate(self, since: datetime, *, guild_id: int | None = None) -> HelpfulRate:
        """👍 and 👎 cast since ``since`` (in one guild when ``guild_id`` is given)."""
        if not self._has_tables():
            return HelpfulRate(0, 0)
        sql = (
            "SELECT coalesce(sum(CASE WHEN vote > 0 THEN 1 ELSE 0 END), 0), "
            "coalesce(sum(CASE WHEN vote < 0 THEN 1 ELSE 0 END), 0) FROM feedback_votes "
            "WHERE voted_ts >= ?"
        )
        params: list[object] = [since.timestamp()]
        if guild_id is not None:
            sql += " AND guild_id = ?"
            params.append(guild_id)
        up, down = self.conn.execute(sql, params).fetchone()
        return HelpfulRate(int(up), int(down))

    def voted_answers(self, since: datetime | None = None) -> list[VotedAnswer]:
        """Answers with at least one vote since ``since`` (all when None), oldest vote first."""
        if not self._has_tables():
            return []
        rows = self.conn.execute(
            "SELECT a.id, a.question, a.excerpts, a.index_version, "
            "sum(CASE WHEN v.vote > 0 THEN 1 ELSE 0 END), "
            "sum(CASE WHEN v.vote < 0 THEN 1 ELSE 0 END), group_concat(DISTINCT v.source), "
            "min(v.voted_ts), max(v.voted_ts) "
            "FROM feedback_answers a JOIN feedback_votes v ON v.answer_id = a.id "
            "WHERE v.voted_ts >= ? GROUP BY a.id ORDER BY min(v.voted_ts), a.id",
            (since.timestamp() if since is not None else float("-inf"),),
        ).fetchall()
        return [
            VotedAnswer(
                answer_id=r[0],
                question=r[1],
                excerpts=tuple(ShownExcerpt(**x) for x in json.loads(r[2])),
                index_version=r[3],
                up=int(r[4]),
                down=int(r[5]),
                sources=tuple(sorted((r[6] or "").split(","))),
                first_voted=datetime.fromtimestamp(r[7], UTC),
                last_voted=datetime.fromtimestamp(r[8], UTC),
            )
            for r in rows
        ]
