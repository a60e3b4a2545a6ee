"""HTTP edges. Each route parses its input, calls one service function and shapes the reply.

Errors: ``BadInput`` is a 400, ``InvalidLink`` a 403, ``NotFound`` (an unknown symbol or day) a
404, and ``CorruptObject`` a 500 that is logged and names the key. Anything else is logged once
and answered with a 500. Every JSON error has one shape (``error_response``).
"""
from __future__ import annotations

import hmac
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from app import container_of
from app.observability import note_command, note_failure
from shared.errors import BadInput, CorruptObject, InvalidLink, NoReportYet, NotFound
from shared.telemetry import logger

if TYPE_CHECKING:  # the web path imports pandas only when a route needs data
    import pandas as pd

    from shared.bootstrap import Container

web = Blueprint("web", __name__)
api = Blueprint("api", __name__, url_prefix="/api")
telegram = Blueprint("telegram", __name__, url_prefix="/telegram")

#: The largest webhook body accepted; Telegram's updates are a few kilobytes.
WEBHOOK_MAX_BYTES = 256 * 1024


def wired() -> Container:
    """The running app's container."""
    return container_of(current_app)


def error_response(status: int, message: str) -> Response:
    """Every JSON error has this one shape: ``{"error": {"status": N, "message": "..."}}``."""
    response = jsonify({"error": {"status": status, "message": message}})
    response.status_code = status
    return response


def parse_day(text: str) -> date:
    """A YYYY-MM-DD path or query value; BadInput with a clear message otherwise."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{text!r} is not a date; use YYYY-MM-DD") from None


def plain(value: Any) -> Any:
    """A frame's cell as JSON: dates as YYYY-MM-DD, NaN and NA as null, numpy scalars as numbers."""
    import numpy as np
    import pandas as pd

    if isinstance(value, (datetime, date)):
        return None if pd.isna(value) else value.strftime("%Y-%m-%d")
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value


def json_rows(frame: "pd.DataFrame") -> list[dict[str, Any]]:
    """A frame's rows as JSON-ready dicts."""
    return [{str(key): plain(value) for key, value in row.items()} for row in frame.to_dict(orient="records")]


# --- web pages ---------------------------------------------------------------------------------


@web.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness: the process answers."""
    return {"status": "ok"}


@web.get("/")
def index() -> ResponseReturnValue:
    """The last run and the top 20."""
    container = wired()
    state = container.reports.status()
    try:
        latest: dict[str, Any] | None = container.reports.latest_summary()
    except NoReportYet:
        latest = None
    return render_template("index.html", status=state, latest=latest, lookback_days=container.settings.lookback_days)


@web.get("/download/<token>")
def download(token: str) -> ResponseReturnValue:
    """Serve a locally stored object behind a signed, expiring link."""
    key, data = wired().downloads.open(token)
    filename = key.rsplit("/", 1)[-1]
    return Response(data, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- JSON API ----------------------------------------------------------------------------------


@api.get("/status")
def status() -> ResponseReturnValue:
    """The last run's summary and the latest report's pointer."""
    return wired().reports.status()


@api.get("/runs")
def runs() -> ResponseReturnValue:
    """The newest run manifests."""
    limit = request.args.get("limit", default=20, type=int)
    return {"runs": wired().reports.list_runs(max(1, min(limit, 200)))}


@api.get("/reports")
def reports() -> ResponseReturnValue:
    """The days that have a report."""
    return {"days": [day.isoformat() for day in wired().reports.report_days()]}


@api.get("/reports/latest")
def latest_report() -> ResponseReturnValue:
    """The latest summary with its top rows."""
    return wired().reports.latest_summary()


@api.get("/reports/<day>")
def report(day: str) -> ResponseReturnValue:
    """A whole report as JSON rows."""
    as_of, frame = wired().reports.load_report(parse_day(day))
    return {"as_of": as_of.isoformat(), "rows": json_rows(frame)}


@api.get("/reports/<day>/download")
def report_download(day: str) -> ResponseReturnValue:
    """A time-limited link to the report CSV."""
    downloads = wired().downloads
    return {"url": downloads.report_url(parse_day(day), request.host_url), "expires_in": downloads.ttl_seconds}


@api.get("/stocks/<symbol>")
def stock(symbol: str) -> ResponseReturnValue:
    """One symbol's report row and its closes in the window."""
    stocks = wired().stocks
    found = stocks.row(symbol)
    return {
        "as_of": found.as_of.isoformat(),
        "row": {str(key): plain(value) for key, value in found.row.items()},
        "closes": json_rows(stocks.closes(found.symbol, found.as_of)),
    }


@api.get("/reports/<day>/changes")
def report_changes(day: str) -> ResponseReturnValue:
    """What changed in a report (``latest`` or YYYY-MM-DD) against the previous one."""
    return wired().reports.report_changes(None if day == "latest" else parse_day(day))


@api.get("/sectors")
def sectors() -> ResponseReturnValue:
    """Per sector of a report (``?day=YYYY-MM-DD``, default the latest): count, median drawdown, share below -20%."""
    day = request.args.get("day")
    return {"sectors": json_rows(wired().reports.sector_summary(None if day is None else parse_day(day)))}


@api.get("/track-record")
def track_record() -> ResponseReturnValue:
    """Past top-10 lists' forward returns against the universe median, per horizon."""
    return {"rows": json_rows(wired().reports.track_record())}


# --- Telegram webhook --------------------------------------------------------------------------


@telegram.post("/webhook")
def telegram_webhook() -> ResponseReturnValue:
    """One update from Telegram; the reply goes back inline as a Bot API method call."""
    container = wired()
    expected = container.settings.telegram_webhook_secret
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
    note_command(_command_of(payload))
    call = container.webhook.answer(payload, request.host_url)
    if call and call.get("text") == _apology():
        note_failure()  # answered, with an apology: a webhook error all the same
    return jsonify(call) if call else ("", 200)


def _apology() -> str:
    from shared.bot.views import APOLOGY

    return APOLOGY.text


def _command_of(payload: dict[str, Any]) -> str | None:
    """The bot command an update carries (``top`` for ``/top 5``), for the ``Commands`` metric."""
    message = payload.get("message") or payload.get("edited_message")
    if isinstance(message, dict) and isinstance(message.get("text"), str) and message["text"].startswith("/"):
        return message["text"][1:].split()[0].split("@")[0].lower()[:32] or None
    if isinstance(payload.get("callback_query"), dict):
        return "button"
    return None


# --- errors ------------------------------------------------------------------------------------


def _bad_input(error: BadInput) -> Response:
    return error_response(400, str(error))


def _invalid_link(error: InvalidLink) -> Response:
    return error_response(403, str(error))


def _not_found(error: NotFound) -> Response:
    return error_response(404, str(error))


def _corrupt(error: CorruptObject) -> Response:
    logger.error("corrupt stored object", extra={"path": request.path, "key": error.key, "error": str(error)})
    return error_response(500, f"stored object {error.key} is corrupt; the operator has been told in the logs")


def _unexpected(error: Exception) -> Response:
    logger.exception("request failed", extra={"path": request.path})
    return error_response(500, "internal error")


def _http_error(error: HTTPException) -> ResponseReturnValue:
    if request.path.startswith("/api/") or request.path.startswith("/telegram/"):
        return error_response(error.code or 500, error.description or error.name)
    return error


def init_app(app: Flask) -> None:
    """Register the blueprints and the error handlers."""
    app.register_blueprint(web)
    app.register_blueprint(api)
    app.register_blueprint(telegram)
    app.register_error_handler(BadInput, _bad_input)
    app.register_error_handler(InvalidLink, _invalid_link)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(CorruptObject, _corrupt)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
