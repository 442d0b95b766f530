"""Parsers on real files: the fixtures under tests/fixtures, hostile files made in tmp_path, the seed."""

from __future__ import annotations

import codecs
import gzip
import json
import time
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from index.ingest.parsers import (
    FORMATS,
    FeedEntry,
    FeedInfo,
    detect_format,
    iter_input_files,
    parse_bytes,
    parse_feed,
    parse_path,
)
from index.ingest.parsers.explainer import is_heading
from index.ingest.parsers.html import html_to_paragraphs
from index.ingest.parsers.text import decode_text
from index.models import Article, ArticleLink, Rejection, Section
from index.urls import normalize_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SEED = SHARED / "seeds" / "article-trump-intl-order.txt"
JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 3, 1, tzinfo=UTC)


def only(items: list) -> Article | Rejection:
    assert len(items) == 1, items
    return items[0]


def article(path: Path, fmt: str | None = None) -> Article:
    item = only(list(parse_path(path, fmt, now=NOW)))
    assert isinstance(item, Article), item
    return item


def rejection(path: Path, fmt: str | None = None) -> Rejection:
    item = only(list(parse_path(path, fmt, now=NOW)))
    assert isinstance(item, Rejection), item
    return item


def as_article(item: object) -> Article:
    assert isinstance(item, Article), item
    return item


def as_rejection(item: object) -> Rejection:
    assert isinstance(item, Rejection), item
    return item


def as_entries(items: list) -> list[FeedEntry]:
    assert all(isinstance(x, FeedEntry) for x in items), items
    return items


def summary(items: list) -> list[tuple[str, str]]:
    """(kind, id-or-where) for each item, for asserting whole result sequences."""
    return [("A", x.id) if isinstance(x, Article) else ("R", x.where) for x in items]


# --- explainer -------------------------------------------------------------------------------


@pytest.mark.skipif(not SEED.exists(), reason="shared/ seeds are not available here")
def test_explainer_seed_every_part() -> None:
    a = article(SEED)
    assert a.id == "article-trump-intl-order"
    assert a.title == "トランプ政権が揺るがす国際秩序の瓦解危機と日本の対応策"
    assert (a.url, a.published_at, a.category, a.source) == ("", None, None, None)
    t1 = "トランプ政権による国際秩序への挑戦"
    t2 = "同盟国への影響と日本の立場"
    t3 = "2026年中間選挙という転換点"
    t4 = "注意点と今後の展望"
    assert [(s.heading, len(s.paragraphs)) for s in a.sections] == [
        ("はじめに", 2),
        (f"{t1} › 66の国際機関からの大量脱退", 3),
        (f"{t1} › ルールベースから力の政治へ", 2),
        (f"{t1} › グローバル課題解決の後退", 2),
        (f"{t2} › NATO加盟国の失望とウクライナ危機", 2),
        (f"{t2} › 日本が直面する「ボスと部下」の関係", 2),
        (f"{t2} › 日本の戦略的選択肢", 4),
        (f"{t3} › 国内政治の圧力", 2),
        (f"{t3} › 国際社会の対応", 2),
        (f"{t4} › 過度な対立の回避", 1),
        (f"{t4} › 多極化する世界への適応", 1),
        (f"{t4} › 国際規範の維持", 1),
        ("まとめ", 3),
    ]
    assert sum(len(s.paragraphs) for s in a.sections) == 27
    assert a.sections[0].paragraphs[0].startswith("トランプ米大統領が就任して1年")
    assert a.sections[-1].paragraphs[-1].endswith("決定づけることになるでしょう。")
    assert len(a.references) == 5
    assert a.references[0] == "第2次トランプ政権の動向 | ジェトロ"
    assert a.references[-1] == "In 2026, Trump Is Already Challenging the U.N. | Foreign Policy"
    assert len(a.related) == 5 and len(a.latest) == 5
    assert a.related[0].title == "トランプ大統領就任1年、崩壊寸前の国際秩序と日本の選択"
    assert a.related[0].summary.startswith("就任から1年を迎えるトランプ米大統領。")
    assert a.related[4].title == "金価格が史上初の5000ドル突破、世界経済混乱の象徴"
    assert a.latest[0].title == "ビットコイン7万ドル台急落、テック株売りが暗号資産に波及"
    assert a.latest[4].summary.endswith("地方財政を圧迫し続けています。")
    assert all(link.summary and not link.url for link in a.related + a.latest)
    # Nothing from the trailer blocks leaks into the body.
    assert "参考資料" not in a.body and "ビットコイン" not in a.body


def test_explainer_front_matter_nested_headings_and_blocks() -> None:
    a = article(FIXTURES / "explainer" / "boj-rate-hike.txt")
    assert a == Article(
        id="boj-rate-hike-2025",
        title="日銀が政策金利を0.5%へ引き上げ、住宅ローンへの影響は",
        url="https://kiji.example/articles/boj-rate-hike",
        published_at=datetime(2025, 1, 24, 15, 0, tzinfo=JST),
        category="経済",
        source="kiji-sample",
        sections=(
            Section(
                "はじめに",
                (
                    "日本銀行は金融政策決定会合で、短期の政策金利を0.25%から0.5%へ引き上げることを決めました。",
                    "この記事では、利上げの理由と家計への影響を整理します。",
                ),
            ),
            Section(
                "利上げの背景 › 物価と賃金の動き",
                (
                    "消費者物価指数は前年比で2%を上回る伸びが続いています。春の賃上げ交渉でも高い水準の回答が相次ぎました。",
                    "日銀は賃金と物価がそろって上がる循環が見通せるようになったと判断しました。",
                ),
            ),
            Section(
                "利上げの背景 › 為替相場の影響",
                (
                    "円安が続くと輸入品の価格が上がり、物価を押し上げます。利上げには円安の進行を和らげる狙いもあるとみられます。",
                ),
            ),
            Section(
                "まとめ",
                (
                    "今回の利上げで変動金利型の住宅ローンの金利は上がる見込みです。返済計画を早めに見直すことが大切です。",
                ),
            ),
        ),
        references=(
            "金融政策決定会合の結果について | 架空銀行調査部",
            "家計と金利の関係 | 架空経済研究所",
        ),
        related=(
            ArticleLink(
                "円相場が一時150円台に、利上げ観測で",
                "利上げ観測が強まり、円を買い戻す動きが広がりました。市場の見方を解説します。",
            ),
            ArticleLink(
                "住宅ローン金利、変動型の上昇はいつから",
                "変動金利型ローンの金利が見直される時期と、返済額の目安を紹介します。",
            ),
        ),
        latest=(
            ArticleLink(
                "春の賃上げ、平均5%台の回答相次ぐ",
                "大手企業の賃上げ回答が出そろいました。中小企業への波及が焦点です。",
            ),
        ),
    )


def test_explainer_without_front_matter_uses_stem_and_keeps_children_under_parent() -> None:
    a = article(FIXTURES / "explainer" / "kome-kakaku.txt")
    assert (a.id, a.url, a.published_at) == ("kome-kakaku", "", None)
    # A single heading after a parent/child pair is read as another child (流通の目詰まり), except
    # closing headings such as 今後の見通し (see the module doc).
    assert [s.heading for s in a.sections] == [
        None,
        "価格が上がった理由 › 生産量の減少",
        "価格が上がった理由 › 流通の目詰まり",
        "今後の見通し",
    ]
    assert a.related == (
        ArticleLink(
            "備蓄米の入札、落札の大半は集荷業者", "政府が実施した備蓄米の入札結果を読み解きます。"
        ),
    )
    assert a.references == () and a.latest == ()


def test_explainer_date_only_front_matter_is_tokyo_midnight() -> None:
    a = article(FIXTURES / "explainer" / "bousai-app.txt")
    assert a.published_at == datetime(2025, 9, 1, tzinfo=JST)
    assert a.category == "社会" and a.source is None
    assert [(s.heading, len(s.paragraphs)) for s in a.sections] == [
        (None, 2),
        ("多言語への対応", 1),
    ]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (
            "broken-related.txt",
            "line 3: the 関連記事 block has 3 lines; expected title/summary pairs",
        ),
        ("no-paragraph.txt", "line 2: heading '概要' has no paragraphs"),
        ("empty.txt", "no title: the file is empty"),
    ],
)
def test_explainer_fixture_rejections(name: str, reason: str) -> None:
    path = FIXTURES / "explainer" / name
    assert rejection(path) == Rejection(str(path), reason)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "---\nid: x\nタイトル\n本文です。\n",
            "line 3: front matter line is not 'key: value' (is the",
        ),
        ("---\nid: x\n", "has no closing '---'"),
        ("---\nid x\n---\nタイトル\n本文です。\n", "line 2: front matter line is not 'key: value'"),
        (
            "---\npublished_at: 先週\n---\nタイトル\n本文です。\n",
            "front matter published_at '先週'",
        ),
        ("---\nid: a\nid: b\n---\nタイトル\n本文です。\n", "key 'id' appears twice"),
        ("タイトル\n大見出し\n中見出し\n小見出し\n本文です。\n", "3 headings in a row"),
        ("タイトル\n見出しだけ\n", "no paragraphs"),
        (
            "タイトル\n本文です。\n参考資料:\n出典が箇条書きでない\n",
            "参考資料 entries must look like",
        ),
        (
            "タイトル\n本文です。\n関連記事\n要約が先に来ている。\nタイトル\n",
            "expected a title but found a sentence",
        ),
        (
            "タイトル\n本文です。\n最新ニュース\nA\nB\n最新ニュース\nC\nD\n",
            "a second 最新ニュース block",
        ),
    ],
)
def test_explainer_rejects_what_it_cannot_recognise(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "page.txt"
    path.write_text(text, encoding="utf-8")
    r = rejection(path, "explainer")
    assert r.where == str(path)
    assert reason in r.reason


# (line, is it a heading?)
HEADING_CASES = [
    ("はじめに", True),
    ("日本が直面する「ボスと部下」の関係", True),
    ("2026年中間選挙という転換点", True),
    ("まとめ", True),
    ("本文は句点で終わります。", False),
    ("本当にそうでしょうか？", False),
    ("「米国第一」を掲げた。」", False),
    ("句点のない文でも敬体で終わります", False),
    ("具体的には次の通り:", False),
    ("- 箇条書きの項目", False),
    ("あ" * 61, False),
]


@pytest.mark.parametrize(("line", "expected"), HEADING_CASES)
def test_is_heading(line: str, expected: bool) -> None:
    assert is_heading(line) is expected


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
        lambda s: s.encode("utf-16"),  # with a BOM
        lambda s: s.encode("shift_jis"),
        lambda s: s.encode("cp932"),
        lambda s: s.replace("\n", "\r\n").encode("cp932"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "shift_jis", "cp932", "cp932-crlf"],
)
def test_explainer_encodings_give_the_same_article(tmp_path: Path, encode) -> None:
    source = FIXTURES / "explainer" / "kome-kakaku.txt"
    path = tmp_path / "kome-kakaku.txt"
    path.write_bytes(encode(source.read_text(encoding="utf-8")))
    assert article(path) == article(source)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        b"\xff\xfe\x00\x00abc",  # UTF-32
        bytes(range(128, 256)) * 8,  # neither UTF-8 nor CP932
        "タイトル\n本文\x01です。\n".encode(),
    ],
    ids=["png", "utf32", "high-bytes", "control-char"],
)
def test_binary_files_are_rejected_in_every_format(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "blob.txt"
    path.write_bytes(data)
    assert "binary or unknown encoding" in rejection(path).reason
    for fmt in ("explainer", "livedoor", "html"):
        assert "binary or unknown encoding" in rejection(path, fmt).reason, fmt
    assert all(isinstance(x, Rejection) for x in parse_path(path, "jsonl"))
    assert all(isinstance(x, Rejection) for x in parse_path(path, "feed"))


def test_decode_text_prefers_utf8_and_normalises_newlines() -> None:
    assert decode_text(b"a\r\nb\rc\n") == "a\nb\nc\n"
    assert decode_text("漢字".encode("cp932")) == "漢字"
    assert decode_text("①髙".encode("cp932")) == "①髙"  # CP932-only characters


# --- jsonl -----------------------------------------------------------------------------------


def test_jsonl_good_lines_survive_bad_ones() -> None:
    path = FIXTURES / "jsonl" / "mixed.jsonl"
    items = list(parse_path(path))
    w = str(path)
    assert summary(items) == [
        ("A", "j-001"),
        ("A", "j-002"),
        ("R", f"{w}:3"),
        ("R", f"{w}:4"),
        ("R", f"{w}:5"),
        ("R", f"{w}:6"),
        ("A", "j-007"),
        ("R", f"{w}:8"),
        ("R", f"{w}:10"),  # line 9 is blank
    ]
    reasons = [x.reason for x in items if isinstance(x, Rejection)]
    assert reasons == [
        "invalid JSON: Expecting value at column 1",
        "field 'title' is empty",
        "published_at '昨日' is not an ISO 8601 date (e.g. 2025-01-06T09:00:00+09:00)",
        "field 'id' must be a string, got int",
        "missing field 'body'",
        "expected a JSON object, got list",
    ]
    first, second, seventh = (x for x in items if isinstance(x, Article))
    assert first == Article(
        id="j-001",
        title="新駅の開業日が決定",
        sections=(
            Section(None, ("市は新駅の開業日を発表した。", "駅前では商業施設の建設も進んでいる。")),
        ),
        url="https://kiji.example/j/1",
        published_at=datetime(2025, 3, 1, 10, 0, tzinfo=JST),
        category="地域",
        source="kiji-sample",
    )
    assert second.published_at == datetime(2025, 3, 2, tzinfo=JST)
    assert (second.url, second.category, second.source) == ("", None, None)
    assert seventh.published_at == datetime(2025, 3, 7, 8, 30, tzinfo=JST)


def record(n: int, **kw: object) -> dict:
    return {
        "id": f"r{n}",
        "title": f"記事{n}",
        "body": f"本文{n}です。",
        "published_at": "2025-01-01",
    } | kw


def write_jsonl(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes("".join(line + "\n" for line in lines).encode(encoding))
    return path


def test_jsonl_gz_is_read_transparently(tmp_path: Path) -> None:
    lines = [json.dumps(record(i), ensure_ascii=False) for i in range(3)]
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n{bad\n")
    items = list(parse_path(path))
    assert summary(items) == [("A", "r0"), ("A", "r1"), ("A", "r2"), ("R", f"{path}:4")]


def test_jsonl_truncated_gz_keeps_what_was_read(tmp_path: Path) -> None:
    lines = [json.dumps(record(i), ensure_ascii=False) for i in range(2000)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    items = list(parse_path(path))
    assert isinstance(items[-1], Rejection) and "cannot read the rest" in items[-1].reason
    assert len(items) > 100 and all(isinstance(x, Article) for x in items[:-1])


def test_corrupt_gz_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(b"this is not gzip data at all")
    assert "cannot read the file" in rejection(path).reason


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "shift_jis", "cp932"])
def test_jsonl_encodings(tmp_path: Path, encoding: str) -> None:
    title = (
        "高橋さんの記事" if encoding == "shift_jis" else "髙橋さんの記事①"
    )  # ① and 髙 are CP932 only
    lines = [json.dumps(record(i, title=title), ensure_ascii=False) for i in range(3)]
    items = list(parse_path(write_jsonl(tmp_path / "e.jsonl", [*lines, "oops"], encoding)))
    assert summary(items) == [
        ("A", "r0"),
        ("A", "r1"),
        ("A", "r2"),
        ("R", f"{tmp_path / 'e.jsonl'}:4"),
    ]
    assert as_article(items[0]).title == title


def test_jsonl_ten_megabyte_line_is_rejected_quickly_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    big = json.dumps(record(0, body="あ" * 3_500_000), ensure_ascii=False)  # ≈10.5 MB in UTF-8
    write_jsonl(path, [big, json.dumps(record(1), ensure_ascii=False)])
    assert path.stat().st_size > 10_000_000
    tracemalloc.start()
    started = time.perf_counter()
    items = list(parse_path(path))
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert summary(items) == [("R", f"{path}:1"), ("A", "r1")]
    assert as_rejection(items[0]).reason.startswith("line too long (10,500,")
    assert elapsed < 2.0
    assert peak < 6 * 1024 * 1024  # the 10 MB line is never held whole


def test_jsonl_body_limit_and_deep_nesting(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "h.jsonl",
        [
            json.dumps(record(0, body="a" * 1_000_001)),
            "[" * 200_000,
            json.dumps(record(2, title=["list"])),
            json.dumps(record(3, url=5)),
            json.dumps(record(4, published_at="2025-13-01")),
            json.dumps(record(5, body="   \n  ")),
            json.dumps(record(6)),
        ],
    )
    items = list(parse_path(path))
    assert summary(items)[-1] == ("A", "r6")
    reasons = [as_rejection(x).reason for x in items[:-1]]
    assert reasons[0] == "body too long (1,000,001 characters; the limit is 1,000,000)"
    assert reasons[1].startswith("invalid JSON")
    assert reasons[2:] == [
        "field 'title' must be a string, got list",
        "field 'url' must be a string, got int",
        "published_at '2025-13-01' is not an ISO 8601 date (e.g. 2025-01-06T09:00:00+09:00)",
        "field 'body' is empty",
    ]


def test_jsonl_binary_file_is_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "blob.jsonl"
    path.write_bytes(b"\x00\x01\x02\n" * 50_000)
    assert rejection(path).reason.startswith("binary or unknown encoding")
    assert rejection(path, "jsonl").reason.startswith("binary or unknown encoding")


# --- livedoor --------------------------------------------------------------------------------


def test_livedoor_tree() -> None:
    root = FIXTURES / "corpus_dir_layout"
    files = list(iter_input_files([root]))
    assert [f.relative_to(root).as_posix() for f in files] == [
        "kaden-test/kaden-test-1001.txt",
        "sports-test/sports-test-2002.txt",
        "sports-test/sports-test-3003.txt",
    ]
    items = [x for f in files for x in parse_path(f)]
    assert summary(items) == [
        ("A", "kaden-test-1001"),
        ("A", "sports-test-2002"),
        ("R", str(files[2])),
    ]
    assert (
        as_rejection(items[2]).reason
        == "line 2: expected a date like 2010-05-22T14:30:00+0900, got '日付ではない'"
    )
    assert items[0] == Article(
        id="kaden-test-1001",
        title="夏に向けて扇風機の売れ行きが好調",
        sections=(
            Section(
                None,
                (
                    "節電の意識が高まる中、家電量販店では扇風機の売れ行きが伸びている。",
                    "店員によると、消費電力の少ない機種が特に人気だという。",
                ),
            ),
        ),
        url="http://news.example.jp/article/detail/1001/",
        published_at=datetime(2011, 7, 15, 9, 5, tzinfo=JST),
        category="kaden-test",
        source="livedoor-news-corpus",
    )


def test_livedoor_too_short(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("http://a.example/1\n2010-05-22T14:30:00+0900\n", encoding="utf-8")
    assert "a livedoor file has URL, date, title and body lines" in rejection(path).reason


# --- files, detection --------------------------------------------------------------------------


def test_iter_input_files_skips_hidden_and_keeps_explicit_files(tmp_path: Path) -> None:
    for rel in [
        "b/2.txt",
        "b/1.txt",
        "a.jsonl",
        ".hidden.txt",
        ".git/config",
        "c/.d/x.txt",
        "c/README.txt",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    missing = tmp_path / "missing.txt"
    got = list(iter_input_files([tmp_path, tmp_path / ".hidden.txt", missing]))
    assert got == [
        tmp_path / "a.jsonl",
        tmp_path / "b" / "1.txt",
        tmp_path / "b" / "2.txt",
        tmp_path / ".hidden.txt",
        missing,
    ]
    r = rejection(missing)
    assert r.where == str(missing) and r.reason.startswith("cannot read the file")


@pytest.mark.parametrize(
    ("name", "head", "fmt"),
    [
        ("a.jsonl", b'{"id": 1}', "jsonl"),
        ("a.jsonl.gz", b'{"id": 1}', "jsonl"),
        ("a.ndjson", b"", "jsonl"),
        ("data", b'\n{"id": "x"}', "jsonl"),
        ("page.html", b"whatever", "html"),
        ("page", b"<!DOCTYPE html><html>", "html"),
        ("feed.xml", b'<?xml version="1.0"?><rss version="2.0">', "feed"),
        ("feed", b"<feed xmlns='http://www.w3.org/2005/Atom'>", "feed"),
        ("a.atom", b"", "feed"),
        ("other.xml", b'<?xml version="1.0"?><svg/>', None),
        ("x.txt", b"http://news.example.jp/1\n2010-05-22T14:30:00+0900\n", "livedoor"),
        ("x.txt", "タイトル\n本文。".encode(), "explainer"),
        ("x.txt", "タイトル\n本文。".encode("utf-16"), "explainer"),
        ("x.txt", "タイトル\n本文。".encode("cp932"), "explainer"),
        ("x.txt", b"\x00\x01binary", None),
        ("x.jsonl", b"\x00\x01binary", None),
        ("x.pdf", b"%PDF-1.7 text", None),
    ],
)
def test_detect_format(name: str, head: bytes, fmt: str | None) -> None:
    assert detect_format(Path(name), head) == fmt


def test_unknown_format_names_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("x", encoding="utf-8")
    assert "unknown format 'csv'" in rejection(path, "csv").reason
    assert "unknown format 'csv'" in as_rejection(only(list(parse_bytes(b"x", "csv", "w")))).reason
    assert FORMATS == ("jsonl", "explainer", "livedoor", "feed", "html")


# --- feeds -------------------------------------------------------------------------------------


def test_rss_feed_each_problem_gets_a_reason_and_good_entries_survive() -> None:
    path = FIXTURES / "feed" / "rss-mixed.xml"
    where = "https://news.kiji.example/rss"
    info, items = parse_feed(path.read_bytes(), where, now=NOW)
    assert info == FeedInfo("架空ニュース", "https://news.kiji.example/", None)
    assert [type(x).__name__ for x in items] == [
        "FeedEntry",
        "Rejection",
        "Rejection",
        "Rejection",
        "FeedEntry",
    ]
    first, last = items[0], items[4]
    assert isinstance(first, FeedEntry) and isinstance(last, FeedEntry)
    assert first.article == Article(
        id=f"{where}#kiji-a-1",  # a guid that is not a URL/URN is qualified by its feed
        title="港湾の再開発計画がまとまる",
        sections=(
            Section(
                None,
                (
                    "市は港湾地区の再開発計画をまとめた。倉庫街を商業施設と公園に作り替える。",
                    "完成は2030年の予定で、総事業費は約500億円を見込む。",
                ),
            ),
        ),
        url="https://news.kiji.example/a/1?utm_source=rss",
        published_at=datetime(2025, 1, 6, 0, 0, tzinfo=UTC),
        category="地域",
        source="架空ニュース",
    )
    assert "alert" not in first.article.body
    assert first.guid == "kiji-a-1" and first.has_full_text is False  # 2 short paragraphs
    assert [(as_rejection(x).where, as_rejection(x).reason) for x in items[1:4]] == [
        (
            f"{where}#2 (https://news.kiji.example/a/2)",
            "no date: neither the entry nor the feed has a published/updated date",
        ),
        (
            f"{where}#3 (https://news.kiji.example/a/3)",
            "future date 2099-12-31T15:00:00+00:00 (more than a day ahead)",
        ),
        (f"{where}#4 (kiji-a-1)", "duplicate guid (same as entry 1)"),
    ]
    # No guid: the normalised link is the guid and the id.
    assert last.guid == last.article.id == "https://news.kiji.example/a/4"
    assert last.article.body == "路線バスの運行本数が見直される。"
    assert last.has_full_text is False


def test_atom_feed_entry_without_date_takes_the_feed_date() -> None:
    info, items = parse_feed((FIXTURES / "feed" / "atom.xml").read_bytes(), "atom.xml", now=NOW)
    assert info == FeedInfo(
        "架空テック通信", "https://tech.kiji.example/", datetime(2025, 2, 1, 12, tzinfo=UTC)
    )
    assert [(x.article.id, x.article.published_at) for x in as_entries(items)] == [
        ("tag:tech.kiji.example,2025:satellite", datetime(2025, 1, 31, 13, tzinfo=UTC)),
        ("tag:tech.kiji.example,2025:no-date", datetime(2025, 2, 1, 12, tzinfo=UTC)),
    ]


def test_future_date_tolerance_is_one_day() -> None:
    data = (FIXTURES / "feed" / "rss-mixed.xml").read_bytes()
    _, items = parse_feed(data, "f", now=datetime(2099, 12, 31, tzinfo=UTC))
    assert isinstance(items[2], FeedEntry)  # 15:00 the same day is within a day


def test_feed_full_text_detection(tmp_path: Path) -> None:
    long_text = "".join(
        f"<p>第{i}段落は十分に長い本文の一部で、記事の全文が配信されていることを示す。</p>"
        for i in range(12)
    )
    rss = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
    <item><title>全文</title><link>https://x.example/1</link><pubDate>Mon, 06 Jan 2025 09:00:00 GMT</pubDate>
    <description><![CDATA[{long_text}]]></description></item>
    <item><title>要約</title><link>https://x.example/2</link><pubDate>Mon, 06 Jan 2025 09:00:00 GMT</pubDate>
    <description>{"長い要約の文。" * 80}続きを読む</description></item>
    <item><title>本文なし</title><link>https://x.example/3</link><pubDate>Mon, 06 Jan 2025 09:00:00 GMT</pubDate></item>
    </channel></rss>""".encode()
    _, items = parse_feed(rss, "https://x.example/feed", now=NOW)
    assert [
        (x.article.title, x.has_full_text, len(x.article.sections[0].paragraphs))
        for x in as_entries(items)
    ] == [
        ("全文", True, 12),
        ("要約", False, 1),
        ("本文なし", False, 0),
    ]
    # Through parse_bytes (no poller to fetch pages) an entry without text is a rejection.
    path = tmp_path / "f.rss"
    path.write_bytes(rss)
    got = list(parse_path(path, now=NOW))
    assert summary(got)[:2] == [("A", "https://x.example/1"), ("A", "https://x.example/2")]
    assert got[2] == Rejection(f"{path} (https://x.example/3)", "entry has no text")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"/etc/passwd",
        b"<html><body>not a feed</body></html>",
        b"\x00\x01\x02",
        "ただの文章です。".encode(),
    ],
)
def test_not_a_feed(data: bytes) -> None:
    info, items = parse_feed(data, "https://x.example/feed", now=NOW)
    assert info == FeedInfo("", "")
    assert len(items) == 1 and isinstance(items[0], Rejection)
    assert items[0].reason.startswith("not an RSS/Atom feed")


# --- html ------------------------------------------------------------------------------------


def test_html_article_page() -> None:
    path = FIXTURES / "html" / "article.html"
    a = article(path)
    assert a.id == "https://times.kiji.example/news/water-2025"
    assert a.url == "https://times.kiji.example/news/water-2025/"
    assert a.title == "水道料金、来年度から平均12%値上げへ"
    assert a.published_at == datetime(2025, 2, 10, 7, 30, tzinfo=JST)
    assert a.source == "架空タイムズ"
    assert [(s.heading, len(s.paragraphs)) for s in a.sections] == [
        (None, 2),
        ("値上げの理由", 1),
        ("値上げの理由 › 人口減少の影響", 1),
        ("家計への影響", 1),
    ]
    assert a.sections[0].paragraphs[0].startswith("市は水道料金を来年度から平均で12%引き上げる")
    for leak in ("secretTracker", "スクリプト", "font-family", "ログイン", "Copyright"):
        assert leak not in a.body


def test_html_script_only_page_is_rejected() -> None:
    path = FIXTURES / "html" / "script-only.html"
    assert rejection(path).reason == "no extractable text: the page has no main article text"


def test_html_shift_jis_page_and_fetched_url(tmp_path: Path) -> None:
    text = (FIXTURES / "html" / "article.html").read_text(encoding="utf-8")
    text = text.replace(
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">',
    )
    text = text.replace(
        '<link rel="canonical" href="https://times.kiji.example/news/water-2025/">', ""
    )
    item = only(
        list(
            parse_bytes(
                text.encode("cp932"), "html", "fetched", url="https://times.kiji.example/n?id=7#top"
            )
        )
    )
    assert isinstance(item, Article)
    assert item.url == "https://times.kiji.example/n?id=7#top"
    assert item.id == "https://times.kiji.example/n?id=7"
    assert item.title == "水道料金、来年度から平均12%値上げへ"


def test_html_to_paragraphs() -> None:
    got = html_to_paragraphs(
        "<p>一つ目&amp;二つ目<br>改行後</p><script>x()</script><style>p{}</style><ul><li>項目</li></ul>テキスト"
    )
    assert got == ["一つ目&二つ目", "改行後", "項目", "テキスト"]
    assert html_to_paragraphs("改行で\n分かれた\n\n文章") == ["改行で", "分かれた", "文章"]


# --- urls ------------------------------------------------------------------------------------

URL_CASES = [
    ("HTTPS://Example.JP:443/a/b/?utm_source=x&b=2&a=1#frag", "https://example.jp/a/b?a=1&b=2"),
    ("http://example.jp:80", "http://example.jp/"),
    ("http://example.jp:8080/", "http://example.jp:8080/"),
    ("https://example.jp/?fbclid=abc&gclid=d&utm_medium=m", "https://example.jp/"),
    ("https://example.jp/記事?q=金利", "https://example.jp/記事?q=%E9%87%91%E5%88%A9"),
    ("https://user@[::1]:443/x/", "https://user@[::1]/x"),
    ("  https://example.jp/a  ", "https://example.jp/a"),
    ("not a url", "not a url"),
    ("", ""),
]


@pytest.mark.parametrize(("url", "expected"), URL_CASES)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
    assert normalize_url(expected) == expected
