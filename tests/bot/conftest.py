"""Bot fixtures: the Bot API emulator, settings that point at it, a container over a collected
store, a webhook client."""
from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from shared.bootstrap import Container, bootstrap
from shared.config import Settings
from shared.adapters.universe import load_universe
from tests.conftest import SMALL_UNIVERSE, fixed_clock
from tests.emulators.telegram import TelegramEmulator
from tests.fakes import FakeBroker

ALLOWED = 111
STRANGER = 999
ADMIN_CHAT = -1001
SECRET = "webhook-Secret_123"

POSITIONS = [
    {"symbol": "AAPL", "qty": 10.0, "side": "long", "avg_entry_price": 100.0, "current_price": 250.0, "market_value": 2500.0, "cost_basis": 1000.0, "unrealized_pl": 1500.0, "unrealized_plpc": 1.5},
    {"symbol": "KO", "qty": 5.0, "side": "long", "avg_entry_price": 60.0, "current_price": 66.0, "market_value": 330.0, "cost_basis": 300.0, "unrealized_pl": 30.0, "unrealized_plpc": 0.1},
    {"symbol": "ZZZZ", "qty": 1.0, "side": "long", "avg_entry_price": 10.0, "current_price": 5.0, "market_value": 5.0, "cost_basis": 10.0, "unrealized_pl": -5.0, "unrealized_plpc": -0.5},
]


@pytest.fixture
def emulator() -> Iterator[TelegramEmulator]:
    """A Bot API server on a free loopback port."""
    server = TelegramEmulator().start()
    yield server
    server.stop()


@pytest.fixture
def bot_settings(settings: Settings, emulator: TelegramEmulator) -> Settings:
    """The test settings with a bot token, the emulator's URL, a webhook secret and one allowed user."""
    return settings.with_overrides(
        telegram_bot_token=emulator.token,
        telegram_api_url=emulator.url,
        telegram_webhook_secret=SECRET,
        telegram_allowed_users=frozenset({ALLOWED}),
        telegram_admin_chat=ADMIN_CHAT,
    )


@pytest.fixture(scope="session")
def collected_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local store after one collection of the small universe, made once per session."""
    root = tmp_path_factory.mktemp("collected")
    universe = root / "universe.csv"
    full = load_universe()
    full[full["symbol"].isin(SMALL_UNIVERSE)].to_csv(universe, index=False)
    settings = Settings(storage=str(root / "data"), market_data="sim", universe_path=str(universe))
    bootstrap(settings, clock=fixed_clock).collection.collect()
    return root / "data"


@pytest.fixture
def wire(bot_settings: Settings, collected_store: Path) -> Iterator[Callable[..., Container]]:
    """Builds containers over one copy of the collected store, each closed after the test.

    ``wire()`` is the bot's usual set-up (the fake broker); ``wire(settings=..., broker=...)``
    replaces a part, as a test of another configuration needs."""
    shutil.copytree(collected_store, bot_settings.storage)
    built: list[Container] = []

    def build(settings: Settings | None = None, **parts: Any) -> Container:
        parts.setdefault("broker", FakeBroker(POSITIONS))
        container = bootstrap(settings or bot_settings, clock=fixed_clock, **parts)
        built.append(container)
        return container

    yield build
    for container in built:
        container.close()


@pytest.fixture
def bot_container(wire: Callable[..., Container]) -> Container:
    """A container with the fake broker over a copy of the collected store."""
    return wire()


def client_of(container: Container) -> FlaskClient:
    """A test client of the app around ``container``."""
    app = create_app(container=container)
    app.config.update(TESTING=True)
    return app.test_client()


def sender(client: FlaskClient) -> Callable[..., TestResponse]:
    """Posts an update to ``client``'s webhook with the right secret (or ``secret``); returns the response."""

    def post(payload: dict[str, Any], secret: str | None = SECRET) -> TestResponse:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        return client.post("/telegram/webhook", json=payload, headers=headers)

    return post


@pytest.fixture
def bot_client(bot_container: Container) -> FlaskClient:
    """A test client of the app around ``bot_container``."""
    return client_of(bot_container)


_update_ids = itertools.count(10_000)


def message_update(text: str, user_id: int | None, chat_id: int | None = None, update_id: int | None = None) -> dict[str, Any]:
    """A Telegram update carrying a text message; ``user_id`` None is an anonymous sender."""
    chat = chat_id if chat_id is not None else (user_id or -2002)
    message: dict[str, Any] = {
        "message_id": 7,
        "date": 1_790_000_000,
        "chat": {"id": chat, "type": "private" if chat > 0 else "supergroup", **({"title": "group"} if chat < 0 else {})},
        "text": text,
    }
    if user_id is not None:
        message["from"] = {"id": user_id, "is_bot": False, "first_name": "Ada"}
    else:
        message["sender_chat"] = {"id": chat, "type": "supergroup", "title": "group"}
    return {"update_id": update_id if update_id is not None else next(_update_ids), "message": message}


def callback_update(data: str, user_id: int, query_id: str, update_id: int, message_id: int = 60) -> dict[str, Any]:
    """A press of an inline button under a message of the user's private chat."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": query_id,
            "from": {"id": user_id, "is_bot": False, "first_name": "Ada"},
            "chat_instance": "ci",
            "data": data,
            "message": {"message_id": message_id, "date": 1_790_000_000, "chat": {"id": user_id, "type": "private"}, "text": "old"},
        },
    }


@pytest.fixture
def send(bot_client: FlaskClient) -> Callable[..., TestResponse]:
    """Post an update to the webhook of ``bot_client``."""
    return sender(bot_client)
