"""Property tests: no input makes a parser raise; everything comes back as Article or Rejection."""

from __future__ import annotations

import gzip
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.ingest.parsers import FORMATS, parse_bytes, parse_feed, parse_path
from index.models import Article, Rejection
from index.urls import normalize_url

NOW = datetime(2025, 3, 1, tzinfo=UTC)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of every format, so random text gets past the first checks of each parser.
MARKERS = [
    "---",
    "id: x",
    "published_at: 2025-01-01",
    "url: https://a.example/",
    "参考資料:",
    "- 資料 | 出版社",
    "関連記事",
    "最新ニュース",
    "はじめに",
    "まとめ",
    "見出し",
    "本文です。",
    "段落の文。",
    "http://news.example.jp/1/",
    "2010-05-22T14:30:00+0900",
    '{"id": "a", "title": "t", "body": "b", "published_at": "2025-01-01"}',
    '{"id": ',
    '"published_at": "9999-12-31T23:59:59-23:59"}',
    "<?xml version='1.0'?>",
    "<rss version='2.0'><channel><item><title>t</title><guid>g</guid>",
    "<pubDate>Mon, 06 Jan 2025 09:00:00 GMT</pubDate>",
    "<description>&lt;p&gt;x&lt;/p&gt;</description></item>",
    "<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>i</id>",
    "<html><head><meta property='og:title' content='t'>",
    "<link rel='canonical' href='javascript:alert(1)'>",
    "<meta property='article:published_time' content='0001-01-01T00:00:00+14:00'>",
    "<script>alert('x')</script>",
    "<body><article><h2>見出し</h2><p>本文の段落です。本文の段落です。</p></article>",
    "<![CDATA[",
    "&#0;",
    "\ufeff",
    "\r\n",
    "\x00",
]
texts = st.lists(st.one_of(st.sampled_from(MARKERS), st.text(max_size=20)), max_size=40).map(
    "\n".join
)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp932"])


def check(items: list) -> None:
    for item in items:
        assert isinstance(item, Article | Rejection), item
        if isinstance(item, Article):
            assert item.id and item.title and item.body
        else:
            assert item.where and item.reason


@FUZZ
@given(data=st.binary(max_size=2048), fmt=st.sampled_from(FORMATS))
def test_random_bytes(data: bytes, fmt: str) -> None:
    check(list(parse_bytes(data, fmt, "fuzz", now=NOW)))


@FUZZ
@given(text=texts, encoding=encodings, fmt=st.sampled_from(FORMATS))
def test_random_text_with_format_markers(text: str, encoding: str, fmt: str) -> None:
    data = text.encode(encoding, errors="ignore")
    check(list(parse_bytes(data, fmt, "fuzz", url="https://fuzz.example/a", now=NOW)))


@FUZZ
@given(text=texts, encoding=encodings)
def test_parse_feed(text: str, encoding: str) -> None:
    _, items = parse_feed(text.encode(encoding, errors="ignore"), "https://fuzz.example/f", now=NOW)
    for item in items:
        assert not isinstance(item, Rejection) or item.reason


@FUZZ
@given(
    text=texts,
    name=st.sampled_from(["a.txt", "a.jsonl", "a.jsonl.gz", "a.html", "a.xml", "a", "a.txt.gz"]),
    compress=st.booleans(),
)
def test_parse_path_with_detection(text: str, name: str, compress: bool) -> None:
    data = text.encode("utf-8", errors="ignore")
    if compress:
        data = gzip.compress(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cat" / name
        path.parent.mkdir()
        path.write_bytes(data)
        check(list(parse_path(path, now=NOW)))


@FUZZ
@given(
    url=st.one_of(
        st.text(max_size=80), st.from_regex(r"https?://[a-zA-Z0-9.:@\[\]]{1,20}/[^#]{0,30}(#.*)?")
    )
)
def test_normalize_url_never_raises(url: str) -> None:
    assert isinstance(normalize_url(url), str)
