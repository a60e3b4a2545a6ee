"""The JSON API under ``/api``, described by ``/api/openapi.json`` (see ``app.openapi``).

Each route parses its input, calls one service method and shapes the reply. Every data reply
names its ``source``. Replies about a named day are immutable and cached long, with an ETag;
anything that follows ``latest`` is cached briefly.
"""
from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as HttpResponse

from app.params import MAX_PAGE_ROWS, MAX_RUNS, parse_choice, parse_day, parse_int, parse_report_query
from app.routes import wired

api = Blueprint("api", __name__, url_prefix="/api")

#: A day's report never changes once stored.
IMMUTABLE = "public, max-age=31536000, immutable"
#: ``latest`` moves once a trading day; clients re-check after a minute.
POINTER = "public, max-age=60"
#: A stock's closes for a named day could still gain a late-stored bar: a day, not a year.
DAILY = "public, max-age=86400"


def cached(payload: Any, policy: str) -> HttpResponse:
    """``payload`` as JSON with an ETag and ``policy`` as Cache-Control; 304 when the client has it."""
    response = jsonify(payload)
    response.headers["Cache-Control"] = policy
    response.add_etag()
    return response.make_conditional(request)


def _policy(day: date | None, named: str = IMMUTABLE) -> str:
    return POINTER if day is None else named


@api.get("/status")
def status() -> ResponseReturnValue:
    """The newest collection and the latest report's summary; no machine paths."""
    return cached(wired().reports.status(), POINTER)


@api.get("/runs")
def runs() -> ResponseReturnValue:
    """The newest run manifests, newest first."""
    limit = parse_int(request.args, "limit", 20, 1, MAX_RUNS) or 20
    return cached({"runs": [run.as_json() for run in wired().run_history.recent(limit)]}, POINTER)


@api.get("/reports")
def reports() -> ResponseReturnValue:
    """The days that have a report, oldest first."""
    return cached({"days": [day.isoformat() for day in wired().reports.report_days()]}, POINTER)


@api.get("/reports/<day>")
def report(day: str) -> ResponseReturnValue:
    """A report's rows, filtered, sorted and paged; ``format=csv`` for a CSV of the same rows."""
    as_of = parse_day(day)
    wanted = parse_choice(request.args, "format", ("json", "csv"), "json")
    # Without a limit, a CSV carries every selected row, a JSON page at most MAX_PAGE_ROWS.
    # A CSV keeps every symbol unless asked to group; JSON pages group share classes by default.
    query = parse_report_query(request.args, None if wanted == "csv" else MAX_PAGE_ROWS, grouped=wanted != "csv")
    found = wired().dashboard.report_reply(as_of, query)
    if wanted == "csv":
        return _csv_reply(found["rows"], found["as_of"], _policy(as_of))
    if found["next_offset"] is not None:
        args = {**request.args.to_dict(), "offset": found["next_offset"], "limit": found["limit"]}
        found["next"] = f"{request.base_url}?{urlencode(args)}"
    else:
        found["next"] = None
    del found["next_offset"]
    return cached(found, _policy(as_of))


def _csv_reply(rows: list[dict[str, Any]], as_of: str, policy: str) -> HttpResponse:
    """Rows as a CSV attachment (the columns of the first row; empty values as empty fields)."""
    buffer = io.StringIO()
    columns = list(rows[0]) if rows else []
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="dipwatch-{as_of}.csv"'
    response.headers["Cache-Control"] = policy
    response.add_etag()
    return response.make_conditional(request)


@api.get("/reports/<day>/download")
def report_download(day: str) -> ResponseReturnValue:
    """A time-limited link that downloads the report CSV."""
    return wired().dashboard.download_link(parse_day(day), request.host_url)


@api.get("/reports/<day>/changes")
def report_changes(day: str) -> ResponseReturnValue:
    """What changed in a report against the previous one."""
    as_of = parse_day(day)
    return cached(wired().dashboard.changes_reply(as_of), _policy(as_of))


@api.get("/sectors")
def sectors() -> ResponseReturnValue:
    """Per sector of a report (``?day=``, default the latest)."""
    as_of = parse_day(request.args.get("day"))
    return cached(wired().dashboard.sectors_reply(as_of), _policy(as_of))


@api.get("/track-record")
def track_record() -> ResponseReturnValue:
    """Past top-10 lists' forward returns against the universe median, with the survivorship caveat."""
    reply = wired().dashboard.track_record()
    return cached({key: reply[key] for key in ("source", "caveat", "rows", "summary")}, POINTER)


@api.get("/stocks/<symbol>")
def stock(symbol: str) -> ResponseReturnValue:
    """One stock's report row and its closes in the window (``?day=``, default the latest)."""
    as_of = parse_day(request.args.get("day"))
    return cached(wired().stock_pages.detail(symbol, as_of), _policy(as_of, DAILY))


@api.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of this API."""
    from app.openapi import openapi_document

    return cached(openapi_document(), POINTER)


@api.get("/docs")
def docs() -> ResponseReturnValue:
    """The API described for people, from the same document (no CDN, no JavaScript)."""
    from app.openapi import openapi_document

    return render_template("api_docs.html", document=openapi_document())
