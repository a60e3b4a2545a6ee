"""AlpacaBroker over the real SDK and real HTTP, against the emulator."""
from __future__ import annotations

import pytest

from shared.adapters.alpaca import AlpacaMarketData
from shared.adapters.alpaca_account import AlpacaBroker
from shared.bootstrap import bootstrap, build_broker
from shared.ports import POSITION_COLUMNS
from shared.errors import BrokerError
from tests.conftest import AS_OF, fixed_clock

from .test_collect import POSITIONS


@pytest.fixture
def broker(alpaca_settings, fake_time) -> AlpacaBroker:
    return AlpacaBroker(alpaca_settings, sleep=fake_time.sleep)


def test_account_money_is_numbers(broker) -> None:
    account = broker.account()
    assert account["status"] == "ACTIVE"
    assert account["equity"] == 25000.25 and account["last_equity"] == 24500.0 and account["cash"] == 1200.5


def test_positions_have_the_port_columns_as_floats(broker, emulator) -> None:
    emulator.positions = POSITIONS
    positions = broker.positions()
    assert list(positions.columns) == POSITION_COLUMNS
    assert positions["qty"].tolist() == [10.0, 3.0]
    assert positions["unrealized_plpc"].tolist() == pytest.approx([0.1976744, -0.05])


def test_no_positions_is_an_empty_frame(broker) -> None:
    positions = broker.positions()
    assert positions.empty and list(positions.columns) == POSITION_COLUMNS


def test_bad_keys_are_a_clear_broker_error(alpaca_settings, fake_time) -> None:
    broker = AlpacaBroker(alpaca_settings.with_overrides(alpaca_secret_key="nope"), sleep=fake_time.sleep)
    with pytest.raises(BrokerError, match="403"):
        broker.account()


def test_the_composition_root_builds_it_only_with_keys(alpaca_settings) -> None:
    assert isinstance(build_broker(alpaca_settings), AlpacaBroker)
    assert build_broker(alpaca_settings.with_overrides(alpaca_key_id=None, market_data="sim")) is None


def test_the_bot_shows_the_alpaca_account_and_positions(alpaca_settings, fake_time, emulator) -> None:
    emulator.positions = POSITIONS
    settings = alpaca_settings.with_overrides(telegram_allowed_users=frozenset({7}), lookback_days=30)
    container = bootstrap(settings, market_data=AlpacaMarketData(settings, sleep=fake_time.sleep, clock=fake_time.time, wall_clock=fake_time.time), clock=fixed_clock)
    container.collection.collect(AS_OF)
    def dispatch(text: str, user: int) -> str:
        return container.commands.dispatch(text, chat_id=user, user_id=user, base_url="http://localhost/").text

    account = dispatch("/account", 7)
    assert "25,000.25" in account
    positions = dispatch("/positions", 7)
    assert "/s_AAPL" in positions and "/s_KO" in positions and " · #" in positions and "Alpaca" in positions
    assert "private" in dispatch("/account", 8)

