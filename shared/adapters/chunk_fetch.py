"""One bad symbol stays one bad symbol: how a failed request for a chunk of symbols is isolated.

A planned request that fails is split in halves, each asked once (no retries: the planned
request had those), and a failing half is split again, down to the symbols at fault. Only
planned requests count towards the circuit breaker: the halves that isolate one bad symbol fail
by design and must not open it for every other symbol. When both halves of a split fail for a
transient reason, the source is failing rather than a symbol: the chunk is given up at once,
and the breaker (counting planned requests) stops the run soon after.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from shared.adapters.resilience import CircuitBreaker, RetryableError
from shared.errors import MarketDataError

#: One request for a chunk: its bar rows (Alpaca's dicts); ``planned`` is False for the halves.
Request = Callable[[list[str], bool], list[dict[str, Any]]]
#: Keeps what a request answered (its chunk, whether planned, its rows), as soon as it answers.
Keep = Callable[[list[str], bool, list[dict[str, Any]]], None]
_OPEN = "not fetched: circuit open after repeated failures"


@dataclass
class ChunkOutcome:
    """What a chunk's requests got: how many answered (their bars went to ``Keep``), failed
    symbols (and why), unknown symbols."""

    answered: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    def absorb(self, other: "ChunkOutcome") -> None:
        self.answered += other.answered
        self.failed.update(other.failed)
        self.unknown.extend(other.unknown)


class ChunkFetch:
    """Fetches chunks through ``request``, isolating failures, under one circuit breaker."""

    def __init__(
        self,
        request: Request,
        breaker: CircuitBreaker,
        keep: Keep,
        refused: type[MarketDataError],
        fatal: type[MarketDataError],
    ) -> None:
        self._request = request
        self._breaker = breaker
        self._keep = keep
        self._refused = refused  # a 4xx for the chunk: a symbol the source will not serve
        self._fatal = fatal  # no request of the run can succeed (rejected keys): raised

    def _once(self, chunk: list[str], planned: bool) -> ChunkOutcome | Exception:
        """One request: its outcome, or the error that failed it (a refusal or a transient one)."""
        try:
            rows = self._request(chunk, planned)
        except (RetryableError, self._refused) as error:
            if isinstance(error, self._fatal):
                raise
            return error
        try:
            seen = {row["S"] for row in rows}
            self._keep(chunk, planned, rows)
        except (KeyError, TypeError, ValueError) as error:  # JSON, but not bars: the chunk failed
            return RetryableError(f"malformed bars: {type(error).__name__}: {error}")
        return ChunkOutcome(answered=1, unknown=[symbol for symbol in chunk if symbol not in seen])

    def fetch(self, chunk: list[str]) -> ChunkOutcome:
        """A planned request for ``chunk``, isolated into halves if it fails."""
        if self._breaker.is_open:
            return ChunkOutcome(failed=dict.fromkeys(chunk, _OPEN))
        result = self._once(chunk, True)
        if isinstance(result, ChunkOutcome):
            self._breaker.record(ok=True)
            return result
        self._breaker.record(ok=False)
        outcome = self._isolate(chunk, result)
        if outcome.answered:
            self._breaker.record(ok=True)  # the source answers: a symbol was the trouble
        return outcome

    def _given_up(self, chunk: list[str], error: Exception) -> ChunkOutcome:
        if isinstance(error, self._refused):
            return ChunkOutcome(unknown=list(chunk))
        return ChunkOutcome(failed=dict.fromkeys(chunk, str(error)))

    def _isolate(self, chunk: list[str], error: Exception) -> ChunkOutcome:
        """The outcome of a failed chunk, found by asking its halves (and theirs) once each."""
        if len(chunk) < 2 or self._breaker.is_open:
            return self._given_up(chunk, error)
        middle = len(chunk) // 2
        halves = [chunk[:middle], chunk[middle:]]
        results = [self._once(half, False) for half in halves]
        if all(isinstance(result, RetryableError) for result in results):
            return self._given_up(chunk, error)  # the source is failing, not one symbol
        outcome = ChunkOutcome()
        for half, result in zip(halves, results):
            outcome.absorb(result if isinstance(result, ChunkOutcome) else self._isolate(half, result))
        return outcome
