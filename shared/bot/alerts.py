"""Alert commands: the daily digest subscription and drawdown watches."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from shared.adapters.universe import normalise_symbol
from shared.bot import tables, views
from shared.bot.access import PRIVATE
from shared.bot.formatting import bold, code, escape, percent
from shared.bot.registry import ALERTS_GROUP, Command, Request
from shared.bot.views import Reply
from shared.errors import BadInput, NoReportYet
from shared.services.bot_state import BotState
from shared.services.reports import Reports
from shared.services.stocks import Stocks

WATCH_USAGE = "Usage: /watch SYMBOL PCT, e.g. /watch AAPL 20"
#: The chat id of ``flask bot`` when no owner id is configured: nothing can be sent there.
NO_CHAT = 0


def _no_chat() -> BadInput:
    return BadInput("Alerts need a Telegram chat: set TELEGRAM_ALLOWED_USERS to your user id (or use --user ID).")


class AlertCommands:
    """The commands that change what the bot pushes to a chat (private)."""

    def __init__(self, state: BotState, stocks: Stocks, reports: Reports, clock: Callable[[], datetime]) -> None:
        self._state = state
        self._stocks = stocks
        self._reports = reports
        self._clock = clock

    def commands(self) -> list[Command]:
        """This group's entries of the command table."""
        return [
            Command("subscribe", self.subscribe, PRIVATE, "/subscribe", "the daily digest after each collection", group=ALERTS_GROUP),
            Command("unsubscribe", self.unsubscribe, PRIVATE, "/unsubscribe", "stop the daily digest", group=ALERTS_GROUP),
            Command("watch", self.watch, PRIVATE, "/watch SYMBOL PCT", "alert when SYMBOL is PCT% below its peak", group=ALERTS_GROUP),
            Command("unwatch", self.unwatch, PRIVATE, "/unwatch SYMBOL", "stop watching SYMBOL", group=ALERTS_GROUP),
            Command("watches", self.watches, PRIVATE, "/watches", "your watches and where they stand", group=ALERTS_GROUP),
        ]

    def subscribe(self, request: Request) -> Reply:
        """Add this chat to the daily digest."""
        if request.chat_id == NO_CHAT:
            raise _no_chat()
        added = self._state.subscribe(request.chat_id, self._clock().isoformat())
        return Reply("✅ Subscribed to the daily digest.\nIt comes after each collection." if added else "You are already subscribed.")

    def unsubscribe(self, request: Request) -> Reply:
        """Remove this chat from the daily digest."""
        removed = self._state.unsubscribe([request.chat_id])
        return Reply("Unsubscribed." if removed else "You were not subscribed.")

    def watch(self, request: Request) -> Reply:
        """Alert this chat when a symbol's drawdown reaches −PCT%; refused for a symbol without data."""
        if len(request.args) != 2:
            raise BadInput(WATCH_USAGE)
        try:
            pct = abs(float(request.args[1].rstrip("%").replace("−", "-")))
        except ValueError:
            raise BadInput(f"PCT must be a number.\n{WATCH_USAGE}") from None
        if not 0 < pct < 100:
            raise BadInput(f"PCT must be between 0 and 100.\n{WATCH_USAGE}")
        return Reply(self.start_watch(request.chat_id, request.args[0], pct))

    def start_watch(self, chat_id: int, query: str, pct: float) -> str:
        """Watch ``query``'s symbol at ``pct`` for ``chat_id``; the confirmation with the current
        drawdown (HTML). BadInput when the symbol has no row in the latest report."""
        try:
            found = self._stocks.row(query)
        except NoReportYet as error:
            raise BadInput(f"Not watching: {error}.") from None
        if chat_id == NO_CHAT:
            raise _no_chat()
        symbol, drawdown = found.symbol, float(found.row["drawdown_pct"])
        self._state.set_watch(chat_id, symbol, pct)
        reached = "\nIt is there already: the first alert\ncomes after the next collection." if drawdown <= -pct else ""
        edge = views.at_edge(found.row)
        note = "\n" + "\n".join(tables.edge_note({})) if edge else ""
        return (
            f"👀 Watching {code(symbol)} at {escape(percent(-pct))}.\n"
            f"Now {bold(percent(drawdown) + (views.EDGE_MARK if edge else ''))} from its peak ({escape(found.as_of.isoformat())}).\n"
            f"One alert a day at {escape(percent(-pct))} or deeper.{escape(reached)}{note}"
        )

    def unwatch(self, request: Request) -> Reply:
        """Stop a watch."""
        if len(request.args) != 1:
            raise BadInput("Usage: /unwatch SYMBOL, e.g. /unwatch AAPL")
        symbol = normalise_symbol(request.args[0])
        removed = self._state.remove_watch(request.chat_id, symbol)
        return Reply(f"Stopped watching {code(symbol)}." if removed else f"You were not watching {code(symbol)}.")

    def watches(self, request: Request) -> Reply:
        """This chat's watches, each with the current drawdown."""
        items = self._state.chat_watches(request.chat_id)
        latest: dict[str, Any] | None = None
        drawdowns: dict[str, float] = {}
        edges: frozenset[str] = frozenset()
        if items:
            try:
                latest = self._reports.latest_summary()
                _day, report = self._reports.load_report()
                drawdowns = {str(s): float(d) for s, d in zip(report["symbol"], report["drawdown_pct"]) if s in items}
                edges = tables.edge_symbols(report)
            except NoReportYet:
                latest = None
        return views.watches(items, drawdowns, latest, edges, tables.edge_note(latest) if latest else None)
