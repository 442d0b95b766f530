"""Metrics registry (Prometheus text 0.0.4) and the HTTP endpoint, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import math
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from index.errors import NewsIndexError
from index.models import IngestReport, Rejection
from index.ops.metrics import CONTENT_TYPE, Histogram, KijiMetrics, Registry, format_value
from index.ops.metrics_server import MetricsServer, db_health, is_loopback
from index.store.store import IndexStore


def test_counter_with_labels_renders_help_type_and_sorted_samples() -> None:
    reg = Registry()
    c = reg.counter("kiji_things_total", "Things.\nSecond line \\ here.", ("kind",))
    c.inc(kind="b")
    c.inc(2, kind="a")
    c.inc(kind='say "hi"\n')
    assert reg.render() == (
        "# HELP kiji_things_total Things.\\nSecond line \\\\ here.\n"
        "# TYPE kiji_things_total counter\n"
        'kiji_things_total{kind="a"} 2\n'
        'kiji_things_total{kind="b"} 1\n'
        'kiji_things_total{kind="say \\"hi\\"\\n"} 1\n'
    )


def test_unlabelled_counter_shows_zero_and_rejects_bad_use() -> None:
    reg = Registry()
    c = reg.counter("kiji_x_total", "X.")
    assert "kiji_x_total 0\n" in reg.render()
    with pytest.raises(ValueError):
        c.inc(-1)
    with pytest.raises(ValueError):
        c.inc(kind="a")
    with pytest.raises(ValueError):
        reg.counter("bad name", "no")
    assert reg.counter("kiji_x_total", "X.") is c  # same name, same metric
    with pytest.raises(ValueError):
        reg.histogram("kiji_x_total", "X.")


def test_histogram_buckets_are_cumulative_with_sum_and_count() -> None:
    reg = Registry()
    h = reg.histogram("kiji_latency_seconds", "Latency.", buckets=(0.1, 0.5, 1))
    for v in (0.05, 0.1, 0.3, 2.0):
        h.observe(v)
    assert h.snapshot() == ((2, 3, 3, 4), pytest.approx(2.45), 4)
    assert reg.render() == (
        "# HELP kiji_latency_seconds Latency.\n"
        "# TYPE kiji_latency_seconds histogram\n"
        'kiji_latency_seconds_bucket{le="0.1"} 2\n'
        'kiji_latency_seconds_bucket{le="0.5"} 3\n'
        'kiji_latency_seconds_bucket{le="1"} 3\n'
        'kiji_latency_seconds_bucket{le="+Inf"} 4\n'
        "kiji_latency_seconds_sum 2.45\n"
        "kiji_latency_seconds_count 4\n"
    )


def test_labelled_histogram_puts_le_last() -> None:
    h = Histogram("h", "H.", ("cmd",), buckets=(1,))
    h.observe(0.5, cmd="ask")
    assert h.samples() == [
        'h_bucket{cmd="ask",le="1"} 1',
        'h_bucket{cmd="ask",le="+Inf"} 1',
        'h_sum{cmd="ask"} 0.5',
        'h_count{cmd="ask"} 1',
    ]


def test_format_value() -> None:
    assert [format_value(v) for v in (1.0, 0.25, math.inf, -math.inf, math.nan)] == [
        "1",
        "0.25",
        "+Inf",
        "-Inf",
        "NaN",
    ]


def test_kiji_metrics_counts_and_not_found_rate() -> None:
    m = KijiMetrics(Registry())
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
    text = m.registry.render()
    for line in (
        'kiji_questions_total{status="answered"} 3',
        'kiji_questions_total{status="rate_limited"} 0',  # declared up front
        'kiji_answer_seconds_bucket{le="0.025"} 5',
        "kiji_answer_seconds_count 5",
        'kiji_ingest_articles_total{outcome="added"} 3',
        'kiji_ingest_articles_total{outcome="rejected"} 1',
        'kiji_ingest_articles_total{outcome="unchanged"} 5',
        "kiji_feed_poll_errors_total 1",
        'kiji_digest_posts_total{result="failed"} 1',
        'kiji_digest_posts_total{result="ok"} 1',
    ):
        assert line + "\n" in text


def test_two_registries_do_not_share_counts() -> None:
    a, b = KijiMetrics(Registry()), KijiMetrics(Registry())
    a.record_answer("answered")
    assert b.questions.value(status="answered") == 0


def test_counters_are_exact_under_threads() -> None:
    m = KijiMetrics(Registry())

    def work() -> None:
        for _ in range(2000):
            m.record_answer("answered", 0.001)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert m.questions.value(status="answered") == 16000
    assert m.answer_seconds.snapshot()[2] == 16000


# ---------------------------------------------------------------------------------- HTTP
def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers["Content-Type"], r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode()


def test_metrics_endpoint_serves_the_registry(tmp_path: Path) -> None:
    m = KijiMetrics(Registry())
    m.record_answer("not_found", 0.2)
    db = tmp_path / "index.db"
    IndexStore.open(db).close()
    with MetricsServer(m.registry, port=0, health=db_health(db)) as server:
        status, ctype, body = _get(server.url + "/metrics")
        assert (status, ctype) == (200, CONTENT_TYPE)
        assert body == m.registry.render()
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
    with MetricsServer(Registry(), port=0, health=db_health(tmp_path / "missing.db")) as s:
        status, _, body = _get(s.url + "/healthz")
        assert status == 503
        assert body.startswith("unhealthy\ndatabase unreachable: no database at")
    with MetricsServer(Registry(), port=0, health=db_health(bad)) as s:
        status, _, body = _get(s.url + "/healthz")
        assert status == 503 and "not a SQLite database" in body


def test_stop_releases_the_port_and_is_idempotent() -> None:
    server = MetricsServer(Registry(), port=0)
    host, port = server.start()
    assert host == "127.0.0.1" and port > 0
    with pytest.raises(RuntimeError):
        server.start()
    server.stop()
    server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)
    again = MetricsServer(Registry(), port=port)  # the port is free again
    again.start()
    again.stop()


def test_refuses_non_loopback_addresses_unless_allowed() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
    for host in ("0.0.0.0", "192.168.1.10", "::"):
        with pytest.raises(NewsIndexError, match="not a loopback address"):
            MetricsServer(Registry(), host=host, port=0)
    MetricsServer(Registry(), host="0.0.0.0", port=0, allow_remote=True)  # constructed, not bound


def test_a_port_in_use_is_a_clear_error() -> None:
    with MetricsServer(Registry(), port=0) as first:
        port = int(first.url.rsplit(":", 1)[1])
        with pytest.raises(NewsIndexError, match="KIJI_METRICS_PORT"):
            MetricsServer(Registry(), port=port).start()
