"""FeedManager and Fetcher against a real HTTP server on 127.0.0.1, a real store and Sudachi."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.cli.main import main
from index.errors import FeedError
from index.ingest.feeds import MAX_BACKOFF, FeedManager, PollResult, backoff
from index.ingest.fetch import Fetcher, check_url, is_public_address
from index.store.feeds_table import FeedsTable
from index.store.store import IndexStore

T0 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
LONG = "".join(
    f"<p>第{i}段落：市議会は新しい図書館の建設計画を承認し、来年春の着工に向けた準備が進んでいる。</p>"
    for i in range(10)
)
PAGE = """<!doctype html><html><head><meta charset="utf-8">
<meta property="og:title" content="バス路線の再編案、住民説明会へ">
<script>var leak = "スクリプト";</script></head><body><article><h1>バス路線の再編案、住民説明会へ</h1>
<p>市は路線バスの再編案をまとめ、来月から地区ごとに住民説明会を開く。利用者の少ない区間は減便となる。</p>
<p>代わりに予約制の乗り合いタクシーを導入し、高齢者の移動手段を確保する方針だ。</p>
</article></body></html>"""


def rss(items: list[str], title: str = "架空市ニュース") -> bytes:
    body = "".join(items)
    return f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>{title}</title><link>https://city.example/</link>{body}</channel></rss>""".encode()


def item(
    guid: str,
    title: str,
    link: str,
    *,
    text: str = LONG,
    date: str = "Thu, 09 Jan 2025 09:00:00 GMT",
) -> str:
    return (
        f"<item><title>{title}</title><link>{link}</link><guid isPermaLink='false'>{guid}</guid>"
        f"<pubDate>{date}</pubDate><description><![CDATA[{text}]]></description></item>"
    )


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    delay: float = 0.0
    location: str | None = None


@dataclass
class Site:
    """A tiny web server: routes by path, request log with headers."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers)))
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.delay:
                time.sleep(route.delay)
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.location:
                self.send_header("Location", route.location)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(route.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def manager(store: IndexStore, tokenizer: JapaneseTokenizer, clock: Clock) -> FeedManager:
    return FeedManager(
        store, tokenizer, clock=clock, fetcher=Fetcher(allow_private=True, timeout=2)
    )


def article_count(store: IndexStore) -> int:
    return store.conn.execute("SELECT count(*) FROM articles WHERE is_stub = 0").fetchone()[0]


# --- subscriptions ---------------------------------------------------------------------------


def test_add_list_remove(manager: FeedManager, clock: Clock) -> None:
    status = manager.add("https://city.example/feed.xml#top")
    assert status.url == "https://city.example/feed.xml"
    assert (status.added_at, status.next_poll_at, status.error_count, status.items_ingested) == (
        T0,
        T0,
        0,
        0,
    )
    clock.advance(minutes=1)
    manager.add("https://other.example/atom", guild_id=42)
    assert [(f.url, f.guild_id) for f in manager.list()] == [
        ("https://city.example/feed.xml", None),
        ("https://other.example/atom", 42),
    ]
    with pytest.raises(FeedError, match=r"already subscribed: https://city\.example/feed\.xml"):
        manager.add("HTTPS://CITY.example:443/feed.xml/?utm_source=x")
    manager.remove("https://city.example/feed.xml")
    assert [f.url for f in manager.list()] == ["https://other.example/atom"]
    with pytest.raises(FeedError, match="not subscribed"):
        manager.remove("https://city.example/feed.xml")
    with pytest.raises(FeedError, match="not subscribed"):
        manager.poll("https://nowhere.example/")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "the URL is empty"),
        ("file:///etc/passwd", "only http:// and https:// URLs can be fetched, not file://"),
        ("ftp://files.example/feed.xml", "not ftp://"),
        ("javascript:alert(1)", "not javascript://"),
        ("city.example/feed", "not no scheme"),
        ("http://", "no host name"),
        ("http://city.example:99999/", "not a valid URL"),
        ("http://city.example/a b", "contains spaces"),
        ("https://city.example/" + "a" * 2100, "longer than 2048"),
    ],
)
def test_bad_urls_raise_feed_error(manager: FeedManager, url: str, message: str) -> None:
    with pytest.raises(FeedError, match=message.replace("(", r"\(")):
        check_url(url)
    with pytest.raises(FeedError):
        manager.add(url)
    assert manager.list() == []


# --- polling ---------------------------------------------------------------------------------


def test_poll_ingests_fetches_pages_and_never_ingests_twice(
    manager: FeedManager, store: IndexStore, site: Site, clock: Clock
) -> None:
    feed_url = site.url("/feed.xml")
    page_url = site.url("/news/bus")
    site.routes["/news/bus"] = Route(PAGE.encode(), content_type="text/html; charset=utf-8")
    site.routes["/feed.xml"] = Route(
        rss(
            [
                item("lib-1", "図書館の建設計画を承認", "https://city.example/news/library"),
                item("bus-1", "バス路線の再編案", page_url, text="再編案をまとめた。"),
                item(
                    "fut-1",
                    "未来の記事",
                    "https://city.example/news/future",
                    date="Sat, 01 Jan 2100 00:00:00 GMT",
                ),
            ]
        ),
        etag='"v1"',
    )
    manager.add(feed_url)
    [result] = manager.poll()
    assert result == PollResult(
        url=feed_url,
        status="ok",
        new=2,
        updated=0,
        unchanged=0,
        rejected=1,
        rejections=result.rejections,
        next_poll_at=T0 + timedelta(minutes=30),
        pages_fetched=1,
    )
    assert [r.reason for r in result.rejections] == [
        "future date 2100-01-01T00:00:00+00:00 (more than a day ahead)"
    ]
    bus = store.get_article(f"{feed_url}#bus-1")
    assert bus is not None and bus.title == "バス路線の再編案"
    assert (
        "予約制の乗り合いタクシー" in bus.body and "スクリプト" not in bus.body
    )  # the page's text
    assert bus.url == page_url
    library = store.get_article(f"{feed_url}#lib-1")
    assert library is not None and library.body.startswith("第0段落")
    [status] = manager.list()
    assert (status.title, status.items_ingested, status.items_seen, status.last_success_at) == (
        "架空市ニュース",
        2,
        2,
        T0,
    )

    # Not due yet: nothing is fetched.
    assert manager.poll()[0].status == "not_due"
    assert site.hits("/feed.xml") == 1

    # Due: a conditional GET with the stored ETag gets a 304.
    clock.advance(minutes=31)
    [result] = manager.poll()
    assert result.status == "not_modified"
    assert site.requests[-1][1].get("If-None-Match") == '"v1"'

    # The feed changes: one entry edited, one new, one entry moved to a tracking-tagged URL
    # under a new guid (the same article: not ingested again), one unchanged.
    site.routes["/feed.xml"] = Route(
        rss(
            [
                item(
                    "lib-1", "図書館の建設計画を承認（更新）", "https://city.example/news/library"
                ),
                item("bus-1", "バス路線の再編案", page_url, text="再編案をまとめた。"),
                item(
                    "bus-2",
                    "バス路線の再編案",
                    page_url + "?utm_source=rss",
                    text="再編案をまとめた。",
                ),
                item("park-1", "公園の再整備が完了", "https://city.example/news/park"),
            ]
        ),
        etag='"v2"',
    )
    clock.advance(minutes=31)
    [result] = manager.poll()
    assert (result.status, result.new, result.updated, result.unchanged, result.rejected) == (
        "ok",
        1,
        1,
        2,
        0,
    )
    assert result.pages_fetched == 0 and site.hits("/news/bus") == 1
    assert article_count(store) == 3
    updated = store.get_article(f"{feed_url}#lib-1")
    assert updated is not None and updated.title == "図書館の建設計画を承認（更新）"
    assert manager.list()[0].items_ingested == 4

    # --force re-fetches without validators; every entry is already known.
    [result] = manager.poll(feed_url, force=True)
    assert (result.new, result.updated, result.unchanged) == (0, 0, 4)
    assert "If-None-Match" not in site.requests[-1][1]
    assert article_count(store) == 3


def test_same_article_in_two_feeds_is_ingested_once(
    manager: FeedManager, store: IndexStore, site: Site
) -> None:
    link = "https://city.example/news/library"
    site.routes["/a.xml"] = Route(rss([item("a-1", "図書館", link)]))
    site.routes["/b.xml"] = Route(
        rss([item("b-77", "図書館", link + "?fbclid=zz#frag")], title="別のフィード")
    )
    manager.add(site.url("/a.xml"))
    manager.add(site.url("/b.xml"))
    results = manager.poll()
    assert [(r.new, r.unchanged) for r in results] == [(1, 0), (0, 1)]
    assert article_count(store) == 1
    # The second feed records the entry as seen and points at the existing article.
    row = store.conn.execute(
        "SELECT article_id FROM feed_items WHERE feed_url = ? AND guid = 'b-77'",
        (site.url("/b.xml"),),
    ).fetchone()
    assert row == (f"{site.url('/a.xml')}#a-1",)


def test_a_poll_stops_between_feeds_when_told(manager: FeedManager, site: Site) -> None:
    """The bot's poller asks before each feed whether it still leads (bot/jobs.py)."""
    for name in ("a", "b"):
        site.routes[f"/{name}.xml"] = Route(
            rss([item(f"{name}-1", "図書館", f"https://x.example/{name}")])
        )
        manager.add(site.url(f"/{name}.xml"))
    answers = iter([True, False])
    results = manager.poll(keep_going=lambda: next(answers))
    assert [r.url for r in results] == [site.url("/a.xml")]
    assert (site.hits("/a.xml"), site.hits("/b.xml")) == (1, 0)
    assert [r.url for r in manager.poll()] == [site.url("/a.xml"), site.url("/b.xml")]
    assert site.hits("/b.xml") == 1  # polled by the next poll


def test_summary_kept_when_page_fails_and_empty_entry_rejected(
    manager: FeedManager, store: IndexStore, site: Site
) -> None:
    site.routes["/feed.xml"] = Route(
        rss(
            [
                item("s-1", "要約だけ", site.url("/missing-page"), text="要約の一文です。"),
                item("s-2", "本文なし", site.url("/also-missing"), text=""),
            ]
        )
    )
    manager.add(site.url("/feed.xml"))
    [result] = manager.poll()
    assert (result.new, result.rejected, result.pages_fetched) == (1, 1, 2)
    summary_only = store.get_article(f"{site.url('/feed.xml')}#s-1")
    assert summary_only is not None and summary_only.body == "要約の一文です。"
    [rej] = result.rejections
    assert rej.where == site.url("/also-missing")
    assert (
        rej.reason.startswith("entry has no text and its page failed:") and "HTTP 404" in rej.reason
    )


def test_page_fetch_limit_defers_the_rest(
    store: IndexStore, tokenizer: JapaneseTokenizer, site: Site, clock: Clock
) -> None:
    manager = FeedManager(
        store, tokenizer, clock=clock, fetcher=Fetcher(allow_private=True), max_page_fetches=1
    )
    site.routes["/p1"] = Route(PAGE.encode(), content_type="text/html")
    site.routes["/p2"] = Route(
        PAGE.replace("バス路線", "鉄道路線").encode(), content_type="text/html"
    )
    site.routes["/feed.xml"] = Route(
        rss(
            [
                item("1", "一", site.url("/p1"), text="短い。"),
                item("2", "二", site.url("/p2"), text="短い。"),
            ]
        )
    )
    manager.add(site.url("/feed.xml"))
    assert (manager.poll()[0].new, manager.poll(force=True)[0].deferred) == (1, 0)
    assert article_count(store) == 2


def test_errors_back_off_exponentially_and_reset_on_success(
    manager: FeedManager, site: Site, clock: Clock
) -> None:
    url = site.url("/feed.xml")
    site.routes["/feed.xml"] = Route(b"oops", status=500)
    manager.add(url)
    [r] = manager.poll()
    assert (r.status, r.error, r.next_poll_at) == (
        "error",
        f"{url}: HTTP 500 Internal Server Error",
        T0 + timedelta(minutes=5),
    )
    [status] = manager.list()
    assert (
        status.error_count,
        status.error_text("en"),
        status.last_polled_at,
        status.last_success_at,
    ) == (
        1,
        f"{url}: HTTP 500 Internal Server Error",
        T0,
        None,
    )
    # Stored as a key and its fields, said in each reader's language.
    assert status.error_code == r.error_msg.key == "fetch_http"  # type: ignore[union-attr]
    assert status.error_text("ja") == f"{url}: HTTP エラー 500（Internal Server Error）"
    assert manager.poll()[0].status == "not_due"
    clock.advance(minutes=5)
    assert manager.poll()[0].next_poll_at == clock.now + timedelta(minutes=10)
    clock.advance(minutes=10)
    site.routes["/feed.xml"] = Route(PAGE.encode(), content_type="text/html")  # not a feed
    [r] = manager.poll()
    assert r.status == "error" and (r.error or "").startswith("not an RSS/Atom feed")
    assert r.next_poll_at == clock.now + timedelta(minutes=20)
    assert manager.list()[0].error_count == 3
    clock.advance(minutes=20)
    site.routes["/feed.xml"] = Route(rss([item("x", "回復", "https://city.example/x")]))
    [r] = manager.poll()
    assert (r.status, r.new) == ("ok", 1)
    [status] = manager.list()
    assert (status.error_count, status.last_error, status.last_success_at) == (0, None, clock.now)


def test_backoff_schedule() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert backoff(50) == MAX_BACKOFF


def test_remove_keeps_articles_and_forgets_items(
    manager: FeedManager, store: IndexStore, site: Site
) -> None:
    site.routes["/feed.xml"] = Route(rss([item("x", "記事", "https://city.example/x")]))
    manager.add(site.url("/feed.xml"))
    manager.poll()
    manager.remove(site.url("/feed.xml"))
    assert article_count(store) == 1
    assert store.conn.execute("SELECT count(*) FROM feed_items").fetchone() == (0,)


# --- fetcher ---------------------------------------------------------------------------------


def test_default_fetcher_refuses_private_addresses_and_other_schemes(site: Site) -> None:
    site.routes["/feed.xml"] = Route(rss([]))
    fetcher = Fetcher()
    with pytest.raises(FeedError, match=r"refusing to connect to 127\.0\.0\.1 \(127\.0\.0\.1\)"):
        fetcher.fetch(site.url("/feed.xml"))
    port = site.base.rsplit(":", 1)[1]
    with pytest.raises(FeedError, match="refusing to connect to localhost"):
        fetcher.fetch(f"http://localhost:{port}/feed.xml")
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/feed.xml", "data:text/plain,hello"):
        with pytest.raises(FeedError, match="only http:// and https://"):
            fetcher.fetch(url)
    assert site.requests == []  # nothing ever reached the server


def test_redirect_to_a_refused_scheme_is_not_followed(site: Site) -> None:
    site.routes["/r"] = Route(b"", status=302, location="file:///etc/passwd")
    with pytest.raises(FeedError, match=r"cannot fetch|HTTP 302"):
        Fetcher(allow_private=True).fetch(site.url("/r"))


def test_redirect_is_followed(site: Site) -> None:
    site.routes["/old"] = Route(b"", status=301, location="/new")
    site.routes["/new"] = Route(b"<rss/>")
    got = Fetcher(allow_private=True).fetch(site.url("/old"))
    assert (got.url, got.status, got.body) == (site.url("/new"), 200, b"<rss/>")


def test_size_limit_and_timeout(site: Site) -> None:
    site.routes["/big"] = Route(b"x" * (5 * 1024 * 1024 + 1))
    with pytest.raises(FeedError, match="the limit is 5,242,880"):
        Fetcher(allow_private=True).fetch(site.url("/big"))
    site.routes["/slow"] = Route(b"late", delay=1.5)
    started = time.monotonic()
    with pytest.raises(FeedError, match="timed out"):
        Fetcher(allow_private=True, timeout=0.3).fetch(site.url("/slow"))
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_feeds(
    english: None,
    tmp_path: Path,
    site: Site,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KIJI_FEEDS_ALLOW_PRIVATE", raising=False)
    db = str(tmp_path / "cli.db")
    url = site.url("/feed.xml")
    site.routes["/feed.xml"] = Route(rss([item("c-1", "記事", "https://city.example/c1")]))

    # A loopback address is refused when it is added, with the setting that would allow it.
    assert main(["feeds", "add", url, "--db", db]) == 2
    err = capsys.readouterr().err
    assert "refusing" in err and "127.0.0.1" in err and "KIJI_FEEDS_ALLOW_PRIVATE=1" in err
    monkeypatch.setenv("KIJI_FEEDS_ALLOW_PRIVATE", "1")
    assert main(["feeds", "add", url, "--db", db]) == 0
    assert "subscribed" in capsys.readouterr().out
    monkeypatch.delenv("KIJI_FEEDS_ALLOW_PRIVATE")
    assert main(["feeds", "add", "ftp://x.example/f", "--db", db]) == 2
    assert "only http:// and https://" in capsys.readouterr().err

    # Without the setting, polling refuses the loopback test server too: a per-feed error, exit 1.
    assert main(["feeds", "poll", "--db", db]) == 1
    out = capsys.readouterr().out
    assert "refusing to connect" in out and "KIJI_FEEDS_ALLOW_PRIVATE=1" in out
    assert main(["feeds", "list", "--json", "--db", db]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["url"], row["error_count"], row["items_ingested"]) == (url, 1, 0)
    assert "refusing to connect" in row["last_error"]

    monkeypatch.setenv("KIJI_FEEDS_ALLOW_PRIVATE", "1")
    assert main(["feeds", "poll", url, "--force", "--db", db]) == 0
    assert "new 1" in capsys.readouterr().out
    assert main(["feeds", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert url in out and "架空市ニュース" in out and "ingested      1" in out
    assert f"{url}  [OK]" in out
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    assert main(["feeds", "list", "--db", db]) == 0
    assert f"{url}  [正常]" in capsys.readouterr().out
    monkeypatch.setenv("LANG", "en_US.UTF-8")

    assert main(["feeds", "remove", url, "--db", db]) == 0
    assert main(["feeds", "remove", url, "--db", db]) == 2
    assert "not subscribed" in capsys.readouterr().err
    assert main(["feeds", "list", "--db", db]) == 0
    assert "no feeds" in capsys.readouterr().out
    assert main(["feeds"]) == 2  # no action: help on stderr


def test_cli_stored_feed_errors_are_said_in_the_readers_language(
    tmp_path: Path, site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIJI_FEEDS_ALLOW_PRIVATE", "1")
    db = str(tmp_path / "cli.db")
    url = site.url("/feed.xml")
    site.routes["/feed.xml"] = Route(b"oops", status=500)
    assert main(["feeds", "add", url, "--db", db]) == 0
    assert main(["feeds", "poll", "--db", db]) == 1
    assert f"{url}: HTTP エラー 500（Internal Server Error）" in capsys.readouterr().out
    assert main(["feeds", "list", "--db", db]) == 0
    ja = capsys.readouterr().out
    assert f"  最後のエラー  {url}: HTTP エラー 500（Internal Server Error）\n" in ja

    monkeypatch.setenv("LANG", "en_US.UTF-8")  # the same stored error, read by someone else
    assert main(["feeds", "list", "--db", db]) == 0
    assert f"  last error    {url}: HTTP 500 Internal Server Error\n" in capsys.readouterr().out
    assert main(["feeds", "list", "--json", "--db", db]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["last_error"], row["last_error_code"], row["last_error_message"]) == (
        f"{url}: HTTP 500 Internal Server Error",
        "fetch_http",
        f"{url}: HTTP 500 Internal Server Error",
    )

    # A row an older kiji wrote holds plain text: it is shown as it is, in either language.
    store = IndexStore.open(Path(db))
    try:
        FeedsTable(store).record_failure(url, T0, f"{url}: HTTP 502 Bad Gateway", 2, T0)
    finally:
        store.close()
    for lang in ("en_US.UTF-8", "ja_JP.UTF-8"):
        monkeypatch.setenv("LANG", lang)
        assert main(["feeds", "list", "--db", db]) == 0
        assert f"{url}: HTTP 502 Bad Gateway\n" in capsys.readouterr().out
