"""Reading a publication-date window from a Japanese question (「昨日」「先週」「11月14日」「最近」).

A careful regex parser rather than ``ja-timex`` (not installed here, and a regex pass costs a few
microseconds). The clock is always passed in (``now``, timezone-aware); windows are computed in
``now``'s timezone as half-open intervals ``since <= published_at < until``.

Rules (documented for users in the answer's note):

- Calendar expressions name their whole period: 今日/昨日/一昨日, 今週/先週 (weeks start on Monday),
  今月/先月, 今年/去年, ``N月`` (the latest such month not in the future), ``N月M日``, ``YYYY年``,
  ``YYYY年N月``, ``YYYY年N月M日``, ``YYYY年度`` (April to March), ``YYYY年(の)夏(ごろ)`` (the
  season's three months, 冬 from December).
- Relative ones count back from today: ``N日前`` (that day), ``N週間前`` (that week), ``Nか月前``,
  ``N年前``; ``ここN日``/``過去N日間``/``この1週間``/``ここ数日`` (the last N days up to now).
- A window of a single day keeps one more day (``DAY_SLACK``): news of a day's events is often
  published the next morning.
- 最近/最新/近頃/このところ give a "boost" window (the last ``RECENT_DAYS`` days): nothing is
  excluded, recent articles are preferred.
- Relative expressions only express the window, so they are removed from the text whose terms are
  searched. Absolute dates (11月14日, 2025年) are kept: articles write them in their text
  (「11月14日に上陸」), unless followed by の記事/のニュース/に公開… which only name the window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from index.models import DateWindow

DAY_SLACK = timedelta(days=1)
RECENT_DAYS = 30

_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                 "八": 8, "九": 9}  # fmt: skip
_NUM = r"[0-9０-９〇零一二三四五六七八九十]{1,4}"
_MONTHS = r"(?:か|ヶ|ケ|カ|ヵ|箇|個)月"

# Alternatives are tried at each position in order, longest forms first.
_PATTERN = re.compile(
    "|".join(
        [
            rf"(?P<ymd>(?P<ymd_y>{_NUM})年(?P<ymd_m>{_NUM})月(?P<ymd_d>{_NUM})日)",
            rf"(?P<ym>(?P<ym_y>{_NUM})年(?P<ym_m>{_NUM})月)",
            rf"(?P<fy>(?P<fy_y>{_NUM})年度)",
            r"(?P<season>(?<![0-9０-９])(?P<season_y>[0-9０-９]{4})年の?(?P<season_s>春|夏|秋|冬)"
            r"(?:頃|ごろ|ころ)?)",
            rf"(?P<md>(?<![0-9０-９年])(?P<md_m>{_NUM})月(?P<md_d>{_NUM})日)",
            rf"(?P<ago>(?P<ago_n>{_NUM}|数)(?P<ago_u>日|週間|{_MONTHS}|年)前)",
            rf"(?P<last>(?:ここ|過去|この|直近|最近)(?P<last_n>{_NUM}|数)(?P<last_u>日|週間|週|{_MONTHS}|年)(?:間)?)",
            r"(?P<y>(?<![0-9０-９])(?P<y_y>[0-9０-９]{4})年(?![0-9０-９一二三四五六七八九十]))",
            rf"(?P<m>(?<![0-9０-９年])(?P<m_m>{_NUM})月(?!{_NUM}日|曜))",
            r"(?P<word>一昨日|おととい|おとつい|昨日|きのう|昨夜|昨晩|今日|本日|きょう|今朝|今夜|今晩"
            r"|先々週|先週|前週|今週|本週|この一週間|先々月|先月|前月|今月|本月|一昨年|おととし"
            r"|去年|昨年|前年|今年|本年|ことし)",
            r"(?P<recent>最近|最新|近頃|このところ|この頃|このごろ)",
        ]
    )
)

_SEASON_START = {"春": 3, "夏": 6, "秋": 9, "冬": 12}

# After an absolute date, these only name the window (「11月14日の記事」「2025年に公開」).
_WINDOW_ONLY_AFTER = re.compile(
    r"(?:の|に)(?:記事|ニュース|報道|話題|出来事)|に(?:公開|配信|掲載|報じ|出た)"
)


@dataclass(frozen=True)
class TimeMatch:
    """A time expression found in a question, its window, and the question without it."""

    window: DateWindow
    start: int
    end: int
    remaining: str  # the question with the expression removed when it only expresses the window
    removed: bool


def _to_int(raw: str) -> int:
    raw = raw.translate(_DIGITS)
    if raw.isdigit():
        return int(raw)
    # Kanji numerals up to 99 (十一, 二十, 三十一) and digit-by-digit (二〇二五).
    if "十" in raw:
        tens, _, ones = raw.partition("十")
        return (_KANJI_DIGITS[tens] if tens else 1) * 10 + (_KANJI_DIGITS[ones] if ones else 0)
    value = 0
    for ch in raw:
        value = value * 10 + _KANJI_DIGITS[ch]
    return value


def _day_start(now: datetime, d) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=now.tzinfo)


def _month_start(now: datetime, year: int, month: int) -> datetime:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=now.tzinfo)


def _day_window(now: datetime, year: int, month: int, day: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, day, tzinfo=now.tzinfo)
    return start, start + timedelta(days=1) + DAY_SLACK


def _week_window(now: datetime, weeks_back: int) -> tuple[datetime, datetime]:
    today = now.date()
    monday = today - timedelta(days=today.weekday() + 7 * weeks_back)
    start = _day_start(now, monday)
    return start, start + timedelta(days=7)


def _month_window(now: datetime, months_back: int) -> tuple[datetime, datetime]:
    start = _month_start(now, now.year, now.month - months_back)
    return start, _month_start(now, start.year, start.month + 1)


def _year_window(now: datetime, year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=now.tzinfo), datetime(year + 1, 1, 1, tzinfo=now.tzinfo)


_WORD_DAYS = {"一昨日": 2, "おととい": 2, "おとつい": 2, "昨日": 1, "きのう": 1, "昨夜": 1, "昨晩": 1,
              "今日": 0, "本日": 0, "きょう": 0, "今朝": 0, "今夜": 0, "今晩": 0}  # fmt: skip
_WORD_WEEKS = {"先々週": 2, "先週": 1, "前週": 1, "今週": 0, "本週": 0}
_WORD_MONTHS = {"先々月": 2, "先月": 1, "前月": 1, "今月": 0, "本月": 0}
_WORD_YEARS = {"一昨年": 2, "おととし": 2, "去年": 1, "昨年": 1, "前年": 1, "今年": 0, "本年": 0,
               "ことし": 0}  # fmt: skip


def _window(m: re.Match[str], now: datetime) -> tuple[datetime, datetime, str, bool] | None:
    """(since, until, mode, absolute) of a match, or None when it is not a valid date."""
    g = m.groupdict()
    today = now.date()
    try:
        if g["ymd"]:
            y, mo, d = _to_int(g["ymd_y"]), _to_int(g["ymd_m"]), _to_int(g["ymd_d"])
            return (*_day_window(now, y, mo, d), "restrict", True)
        if g["ym"]:
            y, mo = _to_int(g["ym_y"]), _to_int(g["ym_m"])
            if not 1 <= mo <= 12:
                return None
            start = _month_start(now, y, mo)
            return start, _month_start(now, y, mo + 1), "restrict", True
        if g["season"]:
            # 春 March–May, 夏 June–August, 秋 September–November, 冬 December–February. Articles
            # rarely write 「2010年の夏ごろ」: it only names the window.
            y, first = _to_int(g["season_y"]), _SEASON_START[g["season_s"]]
            return _month_start(now, y, first), _month_start(now, y, first + 3), "restrict", False
        if g["fy"]:
            y = _to_int(g["fy_y"])
            if y < 1900:
                return None
            return _month_start(now, y, 4), _month_start(now, y + 1, 4), "restrict", True
        if g["md"]:
            mo, d = _to_int(g["md_m"]), _to_int(g["md_d"])
            y = now.year
            if datetime(y, mo, d, tzinfo=now.tzinfo) > now:  # 12月30日 asked in January
                y -= 1
            return (*_day_window(now, y, mo, d), "restrict", True)
        if g["ago"]:
            n = 3 if g["ago_n"] == "数" else _to_int(g["ago_n"])
            unit = g["ago_u"]
            if unit == "日":
                day = today - timedelta(days=n)
                return (*_day_window(now, day.year, day.month, day.day), "restrict", False)
            if unit == "週間":
                return (*_week_window(now, n), "restrict", False)
            if unit == "年":
                return (*_year_window(now, now.year - n), "restrict", False)
            return (*_month_window(now, n), "restrict", False)
        if g["last"]:
            n = 3 if g["last_n"] == "数" else _to_int(g["last_n"])
            unit = g["last_u"]
            if unit == "日":
                first = today - timedelta(days=max(n - 1, 0))
                start = _day_start(now, first)
            elif unit in ("週間", "週"):
                start = _day_start(now, today - timedelta(days=7 * n - 1))
            elif unit == "年":
                start = _day_start(now, today.replace(year=today.year - n)) + timedelta(days=1)
            else:
                start = _month_start(now, now.year, now.month - n)
                start = start.replace(day=min(today.day, 28)) + timedelta(days=1)
            return start, _day_start(now, today) + timedelta(days=1), "restrict", False
        if g["y"]:
            return (*_year_window(now, _to_int(g["y_y"])), "restrict", True)
        if g["m"]:
            mo = _to_int(g["m_m"])
            if not 1 <= mo <= 12:
                return None
            y = now.year if mo <= now.month else now.year - 1
            start = _month_start(now, y, mo)
            return start, _month_start(now, y, mo + 1), "restrict", True
        if g["word"]:
            w = g["word"]
            if w in _WORD_DAYS:
                day = today - timedelta(days=_WORD_DAYS[w])
                return (*_day_window(now, day.year, day.month, day.day), "restrict", False)
            if w in _WORD_WEEKS:
                return (*_week_window(now, _WORD_WEEKS[w]), "restrict", False)
            if w == "この一週間":
                start = _day_start(now, today - timedelta(days=6))
                return start, _day_start(now, today) + timedelta(days=1), "restrict", False
            if w in _WORD_MONTHS:
                return (*_month_window(now, _WORD_MONTHS[w]), "restrict", False)
            return (*_year_window(now, now.year - _WORD_YEARS[w]), "restrict", False)
        if g["recent"]:
            start = _day_start(now, today - timedelta(days=RECENT_DAYS))
            return start, _day_start(now, today) + timedelta(days=1), "boost", False
    except (ValueError, OverflowError, KeyError):  # 2月30日, 13月, a numeral we cannot read
        return None
    return None


def find_time(text: str, now: datetime) -> TimeMatch | None:
    """The first time expression of ``text`` with its window, or None.

    :param now: the current time, timezone-aware; windows are in its timezone.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    for m in _PATTERN.finditer(text):
        found = _window(m, now)
        if found is None:
            continue
        since, until, mode, absolute = found
        label = m.group(0)
        removed = not absolute or bool(_WINDOW_ONLY_AFTER.match(text, m.end()))
        remaining = f"{text[: m.start()]} {text[m.end() :]}".strip() if removed else text
        window = DateWindow(label=label, since=since, until=until, mode=mode)  # type: ignore[arg-type]
        return TimeMatch(window, m.start(), m.end(), remaining, removed)
    return None


def describe_window(window: DateWindow) -> str:
    """A short Japanese description of a window: 「先週（11月2日〜11月8日）」."""
    if window.since is None or window.until is None:
        return window.label
    last = window.until - timedelta(days=1)
    if window.mode == "restrict" and window.until - window.since == timedelta(days=1) + DAY_SLACK:
        last = window.since
    a, b = window.since, last
    first = f"{a.month}月{a.day}日"
    second = f"{b.month}月{b.day}日"
    if a.year != b.year:
        first, second = f"{a.year}年{first}", f"{b.year}年{second}"
    if a.date() == b.date():
        return f"{window.label}（{first}）"
    return f"{window.label}（{first}〜{second}）"
