"""HTTP edges. The pages (``app.pages``), the JSON API (``app.api``) and the sign-in
(``app.access``) are blueprints of their own; this module holds the Telegram webhook, the one
error shape and the mapping of domain errors to HTTP codes, and registers everything.

Errors: ``BadInput`` is a 400 that names the parameter, an invalid download link a 403, an
unknown symbol or day a 404. Anything else is logged once and answered with a 500. The API and
the webhook answer JSON; the pages answer an HTML page.
"""
from __future__ import annotations

import hmac
import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from shared.adapters.links import InvalidLink
from shared.bootstrap import Parts
from shared.bot.webhook import answer_update
from shared.errors import BadInput, DipwatchError, NoReportYet, ObjectNotFound, UnknownSymbol
from shared.telemetry import logger

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

_TITLES = {400: "That request does not work", 403: "That link does not work", 404: "Not found", 500: "Something went wrong"}


def _reply(status: int, message: str) -> Any:
    """JSON for the API and the webhook, an HTML page for everything else."""
    if request.path.startswith("/api/") or request.path.startswith("/telegram/") or request.path.startswith("/download/"):
        return error_response(status, message)
    return render_template("error.html", status=status, title=_TITLES.get(status, "Error"), message=message), status


def _handle_domain_error(error: Exception) -> Any:
    if isinstance(error, (UnknownSymbol, NoReportYet, ObjectNotFound)):
        return _reply(404, str(error))
    if isinstance(error, InvalidLink):
        return _reply(403, str(error))
    if isinstance(error, (BadInput, ValueError)):
        return _reply(400, str(error))
    logger.exception("request failed", extra={"path": request.path})
    return _reply(500, "internal error")


def _handle_http_error(error: HTTPException) -> Any:
    if error.code is not None and error.code < 400:
        return error
    return _reply(error.code or 500, error.description or error.name)


def init_app(app: Flask) -> None:
    """Register the blueprints, the sign-in guard, the template helpers and the error handlers."""
    from app import access, api, pages, templating

    access.init_app(app)
    templating.init_app(app)
    app.register_blueprint(pages.pages)
    app.register_blueprint(api.api)
    app.register_blueprint(telegram)
    app.register_error_handler(DipwatchError, _handle_domain_error)
    app.register_error_handler(ValueError, _handle_domain_error)
    app.register_error_handler(HTTPException, _handle_http_error)
