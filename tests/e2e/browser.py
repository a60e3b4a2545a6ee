"""Headless Chromium helpers for browser tests, and a live server for the app."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from werkzeug.serving import make_server

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    """The Chromium binary, if installed (`.ci/run` installs Debian's)."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def run_chromium(url: str, *args: str, timeout: float = 60) -> str:
    """Load ``url`` headless and return what Chromium printed (e.g. the DOM with --dump-dom)."""
    binary = chromium_path()
    if binary is None:
        raise RuntimeError("chromium is not installed")
    with tempfile.TemporaryDirectory() as profile:
        completed = subprocess.run(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    return completed.stdout


def screenshot(url: str, path: Path, size: str = "1200,900") -> Path:
    """Save a PNG of ``url``."""
    run_chromium(url, f"--screenshot={path}", f"--window-size={size}")
    return path


class LiveServer:
    """The app served over real HTTP on a free loopback port, in a thread."""

    def __init__(self, app) -> None:  # noqa: ANN001 - a Flask app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "LiveServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


def live_server(app) -> Iterator[LiveServer]:  # noqa: ANN001
    """Fixture body: serve ``app`` for the test's duration."""
    with LiveServer(app) as server:
        yield server
