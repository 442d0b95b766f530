"""Rate limits on questions (per user and per guild), feed additions (per guild) and each
command (per user), with the localized replies that explain them.

Every limit of the bot is a :class:`index.ops.ratelimit.RateLimiter` (a token bucket), the one
limiter of kiji; discord.py's own cooldowns are not used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import discord
from discord import app_commands

from bot.errors import OnCooldown, UserFacingError
from bot.i18n import t
from index.ops.ratelimit import RateLimiter, check_all

# Defaults: generous for people, tight for scripts. A user's burst across /ask, the message menu
# and mentions; a guild's share of the one reader thread; feed additions, which fetch the web.
ASK_PER_USER = (10, 60.0)
ASK_PER_GUILD = (60, 60.0)
FEED_ADDS_PER_GUILD = (10, 3600.0)

T = TypeVar("T")


def cooldown(rate: int, per: float) -> Callable[[T], T]:
    """A command's own per-user limit, ``rate`` uses per ``per`` seconds (in place of
    ``app_commands.checks.cooldown``); a refused use raises :class:`OnCooldown`."""
    limiter = RateLimiter(rate, per)

    def predicate(interaction: discord.Interaction) -> bool:
        wait = limiter.check(interaction.user.id)
        if wait > 0:
            raise OnCooldown(wait)
        return True

    return app_commands.check(predicate)


class RateLimited(UserFacingError):
    """A limit was reached; the message says how long to wait. ``scope``: user, guild, feeds."""

    def __init__(self, message: str, *, scope: str, retry_after: float) -> None:
        super().__init__(message)
        self.scope = scope
        self.retry_after = retry_after


@dataclass
class Limits:
    ask_user: RateLimiter
    ask_guild: RateLimiter
    feed_adds: RateLimiter

    @classmethod
    def default(cls, clock: Callable[[], float] = time.monotonic) -> Limits:
        return cls(
            ask_user=RateLimiter(*ASK_PER_USER, clock=clock),
            ask_guild=RateLimiter(*ASK_PER_GUILD, clock=clock),
            feed_adds=RateLimiter(*FEED_ADDS_PER_GUILD, clock=clock),
        )

    def question(
        self, user_id: int, guild_id: int | None, locale: discord.Locale | str | None
    ) -> None:
        """Take a question from the user's and the guild's budgets, or raise :class:`RateLimited`
        (nothing is taken from either when one refuses)."""
        checks = [(self.ask_user, user_id)]
        if guild_id is not None:
            checks.append((self.ask_guild, guild_id))
        wait = check_all(checks)
        if wait <= 0:
            return
        user_wait = self.ask_user.retry_after(user_id)
        scope = "user" if user_wait > 0 else "guild"
        seconds = max(1.0, wait)
        raise RateLimited(
            t(locale, f"rate_{scope}", seconds=seconds), scope=scope, retry_after=wait
        )

    def feed_addition(self, guild_id: int, locale: discord.Locale | str | None) -> None:
        """Take one feed addition from the guild's budget, or raise :class:`RateLimited`."""
        wait = self.feed_adds.check(guild_id)
        if wait <= 0:
            return
        limiter = self.feed_adds
        message = t(
            locale,
            "rate_feeds",
            rate=limiter.rate,
            hours=limiter.per_seconds / 3600,
            minutes=max(1.0, wait / 60),
        )
        raise RateLimited(message, scope="feeds", retry_after=wait)
