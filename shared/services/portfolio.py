"""The trading account as the bot shows it: account, positions with drawdown ranks, the monitor.

Read-only, through the Broker port (Alpaca behind it). Each function takes the wired ``Parts``
and returns plain data; NoTradingAccount when no trading keys are configured.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from shared.bootstrap import Parts
from shared.ports import Broker
from shared.errors import DipwatchError, NoReportYet
from shared.services.reports import load_report

#: How many positions the profit-taking monitor averages.
MONITOR_POSITIONS = 5


class NoTradingAccount(DipwatchError):
    """No broker is configured (no Alpaca keys)."""


def _broker(parts: Parts) -> Broker:
    broker = parts.broker()
    if broker is None:
        raise NoTradingAccount("no trading account is configured (set APCA_API_KEY_ID and APCA_API_SECRET_KEY)")
    return broker


def account_overview(parts: Parts) -> dict[str, Any]:
    """The account's status, equity, cash, buying power and today's change."""
    account = dict(_broker(parts).account())
    equity = float(account.get("equity") or 0.0)
    last_equity = float(account.get("last_equity") or 0.0)
    account["day_change"] = equity - last_equity if last_equity else None
    account["day_change_pct"] = (equity / last_equity - 1.0) * 100.0 if last_equity else None
    return account


def positions_with_ranks(parts: Parts) -> pd.DataFrame:
    """Open positions with ``gain_pct`` and the latest report's ``rank`` and ``drawdown_pct``.

    Sorted by market value, largest first. ``rank``/``drawdown_pct`` are missing for symbols
    outside the report (or when no report exists yet).
    """
    positions = _broker(parts).positions()
    positions = positions.assign(gain_pct=positions["unrealized_plpc"].astype(float) * 100.0)
    try:
        _day, report = load_report(parts)
        context = report.loc[:, ["symbol", "rank", "drawdown_pct"]]
    except NoReportYet:
        context = pd.DataFrame({"symbol": pd.Series(dtype=str), "rank": pd.Series(dtype="Int64"), "drawdown_pct": pd.Series(dtype=float)})
    merged = positions.merge(context, on="symbol", how="left")
    return merged.sort_values("market_value", ascending=False, kind="stable").reset_index(drop=True)


def monitor(parts: Parts, target_pct: float | None = None) -> dict[str, Any]:
    """The profit-taking check: the average gain of the five best-gaining positions against
    the target (``DIPWATCH_MONITOR_TARGET``, default 100%)."""
    target = parts.settings.monitor_target_pct if target_pct is None else target_pct
    positions = _broker(parts).positions()
    gains = positions.assign(gain_pct=positions["unrealized_plpc"].astype(float) * 100.0)
    top = gains.sort_values(["gain_pct", "symbol"], ascending=[False, True], kind="stable").head(MONITOR_POSITIONS)
    average = float(top["gain_pct"].mean()) if not top.empty else None
    return {
        "target_pct": target,
        "positions": len(positions),
        "top": top.loc[:, ["symbol", "gain_pct", "market_value"]].to_dict(orient="records"),
        "average_gain_pct": average,
        "reached": average is not None and average >= target,
    }


def rule_violations(parts: Parts) -> dict[str, Any]:
    """The account's rules after a collection: positions past their stop (``DIPWATCH_STOP_PCT``
    below cost) and whether the monitor's target is reached. Empty without a trading account."""
    if parts.broker() is None:
        return {"beyond_stop": [], "monitor_reached": False, "average_gain_pct": None}
    positions = _broker(parts).positions()
    gains = positions.assign(gain_pct=positions["unrealized_plpc"].astype(float) * 100.0)
    beyond = gains[gains["gain_pct"] <= -parts.settings.stop_pct].sort_values("gain_pct", kind="stable")
    check = monitor(parts)
    return {
        "beyond_stop": beyond.loc[:, ["symbol", "gain_pct"]].to_dict(orient="records"),
        "monitor_reached": bool(check["reached"]),
        "average_gain_pct": check["average_gain_pct"],
    }
