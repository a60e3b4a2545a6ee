"""Alpaca's asset list (``GET /v2/assets``): the source of the built-in ``alpaca:us_equity`` universe.

One request on the trading host returns every active US equity (about 12,000 entries, a few MB);
``universe_from_assets`` keeps the ones dipwatch can rank. The request goes through the same
timeout, token bucket and retry policy as every other Alpaca call.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import pandas as pd

from shared.adapters.alpaca import AlpacaClient, AlpacaRequestError, Transport, burst_for
from shared.adapters.resilience import RetryableError, RetryPolicy, TokenBucket
from shared.adapters.universe import universe_from_assets
from shared.config import Settings
from shared.errors import MarketDataError


class AlpacaAssetList:
    """Reads Alpaca's list of active US equities."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._settings = settings
        self._sleep = sleep

    def active_us_equities(self) -> list[dict[str, Any]]:
        """The raw asset objects of ``GET /v2/assets?status=active&asset_class=us_equity``."""
        settings = self._settings
        per_minute = settings.alpaca_requests_per_minute
        transport = Transport(
            timeout=settings.alpaca_timeout_seconds,
            bucket=TokenBucket(per_minute, burst=burst_for(per_minute), sleep=self._sleep),
            policy=RetryPolicy(retries=settings.alpaca_retries, base_seconds=settings.alpaca_backoff_seconds, sleep=self._sleep),
        )
        client = AlpacaClient(settings, transport)
        try:
            assets = client.list_assets(status="active", asset_class="us_equity")
        except (RetryableError, AlpacaRequestError) as error:
            raise MarketDataError(f"Alpaca's asset list is unavailable: {error}") from error
        finally:
            client.close()
        if not isinstance(assets, list):
            raise MarketDataError(f"Alpaca's asset list is not a list: {type(assets).__name__}")
        return assets

    def universe(self, known: pd.DataFrame | None = None) -> pd.DataFrame:
        """The ``alpaca:us_equity`` universe (see ``universe_from_assets``)."""
        return universe_from_assets(self.active_us_equities(), known)
