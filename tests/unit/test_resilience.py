"""The token bucket, the retry policy, the breaker and the server's wait hints, on a fake clock."""
from __future__ import annotations

import random

import pytest

from shared.adapters.alpaca import wait_hint
from shared.adapters.resilience import CircuitBreaker, RetryableError, RetryPolicy, TokenBucket
from tests.fakes import FakeTime


def test_bucket_allows_the_burst_then_paces_at_the_rate() -> None:
    clock = FakeTime(start=0.0)
    bucket = TokenBucket(per_minute=60, burst=5, clock=clock.time, sleep=clock.sleep)
    for _ in range(5):
        assert bucket.acquire() == 0
    for _ in range(10):
        bucket.acquire()
    assert clock.now == pytest.approx(10.0)  # one a second after the burst


@pytest.mark.parametrize("per_minute", [1, 60, 180, 199])
def test_no_sixty_second_window_exceeds_the_budget_plus_burst(per_minute: int) -> None:
    clock = FakeTime(start=0.0)
    bucket = TokenBucket(per_minute=per_minute, burst=10, clock=clock.time, sleep=clock.sleep)
    stamps = []
    for _ in range(3 * per_minute):
        bucket.acquire()
        stamps.append(clock.now)
    worst = max(sum(1 for t in stamps if start <= t < start + 60) for start in stamps)
    assert worst <= per_minute + min(10, per_minute)


def test_retry_policy_backs_off_exponentially_with_jitter_and_gives_up() -> None:
    clock = FakeTime(start=0.0)
    policy = RetryPolicy(retries=3, base_seconds=1.0, sleep=clock.sleep, rng=random.Random(7))
    calls = []

    def always_failing() -> None:
        calls.append(1)
        raise RetryableError("503")

    with pytest.raises(RetryableError):
        policy.run(always_failing)
    assert len(calls) == 4
    assert all(0 <= wait <= 2**n for n, wait in enumerate(clock.sleeps)) and len(clock.sleeps) == 3


def test_retry_policy_honours_the_servers_hint() -> None:
    clock = FakeTime(start=0.0)
    policy = RetryPolicy(retries=2, base_seconds=1.0, sleep=clock.sleep)
    answers = iter([RetryableError("429", wait_hint=7.0), "ok"])

    def call() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert policy.run(call) == "ok"
    assert clock.sleeps == [7.0]


def test_retry_policy_does_not_retry_other_errors() -> None:
    policy = RetryPolicy(retries=5, sleep=lambda _s: None)
    calls = []

    def call() -> None:
        calls.append(1)
        raise ValueError("bad request")

    with pytest.raises(ValueError):
        policy.run(call)
    assert len(calls) == 1


def test_breaker_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(threshold=3)
    for ok in (False, False, True, False, False):
        breaker.record(ok)
    assert not breaker.is_open
    breaker.record(False)
    assert breaker.is_open


def test_breaker_trips_at_once() -> None:
    breaker = CircuitBreaker(threshold=5)
    breaker.trip()
    assert breaker.is_open


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "12"}, 12.0),
        ({"X-RateLimit-Reset": "1030"}, 30.0),
        ({"Retry-After": "5", "X-RateLimit-Reset": "1030"}, 30.0),
        ({"X-RateLimit-Reset": "900"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_wait_hint(headers: dict[str, str], expected: float | None) -> None:
    assert wait_hint(headers, now=1000.0) == expected
