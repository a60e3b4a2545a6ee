"""HTTP edges. Each route parses its input, calls one service function and shapes the reply."""
from __future__ import annotations

import hmac
import json
from datetime import date
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from shared.services import reports as services
from shared.bootstrap import Parts
from shared.bot.webhook import answer_update
from shared.errors import DipwatchError, NoReportYet, ObjectNotFound, UnknownSymbol
from shared.adapters.links import InvalidLink
from shared.telemetry import logger

web = Blueprint("web", __name__)
api = Blueprint("api", __name__, url_prefix="/api")
telegram = Blueprint("telegram", __name__, url_prefix="/telegram")

#: The largest webhook body accepted; Telegram's updates are a few kilobytes.
WEBHOOK_MAX_BYTES = 256 * 1024


def parts() -> Parts:
    """The wired parts of the running app."""
    return current_app.extensions["dipwatch"]


def error_response(status: int, message: str) -> Response:
    """Every JSON error has this one shape: ``{"error": {"status": N, "message": "..."}}``."""
    response = jsonify({"error": {"status": status, "message": message}})
    response.status_code = status
    return response


def parse_day(text: str) -> date:
    """A YYYY-MM-DD path or query value; ValueError with a clear message otherwise."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD") from None


# --- web pages ---------------------------------------------------------------------------------


@web.get("/healthz")
def healthz() -> Any:
    """Liveness: the process answers."""
    return {"status": "ok"}


@web.get("/")
def index() -> Any:
    """The last run and the top 20."""
    state = services.status(parts())
    try:
        latest = services.latest_summary(parts())
    except NoReportYet:
        latest = None
    return render_template("index.html", status=state, latest=latest)


@web.get("/download/<token>")
def download(token: str) -> Any:
    """Serve a locally stored object behind a signed, expiring link."""
    try:
        key, data = services.open_download(parts(), token)
    except InvalidLink as error:
        return error_response(403, str(error))
    except ObjectNotFound:
        return error_response(404, "the linked file no longer exists")
    filename = key.rsplit("/", 1)[-1]
    return Response(data, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- JSON API ----------------------------------------------------------------------------------


@api.get("/status")
def status() -> Any:
    """The last run's summary and the latest report's pointer."""
    return services.status(parts())


@api.get("/runs")
def runs() -> Any:
    """The newest run manifests."""
    limit = request.args.get("limit", default=20, type=int)
    return {"runs": services.list_runs(parts(), max(1, min(limit, 200)))}


@api.get("/reports")
def reports() -> Any:
    """The days that have a report."""
    return {"days": [day.isoformat() for day in services.report_days(parts())]}


@api.get("/reports/latest")
def latest_report() -> Any:
    """The latest summary with its top rows."""
    return services.latest_summary(parts())


@api.get("/reports/<day>")
def report(day: str) -> Any:
    """A whole report as JSON rows."""
    as_of, frame = services.load_report(parts(), parse_day(day))
    rows = frame.assign(**{column: frame[column].dt.strftime("%Y-%m-%d") for column in ("peak_date", "trough_date") if column in frame}).astype(object)
    rows = rows.where(rows.notna(), None)
    return {"as_of": as_of.isoformat(), "rows": rows.to_dict(orient="records")}


@api.get("/reports/<day>/download")
def report_download(day: str) -> Any:
    """A time-limited link to the report CSV."""
    url = services.report_download_url(parts(), parse_day(day), request.host_url)
    return {"url": url, "expires_in": parts().settings.link_ttl_seconds}


@api.get("/stocks/<symbol>")
def stock(symbol: str) -> Any:
    """One symbol's report row and its closes in the window."""
    detail = services.stock_detail(parts(), symbol)
    row = {k: (None if v is None or v != v else v) for k, v in detail["row"].items()}  # NaN -> null
    for column in ("peak_date", "trough_date"):
        if row.get(column) is not None:
            row[column] = row[column].strftime("%Y-%m-%d")
    closes = detail["closes"]
    return {
        "as_of": detail["as_of"].isoformat(),
        "row": row,
        "closes": [{"date": d.strftime("%Y-%m-%d"), "close": c} for d, c in zip(closes["date"], closes["close"])],
    }


@api.get("/reports/<day>/changes")
def report_changes(day: str) -> Any:
    """What changed in a report (``latest`` or YYYY-MM-DD) against the previous one."""
    return services.report_changes(parts(), None if day == "latest" else parse_day(day))


@api.get("/sectors")
def sectors() -> Any:
    """Per sector of a report (``?day=YYYY-MM-DD``, default the latest): count, median drawdown, share below -20%."""
    day = request.args.get("day")
    table = services.sector_summary(parts(), None if day is None else parse_day(day))
    return {"sectors": table.to_dict(orient="records")}


@api.get("/track-record")
def track_record() -> Any:
    """Past top-10 lists' forward returns against the universe median, per horizon."""
    table = services.track_record(parts())
    rows = table.assign(as_of=[day.isoformat() for day in table["as_of"]]).astype(object)
    return {"rows": rows.where(rows.notna(), None).to_dict(orient="records")}


# --- Telegram webhook --------------------------------------------------------------------------


@telegram.post("/webhook")
def telegram_webhook() -> Any:
    """One update from Telegram; the reply goes back inline as a Bot API method call."""
    expected = parts().settings.telegram_webhook_secret
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        logger.warning("telegram webhook refused: wrong or missing secret", extra={"remote_addr": request.remote_addr})
        return error_response(403, "forbidden")
    body = request.stream.read(WEBHOOK_MAX_BYTES + 1)
    if len(body) > WEBHOOK_MAX_BYTES:
        return error_response(413, f"body over {WEBHOOK_MAX_BYTES} bytes")
    try:
        payload = json.loads(body)
    except ValueError:
        return error_response(400, "body is not JSON")
    if not isinstance(payload, dict):
        return error_response(400, "body is not a JSON object")
    call = answer_update(parts(), payload, request.host_url)
    return jsonify(call) if call else ("", 200)


# --- errors ------------------------------------------------------------------------------------


def _handle_domain_error(error: Exception) -> Response:
    if isinstance(error, UnknownSymbol):
        return error_response(404, str(error))
    if isinstance(error, (NoReportYet, ObjectNotFound)):
        return error_response(404, str(error))
    if isinstance(error, ValueError):
        return error_response(400, str(error))
    logger.exception("request failed", extra={"path": request.path})
    return error_response(500, "internal error")


def _handle_http_error(error: HTTPException) -> Response:
    if request.path.startswith("/api/") or request.path.startswith("/telegram/"):
        return error_response(error.code or 500, error.description or error.name)
    return error  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    """Register the blueprints and the error handlers."""
    app.register_blueprint(web)
    app.register_blueprint(api)
    app.register_blueprint(telegram)
    app.register_error_handler(DipwatchError, _handle_domain_error)
    app.register_error_handler(ValueError, _handle_domain_error)
    app.register_error_handler(HTTPException, _handle_http_error)
