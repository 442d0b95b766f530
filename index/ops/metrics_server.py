"""An optional HTTP endpoint for operators: ``/metrics`` (Prometheus text) and ``/healthz``.

A :class:`http.server.ThreadingHTTPServer` in a daemon thread. It binds to
127.0.0.1 by default and refuses any non-loopback address unless ``allow_remote=True``: the
metrics say how busy each guild is, which is nobody else's business (put a reverse proxy with
authentication in front if a remote Prometheus must scrape it).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from prometheus_client import CollectorRegistry

from index.errors import NewsIndexError
from index.ops.metrics import CONTENT_TYPE, exposition

log = logging.getLogger(__name__)

# A health check returns (healthy, one-line detail).
HealthCheck = Callable[[], tuple[bool, str]]


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addrs = {str(info[4][0]) for info in infos}
    return bool(addrs) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs)


def db_health(path: Path | str) -> HealthCheck:
    """A check that opens the database read-only and reads its change counter (no writes)."""

    def check() -> tuple[bool, str]:
        from index.store.store import IndexStore

        try:
            store = IndexStore.open(path, readonly=True)
        except NewsIndexError as e:
            return False, f"database unreachable: {e}"
        try:
            store.data_version()
        except Exception as e:  # a locked or damaged file: report, never raise into the server
            return False, f"database unreachable: {e}"
        finally:
            store.close()
        return True, "database ok"

    return check


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        server = self.server
        assert isinstance(server, _Server)
        if path == "/metrics":
            try:
                body = exposition(server.registry)
            except Exception:
                log.exception("rendering metrics failed")
                self._send(500, b"metrics unavailable\n")
                return
            self._send(200, body, CONTENT_TYPE)
        elif path == "/healthz":
            ok, detail = True, ""
            if server.health is not None:
                try:
                    ok, detail = server.health()
                except Exception as e:
                    ok, detail = False, f"health check failed: {e}"
            text = ("ok" if ok else "unhealthy") + (f"\n{detail}" if detail else "") + "\n"
            self._send(200 if ok else 503, text.encode())
        else:
            self._send(404, b"not found: try /metrics or /healthz\n")

    def _send(self, status: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("metrics http: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    registry: CollectorRegistry
    health: HealthCheck | None


class MetricsServer:
    """Serves a registry over HTTP until :meth:`stop`. ``port=0`` picks a free port (tests)."""

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        host: str = "127.0.0.1",
        port: int = 9464,
        health: HealthCheck | None = None,
        allow_remote: bool = False,
    ) -> None:
        if not allow_remote and not is_loopback(host):
            raise NewsIndexError.keyed("metrics_not_loopback", host=host)
        if not 0 <= port <= 65535:
            raise NewsIndexError.keyed("metrics_port_range", port=port)
        self.registry = registry
        self.host = host
        self.port = port
        self.health = health
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> tuple[str, int]:
        """Bind and serve in a daemon thread; returns the (host, port) actually bound."""
        if self._server is not None:
            raise RuntimeError("the metrics server is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server_cls = type("_BoundServer", (_Server,), {"address_family": family})
        try:
            server = server_cls((self.host, self.port), _Handler)
        except OSError as e:
            raise NewsIndexError.keyed(
                "metrics_bind_failed", host=self.host, port=self.port, error=e.strerror
            ) from e
        server.registry = self.registry
        server.health = self.health
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
            name="kiji-metrics",
        )  # fmt: skip
        self._thread.start()
        host, port = server.server_address[:2]
        log.info("metrics on http://%s:%d/metrics", host, port)
        return str(host), int(port)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the metrics server is not running")
        host, port = self._server.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving and release the port; stopping twice is safe."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
