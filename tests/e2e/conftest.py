"""End-to-end fixtures for the web: one store with a few reports, served once per session."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest

from shared.bootstrap import Container, bootstrap
from shared.config import Settings
from tests.conftest import AS_OF, fixed_clock
from tests.e2e.browser import LiveServer

#: Report days of the web fixture store, oldest first; the last is the latest.
WEB_REPORT_DAYS = [date(2026, 11, 20), date(2026, 11, 25), AS_OF]
#: Symbols per sector in the fixture universe: enough for three pages of 25 and a sector filter.
PER_SECTOR = 6


def web_universe(path: Path) -> Path:
    """The first ``PER_SECTOR`` symbols of every sector of the packaged list, as a universe file."""
    from shared.adapters.universe import load_universe

    full = load_universe()
    chosen = full.groupby("sector", sort=True).head(PER_SECTOR)
    chosen.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def web_container(tmp_path_factory: pytest.TempPathFactory) -> Container:
    """A store with 300 days of simulated bars and three reports, built once."""
    root = tmp_path_factory.mktemp("web")
    settings = Settings(
        storage=str(root / "data"),
        market_data="sim",
        universe_path=str(web_universe(root / "universe.csv")),
        secret_key="web-test-secret-key-0123456789",
    )
    container = bootstrap(settings, clock=fixed_clock)
    container.collection.backfill(end=AS_OF, days=300)
    for day in WEB_REPORT_DAYS:
        container.collection.collect(day)
    return container


@pytest.fixture(scope="session")
def web_app(web_container: Container) -> Any:
    """The app over the fixture store."""
    from app import create_app

    app = create_app(container=web_container)
    app.config.update(TESTING=True)
    return app


@pytest.fixture(scope="session")
def web_url(web_app: Any) -> Iterator[str]:
    """The fixture app on a real loopback port."""
    with LiveServer(web_app) as server:
        yield server.url
