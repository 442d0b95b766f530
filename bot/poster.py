"""DiscordDigestPoster: the scheduler's ``DigestPoster``, sending a digest with discord.py.

Discord failures become the scheduler's errors: 403 → MissingPermissions, 404 → ChannelGone,
429 → RateLimited(retry_after), 5xx → ServerError; messages already sent are reported with the
error so a partial post is never sent twice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

import discord

from bot.digest_attempts import ChannelGone, MissingPermissions, RateLimited, ServerError
from bot.render_digest import digest_messages
from bot.respond import NO_MENTIONS
from index.models import Digest

log = logging.getLogger(__name__)


class DiscordDigestPoster:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def _channel(self, guild_id: int, channel_id: int) -> discord.abc.Messageable:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.client.fetch_channel(channel_id)
            except discord.NotFound as e:
                raise ChannelGone(f"channel {channel_id} not found") from e
            except discord.Forbidden as e:
                raise MissingPermissions(f"cannot see channel {channel_id}") from e
            except discord.HTTPException as e:
                raise _translate(e, ()) from e
        if getattr(getattr(channel, "guild", None), "id", None) != guild_id:
            raise ChannelGone(f"channel {channel_id} is not in guild {guild_id}")
        if not isinstance(channel, discord.abc.Messageable):
            raise ChannelGone(f"channel {channel_id} cannot hold messages")
        guild = channel.guild  # type: ignore[attr-defined]
        me = guild.me if guild is not None else None
        if me is not None and hasattr(channel, "permissions_for"):
            perms = channel.permissions_for(me)  # type: ignore[attr-defined]
            if not (perms.view_channel and perms.send_messages and perms.embed_links):
                raise MissingPermissions(
                    f"missing View Channel / Send Messages / Embed Links in {channel_id}"
                )
        return channel

    async def post(self, guild_id: int, channel_id: int, digest: Digest) -> list[int]:
        channel = await self._channel(guild_id, channel_id)
        locale = await self._locale(guild_id, getattr(channel, "guild", None))
        sent: list[int] = []
        for embeds in digest_messages(digest, locale):
            try:
                message = await channel.send(embeds=embeds, allowed_mentions=NO_MENTIONS)
            except discord.RateLimited as e:  # the wait would exceed max_ratelimit_timeout
                raise RateLimited(e.retry_after, message_ids=tuple(sent)) from e
            except discord.HTTPException as e:
                raise _translate(e, tuple(sent)) from e
            sent.append(message.id)
        log.info(
            "digest %s posted to %s/%s in %d messages", digest.date, guild_id, channel_id, len(sent)
        )
        return sent

    async def _locale(self, guild_id: int, guild: object) -> discord.Locale | None:
        """The guild's language. A guild on another process's shards is not in this cache (the
        scheduler's leader posts for every guild): ask Discord; None (Japanese) if that fails."""
        if guild is not None and not getattr(guild, "unavailable", False):
            return getattr(guild, "preferred_locale", None)
        try:
            return (await self.client.fetch_guild(guild_id, with_counts=False)).preferred_locale
        except discord.HTTPException:
            return None

    async def find_posted(
        self, guild_id: int, channel_id: int, day: date, since: datetime
    ) -> list[int] | None:
        """Ids of digest messages for ``day`` this bot sent since ``since``; None if unknown."""
        me = self.client.user
        if me is None:
            return None
        try:
            channel = await self._channel(guild_id, channel_id)
            ids = []
            async for m in channel.history(after=since, limit=100, oldest_first=True):  # type: ignore[attr-defined]
                if m.author.id == me.id and any(
                    day.isoformat() in (e.footer.text or "") + (e.author.name or "")
                    for e in m.embeds
                ):
                    ids.append(m.id)
            return ids
        except (discord.HTTPException, ChannelGone, MissingPermissions):
            return None


def _translate(e: discord.HTTPException, sent: tuple[int, ...]) -> Exception:
    text = f"{e.status} {e.text}"[:300]
    if isinstance(e, discord.Forbidden):
        return MissingPermissions(text, message_ids=sent)
    if isinstance(e, discord.NotFound):
        return ChannelGone(text, message_ids=sent)
    if e.status == 429:
        retry = getattr(e, "retry_after", None)
        if retry is None and e.response is not None:
            retry = float(e.response.headers.get("Retry-After", 5))
        return RateLimited(float(retry or 5), text, message_ids=sent)
    if e.status >= 500:
        return ServerError(text, message_ids=sent)
    return ServerError(text, message_ids=sent)
