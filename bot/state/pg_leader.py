"""One host at a time for a job (the digest scheduler, the feed poller): a PostgreSQL advisory lock.

A :class:`Leadership` keeps a connection of its own and takes the job's session-level advisory
lock on it (``pg_try_advisory_lock``). The lock lives as long as that connection: when the
holding process dies, the kernel closes its socket, the server ends the backend and the lock is
free at once; when the holder's host vanishes without closing it, the TCP keepalives set below
end the backend within about 45 s. A standby tries every ``every`` seconds (20 by default), so
another host takes over within a minute. A holder that cannot confirm its connection within
``timeout`` seconds stops being the leader before the server can hand the lock to another host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg

from bot.state.pg import describe

log = logging.getLogger(__name__)

LOCK_SPACE = 0x6B696A69  # first key of pg_try_advisory_lock(int, int): 'kiji' in ASCII
JOBS = {"scheduler": 1, "feeds": 2}  # second key, one per job

# Server side: a backend whose client vanished is ended after 15 + 3 × 10 s of silence.
_KEEPALIVES = (
    "SET tcp_keepalives_idle = 15",
    "SET tcp_keepalives_interval = 10",
    "SET tcp_keepalives_count = 3",
)


class Leadership:
    """Whether this process runs ``job`` now. ``await check()`` takes or confirms the lock."""

    def __init__(self, url: str, job: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.job = job
        self.key = JOBS[job]
        self.timeout = timeout
        self._conn: psycopg.AsyncConnection | None = None
        self._held = False

    @property
    def leader(self) -> bool:
        """True while this process holds the lock (as of the last :meth:`check`); no I/O."""
        return self._held

    async def check(self) -> bool:
        """Take the lock if it is free, or confirm that it is still ours; True if we hold it.

        Never raises for a lost or refused connection: it logs, drops the connection and
        returns False, and the next call connects again.
        """
        try:
            return await asyncio.wait_for(self._check(), self.timeout)
        except (TimeoutError, psycopg.OperationalError) as e:
            if self._held:
                log.warning("lost the %s lock at %s: %s", self.job, describe(self.url), e)
            await self._drop()
            return False

    async def _check(self) -> bool:
        conn = self._conn
        if conn is None or conn.closed:
            conn = await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=int(self.timeout)
            )
            self._conn, self._held = conn, False
            for statement in _KEEPALIVES:
                await conn.execute(statement)
        if self._held:
            await conn.execute("SELECT 1")  # the connection, and so the lock, is still ours
            return True
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_SPACE, self.key))
        row = await cur.fetchone()
        self._held = bool(row and row[0])
        if self._held:
            log.info("this process now runs the %s (lock at %s)", self.job, describe(self.url))
        return self._held

    async def run(self, every: float = 20.0) -> None:
        """Check every ``every`` seconds until cancelled (a background task)."""
        while True:
            await self.check()
            await asyncio.sleep(every)

    async def _drop(self) -> None:
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None:
            await conn.close()

    async def close(self) -> None:
        """Give the job up; closing twice is safe. The lock is released before the connection
        closes: the server frees a closed connection's locks only once its backend has exited,
        and a standby asking at once could still find it taken."""
        conn = self._conn
        if self._held and conn is not None and not conn.closed:
            with contextlib.suppress(psycopg.Error, TimeoutError):
                await asyncio.wait_for(
                    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_SPACE, self.key)),
                    self.timeout,
                )
        await self._drop()
