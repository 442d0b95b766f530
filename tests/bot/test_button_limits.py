"""Clicking "Show sources" / "More results" / a search page runs the search again, so clicks take
from the same per-member budget as questions (issue 12 row 15: 14 clicks in 2 s ran 14 searches).
The real cogs, the real reader thread and persistent buttons, driven with recording fakes."""

from __future__ import annotations

import discord
import pytest

from bot import render
from bot.client import NewsBot
from bot.guards import Limits
from bot.i18n import t
from index.ops.ratelimit import RateLimiter
from tests.bot.fakes import click, component, dispatch, slash
from tests.bot.test_commands import cmd

NONE = discord.AllowedMentions.none().to_dict()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wire(bot: NewsBot, per_user: int) -> tuple[Clock, list[int]]:
    """Limits of ``per_user`` questions a minute on both cogs, and a count of reader jobs run."""
    clock = Clock()
    limits = Limits(
        ask_user=RateLimiter(per_user, 60.0, clock=clock),
        ask_guild=RateLimiter(1000, 60.0, clock=clock),
        feed_adds=RateLimiter(10, 3600.0, clock=clock),
    )
    for name in ("AskCog", "SearchCog"):
        bot.get_cog(name).limits = limits  # type: ignore[union-attr]
    jobs = [0]
    run = bot.index.run

    async def counting(fn):  # the real reader, counted
        jobs[0] += 1
        return await run(fn)

    bot.index.run = counting  # type: ignore[method-assign]
    return clock, jobs


@pytest.mark.parametrize("action", ["src", "more"])
async def test_fourteen_clicks_in_two_seconds_take_from_the_question_budget(
    bot: NewsBot, action: str
) -> None:
    clock, jobs = wire(bot, per_user=4)
    inter = slash(bot, cmd(bot, "ask"), question="日銀 利上げ 円安 金利")
    await dispatch(bot.tree, inter)  # question 1 of 4
    view = inter.rec.last().view
    assert view is not None
    custom = [c.item.custom_id for c in view.children]  # type: ignore[attr-defined]
    ids = {cid.split(":")[2]: cid for cid in custom if cid.startswith("kiji:a:")}
    before = jobs[0]
    clicks = []
    for _ in range(14):
        clock.now += 2 / 14
        c = component(bot, ids[action])
        await click(bot, c)
        clicks.append(c)
    served = [c for c in clicks if c.rec.kinds()[0] == "defer"]
    refused = [c for c in clicks if c.rec.kinds() == ["send_message"]]
    assert len(served) == 3 and len(refused) == 11  # 4 per minute, the question took one
    assert jobs[0] - before == 3  # the refused clicks never reached the index
    prefix = t("ja", "rate_user", seconds=1.0).split("あと")[0]  # 質問が続いています。
    for c in refused:
        sent = c.rec.last().kwargs
        assert sent["ephemeral"] is True and sent["allowed_mentions"].to_dict() == NONE
        assert sent["content"].startswith(prefix + "あと"), sent["content"]
    # and the clicks spent the budget of questions too
    again = slash(bot, cmd(bot, "ask"), question="北斎展はいつまで？")
    await dispatch(bot.tree, again)
    assert again.rec.kinds() == ["send_message"]


async def test_search_page_clicks_take_from_the_same_budget(
    bot: NewsBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "SEARCH_PAGE", 1)
    _, jobs = wire(bot, per_user=2)
    inter = slash(bot, cmd(bot, "search"), keywords="日銀 円 北斎 野球 通信")
    await dispatch(bot.tree, inter)
    view = inter.rec.last().view
    assert view is not None
    next_id = view.children[1].item.custom_id  # type: ignore[attr-defined]
    before = jobs[0]
    kinds = []
    for _ in range(5):
        c = component(bot, next_id)
        await click(bot, c)
        kinds.append(c.rec.kinds())
    assert kinds[:2] == [["defer", "edit_original"]] * 2
    assert kinds[2:] == [["send_message"]] * 3
    assert jobs[0] - before == 2
