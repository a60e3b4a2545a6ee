"""The composition root: builds dipwatch's typed dependencies from Settings, for the Flask factory,
the scheduled jobs and the CLI (tests pass fakes for any adapter). Each part is built once, on
first use, so a web request that only reads a report never builds the market data or Telegram;
services and handlers receive only the parts they use, never the container."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Callable

import pandas as pd

from shared.adapters.alpaca_actions import AlpacaSplitAnnouncements  # cheap: it loads the Alpaca SDK on first use
from shared.adapters.archive import Archive
from shared.adapters.links import LinkSigner
from shared.adapters.market_data import CsvMarketData, SimulatedMarketData
from shared.adapters.storage import open_store
from shared.adapters.symbol_history import SymbolHistory
from shared.adapters.update_markers import open_markers
from shared.adapters.universe import load_universe
from shared.config import ALPACA_US_EQUITY, Settings
from shared.errors import ConfigError
from shared.ports import Broker, MarketData, Messenger, Store
from shared.services.bot_state import BotState
from shared.services.collection import Collection
from shared.services.dashboard import Dashboard
from shared.services.morning import Morning
from shared.services.downloads import Downloads
from shared.services.portfolio import Portfolio
from shared.services.reports import Reports
from shared.services.run_history import RunHistory
from shared.services.stock_pages import StockPages
from shared.services.stocks import ChartReader, Stocks
from shared.services.store_audit import StoreAudit

if TYPE_CHECKING:  # the bot (and python-telegram-bot) is imported only by what uses it
    from shared.bot.access import Access
    from shared.bot.alerts import AlertCommands
    from shared.bot.market import MarketCommands
    from shared.bot.notifications import Notifier
    from shared.bot.operations import Operations
    from shared.bot.registry import Commands
    from shared.bot.webhook import Webhook

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def build_market_data(settings: Settings, universe: pd.DataFrame) -> MarketData:
    """The market-data adapter that ``DIPWATCH_MARKET_DATA`` names (validated by Settings)."""
    source = settings.market_data
    if source.startswith("csv:"):
        return CsvMarketData(source[4:])
    if source == "alpaca":
        from shared.adapters.alpaca import AlpacaMarketData

        return AlpacaMarketData(settings)
    return SimulatedMarketData(dict(zip(universe["symbol"], universe["sector"])))


def build_universe(settings: Settings) -> pd.DataFrame:
    """The universe ``DIPWATCH_UNIVERSE`` names: a CSV file, the packaged Russell 1000, or
    ``alpaca:us_equity``, Alpaca's asset list (one request, made when a part first needs it)."""
    if settings.universe_path == ALPACA_US_EQUITY:
        from shared.adapters.alpaca_assets import AlpacaAssetList

        return AlpacaAssetList(settings).universe()
    return load_universe(settings.universe_path)


def build_broker(settings: Settings) -> Broker | None:
    """The Alpaca trading account when keys are configured, else None."""
    if not settings.has_alpaca_keys:
        return None
    from shared.adapters.alpaca_account import AlpacaBroker

    return AlpacaBroker(settings)


def build_messenger(settings: Settings) -> Messenger | None:
    """The Telegram client when ``TELEGRAM_BOT_TOKEN`` is set, else None."""
    if not settings.telegram_bot_token:
        return None
    from shared.adapters.messenger import TelegramMessenger

    return TelegramMessenger(settings.telegram_bot_token, settings.telegram_api_url, settings.telegram_timeout_seconds)


class Container:
    """Every dependency for one configuration, typed, each built once on first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        market_data: MarketData | None = None,
        broker: Broker | None = None,
        messenger: Messenger | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._store = store
        self._market_data = market_data
        self._broker = broker
        self._messenger = messenger

    # --- adapters -------------------------------------------------------------------------------

    @cached_property
    def store(self) -> Store:
        return self._store or open_store(self.settings.storage)

    @cached_property
    def universe(self) -> pd.DataFrame:
        return build_universe(self.settings)

    @cached_property
    def archive(self) -> Archive:
        return Archive(self.store)

    @cached_property
    def market_data(self) -> MarketData:
        return self._market_data or build_market_data(self.settings, self.universe)

    @cached_property
    def broker(self) -> Broker | None:
        return self._broker or build_broker(self.settings)

    @cached_property
    def messenger(self) -> Messenger | None:
        return self._messenger or build_messenger(self.settings)

    # --- services -------------------------------------------------------------------------------

    @cached_property
    def reports(self) -> Reports:
        return Reports(self.archive, storage_location=self.store.location, market_data=self.settings.market_data, top_n=self.settings.top_n)

    @cached_property
    def stocks(self) -> Stocks:
        return Stocks(self.archive, self.reports, ChartReader(self.archive), self.universe, lookback_days=self.settings.lookback_days)

    @cached_property
    def downloads(self) -> Downloads:
        signer = LinkSigner(self.settings.secret_key, now=lambda: self.clock().timestamp())
        return Downloads(self.store, signer, ttl_seconds=self.settings.link_ttl_seconds)

    @cached_property
    def run_history(self) -> RunHistory:
        return RunHistory(self.archive, self.universe)

    @cached_property
    def dashboard(self) -> Dashboard:
        return Dashboard(self.reports, self.run_history, self.downloads)

    @cached_property
    def stock_pages(self) -> StockPages:
        history = SymbolHistory(self.store)
        return StockPages(self.archive, history, self.dashboard, self.universe, lookback_days=self.settings.lookback_days)

    @cached_property
    def collection(self) -> Collection:
        settings = self.settings
        return Collection(
            self.archive, self.market_data, self.universe, self.broker, self.clock, lookback_days=settings.lookback_days,
            top_n=settings.top_n, announcements=AlpacaSplitAnnouncements(settings) if settings.market_data == "alpaca" else None,
        )

    @cached_property
    def store_audit(self) -> StoreAudit:
        return StoreAudit(self.archive, self.collection, self.clock)

    @cached_property
    def morning(self) -> Morning:
        return Morning(
            self.collection,
            self.archive,
            self.portfolio,
            lambda: self.notifier,
            lambda: float(getattr(self.store, "requests", 0)),
            stop_pct=self.settings.stop_pct,
        )

    @cached_property
    def portfolio(self) -> Portfolio:
        return Portfolio(lambda: self.broker, self.reports, monitor_target_pct=self.settings.monitor_target_pct)

    @cached_property
    def bot_state(self) -> BotState:
        return BotState(self.archive, open_markers(self.store))

    # --- the bot --------------------------------------------------------------------------------

    @cached_property
    def access(self) -> Access:
        from shared.bot.access import Access

        return Access(self.settings.telegram_allowed_users, self.settings.public_bot)

    @cached_property
    def market_commands(self) -> MarketCommands:
        from shared.bot.market import MarketCommands

        settings = self.settings
        return MarketCommands(
            self.reports,
            self.stocks,
            self.downloads,
            self.clock,
            lookback_days=settings.lookback_days,
            build=settings.build,
            source=settings.market_data,
            store_location=self.store.location,
        )

    @cached_property
    def alert_commands(self) -> AlertCommands:
        from shared.bot.alerts import AlertCommands

        return AlertCommands(self.bot_state, self.stocks, self.reports, self.clock)

    @cached_property
    def commands(self) -> Commands:
        from shared.bot.account import AccountCommands
        from shared.bot.registry import Commands

        groups = [
            *self.market_commands.commands(),
            *self.alert_commands.commands(),
            *AccountCommands(self.portfolio, self.reports).commands(),
        ]
        return Commands(groups, self.access, lookback_days=self.settings.lookback_days)

    @cached_property
    def webhook(self) -> Webhook:
        from shared.bot.access import ChatRateLimiter
        from shared.bot.buttons import Buttons
        from shared.bot.webhook import Webhook

        limiter = ChatRateLimiter(self.settings.bot_commands_per_minute)
        buttons = Buttons(self.market_commands, self.alert_commands, self.access)
        return Webhook(self.commands, buttons, self.bot_state, limiter, lambda: self.messenger)

    @cached_property
    def operations(self) -> Operations:
        from shared.bot.operations import Operations

        settings = self.settings
        return Operations(
            self.messenger, self.webhook, self.commands, webhook_secret=settings.telegram_webhook_secret, owners=settings.telegram_allowed_users
        )

    @cached_property
    def notifier(self) -> Notifier:
        from shared.bot.notifications import Notifier

        settings = self.settings
        return Notifier(
            self.messenger, self.reports, self.bot_state, admin_chat=settings.telegram_admin_chat, digest_rows=settings.top_n, stop_pct=settings.stop_pct
        )

    def check(self) -> Container:
        """Build what must fail at start-up rather than on first use (a universe file; the Alpaca
        asset list is not read at start-up, so a web process that never needs it never asks)."""
        if self.settings.universe_path != ALPACA_US_EQUITY and self.universe.empty:
            raise ConfigError("the universe lists no symbols")
        return self

    def close(self) -> None:
        """Release what holds a thread or a connection (the Telegram client), if it was built."""
        messenger = self.__dict__.get("messenger")
        if messenger is not None:
            messenger.close()


def bootstrap(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    market_data: MarketData | None = None,
    broker: Broker | None = None,
    messenger: Messenger | None = None,
    clock: Clock = utc_now,
) -> Container:
    """Wire the parts for ``settings`` (default: from the environment); tests pass fakes for any adapter."""
    container = Container(
        settings or Settings.from_env(),
        store=store,
        market_data=market_data,
        broker=broker,
        messenger=messenger,
        clock=clock,
    )
    return container.check()
