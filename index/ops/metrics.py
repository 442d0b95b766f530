"""Operational metrics: thread-safe counters and histograms rendered as Prometheus text (0.0.4).

A :class:`Registry` holds the metrics; :class:`KijiMetrics` declares the ones kiji records
(questions by status, answer latency, ingest outcomes, feed poll errors, digest posts) on a
registry passed in, so tests and several bots in one process never share counts by accident.
:data:`default_registry` exists for the one-process case; nothing records into it implicitly.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Sequence

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Prometheus client defaults, in seconds: an answer takes ~5-50 ms; the top buckets catch stalls.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)

_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

LabelKey = tuple[str, ...]


def format_value(value: float) -> str:
    """A sample value as Prometheus writes it: ``+Inf``, ``-Inf``, ``NaN``, integers without ``.0``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels_text(names: Sequence[str], values: Sequence[str]) -> str:
    if not names:
        return ""
    inner = ",".join(f'{n}="{_escape_label(v)}"' for n, v in zip(names, values, strict=True))
    return "{" + inner + "}"


class _Metric:
    kind = ""

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = ()) -> None:
        if not _NAME_RE.match(name):
            raise ValueError(f"invalid metric name {name!r}")
        for label in labelnames:
            if not _LABEL_RE.match(label) or label.startswith("__") or label == "le":
                raise ValueError(f"invalid label name {label!r} for {name}")
        self.name = name
        self.help = help
        self.labelnames = tuple(labelnames)
        self._lock = threading.Lock()

    def _key(self, labels: dict[str, object]) -> LabelKey:
        if set(labels) != set(self.labelnames):
            raise ValueError(
                f"{self.name} takes labels {sorted(self.labelnames)}, got {sorted(labels)}"
            )
        return tuple(str(labels[n]) for n in self.labelnames)

    def samples(self) -> list[str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def render(self) -> str:
        head = f"# HELP {self.name} {_escape_help(self.help)}\n# TYPE {self.name} {self.kind}\n"
        return head + "".join(line + "\n" for line in self.samples())


class Counter(_Metric):
    """A monotonically increasing count per label combination."""

    kind = "counter"

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = ()) -> None:
        super().__init__(name, help, labelnames)
        self._values: dict[LabelKey, float] = {}
        if not self.labelnames:
            self._values[()] = 0.0

    def inc(self, amount: float = 1.0, **labels: object) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def declare(self, **labels: object) -> None:
        """Show this label combination as 0 before its first increment (rates need the zero)."""
        key = self._key(labels)
        with self._lock:
            self._values.setdefault(key, 0.0)

    def value(self, **labels: object) -> float:
        key = self._key(labels)
        with self._lock:
            return self._values.get(key, 0.0)

    def samples(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        return [
            f"{self.name}{_labels_text(self.labelnames, k)} {format_value(v)}" for k, v in items
        ]


class _HistogramState:
    __slots__ = ("count", "counts", "sum")

    def __init__(self, n: int) -> None:
        self.counts = [0] * n  # per bucket, not cumulative (+Inf is the last)
        self.sum = 0.0
        self.count = 0


class Histogram(_Metric):
    """Observations counted into cumulative ``le`` buckets, with their sum and count."""

    kind = "histogram"

    def __init__(
        self,
        name: str,
        help: str,
        labelnames: Sequence[str] = (),
        buckets: Iterable[float] = DEFAULT_BUCKETS,
    ) -> None:
        super().__init__(name, help, labelnames)
        bounds = sorted(float(b) for b in buckets if not math.isinf(b))
        if not bounds or len(set(bounds)) != len(bounds):
            raise ValueError(f"{name}: buckets must be distinct finite numbers")
        self.buckets = (*bounds, math.inf)
        self._states: dict[LabelKey, _HistogramState] = {}
        if not self.labelnames:
            self._states[()] = _HistogramState(len(self.buckets))

    def observe(self, value: float, **labels: object) -> None:
        key = self._key(labels)
        i = next(i for i, b in enumerate(self.buckets) if value <= b)
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = _HistogramState(len(self.buckets))
            state.counts[i] += 1
            state.sum += value
            state.count += 1

    def snapshot(self, **labels: object) -> tuple[tuple[int, ...], float, int]:
        """(cumulative bucket counts, sum, count) for one label combination."""
        key = self._key(labels)
        with self._lock:
            state = self._states.get(key) or _HistogramState(len(self.buckets))
            counts, total, n = list(state.counts), state.sum, state.count
        cumulative, running = [], 0
        for c in counts:
            running += c
            cumulative.append(running)
        return tuple(cumulative), total, n

    def samples(self) -> list[str]:
        with self._lock:
            keys = sorted(self._states)
        lines = []
        for key in keys:
            cumulative, total, n = self.snapshot(**dict(zip(self.labelnames, key, strict=True)))
            for bound, c in zip(self.buckets, cumulative, strict=True):
                labels = _labels_text((*self.labelnames, "le"), (*key, format_value(bound)))
                lines.append(f"{self.name}_bucket{labels} {c}")
            base = _labels_text(self.labelnames, key)
            lines.append(f"{self.name}_sum{base} {format_value(total)}")
            lines.append(f"{self.name}_count{base} {n}")
        return lines


class Registry:
    """A named set of metrics, rendered together. Thread-safe."""

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}
        self._lock = threading.Lock()

    def _add(self, metric: _Metric) -> _Metric:
        with self._lock:
            existing = self._metrics.get(metric.name)
            if existing is not None:
                if type(existing) is not type(metric) or existing.labelnames != metric.labelnames:
                    raise ValueError(f"metric {metric.name} is already registered differently")
                return existing
            self._metrics[metric.name] = metric
            return metric

    def counter(self, name: str, help: str, labelnames: Sequence[str] = ()) -> Counter:
        """The counter ``name``, created on first use (the same object on later calls)."""
        metric = self._add(Counter(name, help, labelnames))
        assert isinstance(metric, Counter)
        return metric

    def histogram(
        self,
        name: str,
        help: str,
        labelnames: Sequence[str] = (),
        buckets: Iterable[float] = DEFAULT_BUCKETS,
    ) -> Histogram:
        metric = self._add(Histogram(name, help, labelnames, buckets))
        assert isinstance(metric, Histogram)
        return metric

    def get(self, name: str) -> _Metric | None:
        with self._lock:
            return self._metrics.get(name)

    def render(self) -> str:
        """Every metric in the Prometheus text exposition format 0.0.4, sorted by name."""
        with self._lock:
            metrics = [self._metrics[n] for n in sorted(self._metrics)]
        return "".join(m.render() for m in metrics)


default_registry = Registry()

QUESTION_STATUSES = ("answered", "not_found", "invalid", "rate_limited", "error")
INGEST_OUTCOMES = ("added", "updated", "unchanged", "rejected")


class KijiMetrics:
    """The metrics kiji records, declared on ``registry`` (default: :data:`default_registry`)."""

    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry if registry is not None else default_registry
        r = self.registry
        self.questions = r.counter(
            "kiji_questions_total", "Questions answered, by outcome.", ("status",)
        )
        self.answer_seconds = r.histogram(
            "kiji_answer_seconds", "Time to compose an answer (search + excerpts), seconds."
        )
        self.ingested = r.counter(
            "kiji_ingest_articles_total", "Articles seen by ingestion, by outcome.", ("outcome",)
        )
        self.feed_poll_errors = r.counter(
            "kiji_feed_poll_errors_total", "Feed polls that failed (network, HTTP or parse)."
        )
        self.digest_posts = r.counter(
            "kiji_digest_posts_total", "Digest posts to Discord channels, by result.", ("result",)
        )
        for status in QUESTION_STATUSES:
            self.questions.declare(status=status)
        for outcome in INGEST_OUTCOMES:
            self.ingested.declare(outcome=outcome)
        for result in ("ok", "failed"):
            self.digest_posts.declare(result=result)

    def record_answer(self, status: str, seconds: float | None = None) -> None:
        """Count one question; ``seconds`` (the answer's latency) goes into the histogram."""
        self.questions.inc(status=status)
        if seconds is not None:
            self.answer_seconds.observe(seconds)

    def record_ingest(self, report: object) -> None:
        """Add an :class:`~index.models.IngestReport`'s counts."""
        for outcome in ("added", "updated", "unchanged"):
            n = int(getattr(report, outcome, 0))
            if n:
                self.ingested.inc(n, outcome=outcome)
        rejected = len(getattr(report, "rejected", ()))
        if rejected:
            self.ingested.inc(rejected, outcome="rejected")

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
                    self.ingested.inc(n, outcome=outcome)

    def record_digest_post(self, ok: bool) -> None:
        self.digest_posts.inc(result="ok" if ok else "failed")

    def not_found_rate(self) -> float:
        """not_found / (answered + not_found); NaN before any answerable question was counted.

        In PromQL: ``sum(rate(kiji_questions_total{status="not_found"}[1h])) /
        sum(rate(kiji_questions_total{status=~"answered|not_found"}[1h]))``.
        """
        nf = self.questions.value(status="not_found")
        total = nf + self.questions.value(status="answered")
        return nf / total if total else math.nan
