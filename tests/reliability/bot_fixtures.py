"""Fixtures of the webhook, bot and secrets tests: the bot's fixtures, the service's JSON log
lines, and a Telegram that refuses every call.

A plugin that ``tests/conftest.py`` registers (not a conftest, so that the store and
collection tests beside these keep a conftest of their own)."""
from __future__ import annotations

import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from shared.telemetry import logger
from tests.bot.conftest import bot_client, bot_container, bot_settings, collected_store, emulator, send, wire  # noqa: F401 - shared fixtures

@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """What the service's logger writes (its JSON lines, as CloudWatch would get them)."""
    buffer = io.StringIO()
    handlers = [handler for handler in logging.getLogger(logger.name).handlers if isinstance(handler, logging.StreamHandler)]
    previous = [handler.setStream(buffer) for handler in handlers]
    yield buffer
    for handler, stream in zip(handlers, previous):
        handler.setStream(stream)  # type: ignore[arg-type]


def log_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    """The JSON log lines written to ``buffer``."""
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]


@pytest.fixture
def refusing_telegram() -> Iterator[Any]:
    """A server that answers every Bot API call with ``refusing_telegram.status`` (401 or 404), as
    Telegram does for a wrong token or a wrong ``TELEGRAM_API_URL``; ``paths`` records the calls."""

    class State:
        status = 404
        paths: list[str] = []
        url = ""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            State.paths.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            description = "Not Found" if State.status == 404 else "Unauthorized"
            body = json.dumps({"ok": False, "error_code": State.status, "description": description}).encode()
            self.send_response(State.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    State.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield State
    server.shutdown()
    server.server_close()
