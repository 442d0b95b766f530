"""SIGTERM while six /ask are being answered (issue 12 row 14): the six are finished within the
grace period, or told to ask again when it runs out; new questions get the same short reply;
nothing is sent after the close. The real /ask handler and reader thread, a real SIGTERM to this
process handled by the signal handler `kiji run` installs, and recording fake interactions."""

from __future__ import annotations

import asyncio
import os
import signal
import threading

import discord
import pytest

from bot import __main__ as entry
from bot.client import NewsBot
from bot.i18n import t
from tests.bot.fakes import dispatch, slash
from tests.bot.test_commands import cmd

NONE = discord.AllowedMentions.none().to_dict()
QUESTIONS = [
    "日銀は政策金利を何%に引き上げた？",
    "ピッチクロックは何秒？",
    "北斎展はいつまで？",
    "通信障害は何回線に影響した？",
    "円相場は1ドル何円台？",
    "植田総裁は何と述べた？",
]


async def six_in_flight(bot: NewsBot, gate: threading.Event) -> tuple[list, list[asyncio.Task]]:
    """Six /ask deferred and waiting for the reader thread, which is held by ``gate``."""
    await bot.__aenter__()  # as `kiji run` does (`async with scheduler, bot:`), without a login
    blocker = asyncio.ensure_future(bot.index.run(lambda ctx: gate.wait(30)))
    inters = [slash(bot, cmd(bot, "ask"), user_id=1000 + i, question=q) for i, q in enumerate(QUESTIONS)]  # fmt: skip
    tasks = [asyncio.create_task(dispatch(bot.tree, i)) for i in inters]
    for _ in range(100):
        await asyncio.sleep(0.01)
        if all(i.rec.kinds() == ["defer"] for i in inters):
            break
    assert all(i.rec.kinds() == ["defer"] for i in inters)
    assert len(bot.inflight) == 6
    tasks.append(blocker)  # type: ignore[arg-type]
    return inters, tasks


async def sigterm(bot: NewsBot, grace: float) -> None:
    entry.install_signal_handlers(bot, grace)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(100):
            await asyncio.sleep(0.01)
            if bot.shutdown_task is not None:
                break
        assert bot.shutdown_task is not None and bot.inflight.draining
    finally:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def test_in_flight_answers_finish_within_the_grace_period(bot: NewsBot) -> None:
    gate = threading.Event()
    inters, tasks = await six_in_flight(bot, gate)
    await sigterm(bot, grace=20.0)

    late = slash(bot, cmd(bot, "ask"), question="円安の理由は？")  # arrives during the drain
    await dispatch(bot.tree, late)
    assert late.rec.kinds() == ["send_message"]
    sent = late.rec.last().kwargs
    assert sent["content"] == t("ja", "shutting_down") and sent["ephemeral"] is True

    asyncio.get_running_loop().call_later(0.3, gate.set)  # the slow search ends
    assert bot.shutdown_task is not None
    await asyncio.wait_for(bot.shutdown_task, 30)
    assert bot.is_closed()
    for inter in inters:  # all six got their real answer before the close
        assert inter.rec.kinds() == ["defer", "followup"], inter.rec.kinds()
        followup = inter.rec.last()
        assert followup.kwargs["allowed_mentions"].to_dict() == NONE
        assert followup.embeds and followup.kwargs.get("content") is None
    await asyncio.gather(*tasks)


async def test_answers_still_running_at_the_end_of_the_grace_period_are_told(
    bot: NewsBot, caplog: pytest.LogCaptureFixture
) -> None:
    gate = threading.Event()
    inters, tasks = await six_in_flight(bot, gate)
    try:
        await sigterm(bot, grace=0.3)
        assert bot.shutdown_task is not None
        await asyncio.wait_for(bot.shutdown_task, 30)
        assert bot.is_closed()
        for inter in inters:  # told, once, ephemerally, instead of "thinking…" forever
            sends = inter.rec.sends()
            assert [s.kwargs["content"] for s in sends] == [t("ja", "shutting_down")]
            assert sends[0].kwargs["ephemeral"] is True
            assert sends[0].kwargs["allowed_mentions"].to_dict() == NONE
        assert all(t_.cancelled() for t_ in tasks[:6])
    finally:
        gate.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(0.2)
    for inter in inters:  # nothing arrives after the close (no "Session is closed")
        assert len(inter.rec.sends()) == 1
    assert "Session is closed" not in caplog.text
