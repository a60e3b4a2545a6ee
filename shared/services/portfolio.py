"""The trading account as the bot shows it: account, positions with drawdown ranks, the monitor.

Read-only, through the Broker port (Alpaca behind it). Methods return plain data and raise
NoTradingAccount when no trading keys are configured.
"""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from shared.errors import NoReportYet, NoTradingAccount
from shared.ports import Broker
from shared.services.reports import Reports

#: How many positions the profit-taking monitor averages.
MONITOR_POSITIONS = 5


class Portfolio:
    """The user's trading account next to the latest report."""

    def __init__(self, broker: Callable[[], Broker | None], reports: Reports, *, monitor_target_pct: float) -> None:
        self._broker_of = broker  # built on first use: the Alpaca client is slow to import
        self._reports = reports
        self.monitor_target_pct = monitor_target_pct

    def _account(self) -> Broker:
        broker = self._broker_of()
        if broker is None:
            raise NoTradingAccount("no trading account is configured (set APCA_API_KEY_ID and APCA_API_SECRET_KEY)")
        return broker

    def _positions(self) -> pd.DataFrame:
        positions = self._account().positions()
        return positions.assign(gain_pct=positions["unrealized_plpc"].astype(float) * 100.0)

    def account_overview(self) -> dict[str, Any]:
        """The account's status, equity, cash, buying power and today's change."""
        account = dict(self._account().account())
        equity = float(account.get("equity") or 0.0)
        last_equity = float(account.get("last_equity") or 0.0)
        account["day_change"] = equity - last_equity if last_equity else None
        account["day_change_pct"] = (equity / last_equity - 1.0) * 100.0 if last_equity else None
        return account

    def positions_with_ranks(self) -> pd.DataFrame:
        """Open positions with ``gain_pct`` and the latest report's ``rank`` and ``drawdown_pct``.

        Sorted by market value, largest first. ``rank``/``drawdown_pct`` are missing for symbols
        outside the report (or when no report exists yet).
        """
        positions = self._positions()
        try:
            _day, report = self._reports.load_report()
            context = report.loc[:, [column for column in ("symbol", "rank", "drawdown_pct", "peak_at_window_edge") if column in report]]
        except NoReportYet:
            context = pd.DataFrame({"symbol": pd.Series(dtype=str), "rank": pd.Series(dtype="Int64"), "drawdown_pct": pd.Series(dtype=float)})
        merged = positions.merge(context, on="symbol", how="left")
        return merged.sort_values("market_value", ascending=False, kind="stable").reset_index(drop=True)

    def monitor(self, target_pct: float | None = None) -> dict[str, Any]:
        """The profit-taking check: the average gain of the five best-gaining positions against
        the target (``DIPWATCH_MONITOR_TARGET``, default 100%)."""
        target = self.monitor_target_pct if target_pct is None else target_pct
        gains = self._positions()
        top = gains.sort_values(["gain_pct", "symbol"], ascending=[False, True], kind="stable").head(MONITOR_POSITIONS)
        average = float(top["gain_pct"].mean()) if not top.empty else None
        return {
            "target_pct": target,
            "positions": len(gains),
            "top": top.loc[:, ["symbol", "gain_pct", "market_value"]].to_dict(orient="records"),
            "average_gain_pct": average,
            "reached": average is not None and average >= target,
        }

    def rule_violations(self, stop_pct: float) -> dict[str, Any]:
        """The account's rules after a collection: positions ``stop_pct`` or more below their
        cost, and whether the monitor's target is reached. Empty without a trading account."""
        if self._broker_of() is None:
            return {"beyond_stop": [], "monitor_reached": False, "average_gain_pct": None}
        gains = self._positions()
        beyond = gains[gains["gain_pct"] <= -stop_pct].sort_values("gain_pct", kind="stable")
        check = self.monitor()
        return {
            "beyond_stop": beyond.loc[:, ["symbol", "gain_pct"]].to_dict(orient="records"),
            "monitor_reached": bool(check["reached"]),
            "average_gain_pct": check["average_gain_pct"],
        }
