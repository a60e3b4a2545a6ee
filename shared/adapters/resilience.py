"""Client-side resilience for HTTP APIs: a token bucket, one retry policy and a circuit breaker.

All three are thread-safe and take their clock and sleep as arguments, so tests run them on a
fake clock without waiting.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], None]

#: The longest a single wait may last, whatever a server asks for.
MAX_WAIT_SECONDS = 60.0


class TokenBucket:
    """At most ``per_minute`` acquisitions a minute on average, with a small burst.

    The burst is kept small (``burst`` tokens) so that no 60-second window can hold more than
    ``per_minute + burst`` calls; keep ``per_minute`` that far below the server's own limit.
    """

    def __init__(self, per_minute: int, burst: int = 10, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.rate = per_minute / 60.0
        self.capacity = float(max(1, min(burst, per_minute)))
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is free; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0
            # A negative balance is a reservation: this caller waits until it is paid back.
            wait = max(0.0, -self._tokens / self.rate)
        if wait:
            self._sleep(wait)
        return wait


class RetryableError(Exception):
    """A transient failure worth another try; ``wait_hint`` is what the server asked for, if anything."""

    def __init__(self, message: str, *, wait_hint: float | None = None) -> None:
        super().__init__(message)
        self.wait_hint = wait_hint


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, honouring the server's hint when it gives one."""

    retries: int = 4
    base_seconds: float = 0.5
    max_seconds: float = 30.0
    sleep: Sleep = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, hint: float | None) -> float:
        """The wait before retry number ``attempt`` (0-based)."""
        if hint is not None and hint >= 0:
            return min(hint, MAX_WAIT_SECONDS)
        return self.rng.uniform(0, min(self.max_seconds, self.base_seconds * (2**attempt)))

    def run(self, call: Callable[[], T], on_retry: Callable[[RetryableError, float], None] | None = None) -> T:
        """``call()`` until it succeeds, raises a non-retryable error, or the retries run out."""
        attempt = 0
        while True:
            try:
                return call()
            except RetryableError as error:
                if attempt >= self.retries:
                    raise
                wait = self.delay(attempt, error.wait_hint)
                if on_retry is not None:
                    on_retry(error, wait)
                self.sleep(wait)
                attempt += 1


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures and stays open for the rest of the run."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._failures = 0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        """Whether calls should stop."""
        with self._lock:
            return self._failures >= self.threshold

    def trip(self) -> None:
        """Open at once (a failure that no retry can fix, such as rejected credentials)."""
        with self._lock:
            self._failures = max(self._failures, self.threshold)

    def record(self, ok: bool) -> None:
        """Count one call's outcome: a success closes the streak, a failure extends it."""
        with self._lock:
            self._failures = 0 if ok else self._failures + 1


class RequestStats:
    """Counters for a run's manifest, shared by threads."""

    FIELDS = ("requests", "retries", "rate_limited", "bytes", "pages", "errors", "wait_s")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, float] = dict.fromkeys(self.FIELDS, 0)

    def add(self, **counts: float) -> None:
        """Add to the named counters."""
        with self._lock:
            for name, value in counts.items():
                self._values[name] = self._values.get(name, 0) + value

    def snapshot(self) -> dict[str, float]:
        """The counters now, floats rounded to milliseconds."""
        with self._lock:
            return {name: round(value, 3) if isinstance(value, float) else value for name, value in self._values.items()}
