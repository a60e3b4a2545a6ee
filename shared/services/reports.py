"""The read side: what the web pages, the JSON API and the bot show about runs and reports.

Methods return plain data (dicts, frames) and raise domain errors (NoReportYet, CorruptObject);
the edges map them.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable, Hashable, TypeVar

import pandas as pd

from shared.adapters.archive import Archive, report_key
from shared.core.changes import compare_reports
from shared.core.sectors import summarise_sectors
from shared.core.track_record import HORIZONS, TRACK_RECORD_COLUMNS, compute_track_record, horizon_targets
from shared.core.trading_calendar import trading_days
from shared.errors import NoReportYet, ObjectNotFound
from shared.services.report_views import ViewCache
from shared.services.run_history import counted, without_paths

#: The fields of a run manifest that ``status`` shows; long symbol lists are shown as counts.
_RUN_FIELDS = ("run_id", "kind", "as_of", "source", "outcome", "started_at", "finished_at", "duration_s", "universe", "ranked", "excluded", "quality", "error")
V = TypeVar("V")


class Reports:
    """Stored runs and reports, read through the archive."""

    def __init__(self, archive: Archive, *, storage_location: str, market_data: str, top_n: int, views: ViewCache | None = None) -> None:
        self._archive = archive
        self._views = views if views is not None else ViewCache()
        # What status shows of the configuration: kinds, never a path of the machine.
        self._storage_kind = "s3" if storage_location.startswith("s3://") else "local"
        self._market_data = "csv" if market_data.startswith("csv:") else market_data
        self._top_n = top_n

    def latest_day(self) -> date:
        """The day of the latest report; NoReportYet before the first successful run."""
        return date.fromisoformat(str(self.latest_summary()["as_of"]))

    def latest_summary(self) -> dict[str, Any]:
        """The ``latest.json`` summary; NoReportYet before the first successful run."""
        try:
            return self._archive.read_latest()
        except ObjectNotFound:
            raise NoReportYet("no report has been collected yet; run `flask --app app collect`") from None

    def last_collection(self) -> dict[str, Any] | None:
        """The newest collection's manifest, whatever its outcome, or None before the first."""
        return self._archive.latest_run(kind="collect")

    def previous_collection(self, run: dict[str, Any]) -> dict[str, Any] | None:
        """The newest collection manifest stored before ``run``'s, or None."""
        own = str(run.get("run_id") or "")
        for key in reversed(self._archive.list_runs()):
            manifest = self._archive.read_run(key)
            if manifest.get("kind") == "collect" and str(manifest.get("run_id") or "") < own:  # run ids sort by time
                return manifest
        return None

    def status(self, names: bool = False) -> dict[str, Any]:
        """The service's state: the last run (any outcome), the latest report's summary and its
        source, the kinds of storage and market data configured (no path of the machine). The
        run's missing and failed symbols are counts, or with ``names`` the lists themselves."""
        run = self.last_collection()
        try:
            latest: dict[str, Any] | None = self._archive.read_latest()
        except ObjectNotFound:
            latest = None
        last_run = None
        if run is not None:
            shown = run if names else counted(run)
            last_run = {key: shown.get(key) for key in (*_RUN_FIELDS, "missing", "failed")}
            last_run["error"] = without_paths(str(last_run.get("error") or ""))
        return {
            "service": "dipwatch",
            "source": None if latest is None else latest.get("source"),
            "storage": self._storage_kind,
            "market_data": self._market_data,
            "last_run": last_run,
            "latest_report": None if latest is None else {k: v for k, v in latest.items() if k != "top"},
        }

    def report_days(self) -> list[date]:
        """Days that have a stored report, oldest first."""
        return self._archive.stored_days("reports")

    def load_report(self, day: date | None = None) -> tuple[date, pd.DataFrame]:
        """The report for ``day`` (default: the latest); NoReportYet if there is none."""
        if day is None:
            day = self.latest_day()
        try:
            return day, self._archive.read_report(day)
        except ObjectNotFound:
            raise NoReportYet(f"no report for {day.isoformat()}") from None

    def derived(self, day: date, name: Hashable, build: Callable[[pd.DataFrame], V]) -> V:
        """``build(report)`` of the report of ``day``, built once per stored report and kept in
        memory (see ``shared.services.report_views``): the same ``name`` must always mean the same
        ``build``, and its result is shared, never to be changed. NoReportYet if there is none."""
        return self._views.get((report_key(day), name), lambda: build(self.load_report(day)[1]))

    def sector_summary(self, day: date | None = None) -> pd.DataFrame:
        """Per sector of the report of ``day`` (default: the latest): ``sector, count,
        median_drawdown_pct, share_below_20_pct``, deepest median first."""
        _as_of, report = self.load_report(day)
        return summarise_sectors(report)

    def report_changes(self, day: date | None = None) -> dict[str, Any]:
        """What changed in the report of ``day`` (default: the latest) against the previous one:
        the stored ``reports/D.changes.json``, or computed when a report predates it."""
        as_of, report = self.load_report(day)
        try:
            return self._archive.read_changes(as_of)
        except ObjectNotFound:
            return changes_since_previous(self._archive, as_of, report, self._top_n)

    def track_record(self) -> pd.DataFrame:
        """How each stored report's top 10 did 1, 3 and 6 months later against the universe
        median, from the stored reports and bars (see ``shared.core.track_record``)."""
        archive = self._archive
        days = archive.stored_days("reports")
        bar_days = archive.stored_days("bars")
        if not days or not bar_days or bar_days[-1] <= days[0]:
            return pd.DataFrame(columns=TRACK_RECORD_COLUMNS)
        sessions = trading_days(days[0], bar_days[-1])
        targets = horizon_targets(pd.DatetimeIndex([pd.Timestamp(d) for d in days]), sessions, HORIZONS)
        if targets.empty:
            return pd.DataFrame(columns=TRACK_RECORD_COLUMNS)
        wanted = {stamp.date() for stamp in targets["as_of"]} | {stamp.date() for stamp in targets["target"]}
        closes = archive.read_bars(sorted(wanted & set(bar_days))).loc[:, ["symbol", "date", "close"]]
        report_days = sorted({stamp.date() for stamp in targets["as_of"]})
        reports = pd.concat(
            [archive.read_report(day).loc[:, ["symbol", "rank"]].assign(as_of=pd.Timestamp(day)) for day in report_days],
            ignore_index=True,
        )
        return compute_track_record(reports, closes, sessions, HORIZONS)


def changes_since_previous(archive: Archive, as_of: date, report: pd.DataFrame, top_n: int) -> dict[str, Any]:
    """Compare ``report`` (of ``as_of``) with the newest stored report before it, if any."""
    previous_day = archive.previous_report_day(as_of)
    previous = archive.read_report(previous_day) if previous_day is not None else None
    return compare_reports(report, previous, as_of, previous_day, top_n)
