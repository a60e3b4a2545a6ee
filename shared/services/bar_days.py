"""The days of bars a run reads, fetches and stores, and what it does when they are not whole.

- Stored days are read verified; a corrupt one is moved to quarantine (with a note, never
  deleted) and fetched again like a missing day.
- A missing day is stored once every symbol came back. A day whose only failures are the same
  symbols for ``GIVE_UP_RUNS`` runs in a row, or that is ``GIVE_UP_SESSIONS`` sessions old, is
  stored without them: ``omitted/D.json`` first, then the day, and the manifest lists them.
- Omitted symbols are asked for again on every run; what comes back is stored as an addition
  (``additions/D.<n>.csv``) that readers merge, and the day itself is never rewritten.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

import pandas as pd

from shared.adapters.archive import Archive
from shared.adapters.layout import day_of
from shared.adapters.omissions import Omissions
from shared.core.bars import empty_bars, normalise_bars
from shared.core.trading_calendar import last_completed_session, trading_days
from shared.errors import CorruptObject, ImmutableObjectError
from shared.ports import MarketData
from shared.services.bar_merge import merge_sorted
from shared.services.runs import RunSummary
from shared.services.window_cache import Sources, WindowCache
from shared.telemetry import logger

#: Runs in a row (this one included) failing the same symbols before a day is stored without them.
GIVE_UP_RUNS = 3
#: Sessions after which a day is stored without the symbols that still fail.
GIVE_UP_SESSIONS = 3


@dataclass
class StoredBars:
    """The verified stored bars of a run's days, the days whose objects went to quarantine, and
    the objects listed (with their versions) before any was read."""

    bars: pd.DataFrame
    corrupt: list[date]
    sources: Sources


class BarDays:
    """Reads, fetches and stores days of bars for one run."""

    def __init__(self, archive: Archive, market_data: MarketData, symbols: list[str], clock: Callable[[], datetime]) -> None:
        self._archive = archive
        self._omissions = Omissions(archive)
        self._market_data = market_data
        self._symbols = symbols
        self._clock = clock
        self._windows = WindowCache(archive)

    def listed(self) -> Sources:
        """The ``bars/`` and ``additions/`` objects stored now, with their versions."""
        return self._windows.sources()

    def read_stored(self, days: list[date], summary: RunSummary, as_of: date | None = None, sources: Sources | None = None) -> StoredBars:
        """The verified stored bars of the days of ``days`` listed in ``sources`` (default: now):
        those the window snapshot up to ``as_of`` holds unchanged, the others from their objects.
        A corrupt object goes to quarantine and its day is returned in ``corrupt`` (missing now,
        for the caller to fetch again)."""
        sources = sources or self._windows.sources()
        present = sources.bars_days()
        cached, trusted = self._windows.trusted([day for day in days if day in present], sources, as_of, summary) if as_of else (empty_bars(), set())
        rest = [day for day in days if day not in trusted]
        corrupt: list[date] = []
        for _attempt in range(2 * len(days) + 1):
            try:
                read = self._archive.read_bars([day for day in rest if day in present])
                return StoredBars(read if cached.empty else (cached if read.empty else _merged(cached, read)), corrupt, sources)
            except CorruptObject as error:
                if not error.key.startswith(("bars/", "additions/")):
                    raise
                moved = self._archive.quarantine(error.key, str(error), "fetched again")
                summary.quarantined.append(moved or error.key)
                day = day_of(error.key)
                if error.key.startswith("bars/") and day is not None:
                    corrupt.append(day)
                    present.discard(day)  # not listed again: days fetched meanwhile are not read
        raise CorruptObject("bars/", "objects kept turning corrupt while being read")

    def joined(self, stored: StoredBars, fetched: pd.DataFrame) -> pd.DataFrame:
        """The run's bars, stored then fetched, sorted by symbol and date (a fetched row after a
        stored one of the same day). The stored part is released: a window of 10,000 symbols is
        not held twice."""
        bars = stored.bars if fetched.empty else _merged(stored.bars, fetched)
        stored.bars = empty_bars()
        return bars

    def keep_window(self, as_of: date, stored: StoredBars) -> str | None:
        """Store the run's window snapshot: the stored bars it read, each day with the version of
        its objects listed before they were read. Its key, or None when not written (logged;
        also when the run read nothing, or the day has its snapshot already: a rerun adds none).

        The days the run fetches are not in it: it is written while they are on the way, and the
        next run reads them (one day's object) beside the snapshot."""
        return None if stored.bars.empty else self._windows.write(as_of, stored.bars, stored.sources)

    def keep_first_window(self, as_of: date, bars: pd.DataFrame, summary: RunSummary) -> str | None:
        """The snapshot of a run that read no stored bars (the first): the rows of ``bars`` it
        stored (its days written, but for the symbols that failed), with the versions listed now."""
        days = pd.DatetimeIndex([pd.Timestamp(day) for day in summary.days_written])
        rows = bars[bars["date"].isin(days) & ~bars["symbol"].isin(list(summary.failed))]
        return None if rows.empty else self._windows.write(as_of, rows, self._windows.sources())

    def fetch_missing(self, days: list[date], summary: RunSummary, listed: Sources | None = None, sent: Callable[[], None] | None = None) -> pd.DataFrame:
        """Fetch the days of ``days`` that have no bars object (in ``listed``, the objects the
        run reads, when given: a day another collector stores meanwhile is fetched, not lost, and
        the request goes without listing the store again first); store the whole ones (and those
        given up on, without their failing symbols); return everything fetched. ``sent``: see
        ``MarketData.fetch_bars`` (not called when no day is missing)."""
        stored = set(self._archive.days_among("bars", listed.versions) if listed is not None else self._archive.stored_days("bars"))
        missing = sorted(day for day in set(days) if day not in stored)
        if not missing:
            return empty_bars()
        result = self._market_data.fetch_bars(self._symbols, missing[0], missing[-1], sent=sent)
        summary.failed.update(result.failed)
        # Added to, not replaced: a run fetches corrupt days after the others.
        summary.unknown = sorted(set(summary.unknown) | set(result.unknown))
        summary.fetch = {name: summary.fetch.get(name, 0) + value for name, value in result.stats.items()}
        summary.days_fetched += [day.isoformat() for day in missing]
        bars = normalise_bars(result.bars)
        wanted = bars["date"].isin(pd.DatetimeIndex([pd.Timestamp(day) for day in missing]))
        bars = bars[wanted & bars["symbol"].isin(self._symbols)]
        storable = missing
        if result.failed:
            storable = [day for day in missing if self._give_up(day, set(result.failed))]
            # A day with transient failures is not frozen: the next run fetches it again in full.
            logger.warning("not storing days with failed symbols", extra={"failed": len(result.failed), "days": len(missing) - len(storable)})
            for day in storable:
                self._omissions.write_omitted(day, dict(result.failed))
                summary.omitted[day.isoformat()] = sorted(result.failed)
        keep = bars["date"].isin(pd.DatetimeIndex([pd.Timestamp(day) for day in storable])) & ~bars["symbol"].isin(list(result.failed))
        try:
            summary.days_written.extend(day.isoformat() for day in self._archive.write_bars_days(bars[keep], result.rendered))
        except ImmutableObjectError as error:
            # Another collector stored the day first with other bytes: history wins, and this
            # run's bars of it are still used for its report.
            logger.warning("bars already stored with different content; keeping them", extra={"error": str(error)})
        return bars

    def _give_up(self, day: date, failed: set[str]) -> bool:
        """Whether ``day`` is stored without the ``failed`` symbols now."""
        last = last_completed_session(self._clock())
        if len(trading_days(day + timedelta(days=1), last)) >= GIVE_UP_SESSIONS:
            return True
        streak = 1
        for key in reversed(self._archive.list_runs()):
            run = self._archive.read_run(key)
            if run.get("kind") not in ("collect", "backfill"):
                continue
            if day.isoformat() not in run.get("days_fetched", []) or set(run.get("failed") or {}) != failed:
                return False
            streak += 1
            if streak >= GIVE_UP_RUNS:
                return True
        return False

    def fetch_additions(self, days: list[date], summary: RunSummary) -> None:
        """Ask again for the symbols stored days were stored without; store what comes back."""
        outstanding = self._omissions.omitted(days)
        if not outstanding:
            return
        symbols = sorted(set().union(*outstanding.values()))
        result = self._market_data.fetch_bars(symbols, min(outstanding), max(outstanding))
        bars = normalise_bars(result.bars)
        for day, wanted in sorted(outstanding.items()):
            rows = bars[(bars["date"] == pd.Timestamp(day)) & bars["symbol"].isin(list(wanted))]
            if not rows.empty:
                key = self._omissions.write_addition(day, rows)
                if key is not None:
                    summary.additions.append(key)


def _merged(first: pd.DataFrame, then: pd.DataFrame) -> pd.DataFrame:
    """Both bars frames sorted by symbol and date, ``then``'s row after ``first``'s of the same
    day: by binary search when both are in order (each column written once), else sorted."""
    if (merged := merge_sorted(first, then)) is not None:
        return merged[0]
    return normalise_bars(pd.concat([first, then], ignore_index=True))  # a stable sort: ``then`` last
