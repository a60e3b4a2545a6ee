"""dipwatch's Flask app: ``create_app`` is the factory Zappa, the CLI and the tests use."""
from __future__ import annotations

import click
from flask import Flask

from shared.bootstrap import Container, bootstrap
from shared.config import Settings
from shared.errors import ConfigError


class StartupError(ConfigError, click.ClickException):
    """A configuration error at start-up. Under the CLI, click prints just its message."""

    def __init__(self, message: str) -> None:
        ConfigError.__init__(self, message)
        click.ClickException.__init__(self, f"configuration: {message}")


def create_app(settings: Settings | None = None, container: Container | None = None) -> Flask:
    """Build the app for ``settings`` (default: from the environment), or around a ready ``container``."""
    try:
        container = container or bootstrap(settings)
    except ConfigError as error:
        raise StartupError(str(error)) from None
    app = Flask(__name__)
    app.config.update(SECRET_KEY=container.settings.secret_key, MAX_CONTENT_LENGTH=1 << 20)
    app.extensions["dipwatch"] = container

    from app import cli, routes

    routes.init_app(app)
    cli.init_app(app)
    return app


def container_of(app: Flask) -> Container:
    """The container ``create_app`` wired into ``app``."""
    container = app.extensions["dipwatch"]
    if not isinstance(container, Container):
        raise RuntimeError("the app was not built by create_app")
    return container
