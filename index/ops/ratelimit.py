"""Per-key rate limits (token buckets) with an injected clock: questions per user and per guild,
feed additions per guild.

A bucket holds up to ``rate`` tokens and refills continuously at ``rate / per_seconds`` tokens a
second, so ``RateLimiter(10, 3600)`` allows a burst of 10 and then one more every 6 minutes. A
refused check consumes nothing, so hammering a limit does not push the retry time back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence

Clock = Callable[[], float]
PRUNE_EVERY = 1024  # checks between sweeps of buckets that have refilled completely


class RateLimiter:
    """``rate`` events per ``per_seconds`` for each key. Thread-safe.

    :param clock: seconds from a monotonic source (``time.monotonic``; tests pass a fake).
    """

    def __init__(self, rate: int, per_seconds: float, *, clock: Clock = time.monotonic) -> None:
        if rate < 1:
            raise ValueError("rate must be at least 1")
        if per_seconds <= 0:
            raise ValueError("per_seconds must be positive")
        self.rate = rate
        self.per_seconds = float(per_seconds)
        self.clock = clock
        self._refill = rate / self.per_seconds  # tokens per second
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()
        self._checks = 0

    def _tokens(self, key: Hashable, now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.rate), now))
        return min(float(self.rate), tokens + max(0.0, now - at) * self._refill)

    def _wait(self, tokens: float, cost: float) -> float:
        return 0.0 if tokens >= cost else (cost - tokens) / self._refill

    def retry_after(self, key: Hashable, cost: float = 1.0) -> float:
        """Seconds until ``check(key)`` would pass (0 if it would now). Consumes nothing."""
        with self._lock:
            return self._wait(self._tokens(key, self.clock()), cost)

    def check(self, key: Hashable, cost: float = 1.0) -> float:
        """Take ``cost`` tokens from ``key``'s bucket: 0.0 when allowed, else the seconds to wait."""
        if cost > self.rate:
            raise ValueError(f"cost {cost} exceeds the bucket size {self.rate}")
        with self._lock:
            now = self.clock()
            tokens = self._tokens(key, now)
            wait = self._wait(tokens, cost)
            if wait == 0.0:
                self._buckets[key] = (tokens - cost, now)
            self._checks += 1
            if self._checks % PRUNE_EVERY == 0:
                self._prune(now)
            return wait

    def refund(self, key: Hashable, cost: float = 1.0) -> None:
        """Give back ``cost`` tokens taken by a check whose action did not happen."""
        with self._lock:
            now = self.clock()
            self._buckets[key] = (min(float(self.rate), self._tokens(key, now) + cost), now)

    def reset(self, key: Hashable) -> None:
        """Forget ``key`` (a moderator lifting a limit); its bucket starts full again."""
        with self._lock:
            self._buckets.pop(key, None)

    def _prune(self, now: float) -> None:
        full = [k for k in self._buckets if self._tokens(k, now) >= self.rate]
        for k in full:  # a full bucket is the same as no bucket: keep memory bounded
            del self._buckets[k]

    def __len__(self) -> int:
        return len(self._buckets)


def check_all(limits: Sequence[tuple[RateLimiter, Hashable]]) -> float:
    """Pass only if every ``(limiter, key)`` passes; then take a token from each.

    Returns 0.0, or the longest wait among the refusing limits (nothing consumed anywhere), so a
    user refused by the guild limit keeps their own tokens. If another thread empties a bucket
    between the look and the take, the tokens already taken are refunded.
    """
    waits = [limiter.retry_after(key) for limiter, key in limits]
    worst = max(waits, default=0.0)
    if worst > 0:
        return worst
    taken: list[tuple[RateLimiter, Hashable]] = []
    for limiter, key in limits:
        wait = limiter.check(key)
        if wait > 0:  # lost a race since the peek: give back what was taken
            for done_limiter, done_key in taken:
                done_limiter.refund(done_key)
            return wait
        taken.append((limiter, key))
    return 0.0
