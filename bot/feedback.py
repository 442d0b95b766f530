"""The bot's side of answer feedback: :class:`index.store.feedback_store.FeedbackStore`, awaited.

The tables and their SQL belong to the core's feedback store (``kiji feedback export`` and
``kiji chat`` read and write the same tables); the bot uses it on a connection of its own,
opened on first use, one call at a time in a worker thread, so a vote never waits behind a
question in the reader's thread or a feed poll in the writer's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from index.config import is_postgres_url
from index.models import Excerpt
from index.store.feedback_store import FeedbackStore, HelpfulRate, VoteOutcome
from index.store.store import IndexStore

log = logging.getLogger(__name__)

T = TypeVar("T")


class BotFeedback:
    """Votes on answers shown in Discord (one vote per member per answer)."""

    def __init__(self, path: str | Path) -> None:
        # the kiji database (KIJI_DB, never a read replica): a file, or a postgresql:// URL
        self.path: Path | str = path if is_postgres_url(path) else Path(path)
        self._store: FeedbackStore | None = None
        self._lock = asyncio.Lock()

    async def _run(self, fn: Callable[[FeedbackStore], T]) -> T:
        async with self._lock:  # the connection is used by one thread at a time
            if self._store is None:
                self._store = await asyncio.to_thread(_open, self.path)
            return await asyncio.to_thread(fn, self._store)

    async def remember_answer(
        self, question: str, excerpts: Sequence[Excerpt], *, now: datetime
    ) -> int:
        """The id of an answer as shown (its first page of excerpts), for the vote buttons."""
        return await self._run(lambda s: s.remember_answer(question, excerpts, now=now))

    async def vote(
        self, answer_id: int, member_id: int, vote: int, *, guild_id: int | None, now: datetime
    ) -> VoteOutcome:
        """Record a member's vote; raises :class:`index.store.feedback_store.AnswerNotFound`."""
        return await self._run(
            lambda s: s.vote(
                answer_id, str(member_id), vote, source="discord", guild_id=guild_id, now=now
            )
        )

    async def helpful_rate(self, since: datetime) -> HelpfulRate:
        return await self._run(lambda s: s.helpful_rate(since))

    async def close(self) -> None:
        """Close the connection (if one was opened); closing twice is safe."""
        async with self._lock:
            store, self._store = self._store, None
        if store is not None:
            await asyncio.to_thread(store.store.close)


def _open(path: Path | str) -> FeedbackStore:
    store = IndexStore.open(path, create=False)
    feedback = FeedbackStore(store)
    try:
        feedback.ensure_schema()
    except BaseException:
        store.close()
        raise
    return feedback
