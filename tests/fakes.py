"""Fakes that implement the project's ports, for tests that assert on resulting state."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

from shared.market_data import FetchResult, SimulatedMarketData


class RecordingMarketData:
    """Simulated bars that records every request and can fail chosen symbols transiently."""

    label = "fake"

    def __init__(self, failing: set[str] | None = None) -> None:
        self._sim = SimulatedMarketData()
        self.failing = set(failing or ())
        self.requests: list[tuple[tuple[str, ...], date, date]] = []

    def fetch_bars(self, symbols: Sequence[str], start: date, end: date) -> FetchResult:
        self.requests.append((tuple(symbols), start, end))
        healthy = [s for s in symbols if s not in self.failing]
        result = self._sim.fetch_bars(healthy, start, end)
        result.failed = {s: "HTTP 503 after retries" for s in symbols if s in self.failing}
        result.stats = {"requests": 1}
        return result


@dataclass
class LambdaContext:
    """The attributes of AWS Lambda's context object that Powertools reads."""

    function_name: str = "dipwatch-production"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:dipwatch-production"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
