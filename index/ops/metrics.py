"""Operational metrics, on ``prometheus-client``: the counters and histograms kiji records.

:class:`KijiMetrics` declares kiji's metrics (questions by status, answer latency, ingest
outcomes, feed poll errors, digest posts, which process-wide jobs run here) on a :class:`~prometheus_client.CollectorRegistry`
passed in, so tests and several bots in one process never share counts by accident.
:data:`default_registry` is for the one-process case (it is not the library's global registry:
no process or GC metrics); nothing records into it implicitly. :func:`exposition` renders a
registry in the Prometheus text format 0.0.4.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # what generate_latest writes

# One series per metric: no ``*_created`` timestamps beside the counters (process-wide switch).
prometheus_client.disable_created_metrics()

default_registry = CollectorRegistry()

QUESTION_STATUSES = ("answered", "not_found", "invalid", "rate_limited", "error")
INGEST_OUTCOMES = ("added", "updated", "unchanged", "rejected")


def exposition(registry: CollectorRegistry) -> bytes:
    """Every metric of ``registry`` in the Prometheus text format 0.0.4 (:data:`CONTENT_TYPE`)."""
    return prometheus_client.generate_latest(registry)


class KijiMetrics:
    """The metrics kiji records, declared on ``registry`` (default: :data:`default_registry`)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else default_registry
        r = self.registry
        self.questions = Counter(
            "kiji_questions_total", "Questions answered, by outcome.", ["status"], registry=r
        )
        # The client's default buckets, in seconds: an answer takes ~5-50 ms; the top ones
        # catch stalls.
        self.answer_seconds = Histogram(
            "kiji_answer_seconds",
            "Time to compose an answer (search + excerpts), seconds.",
            registry=r,
        )
        self.ingested = Counter(
            "kiji_ingest_articles_total",
            "Articles seen by ingestion, by outcome.",
            ["outcome"],
            registry=r,
        )
        self.feed_poll_errors = Counter(
            "kiji_feed_poll_errors_total",
            "Feed polls that failed (network, HTTP or parse).",
            registry=r,
        )
        self.digest_posts = Counter(
            "kiji_digest_posts_total",
            "Digest posts to Discord channels, by result.",
            ["result"],
            registry=r,
        )
        self.leader = Gauge(
            "kiji_leader",
            "1 while this process runs the job (the digest scheduler, the feed poller).",
            ["job"],
            registry=r,
        )
        # Every label value shows as 0 before its first increment (rates need the zero).
        for status in QUESTION_STATUSES:
            self.questions.labels(status=status)
        for outcome in INGEST_OUTCOMES:
            self.ingested.labels(outcome=outcome)
        for result in ("ok", "failed"):
            self.digest_posts.labels(result=result)

    def value(self, sample: str, **labels: str) -> float:
        """A sample's current value, 0 when absent: ``value("kiji_questions_total",
        status="answered")``, ``value("kiji_answer_seconds_count")``."""
        return self.registry.get_sample_value(sample, labels) or 0.0

    def record_answer(self, status: str, seconds: float | None = None) -> None:
        """Count one question; ``seconds`` (the answer's latency) goes into the histogram."""
        self.questions.labels(status=status).inc()
        if seconds is not None:
            self.answer_seconds.observe(seconds)

    def record_ingest(self, report: object) -> None:
        """Add an :class:`~index.models.IngestReport`'s counts."""
        for outcome in ("added", "updated", "unchanged"):
            n = int(getattr(report, outcome, 0))
            if n:
                self.ingested.labels(outcome=outcome).inc(n)
        rejected = len(getattr(report, "rejected", ()))
        if rejected:
            self.ingested.labels(outcome="rejected").inc(rejected)

    def record_feed_error(self) -> None:
        self.feed_poll_errors.inc()

    def record_feed_poll(self, results: Iterable[object]) -> None:
        """Count :class:`~index.ingest.feeds.PollResult` s: failed polls and the articles' outcomes."""
        for r in results:
            if getattr(r, "status", "") == "error":
                self.feed_poll_errors.inc()
            pairs = (("new", "added"), ("updated", "updated"), ("unchanged", "unchanged"),
                     ("rejected", "rejected"))  # fmt: skip
            for attr, outcome in pairs:
                n = int(getattr(r, attr, 0) or 0)
                if n:
                    self.ingested.labels(outcome=outcome).inc(n)

    def record_digest_post(self, ok: bool) -> None:
        self.digest_posts.labels(result="ok" if ok else "failed").inc()

    def set_leader(self, job: str, held: bool) -> None:
        """Whether this process runs ``job`` now (its leadership, or the SQLite rule)."""
        self.leader.labels(job=job).set(1 if held else 0)

    def not_found_rate(self) -> float:
        """not_found / (answered + not_found); NaN before any answerable question was counted.

        In PromQL: ``sum(rate(kiji_questions_total{status="not_found"}[1h])) /
        sum(rate(kiji_questions_total{status=~"answered|not_found"}[1h]))``.
        """
        nf = self.value("kiji_questions_total", status="not_found")
        total = nf + self.value("kiji_questions_total", status="answered")
        return nf / total if total else math.nan
