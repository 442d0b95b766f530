"""Graceful shutdown: stop taking new work, finish or answer what is in flight, then close.

Every command and button interaction is admitted through :meth:`InFlight.admit` (the command
tree's ``interaction_check`` and the button handlers). On SIGTERM/SIGINT :meth:`InFlight.drain`
refuses new interactions with a short "restarting" reply, waits up to the grace period for the
ones being answered, and answers those still running with the same reply after cancelling them,
so nobody is left with "kiji is thinking…" and nothing is sent on a closed HTTP session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import discord

from bot.i18n import t
from bot.respond import reply

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 10.0  # seconds for in-flight answers; systemd's TimeoutStopSec must be larger
FALLBACK_TIMEOUT = 5.0  # seconds for each "restarting" reply once the grace period is over

Fallback = Callable[[], Awaitable[object]]


async def restarting(interaction: discord.Interaction) -> None:
    await reply(interaction, t(interaction.locale, "shutting_down"), ephemeral=True)


class InFlight:
    """The tasks answering interactions right now, each with what to send if it is cut short."""

    def __init__(self) -> None:
        self.draining = False
        self._tasks: dict[asyncio.Task[object], Fallback] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    async def admit(self, interaction: discord.Interaction) -> bool:
        """Track the current task as answering ``interaction``; while draining, reply that kiji
        is restarting and return False (the caller does nothing more)."""
        if self.draining:
            with contextlib.suppress(discord.HTTPException):
                await restarting(interaction)
            return False
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks[task] = lambda: restarting(interaction)
            task.add_done_callback(self._forget)
        return True

    def _forget(self, task: asyncio.Task[object]) -> None:
        self._tasks.pop(task, None)

    async def drain(self, grace: float = SHUTDOWN_GRACE) -> tuple[int, int]:
        """Refuse new work, wait up to ``grace`` s; returns (finished, cut short)."""
        self.draining = True
        pending = dict(self._tasks)
        if not pending:
            return 0, 0
        log.info("waiting up to %.0f s for %d answers in flight", grace, len(pending))
        done, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        for task in late:
            try:
                await asyncio.wait_for(pending[task](), FALLBACK_TIMEOUT)
            except Exception:
                log.warning("could not tell a user that kiji is restarting", exc_info=True)
        if late:
            log.warning("%d answers were cut short by the shutdown (told to ask again)", len(late))
        return len(done), len(late)


async def graceful_close(
    client: discord.Client, inflight: InFlight, grace: float = SHUTDOWN_GRACE
) -> None:
    """Drain ``inflight``, then close the client (gateway, HTTP session)."""
    finished, cut = await inflight.drain(grace)
    log.info("shutdown: %d answers finished, %d cut short; closing", finished, cut)
    await client.close()


async def admit(interaction: discord.Interaction) -> bool:
    """:meth:`InFlight.admit` of the interaction's client (True for a client without one)."""
    inflight = getattr(interaction.client, "inflight", None)
    return True if inflight is None else await inflight.admit(interaction)
