"""One claimed digest post: build it, send it, and record what happened.

Owns the poster boundary (:class:`DigestPoster` and the :class:`PostError` kinds the bot's
adapter raises), the result types, and :class:`DigestAttempts`: a post's outcome becomes
'posted', a 'retry' with back-off, 'failed' or 'uncertain' (partly or maybe sent: never
reposted automatically), and a 'posting' row left by a crash is resolved. *When* to post and
which rows to claim is :mod:`bot.scheduler`'s business; all SQL is in :mod:`bot.state.digest`.

Failures: MissingPermissions, ServerError and unexpected exceptions are retried with
exponential back-off (``backoff`` · 2^(attempt−1), at most ``max_backoff``); RateLimited waits
``retry_after``; after ``max_attempts`` attempts the row is 'failed'. ChannelGone fails at once
(retrying cannot bring a channel back). A manual post is tried once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol
from zoneinfo import ZoneInfo

from bot.state.digest import LogEntry, LogState, Trigger

if TYPE_CHECKING:
    from bot.state import DigestBackend
from index.messages import Msg
from index.models import Digest
from index.ops.metrics import KijiMetrics

log = logging.getLogger(__name__)

DEFAULT_TZ = "Asia/Tokyo"


# ---------------------------------------------------------------------------------- the boundary
class PostError(Exception):
    """Posting failed. ``message_ids``: messages already sent before the failure (a partial post)."""

    def __init__(self, message: str = "", *, message_ids: tuple[int, ...] = ()) -> None:
        super().__init__(message or type(self).__name__)
        self.message_ids = tuple(message_ids)


class MissingPermissions(PostError):
    """The bot may not send messages or embeds in the channel (retried: permissions may return)."""


class ChannelGone(PostError):
    """The channel (or guild) no longer exists or is not visible (not retried)."""


class RateLimited(PostError):
    """Discord answered 429; try again after ``retry_after`` seconds."""

    def __init__(
        self, retry_after: float, message: str = "", *, message_ids: tuple[int, ...] = ()
    ) -> None:
        super().__init__(
            message or f"rate limited (retry after {retry_after:g} s)", message_ids=message_ids
        )
        self.retry_after = float(retry_after)


class ServerError(PostError):
    """Discord answered 5xx (retried)."""


class DigestPoster(Protocol):
    async def post(self, guild_id: int, channel_id: int, digest: Digest) -> list[int]:
        """Send ``digest`` to the channel; returns the message ids. Raise a PostError on failure."""
        ...


# Optional, checked with getattr:
#   async def find_posted(self, guild_id, channel_id, day: date, since: datetime) -> list[int] | None
# ids of a digest for ``day`` sent at or after ``since``; [] if surely none; None if unknown.

BuildDigest = Callable[[date, ZoneInfo, tuple[str, ...] | None], Digest]


# ---------------------------------------------------------------------------------- results
TickStatus = Literal[
    "posted", "missed", "retry_scheduled", "failed", "uncertain", "already_posted", "error"
]
PostStatus = Literal["posted", "already_posted", "in_progress", "uncertain", "failed"]


@dataclass(frozen=True)
class TickResult:
    """One thing a tick did for one (guild, channel, day)."""

    guild_id: int
    channel_id: int
    day: date | None
    status: TickStatus
    message_ids: tuple[int, ...] = ()
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class PostResult:
    status: PostStatus
    guild_id: int
    channel_id: int
    day: date
    message_ids: tuple[int, ...] = ()
    error: str | None = None


# ---------------------------------------------------------------------------------- attempts
class DigestAttempts:
    """Posts claimed rows and records their outcome; the scheduler owns one.

    :param store: returns the open digest store (the scheduler opens it after construction).
    :param now: the scheduler's clock, aware and in UTC.
    """

    def __init__(
        self,
        store: Callable[[], DigestBackend],
        build: BuildDigest,
        poster: DigestPoster,
        *,
        now: Callable[[], datetime],
        max_attempts: int,
        backoff: timedelta,
        max_backoff: timedelta,
        metrics: KijiMetrics | None,
    ) -> None:
        self._store = store
        self._build = build
        self._poster = poster
        self._now = now
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.metrics = metrics
        self.inflight: set[tuple[int, int, date]] = set()  # posts running in this process

    @property
    def store(self) -> DigestBackend:
        return self._store()

    async def by_hand(
        self, guild_id: int, channel_id: int, day: date, *, force: bool
    ) -> PostResult:
        """Claim and post ``day`` once for a moderator (see ``DigestScheduler.post_now``)."""
        states: list[LogState] = ["retry", "failed", "missed"]
        forced: list[LogState] = ["posted", "uncertain"] if force else []
        states.extend(forced)
        now = self._now()
        claimed = await self.store.claim(
            guild_id, channel_id, day, now, trigger="manual", from_states=states
        )
        if not claimed:
            entry = await self.store.entry(guild_id, channel_id, day)
            state = entry.state if entry else "posting"
            status: PostStatus = {"posted": "already_posted", "uncertain": "uncertain"}.get(
                state, "in_progress"
            )  # type: ignore[assignment]
            return PostResult(
                status,
                guild_id,
                channel_id,
                day,
                entry.message_ids if entry else (),
                entry.last_error if entry else None,
            )
        schedule = await self.store.get_schedule(guild_id)
        tz = schedule.tz if schedule else DEFAULT_TZ
        cats = schedule.categories if schedule else None
        result = await self.attempt(
            guild_id, channel_id, day, tz, cats, attempts=1, trigger="manual"
        )
        status = (
            "posted"
            if result.status == "posted"
            else ("uncertain" if result.status == "uncertain" else "failed")
        )
        return PostResult(status, guild_id, channel_id, day, result.message_ids, result.error)

    async def retry(self, entry: LogEntry) -> TickResult:
        now = self._now()
        claimed = await self.store.claim(
            entry.guild_id,
            entry.channel_id,
            entry.day,
            now,
            trigger=entry.trigger,
            from_states=["retry"],
        )
        if not claimed:
            fresh = await self.store.entry(entry.guild_id, entry.channel_id, entry.day)
            status: TickStatus = "already_posted" if fresh and fresh.state == "posted" else "error"
            return TickResult(
                entry.guild_id,
                entry.channel_id,
                entry.day,
                status,
                error=None if status == "already_posted" else "claim lost",
            )
        schedule = await self.store.get_schedule(entry.guild_id)
        tz = schedule.tz if schedule else DEFAULT_TZ
        cats = schedule.categories if schedule else None
        return await self.attempt(
            entry.guild_id,
            entry.channel_id,
            entry.day,
            tz,
            cats,
            attempts=entry.attempts + 1,
            trigger=entry.trigger,
        )

    async def recover(self, entry: LogEntry, now: datetime) -> TickResult:
        """A 'posting' row left by a crash: ask the poster, else mark it 'uncertain'."""
        g, c, d = entry.guild_id, entry.channel_id, entry.day
        find = getattr(self._poster, "find_posted", None)
        found: list[int] | None = None
        if find is not None and entry.claimed_at is not None:
            try:
                found = await find(g, c, d, entry.claimed_at)
            except Exception:
                log.exception("find_posted failed for guild %s channel %s day %s", g, c, d)
                found = None
        if found:
            await self.store.finish(g, c, d, "posted", now, message_ids=found)
            return TickResult(g, c, d, "posted", tuple(found))
        if found is not None:  # confirmed: nothing was sent
            await self.store.finish(
                g,
                c,
                d,
                "retry",
                now,
                next_attempt_at=now,
                error=Msg("digest_err_interrupted_retry").dumps(),
            )
            return TickResult(g, c, d, "retry_scheduled", next_attempt_at=now)
        claimed = f"{entry.claimed_at:%Y-%m-%d %H:%M}"
        error = Msg("digest_err_interrupted", {"claimed": claimed})
        await self.store.finish(g, c, d, "uncertain", now, error=error.dumps())
        log.warning("digest for guild %s channel %s day %s is uncertain", g, c, d)
        return TickResult(g, c, d, "uncertain", error=error.text("en"))

    async def attempt(
        self,
        guild_id: int,
        channel_id: int,
        day: date,
        tz: str,
        categories: tuple[str, ...] | None,
        *,
        attempts: int,
        trigger: Trigger,
    ) -> TickResult:
        """Build and post a claimed digest, then record the outcome (never raises PostError)."""
        key = (guild_id, channel_id, day)
        self.inflight.add(key)
        try:
            try:
                digest = await asyncio.to_thread(self._build, day, ZoneInfo(tz), categories)
                ids = await self._poster.post(guild_id, channel_id, digest)
            except Exception as e:
                if self.metrics is not None:
                    self.metrics.record_digest_post(False)
                return await self._record_failure(guild_id, channel_id, day, e, attempts, trigger)
            if self.metrics is not None:
                self.metrics.record_digest_post(True)
            now = self._now()
            await self.store.finish(
                guild_id, channel_id, day, "posted", now, message_ids=ids, expect=None
            )
        finally:
            self.inflight.discard(key)
        log.info(
            "digest for guild %s day %s posted to #%s (%d messages)",
            guild_id,
            day,
            channel_id,
            len(ids),
        )
        return TickResult(guild_id, channel_id, day, "posted", tuple(ids))

    async def _record_failure(self, guild_id, channel_id, day, e, attempts, trigger) -> TickResult:
        now = self._now()
        why = describe(e)
        sent = e.message_ids if isinstance(e, PostError) else ()
        if sent:  # part of the digest is in the channel: reposting would duplicate it
            why = Msg("digest_err_partial", {"n": len(sent), "error": why})
            await self.store.finish(
                guild_id, channel_id, day, "uncertain", now, message_ids=sent, error=why.dumps()
            )
            return TickResult(guild_id, channel_id, day, "uncertain", sent, why.text("en"))
        if not isinstance(e, PostError):
            log.exception("unexpected error posting the digest of guild %s", guild_id, exc_info=e)
        error = why.text("en")  # for the log and the result; the digest log keeps the message
        if trigger == "manual" or isinstance(e, ChannelGone) or attempts >= self.max_attempts:
            await self.store.finish(guild_id, channel_id, day, "failed", now, error=why.dumps())
            log.warning("digest for guild %s day %s failed: %s", guild_id, day, error)
            return TickResult(guild_id, channel_id, day, "failed", error=error)
        if isinstance(e, RateLimited):
            wait = timedelta(seconds=max(e.retry_after, 0.0))
        else:
            wait = min(self.backoff * (2 ** (attempts - 1)), self.max_backoff)
        at = now + wait
        await self.store.finish(
            guild_id, channel_id, day, "retry", now, error=why.dumps(), next_attempt_at=at
        )
        log.warning(
            "digest for guild %s day %s: %s; retry %d at %s", guild_id, day, error, attempts + 1, at
        )
        return TickResult(
            guild_id, channel_id, day, "retry_scheduled", error=error, next_attempt_at=at
        )


def describe(e: BaseException) -> Msg:
    """Why posting failed, as a catalogue message: its kind in the reader's language, then
    ``Kind: detail`` as Discord (or the exception) said it (the English text, for logs and
    :func:`bot.cogs.digest.post_error_text`)."""
    text = str(e)
    name = type(e).__name__
    detail = f"{name}: {text}" if text and text != name else name
    key = next((k for kind, k in _ERROR_KEYS if isinstance(e, kind)), "digest_err_unexpected")
    return Msg(key, {"detail": detail})


_ERROR_KEYS: tuple[tuple[type[PostError], str], ...] = (
    (MissingPermissions, "digest_err_permissions"),
    (ChannelGone, "digest_err_channel_gone"),
    (RateLimited, "digest_err_rate_limited"),
    (ServerError, "digest_err_server"),
)
