"""The daily collection: fetch the missing days, store them, rank, and commit the run.

Order of writes: bars (immutable, one per day) -> report (immutable) -> ``latest.json`` (pointer)
-> run manifest (the commit point, written last).
"""
from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta, timezone
from typing import Any

import pandas as pd

from shared.core.analytics import HISTORY_DAYS, build_report
from shared.adapters.archive import Archive, changes_key, positions_key, report_key
from shared.bootstrap import Parts
from shared.core.charts import chart_key, chart_points, chart_to_json
from shared.errors import ImmutableObjectError, NothingCollected, StorageError
from shared.adapters.market_data import FetchResult, empty_bars, normalise_bars
from shared.core.quality import count_flags
from shared.services.reports import compute_report_changes
from shared.telemetry import logger
from shared.core.trading_calendar import last_completed_session, previous_trading_day, trading_days

#: How many top rows ``latest.json`` carries for fast reads.
LATEST_TOP_ROWS = 20


@dataclass
class RunSummary:
    """What one collection did; also the body of its manifest."""

    run_id: str
    as_of: str
    kind: str
    source: str
    started_at: str
    finished_at: str = ""
    duration_s: float = 0.0
    outcome: str = "failed"  # complete | partial | failed
    universe: int = 0
    ranked: int = 0
    excluded: int = 0
    missing: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    days_fetched: list[str] = field(default_factory=list)
    days_written: list[str] = field(default_factory=list)
    report_key: str = ""
    report_written: bool = False
    positions: str = ""  # the snapshot's key, "" when no trading keys, or why it was not stored
    fetch: dict[str, float] = field(default_factory=dict)
    lookback_days: int = 180
    quality: dict[str, int] = field(default_factory=dict)
    changes_key: str = ""
    error: str = ""

    def line(self) -> str:
        """The one-line summary the CLI prints."""
        if self.kind == "backfill":
            text = (
                f"backfill to {self.as_of} [{self.source}]: {self.outcome} · {len(self.days_written)} new day(s)"
                f" of {len(self.days_fetched)} fetched · failed {len(self.failed)} · {self.duration_s:.1f}s"
            )
            return f"{text} · {self.error}" if self.error else text
        text = (
            f"collect {self.as_of} [{self.source}]: {self.outcome} · ranked {self.ranked}/{self.universe}"
            f" · missing {len(self.missing)} · failed {len(self.failed)}"
            f" · {len(self.days_written)} new day(s) · {self.duration_s:.1f}s"
        )
        return f"{text} · {self.error}" if self.error else text

    def manifest(self) -> dict[str, Any]:
        """The manifest document."""
        return asdict(self)


def resolve_as_of(parts: Parts, as_of: date | None) -> date:
    """The trading day to report on: the given day (or the last trading day before it), else
    the latest session whose bar is final now."""
    if as_of is not None:
        return previous_trading_day(as_of)
    return last_completed_session(parts.clock())


def _run_id(parts: Parts) -> str:
    """``<UTC timestamp>-<random>``: sorts by time, and two runs never share an id."""
    return f"{parts.clock().astimezone(timezone.utc):%Y-%m-%dT%H%M%S.%fZ}-{secrets.token_hex(3)}"


def _begin(parts: Parts, as_of: date, kind: str) -> RunSummary:
    """A new run's summary, with the run id and as-of date added to every log line."""
    summary = RunSummary(
        run_id=_run_id(parts),
        as_of=as_of.isoformat(),
        kind=kind,
        source=parts.market_data().label,
        started_at=parts.clock().isoformat(),
        universe=len(parts.universe),
        lookback_days=parts.settings.lookback_days,
    )
    logger.append_keys(run_id=summary.run_id, as_of=summary.as_of, command=kind)
    return summary


def _fetch_missing(parts: Parts, archive: Archive, window_days: list[date], summary: RunSummary) -> pd.DataFrame:
    """Fetch and store the window's days that have no bars object yet; return what was fetched."""
    stored = set(archive.stored_days("bars"))
    missing_days = [day for day in window_days if day not in stored]
    if not missing_days:
        return empty_bars()
    symbols = parts.universe["symbol"].tolist()
    result: FetchResult = parts.market_data().fetch_bars(symbols, missing_days[0], missing_days[-1])
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
    summary.days_written.extend(day.isoformat() for day in archive.write_bars_days(bars))
    return bars


def _latest_summary(summary: RunSummary, report: pd.DataFrame, changes: dict[str, Any] | None) -> dict[str, Any]:
    ranked = report[report["rank"].notna()].head(LATEST_TOP_ROWS)
    top = ranked.loc[:, ["rank", "symbol", "name", "sector", "close", "peak_close", "drawdown_pct", "days_since_peak", "flags"]]
    top = top.assign(rank=top["rank"].astype(int), drawdown_pct=top["drawdown_pct"].round(2))
    if "score_rank" in ranked:
        top = top.assign(score=ranked["score"].round(2), score_rank=ranked["score_rank"].astype("Int64").astype(object).where(ranked["score_rank"].notna(), None))
    excluded = report[report["rank"].isna()].loc[:, ["symbol", "flags"]]
    return {
        "as_of": summary.as_of,
        "report": summary.report_key,
        "run_id": summary.run_id,
        "source": summary.source,
        "generated_at": summary.finished_at or summary.started_at,
        "universe": summary.universe,
        "ranked": summary.ranked,
        "excluded": summary.excluded,
        "missing": len(summary.missing),
        "failed": len(summary.failed),
        "lookback_days": summary.lookback_days,
        "quality": dict(summary.quality),
        "changes": changes,
        # Left out of the ranking (split-suspect or bad prices), with the flags that say why.
        "excluded_symbols": excluded.to_dict(orient="records"),
        "top": top.to_dict(orient="records"),
    }


def _write_chart(archive: Archive, day: date, bars: pd.DataFrame, lookback_days: int) -> None:
    """Store the day's chart object (the bot's ``/stock`` reads it). Derived data: a failure is
    logged and the run goes on, and ``/stock`` then draws from the bars instead."""
    try:
        archive.store.put_immutable(chart_key(day), chart_to_json(chart_points(bars, day, lookback_days)))
    except ImmutableObjectError:
        logger.warning("chart already stored with different content; keeping it", extra={"key": chart_key(day)})
    except StorageError:
        logger.exception("could not store the chart object", extra={"key": chart_key(day)})


def _store_changes(parts: Parts, target: date, report: pd.DataFrame, summary: RunSummary) -> dict[str, Any] | None:
    """Compare the report with the previous stored one and store that next to it (immutable).

    Derived data: a storage failure is logged and the run goes on, with ``changes`` null in
    ``latest.json`` (``report_changes`` recomputes it on demand)."""
    key = changes_key(target)
    try:
        changes = compute_report_changes(parts, target, report)
        try:
            parts.archive.write_changes(target, changes)
        except ImmutableObjectError:
            logger.warning("changes already stored with different content; keeping them", extra={"key": key})
            changes = parts.archive.read_changes(target)
    except StorageError:
        logger.exception("could not store what changed", extra={"key": key})
        return None
    summary.changes_key = key
    return changes


def _snapshot_positions(parts: Parts, day: date) -> str:
    """Store the day's positions when a trading account is configured; never fails the run.

    The first snapshot of a day is kept: positions move during the day, and history is not rewritten.
    """
    try:
        broker = parts.broker()
        if broker is None:
            return ""
        written = parts.archive.write_positions(day, broker.positions())
        return positions_key(day) if written else f"{positions_key(day)} (already stored)"
    except ImmutableObjectError:
        return f"{positions_key(day)} (kept the day's first snapshot)"
    except Exception as error:  # noqa: BLE001 - the account is optional to the collection
        logger.warning("positions snapshot failed", extra={"error": str(error)})
        return f"not stored: {error}"


def collect(parts: Parts, as_of: date | None = None) -> RunSummary:
    """Run the daily collection for ``as_of`` (default: the last completed session).

    Never raises for one symbol's failure. Raises NothingCollected (after writing a failed
    manifest) when no symbol could be ranked.
    """
    started = time.monotonic()
    settings = parts.settings
    archive = parts.archive
    target = resolve_as_of(parts, as_of)
    summary = _begin(parts, target, "collect")
    try:
        window_start = target - timedelta(days=settings.lookback_days - 1)
        window_days = [stamp.date() for stamp in trading_days(window_start, target)]
        fetched = _fetch_missing(parts, archive, window_days, summary)
        # The context (200-bar average, returns) reads stored history before the window too.
        history_start = target - timedelta(days=max(settings.lookback_days, HISTORY_DAYS) - 1)
        history_days = [stamp.date() for stamp in trading_days(history_start, target)]
        available = set(archive.stored_days("bars"))
        stored = archive.read_bars([day for day in history_days if day in available and day.isoformat() not in summary.days_fetched])
        # Both parts are canonical bars; build_report and the chart keep the last row of a
        # (symbol, date), the fetched one, so neither a sort nor a de-duplication is needed here.
        bars = pd.concat([stored, fetched], ignore_index=True)
        report = build_report(bars, parts.universe, target, settings.lookback_days)
        have_today = set(report["symbol"])
        summary.ranked = int(report["rank"].notna().sum())
        summary.excluded = int(report["rank"].isna().sum())
        summary.missing = sorted(set(parts.universe["symbol"]) - have_today - set(summary.failed))
        if report.empty:
            raise NothingCollected(f"no bars dated {target} for any of {summary.universe} symbols")
        summary.report_key = report_key(target)
        try:
            summary.report_written = archive.write_report(target, report)
        except ImmutableObjectError:
            # A report for this day exists from an earlier run with other inputs: history wins.
            logger.warning("report already stored with different content; keeping it", extra={"key": summary.report_key})
            report = archive.read_report(target)
        _write_chart(archive, target, bars, settings.lookback_days)
        summary.quality = count_flags(report["flags"])
        changes = _store_changes(parts, target, report, summary)
        summary.positions = _snapshot_positions(parts, target)
        summary.outcome = "complete" if not (summary.failed or summary.missing) else "partial"
        summary.finished_at = parts.clock().isoformat()
        summary.duration_s = round(time.monotonic() - started, 3)
        archive.write_latest(_latest_summary(summary, report, changes))
    except Exception as error:
        summary.outcome = "failed"
        summary.error = str(error) or type(error).__name__
        summary.finished_at = parts.clock().isoformat()
        summary.duration_s = round(time.monotonic() - started, 3)
        archive.write_manifest(summary.manifest())
        logger.exception("collection failed", extra={"outcome": "failed"})
        raise
    archive.write_manifest(summary.manifest())
    logger.info(
        "collection finished",
        extra={"outcome": summary.outcome, "ranked": summary.ranked, "missing": len(summary.missing), "failed": len(summary.failed)},
    )
    return summary


def backfill(parts: Parts, start: date | None = None, end: date | None = None, days: int | None = None) -> RunSummary:
    """Fetch and store the bars of every trading day in [start, end] that is not stored yet.

    ``days`` instead of ``start`` means that many calendar days back from ``end`` (inclusive).
    """
    started = time.monotonic()
    last = resolve_as_of(parts, end)
    first = start if start is not None else last - timedelta(days=(days or 1) - 1)
    if first > last:
        raise ValueError(f"backfill start {first} is after its end {last}")
    summary = _begin(parts, last, "backfill")
    try:
        window_days = [stamp.date() for stamp in trading_days(first, last)]
        _fetch_missing(parts, parts.archive, window_days, summary)
        summary.outcome = "complete" if not summary.failed else ("partial" if summary.days_written else "failed")
    except Exception as error:
        summary.outcome = "failed"
        summary.error = str(error) or type(error).__name__
        logger.exception("backfill failed")
    summary.finished_at = parts.clock().isoformat()
    summary.duration_s = round(time.monotonic() - started, 3)
    parts.archive.write_manifest(summary.manifest())
    return summary
