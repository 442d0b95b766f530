"""kiji's metrics (prometheus-client, text format 0.0.4) and the HTTP endpoint, over real HTTP on
127.0.0.1."""

from __future__ import annotations

import math
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from index.errors import NewsIndexError
from index.models import IngestReport, Rejection
from index.ops.metrics import CONTENT_TYPE, KijiMetrics, exposition
from index.ops.metrics_server import MetricsServer, db_health, is_loopback
from index.store.store import IndexStore


def test_exposition_is_prometheus_text_with_kiji_names_only() -> None:
    m = KijiMetrics(CollectorRegistry())
    for v in (0.05, 0.1, 0.3, 20.0):
        m.record_answer("answered", v)
    families = {f.name: f for f in text_string_to_metric_families(exposition(m.registry).decode())}
    assert sorted(families) == [  # counters are named without _total by the parser
        "kiji_answer_seconds",
        "kiji_digest_posts",
        "kiji_feed_poll_errors",
        "kiji_ingest_articles",
        "kiji_leader",  # a gauge per job: whether this process runs it
        "kiji_questions",
    ]
    assert [f.type for f in families.values()].count("counter") == 4
    text = exposition(m.registry).decode()
    assert "_created" not in text  # one series per metric
    assert "# TYPE kiji_answer_seconds histogram\n" in text
    assert 'kiji_answer_seconds_bucket{le="0.1"} 2.0\n' in text
    assert 'kiji_answer_seconds_bucket{le="+Inf"} 4.0\n' in text
    assert m.value("kiji_answer_seconds_sum") == pytest.approx(20.45)


def test_kiji_metrics_counts_and_not_found_rate() -> None:
    m = KijiMetrics(CollectorRegistry())
    assert math.isnan(m.not_found_rate())
    for status in ("answered", "answered", "answered", "not_found", "invalid"):
        m.record_answer(status, 0.02)
    assert m.not_found_rate() == 0.25  # invalid questions are not answerable ones
    report = IngestReport(added=3, updated=1, unchanged=5)
    report.rejected.append(Rejection("a.html", "no title"))
    m.record_ingest(report)
    m.record_feed_error()
    m.record_digest_post(True)
    m.record_digest_post(False)
    text = exposition(m.registry).decode()
    for line in (
        'kiji_questions_total{status="answered"} 3.0',
        'kiji_questions_total{status="rate_limited"} 0.0',  # declared up front
        'kiji_answer_seconds_bucket{le="0.025"} 5.0',
        "kiji_answer_seconds_count 5.0",
        'kiji_ingest_articles_total{outcome="added"} 3.0',
        'kiji_ingest_articles_total{outcome="rejected"} 1.0',
        'kiji_ingest_articles_total{outcome="unchanged"} 5.0',
        "kiji_feed_poll_errors_total 1.0",
        'kiji_digest_posts_total{result="failed"} 1.0',
        'kiji_digest_posts_total{result="ok"} 1.0',
    ):
        assert line + "\n" in text


def test_two_registries_do_not_share_counts() -> None:
    a, b = KijiMetrics(CollectorRegistry()), KijiMetrics(CollectorRegistry())
    a.record_answer("answered")
    assert b.value("kiji_questions_total", status="answered") == 0


def test_counters_are_exact_under_threads() -> None:
    m = KijiMetrics(CollectorRegistry())

    def work() -> None:
        for _ in range(2000):
            m.record_answer("answered", 0.001)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert m.value("kiji_questions_total", status="answered") == 16000
    assert m.value("kiji_answer_seconds_count") == 16000


# ---------------------------------------------------------------------------------- HTTP
def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers["Content-Type"], r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode()


def test_metrics_endpoint_serves_the_registry(tmp_path: Path) -> None:
    m = KijiMetrics(CollectorRegistry())
    m.record_answer("not_found", 0.2)
    db = tmp_path / "index.db"
    IndexStore.open(db).close()
    with MetricsServer(m.registry, port=0, health=db_health(db)) as server:
        status, ctype, body = _get(server.url + "/metrics")
        assert (status, ctype) == (200, CONTENT_TYPE)
        assert body == exposition(m.registry).decode()
        m.record_answer("answered", 0.01)  # live: the next scrape sees it
        assert 'kiji_questions_total{status="answered"} 1' in _get(server.url + "/metrics")[2]
        assert _get(server.url + "/healthz") == (
            200,
            "text/plain; charset=utf-8",
            "ok\ndatabase ok\n",
        )
        assert _get(server.url + "/nope")[0] == 404


def test_healthz_reports_an_unreachable_database(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite at all")
    with MetricsServer(CollectorRegistry(), port=0, health=db_health(tmp_path / "missing.db")) as s:
        status, _, body = _get(s.url + "/healthz")
        assert status == 503
        assert body.startswith("unhealthy\ndatabase unreachable: no database at")
    with MetricsServer(CollectorRegistry(), port=0, health=db_health(bad)) as s:
        status, _, body = _get(s.url + "/healthz")
        assert status == 503 and "not a SQLite database" in body


def test_stop_releases_the_port_and_is_idempotent() -> None:
    server = MetricsServer(CollectorRegistry(), port=0)
    host, port = server.start()
    assert host == "127.0.0.1" and port > 0
    with pytest.raises(RuntimeError):
        server.start()
    server.stop()
    server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)
    again = MetricsServer(CollectorRegistry(), port=port)  # the port is free again
    again.start()
    again.stop()


def test_refuses_non_loopback_addresses_unless_allowed() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
    for host in ("0.0.0.0", "192.168.1.10", "::"):
        with pytest.raises(NewsIndexError, match="not a loopback address"):
            MetricsServer(CollectorRegistry(), host=host, port=0)
    MetricsServer(
        CollectorRegistry(), host="0.0.0.0", port=0, allow_remote=True
    )  # constructed, not bound


def test_a_port_in_use_is_a_clear_error() -> None:
    with MetricsServer(CollectorRegistry(), port=0) as first:
        port = int(first.url.rsplit(":", 1)[1])
        with pytest.raises(NewsIndexError, match="KIJI_METRICS_PORT"):
            MetricsServer(CollectorRegistry(), port=port).start()
