"""Benchmark build_digest: one day with 100 articles in a large index (target p50 ≤ 100 ms).

    python bench/bench_digest.py --db big.db      # copies big.db, adds 100 articles on a free day
    python bench/bench_digest.py                  # a fresh temporary database (small: says so)

The given database is never written: it is copied with SQLite's backup API first.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.analysis.tokenizer import JapaneseTokenizer
from index.digest.digest import build_digest, day_bounds
from index.models import Article, ArticleLink, Section
from index.store.store import IndexStore

TZ = ZoneInfo("Asia/Tokyo")
CATEGORIES = ("経済", "政治", "社会", "国際", "テクノロジー", "スポーツ", "文化", None)
SUBJECTS = (
    "政府",
    "日本銀行",
    "東京都",
    "大手銀行",
    "電機メーカー",
    "自動車各社",
    "研究チーム",
    "県警",
)
ACTIONS = (
    "新たな方針を発表しました",
    "調査結果をまとめました",
    "来年度から制度を見直すと明らかにしました",
    "記者会見で今後の見通しを説明しました",
    "対策を強化する考えを示しました",
)
DETAILS = (
    "関係者によると、影響は全国に広がる可能性があります。",
    "専門家は、長期的な視点での対応が必要だと指摘しています。",
    "利用者からは、手続きが分かりにくいという声も上がっています。",
    "同様の取り組みは、すでに一部の自治体で始まっています。",
    "市場では、今後の金利の動向に関心が集まっています。",
    "担当者は、年内にも具体的な計画をまとめたいとしています。",
    "過去の事例と比べると、規模は約二倍に当たります。",
    "海外でも同じような動きが相次いでいます。",
)


def synthetic_articles(day: date, n: int = 100, seed: int = 6) -> list[Article]:
    """``n`` articles spread over ``day`` (JST), ~2,000 characters each, some linking others."""
    rnd = random.Random(seed)
    titles = [f"{rnd.choice(SUBJECTS)}が{rnd.choice(ACTIONS)[:8]}、第{i}報" for i in range(n)]
    out = []
    for i in range(n):
        subject = rnd.choice(SUBJECTS)
        if i % 10 == 0:  # a lead sentence too long for a summary: the centrality fallback runs
            lead = (
                f"{subject}は{day.month}月{day.day}日、"
                f"{'、'.join(d.rstrip('。') for d in rnd.sample(DETAILS, 5))}"
                f"などとして、{rnd.choice(ACTIONS)}。"
            )
        else:
            lead = (
                f"{subject}は{day.month}月{day.day}日、{rnd.choice(ACTIONS)}。{rnd.choice(DETAILS)}"
            )
        paragraphs = [lead] + ["".join(rnd.sample(DETAILS, 4)) for _ in range(16)]
        when = datetime.combine(day, datetime.min.time(), tzinfo=TZ) + timedelta(
            minutes=rnd.randrange(24 * 60)
        )
        links = tuple(ArticleLink(t, "関連する記事です。") for t in rnd.sample(titles, 3))
        out.append(
            Article(
                id=f"bench-digest-{day.isoformat()}-{i:03d}",
                title=titles[i],
                sections=(Section(None, tuple(paragraphs)),),
                url=f"https://kiji.example/bench/{day.isoformat()}/{i}",
                published_at=when,
                category=CATEGORIES[i % len(CATEGORIES)],
                related=links,
            )
        )
    return out


def free_day(store: IndexStore) -> date:
    """A day with no articles within a week either side (so the link window is ours alone)."""
    day = date(2031, 1, 6)
    for _ in range(520):
        start, end = day_bounds(day, TZ)
        if not store.articles_published_between(start - timedelta(days=7), end + timedelta(days=7)):
            return day
        day += timedelta(days=21)
    raise SystemExit("no free day found between 2031 and 2060")


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def copy_db(src: Path, dst: Path) -> None:
    with (
        sqlite3.connect(f"file:{src}?mode=ro", uri=True) as s,
        sqlite3.connect(dst) as d,
    ):
        s.backup(d)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark build_digest on a large index.")
    ap.add_argument("--db", type=Path, help="a large prebuilt kiji database (copied, not changed)")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--articles", type=int, default=100)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="kiji-bench-digest-") as tmp:
        path = Path(tmp) / "digest.db"
        if args.db:
            t0 = time.perf_counter()
            copy_db(args.db, path)
            print(f"copied {args.db} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        tokenizer = JapaneseTokenizer()
        with IndexStore.open(path) as store:
            day = free_day(store)
            store.add_articles(synthetic_articles(day, args.articles), tokenizer)
            passages = store.stats()["passages"]
            rows = []
            for max_items in (30, args.articles):
                # warm-up: page cache, Sudachi
                digest = build_digest(store, day, TZ, max_items=max_items, tokenizer=tokenizer)
                times = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    digest = build_digest(store, day, TZ, max_items=max_items, tokenizer=tokenizer)
                    times.append((time.perf_counter() - t0) * 1000)
                items = sum(len(s.items) for s in digest.sections)
                rows.append((max_items, items, pct(times, 50), pct(times, 95)))
    source = str(args.db) if args.db else "fresh temporary DB (SMALL: pass --db for a real figure)"
    print(f"\n### build_digest, {args.articles} articles on {day} (Asia/Tokyo)\n")
    print(
        "| database | passages in DB | max_items | items | runs | p50 ms | p95 ms | p50 ≤ 100 ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for max_items, items, p50, p95 in rows:
        verdict = "ok" if p50 <= 100 else "MISSED"
        print(
            f"| {source} | {passages:,} | {max_items} | {items} | {args.runs} | {p50:.1f} "
            f"| {p95:.1f} | {verdict} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
