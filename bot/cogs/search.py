"""SearchCog: /search (a paged list of matching articles) and /article (one article, autocomplete)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot import limits, render
from bot.errors import UserFacingError
from bot.guards import Limits, cooldown
from bot.i18n import _, t
from bot.limits import truncate
from bot.respond import NO_MENTIONS, defer, reply
from bot.shutdown import admit
from bot.state.settings import SettingsStore
from bot.views import PERIODS, search_view
from bot.worker import IndexContext, IndexWorker
from index.analysis.sentences import split_sentences
from index.models import Hit, RelatedArticle, StoredArticle

log = logging.getLogger(__name__)

SEARCH_PASSAGES = 300  # passages ranked per search; grouped into at most SEARCH_ARTICLES articles
SEARCH_ARTICLES = 50
SUMMARY_SENTENCES = 3
KEYWORDS_MAX = 200

PERIOD_CHOICES = [
    app_commands.Choice(name=_("today"), value="today"),
    app_commands.Choice(name=_("this week"), value="week"),
    app_commands.Choice(name=_("this month"), value="month"),
    app_commands.Choice(name=_("all time"), value="all"),
]


def period_since(period: str, now: datetime) -> datetime | None:
    """Start of the period containing ``now`` (in ``now``'s time zone): today, this week (from
    Monday), this month; None for all time."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "today":
        return midnight
    if period == "week":
        return midnight - timedelta(days=midnight.weekday())
    if period == "month":
        return midnight.replace(day=1)
    return None


def best_per_article(hits: tuple[Hit, ...], limit: int) -> list[Hit]:
    """The best passage of each article, in rank order, at most ``limit`` articles."""
    seen: set[str] = set()
    out: list[Hit] = []
    for h in hits:
        if h.article_id not in seen:
            seen.add(h.article_id)
            out.append(h)
            if len(out) >= limit:
                break
    return out


def summary_of(body: str, sentences: int = SUMMARY_SENTENCES) -> str:
    """The first ``sentences`` sentences of an article (its lead)."""
    return "".join(split_sentences(body)[:sentences])


class SearchCog(commands.Cog):
    def __init__(
        self,
        index: IndexWorker,
        settings: SettingsStore,
        *,
        clock: Callable[[], datetime],
        limits: Limits | None = None,
    ) -> None:
        self.index = index
        self.settings = settings
        self.clock = clock
        self.limits = limits

    # ------------------------------------------------------------------ /search
    async def results(self, keywords: str, period: str) -> list[Hit]:
        since = period_since(period, self.clock())

        def job(ctx: IndexContext) -> list[Hit]:
            result = ctx.searcher.search(
                keywords, SEARCH_PASSAGES, since=since, include_stubs=False
            )
            return best_per_article(result.hits, SEARCH_ARTICLES)

        return await self.index.run(job)

    async def search_message(
        self,
        keywords: str,
        period: str,
        page: int,
        user_id: int,
        locale: discord.Locale | str | None,
    ) -> tuple[discord.Embed, discord.ui.View | None]:
        hits = await self.results(keywords, period)
        pages = max(1, -(-len(hits) // render.SEARCH_PAGE))
        page = min(max(page, 0), pages - 1)
        label = t(locale, f"period_{period}")
        embed = render.search_embed(keywords, hits, locale, page=page, period_label=label)
        view = None
        if pages > 1:
            ask_id = await self.settings.remember("search", keywords, now=self.clock())
            view = search_view(ask_id, period, page, pages, user_id, locale=locale)
        return embed, view

    @app_commands.command(name=_("search"), description=_("List articles that match keywords"))
    @app_commands.rename(keywords=_("keywords"), period=_("period"))
    @app_commands.describe(
        keywords=_("Words to look for"), period=_("Only articles published in this period")
    )
    @app_commands.choices(period=PERIOD_CHOICES)
    @cooldown(5, 30.0)
    async def search(
        self,
        interaction: discord.Interaction,
        keywords: app_commands.Range[str, 1, KEYWORDS_MAX],
        period: app_commands.Choice[str] | None = None,
    ) -> None:
        await defer(interaction, ephemeral=self.settings.get(interaction.guild_id).ephemeral)
        embed, view = await self.search_message(
            keywords, period.value if period else "all", 0, interaction.user.id, interaction.locale
        )
        await reply(interaction, embed=embed, view=view)

    async def on_search_button(
        self, interaction: discord.Interaction, ask_id: int, period: str, page: int, user_id: int
    ) -> None:
        """Previous/next: the asker's list changes in place; anyone else gets their own copy.

        A click runs the search again, so it takes from the same per-member and per-guild
        budgets as a question (:class:`RateLimited` becomes an ephemeral explanation)."""
        if not await admit(interaction):  # kiji is shutting down: already answered
            return
        if self.limits is not None:
            self.limits.question(interaction.user.id, interaction.guild_id, interaction.locale)
        own = interaction.user.id == user_id
        if own:
            await interaction.response.defer()
        else:
            await interaction.response.defer(thinking=True, ephemeral=True)
        keywords = await self.settings.recall("search", ask_id)
        if keywords is None or period not in PERIODS:
            await reply(interaction, t(interaction.locale, "expired"), ephemeral=True)
            return
        embed, view = await self.search_message(
            keywords, period, page, interaction.user.id, interaction.locale
        )
        if own:
            await interaction.edit_original_response(
                embed=embed, view=view, allowed_mentions=NO_MENTIONS
            )
        else:
            await reply(interaction, embed=embed, view=view, ephemeral=True)

    # ------------------------------------------------------------------ /article
    async def find_article(
        self, title: str
    ) -> tuple[StoredArticle, tuple[RelatedArticle, ...]] | None:
        """The article whose id is ``title`` (an autocomplete pick) or whose title contains it."""

        def job(ctx: IndexContext) -> tuple[StoredArticle, tuple[RelatedArticle, ...]] | None:
            article = ctx.store.get_article(title)
            if article is None or article.is_stub:
                found = ctx.store.search_titles(title, 1)
                article = ctx.store.get_article(found[0][0]) if found else None
            if article is None:
                return None
            return article, ctx.answerer.related.related_to([article.id])

        return await self.index.run(job)

    @app_commands.command(
        name=_("article"), description=_("Show an article's summary, sources and related articles")
    )
    @app_commands.rename(title=_("title"))
    @app_commands.describe(title=_("Start typing a title and pick an article"))
    @cooldown(5, 30.0)
    async def article(
        self, interaction: discord.Interaction, title: app_commands.Range[str, 1, 200]
    ) -> None:
        await defer(interaction, ephemeral=self.settings.get(interaction.guild_id).ephemeral)
        found = await self.find_article(title)
        if found is None:
            raise UserFacingError(
                t(interaction.locale, "article_not_found", q=render.escape(truncate(title, 100)))
            )
        article, related = found
        embed = render.article_embed(article, summary_of(article.body), related, interaction.locale)
        await reply(interaction, embed=embed)

    @article.autocomplete("title")
    async def article_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Up to 25 titles containing what was typed, newest first (value: the article id)."""
        rows = await self.index.run(
            lambda ctx: ctx.store.search_titles(current[:100], limits.CHOICES)
        )
        return [
            app_commands.Choice(name=truncate(title, limits.CHOICE_NAME), value=aid)
            for aid, title in rows
            if len(aid) <= limits.CHOICE_VALUE
        ]


async def setup(bot: commands.Bot) -> None:
    from bot.client import NewsBot

    assert isinstance(bot, NewsBot)
    await bot.add_cog(SearchCog(bot.index, bot.guild_settings, clock=bot.clock, limits=bot.limits))
