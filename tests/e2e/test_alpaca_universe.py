"""DIPWATCH_UNIVERSE=alpaca:us_equity end to end: Alpaca's asset list (emulated) -> backfill ->
collect -> report, the web API and the bot, at the scale of a listing of thousands."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest

from app import create_app
from shared.bootstrap import Container, bootstrap
from shared.config import Settings
from shared.errors import ConfigError
from tests.conftest import AS_OF, fixed_clock
from tests.emulators.alpaca import AlpacaEmulator, random_walk_bars
from tests.emulators.alpaca_assets import generate_assets

ASSETS = generate_assets(tradable=2_000, inactive=50, untradable=50, otc=50)
LISTED = sorted(a["symbol"] for a in ASSETS if a["status"] == "active" and a["tradable"] and a["exchange"] != "OTC")


@pytest.fixture(scope="module")
def listing() -> Iterator[AlpacaEmulator]:
    with AlpacaEmulator(random_walk_bars(LISTED, AS_OF - timedelta(days=320), AS_OF), assets=ASSETS) as server:
        yield server


def environment(server: AlpacaEmulator, root: Path) -> dict[str, str]:
    return {
        "DIPWATCH_STORAGE": str(root),
        "DIPWATCH_UNIVERSE": "alpaca:us_equity",
        "APCA_API_KEY_ID": server.key_id,
        "APCA_API_SECRET_KEY": server.secret_key,
        "APCA_API_BASE_URL": server.url,
        "APCA_API_DATA_URL": server.url,
        "DIPWATCH_PUBLIC_BOT": "1",
    }


@pytest.fixture
def wide_parts(listing: AlpacaEmulator, tmp_path: Path) -> Container:
    listing.requests.clear()
    return bootstrap(Settings.from_env(environment(listing, tmp_path)), clock=fixed_clock)


@pytest.mark.slow
def test_backfill_collect_and_read_the_whole_listing(wide_parts: Container, listing: AlpacaEmulator) -> None:
    assert wide_parts.collection.backfill(end=AS_OF, days=300).outcome == "complete"
    summary = wide_parts.collection.collect(AS_OF)
    assert summary.outcome == "complete"
    assert summary.universe == len(LISTED) == 2_000
    assert summary.ranked + summary.excluded == len(LISTED)
    assert len([r for r in listing.requests if r.path == "/v2/assets"]) == 1  # read once, then kept

    client = create_app(container=wide_parts).test_client()
    report = client.get(f"/api/reports/{AS_OF.isoformat()}?classes=all").get_json()
    assert {row["symbol"] for row in report["rows"]} == set(LISTED)
    # By default one row per company: Alpaca's names ("Under Armour (Class C) Common Stock") group classes too.
    grouped = client.get(f"/api/reports/{AS_OF.isoformat()}").get_json()
    also = {symbol for row in grouped["rows"] for symbol in row["other_classes"].split(";") if symbol}
    assert grouped["classes"] == "grouped" and {row["symbol"] for row in grouped["rows"]} | also == set(LISTED)
    assert len(grouped["rows"]) + len(also) == len(LISTED) and also & {"UA", "UAA"}
    made_up = next(s for s in LISTED if s not in {"AAPL", "MSFT"} and report["rows"][0]["symbol"] != s)
    stock = client.get(f"/api/stocks/{made_up}")
    assert stock.status_code == 200 and stock.get_json()["row"]["symbol"] == made_up
    assert client.get("/").status_code == 200

    def dispatch(text: str) -> str:
        return wide_parts.commands.dispatch(text, 5, 5, "http://127.0.0.1/").text

    top = dispatch("/top 25")
    deepest = min((row for row in grouped["rows"] if row["rank"] is not None), key=lambda row: row["rank"])  # /top groups classes too
    assert deepest["symbol"] in top and "/2000" in top.replace(",", "")
    assert made_up in dispatch(f"/stock {made_up.lower()}")


def test_a_web_process_reads_the_listing_only_when_it_needs_it(listing: AlpacaEmulator, tmp_path: Path) -> None:
    listing.requests.clear()
    client = create_app(Settings.from_env(environment(listing, tmp_path))).test_client()
    assert client.get("/api/status").status_code == 200
    assert not [r for r in listing.requests if r.path == "/v2/assets"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"APCA_API_KEY_ID": "", "APCA_API_SECRET_KEY": ""}, "needs APCA_API_KEY_ID"), ({"DIPWATCH_UNIVERSE": "alpaca:crypto"}, "alpaca:us_equity")],
)
def test_the_built_in_universe_is_checked_at_start_up(listing: AlpacaEmulator, tmp_path: Path, changes: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**environment(listing, tmp_path), "DIPWATCH_MARKET_DATA": "sim", **changes})
