"""build_digest on a small hand-written corpus spanning several days, and on data/articles."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from index.analysis.sentences import split_sentences
from index.digest.digest import (
    OTHER_CATEGORY,
    DigestBuilder,
    build_digest,
    day_bounds,
    lead_summary,
)
from index.models import Article, ArticleLink, Section
from index.store.store import IndexStore

JST = timezone(timedelta(hours=9))
TOKYO = ZoneInfo("Asia/Tokyo")
D = date(2026, 11, 13)
ARTICLES_DIR = Path(__file__).resolve().parents[2] / "data" / "articles"

FILLER = (
    "市場関係者は今後の動向を注視しています。",
    "専門家は影響が長期化する可能性を指摘しました。",
    "政府は来月にも追加の対策をまとめる方針です。",
    "地方の中小企業からは支援の拡充を求める声が上がっています。",
)


def body_of(lead: str, chars: int) -> tuple[str, ...]:
    """A lead paragraph followed by filler paragraphs until the body has about ``chars`` chars."""
    paragraphs = [lead]
    i = 0
    while sum(len(p) for p in paragraphs) < chars:
        paragraphs.append(FILLER[i % len(FILLER)] + FILLER[(i + 1) % len(FILLER)])
        i += 1
    return tuple(paragraphs)


def art(
    id: str,
    title: str,
    when: datetime,
    lead: str,
    *,
    chars: int = 300,
    category: str | None = "経済",
    related: tuple[str, ...] = (),
    latest: tuple[str, ...] = (),
    is_stub: bool = False,
    url: str | None = None,
) -> Article:
    return Article(
        id=id,
        title=title,
        sections=(Section("はじめに", body_of(lead, chars)),),
        url=url if url is not None else f"https://kiji.example/a/{id}",
        published_at=when,
        category=category,
        related=tuple(ArticleLink(t, "関連する記事の要約です。") for t in related),
        latest=tuple(ArticleLink(t) for t in latest),
        is_stub=is_stub,
    )


def jst(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST)


RATE = "日銀が追加利上げを決定、政策金利は0.75%に"
CHIP = "北辰半導体が酒田市に新工場、1.5兆円投資"
LONG_LEAD = (
    "総務省は十三日、全国の自治体が運用する防災情報システムについて、二〇二七年度末までに"
    "共通基盤へ移行するよう求める新たな指針を公表し、移行にかかる費用の三分の二を国が負担する"
    "方針を示したうえで、小規模な自治体には専門人材の派遣も行うと説明しました。"
)


def corpus() -> list[Article]:
    prev, nxt = D - timedelta(days=1), D + timedelta(days=1)
    return [
        # Day D (Asia/Tokyo).
        art(
            "rate",
            RATE,
            jst(D, 10),
            "日本銀行は13日の金融政策決定会合で追加利上げを決めました。"
            "政策金利は0.75%程度になります。住宅ローンへの影響が注目されます。",
            chars=500,
        ),
        art(
            "budget",
            "補正予算案が閣議決定、総額13兆円規模",
            jst(D, 9),
            "政府は13日、総額13兆円規模の補正予算案を閣議決定しました。物価高対策が柱です。",
            chars=2500,
        ),
        art(
            "yen",
            "円相場が一時1ドル150円台に",
            jst(D, 11),
            "13日の東京外国為替市場で円相場が一時1ドル150円台まで上昇しました。",
            chars=700,
        ),
        art(
            "chip",
            CHIP,
            jst(D, 8, 30),  # 23:30 UTC on D − 1
            "北辰半導体は13日、山形県酒田市にパワー半導体の新工場を建設すると発表しました。",
            category="テクノロジー",
        ),
        art(
            "late",
            "深夜の通信障害、首都圏で一時つながりにくく",
            jst(D, 23, 30),  # 14:30 UTC on D: D in both zones
            "13日午後11時ごろ、首都圏で携帯電話がつながりにくくなる障害が起きました。",
            category="テクノロジー",
        ),
        art("local", "商店街で秋祭り、三年ぶりに山車が巡行", jst(D, 14), LONG_LEAD, category=None),
        # Same normalised title as "budget" (full-width spaces and digits): a duplicate.
        art(
            "budget-copy",
            "補正予算案が閣議決定、総額１３兆円　規模",
            jst(D, 12),
            "政府は補正予算案を閣議決定しました。",
            chars=200,
        ),
        # A stub with a publication date on D: never in a digest.
        art("stub-d", "速報：株価が反発", jst(D, 15), "株価が反発しました。", is_stub=True),
        # Day D − 1 and D + 1; the later ones link to RATE (inbound links) and to unknown titles
        # (which become stubs without a date).
        art(
            "prev", "前日の記事、物価見通しを上方修正", jst(prev, 18), "物価見通しを修正しました。"
        ),
        art(
            "next1",
            "利上げ受け銀行が預金金利を引き上げ",
            jst(nxt, 0, 30),  # 15:30 UTC on D: D in UTC, D + 1 in Tokyo
            "大手銀行は14日、普通預金の金利を引き上げると発表しました。",
            related=(RATE, "存在しない記事のタイトル"),
        ),
        art(
            "next2",
            "住宅ローン金利、来月から上昇へ",
            jst(nxt, 9),
            "大手銀行が住宅ローンの変動金利を引き上げます。",
            latest=(RATE, CHIP),
            related=(RATE,),
        ),
    ]


@pytest.fixture
def news(store: IndexStore, tokenizer) -> IndexStore:
    report = store.add_articles(corpus(), tokenizer)
    assert report.ok
    return store


def ids(digest) -> dict[str, list[str]]:
    return {s.name: [i.article_id for i in s.items] for s in digest.sections}


def test_day_groups_orders_and_drops_stubs_and_duplicates(news, tokenizer):
    digest = build_digest(news, D, TOKYO, tokenizer=tokenizer)
    assert (digest.date, digest.tz) == ("2026-11-13", "Asia/Tokyo")
    # Sections by size, then name; items by inbound links, length tier, recency, id.
    # rate: 2 inbound links (next1, next2); chip: 1 (next2); budget: long; yen: medium.
    assert ids(digest) == {
        "経済": ["rate", "budget", "yen"],
        "テクノロジー": ["chip", "late"],
        OTHER_CATEGORY: ["local"],
    }
    assert [s.name for s in digest.sections] == ["経済", "テクノロジー", OTHER_CATEGORY]
    item = digest.sections[0].items[0]
    assert item.title == RATE
    assert item.url == "https://kiji.example/a/rate"
    assert item.published_at == jst(D, 10)
    assert item.category == "経済"
    assert not digest.is_empty


def test_recency_then_id_break_ties(store: IndexStore, tokenizer):
    day = date(2026, 12, 1)
    lead = "本日の動きをまとめました。"
    store.add_articles(
        [
            art("b-early", "朝の記事", jst(day, 7), lead, category="スポーツ"),
            art("c-noon", "昼の記事", jst(day, 12), lead, category="スポーツ"),
            art("a-noon", "正午の記事", jst(day, 12), lead, category="スポーツ"),
            art("z-long", "長い特集記事", jst(day, 6), lead, chars=2100, category="スポーツ"),
        ],
        tokenizer,
    )
    digest = build_digest(store, day, TOKYO, tokenizer=tokenizer)
    # Longer tier first; then later first; equal times by id.
    assert ids(digest) == {"スポーツ": ["z-long", "a-noon", "c-noon", "b-early"]}


def test_summaries_are_leads_cut_at_sentences(news, tokenizer):
    digest = build_digest(news, D, TOKYO, tokenizer=tokenizer)
    summaries = {i.article_id: i.summary for s in digest.sections for i in s.items}
    assert summaries["rate"] == (
        "日本銀行は13日の金融政策決定会合で追加利上げを決めました。政策金利は0.75%程度になります。"
    )
    for article_id, summary in summaries.items():
        assert 0 < len(summary) <= 120, article_id
        assert summary.endswith(("。", "」", "…")), article_id
    # The local article's lead sentence is longer than 120 characters: the most central
    # sentence that fits is used instead, and it is a whole sentence.
    assert len(LONG_LEAD) > 120
    assert summaries["local"] in FILLER


def test_lead_summary_rules(tokenizer):
    assert lead_summary("") == ""
    two = "一文目です。二文目です。三文目です。"
    assert lead_summary(two, tokenizer=tokenizer) == "一文目です。二文目です。"
    assert lead_summary("短い文です。" + "長" * 200 + "。") == "短い文です。"
    # No sentence fits: the first one is cut at its last 、 and marked with an ellipsis.
    cut = lead_summary("あ" * 70 + "、" + "い" * 70 + "。", tokenizer=tokenizer)
    assert cut == "あ" * 70 + "…"
    for sentence in split_sentences(
        lead_summary(LONG_LEAD + "\n" + "\n".join(FILLER), tokenizer=tokenizer)
    ):
        assert sentence in FILLER


def test_empty_day_is_an_honest_empty_digest(news, tokenizer):
    digest = build_digest(news, date(2026, 12, 25), TOKYO, tokenizer=tokenizer)
    assert digest.is_empty
    assert digest.sections == ()
    assert digest.date == "2026-12-25"


def test_time_zone_boundaries(news, tokenizer):
    tokyo = {i.article_id for s in build_digest(news, D, TOKYO).sections for i in s.items}
    utc = {i.article_id for s in build_digest(news, D, ZoneInfo("UTC")).sections for i in s.items}
    # 23:30 JST on D is 14:30 UTC on D: day D in both zones.
    assert "late" in tokyo and "late" in utc
    # 08:30 JST on D is 23:30 UTC on D − 1.
    assert "chip" in tokyo and "chip" not in utc
    prev_utc = build_digest(news, D - timedelta(days=1), ZoneInfo("UTC"))
    assert "chip" in {i.article_id for s in prev_utc.sections for i in s.items}
    # 00:30 JST on D + 1 is 15:30 UTC on D.
    assert "next1" not in tokyo and "next1" in utc
    start, end = day_bounds(D, TOKYO)
    assert start.astimezone(UTC) == datetime(2026, 11, 12, 15, tzinfo=UTC)
    assert end - start == timedelta(hours=24)


def test_day_bounds_across_dst():
    ny = ZoneInfo("America/New_York")
    start, end = day_bounds(date(2026, 3, 8), ny)  # spring forward: a 23-hour day
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)
    start, end = day_bounds(date(2026, 11, 1), ny)  # fall back: a 25-hour day
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)


def test_categories_filter(news, tokenizer):
    digest = build_digest(news, D, TOKYO, categories=["テクノロジー"], tokenizer=tokenizer)
    assert ids(digest) == {"テクノロジー": ["chip", "late"]}
    other = build_digest(news, D, TOKYO, categories=["その他", "経済"], tokenizer=tokenizer)
    assert ids(other) == {"経済": ["rate", "budget", "yen"], OTHER_CATEGORY: ["local"]}
    assert build_digest(news, D, TOKYO, categories=["スポーツ"]).is_empty


def test_max_items_keeps_the_most_important(news, tokenizer):
    digest = build_digest(news, D, TOKYO, max_items=3, tokenizer=tokenizer)
    # Global importance: rate (2 links), chip (1 link), then budget (long body).
    assert ids(digest) == {"経済": ["rate", "budget"], "テクノロジー": ["chip"]}
    with pytest.raises(ValueError):
        build_digest(news, D, TOKYO, max_items=0)


def test_read_only(news, tokenizer):
    before = news.stats()
    build_digest(news, D, TOKYO, tokenizer=tokenizer)
    assert news.stats() == before


def test_builder_works_from_several_threads(news, tokenizer):
    from concurrent.futures import ThreadPoolExecutor

    assert news.path is not None
    builder = DigestBuilder(news.path, tokenizer=tokenizer)
    expected = build_digest(news, D, TOKYO, tokenizer=tokenizer)
    with ThreadPoolExecutor(3) as pool:
        digests = list(pool.map(lambda _: builder(D, TOKYO, None), range(6)))
    assert all(d == expected for d in digests)
    builder.close()
    builder.close()
    assert builder(D, TOKYO, ("テクノロジー",)) == build_digest(
        news, D, TOKYO, categories=["テクノロジー"], tokenizer=tokenizer
    )
    builder.close()


# ---------------------------------------------------------------------------------- data/articles
def _sample_files() -> list[Path]:
    if not ARTICLES_DIR.is_dir():
        return []
    return sorted(p for p in ARTICLES_DIR.iterdir() if p.is_file() and not p.name.startswith("."))


@pytest.mark.skipif(len(_sample_files()) < 24, reason="data/articles is not complete yet")
def test_bundled_articles(store: IndexStore, tokenizer):
    from index.ingest.parsers import parse_path
    from index.models import Article as ArticleType

    articles = [a for p in _sample_files() for a in parse_path(p) if isinstance(a, ArticleType)]
    store.add_articles(articles, tokenizer)
    days = sorted({a.published_at.astimezone(TOKYO).date() for a in articles if a.published_at})
    assert days
    total = 0
    for day in days:
        digest = build_digest(store, day, TOKYO, tokenizer=tokenizer)
        assert not digest.is_empty
        sizes = [len(s.items) for s in digest.sections]
        assert sizes == sorted(sizes, reverse=True)
        for section in digest.sections:
            for item in section.items:
                assert 0 < len(item.summary) <= 120
                assert item.summary.endswith(("。", "」", "！", "？", "…"))
                assert item.published_at is not None
                assert item.published_at.astimezone(TOKYO).date() == day
                total += 1
    titles = {a.title for a in articles if not a.is_stub}
    assert total <= len(titles)
    assert build_digest(store, days[0] - timedelta(days=30), TOKYO).is_empty
