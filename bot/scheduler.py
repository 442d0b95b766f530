"""The digest scheduler: posts each guild's daily digest exactly once, across restarts and failures.

This module owns *when* (the schedules, the loop body, catch-up, manual posts); posting one
claimed row is :mod:`bot.digest_attempts`. No Discord here: posting goes through a
:class:`DigestPoster` (the bot's adapter raises the :class:`PostError` kinds), time comes from
an injected clock, and a
``discord.ext.tasks.loop(minutes=1)`` in the bot only calls :meth:`DigestScheduler.tick`.

Rules (the digest log holds one row per (guild, channel, digest day)):

* **Exactly once.** The row is claimed ('posting') in a transaction *before* posting and marked
  'posted' with the message ids afterwards. A restart finds the row and does not post again;
  a manual :meth:`~DigestScheduler.post_now` uses the same row, so the scheduled run skips a day
  that was posted by hand.
* **Crash between claim and result.** A 'posting' row older than ``stale_after`` is resolved on
  the next tick. Was something sent? Only Discord knows, so we ask the poster if it implements
  ``find_posted(guild_id, channel_id, day, since) -> list[int] | None``: ids found → 'posted';
  ``[]`` (confirmed nothing sent) → retried now; ``None`` or no such method → 'uncertain', shown
  in :meth:`~DigestScheduler.status` and never reposted automatically (a duplicate digest is
  worse than a moderator running ``post_now(force=True)`` after checking the channel).
* **Offline catch-up.** Every occurrence since the schedule began is handled in order, one per
  local day: within ``grace`` after its time it is posted late, beyond it a 'missed' row is
  recorded. A day is never skipped silently.
* **Failures** are retried with back-off (see :mod:`bot.digest_attempts`, which posts a claimed
  row and records its outcome). One guild's failure never stops the others.
* **Time zones.** Each schedule has its own IANA zone; the occurrence of local day D is
  ``datetime.combine(D, at, tzinfo=zone)``, compared in UTC. A time skipped by a DST jump runs
  at the same UTC instant as the standard-time reading (02:30 → 03:30 EDT); a repeated time runs
  at its first occurrence. Each local day has exactly one occurrence.
* **Which day.** By default the run on local day D posts the digest of D − 1 (the last complete
  day); a schedule with ``same_day=True`` posts D's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.digest_attempts import (
    DEFAULT_TZ,
    BuildDigest,
    ChannelGone,
    DigestAttempts,
    DigestPoster,
    MissingPermissions,
    PostError,
    PostResult,
    RateLimited,
    ServerError,
    TickResult,
    describe,
)
from bot.state import is_postgres, open_digest_store
from bot.state.digest import LogEntry, Schedule
from index.messages import Msg, stored_text
from index.models import Digest
from index.ops.metrics import KijiMetrics

if TYPE_CHECKING:
    from bot.state import DigestBackend

__all__ = [
    "ChannelGone",
    "DigestPoster",
    "DigestScheduler",
    "LogEntry",
    "MissingPermissions",
    "PostError",
    "PostResult",
    "RateLimited",
    "Schedule",
    "ScheduleStatus",
    "ServerError",
    "TickResult",
]

log = logging.getLogger(__name__)

MAX_CATCHUP_DAYS = 400  # occurrences handled per schedule per tick (a year offline, and more)
STATUS_ROWS = 7


@dataclass(frozen=True)
class ScheduleStatus:
    guild_id: int
    schedule: Schedule | None
    next_run: datetime | None  # aware, in the schedule's zone; None when disabled or unset
    next_digest_day: date | None
    last_posts: tuple[LogEntry, ...]  # state 'posted', newest day first
    misses: tuple[LogEntry, ...]  # state 'missed'
    pending: tuple[LogEntry, ...]  # 'retry' (with last_error, next_attempt_at), 'posting'
    uncertain: tuple[LogEntry, ...]  # maybe posted: check the channel, then post_now(force=True)
    failures: tuple[LogEntry, ...]  # gave up after max_attempts, or the channel is gone


def occurrence(run_day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of ``at`` on local ``run_day`` (fold=0: DST gaps and repeats, see module)."""
    return datetime.combine(run_day, at, tzinfo=tz).astimezone(UTC)


# ---------------------------------------------------------------------------------- the engine
class DigestScheduler:
    """Keeps per-guild digest schedules and posts them; all state is in the SQLite file.

    :param build: ``build(day, zone, categories) -> Digest``; called in a worker thread
        (``asyncio.to_thread``), possibly a different thread each time.
    :param grace: how late an occurrence may still be posted after downtime.
    :param stale_after: a 'posting' row older than this is considered interrupted by a crash.
    """

    def __init__(
        self,
        db_path: str | Path,
        build: BuildDigest,
        poster: DigestPoster,
        *,
        clock: Callable[[], datetime],
        grace: timedelta = timedelta(hours=6),
        max_attempts: int = 5,
        backoff: timedelta = timedelta(minutes=2),
        max_backoff: timedelta = timedelta(hours=1),
        stale_after: timedelta = timedelta(minutes=15),
        metrics: KijiMetrics | None = None,
    ) -> None:
        # a SQLite file, or a postgresql:// URL (KIJI_STATE_DB) for the schedules and the log
        self.db_path: str | Path = db_path if is_postgres(db_path) else Path(db_path)
        self._build = build
        self._clock = clock
        self.grace = grace
        self.stale_after = stale_after
        self._store: DigestBackend | None = None
        self._attempts = DigestAttempts(
            lambda: self.store,
            build,
            poster,
            now=self._now,
            max_attempts=max_attempts,
            backoff=backoff,
            max_backoff=max_backoff,
            metrics=metrics,
        )

    # -- lifecycle ------------------------------------------------------------------------
    async def open(self) -> DigestScheduler:
        if self._store is None:
            self._store = await open_digest_store(self.db_path)
        return self

    async def close(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            await store.close()

    async def __aenter__(self) -> DigestScheduler:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def store(self) -> DigestBackend:
        if self._store is None:
            raise RuntimeError("DigestScheduler is not open: use `async with` or await open()")
        return self._store

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the scheduler's clock must return aware datetimes")
        return now.astimezone(UTC)

    # -- schedules ------------------------------------------------------------------------
    async def set_schedule(
        self,
        guild_id: int,
        channel_id: int,
        at: time,
        tz: str,
        categories: tuple[str, ...] | None,
        *,
        same_day: bool = False,
    ) -> Schedule:
        """Create or replace a guild's schedule; it starts with the next occurrence after now.

        Raises ValueError for an unknown zone. ``at`` is a wall-clock time in ``tz`` (its own
        tzinfo and seconds are ignored).
        """
        zone = _zone(tz)
        at = time(at.hour, at.minute)
        now = self._now()
        local_today = now.astimezone(zone).date()
        first = (
            local_today if occurrence(local_today, at, zone) >= now else local_today + timedelta(1)
        )
        schedule = Schedule(
            guild_id=guild_id,
            channel_id=channel_id,
            at=at,
            tz=zone.key,
            categories=tuple(categories) if categories is not None else None,
            same_day=same_day,
            enabled=True,
            next_run_day=first,
        )
        await self.store.save_schedule(schedule, now)
        log.info("digest schedule for guild %s: %s %s → #%s", guild_id, at, tz, channel_id)
        return schedule

    async def disable(self, guild_id: int) -> bool:
        """Stop a guild's schedule (pending retries are cancelled); False if none was enabled."""
        return await self.store.disable(guild_id, self._now())

    async def status(self, guild_id: int) -> ScheduleStatus:
        """The schedule, its next run, recent posts and misses, pending retries and problems."""
        st = self.store
        schedule = await st.get_schedule(guild_id)
        next_run = next_day = None
        if schedule is not None and schedule.enabled:
            zone = ZoneInfo(schedule.tz)
            next_run = occurrence(schedule.next_run_day, schedule.at, zone).astimezone(zone)
            next_day = _digest_day(schedule, schedule.next_run_day)
        return ScheduleStatus(
            guild_id=guild_id,
            schedule=schedule,
            next_run=next_run,
            next_digest_day=next_day,
            last_posts=tuple(await st.entries(guild_id, ["posted"], STATUS_ROWS)),
            misses=tuple(await st.entries(guild_id, ["missed"], STATUS_ROWS)),
            pending=tuple(await st.entries(guild_id, ["retry", "posting"], STATUS_ROWS)),
            uncertain=tuple(await st.entries(guild_id, ["uncertain"], STATUS_ROWS)),
            failures=tuple(await st.entries(guild_id, ["failed"], STATUS_ROWS)),
        )

    # -- the loop body --------------------------------------------------------------------
    async def tick(self, owns: Callable[[int], bool] = lambda guild_id: True) -> list[TickResult]:
        """Do everything due now for the guilds this process ``owns``; never raises per guild.

        Order: resolve interrupted posts, post due occurrences (or record misses), then retries.
        """
        results: list[TickResult] = []
        now = self._now()
        for entry in await self.store.entries_in_state("posting"):
            if not owns(entry.guild_id) or entry.claimed_at is None:
                continue
            key = (entry.guild_id, entry.channel_id, entry.day)
            if now - entry.claimed_at >= self.stale_after and key not in self._attempts.inflight:
                results.append(
                    await self._guarded(
                        entry.guild_id,
                        entry.channel_id,
                        entry.day,
                        self._attempts.recover(entry, now),
                    )
                )
        for schedule in await self.store.enabled_schedules():
            if owns(schedule.guild_id):
                try:
                    results.extend(await self._run_schedule(schedule))
                except Exception as e:  # one guild's failure never stops the others
                    log.exception("digest schedule of guild %s failed", schedule.guild_id)
                    results.append(
                        TickResult(
                            schedule.guild_id,
                            schedule.channel_id,
                            None,
                            "error",
                            error=describe(e).text("en"),
                        )
                    )
        now = self._now()
        for entry in await self.store.entries_in_state("retry"):
            if not owns(entry.guild_id):
                continue
            if entry.next_attempt_at is not None and entry.next_attempt_at > now:
                continue
            results.append(
                await self._guarded(
                    entry.guild_id, entry.channel_id, entry.day, self._attempts.retry(entry)
                )
            )
        return results

    async def _guarded(self, guild_id, channel_id, day, work) -> TickResult:
        try:
            return await work
        except Exception as e:
            log.exception("digest for guild %s channel %s day %s failed", guild_id, channel_id, day)
            return TickResult(guild_id, channel_id, day, "error", error=describe(e).text("en"))

    async def _run_schedule(self, schedule: Schedule) -> list[TickResult]:
        results: list[TickResult] = []
        zone = ZoneInfo(schedule.tz)
        for _ in range(MAX_CATCHUP_DAYS):
            now = self._now()
            due = occurrence(schedule.next_run_day, schedule.at, zone)
            if due > now:
                break
            day = _digest_day(schedule, schedule.next_run_day)
            late = now - due
            if late > self.grace:
                moved, inserted = await self.store.advance(
                    schedule,
                    day,
                    "missed",
                    now,
                    error=Msg(
                        "digest_err_offline",
                        {
                            "due": f"{due.astimezone(zone):%Y-%m-%d %H:%M %Z}",
                            "late": _human(late),
                            "grace": _human(self.grace),
                        },
                    ).dumps(),
                )
                if inserted:
                    log.warning("digest of guild %s for %s missed", schedule.guild_id, day)
                    results.append(
                        TickResult(schedule.guild_id, schedule.channel_id, day, "missed")
                    )
            else:
                moved, inserted = await self.store.advance(schedule, day, "posting", now)
                if inserted:
                    if late > timedelta(minutes=5):
                        log.info(
                            "digest of guild %s for %s: catching up %s late",
                            schedule.guild_id,
                            day,
                            _human(late).text("en"),
                        )
                    results.append(
                        await self._attempts.attempt(
                            schedule.guild_id,
                            schedule.channel_id,
                            day,
                            schedule.tz,
                            schedule.categories,
                            attempts=1,
                            trigger="scheduled",
                        )
                    )
                elif moved:
                    results.extend(await self._existing(schedule, day))
            if not moved:  # another tick (or process) handled this occurrence; reload
                fresh = await self.store.get_schedule(schedule.guild_id)
                if fresh is None or not fresh.enabled:
                    break
                schedule = fresh
            else:
                schedule = replace(schedule, next_run_day=schedule.next_run_day + timedelta(1))
        return results

    async def _existing(self, schedule: Schedule, day: date) -> list[TickResult]:
        """The occurrence found a row already (e.g. a manual post): report it; take over a
        failed manual post."""
        g, c = schedule.guild_id, schedule.channel_id
        entry = await self.store.entry(g, c, day)
        if entry is None:
            return []
        if entry.state == "posted":
            return [TickResult(g, c, day, "already_posted", entry.message_ids)]
        if entry.state == "uncertain":
            error = stored_text(entry.last_error, "en") if entry.last_error else None
            return [TickResult(g, c, day, "uncertain", entry.message_ids, error)]
        manual_failure = entry.state == "failed" and entry.trigger == "manual"
        now = self._now()
        if manual_failure and await self.store.claim(
            g, c, day, now, trigger="scheduled", from_states=["failed"]
        ):
            tz, cats = schedule.tz, schedule.categories
            return [
                await self._attempts.attempt(
                    g, c, day, tz, cats, attempts=entry.attempts + 1, trigger="scheduled"
                )
            ]
        return []  # 'posting' / 'retry' rows are handled by their own paths

    # -- by hand ----------------------------------------------------------------------------
    async def post_now(
        self, guild_id: int, channel_id: int, day: date, *, force: bool = False
    ) -> PostResult:
        """Post ``day``'s digest now (one attempt, no automatic retry), under the same
        one-per-(guild, channel, day) rule as scheduled posts.

        Already posted → ``already_posted`` unless ``force``; a post in progress →
        ``in_progress``; an 'uncertain' one (maybe sent) → ``uncertain`` unless ``force``.
        A 'missed', 'failed' or pending retry is taken over.
        """
        return await self._attempts.by_hand(guild_id, channel_id, day, force=force)

    async def preview(self, guild_id: int, day: date | None = None) -> Digest:
        """The digest the guild's schedule would post (read-only; posts and records nothing).

        ``day`` None: the day a run right now would cover (yesterday in the guild's zone, or
        today for a same-day schedule; Asia/Tokyo and yesterday without a schedule).
        """
        schedule = await self.store.get_schedule(guild_id)
        zone = ZoneInfo(schedule.tz if schedule else DEFAULT_TZ)
        if day is None:
            today = self._now().astimezone(zone).date()
            day = today if schedule and schedule.same_day else today - timedelta(days=1)
        cats = schedule.categories if schedule else None
        return await asyncio.to_thread(self._build, day, zone, cats)


def _digest_day(schedule: Schedule, run_day: date) -> date:
    return run_day if schedule.same_day else run_day - timedelta(days=1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as e:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Asia/Tokyo") from e


def _human(delta: timedelta) -> Msg:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return Msg("duration_minutes", {"n": minutes})
    return Msg("duration_hours", {"h": minutes / 60})
