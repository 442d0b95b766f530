"""Date windows read from questions, against a fixed clock (Friday 20 November 2026, 12:00 JST)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from index.analysis.timeexpr import describe_window, find_time
from index.models import DateWindow

JST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=JST)


def d(y: int, m: int, day: int) -> datetime:
    return datetime(y, m, day, tzinfo=JST)


# (question, since, until, mode, expression removed from the searched text)
GOLDEN = [
    ("今日の株価は？", d(2026, 11, 20), d(2026, 11, 22), "restrict", True),
    # A season of a year: its three months; the expression only names the window.
    ("2010年の夏ごろの記事で見合いの話", d(2010, 6, 1), d(2010, 9, 1), "restrict", True),
    ("2012年春の新製品", d(2012, 3, 1), d(2012, 6, 1), "restrict", True),
    ("2011年の冬に", d(2011, 12, 1), d(2012, 3, 1), "restrict", True),
    ("本日の発表", d(2026, 11, 20), d(2026, 11, 22), "restrict", True),
    ("昨日の地震は？", d(2026, 11, 19), d(2026, 11, 21), "restrict", True),
    ("一昨日の会見", d(2026, 11, 18), d(2026, 11, 20), "restrict", True),
    ("今週の決定", d(2026, 11, 16), d(2026, 11, 23), "restrict", True),
    ("先週何があった？", d(2026, 11, 9), d(2026, 11, 16), "restrict", True),
    ("今月の物価", d(2026, 11, 1), d(2026, 12, 1), "restrict", True),
    ("先月の雇用統計", d(2026, 10, 1), d(2026, 11, 1), "restrict", True),
    ("今年の利上げ", d(2026, 1, 1), d(2027, 1, 1), "restrict", True),
    ("去年の台風", d(2025, 1, 1), d(2026, 1, 1), "restrict", True),
    ("3日前の発表", d(2026, 11, 17), d(2026, 11, 19), "restrict", True),
    ("三日前の発表", d(2026, 11, 17), d(2026, 11, 19), "restrict", True),
    ("2週間前の選挙", d(2026, 11, 2), d(2026, 11, 9), "restrict", True),
    ("ここ3日間の話題", d(2026, 11, 18), d(2026, 11, 21), "restrict", True),
    ("1月の貿易統計", d(2026, 1, 1), d(2026, 2, 1), "restrict", False),
    ("12月の日銀短観", d(2025, 12, 1), d(2026, 1, 1), "restrict", False),  # not in the future
    ("11月14日に上陸した台風", d(2026, 11, 14), d(2026, 11, 16), "restrict", False),
    ("11月14日の記事", d(2026, 11, 14), d(2026, 11, 16), "restrict", True),
    ("１１月１４日の発表", d(2026, 11, 14), d(2026, 11, 16), "restrict", False),
    ("2025年の物価上昇率", d(2025, 1, 1), d(2026, 1, 1), "restrict", False),
    ("2025年3月の株価", d(2025, 3, 1), d(2025, 4, 1), "restrict", False),
    ("2025年度の予算", d(2025, 4, 1), d(2026, 4, 1), "restrict", False),
    ("最近の円安", d(2026, 10, 21), d(2026, 11, 21), "boost", True),
]


@pytest.mark.parametrize(("question", "since", "until", "mode", "removed"), GOLDEN)
def test_windows(question: str, since: datetime, until: datetime, mode: str, removed: bool) -> None:
    match = find_time(question, NOW)
    assert match is not None
    assert (match.window.since, match.window.until, match.window.mode) == (since, until, mode)
    assert match.removed is removed
    if removed:
        assert match.window.label not in match.remaining
    else:
        assert match.remaining == question


@pytest.mark.parametrize(
    "question", ["金利は？", "13月の予定", "2月30日の発表", "3日間の日程", "年金の改正"]
)
def test_no_window(question: str) -> None:
    assert find_time(question, NOW) is None


def test_remaining_text_keeps_the_rest_of_the_question() -> None:
    match = find_time("先週の日銀の発表は？", NOW)
    assert match is not None
    assert match.window.label == "先週"
    assert match.remaining == "の日銀の発表は？"


def test_windows_follow_the_clock_across_a_year() -> None:
    new_year = datetime(2027, 1, 3, 9, 0, tzinfo=JST)
    match = find_time("先月の物価", new_year)
    assert match is not None
    assert (match.window.since, match.window.until) == (d(2026, 12, 1), d(2027, 1, 1))
    match = find_time("12月30日の株価", new_year)
    assert match is not None
    assert match.window.since == d(2026, 12, 30)


def test_windows_use_the_timezone_of_now() -> None:
    utc_now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC_)
    match = find_time("今日", utc_now)
    assert match is not None
    assert match.window.since == datetime(2026, 11, 20, tzinfo=UTC_)


UTC_ = timezone.utc  # noqa: UP017 - spelled out for readers of this test


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        find_time("今日", datetime(2026, 11, 20))  # noqa: DTZ001


def test_describe_window() -> None:
    w = find_time("先週", NOW)
    assert w is not None
    assert describe_window(w.window) == "先週（11月9日〜11月15日）"
    y = find_time("昨日", NOW)
    assert y is not None
    assert describe_window(y.window) == "昨日（11月19日）"
    assert describe_window(DateWindow("昔", None, None)) == "昔"
