"""The daily collection: fetch the missing days, store them, rank, and commit the run.

Order of writes: bars (immutable, one per day) -> report (immutable) -> ``latest.json`` (pointer)
-> run manifest (the commit point, written last). Requested days are checked first: none after
the last completed session, none before 1990. A run starts by removing what killed runs left
behind, and a failed run still writes its manifest when the store lets it (and says so in the
log when it does not), so it always ends with its summary.
"""
from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, TypeVar

import pandas as pd

from shared.adapters.archive import Archive, bars_key, changes_key, chart_key, report_key
from shared.adapters.layout import WINDOW_SNAPSHOT_DAYS, WINDOWS_PREFIX, omitted_key, window_key
from shared.adapters.object_keys import STALE_TEMPORARY_SECONDS
from shared.core.analytics import build_report, repaired_history
from shared.core.changes import compare_reports
from shared.core.charts import chart_points
from shared.core.context import carry_stored_high
from shared.core.quality import count_flags
from shared.core.trading_calendar import check_requested_day, last_completed_session, previous_trading_day, trading_days
from shared.core.window import history_sessions, window_sessions
from shared.errors import BadInput, CorruptObject, DipwatchError, ImmutableObjectError, NothingCollected, StorageError
from shared.ports import Broker, MarketData, SplitAnnouncements
from shared.services.bar_days import BarDays
from shared.services.heap import older_objects_frozen
from shared.services.latest_pointer import point_latest
from shared.services.positions_snapshot import store_positions
from shared.services.runs import RunSummary, latest_document
from shared.services.sources import check_source
from shared.telemetry import logger


T = TypeVar("T")
#: How long a run holds its other work back for the bars request to go out: it is out within
#: milliseconds when nothing competes for the interpreter; this bounds the wait if it never says.
DEPARTURE_WAIT_SECONDS = 0.25


def _log_failure(message: str, error: Exception) -> None:
    """One log line: our own failures say what happened; anything else carries its traceback."""
    if isinstance(error, DipwatchError):
        logger.error(message, extra={"outcome": "failed", "error": str(error), "error_type": type(error).__name__})
    else:
        logger.exception(message, extra={"outcome": "failed"})


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
        self._days = BarDays(archive, market_data, universe["symbol"].tolist(), clock)
        self._announcements = announcements

    def resolve_as_of(self, as_of: date | None, what: str = "--as-of") -> date:
        """The trading day to report on: the given day (or the last trading day before it), else
        the latest session whose bar is final now. Raises BadInput for a day after the last
        completed session or before 1990."""
        if as_of is not None:
            check_requested_day(as_of, self._clock(), what)
            return previous_trading_day(as_of)
        return last_completed_session(self._clock())

    @older_objects_frozen
    def collect(self, as_of: date | None = None) -> RunSummary:
        """Run the daily collection for ``as_of`` (default: the last completed session).

        Never raises for one symbol's failure. Raises NothingCollected (after writing a failed
        manifest) when no symbol could be ranked.
        """
        started = time.monotonic()
        archive = self._archive
        target = self.resolve_as_of(as_of)
        self._sweep()
        check_source(archive, self._market_data.label)
        summary = self._begin(target, "collect")
        try:
            window_days = [stamp.date() for stamp in window_sessions(target, self._lookback_days)]
            # The context (200-bar average, returns) reads stored history before the window too.
            history_days = [stamp.date() for stamp in history_sessions(target, self._lookback_days)]
            self._days.fetch_additions(history_days, summary)
            # The network's waits overlap the reading: the missing days and the split
            # announcements are fetched while the stored days (listed first) are read, and the
            # previous report (for the highest stored close and what changed) while they wait.
            listed = self._days.listed()
            # The account's positions are asked for meanwhile too, and stored at the end.
            with ThreadPoolExecutor(max_workers=4, thread_name_prefix="collect") as side:  # its end waits for all
                # The bars request is the run's critical path: the rest starts once it is on its
                # way, not before, as every thread that runs meanwhile delays it (one interpreter).
                departed = threading.Event()
                fetching = side.submit(self._days.fetch_missing, window_days, summary, listed, departed.set)
                fetching.add_done_callback(lambda _done: departed.set())
                departed.wait(DEPARTURE_WAIT_SECONDS)
                positions = side.submit(self._broker.positions) if self._broker is not None else None
                announced = side.submit(self._announced_splits, history_days[0] if history_days else target, target)
                prior = side.submit(self._previous_report, target)
                stored = self._days.read_stored(history_days, summary, target, listed)
                # The snapshot of what was read is written while the network answers, so the
                # run's end waits on nothing but its own report.
                self._days.keep_window(target, stored)
                fetched = fetching.result()
            if stored.corrupt:
                fetched = pd.concat([fetched, self._days.fetch_missing(stored.corrupt, summary)], ignore_index=True)
            # Sorted once here, so the analytics need no copy; build_report and the chart keep
            # the last row of a (symbol, date), the fetched one.
            first = stored.bars.empty
            bars = self._days.joined(stored, fetched)
            previous_day, previous, readable = prior.result()
            repaired = repaired_history(bars, target, self._lookback_days, announced.result())
            report = build_report(bars, self._universe, target, self._lookback_days, repaired=repaired)
            report = carry_stored_high(report, previous, target, previous_day, self._lookback_days)
            summary.ranked = int(report["rank"].notna().sum())
            summary.excluded = int(report["rank"].isna().sum())
            summary.missing = sorted(set(self._universe["symbol"]) - set(report["symbol"]) - set(summary.failed))
            if report.empty:
                raise NothingCollected(f"no bars dated {target} for any of {summary.universe} symbols")
            # One big piece of work at a time over the window (10,000 symbols: memory): the chart
            # is drawn and the repaired history let go before the report is written.
            chart = chart_points(bars, target, self._lookback_days, repaired=repaired)
            del repaired
            summary.report_key = report_key(target)
            summary.report_written, kept = self._keep_first(summary, summary.report_key, lambda: archive.write_report(target, report), lambda: archive.read_report(target))
            report = report if kept is None else kept
            if first:
                self._days.keep_first_window(target, bars, summary)
            del bars
            self._write_chart(target, chart, summary)
            del chart
            summary.quality = count_flags(report["flags"])
            changes = self._store_changes(target, report, previous_day, previous, summary) if readable else None
            summary.positions = store_positions(archive, target, None if positions is None else positions.result)
            summary.outcome = "complete" if not (summary.failed or summary.missing) else "partial"
            self._finish(summary, started)
            point_latest(archive, latest_document(summary, report, changes), self._clock())
        except Exception as error:
            summary.outcome = "failed"
            summary.error = str(error) or type(error).__name__
            self._finish(summary, started)
            self._commit(summary)
            _log_failure("collection failed", error)
            raise
        self._commit(summary)
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

    @older_objects_frozen
    def backfill(self, start: date | None = None, end: date | None = None, days: int | None = None) -> RunSummary:
        """Fetch and store the bars of every trading day in [start, end] that is not stored yet.

        ``days`` instead of ``start`` means that many calendar days back from ``end`` (inclusive).
        """
        started = time.monotonic()
        last = self.resolve_as_of(end, "--end")
        if start is not None:
            check_requested_day(start, self._clock(), "--start")
        first = start if start is not None else last - timedelta(days=(days or 1) - 1)
        if first > last:
            raise BadInput(f"backfill start {first} is after its end {last}")
        check_requested_day(first, self._clock(), "--start" if start is not None else "--days")
        self._sweep()
        check_source(self._archive, self._market_data.label)
        summary = self._begin(last, "backfill")
        try:
            self._days.fetch_missing([stamp.date() for stamp in trading_days(first, last)], summary)
            summary.outcome = "complete" if not summary.failed else ("partial" if summary.days_written else "failed")
        except Exception as error:
            summary.outcome = "failed"
            summary.error = str(error) or type(error).__name__
            _log_failure("backfill failed", error)
        self._finish(summary, started)
        self._commit(summary)
        return summary

    def _sweep(self) -> None:
        """Remove what killed runs left behind (temporary files older than an hour), and the
        window snapshots past their days (a store without a lifecycle rule keeps them else)."""
        removed = self._archive.store.sweep_temporary(STALE_TEMPORARY_SECONDS)
        if removed:
            logger.info("removed temporary files that killed runs left behind", extra={"removed": removed})
        try:
            expired = self._archive.store.expire(WINDOWS_PREFIX, WINDOW_SNAPSHOT_DAYS * 86_400)
        except StorageError as error:  # a cache left in place never fails the run
            logger.warning("could not remove old window snapshots", extra={"error": str(error)})
            return
        if expired:
            logger.info("removed window snapshots older than their days", extra={"removed": expired, "days": WINDOW_SNAPSHOT_DAYS})

    def _commit(self, summary: RunSummary) -> None:
        """Write the run's manifest, listing the seal of every object it wrote. A store that
        cannot take it (full, read-only) is logged, never raised: the run's own outcome stands."""
        keys = [bars_key(date.fromisoformat(day)) for day in summary.days_written] + [omitted_key(date.fromisoformat(day)) for day in summary.omitted]
        as_of = date.fromisoformat(summary.as_of)
        keys += [summary.report_key, summary.changes_key, chart_key(as_of), window_key(as_of), *summary.additions]
        summary.objects = {key: self._archive.seals[key].document() for key in keys if key in self._archive.seals}
        try:
            self._archive.write_manifest(summary.manifest())
        except StorageError as error:
            logger.error("could not write the run manifest", extra={"run_id": summary.run_id, "error": str(error)})
            if summary.outcome != "failed":
                raise

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

    def _keep_first(self, summary: RunSummary, key: str, write: Callable[[], bool], read: Callable[[], T]) -> tuple[bool, T | None]:
        """Write an immutable object; if the day has one already, keep it (history wins) unless it
        is corrupt: then it goes to quarantine and this run's object takes its place."""
        try:
            return write(), None
        except ImmutableObjectError:
            logger.warning("already stored with different content; keeping it", extra={"key": key})
        try:
            return False, read()
        except CorruptObject as error:
            summary.quarantined.append(self._archive.quarantine(key, str(error), "rebuilt from verified bars") or key)
            return write(), None

    def _write_chart(self, day: date, chart: dict[str, Any], summary: RunSummary) -> None:
        """Store the day's chart object (the bot's ``/stock`` reads it), drawn from the report's
        repaired history (the split analysis runs once). Derived data: a failure is logged
        and the run goes on, and ``/stock`` then draws from the bars instead."""
        try:
            self._keep_first(summary, chart_key(day), lambda: self._archive.write_chart(day, chart), lambda: self._archive.read_chart(day))
        except StorageError:
            logger.exception("could not store the chart object", extra={"key": chart_key(day)})

    def _previous_report(self, target: date) -> tuple[date | None, pd.DataFrame | None, bool]:
        """The newest stored report before ``target``, its day, and whether that could be read.
        Unreadable, it is logged and left out: the highest stored close then covers this run's
        history only, and what changed is not stored."""
        try:
            day = self._archive.previous_report_day(target)
            return day, (self._archive.read_report(day) if day is not None else None), True
        except (StorageError, ValueError, KeyError):
            logger.exception("could not read the previous report", extra={"as_of": target.isoformat()})
            return None, None, False

    def _store_changes(
        self, target: date, report: pd.DataFrame, previous_day: date | None, previous: pd.DataFrame | None, summary: RunSummary
    ) -> dict[str, Any] | None:
        """Compare the report with the previous stored one and store that next to it (immutable).

        Derived data: a storage failure (a corrupt previous report included) is logged and the
        run goes on, with ``changes`` null in ``latest.json`` (the read side recomputes it)."""
        key = changes_key(target)
        try:
            changes = compare_reports(report, previous, target, previous_day, self._top_n)
            _written, stored = self._keep_first(summary, key, lambda: self._archive.write_changes(target, changes), lambda: self._archive.read_changes(target))
        except StorageError:
            logger.exception("could not store what changed", extra={"key": key})
            return None
        summary.changes_key = key
        return changes if stored is None else stored
