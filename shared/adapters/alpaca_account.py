"""The user's Alpaca account, read-only (the Broker port), over alpaca-trade-api."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

import pandas as pd

from shared.adapters.alpaca import AlpacaClient, AlpacaRequestError, Transport
from shared.adapters.resilience import RetryableError, RetryPolicy, TokenBucket
from shared.config import Settings
from shared.errors import BrokerError
from shared.ports import POSITION_COLUMNS

_ACCOUNT_NUMBERS = (
    "cash",
    "equity",
    "last_equity",
    "buying_power",
    "portfolio_value",
    "long_market_value",
    "short_market_value",
    "daytrade_count",
)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class AlpacaBroker:
    """The user's Alpaca account, read-only. Every call has a timeout and our retry policy."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        transport = Transport(
            timeout=settings.alpaca_timeout_seconds,
            bucket=TokenBucket(settings.alpaca_requests_per_minute, sleep=sleep),
            policy=RetryPolicy(retries=min(settings.alpaca_retries, 2), base_seconds=settings.alpaca_backoff_seconds, sleep=sleep),
        )
        self._client = AlpacaClient(settings, transport)
        self._lock = threading.Lock()  # one Session, so one call at a time

    def _get(self, call: Callable[[], Any], what: str) -> Any:
        with self._lock:
            try:
                return call()
            except (RetryableError, AlpacaRequestError) as error:
                raise BrokerError(f"Alpaca {what} is unavailable: {error}") from error

    def account(self) -> dict[str, Any]:
        raw = self._get(self._client.get_account, "account")
        account = dict(raw)
        for name in _ACCOUNT_NUMBERS:
            if name in account:
                account[name] = _number(account[name])
        return account

    def positions(self) -> pd.DataFrame:
        raw = self._get(self._client.list_positions, "positions") or []
        frame = pd.DataFrame.from_records(raw).reindex(columns=POSITION_COLUMNS)
        numeric = [c for c in POSITION_COLUMNS if c not in ("symbol", "side")]
        return frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce").astype(float) for c in numeric})
