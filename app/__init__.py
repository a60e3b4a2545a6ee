"""dipwatch's Flask app: ``create_app`` is the factory Zappa, the CLI and the tests use.

On Lambda (``app.wsgi``) the app is built ``lazy``: nothing is configured and no CLI is
registered at import, so ``/healthz`` loads neither pandas nor python-telegram-bot, and the
container (settings, secrets from SSM, adapters) is built by the first request that needs it.
A failure there answers that request with a JSON 500 and is retried by the next request,
instead of breaking the container for good.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import click
from flask import Flask

from shared.config import Settings
from shared.errors import ConfigError

if TYPE_CHECKING:
    from shared.bootstrap import Container

_EXTENSION = "dipwatch"


class StartupError(ConfigError, click.ClickException):
    """A configuration error at start-up. Under the CLI, click prints just its message."""

    def __init__(self, message: str) -> None:
        ConfigError.__init__(self, message)
        click.ClickException.__init__(self, f"configuration: {message}")


class _LazyContainer:
    """Builds the container on first use, once; a failed build is tried again next time."""

    def __init__(self, settings: Settings | None) -> None:
        self._settings = settings
        self._container: Container | None = None
        self._lock = threading.Lock()

    def get(self) -> Container:
        with self._lock:
            if self._container is None:
                from shared.bootstrap import bootstrap

                self._container = bootstrap(self._settings)
            return self._container


def create_app(settings: Settings | None = None, container: Container | None = None, *, lazy: bool = False) -> Flask:
    """Build the app for ``settings`` (default: from the environment), or around a ready ``container``.

    ``lazy`` (the Lambda entry point) defers the container to the first request that needs it
    and leaves the CLI out; otherwise a configuration error stops the start.
    """
    from app import observability, routes

    holder = _LazyContainer(settings)
    if container is not None:
        holder._container = container
    elif not lazy:
        try:
            holder.get()
        except ConfigError as error:
            raise StartupError(str(error)) from None
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=1 << 20)
    app.extensions[_EXTENSION] = holder
    observability.init_app(app)
    routes.init_app(app)
    if not lazy:
        from app import cli

        cli.init_app(app)
    return app


def container_of(app: Flask) -> Container:
    """The container of ``app``, built on first use."""
    holder = app.extensions.get(_EXTENSION)
    if not isinstance(holder, _LazyContainer):
        raise RuntimeError("the app was not built by create_app")
    return holder.get()
