"""An Answer as terminal text (rich) and as a JSON-ready dict; the bot and the README use the dict."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.text import Text

from index.messages import Lang, t
from index.models import Answer, Excerpt, RelatedArticle
from index.sanitize import printable

HIGHLIGHT_STYLE = "bold yellow"


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _related_dict(r: RelatedArticle) -> dict[str, Any]:
    return {
        "article_id": r.article_id,
        "title": r.title,
        "url": r.url,
        "published_at": _iso(r.published_at),
    }


def excerpt_to_dict(e: Excerpt) -> dict[str, Any]:
    return {
        "n": e.n,
        "text": e.text,
        "highlights": [[s, end] for s, end in e.highlights],
        "article_id": e.article_id,
        "title": e.title,
        "url": e.url,
        "published_at": _iso(e.published_at),
        "heading": e.heading,
        "score": round(e.score, 4),
    }


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """The JSON form of ``kiji ask --json`` (keys are stable; "message", "note", "closest" extra)."""
    return {
        "question": answer.question,
        "status": answer.status,
        "message": answer.message,
        "note": answer.note,
        "excerpts": [excerpt_to_dict(e) for e in answer.excerpts],
        "related": [_related_dict(r) for r in answer.related],
        "closest": [_related_dict(r) for r in answer.closest],
        "took_ms": round(answer.took_ms, 2),
    }


def _date(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d") if dt else ""


def highlighted(e: Excerpt, style: str = HIGHLIGHT_STYLE) -> Text:
    """The excerpt text with its matched terms styled, control characters escaped
    (:func:`~index.sanitize.printable`: text stored by an older kiji may still hold them)."""
    text = Text()
    at = 0
    for s, end in sorted(e.highlights):
        if s < at:
            continue
        text.append(printable(e.text[at:s]))
        text.append(printable(e.text[s:end]), style=style)
        at = end
    text.append(printable(e.text[at:]))
    return text


def citation_line(e: Excerpt) -> str:
    """title・date・heading・URL, skipping the parts an article does not have."""
    parts = [e.title, _date(e.published_at), e.heading or "", e.url]
    return printable("・".join(p for p in parts if p))


def _article_line(r: RelatedArticle) -> Text:
    line = Text("・")
    line.append(printable(r.title))
    extra = [p for p in (_date(r.published_at), r.url) if p]
    if extra:
        line.append(printable(f"（{'・'.join(extra)}）"), style="dim")
    return line


def answer_message(answer: Answer, lang: Lang) -> str:
    """Why there is no answer, in ``lang``: the core's message (``Answerer.ask`` writes it, a
    question that could not be searched included, in the language it is given)."""
    return answer.message or t(lang, "answer_not_found")


def render_answer(answer: Answer, console: Console, lang: Lang = "ja") -> None:
    """Print ``answer`` for a terminal: numbered excerpts, citations, related articles, timing."""
    out = console.print
    if answer.status == "invalid":
        out(Text(answer_message(answer, lang), style="yellow"), soft_wrap=True)
        return
    if answer.note:
        out(Text(answer.note, style="italic cyan"), soft_wrap=True)
    if answer.status == "not_found":
        out(Text(answer_message(answer, lang), style="yellow"), soft_wrap=True)
        for r in answer.closest:
            out(_article_line(r), soft_wrap=True)
    for e in answer.excerpts:
        line = Text(f"[{e.n}] ", style="bold")
        line.append_text(highlighted(e))
        out(line, soft_wrap=True)
        out(Text(f"    {citation_line(e)}", style="dim"), soft_wrap=True)
    if answer.related:
        out(Text(t(lang, "related"), style="bold"), soft_wrap=True)
        for r in answer.related:
            out(_article_line(r), soft_wrap=True)
    out(Text(f"{answer.took_ms:.1f} ms", style="dim"), soft_wrap=True)
