"""Shared fixtures: settings -> container -> app -> client, each built on the one before."""
from __future__ import annotations

import functools
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import boto3
import pandas as pd
import pytest
from hypothesis import settings as hypothesis_settings
from moto import mock_aws
from moto.s3.responses import S3Response
from moto.server import ThreadedMotoServer

from app import create_app
from shared.bootstrap import Container, bootstrap
from shared.config import Settings

#: Plugins for every suite: the secret check, the reliability suite's fixtures and its figures.
pytest_plugins = ["tests.secret_guard", "tests.reliability.bot_fixtures", "tests.reliability.figures"]

# No per-example time limit: on a loaded 2-core machine it flakes, and speed is measured by
# `make bench`, never by tests.
hypothesis_settings.register_profile("dipwatch", deadline=None)
hypothesis_settings.load_profile("dipwatch")


def _atomic_s3_requests() -> None:
    """Make moto handle one S3 request at a time, as S3 applies each atomically. moto's S3 is not
    thread-safe: under load, two racing ``If-None-Match: *`` writers both succeeded now and then
    (the contract test's six writers), in-process and in its threaded server alike; a lock around
    its PUT handler alone made that rarer, not impossible. The store's own conditions still
    decide every race; only moto's interleaving inside a request goes."""
    if getattr(S3Response.key_response, "atomic", False):
        return
    lock = threading.RLock()
    for name in ("key_response", "bucket_response"):
        original: Any = getattr(S3Response, name)

        def one_at_a_time(self: S3Response, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        functools.update_wrapper(one_at_a_time, original)
        one_at_a_time.atomic = True  # type: ignore[attr-defined]
        setattr(S3Response, name, one_at_a_time)


_atomic_s3_requests()

#: A Saturday: the last completed session is Friday 2026-11-27.
FIXED_NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
AS_OF = date(2026, 11, 27)
REGION = "us-east-1"
SMALL_UNIVERSE = ["AAPL", "BRK.B", "JPM", "KO", "MSFT", "NVDA", "TSLA", "XOM"]


def fixed_clock() -> datetime:
    return FIXED_NOW


def morning_after(day: date) -> datetime:
    """Noon UTC the day after ``day`` (07:00 in New York): ``day``'s session is complete by then."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc).replace(hour=12)


def collect_later(container: Container, day: date):  # noqa: ANN201 - a RunSummary
    """Collect ``day`` into ``container``'s store as a run the morning after it would: a day after
    the container's own clock is refused as a future session."""
    later = morning_after(day)
    return bootstrap(container.settings, store=container.store, market_data=container.market_data, clock=lambda: later).collection.collect(day)


@pytest.fixture
def universe_file(tmp_path: Path) -> Path:
    """A small universe CSV, in the user-facing format."""
    from shared.adapters.universe import load_universe

    full = load_universe()
    path = tmp_path / "universe.csv"
    full[full["symbol"].isin(SMALL_UNIVERSE)].to_csv(path, index=False)
    return path


@pytest.fixture
def settings(tmp_path: Path, universe_file: Path) -> Settings:
    """Settings for a temporary local store, simulated data and the small universe."""
    return Settings(storage=str(tmp_path / "data"), market_data="sim", universe_path=str(universe_file), secret_key="test-secret-key-0123456789")


@pytest.fixture
def container(settings: Settings) -> Container:
    """Wired container with a fixed clock."""
    return bootstrap(settings, clock=fixed_clock)


@pytest.fixture
def app(container: Container):
    """The Flask app around ``container``."""
    flask_app = create_app(container=container)
    flask_app.config.update(TESTING=True)
    return flask_app


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


def make_bars(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """A bars frame from (symbol, date, close) rows; open/high/low follow the close."""
    frame = pd.DataFrame(rows, columns=["symbol", "date", "close"])
    return frame.assign(
        date=pd.to_datetime(frame["date"]),
        open=frame["close"],
        high=frame["close"],
        low=frame["close"],
        volume=1000,
    ).loc[:, ["symbol", "date", "open", "high", "low", "close", "volume"]]


# --- AWS: moto in-process and moto's server mode over real HTTP on loopback ---------------------


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, so nothing can reach a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def mocked_aws(aws_env: None) -> Iterator[None]:
    """moto in-process."""
    with mock_aws():
        yield


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's server mode on a free loopback port; yields its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def server_s3(moto_server: str, aws_env: None):
    """A boto3 S3 client that talks to the moto server over HTTP."""
    return boto3.client("s3", endpoint_url=moto_server, region_name=REGION)


# --- the Lambda package: built once per session (slow), shared by every test that opens it ------


@pytest.fixture(scope="session")
def lambda_package() -> Path:
    """`make package` (the prod stage's zip, bytecode added and checked by Zappa's zip callback)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    completed = subprocess.run(["make", "--no-print-directory", "package"], cwd=root, capture_output=True, text=True, timeout=1800)
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]
    return root / "build" / "dipwatch-prod.zip"
