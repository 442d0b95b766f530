"""Which process runs the process-wide jobs: the digest scheduler and the feed poller.

With the bot's state on PostgreSQL (``KIJI_STATE_DB=postgresql://…``) every host runs
``kiji run``, and the digest scheduler runs on the one host that holds its advisory lock
(:class:`~bot.state.pg_leader.Leadership`, one lock per job); so does the feed poller when the
index itself is on PostgreSQL (with a file per host, polling into whichever file won would lose
the articles at the next copy, so it stays in shard 0's process). A :class:`LeaderGate` tries to
take the lock every 20 s in the background (so a standby takes over within a minute of the
holder's death) and confirms it before each tick; a holder that cannot confirm its connection
stops at once (:attr:`JobGate.running` turns False, which the scheduler consults between guilds).
The scheduler's leader posts every guild's digest, whichever shard holds the guild (posting
goes through Discord's REST API); the exactly-once digest log still backs this up.

With the state in the SQLite file, as before: each process posts the digests of the guilds on
its own shards, and the feed poller runs in the process that holds shard 0 (:class:`JobGate`
with a fixed answer).

Each gate reports itself as the gauge ``kiji_leader{job=…}`` (1 while this process runs the job).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from bot.state.pg import is_postgres

if TYPE_CHECKING:
    from bot.state.pg_leader import Leadership
    from index.ops.metrics import KijiMetrics

JOBS = ("scheduler", "feeds")
RETRY_EVERY = 20.0  # seconds between a standby's tries (and a holder's confirmations)


class JobGate:
    """Whether this process runs ``job``: ``await ready()`` before each tick, :attr:`running`
    (no I/O) between the items of a tick. This one's answer is fixed (the SQLite rule)."""

    #: True when the job runs for every guild (a leader), False when only for this process's
    #: shards' guilds (the SQLite rule)
    all_guilds = False

    def __init__(self, job: str, allowed: bool, *, metrics: KijiMetrics | None = None) -> None:
        self.job = job
        self._allowed = allowed
        self.metrics = metrics
        self._report(allowed)

    @property
    def running(self) -> bool:
        return self._allowed

    async def start(self) -> None:
        """Begin (a leader starts trying for its lock); needs the running event loop."""

    async def ready(self) -> bool:
        """True when this process may run the job's next tick now."""
        return self.running

    async def close(self) -> None:
        """Stop running the job (a leader gives its lock up)."""
        self._report(False)

    def _report(self, held: bool) -> None:
        if self.metrics is not None:
            self.metrics.set_leader(self.job, held)


class LeaderGate(JobGate):
    """The job runs here while this process holds its PostgreSQL advisory lock."""

    all_guilds = True

    def __init__(
        self,
        url: str,
        job: str,
        *,
        every: float = RETRY_EVERY,
        timeout: float = 10.0,
        metrics: KijiMetrics | None = None,
    ) -> None:
        from bot.state.pg_leader import Leadership

        self.lead: Leadership = Leadership(url, job, timeout=timeout)
        self.every = every
        self._lock = asyncio.Lock()  # one check at a time on the lock's connection
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        super().__init__(job, False, metrics=metrics)

    @property
    def running(self) -> bool:
        return self.lead.leader

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._watch(), name=f"kiji-leader-{self.job}"
            )

    async def _watch(self) -> None:
        while True:
            await self.ready()
            await asyncio.sleep(self.every)

    async def ready(self) -> bool:
        async with self._lock:
            if self._closed:  # given up for good: never taken again
                return False
            held = await self.lead.check()  # never raises for a lost or refused connection
        self._report(held)
        return held

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        async with self._lock:
            self._closed = True
            await self.lead.close()
        self._report(False)


def job_gates(
    state: str | Path | None,
    index: str | Path | None,
    *,
    owns_shard_zero: bool,
    metrics: KijiMetrics | None = None,
    every: float = RETRY_EVERY,
) -> dict[str, JobGate]:
    """The gates of :data:`JOBS`. The scheduler is elected on the bot's ``state`` when that is a
    PostgreSQL URL (``KIJI_STATE_DB``, or a PostgreSQL ``KIJI_DB`` holding the state), else it
    runs in every process for its own shards. The feed poller writes into the index, so it is
    elected on the ``index`` when every host shares it (a PostgreSQL ``KIJI_DB``); with an index
    file per host it stays in shard 0's process (the host whose file is copied to the others)."""
    scheduler: JobGate = JobGate("scheduler", True, metrics=metrics)
    feeds: JobGate = JobGate("feeds", owns_shard_zero, metrics=metrics)
    if isinstance(state, str) and is_postgres(state):
        scheduler = LeaderGate(state, "scheduler", every=every, metrics=metrics)
    if isinstance(index, str) and is_postgres(index):
        feeds = LeaderGate(index, "feeds", every=every, metrics=metrics)
    return {"scheduler": scheduler, "feeds": feeds}
