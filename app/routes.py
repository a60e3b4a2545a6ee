"""HTTP edges. The pages (``app.pages``), the JSON API (``app.api``) and the sign-in
(``app.access``) are blueprints of their own; this module holds the Telegram webhook, the one
error shape, the mapping of domain errors to HTTP codes, and registers everything.

Errors: ``BadInput`` is a 400 whose message names the parameter, ``InvalidLink`` a 403,
``NotFound`` (an unknown symbol or day) a 404, and ``CorruptObject`` a 500 that is logged and
names the key. Anything else is logged once and answered with a 500. The API, the downloads and
the webhook answer JSON (``error_response``); the pages answer an HTML page.
"""
from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from app import container_of
from app.observability import note_command, note_failure
from shared.errors import BadInput, CorruptObject, InvalidLink, NotFound
from shared.telemetry import logger

if TYPE_CHECKING:  # the web path imports pandas only when a route needs data
    from shared.bootstrap import Container

telegram = Blueprint("telegram", __name__, url_prefix="/telegram")

#: Paths whose errors are JSON; every other path is a page.
_JSON_PREFIXES = ("/api/", "/telegram/", "/download/")
_TITLES = {400: "That request does not work", 401: "Sign in first", 403: "That link does not work", 404: "Not found"}


def wired() -> "Container":
    """The running app's container."""
    return container_of(current_app)


def error_response(status: int, message: str) -> Response:
    """Every JSON error has this one shape: ``{"error": {"status": N, "message": "..."}}``."""
    response = jsonify({"error": {"status": status, "message": message}})
    response.status_code = status
    return response


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
    from shared.bot.updates import MAX_BYTES, decode

    body = request.stream.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        return error_response(413, f"body over {MAX_BYTES} bytes")
    try:
        payload = decode(body)
    except BadInput as error:
        return error_response(400, str(error))
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
        words = message["text"][1:].split(maxsplit=1)
        return words[0].split("@")[0].lower()[:32] or None if words else None
    if isinstance(payload.get("callback_query"), dict):
        return "button"
    return None


# --- errors ------------------------------------------------------------------------------------


def _reply(status: int, message: str) -> ResponseReturnValue:
    """JSON for the API, the downloads and the webhook; an HTML page for everything else."""
    if request.path.startswith(_JSON_PREFIXES):
        return error_response(status, message)
    title = _TITLES.get(status, "Something went wrong")
    return render_template("error.html", status=status, title=title, message=message), status


def _bad_input(error: BadInput) -> ResponseReturnValue:
    return _reply(400, str(error))


def _invalid_link(error: InvalidLink) -> ResponseReturnValue:
    return _reply(403, str(error))


def _not_found(error: NotFound) -> ResponseReturnValue:
    return _reply(404, str(error))


def _corrupt(error: CorruptObject) -> ResponseReturnValue:
    logger.error("corrupt stored object", extra={"path": request.path, "key": error.key, "error": str(error)})
    return _reply(500, f"stored object {error.key} is corrupt; the operator has been told in the logs")


def _unexpected(error: Exception) -> ResponseReturnValue:
    logger.exception("request failed", extra={"path": request.path})
    return _reply(500, "internal error")


def _http_error(error: HTTPException) -> ResponseReturnValue:
    if error.code is None or error.code < 400:
        return error
    return _reply(error.code, error.description or error.name)


def init_app(app: Flask) -> None:
    """Register the blueprints, the sign-in guard, the page helpers and the error handlers."""
    from app import access, api, pages, templating

    access.init_app(app)
    templating.init_app(app)
    app.register_blueprint(pages.pages)
    app.register_blueprint(api.api)
    app.register_blueprint(telegram)
    app.register_error_handler(BadInput, _bad_input)
    app.register_error_handler(InvalidLink, _invalid_link)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(CorruptObject, _corrupt)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
