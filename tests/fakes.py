"""Fakes that implement the project's ports, for tests that assert on resulting state."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, Sequence

from shared.adapters.market_data import FetchResult, SimulatedMarketData


class RecordingMarketData:
    """Simulated bars that records every request and can fail chosen symbols transiently."""

    label = "fake"

    def __init__(self, failing: set[str] | None = None) -> None:
        self._sim = SimulatedMarketData()
        self.failing = set(failing or ())
        self.requests: list[tuple[tuple[str, ...], date, date]] = []

    def fetch_bars(self, symbols: Sequence[str], start: date, end: date, sent: Callable[[], None] | None = None) -> FetchResult:
        self.requests.append((tuple(symbols), start, end))
        healthy = [s for s in symbols if s not in self.failing]
        result = self._sim.fetch_bars(healthy, start, end, sent)
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


class FakeBroker:
    """A trading account in memory, implementing the Broker port."""

    def __init__(self, positions: list[dict] | None = None, account: dict | None = None) -> None:
        import pandas as pd

        from shared.ports import POSITION_COLUMNS

        self._positions = pd.DataFrame(positions or [], columns=POSITION_COLUMNS)
        self._account = account or {
            "status": "ACTIVE",
            "currency": "USD",
            "cash": 1200.5,
            "equity": 25000.0,
            "last_equity": 24500.0,
            "buying_power": 2401.0,
        }

    def account(self) -> dict:
        return dict(self._account)

    def positions(self):  # noqa: ANN201 - pandas frame
        return self._positions.copy()


class FakeTime:
    """A clock that only moves when somebody sleeps: backoff and rate limits cost no real time."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
