"""Alpaca adapters (market data and the read-only trading account), behind our own interfaces.

Placeholder until the Alpaca issue lands: both fail with a clear message.
"""
from __future__ import annotations

from shared.config import Settings
from shared.errors import ConfigError


class AlpacaMarketData:
    """Alpaca daily bars (not implemented yet)."""

    label = "alpaca"

    @classmethod
    def from_settings(cls, settings: Settings) -> "AlpacaMarketData":
        raise ConfigError("DIPWATCH_MARKET_DATA=alpaca is not available yet; use sim or csv:PATH")


class AlpacaBroker:
    """Alpaca trading account (not implemented yet)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> "AlpacaBroker":
        raise ConfigError("Alpaca account access is not available yet")
