"""The read side of the web: one report at a time, with the run that made it, its source, its
ranking page, sectors and what changed. The JSON API and the pages share it.

Every reply names one report day, and everything on it comes from that report and the run that
wrote it, so a page never mixes two runs.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pandas as pd

from shared.core.glossary import FLAG_MEANINGS, SURVIVORSHIP_CAVEAT
from shared.core.quality import FLAG_NAMES
from shared.core.report_view import NO_FLAG, ReportPage, ReportQuery, round_to_meaning, to_records, view_report
from shared.core.share_classes import classes_in_group, other_classes_of
from shared.core.track_record import summarise_track_record
from shared.errors import BadInput, NoReportYet
from shared.services.downloads import Downloads
from shared.services.reports import Reports
from shared.services.run_history import RunHistory, RunView
from shared.services.stocks import StockIndex


@dataclass(frozen=True)
class Report:
    """A stored report with its day, where its data came from, and the latest pointer when it is the latest."""

    as_of: date
    frame: pd.DataFrame
    source: str | None
    latest: dict[str, Any] | None  # the latest.json summary, when this is the latest report


@dataclass(frozen=True)
class Overview:
    """Everything the dashboard shows about one report."""

    as_of: date
    is_latest: bool
    source: str | None
    run: RunView | None
    newer_run: RunView | None  # the newest collection, when it is not the one that made this report
    page: ReportPage
    rows: list[dict[str, Any]]
    sectors: list[dict[str, Any]]
    changes: dict[str, Any] | None
    download_url: str

    @property
    def has_edge(self) -> bool:
        """Whether a row on the page has its peak at the window's start."""
        return any(row.get("peak_at_window_edge") for row in self.rows)


def page_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Report rows as JSON-ready dicts, rounded to their meaning, with ``flag_list`` for templates."""
    records = to_records(round_to_meaning(frame))
    for record in records:
        record["flag_list"] = [flag for flag in str(record.get("flags") or "").split(";") if flag]
        if "other_classes" in record:
            record["other_class_list"] = other_classes_of(record["other_classes"])
    return records


class Dashboard:
    """Stored reports, read for people: by day or ``latest``, filtered, sorted and paged."""

    def __init__(self, reports: Reports, runs: RunHistory, downloads: Downloads) -> None:
        self._reports = reports
        self._runs = runs
        self._downloads = downloads

    def report(self, day: date | None = None) -> Report:
        """The report of ``day`` (None: the latest) with its source; NoReportYet when there is none."""
        latest = self._reports.latest_summary()
        latest_day = date.fromisoformat(str(latest["as_of"]))
        as_of, frame = self._reports.load_report(latest_day if day is None else day)
        if as_of == latest_day:
            return Report(as_of, frame, str(latest.get("source") or "") or None, latest)
        run = self._runs.report_run(as_of)
        return Report(as_of, frame, run.source if run else None, None)

    def page(self, day: date | None, query: ReportQuery) -> tuple[Report, ReportPage]:
        """One page of a report; BadInput naming ``sector`` or ``flag`` when the report has no such choice."""
        report = self.report(day)
        whole = replace(query, offset=0, limit=None)  # built once per report and query, then sliced
        every = self._reports.derived(report.as_of, ("page", whole), lambda frame: view_report(frame, whole))
        end = None if query.limit is None else query.offset + query.limit
        rows = every.rows.iloc[query.offset : end].reset_index(drop=True)
        page = replace(every, rows=rows, query=query, sectors=list(every.sectors), flags=list(every.flags))
        if query.sector is not None and query.sector.casefold() not in {sector.casefold() for sector in page.sectors}:
            raise BadInput(f"sector: {query.sector!r} is not a sector of the report of {report.as_of}; it has {', '.join(page.sectors)}")
        known_flags = {NO_FLAG, *FLAG_NAMES, *FLAG_MEANINGS, *page.flags}
        if query.flag is not None and query.flag not in known_flags:
            raise BadInput(f"flag: {query.flag!r} is not a flag; use one of {', '.join(sorted(known_flags))}")
        return report, page

    def other_classes(self, as_of: date, symbol: str) -> list[str]:
        """The other share classes of ``symbol``'s company in the report of ``as_of``, most traded
        first (``shared.core.share_classes.classes_in_group``), from the report's kept index."""
        index = self._reports.derived(as_of, "stocks", StockIndex.of)
        position = index.positions.get(symbol)
        return [] if position is None else classes_in_group(index.report, index.groups, position)

    def _sectors(self, report: Report) -> list[dict[str, Any]]:
        return to_records(round_to_meaning(self._reports.sector_summary(report.as_of)))

    def overview(self, day: date | None, query: ReportQuery, base_url: str) -> Overview:
        """The dashboard of a report: its run, its ranking page, its sectors and what changed."""
        report, page = self.page(day, query)
        run_id = (report.latest or {}).get("run_id")
        run = self._runs.by_id(str(run_id)) if run_id else self._runs.report_run(report.as_of)
        newest = self._runs.newest_collection() if report.latest is not None else None
        newer = newest if newest is not None and (run is None or newest.run_id != run.run_id) else None
        return Overview(
            as_of=report.as_of,
            is_latest=report.latest is not None,
            source=report.source,
            run=run,
            newer_run=newer,
            page=page,
            rows=page_records(page.rows),
            sectors=self._sectors(report),
            changes=self._reports.report_changes(report.as_of),
            download_url=self._downloads.report_url(report.as_of, base_url),
        )

    def report_reply(self, day: date | None, query: ReportQuery) -> dict[str, Any]:
        """A page of a report as the API answers it; for the latest report, with the pointer's summary."""
        report, page = self.page(day, query)
        rows = page_records(page.rows)
        for row in rows:
            del row["flag_list"]
            row.pop("other_class_list", None)
        reply = dict(report.latest or {})
        reply.update(
            as_of=report.as_of.isoformat(),
            source=report.source,
            total=page.total,
            offset=query.offset,
            limit=query.limit if query.limit is not None else max(page.total, 1),
            count=len(rows),
            sort=query.sort,
            order="desc" if query.is_descending else "asc",
            sector=query.sector,
            flag=query.flag,
            classes="grouped" if query.grouped else "all",
            next_offset=page.next_offset,
            rows=rows,
        )
        return reply

    def download_link(self, day: date | None, base_url: str) -> dict[str, Any]:
        """A link that downloads the CSV of a report (None: the latest) for the links' lifetime."""
        as_of = self.report(day).as_of
        return {"as_of": as_of.isoformat(), "url": self._downloads.report_url(as_of, base_url), "expires_in": self._downloads.ttl_seconds}

    def changes_reply(self, day: date | None) -> dict[str, Any]:
        """What changed, with the report's source."""
        report = self.report(day)
        return {**self._reports.report_changes(report.as_of), "source": report.source}

    def sectors_reply(self, day: date | None) -> dict[str, Any]:
        """Per sector, with the report's day and source."""
        report = self.report(day)
        return {"as_of": report.as_of.isoformat(), "source": report.source, "sectors": self._sectors(report)}

    def report_links(self, limit: int, base_url: str) -> list[dict[str, Any]]:
        """The newest ``limit`` report days, newest first, each with a link that downloads its CSV."""
        days = self._reports.report_days()[::-1][:limit]
        return [{"day": day.isoformat(), "download_url": self._downloads.report_url(day, base_url)} for day in days]

    def track_record(self) -> dict[str, Any]:
        """Past top-10 lists against the universe median: per report and horizon, the mean per
        horizon, the survivorship caveat, and the latest report's source."""
        table = self._reports.track_record()
        try:
            source = self._reports.latest_summary().get("source")
        except NoReportYet:
            source = None
        return {
            "source": source,
            "caveat": SURVIVORSHIP_CAVEAT,
            "rows": to_records(round_to_meaning(table)),
            "summary": to_records(round_to_meaning(summarise_track_record(table))) if len(table) else [],
        }
