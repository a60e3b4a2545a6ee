"""The read side of the web: one report at a time, with the run that made it, its source, its
ranking page, sectors and what changed. The JSON API and the pages share it.

Every reply names one report day, and everything on it comes from that report and the run that
wrote it, so the page never mixes two runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Protocol

import pandas as pd

from shared.adapters.archive import Archive
from shared.core.analytics import compare_reports, summarise_sectors
from shared.core.glossary import FLAG_MEANINGS, SURVIVORSHIP_CAVEAT
from shared.core.quality import FLAG_NAMES
from shared.core.track_record import summarise_track_record
from shared.core.report_view import NO_FLAG, ReportPage, ReportQuery, round_to_meaning, to_records, view_report
from shared.errors import BadInput, NoReportYet, ObjectNotFound
from shared.services.run_history import RunHistory, RunView


class ReportLinks(Protocol):
    """Hands out time-limited links to a report's CSV."""

    def report_url(self, day: date, base_url: str) -> str:
        """A link that downloads the report CSV of ``day``."""
        ...


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
    return records


def _sector_rows(report: Report) -> list[dict[str, Any]]:
    return to_records(round_to_meaning(summarise_sectors(report.frame)))


class Dashboard:
    """Stored reports, read for people: by day or ``latest``, filtered, sorted and paged."""

    def __init__(
        self,
        archive: Archive,
        runs: RunHistory,
        links: ReportLinks,
        track_record: Callable[[], pd.DataFrame],
        *,
        top_n: int,
        link_ttl_seconds: int,
        market_data: str,
    ) -> None:
        self._archive = archive
        self._runs = runs
        self._links = links
        self._track_record = track_record
        self._top_n = top_n
        self._link_ttl_seconds = link_ttl_seconds
        self._market_data = "csv" if market_data.startswith("csv:") else market_data  # never the file's path

    def latest_summary(self) -> dict[str, Any]:
        """The ``latest.json`` summary; NoReportYet before the first report."""
        try:
            return self._archive.read_latest()
        except ObjectNotFound:
            raise NoReportYet("no report has been collected yet; run `flask --app app collect`") from None

    def report(self, day: date | None = None) -> Report:
        """The report of ``day`` (None: the latest) with its source; NoReportYet when there is none."""
        latest = self.latest_summary()
        latest_day = date.fromisoformat(str(latest["as_of"]))
        as_of = latest_day if day is None else day
        try:
            frame = self._archive.read_report(as_of)
        except ObjectNotFound:
            raise NoReportYet(f"no report for {as_of.isoformat()}") from None
        if as_of == latest_day:
            return Report(as_of, frame, str(latest.get("source") or "") or None, latest)
        run = self._runs.report_run(as_of)
        return Report(as_of, frame, run.source if run else None, None)

    def page(self, day: date | None, query: ReportQuery) -> tuple[Report, ReportPage]:
        """One page of a report; BadInput naming ``sector`` or ``flag`` when the report has no such choice."""
        report = self.report(day)
        page = view_report(report.frame, query)
        if query.sector is not None and query.sector.casefold() not in {sector.casefold() for sector in page.sectors}:
            raise BadInput(f"sector: {query.sector!r} is not a sector of the report of {report.as_of}; it has {', '.join(page.sectors)}")
        known_flags = {NO_FLAG, *FLAG_NAMES, *FLAG_MEANINGS, *page.flags}
        if query.flag is not None and query.flag not in known_flags:
            raise BadInput(f"flag: {query.flag!r} is not a flag; use one of {', '.join(sorted(known_flags))}")
        return report, page

    def sectors(self, day: date | None = None) -> tuple[Report, list[dict[str, Any]]]:
        """Per sector of a report: count, median drawdown, share more than 20% down."""
        report = self.report(day)
        return report, _sector_rows(report)

    def changes(self, day: date | None = None) -> tuple[Report, dict[str, Any]]:
        """What changed in a report against the previous one."""
        report = self.report(day)
        return report, self._changes(report)

    def _changes(self, report: Report) -> dict[str, Any]:
        """As stored next to the report, or computed for a report that predates that."""
        try:
            return self._archive.read_changes(report.as_of)
        except ObjectNotFound:
            earlier = [stored for stored in self._archive.stored_days("reports") if stored < report.as_of]
            previous_day = earlier[-1] if earlier else None
            previous = self._archive.read_report(previous_day) if previous_day is not None else None
            return compare_reports(report.frame, previous, report.as_of, previous_day, self._top_n)

    def overview(self, day: date | None, query: ReportQuery, base_url: str) -> Overview:
        """The dashboard of a report: its run, its ranking page, its sectors and what changed."""
        report, page = self.page(day, query)
        run = self._runs.by_id(str(report.latest["run_id"])) if report.latest and report.latest.get("run_id") else self._runs.report_run(report.as_of)
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
            sectors=_sector_rows(report),
            changes=self._changes(report),
            download_url=self._links.report_url(report.as_of, base_url),
        )

    def status(self) -> dict[str, Any]:
        """The service's state: the newest collection (any outcome) and the latest report's summary."""
        run = self._runs.newest_collection()
        try:
            latest: dict[str, Any] | None = self.latest_summary()
        except NoReportYet:
            latest = None
        return {
            "service": "dipwatch",
            "source": None if latest is None else latest.get("source"),
            "market_data": self._market_data,
            "storage": "s3" if self._archive.store.location.startswith("s3://") else "local",
            "last_run": None if run is None else run.as_json(),
            "latest_report": None if latest is None else {key: value for key, value in latest.items() if key != "top"},
        }

    def report_days(self) -> list[date]:
        """Days that have a stored report, oldest first."""
        return self._archive.stored_days("reports")

    def report_reply(self, day: date | None, query: ReportQuery) -> dict[str, Any]:
        """A page of a report as the API answers it; for the latest report, with the pointer's summary."""
        report, page = self.page(day, query)
        rows = page_records(page.rows)
        for row in rows:
            del row["flag_list"]
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
            next_offset=page.next_offset,
            rows=rows,
        )
        return reply

    def download_link(self, day: date | None, base_url: str) -> dict[str, Any]:
        """A link that downloads the CSV of a report (None: the latest) for ``link_ttl_seconds``."""
        as_of = self.report(day).as_of
        return {"as_of": as_of.isoformat(), "url": self._links.report_url(as_of, base_url), "expires_in": self._link_ttl_seconds}

    def changes_reply(self, day: date | None) -> dict[str, Any]:
        """What changed, with the report's source."""
        report, changes = self.changes(day)
        return {**changes, "source": report.source}

    def sectors_reply(self, day: date | None) -> dict[str, Any]:
        """Per sector, with the report's day and source."""
        report, sectors = self.sectors(day)
        return {"as_of": report.as_of.isoformat(), "source": report.source, "sectors": sectors}

    def report_links(self, limit: int, base_url: str) -> list[dict[str, Any]]:
        """The newest ``limit`` report days, newest first, each with a link that downloads its CSV."""
        days = self._archive.stored_days("reports")[::-1][:limit]
        return [{"day": day.isoformat(), "download_url": self._links.report_url(day, base_url)} for day in days]

    def track_record(self) -> dict[str, Any]:
        """Past top-10 lists against the universe median: per report and horizon, the mean per
        horizon, the survivorship caveat, and the latest report's source."""
        table = self._track_record()
        try:
            source = self.latest_summary().get("source")
        except NoReportYet:
            source = None
        return {
            "source": source,
            "caveat": SURVIVORSHIP_CAVEAT,
            "rows": to_records(round_to_meaning(table)),
            "summary": to_records(round_to_meaning(summarise_track_record(table))) if len(table) else [],
        }
