"""An SSRF-safe HTTP fetcher for feeds and article pages.

Only http(s) to public addresses: every address a name resolves to is checked, and the
connection goes to the checked address (no second lookup to rebind). Redirects are followed by
hand and checked the same way; responses are bounded in size and time, and conditional requests
(ETag, Last-Modified) are supported.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from index.errors import FeedError
from index.ingest.limits import FETCH_DEADLINE_ENV, fetch_deadline
from index.messages import Msg

log = logging.getLogger(__name__)

USER_AGENT = "kiji-feed-poller/0.1 (+https://github.com/kiji)"
TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
MAX_URL_CHARS = 2048
# Named in every refusal of a private address: the setting that allows intranet feeds.
ALLOW_PRIVATE_ENV = "KIJI_FEEDS_ALLOW_PRIVATE"
PRIVATE_HINT = Msg("feed_private_hint", {"setting": ALLOW_PRIVATE_ENV})


# ------------------------------------------------------------------------------------ deadline
# One deadline covers a whole fetch (connect, TLS, request, headers, body, redirects): a server
# that dribbles a byte a second never holds a poll. Every socket read or write re-arms its
# timeout to what is left, so the deadline holds however the bytes are spread.
_deadline = threading.local()


def _budget() -> float | None:
    """Seconds the next socket operation may block (None: no fetch deadline in this thread)."""
    end: float | None = getattr(_deadline, "end", None)
    if end is None:
        return None
    left = end - time.monotonic()
    if left <= 0:
        raise TimeoutError("the fetch deadline has passed")
    return min(left, _deadline.op)


class _DeadlineSocket(socket.socket):
    def recv_into(self, buffer, nbytes: int = 0, flags: int = 0) -> int:  # type: ignore[override]
        budget = _budget()
        if budget is not None:
            self.settimeout(budget)
        return super().recv_into(buffer, nbytes, flags)

    def sendall(self, data, flags: int = 0) -> None:  # type: ignore[override]
        budget = _budget()
        if budget is not None:
            self.settimeout(budget)
        return super().sendall(data, flags)


class _DeadlineSSLSocket(ssl.SSLSocket):
    def recv_into(self, buffer, nbytes=None, flags: int = 0) -> int:  # type: ignore[override]
        budget = _budget()
        if budget is not None:
            self.settimeout(budget)
        return super().recv_into(buffer, nbytes, flags)  # type: ignore[arg-type]

    def sendall(self, data, flags: int = 0) -> None:  # type: ignore[override]
        budget = _budget()
        if budget is not None:
            self.settimeout(budget)
        return super().sendall(data, flags)


# ------------------------------------------------------------------------------------ fetching
@dataclass(frozen=True)
class FetchResult:
    url: str  # the final URL, after redirects
    status: int  # 200, or 304 when the conditional GET found nothing new
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = ""


def check_url(url: str) -> str:
    """Return ``url`` stripped (without its fragment) if it is an http(s) URL with a host.

    :raises FeedError: naming what is wrong with it.
    """
    url = url.strip()
    if not url:
        raise FeedError.keyed("url_empty")
    if len(url) > MAX_URL_CHARS:
        raise FeedError.keyed("url_too_long", n=MAX_URL_CHARS)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as e:
        raise FeedError.keyed("url_invalid", url=repr(url), problem=e) from e
    if parts.scheme.lower() not in {"http", "https"}:
        if parts.scheme:
            raise FeedError.keyed("url_scheme", scheme=f"{parts.scheme}://", url=repr(url))
        raise FeedError.keyed("url_no_scheme", url=repr(url))
    if not parts.hostname:
        raise FeedError.keyed("url_no_host", url=repr(url))
    if any(c.isspace() for c in url):
        raise FeedError.keyed("url_spaces", url=repr(url))
    return url.split("#", 1)[0]


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast IP address (not private, loopback, link-local …)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def literal_private_host(url: str) -> str | None:
    """The host of ``url`` if it is private without a DNS lookup: ``localhost`` or a private,
    loopback or link-local IP literal. None otherwise (names are checked when connecting)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return host
    try:
        return None if is_public_address(host) else host
    except ValueError:  # a name, not an address
        return None


def check_destination(
    url: str, *, allow_private: bool, allow_addresses: frozenset[str] = frozenset()
) -> None:
    """Refuse, before any fetch, a URL whose host is plainly private (see
    :func:`literal_private_host`) unless private addresses, or that one, are allowed.

    :raises FeedError: naming the host and ``KIJI_FEEDS_ALLOW_PRIVATE``.
    """
    host = None if allow_private else literal_private_host(url)
    if host is not None and host not in allow_addresses:
        raise FeedError.keyed("feed_private_refused", url=url, host=host, setting=ALLOW_PRIVATE_ENV)


class Fetcher:
    """HTTP(S) GET with the standard library only: timeouts, a size limit, no private addresses.

    Every connection (redirects included) resolves the host and connects only to a checked
    address, so a name cannot be rebound to an internal one between the check and the connect
    (server-side request forgery). Proxies from the environment are not used.

    :param allow_private: allow loopback/private/link-local addresses (tests, intranet feeds).
    :param allow_addresses: these addresses only are allowed although private (one intranet
        host; tests). A redirect to any other private address is still refused.
    :param deadline: seconds one whole fetch may take, redirects included (default:
        ``KIJI_FETCH_DEADLINE``, else 30); ``timeout`` bounds each single socket operation.
    """

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT_SECONDS,
        max_bytes: int = MAX_RESPONSE_BYTES,
        allow_private: bool = False,
        user_agent: str = USER_AGENT,
        allow_addresses: frozenset[str] = frozenset(),
        deadline: float | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        self.allow_addresses = allow_addresses
        self.user_agent = user_agent
        self.deadline = fetch_deadline() if deadline is None else deadline
        tls = ssl.create_default_context()
        tls.sslsocket_class = _DeadlineSSLSocket
        connect = self._connect

        class _HTTPConnection(http.client.HTTPConnection):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                self._create_connection = connect

        class _HTTPSConnection(http.client.HTTPSConnection):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                self._create_connection = connect

        class _HTTPHandler(urllib.request.HTTPHandler):
            def http_open(self, req):
                return self.do_open(_HTTPConnection, req)

        class _HTTPSHandler(urllib.request.HTTPSHandler):
            def https_open(self, req):
                return self.do_open(_HTTPSConnection, req, context=getattr(self, "_context", None))

        class _Redirects(urllib.request.HTTPRedirectHandler):
            max_redirections = MAX_REDIRECTS

        # Built by hand rather than build_opener(): no file://, ftp://, data: or proxy handlers.
        self._opener = urllib.request.OpenerDirector()
        for handler in (
            _HTTPHandler(),
            _HTTPSHandler(context=tls),
            _Redirects(),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPErrorProcessor(),
        ):
            self._opener.add_handler(handler)

    def _connect(self, address, timeout=None, source_address=None, **kwargs) -> socket.socket:
        host, port = address[0], address[1]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as e:
            raise FeedError.keyed("fetch_unresolved", host=host, error=e.strerror) from e
        last: OSError | None = None
        for family, socktype, proto, _, sockaddr in infos:
            ip = str(sockaddr[0])
            if (
                not self.allow_private
                and ip not in self.allow_addresses
                and not is_public_address(ip)
            ):
                raise FeedError.keyed("fetch_private_address", host=host, ip=ip, hint=PRIVATE_HINT)
            sock = _DeadlineSocket(family, socktype, proto)
            try:
                budget = _budget()
                op = timeout if timeout is not None else self.timeout
                sock.settimeout(op if budget is None else min(op, budget))
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as e:
                sock.close()
                last = e
        raise last or OSError(f"no address for {host}")

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url``; a 304 answer to the conditional headers gives ``status=304`` and no body.

        :raises FeedError: bad URL, refused address, network error, HTTP error, timeout, too large.
        """
        url = check_url(url)
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "identity"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        request = urllib.request.Request(url, headers=headers)
        started = time.monotonic()
        _deadline.end, _deadline.op = started + self.deadline, self.timeout
        try:
            return self._fetch(request, url, etag, last_modified, started)
        except FeedError:
            raise
        except (TimeoutError, urllib.error.URLError, OSError) as e:
            if time.monotonic() - started < self.deadline:
                raise FeedError.keyed("fetch_failed", url=url, error=e) from e
            deadline, setting = self.deadline, FETCH_DEADLINE_ENV
            raise FeedError.keyed(
                "fetch_deadline", url=url, seconds=deadline, setting=setting
            ) from e
        finally:
            _deadline.end = None

    def _fetch(
        self,
        request: urllib.request.Request,
        url: str,
        etag: str | None,
        last_modified: str | None,
        started: float,
    ) -> FetchResult:
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                length = response.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    n, limit = int(length), self.max_bytes
                    raise FeedError.keyed("fetch_too_large_declared", url=url, n=n, limit=limit)
                body = self._read(response, url, started)
                return FetchResult(
                    url=response.geturl(),
                    status=response.status,
                    body=body,
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                    content_type=response.headers.get("Content-Type", ""),
                )
        except urllib.error.HTTPError as e:
            e.close()
            if e.code == 304:
                return FetchResult(
                    url=url,
                    status=304,
                    body=b"",
                    etag=e.headers.get("ETag") or etag,
                    last_modified=e.headers.get("Last-Modified") or last_modified,
                )
            raise FeedError.keyed("fetch_http", url=url, code=e.code, reason=e.reason) from e
        except FeedError:
            raise
        except urllib.error.URLError as e:
            reason = e.reason
            if isinstance(reason, FeedError):
                raise reason from e
            if time.monotonic() - started >= self.deadline:
                raise
            raise FeedError.keyed("fetch_failed", url=url, error=reason) from e
        except TimeoutError as e:
            if time.monotonic() - started >= self.deadline:
                raise
            raise FeedError.keyed("fetch_timeout", url=url, seconds=self.timeout) from e
        except (OSError, http.client.HTTPException, ValueError) as e:
            raise FeedError.keyed("fetch_failed", url=url, error=e) from e

    def _read(self, response, url: str, started: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = response.read(64 * 1024)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self.max_bytes:
                raise FeedError.keyed("fetch_too_large", url=url, limit=self.max_bytes)
            if time.monotonic() - started > self.deadline:
                raise TimeoutError("the fetch deadline has passed")
            chunks.append(chunk)
