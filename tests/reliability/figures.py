"""The figures the webhook, bot and secrets tests measure, printed at the end of the session
(``tests/conftest.py`` registers the hook); RELIABILITY.md quotes them."""
from __future__ import annotations

from typing import Any

FIGURES: dict[str, Any] = {}


def record(name: str, value: Any) -> None:
    """Remember one measured figure for the session's summary."""
    FIGURES[name] = value


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.write_sep("-", "reliability figures (webhook, bot and secrets)")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")
