"""The fetcher against hostile servers on 127.0.0.1 (issue 12 rows 1 and 18): servers that dribble
their headers or body a byte a second, and a redirect into a private address. Real sockets, a
real store and Sudachi, the real CLI."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.cli.main import main
from index.errors import FeedError
from index.ingest.feeds import FeedManager, backoff
from index.ingest.fetch import Fetcher
from index.store.store import IndexStore

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>架空市ニュース</title><link>https://city.example/</link>
<item><title>新図書館の建設計画を承認</title><link>https://city.example/a1</link>
<guid isPermaLink="false">a1</guid><pubDate>Thu, 09 Jan 2025 09:00:00 GMT</pubDate>
<description><![CDATA[<p>市議会は新しい図書館の建設計画を承認し、来年春の着工に向けた準備が進んでいる。
建設費は約40億円で、蔵書は50万冊を予定している。</p>]]></description></item>
</channel></rss>""".encode()


@dataclass
class Server:
    """A raw HTTP/1.1 server on one loopback address. ``/slow-headers`` sends its status line
    and headers a byte a second, ``/slow-body`` its body a byte a second, ``/feed.xml`` a
    feed at once, and ``/to?…`` redirects to the URL after ``?``."""

    host: str = "127.0.0.1"
    paths: list[str] = field(default_factory=list)
    port: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def serve(self, sock: socket.socket) -> None:
        sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ", 2)[1].decode()
            self.paths.append(path)
            head = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n"
            try:
                if path == "/slow-headers":
                    self.dribble(conn, (head + f"Content-Length: {len(FEED)}\r\n\r\n").encode())
                elif path == "/slow-body":
                    conn.sendall((head + f"Content-Length: {len(FEED)}\r\n\r\n").encode())
                    self.dribble(conn, FEED)
                elif path.startswith("/to?"):
                    location = path.split("?", 1)[1]
                    conn.sendall(
                        f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
                        "Connection: close\r\n\r\n".encode()
                    )
                else:
                    conn.sendall((head + f"Content-Length: {len(FEED)}\r\n\r\n").encode() + FEED)
            except OSError:  # the client gave up: that is the point
                return

    def dribble(self, conn: socket.socket, data: bytes) -> None:
        for i in range(len(data)):
            if self.stop.wait(1.0):  # one byte a second
                return
            conn.sendall(data[i : i + 1])


def _start(host: str) -> Iterator[Server]:
    server = Server(host=host)
    sock = socket.socket()
    sock.bind((host, 0))
    sock.listen(16)
    server.port = sock.getsockname()[1]
    thread = threading.Thread(target=server.serve, args=(sock,), daemon=True)
    thread.start()
    yield server
    server.stop.set()
    thread.join(5)
    sock.close()


@pytest.fixture
def server() -> Iterator[Server]:
    yield from _start("127.0.0.1")


@pytest.fixture
def other_server() -> Iterator[Server]:
    """A second loopback address: the private target of a redirect."""
    try:
        probe = socket.socket()
        probe.bind(("127.0.0.2", 0))
        probe.close()
    except OSError:
        pytest.skip("127.0.0.2 is not routable to loopback here")
    yield from _start("127.0.0.2")


# --- row 1: one deadline per fetch --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/slow-headers", "/slow-body"])
def test_a_dribbling_server_cannot_outlast_the_deadline(server: Server, path: str) -> None:
    fetcher = Fetcher(allow_private=True, timeout=10, deadline=2.0)
    started = time.monotonic()
    with pytest.raises(
        FeedError, match=r"timed out \(the whole fetch may take 2 s; KIJI_FETCH_DEADLINE"
    ):
        fetcher.fetch(server.url(path))
    took = time.monotonic() - started
    assert 1.9 < took < 4, took  # each byte came well within the 10 s socket timeout


def test_the_slow_feed_is_an_error_with_back_off_and_the_others_are_polled(
    server: Server, store: IndexStore, tokenizer: JapaneseTokenizer
) -> None:
    now = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
    fetcher = Fetcher(allow_private=True, deadline=2.0)
    manager = FeedManager(store, tokenizer, clock=lambda: now, fetcher=fetcher)
    for path in ("/slow-headers", "/slow-body", "/feed.xml"):
        manager.add(server.url(path))
    started = time.monotonic()
    results = manager.poll()
    took = time.monotonic() - started
    by_url = {r.url.rsplit("/", 1)[1]: r for r in results}
    assert {k: r.status for k, r in by_url.items()} == {
        "slow-headers": "error",
        "slow-body": "error",
        "feed.xml": "ok",
    }
    assert by_url["feed.xml"].new == 1
    assert took < 10, took  # two deadlines and a quick feed, not minutes
    for status in manager.list():
        if "slow" in status.url:
            assert status.error_count == 1 and "timed out" in (status.error_text("en") or "")
            assert status.next_poll_at == now + backoff(1)


def test_cli_poll_honours_the_deadline_setting(
    server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KIJI_FEEDS_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("KIJI_FETCH_DEADLINE", "1.5")
    db = str(tmp_path / "k.db")
    for path in ("/slow-body", "/feed.xml"):
        assert main(["feeds", "add", server.url(path), "--db", db]) == 0
    started = time.monotonic()
    assert main(["feeds", "poll", "--db", db]) == 1
    assert time.monotonic() - started < 8
    out = capsys.readouterr().out
    assert f"{server.url('/slow-body')}: エラー：" in out and "1.5 秒" in out
    assert f"{server.url('/feed.xml')}: 新規 1 " in out
    assert main(["feeds", "list", "--json", "--db", db]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["url"].rsplit("/", 1)[1]: r["error_count"] for r in rows} == {
        "slow-body": 1,
        "feed.xml": 0,
    }


# --- row 18: a redirect from an allowed host into a private address ---------------------------


def test_redirect_into_a_private_address_is_refused(server: Server, other_server: Server) -> None:
    """The fetcher allows exactly one address (127.0.0.1 stands in for a public feed host); a
    redirect from it to another private address (127.0.0.2, cloud metadata) is refused before
    any connection, with the default allow_private=False."""
    fetcher = Fetcher(allow_addresses=frozenset({"127.0.0.1"}), deadline=5)
    assert fetcher.fetch(server.url("/feed.xml")).body == FEED  # the first hop is allowed
    assert fetcher.fetch(server.url(f"/to?{server.url('/feed.xml')}")).body == FEED
    for target in (other_server.url("/secret"), "http://169.254.169.254/latest/meta-data/"):
        with pytest.raises(FeedError, match=r"refusing to connect to (127\.0\.0\.2|169\.254)"):
            fetcher.fetch(server.url(f"/to?{target}"))
    assert other_server.paths == []  # nothing ever reached the private server
    # allowed explicitly, the same redirect is followed (so the refusal above is the check's)
    both = Fetcher(allow_addresses=frozenset({"127.0.0.1", "127.0.0.2"}), deadline=5)
    assert both.fetch(server.url(f"/to?{other_server.url('/feed.xml')}")).body == FEED
    assert other_server.paths == ["/feed.xml"]
