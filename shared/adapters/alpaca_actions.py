"""Alpaca's split announcements (``GET /v2/corporate_actions/announcements``): the broker's word
that confirms a split found in raw prices (the ``SplitAnnouncements`` port).

The trading host answers a list of announcements; a split has ``ca_type`` "split", a
``ca_sub_type`` ("stock_split", "unit_split", "reverse_split"), the ``ex_date`` from which prices
trade split, and ``old_rate``/``new_rate`` as strings (a 4-for-1 is old 1, new 4; a 1-for-10
reverse is old 10, new 1). ``since``/``until`` may span 90 days at most, so a longer range is
asked for in 90-day windows. Every request has our timeout, rate limit and retry policy.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any, Callable, Sequence

import pandas as pd

from shared.adapters.resilience import RetryableError, RetryPolicy, TokenBucket
from shared.config import Settings
from shared.errors import MarketDataError

#: The longest since..until span the endpoint accepts, in days (both ends inclusive).
MAX_SPAN_DAYS = 90
#: A confirmation source is worth a short wait only: one retry, and no waiting longer than this
#: (a server asking for more is answered by carrying on without the announcements).
MAX_WAIT_SECONDS = 5.0
ANNOUNCEMENT_COLUMNS = ["symbol", "ex_date", "ratio"]
#: Windows asked at once.
_AT_ONCE = 8


def announcement_windows(start: date, end: date) -> list[tuple[date, date]]:
    """[start, end] cut into consecutive windows of at most ``MAX_SPAN_DAYS`` days."""
    windows = []
    first = start
    while first <= end:
        last = min(first + timedelta(days=MAX_SPAN_DAYS - 1), end)
        windows.append((first, last))
        first = last + timedelta(days=1)
    return windows


def splits_from_announcements(announcements: list[dict[str, Any]], symbols: Sequence[str]) -> pd.DataFrame:
    """The split announcements of ``symbols`` as ``symbol, ex_date, ratio`` (new shares per old).
    Entries that are not splits or lack a usable rate or date are left out."""
    wanted = set(symbols)
    rows = []
    for entry in announcements:
        if not isinstance(entry, dict) or str(entry.get("ca_type", "")).lower() != "split":
            continue
        symbol = entry.get("target_symbol") or entry.get("initiating_symbol")
        try:
            ratio = float(entry["new_rate"]) / float(entry["old_rate"])
            ex_date = pd.Timestamp(date.fromisoformat(str(entry["ex_date"])))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            continue
        if symbol in wanted and ratio > 0 and ratio != 1.0:
            rows.append((symbol, ex_date, ratio))
    frame = pd.DataFrame(rows, columns=ANNOUNCEMENT_COLUMNS)
    return frame.drop_duplicates(["symbol", "ex_date"], keep="last").sort_values(["symbol", "ex_date"]).reset_index(drop=True)


class AlpacaSplitAnnouncements:
    """Split announcements from Alpaca's trading API."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._settings = settings
        self._sleep = sleep

    def _short_sleep(self, seconds: float) -> None:
        if seconds > MAX_WAIT_SECONDS:
            raise MarketDataError(f"Alpaca's split announcements: asked to wait {seconds:.0f} s; going on without them")
        self._sleep(seconds)

    def splits(self, symbols: Sequence[str], start: date, end: date) -> pd.DataFrame:
        """Splits of ``symbols`` with an ex-date in [start, end]; MarketDataError when Alpaca
        cannot answer (the caller carries on without them)."""
        from shared.adapters.alpaca import AlpacaClient, AlpacaRequestError, Transport, burst_for  # the SDK, on first use

        settings = self._settings
        per_minute = settings.alpaca_requests_per_minute
        transport = Transport(
            timeout=settings.alpaca_timeout_seconds,
            bucket=TokenBucket(per_minute, burst=burst_for(per_minute), sleep=self._sleep),
            policy=RetryPolicy(retries=min(settings.alpaca_retries, 1), base_seconds=settings.alpaca_backoff_seconds, sleep=self._short_sleep),
        )

        def window(span: tuple[date, date]) -> list[Any]:
            client = AlpacaClient(settings, transport)  # one per thread: each holds a requests.Session
            try:
                params = {"ca_types": "split", "since": span[0].isoformat(), "until": span[1].isoformat(), "date_type": "ex_date"}
                answer = client.get("/corporate_actions/announcements", params)
            finally:
                client.close()
            if not isinstance(answer, list):
                raise MarketDataError(f"Alpaca's announcements are not a list: {type(answer).__name__}")
            return answer

        # The windows are asked at once: a report's 400 days are five windows, five round trips
        # that would otherwise follow one another (the bucket still paces them).
        windows = announcement_windows(start, end)
        found: list[dict[str, Any]] = []
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(_AT_ONCE, len(windows))), thread_name_prefix="announcements") as pool:
                for answer in pool.map(window, windows):
                    found.extend(answer)
        except (RetryableError, AlpacaRequestError) as error:
            raise MarketDataError(f"Alpaca's split announcements are unavailable: {error}") from error
        return splits_from_announcements(found, symbols)
