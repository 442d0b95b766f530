"""Requests for the news of a period (「今週のニュースまとめて」「昨日何があった？」): recognising
them and answering with the period's most important articles, ranked and summarised as the daily
digest ranks and summarises them (:mod:`index.digest.digest`), with where the full digest is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from index.analysis.question_words import FILLERS
from index.analysis.timeexpr import describe_window
from index.analysis.tokenizer import JapaneseTokenizer, Morph
from index.digest.digest import DEFAULT_TZ, build_digest
from index.messages import Lang, t
from index.models import Answer, DateWindow, DigestItem, Excerpt
from index.search.related import RelatedFinder
from index.store.store import IndexStore

_WHAT = frozenset({"何", "なに", "なん"})
SUMMARY_DAYS = 7  # a summary request without a period covers the last week; never more days


# Words of a request for a summary of a period (「今週のニュースまとめて」「昨日何があった？」).
_SUMMARY_ASK = frozenset(
    {"纏める", "まとめる", "まとめ", "纏め", "要約", "ダイジェスト", "振り返る", "振り返り", "総括"}
)
_SUMMARY_TOPIC = frozenset({"ニュース", "出来事", "話題", "記事", "ヘッドライン", "見出し", "動き"})
_SUMMARY_FILLER = frozenset(
    {"何", "なに", "なん", "有る", "ある", "起こる", "起きる", "教える", "知る", "見る", "為る",
     "呉れる", "下さる", "欲しい", "頂戴", "願う", "主", "主要", "最新", "大きな", "大きい", "色々",
     "いろいろ", "ざっくり", "簡単", "一覧", "流れ", "どんな", "どう", "世の中", "世間", "日本",
     "国内", "今日", "全体", "重要", "有り", "的", "主な"}
)  # fmt: skip


def asks_for_summary(morphs: Sequence[Morph], *, has_period: bool) -> bool:
    """Whether a question asks for the news of a period rather than a fact: every content word
    is about summarising (まとめて, ニュース, 何があった) and it says so (a summary word, or
    「何があった」 with a period such as 今週)."""
    content = [
        m.norm
        for m in morphs
        if m.pos[0] in ("名詞", "動詞", "形容詞", "代名詞", "連体詞", "副詞", "形状詞")
        and (m.norm not in FILLERS or m.norm in _SUMMARY_TOPIC)
    ]
    if not content:
        return False
    if any(w not in _SUMMARY_ASK | _SUMMARY_TOPIC | _SUMMARY_FILLER for w in content):
        return False
    words = set(content)
    if words & _SUMMARY_ASK:
        return True
    happened = bool(words & {"有る", "ある", "起こる", "起きる"}) and bool(words & _WHAT)
    return has_period and (happened or bool(words & _SUMMARY_TOPIC))


def period_summary(
    store: IndexStore,
    related: RelatedFinder,
    tokenizer: JapaneseTokenizer,
    question: str,
    window: DateWindow | None,
    now: datetime,
    k: int,
    lang: Lang = "ja",
) -> Answer:
    """「今週のニュースまとめて」: the most important articles of the period, each with its
    lead (the digest's own ranking and summaries, :mod:`index.digest.digest`), and where the full
    daily digest is. The period is named as the question names it (今週), hence Japanese."""
    tz = now.tzinfo if isinstance(now.tzinfo, ZoneInfo) else ZoneInfo(DEFAULT_TZ)
    if window is None or window.since is None:
        window = DateWindow(t(lang, "summary_recent"), now - timedelta(days=SUMMARY_DAYS), now)
    until = min(window.until or now, now)  # nothing is published after now
    first = window.since.astimezone(tz).date() if window.since else now.date()
    last = (until - timedelta(microseconds=1)).astimezone(tz).date()
    days = [last - timedelta(days=i) for i in range((last - first).days + 1)][:SUMMARY_DAYS]
    ranked: list[tuple[int, int, DigestItem]] = []
    for age, day in enumerate(days):  # newest day first
        digest = build_digest(store, day, tz, max_items=k, tokenizer=tokenizer)
        items = [item for section in digest.sections for item in section.items]
        ranked.extend((item.rank, age, item) for item in items)
    ranked.sort(key=lambda r: (r[0], r[1]))
    desc = describe_window(window)
    pointer = t(lang, "summary_pointer")
    if not ranked:
        return Answer(
            question=question,
            status="not_found",
            message=t(lang, "summary_none", desc=desc, pointer=pointer),
            window=window,
        )
    excerpts = tuple(
        Excerpt(
            n=i + 1,
            text=item.summary,
            highlights=(),
            article_id=item.article_id,
            title=item.title,
            url=item.url,
            published_at=item.published_at,
            heading=None,
            score=0.0,
        )
        for i, (_rank, _age, item) in enumerate(ranked[:k])
    )
    return Answer(
        question=question,
        status="answered",
        excerpts=excerpts,
        related=related.related_to([e.article_id for e in excerpts]),
        note=t(lang, "summary_note", desc=desc, pointer=pointer),
        window=window,
    )
