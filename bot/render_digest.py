"""The daily digest as Discord embeds: one per category, grouped into messages, and /digest status.

Built from the shared pieces in :mod:`bot.render` (escaping, links, fitting an embed to Discord's
limits); answers, searches and panels are there.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import discord

from bot import limits
from bot.i18n import lang, t
from bot.limits import truncate
from bot.render import COLOUR, Locale, escape, fit, lines_within, link
from index.digest.digest import display_time, empty_digest_message
from index.messages import stored_text
from index.models import Digest


def _digest_item_block(item, tz: ZoneInfo) -> str:
    date = display_time(item.published_at, tz)  # "" for a date without a time
    head = f"**{link(item.title, item.url, 150)}**" + (f"（{date}）" if date else "")
    summary = escape(truncate(item.summary, 280)) if item.summary else ""
    return f"{head}\n{summary}" if summary else head


def _digest_empty_text(digest: Digest, locale: Locale) -> str:
    """No articles that day, or (with a category filter) none in those categories."""
    return empty_digest_message(digest, lang(locale), day_name=digest.date, escape=escape)


def digest_embeds(digest: Digest, locale: Locale) -> list[discord.Embed]:
    """The digest as embeds: a header, then one embed per category (split when it is long)."""
    title = t(locale, "digest_title", date=digest.date)
    if digest.is_empty:
        return [
            fit(
                discord.Embed(
                    title=title,
                    description=_digest_empty_text(digest, locale),
                    colour=COLOUR,
                )
            )
        ]
    zone = ZoneInfo(digest.tz)
    embeds: list[discord.Embed] = []
    first = True
    for section in digest.sections:
        if not section.items:
            continue
        blocks = [_digest_item_block(i, zone) for i in section.items]
        chunks: list[str] = []
        current = ""
        for b in blocks:
            b = truncate(b, limits.EMBED_DESCRIPTION)
            candidate = f"{current}\n\n{b}" if current else b
            # Each embed stays well under 6000 so that several fit in one message.
            if len(candidate) > 3000 and current:
                chunks.append(current)
                current = b
            else:
                current = candidate
        if current:
            chunks.append(current)
        name = escape(section.name)
        for i, chunk in enumerate(chunks):
            embed = discord.Embed(
                title=(name if i == 0 else f"{name}（{i + 1}）"), description=chunk, colour=COLOUR
            )
            if first:
                embed.set_author(name=title)
                first = False
            embeds.append(fit(embed))
    if embeds:
        embeds[-1].set_footer(text=f"{digest.date} ・ {digest.tz}")
        fit(embeds[-1])
    return embeds


def digest_messages(digest: Digest, locale: Locale) -> list[list[discord.Embed]]:
    """The digest's embeds grouped into messages of ≤ 10 embeds and ≤ 6000 characters each."""
    messages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in digest_embeds(digest, locale):
        n = len(embed)
        if current and (len(current) >= limits.EMBEDS_PER_MESSAGE or size + n > limits.EMBED_TOTAL):
            messages.append(current)
            current, size = [], 0
        current.append(embed)
        size += n
    if current:
        messages.append(current)
    return messages


def digest_status_embed(status: object, locale: Locale) -> discord.Embed:
    """/digest status: the schedule, the next run, recent posts and anything needing attention.

    ``status`` is the scheduler's ``ScheduleStatus`` (duck-typed to keep render free of it).
    """
    embed = discord.Embed(title=t(locale, "digest_status_title"), colour=COLOUR)
    schedule = getattr(status, "schedule", None)
    if schedule is None or not schedule.enabled:
        embed.description = t(locale, "digest_was_off")
    else:
        comma = t(locale, "list_separator")
        cats = comma.join(escape(c) for c in schedule.categories) if schedule.categories else ""
        embed.description = t(
            locale,
            "digest_scheduled",
            time=schedule.at.strftime("%H:%M"),
            tz=schedule.tz,
            channel=f"<#{schedule.channel_id}>",
        ) + (f"\n{cats}" if cats else "")
        next_run = getattr(status, "next_run", None)
        if next_run is not None:
            embed.add_field(name="⏭", value=f"<t:{int(next_run.timestamp())}:F>", inline=False)

    def entries(name: str, rows: Sequence[object]) -> None:
        lines = []
        for e in rows:
            when = getattr(e, "posted_at", None)
            err = getattr(e, "last_error", None)
            line = f"{e.day.isoformat()} <#{e.channel_id}>"  # type: ignore[attr-defined]
            if when:
                line += f" <t:{int(when.timestamp())}:R>"
            if err:  # kept as a catalogue message: said in the moderator's language
                line += f" — {escape(truncate(stored_text(err, lang(locale)), 120))}"
            lines.append(line)
        if lines:
            embed.add_field(
                name=name, value=lines_within(lines, limits.EMBED_FIELD_VALUE), inline=False
            )

    entries("✅", getattr(status, "last_posts", ()))
    entries("⏳", getattr(status, "pending", ()))
    entries("❓", getattr(status, "uncertain", ()))
    entries("⚠️", getattr(status, "failures", ()))
    entries("⏸", getattr(status, "misses", ()))
    return fit(embed)
