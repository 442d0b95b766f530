"""Token-bucket rate limits, driven by a fake clock (no sleeping, no timing assertions)."""

from __future__ import annotations

import threading

import pytest

from index.ops.ratelimit import PRUNE_EVERY, RateLimiter, check_all


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_burst_then_refusal_with_retry_after() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 60, clock=clock)  # 3 a minute: one token every 20 s
    assert [limiter.check("u1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.check("u1") == pytest.approx(20.0)
    clock.advance(5)
    assert limiter.check("u1") == pytest.approx(15.0)  # a refusal consumes nothing
    clock.advance(15)
    assert limiter.check("u1") == 0.0
    assert limiter.check("u1") == pytest.approx(20.0)


def test_keys_are_independent() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 10, clock=clock)
    assert limiter.check(("guild", 1)) == 0.0
    assert limiter.check(("guild", 2)) == 0.0
    assert limiter.check(("guild", 1)) == pytest.approx(10.0)


def test_refill_is_capped_at_the_burst_size() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, 3600, clock=clock)  # feed additions: 10 per guild per hour
    for _ in range(10):
        assert limiter.check(7) == 0.0
    assert limiter.check(7) == pytest.approx(360.0)
    clock.advance(86_400)  # a day later: 10 again, not 240
    assert [limiter.check(7) for _ in range(11)][-2:] == [0.0, pytest.approx(360.0)]


def test_retry_after_peeks_refund_and_reset() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 10, clock=clock)
    assert limiter.retry_after("k") == 0.0
    limiter.check("k")
    limiter.check("k")
    assert limiter.retry_after("k") == pytest.approx(5.0)
    assert limiter.retry_after("k") == pytest.approx(5.0)  # peeking took nothing
    limiter.refund("k")
    assert limiter.check("k") == 0.0
    limiter.reset("k")
    assert limiter.check("k") == 0.0 and limiter.check("k") == 0.0


def test_clock_going_backwards_never_adds_tokens() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 10, clock=clock)
    limiter.check("k")
    clock.advance(-100)
    assert limiter.check("k") > 0


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0, 10)
    with pytest.raises(ValueError):
        RateLimiter(1, 0)
    with pytest.raises(ValueError):
        RateLimiter(2, 10).check("k", cost=3)


def test_full_buckets_are_pruned() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, 10, clock=clock)
    for i in range(PRUNE_EVERY - 1):
        limiter.check(i)
    assert len(limiter) == PRUNE_EVERY - 1
    clock.advance(60)  # every bucket has refilled
    limiter.check("last")  # the PRUNE_EVERY-th check sweeps
    assert len(limiter) == 1


def test_check_all_takes_from_every_limit_or_none() -> None:
    clock = FakeClock()
    per_user = RateLimiter(2, 60, clock=clock)
    per_guild = RateLimiter(3, 60, clock=clock)
    assert check_all([(per_user, "alice"), (per_guild, "g")]) == 0.0
    assert check_all([(per_user, "alice"), (per_guild, "g")]) == 0.0
    assert check_all([(per_user, "alice"), (per_guild, "g")]) == pytest.approx(30.0)
    # Alice was refused by her own limit without spending a guild token: Bob gets the last one.
    assert check_all([(per_user, "bob"), (per_guild, "g")]) == 0.0
    assert check_all([(per_user, "carol"), (per_guild, "g")]) == pytest.approx(20.0)
    assert per_user.retry_after("carol") == 0.0  # carol kept her token
    assert check_all([]) == 0.0


def test_exact_under_threads() -> None:
    limiter = RateLimiter(500, 3600, clock=FakeClock())  # the clock never moves: exactly 500 pass
    passed = []

    def work() -> None:
        n = sum(1 for _ in range(200) if limiter.check("hot") == 0.0)
        passed.append(n)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(passed) == 500
