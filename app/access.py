"""Access to the pages and the API when ``DIPWATCH_API_TOKEN`` is set.

A request gets in with ``Authorization: Bearer TOKEN``, or with the cookie the sign-in form sets.
The cookie holds no token: it is a timestamp signed with a key derived from the token, so it
expires, works on every instance that knows the token, and stops working when the token changes.
Without a token configured, everything is open.

Always open: liveness, the static files, the sign-in form, the signed download links (the link
is the credential), the Telegram webhook (it has its own secret), and the API's description.
"""
from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer

access = Blueprint("access", __name__)

COOKIE = "dipwatch_session"
#: How long a sign-in lasts, in seconds.
SESSION_SECONDS = 30 * 24 * 3600
_OPEN_ENDPOINTS = {"static", "pages.healthz", "access.login", "access.logout", "pages.download", "telegram.telegram_webhook", "api.openapi", "api.docs"}


def _token() -> str | None:
    from app import container_of

    return container_of(current_app).settings.api_token


def _signer(token: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(token, salt="dipwatch-web-session")


def _bearer_ok(token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _cookie_ok(token: str) -> bool:
    value = request.cookies.get(COOKIE)
    if not value:
        return False
    try:
        _signer(token).loads(value, max_age=SESSION_SECONDS)
    except BadSignature:
        return False
    return True


def is_signed_in() -> bool:
    """Whether this request came in with the sign-in cookie (a token is configured)."""
    token = _token()
    return token is not None and _cookie_ok(token)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if not target:
        return url_for("pages.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("pages.dashboard")
    return target


def _guard() -> ResponseReturnValue | None:
    """Before every request: let it through, or answer 401 (API) / send to the sign-in form (pages)."""
    if request.endpoint in _OPEN_ENDPOINTS or request.endpoint is None:
        return None  # before reading the token: liveness must not build the container
    token = _token()
    g.guarded = token is not None  # for _private, which must not read the settings again
    if token is None:
        return None
    if _bearer_ok(token) or _cookie_ok(token):
        return None
    if request.path.startswith("/api/"):
        from app.routes import error_response

        response = error_response(401, "this dipwatch needs its access token: send Authorization: Bearer TOKEN")
        response.headers["WWW-Authenticate"] = 'Bearer realm="dipwatch"'
        return response
    return redirect(url_for("access.login", next=request.full_path.rstrip("?")))


def _private(response: Response) -> Response:
    """With a token, replies are for one reader: no shared cache keeps them."""
    if g.get("guarded"):
        control = response.headers.get("Cache-Control", "")
        response.headers["Cache-Control"] = control.replace("public", "private") if control else "private, no-cache"
        response.vary.update(("Authorization", "Cookie"))
    return response


@access.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form; a right token sets the session cookie."""
    token = _token()
    target = _safe_next(request.values.get("next"))
    if token is None:
        return redirect(target)
    if request.method == "GET":
        return render_template("login.html", next=target, error=None)
    given = request.form.get("token", "")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return render_template("login.html", next=target, error="That is not the access token."), 401
    response = redirect(target)
    response.set_cookie(COOKIE, _signer(token).dumps("web"), max_age=SESSION_SECONDS, httponly=True, samesite="Lax", secure=request.is_secure)
    return response


@access.post("/logout")
def logout() -> ResponseReturnValue:
    """Forget the session cookie."""
    response = redirect(url_for("access.login") if _token() else url_for("pages.dashboard"))
    response.delete_cookie(COOKIE, httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def init_app(app: Flask) -> None:
    """Register the sign-in routes and the guard in front of every request."""
    app.register_blueprint(access)
    app.before_request(_guard)
    app.after_request(_private)
