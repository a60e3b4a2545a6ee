"""The web pages: the dashboard, a symbol, the runs, the reports and the track record.

Each route parses its input, calls one service method and renders one template. Without
JavaScript everything works: sorting, filters and pages are plain links and GET forms.
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue

from app.params import DEFAULT_PAGE_ROWS, PAGE_SIZES, parse_day, parse_int, parse_report_query
from app.routes import wired
from shared.errors import NoReportYet

pages = Blueprint("pages", __name__)


@pages.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness: the process answers."""
    return {"status": "ok"}


@pages.get("/")
def dashboard() -> ResponseReturnValue:
    """One report (``?day=``, default the latest): its run, the ranking page, sectors, what changed."""
    container = wired()
    day = parse_day(request.args.get("day"))
    query = parse_report_query(request.args, DEFAULT_PAGE_ROWS, max(PAGE_SIZES))
    try:
        view = container.dashboard.overview(day, query, request.host_url)
    except NoReportYet:
        if day is not None:
            raise
        return render_template("no_report.html", run=container.run_history.newest_collection())
    return render_template("dashboard.html", view=view)


@pages.get("/stocks/<symbol>")
def stock(symbol: str) -> ResponseReturnValue:
    """One stock: chart, context, flags and rank history (``?day=``, default the latest report)."""
    view = wired().stock_pages.view(symbol, parse_day(request.args.get("day")))
    return render_template("stock.html", view=view)


@pages.get("/runs")
def runs() -> ResponseReturnValue:
    """One line per run, newest first."""
    limit = parse_int(request.args, "limit", 50, 1, 1000) or 50
    found = wired().run_history.recent(limit + 1)
    return render_template("runs.html", runs=found[:limit], more=len(found) > limit, limit=limit)


@pages.get("/reports")
def reports() -> ResponseReturnValue:
    """Every stored report, newest first, each with a signed download link."""
    limit = parse_int(request.args, "limit", 60, 1, 5000) or 60
    container = wired()
    listed = container.dashboard.report_links(limit + 1, request.host_url)
    return render_template(
        "reports.html", days=listed[:limit], more=len(listed) > limit, limit=limit, link_minutes=container.downloads.ttl_seconds // 60
    )


@pages.get("/track-record")
def track_record() -> ResponseReturnValue:
    """Past top-10 lists against the universe median, with the survivorship caveat."""
    return render_template("track_record.html", **wired().dashboard.track_record())


@pages.get("/download/<token>")
def download(token: str) -> ResponseReturnValue:
    """The report CSV behind a signed, expiring link, as a file download."""
    key, data = wired().downloads.open(token)
    name = key.rsplit("/", 1)[-1]
    return Response(data, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})
