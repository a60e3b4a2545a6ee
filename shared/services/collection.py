"""The daily collection: fetch the missing days, store them, rank, and commit the run.

Order of writes: bars (immutable, one per day) -> report (immutable) -> ``latest.json`` (pointer)
-> run manifest (the commit point, written last).
"""
from __future__ import annotations

import secrets
import time
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

import pandas as pd

from shared.adapters.archive import Archive, changes_key, chart_key, positions_key, report_key
from shared.core.analytics import build_report
from shared.core.bars import empty_bars, normalise_bars
from shared.core.charts import chart_points
from shared.core.quality import count_flags
from shared.core.trading_calendar import last_completed_session, previous_trading_day, trading_days
from shared.core.window import history_sessions, window_sessions
from shared.errors import BadInput, ImmutableObjectError, NothingCollected, StorageError
from shared.ports import Broker, MarketData, SplitAnnouncements
from shared.services.reports import changes_since_previous
from shared.services.runs import RunSummary, latest_document
from shared.services.sources import check_source
from shared.telemetry import logger


class Collection:
    """Collects bars into the archive and ranks them."""

    def __init__(
        self,
        archive: Archive,
        market_data: MarketData,
        universe: pd.DataFrame,
        broker: Broker | None,
        clock: Callable[[], datetime],
        *,
        lookback_days: int,
        top_n: int,
        announcements: SplitAnnouncements | None = None,
    ) -> None:
        self._archive = archive
        self._market_data = market_data
        self._universe = universe
        self._broker = broker
        self._clock = clock
        self._lookback_days = lookback_days
        self._top_n = top_n
        self._announcements = announcements

    def resolve_as_of(self, as_of: date | None) -> date:
        """The trading day to report on: the given day (or the last trading day before it), else
        the latest session whose bar is final now."""
        if as_of is not None:
            return previous_trading_day(as_of)
        return last_completed_session(self._clock())

    def collect(self, as_of: date | None = None) -> RunSummary:
        """Run the daily collection for ``as_of`` (default: the last completed session).

        Never raises for one symbol's failure. Raises NothingCollected (after writing a failed
        manifest) when no symbol could be ranked.
        """
        started = time.monotonic()
        archive = self._archive
        target = self.resolve_as_of(as_of)
        check_source(archive, self._market_data.label)
        summary = self._begin(target, "collect")
        try:
            window_days = [stamp.date() for stamp in window_sessions(target, self._lookback_days)]
            fetched = self._fetch_missing(window_days, summary)
            # The context (200-bar average, returns) reads stored history before the window too.
            history_days = [stamp.date() for stamp in history_sessions(target, self._lookback_days)]
            available = set(archive.stored_days("bars"))
            stored = archive.read_bars([day for day in history_days if day in available and day.isoformat() not in summary.days_fetched])
            # Both parts are canonical bars; build_report and the chart keep the last row of a
            # (symbol, date), the fetched one, so neither a sort nor a de-duplication is needed here.
            bars = pd.concat([stored, fetched], ignore_index=True)
            splits = self._announced_splits(history_days[0] if history_days else target, target)
            report = build_report(bars, self._universe, target, self._lookback_days, announcements=splits)
            summary.ranked = int(report["rank"].notna().sum())
            summary.excluded = int(report["rank"].isna().sum())
            summary.missing = sorted(set(self._universe["symbol"]) - set(report["symbol"]) - set(summary.failed))
            if report.empty:
                raise NothingCollected(f"no bars dated {target} for any of {summary.universe} symbols")
            summary.report_key = report_key(target)
            try:
                summary.report_written = archive.write_report(target, report)
            except ImmutableObjectError:
                # A report for this day exists from an earlier run with other inputs: history wins.
                logger.warning("report already stored with different content; keeping it", extra={"key": summary.report_key})
                report = archive.read_report(target)
            self._write_chart(target, bars)
            summary.quality = count_flags(report["flags"])
            changes = self._store_changes(target, report, summary)
            summary.positions = self._snapshot_positions(target)
            summary.outcome = "complete" if not (summary.failed or summary.missing) else "partial"
            self._finish(summary, started)
            archive.write_latest(latest_document(summary, report, changes))
        except Exception as error:
            summary.outcome = "failed"
            summary.error = str(error) or type(error).__name__
            self._finish(summary, started)
            archive.write_manifest(summary.manifest())
            logger.exception("collection failed", extra={"outcome": "failed"})
            raise
        archive.write_manifest(summary.manifest())
        logger.info(
            "collection finished",
            extra={"outcome": summary.outcome, "ranked": summary.ranked, "missing": len(summary.missing), "failed": len(summary.failed)},
        )
        return summary

    def _announced_splits(self, start: date, end: date) -> pd.DataFrame | None:
        """The source's split announcements for the report's history, or None (no such source,
        or it failed: the splits are then judged on prices and volume alone, and the run goes on)."""
        if self._announcements is None:
            return None
        try:
            return self._announcements.splits(list(self._universe["symbol"]), start, end)
        except Exception as error:  # noqa: BLE001 - a confirmation source never fails the run
            logger.warning("split announcements unavailable; judging splits on prices and volume", extra={"error": str(error)})
            return None

    def backfill(self, start: date | None = None, end: date | None = None, days: int | None = None) -> RunSummary:
        """Fetch and store the bars of every trading day in [start, end] that is not stored yet.

        ``days`` instead of ``start`` means that many calendar days back from ``end`` (inclusive).
        """
        started = time.monotonic()
        last = self.resolve_as_of(end)
        first = start if start is not None else last - timedelta(days=(days or 1) - 1)
        if first > last:
            raise BadInput(f"backfill start {first} is after its end {last}")
        check_source(self._archive, self._market_data.label)
        summary = self._begin(last, "backfill")
        try:
            self._fetch_missing([stamp.date() for stamp in trading_days(first, last)], summary)
            summary.outcome = "complete" if not summary.failed else ("partial" if summary.days_written else "failed")
        except Exception as error:
            summary.outcome = "failed"
            summary.error = str(error) or type(error).__name__
            logger.exception("backfill failed")
        self._finish(summary, started)
        self._archive.write_manifest(summary.manifest())
        return summary

    def _begin(self, as_of: date, kind: str) -> RunSummary:
        """A new run's summary, with the run id and as-of date added to every log line."""
        now = self._clock()
        summary = RunSummary(
            # <UTC timestamp>-<random>: sorts by time, and two runs never share an id.
            run_id=f"{now.astimezone(timezone.utc):%Y-%m-%dT%H%M%S.%fZ}-{secrets.token_hex(3)}",
            as_of=as_of.isoformat(),
            kind=kind,
            source=self._market_data.label,
            started_at=now.isoformat(),
            universe=len(self._universe),
            lookback_days=self._lookback_days,
        )
        logger.append_keys(run_id=summary.run_id, as_of=summary.as_of, command=kind)
        return summary

    def _finish(self, summary: RunSummary, started: float) -> None:
        summary.finished_at = self._clock().isoformat()
        summary.duration_s = round(time.monotonic() - started, 3)

    def _fetch_missing(self, window_days: list[date], summary: RunSummary) -> pd.DataFrame:
        """Fetch and store the days that have no bars object yet; return what was fetched."""
        stored = set(self._archive.stored_days("bars"))
        missing_days = [day for day in window_days if day not in stored]
        if not missing_days:
            return empty_bars()
        symbols = self._universe["symbol"].tolist()
        result = self._market_data.fetch_bars(symbols, missing_days[0], missing_days[-1])
        summary.failed.update(result.failed)
        summary.unknown = sorted(set(result.unknown))
        summary.fetch = dict(result.stats)
        summary.days_fetched = [day.isoformat() for day in missing_days]
        bars = normalise_bars(result.bars)
        wanted = bars["date"].isin(pd.DatetimeIndex([pd.Timestamp(day) for day in missing_days]))
        bars = bars[wanted & bars["symbol"].isin(symbols)]
        if result.failed:
            # A day with transient failures is not frozen: the next run fetches it again in full.
            logger.warning("not storing days with failed symbols", extra={"failed": len(result.failed)})
            return bars
        summary.days_written.extend(day.isoformat() for day in self._archive.write_bars_days(bars))
        return bars

    def _write_chart(self, day: date, bars: pd.DataFrame) -> None:
        """Store the day's chart object (the bot's ``/stock`` reads it). Derived data: a failure is
        logged and the run goes on, and ``/stock`` then draws from the bars instead."""
        try:
            self._archive.write_chart(day, chart_points(bars, day, self._lookback_days))
        except ImmutableObjectError:
            logger.warning("chart already stored with different content; keeping it", extra={"key": chart_key(day)})
        except StorageError:
            logger.exception("could not store the chart object", extra={"key": chart_key(day)})

    def _store_changes(self, target: date, report: pd.DataFrame, summary: RunSummary) -> dict[str, Any] | None:
        """Compare the report with the previous stored one and store that next to it (immutable).

        Derived data: a storage failure is logged and the run goes on, with ``changes`` null in
        ``latest.json`` (the read side recomputes it on demand)."""
        key = changes_key(target)
        try:
            changes = changes_since_previous(self._archive, target, report, self._top_n)
            try:
                self._archive.write_changes(target, changes)
            except ImmutableObjectError:
                logger.warning("changes already stored with different content; keeping them", extra={"key": key})
                changes = self._archive.read_changes(target)
        except StorageError:
            logger.exception("could not store what changed", extra={"key": key})
            return None
        summary.changes_key = key
        return changes

    def _snapshot_positions(self, day: date) -> str:
        """Store the day's positions when a trading account is configured; never fails the run.

        The first snapshot of a day is kept: positions move during the day, and history is not rewritten.
        """
        if self._broker is None:
            return ""
        try:
            written = self._archive.write_positions(day, self._broker.positions())
            return positions_key(day) if written else f"{positions_key(day)} (already stored)"
        except ImmutableObjectError:
            return f"{positions_key(day)} (kept the day's first snapshot)"
        except Exception as error:  # noqa: BLE001 - the account is optional to the collection: logged, noted in the manifest
            logger.warning("positions snapshot failed", extra={"error": str(error)})
            return f"not stored: {error}"
