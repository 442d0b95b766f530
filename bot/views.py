"""Buttons that keep working after a restart: all their state is in the ``custom_id``.

Each button is a ``discord.ui.DynamicItem`` whose ``custom_id`` carries the id of a remembered
question (the ``asked`` table of bot/state/settings.py), the page and the user it was made for; the
bot registers the classes with ``add_dynamic_items`` and rebuilds a button from any message.
The callbacks only delegate to the cogs, which own the work.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal, Protocol

import discord

from bot import limits
from bot.errors import report_error
from bot.i18n import t

if TYPE_CHECKING:
    from collections.abc import Awaitable

log = logging.getLogger(__name__)

AskAction = Literal["more", "src"]
VoteKind = Literal["up", "down"]
PERIODS = ("today", "week", "month", "all")


class AskHandler(Protocol):
    def on_ask_button(
        self,
        interaction: discord.Interaction,
        action: AskAction,
        ask_id: int,
        page: int,
        user_id: int,
    ) -> Awaitable[None]: ...


class VoteHandler(Protocol):
    def on_vote_button(
        self, interaction: discord.Interaction, vote: VoteKind, answer_id: int
    ) -> Awaitable[None]: ...


class SearchHandler(Protocol):
    def on_search_button(
        self, interaction: discord.Interaction, ask_id: int, period: str, page: int, user_id: int
    ) -> Awaitable[None]: ...


def _cog(interaction: discord.Interaction, name: str) -> Any:
    bot = interaction.client
    cog = bot.get_cog(name) if hasattr(bot, "get_cog") else None  # type: ignore[attr-defined]
    if cog is None:
        raise RuntimeError(f"{name} is not loaded")
    return cog


class AskButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"kiji:a:(?P<action>more|src):(?P<id>[0-9]{1,18}):(?P<page>[0-9]{1,3}):(?P<user>[0-9]{1,20})",
):
    """ "More results" (the next page of excerpts) or "Show sources" under an answer."""

    def __init__(
        self,
        action: AskAction,
        ask_id: int,
        page: int,
        user_id: int,
        *,
        label: str = "…",
        disabled: bool = False,
    ) -> None:
        custom_id = f"kiji:a:{action}:{ask_id}:{page}:{user_id}"
        assert len(custom_id) <= limits.CUSTOM_ID
        style = discord.ButtonStyle.primary if action == "more" else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=label[: limits.BUTTON_LABEL],
                style=style,
                custom_id=custom_id,
                disabled=disabled,
            )
        )
        self.action: AskAction = action
        self.ask_id = ask_id
        self.page = page
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> AskButton:
        return cls(match["action"], int(match["id"]), int(match["page"]), int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        try:
            cog: AskHandler = _cog(interaction, "AskCog")
            await cog.on_ask_button(interaction, self.action, self.ask_id, self.page, self.user_id)
        except Exception as e:
            await report_error(interaction, e)


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"kiji:v:(?P<vote>up|down):(?P<id>[0-9]{1,18})",
):
    """👍 / 👎 under an answer; ``answer_id`` is the answer as shown (index/store/feedback_store.py).
    The voter is whoever clicks: one vote per member per answer, a second click replaces it."""

    def __init__(self, vote: VoteKind, answer_id: int) -> None:
        custom_id = f"kiji:v:{vote}:{answer_id}"
        assert len(custom_id) <= limits.CUSTOM_ID
        super().__init__(
            discord.ui.Button(
                emoji="👍" if vote == "up" else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id,
            )
        )
        self.vote: VoteKind = vote
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> VoteButton:
        return cls(match["vote"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        try:
            cog: VoteHandler = _cog(interaction, "FeedbackCog")
            await cog.on_vote_button(interaction, self.vote, self.answer_id)
        except Exception as e:
            await report_error(interaction, e)


class SearchPageButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"kiji:s:(?P<id>[0-9]{1,18}):(?P<period>today|week|month|all):(?P<page>[0-9]{1,3}):(?P<user>[0-9]{1,20})",
):
    """Previous/next page of a /search result list (``page`` is the page the button opens)."""

    def __init__(
        self,
        ask_id: int,
        period: str,
        page: int,
        user_id: int,
        *,
        label: str = "…",
        disabled: bool = False,
    ) -> None:
        # Two buttons may open the same page (both disabled at an end); a suffix-free id would
        # collide, so a disabled button points at page 999 which is never rendered.
        custom_id = f"kiji:s:{ask_id}:{period}:{page}:{user_id}"
        assert len(custom_id) <= limits.CUSTOM_ID
        super().__init__(
            discord.ui.Button(
                label=label[: limits.BUTTON_LABEL],
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id,
                disabled=disabled,
            )
        )
        self.ask_id = ask_id
        self.period = period
        self.page = page
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> SearchPageButton:
        return cls(int(match["id"]), match["period"], int(match["page"]), int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        try:
            cog: SearchHandler = _cog(interaction, "SearchCog")
            await cog.on_search_button(
                interaction, self.ask_id, self.period, self.page, self.user_id
            )
        except Exception as e:
            await report_error(interaction, e)


def answer_view(
    ask_id: int,
    page: int,
    user_id: int,
    *,
    has_more: bool,
    locale: discord.Locale | str | None,
    answer_id: int | None = None,
) -> discord.ui.View:
    """The buttons under an answer: more results (next page), show sources, and 👍 / 👎 when
    the answer was remembered for feedback (``answer_id``)."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        AskButton("more", ask_id, page + 1, user_id, label=t(locale, "more"), disabled=not has_more)
    )
    view.add_item(AskButton("src", ask_id, page, user_id, label=t(locale, "sources")))
    if answer_id is not None:
        view.add_item(VoteButton("up", answer_id))
        view.add_item(VoteButton("down", answer_id))
    return view


def search_view(
    ask_id: int,
    period: str,
    page: int,
    pages: int,
    user_id: int,
    *,
    locale: discord.Locale | str | None,
) -> discord.ui.View | None:
    """Previous/next buttons of a /search list, or None when everything fits on one page."""
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    prev_page = page - 1 if page > 0 else 998
    next_page = page + 1 if page + 1 < pages else 999
    view.add_item(
        SearchPageButton(
            ask_id, period, prev_page, user_id, label=t(locale, "prev"), disabled=page == 0
        )
    )
    view.add_item(
        SearchPageButton(
            ask_id, period, next_page, user_id, label=t(locale, "next"), disabled=page + 1 >= pages
        )
    )
    return view


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AskButton,
    SearchPageButton,
    VoteButton,
)
