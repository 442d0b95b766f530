"""AskCog: /ask, the 「kijiに聞く」 message menu, @kiji mentions, and the answer buttons."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.feedback import BotFeedback
from bot.guards import Limits, RateLimited, cooldown
from bot.i18n import _, lang, t
from bot.respond import NO_MENTIONS, defer, reply
from bot.shutdown import admit
from bot.state.settings import SettingsStore
from bot.views import AskAction, answer_view
from bot.worker import IndexContext, IndexWorker
from index.models import Answer
from index.ops.metrics import KijiMetrics
from index.ops.ratelimit import RateLimiter
from index.search.search import MAX_QUERY_CHARS

log = logging.getLogger(__name__)

QUESTION_MAX = 300  # /ask option length; a message asked about may be longer (up to the core's)
ASK_RATE, ASK_PER = 4, 30.0  # per user: 4 questions every 30 s (commands, menu and mentions)
_MENTION = re.compile(r"<@!?(\d+)>")


class AskCog(commands.Cog):
    """Answers questions with cited excerpts. The core objects are injected, never imported."""

    def __init__(
        self,
        index: IndexWorker,
        settings: SettingsStore,
        *,
        clock: Callable[[], datetime],
        bot_user_id: Callable[[], int | None] = lambda: None,
        tree: app_commands.CommandTree | None = None,
        metrics: KijiMetrics | None = None,
        limits: Limits | None = None,
        feedback: BotFeedback | None = None,
    ) -> None:
        self.index = index
        self.feedback = feedback
        self.metrics = metrics
        self.limits = limits
        self.tree = tree
        self.settings = settings
        self.clock = clock
        self.bot_user_id = bot_user_id
        self.menu = app_commands.ContextMenu(name=_("Ask kiji"), callback=self.ask_message)
        self._mention_cooldown = RateLimiter(ASK_RATE, ASK_PER)  # per user, as the commands

    # ------------------------------------------------------------------ the shared answer path
    async def answer(
        self, question: str, *, page: int, locale: discord.Locale | str | None = None
    ) -> Answer:
        """Ask the core (in the index thread) for enough excerpts to show ``page`` and know if
        there is a next one, its messages in the language of ``locale``."""
        now = self.clock()
        k = (page + 1) * render.ANSWER_PAGE + 1
        language = lang(locale)

        def job(ctx: IndexContext) -> Answer:
            return ctx.answerer.ask(question, now=now, k=k, lang=language)

        return await self.index.run(job)

    async def answer_message(
        self,
        question: str,
        *,
        page: int,
        user_id: int,
        locale: discord.Locale | str | None,
        guild_id: int | None = None,
        command: str | None = None,
    ) -> tuple[discord.Embed, discord.ui.View | None]:
        """The embed (and its buttons when there is an answer) for page ``page`` of ``question``.

        :param command: what asked (ask, ask_message, mention); a new question is counted in the
            metrics, a page turn (None) is not.
        """
        t0 = time.perf_counter()
        try:
            answer = await self.answer(question, page=page, locale=locale)
        except Exception:
            self._record(command, guild_id, "error", t0, count=command is not None)
            raise
        self._record(command or "page", guild_id, answer.status, t0, count=command is not None)
        embed = render.answer_embed(answer, locale, page=page)
        view = None
        if answer.status == "answered":
            ask_id = await self.settings.remember("ask", question, now=self.clock())
            has_more = len(answer.excerpts) > (page + 1) * render.ANSWER_PAGE
            view = answer_view(
                ask_id,
                page,
                user_id,
                has_more=has_more,
                locale=locale,
                answer_id=await self._remember_for_votes(question, answer),
            )
        return embed, view

    async def _remember_for_votes(self, question: str, answer: Answer) -> int | None:
        """The id the 👍/👎 buttons carry: the answer as shown (its first page of excerpts).
        None (no vote buttons) when feedback is off or cannot be stored: never fails an answer."""
        if self.feedback is None:
            return None
        try:
            return await self.feedback.remember_answer(
                question, answer.excerpts[: render.ANSWER_PAGE], now=self.clock()
            )
        except Exception:
            log.exception("could not remember an answer for votes")
            return None

    def _record(
        self,
        command: str | None,
        guild_id: int | None,
        status: str,
        t0: float,
        *,
        count: bool = True,
    ) -> None:
        """Metrics and one structured log line per question (never the question's text)."""
        took = time.perf_counter() - t0
        if self.metrics is not None and count:
            self.metrics.record_answer(status, took)
        log.info(
            "%s in guild %s: %s (%.1f ms)",
            command,
            guild_id,
            status,
            took * 1000,
            extra={"guild": guild_id, "command": command, "status": status,
                   "took_ms": round(took * 1000, 1)},
        )  # fmt: skip

    def check_limits(
        self, user_id: int, guild_id: int | None, locale: discord.Locale | str | None
    ) -> None:
        """Raise :class:`RateLimited` (a friendly, localized reply) when a limit is reached."""
        if self.limits is None:
            return
        try:
            self.limits.question(user_id, guild_id, locale)
        except RateLimited as e:
            if self.metrics is not None:
                self.metrics.record_answer("rate_limited")
            log.info(
                "rate limited (%s) in guild %s",
                e.scope,
                guild_id,
                extra={"guild": guild_id, "status": "rate_limited", "scope": e.scope},
            )
            raise

    # ------------------------------------------------------------------ /ask
    @app_commands.command(
        name=_("ask"),
        description=_("Ask a question about the news; kiji answers with cited excerpts"),
    )
    @app_commands.rename(question=_("question"))
    @app_commands.describe(question=_("Your question, in Japanese (e.g. 日銀は何を決めた？)"))
    @cooldown(ASK_RATE, ASK_PER)
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, QUESTION_MAX],
    ) -> None:
        self.check_limits(interaction.user.id, interaction.guild_id, interaction.locale)
        # Defer first: settings come from memory, the search runs after Discord has its ack.
        await defer(interaction, ephemeral=self.settings.get(interaction.guild_id).ephemeral)
        await self._reply_answer(interaction, question, command="ask")

    async def _reply_answer(
        self, interaction: discord.Interaction, question: str, *, command: str
    ) -> None:
        """The first page of the answer, sent as the deferred interaction's followup."""
        embed, view = await self.answer_message(
            question,
            page=0,
            user_id=interaction.user.id,
            locale=interaction.locale,
            guild_id=interaction.guild_id,
            command=command,
        )
        await reply(interaction, embed=embed, view=view)

    # ------------------------------------------------------------------ message menu
    @cooldown(ASK_RATE, ASK_PER)
    async def ask_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """「kijiに聞く」: ask about the text of a message (its content, else its embeds)."""
        self.check_limits(interaction.user.id, interaction.guild_id, interaction.locale)
        await defer(interaction, ephemeral=self.settings.get(interaction.guild_id).ephemeral)
        question = message_text(message)[:MAX_QUERY_CHARS]
        if not question.strip():
            await reply(
                interaction, embed=render.notice_embed(t(interaction.locale, "message_empty"))
            )
            return
        await self._reply_answer(interaction, question, command="ask_message")

    async def cog_load(self) -> None:
        # A context menu cannot live in a cog class body: it is added to the tree by hand.
        if self.tree is not None:
            self.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        if self.tree is not None:
            self.tree.remove_command(self.menu.name, type=self.menu.type)

    # ------------------------------------------------------------------ @kiji mentions
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        await self.handle_mention(message)

    async def handle_mention(self, message: discord.Message) -> bool:
        """Reply in place to ``@kiji 〜は？`` in a channel the guild allowed; True if it replied."""
        me = self.bot_user_id()
        if me is None or message.author.bot or message.guild is None:
            return False
        if not any(u.id == me for u in message.mentions):
            return False  # @everyone, @here and role mentions never reach here
        allowed = self.settings.get(message.guild.id).answer_channels
        channel = message.channel
        parent_id = getattr(channel, "parent_id", None)  # a thread follows its channel
        if channel.id not in allowed and parent_id not in allowed:
            return False
        locale = message.guild.preferred_locale
        retry_after = self._mention_cooldown.check(message.author.id)
        if retry_after:
            await message.reply(
                t(locale, "cooldown", seconds=max(1.0, retry_after)),
                allowed_mentions=NO_MENTIONS,
                mention_author=False,
                delete_after=10,
            )
            return True
        try:
            self.check_limits(message.author.id, message.guild.id, locale)
        except RateLimited as e:
            await message.reply(
                str(e), allowed_mentions=NO_MENTIONS, mention_author=False, delete_after=10
            )
            return True
        question = _MENTION.sub(" ", message.content).strip()[:MAX_QUERY_CHARS]
        if not question:
            await message.reply(
                embed=render.help_embed(locale), allowed_mentions=NO_MENTIONS, mention_author=False
            )
            return True
        try:
            embed, view = await self.answer_message(
                question,
                page=0,
                user_id=message.author.id,
                locale=locale,
                guild_id=message.guild.id,
                command="mention",
            )
        except Exception:
            log.exception("mention in guild %s failed", message.guild.id)
            await message.reply(
                t(locale, "generic_error"), allowed_mentions=NO_MENTIONS, mention_author=False
            )
            return True
        if view is not None:
            await message.reply(
                embed=embed, view=view, allowed_mentions=NO_MENTIONS, mention_author=False
            )
        else:
            await message.reply(embed=embed, allowed_mentions=NO_MENTIONS, mention_author=False)
        return True

    # ------------------------------------------------------------------ buttons
    async def on_ask_button(
        self,
        interaction: discord.Interaction,
        action: AskAction,
        ask_id: int,
        page: int,
        user_id: int,
    ) -> None:
        """ "More results" edits the asker's answer in place (others get their own copy);
        "Show sources" replies to the clicker only.

        Either runs the question again, so a click takes from the same per-member and per-guild
        budgets as a question; over the limit, the clicker gets the same explanation."""
        if not await admit(interaction):  # kiji is shutting down: already answered
            return
        self.check_limits(interaction.user.id, interaction.guild_id, interaction.locale)
        own = interaction.user.id == user_id
        if action == "more" and own:
            await interaction.response.defer()  # a silent ack; the message is edited below
        else:
            await interaction.response.defer(thinking=True, ephemeral=True)
        question = await self.settings.recall("ask", ask_id)
        if question is None:
            await reply(interaction, t(interaction.locale, "expired"), ephemeral=True)
            return
        locale = interaction.locale
        if action == "src":
            answer = await self.answer(question, page=page, locale=locale)
            await reply(
                interaction, embed=render.sources_embed(answer, locale, page=page), ephemeral=True
            )
            return
        embed, view = await self.answer_message(
            question, page=page, user_id=interaction.user.id, locale=locale
        )
        if own:
            await interaction.edit_original_response(
                embed=embed, view=view, allowed_mentions=NO_MENTIONS
            )
        else:
            await reply(interaction, embed=embed, view=view, ephemeral=True)


def message_text(message: discord.Message) -> str:
    """What to ask about a message: its content, else the title and text of its embeds."""
    if message.content.strip():
        return message.content
    parts: list[str] = []
    for e in message.embeds:
        parts.extend(x for x in (e.title, e.description) if x)
    return "\n".join(parts)


async def setup(bot: commands.Bot) -> None:
    from bot.client import NewsBot

    assert isinstance(bot, NewsBot)
    await bot.add_cog(
        AskCog(
            bot.index,
            bot.guild_settings,
            clock=bot.clock,
            bot_user_id=lambda: bot.user.id if bot.user else None,
            tree=bot.tree,
            metrics=bot.metrics,
            limits=bot.limits,
            feedback=bot.feedback,
        )
    )
