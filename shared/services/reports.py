"""Service functions for the read side: what the web pages, the JSON API and the bot show.

Each takes the wired ``Parts`` and plain arguments and returns plain data (dicts, frames).
Errors are domain errors (NoReportYet, UnknownSymbol, ObjectNotFound); the edges map them.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from shared.core.analytics import compare_reports, summarise_sectors
from shared.adapters.archive import report_key
from shared.bootstrap import Parts
from shared.errors import NoReportYet, ObjectNotFound
from shared.adapters.links import download_url, read_token
from shared.core.track_record import HORIZONS, TRACK_RECORD_COLUMNS, compute_track_record, horizon_targets
from shared.core.trading_calendar import trading_days
from shared.adapters.universe import find_symbol


def latest_summary(parts: Parts) -> dict[str, Any]:
    """The ``latest.json`` summary; NoReportYet before the first successful run."""
    try:
        return parts.archive.read_latest()
    except ObjectNotFound:
        raise NoReportYet("no report has been collected yet; run `flask --app app collect`") from None


def status(parts: Parts) -> dict[str, Any]:
    """The service's state: the last run's manifest (any outcome) and the latest report's summary."""
    archive = parts.archive
    run = archive.latest_run(kind="collect")
    try:
        latest = archive.read_latest()
    except ObjectNotFound:
        latest = None
    last_run = None
    if run is not None:
        last_run = {
            key: run.get(key)
            for key in ("run_id", "kind", "as_of", "source", "outcome", "started_at", "finished_at", "duration_s", "universe", "ranked", "excluded", "quality", "error")
        }
        last_run["missing"] = len(run.get("missing", []))
        last_run["failed"] = len(run.get("failed", {}))
    return {
        "service": "dipwatch",
        "storage": parts.store.location,
        "market_data": parts.settings.market_data,
        "last_run": last_run,
        "latest_report": None if latest is None else {k: v for k, v in latest.items() if k != "top"},
    }


def list_runs(parts: Parts, limit: int = 20) -> list[dict[str, Any]]:
    """The newest run manifests, newest first, without their long symbol lists."""
    archive = parts.archive
    keys = archive.list_runs()[-limit:][::-1]
    runs = []
    for key in keys:
        run = archive.read_run(key)
        run["missing"] = len(run.get("missing", []))
        run["failed"] = len(run.get("failed", {}))
        run["unknown"] = len(run.get("unknown", []))
        runs.append(run)
    return runs


def report_days(parts: Parts) -> list[date]:
    """Days that have a stored report, oldest first."""
    return parts.archive.stored_days("reports")


def load_report(parts: Parts, day: date | None = None) -> tuple[date, pd.DataFrame]:
    """The report for ``day`` (default: the latest); NoReportYet if there is none."""
    if day is None:
        day = date.fromisoformat(latest_summary(parts)["as_of"])
    try:
        return day, parts.archive.read_report(day)
    except ObjectNotFound:
        raise NoReportYet(f"no report for {day.isoformat()}") from None


def stock_detail(parts: Parts, query: str, day: date | None = None) -> dict[str, Any]:
    """One symbol's row of the report, plus its window of closes for a chart."""
    symbol = find_symbol(query, parts.universe)
    as_of, report = load_report(parts, day)
    rows = report[report["symbol"] == symbol]
    if rows.empty:
        raise NoReportYet(f"{symbol} has no bar dated {as_of.isoformat()} in the report")
    row = rows.iloc[0].to_dict()
    start = as_of - timedelta(days=parts.settings.lookback_days - 1)
    window = [d for d in parts.archive.stored_days("bars") if start <= d <= as_of]
    bars = parts.archive.read_bars(window)
    closes = bars[bars["symbol"] == symbol].loc[:, ["date", "close"]].reset_index(drop=True)
    return {"as_of": as_of, "row": row, "closes": closes}


def report_download_url(parts: Parts, day: date, base_url: str) -> str:
    """A time-limited link to the report CSV of ``day``; NoReportYet if there is none."""
    key = report_key(day)
    if not parts.store.exists(key):
        raise NoReportYet(f"no report for {day.isoformat()}")
    settings = parts.settings
    return download_url(parts.store, settings.secret_key, key, settings.link_ttl_seconds, base_url)


def open_download(parts: Parts, token: str) -> tuple[str, bytes]:
    """The key and bytes a signed download token names; InvalidLink or ObjectNotFound otherwise."""
    settings = parts.settings
    key = read_token(settings.secret_key, token, settings.link_ttl_seconds)
    return key, parts.store.get(key)


# --- analytics: sectors, what changed, track record ---------------------------------------------


def sector_summary(parts: Parts, day: date | None = None) -> pd.DataFrame:
    """Per sector of the report of ``day`` (default: the latest): ``sector, count,
    median_drawdown_pct, share_below_20_pct``, deepest median first."""
    _as_of, report = load_report(parts, day)
    return summarise_sectors(report)


def compute_report_changes(parts: Parts, as_of: date, report: pd.DataFrame) -> dict[str, Any]:
    """Compare ``report`` (of ``as_of``) with the newest stored report before it, if any."""
    earlier = [stored for stored in parts.archive.stored_days("reports") if stored < as_of]
    previous_day = earlier[-1] if earlier else None
    previous = parts.archive.read_report(previous_day) if previous_day is not None else None
    return compare_reports(report, previous, as_of, previous_day, parts.settings.top_n)


def report_changes(parts: Parts, day: date | None = None) -> dict[str, Any]:
    """What changed in the report of ``day`` (default: the latest) against the previous one:
    the stored ``reports/D.changes.json``, or computed when a report predates it."""
    as_of, report = load_report(parts, day)
    try:
        return parts.archive.read_changes(as_of)
    except ObjectNotFound:
        return compute_report_changes(parts, as_of, report)


def track_record(parts: Parts) -> pd.DataFrame:
    """How each stored report's top 10 did 1, 3 and 6 months later against the universe median,
    from the stored reports and bars (see ``shared.core.track_record``)."""
    archive = parts.archive
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
    report_frames = [archive.read_report(day).loc[:, ["symbol", "rank"]].assign(as_of=pd.Timestamp(day)) for day in sorted({t.date() for t in targets["as_of"]})]
    reports = pd.concat(report_frames, ignore_index=True)
    return compute_track_record(reports, closes, sessions, HORIZONS)
