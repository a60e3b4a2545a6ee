"""dipwatch's Flask app: ``create_app`` is the factory Zappa, the CLI and the tests use."""
from __future__ import annotations

import click
from flask import Flask

from shared.bootstrap import Parts, bootstrap
from shared.config import Settings
from shared.errors import ConfigError


class StartupError(ConfigError, click.ClickException):
    """A configuration error at start-up. Under the CLI, click prints just its message."""

    def __init__(self, message: str) -> None:
        ConfigError.__init__(self, message)
        click.ClickException.__init__(self, f"configuration: {message}")


def create_app(settings: Settings | None = None, parts: Parts | None = None) -> Flask:
    """Build the app for ``settings`` (default: from the environment), or around ready ``parts``."""
    try:
        parts = parts or bootstrap(settings)
    except ConfigError as error:
        raise StartupError(str(error)) from None
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=parts.settings.secret_key,
        MAX_CONTENT_LENGTH=1 << 20,
        DIPWATCH_API_TOKEN=parts.settings.api_token,
        DIPWATCH_LOOKBACK_DAYS=parts.settings.lookback_days,
    )
    app.extensions["dipwatch"] = parts

    from app import cli, routes

    routes.init_app(app)
    cli.init_app(app)
    return app
