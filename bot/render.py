"""Discord embeds for answers, searches, articles and the /kiji panels, and the shared pieces.

The shared pieces (escaping, safe links, joining lines within a limit, :func:`fit`) are used by
:mod:`bot.render_digest` too, which builds the digest's embeds. Text from articles and users is
escaped before it is put into markdown, cut at character boundaries with "…", and every embed
is checked against Discord's limits (see bot/limits.py), 6000 characters in total.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote, urlsplit

import discord

from bot import limits
from bot.i18n import lang, t
from bot.limits import truncate
from index.answer.render_text import answer_message
from index.models import (
    Answer,
    ArticleLink,
    Excerpt,
    Hit,
    RelatedArticle,
    StoredArticle,
)
from index.store.feedback_store import HelpfulRate

COLOUR = discord.Colour(0x2B6CB0)
NOT_FOUND_COLOUR = discord.Colour(0x718096)
ANSWER_PAGE = 3  # excerpts per page of an answer
EXCERPT_CHARS = 500  # an excerpt longer than this is cut before markup is added
SEARCH_PAGE = 10  # articles per page of /search
RELATED_MAX = 5
SUMMARY_CHARS = 600

Locale = discord.Locale | str | None

_ESCAPE = re.compile(r"([\\*_~|`\[\]<>#])")
_LINE_START = re.compile(r"^(\s*)([-+>]|\d+\.)", re.MULTILINE)


def escape(text: str) -> str:
    """``text`` made inert: markdown characters backslash-escaped and mentions broken.

    Stricter than ``discord.utils.escape_markdown``, which leaves a lone ``*`` alone; pieces
    escaped here can be joined with our own markup without changing its meaning.
    """
    text = _ESCAPE.sub(r"\\\1", text)
    text = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return discord.utils.escape_mentions(text)


def safe_url(url: str) -> str | None:
    """``url`` if it is an absolute http(s) URL, with characters that would end a markdown link
    percent-encoded; otherwise None (and the title is shown without a link)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(url.strip(), safe=":/?#@!$&'*+,;=%~-._") if len(url) <= 2000 else None


def link(title: str, url: str, limit: int = 200) -> str:
    """A markdown link ``[title](url)`` (or the escaped title alone if the URL is unusable)."""
    text = escape(truncate(title, limit)) or "…"
    target = safe_url(url)
    return f"[{text}]({target})" if target else text


def day(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d") if dt else ""


def highlighted(excerpt: Excerpt, limit: int = EXCERPT_CHARS) -> str:
    """The excerpt's text escaped, with its matched terms in bold (cut to ``limit`` first)."""
    text = excerpt.text
    cut = len(text) > limit
    if cut:
        text = text[: limit - 1]
    spans = sorted((max(0, s), min(len(text), e)) for s, e in excerpt.highlights if s < len(text))
    merged: list[list[int]] = []
    for s, e in spans:
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out: list[str] = []
    pos = 0
    for s, e in merged:
        out.append(escape(text[pos:s]))
        out.append(f"**{escape(text[s:e])}**")
        pos = e
    out.append(escape(text[pos:]))
    return "".join(out) + (limits.ELLIPSIS if cut else "")


def fit(embed: discord.Embed) -> discord.Embed:
    """Trim ``embed`` to Discord's limits: each part first, then fields from the end and the
    description until ``len(embed)`` ≤ 6000."""
    if embed.title:
        embed.title = truncate(embed.title, limits.EMBED_TITLE)
    if embed.description:
        embed.description = truncate(embed.description, limits.EMBED_DESCRIPTION)
    if embed.footer.text:
        embed.set_footer(text=truncate(embed.footer.text, limits.EMBED_FOOTER))
    if embed.author.name:
        embed.set_author(
            name=truncate(embed.author.name, limits.EMBED_AUTHOR), url=embed.author.url
        )
    while len(embed.fields) > limits.EMBED_FIELDS:
        embed.remove_field(len(embed.fields) - 1)
    for i, f in enumerate(embed.fields):
        embed.set_field_at(
            i,
            name=truncate(f.name or "\u200b", limits.EMBED_FIELD_NAME),
            value=truncate(f.value or "\u200b", limits.EMBED_FIELD_VALUE),
            inline=bool(f.inline),
        )
    while len(embed) > limits.EMBED_TOTAL and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    excess = len(embed) - limits.EMBED_TOTAL
    if excess > 0 and embed.description:
        embed.description = truncate(embed.description, max(1, len(embed.description) - excess))
    return embed


def lines_within(lines: Iterable[str], limit: int, sep: str = "\n") -> str:
    """Join whole lines while they fit in ``limit`` characters (a line alone is truncated)."""
    out = ""
    for line in lines:
        candidate = f"{out}{sep}{line}" if out else line
        if len(candidate) > limit:
            if not out:
                return truncate(line, limit)
            break
        out = candidate
    return out


def related_lines(items: Sequence[RelatedArticle | ArticleLink]) -> list[str]:
    lines = []
    for r in items[:RELATED_MAX]:
        date = day(getattr(r, "published_at", None))
        lines.append(f"・{link(r.title, r.url)}" + (f"（{date}）" if date else ""))
    return lines


# --------------------------------------------------------------------------- answers


def answer_embed(answer: Answer, locale: Locale, *, page: int = 0) -> discord.Embed:
    """The reply to a question: page ``page`` of numbered excerpts with linked citations."""
    q = escape(truncate(answer.question.replace("\n", " "), 200))
    if answer.status != "answered" or not answer.excerpts:
        return not_found_embed(answer, locale)
    embed = discord.Embed(title=t(locale, "answer_title", q=q), colour=COLOUR)
    shown = answer.excerpts[page * ANSWER_PAGE : (page + 1) * ANSWER_PAGE]
    if not shown:
        embed.description = t(locale, "no_more")
    blocks = []
    for ex in shown:
        cite = link(ex.title, ex.url, 120)
        date = day(ex.published_at)
        blocks.append(f"**{ex.n}.** {highlighted(ex)}\n— {cite}" + (f"（{date}）" if date else ""))
    if answer.note and page == 0:  # e.g. the date window asked for held no answer
        blocks.insert(0, f"*{escape(truncate(answer.note, 300))}*")
    if blocks:
        embed.description = lines_within(blocks, limits.EMBED_DESCRIPTION, sep="\n\n")
    if answer.related and page == 0:
        value = lines_within(related_lines(answer.related), limits.EMBED_FIELD_VALUE)
        embed.add_field(name=t(locale, "related"), value=value, inline=False)
    embed.set_footer(text=t(locale, "footer_answer", ms=answer.took_ms, page=page + 1))
    return fit(embed)


def not_found_embed(answer: Answer, locale: Locale) -> discord.Embed:
    """The honest "no answer" / "cannot search that" reply, with the closest articles if any."""
    text = answer_message(answer, lang(locale))
    q = escape(truncate(answer.question.replace("\n", " "), 200))
    embed = discord.Embed(
        title=t(locale, "answer_title", q=q) if q else None,
        description=escape(text),
        colour=NOT_FOUND_COLOUR,
    )
    if answer.closest:
        value = lines_within(related_lines(answer.closest), limits.EMBED_FIELD_VALUE)
        embed.add_field(name=t(locale, "closest"), value=value, inline=False)
    if answer.took_ms:
        embed.set_footer(text=f"{answer.took_ms:.0f} ms")
    return fit(embed)


def sources_embed(answer: Answer, locale: Locale, *, page: int = 0) -> discord.Embed:
    """The articles cited on page ``page`` of an answer, one line each, with headings."""
    shown = answer.excerpts[page * ANSWER_PAGE : (page + 1) * ANSWER_PAGE] or answer.excerpts
    lines = []
    for ex in shown:
        heading = f" ・ {escape(truncate(ex.heading, 80))}" if ex.heading else ""
        date = f"（{day(ex.published_at)}）" if ex.published_at else ""
        lines.append(f"**[{ex.n}]** {link(ex.title, ex.url)}{date}{heading}")
    embed = discord.Embed(
        title=t(locale, "sources_title"),
        description=lines_within(lines, limits.EMBED_DESCRIPTION) or t(locale, "no_more"),
        colour=COLOUR,
    )
    return fit(embed)


# --------------------------------------------------------------------------- search and articles


def search_embed(
    query: str, hits: Sequence[Hit], locale: Locale, *, page: int, period_label: str
) -> discord.Embed:
    """Page ``page`` of the articles matching ``query`` (one hit per article, best first)."""
    q = escape(truncate(query.replace("\n", " "), 100))
    pages = max(1, -(-len(hits) // SEARCH_PAGE))
    if not hits:
        return fit(
            discord.Embed(
                description=t(locale, "search_none", q=q, period=period_label),
                colour=NOT_FOUND_COLOUR,
            )
        )
    shown = hits[page * SEARCH_PAGE : (page + 1) * SEARCH_PAGE]
    lines = []
    for i, h in enumerate(shown, start=page * SEARCH_PAGE + 1):
        date = day(h.published_at)
        extra = " ・ ".join(x for x in (date, escape(h.category or "")) if x)
        lines.append(f"**{i}.** {link(h.title, h.url)}" + (f"\n{extra}" if extra else ""))
    embed = discord.Embed(
        title=t(locale, "search_title", q=q),
        description=lines_within(lines, limits.EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    embed.set_footer(
        text=t(
            locale, "search_footer", page=page + 1, pages=pages, n=len(hits), period=period_label
        )
    )
    return fit(embed)


def article_embed(
    article: StoredArticle,
    summary: str,
    related: Sequence[RelatedArticle | ArticleLink],
    locale: Locale,
) -> discord.Embed:
    """One article: its summary (first sentences), 参考資料 and 関連記事."""
    embed = discord.Embed(
        title=escape(truncate(article.title, limits.EMBED_TITLE - 10)),
        url=safe_url(article.url),
        description=escape(truncate(summary, SUMMARY_CHARS)) or t(locale, "summary_empty"),
        colour=COLOUR,
        timestamp=article.published_at,
    )
    if article.references:
        refs = [f"・{escape(truncate(r, 200))}" for r in article.references]
        embed.add_field(
            name=t(locale, "references"),
            value=lines_within(refs, limits.EMBED_FIELD_VALUE),
            inline=False,
        )
    if related:
        embed.add_field(
            name=t(locale, "related"),
            value=lines_within(related_lines(related), limits.EMBED_FIELD_VALUE),
            inline=False,
        )
    footer = " ・ ".join(x for x in (article.category, article.source) if x)
    if footer:
        embed.set_footer(text=footer)
    return fit(embed)


# --------------------------------------------------------------------------- /kiji


def stats_embed(
    stats: dict[str, int | float],
    locale: Locale,
    *,
    guilds: int,
    latency_ms: float | None,
    newest: StoredArticle | None = None,
    helpful: HelpfulRate | None = None,
) -> discord.Embed:
    """:param helpful: the 👍/👎 votes of the last 7 days (a field "helpful" when given)."""
    embed = discord.Embed(title=t(locale, "stats_title"), colour=COLOUR)
    size_mb = float(stats.get("size_bytes", 0)) / 1_000_000
    embed.add_field(name=t(locale, "stats_articles"), value=f"{int(stats.get('articles', 0)):,}")
    embed.add_field(name=t(locale, "stats_passages"), value=f"{int(stats.get('passages', 0)):,}")
    embed.add_field(name=t(locale, "stats_terms"), value=f"{int(stats.get('terms', 0)):,}")
    embed.add_field(name=t(locale, "stats_size"), value=f"{size_mb:.1f} MB")
    embed.add_field(name=t(locale, "stats_guilds"), value=f"{guilds:,}")
    if latency_ms is not None:
        embed.add_field(name=t(locale, "stats_latency"), value=f"{latency_ms:.0f} ms")
    if helpful is not None:
        rate = helpful.rate
        value = (
            t(locale, "stats_helpful_none")
            if rate is None
            else t(locale, "stats_helpful_value", rate=rate, up=helpful.up, down=helpful.down)
        )
        embed.add_field(name=t(locale, "stats_helpful"), value=value)
    if newest is not None:
        date = day(newest.published_at)
        embed.add_field(
            name=t(locale, "stats_latest"),
            value=link(newest.title, newest.url) + (f"（{date}）" if date else ""),
            inline=False,
        )
    return fit(embed)


def help_embed(locale: Locale) -> discord.Embed:
    return fit(
        discord.Embed(
            title=t(locale, "help_title"), description=t(locale, "help_body"), colour=COLOUR
        )
    )


def config_embed(
    *,
    locale: Locale,
    ephemeral: bool,
    moderator_role_id: int | None,
    answer_channels: Iterable[int],
) -> discord.Embed:
    """A guild's settings; roles and channels as mentions (they render, and never ping in embeds)."""
    embed = discord.Embed(title=t(locale, "config_title"), colour=COLOUR)
    embed.add_field(
        name=t(locale, "config_visibility"),
        value=t(locale, "config_ephemeral" if ephemeral else "config_public"),
    )
    embed.add_field(
        name=t(locale, "config_role"),
        value=f"<@&{moderator_role_id}>" if moderator_role_id else t(locale, "config_none"),
    )
    channels = [f"<#{c}>" for c in sorted(answer_channels)]
    embed.add_field(
        name=t(locale, "config_channels"),
        value=lines_within(channels, limits.EMBED_FIELD_VALUE, sep=" ") or t(locale, "config_none"),
        inline=False,
    )
    return fit(embed)


def list_embed(title: str, lines: Sequence[str], locale: Locale, *, empty: str) -> discord.Embed:
    """A titled list of already-escaped lines (feeds, schedules)."""
    embed = discord.Embed(
        title=truncate(title, limits.EMBED_TITLE),
        description=lines_within(lines, limits.EMBED_DESCRIPTION) or empty,
        colour=COLOUR,
    )
    return fit(embed)


def notice_embed(text: str, *, error: bool = False) -> discord.Embed:
    """A one-paragraph message (already escaped where it echoes user text)."""
    colour = NOT_FOUND_COLOUR if error else COLOUR
    return fit(discord.Embed(description=truncate(text, limits.EMBED_DESCRIPTION), colour=colour))
