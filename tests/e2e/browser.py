"""Browser tests' plumbing: Playwright driving Debian's chromium, and the app on a real port.

Playwright never downloads a browser here: it launches the system's chromium (installed by
`.ci/run`) through ``executable_path``.
"""
from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

#: Flags for headless chromium as root in a container, with nothing reaching the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
#: Where the browser tests leave their screenshots (look at them).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def chromium_path() -> str | None:
    """The Chromium binary, if installed (`.ci/run` installs Debian's)."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def launch_chromium(playwright: Any) -> Any:
    """A headless Playwright browser over the system's chromium."""
    binary = chromium_path()
    if binary is None:
        raise RuntimeError("chromium is not installed (.ci/run installs Debian's)")
    return playwright.chromium.launch(executable_path=binary, headless=True, args=CHROMIUM_ARGS)


class LiveServer:
    """The app served over real HTTP on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "LiveServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
