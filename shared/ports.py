"""The Broker port: read-only access to the user's trading account (Alpaca behind it).

``positions()`` returns a frame with at least these columns (numbers as floats):
``symbol, qty, side, avg_entry_price, current_price, market_value, cost_basis,
unrealized_pl, unrealized_plpc`` where ``unrealized_plpc`` is a fraction (0.25 = +25%).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Protocol

import pandas as pd

POSITION_COLUMNS = [
    "symbol",
    "qty",
    "side",
    "avg_entry_price",
    "current_price",
    "market_value",
    "cost_basis",
    "unrealized_pl",
    "unrealized_plpc",
]


class Broker(Protocol):
    """Read-only trading-account access."""

    def account(self) -> dict[str, Any]:
        """Account fields (status, currency, cash, equity, last_equity, buying_power, ...), money as floats."""
        ...

    def positions(self) -> pd.DataFrame:
        """Open positions with ``POSITION_COLUMNS``."""
        ...

    def clock(self) -> dict[str, Any]:
        """``timestamp, is_open, next_open, next_close``."""
        ...

    def calendar(self, start: date, end: date) -> list[date]:
        """Trading days in [start, end]."""
        ...
