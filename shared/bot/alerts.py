"""Alert commands: the daily digest subscription and drawdown watches."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

import pandas as pd

from shared.adapters.universe import find_symbol, normalise_symbol
from shared.bot.access import PRIVATE
from shared.bot.formatting import bold, code, escape, percent
from shared.bot.registry import Command, Request
from shared.bot.views import Reply
from shared.errors import BadInput
from shared.services.bot_state import BotState


class AlertCommands:
    """The commands that change what the bot pushes to a chat (private)."""

    def __init__(self, state: BotState, universe: pd.DataFrame, clock: Callable[[], datetime]) -> None:
        self._state = state
        self._universe = universe
        self._clock = clock

    def commands(self) -> list[Command]:
        """This group's entries of the command table."""
        return [
            Command("subscribe", self.subscribe, PRIVATE, "/subscribe", "the daily digest after each collection"),
            Command("unsubscribe", self.unsubscribe, PRIVATE, "/unsubscribe", "stop the daily digest"),
            Command("watch", self.watch, PRIVATE, "/watch SYMBOL PCT", "alert when SYMBOL is PCT% below its peak"),
            Command("unwatch", self.unwatch, PRIVATE, "/unwatch SYMBOL", "stop watching SYMBOL"),
            Command("watches", self.watches, PRIVATE, "/watches", "your watches"),
        ]

    def subscribe(self, request: Request) -> Reply:
        """Add this chat to the daily digest."""
        added = self._state.subscribe(request.chat_id, self._clock().isoformat())
        return Reply("✅ Subscribed: the digest arrives after each daily collection." if added else "You are already subscribed.")

    def unsubscribe(self, request: Request) -> Reply:
        """Remove this chat from the daily digest."""
        removed = self._state.unsubscribe([request.chat_id])
        return Reply("Unsubscribed." if removed else "You were not subscribed.")

    def watch(self, request: Request) -> Reply:
        """Alert this chat when a symbol's drawdown reaches −PCT%."""
        if len(request.args) != 2:
            raise BadInput("Usage: /watch SYMBOL PCT, for example /watch AAPL 20")
        symbol = find_symbol(request.args[0], self._universe)
        try:
            pct = abs(float(request.args[1].rstrip("%")))
        except ValueError:
            raise BadInput(f"PCT must be a number, got “{request.args[1]}”.") from None
        if not 0 < pct < 100:
            raise BadInput("PCT must be between 0 and 100.")
        self._state.set_watch(request.chat_id, symbol, pct)
        return Reply(f"👀 Watching {code(symbol)}: you get one alert a day while its drawdown is {escape(percent(-pct))} or deeper.")

    def unwatch(self, request: Request) -> Reply:
        """Stop a watch."""
        if len(request.args) != 1:
            raise BadInput("Usage: /unwatch SYMBOL")
        symbol = normalise_symbol(request.args[0])
        removed = self._state.remove_watch(request.chat_id, symbol)
        return Reply(f"Stopped watching {code(symbol)}." if removed else f"You were not watching {code(symbol)}.")

    def watches(self, request: Request) -> Reply:
        """This chat's watches."""
        items = self._state.watches().get(request.chat_id, {})
        if not items:
            return Reply("No watches. Add one with /watch SYMBOL PCT.")
        lines = [bold(f"{len(items)} watch(es)")]
        for symbol, item in sorted(items.items()):
            sent = f" · last alert {item['last_sent']}" if item.get("last_sent") else ""
            lines.append(f"{code(symbol)} at {escape(percent(-float(item['pct'])))}{escape(sent)}")
        return Reply("\n".join(lines))
