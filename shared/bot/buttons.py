"""What an inline button press does: page a list, open or refresh a stock, go back, add a watch.

``Buttons.press`` decodes the callback data (``shared.bot.callbacks``), checks access as the
matching command would (a watch is private, the rest market), and says how to answer: a reply
that edits the pressed message or comes as a new one, and the text of the callback answer.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.bot import callbacks
from shared.bot.access import MARKET, PRIVATE, Access
from shared.bot.alerts import AlertCommands
from shared.bot.formatting import percent, shorten
from shared.bot.market import MarketCommands
from shared.bot.registry import run_safely, your_id
from shared.bot.views import Reply
from shared.telemetry import logger

#: Telegram shows at most this many characters of a callback answer.
MAX_ANSWER = 200


@dataclass(frozen=True)
class Press:
    """How to answer a press: ``reply`` (None: nothing to show), whether it ``edit``\\ s the
    pressed message, and the callback answer's text (None: a silent answer)."""

    reply: Reply | None
    edit: bool = True
    answer: str | None = None


class Buttons:
    """The actions behind the inline buttons."""

    def __init__(self, market: MarketCommands, alerts: AlertCommands, access: Access) -> None:
        self._market = market
        self._alerts = alerts
        self._access = access

    def press(self, data: str, chat_id: int, user_id: int | None) -> Press:
        """Answer one press of a button whose callback data is ``data``."""
        try:
            button = callbacks.decode(data)
        except callbacks.StaleButton:
            return Press(None, answer="This button no longer works.")
        level = PRIVATE if isinstance(button, callbacks.WatchButton) else MARKET
        if not self._access.allows(level, user_id):
            logger.info("telegram callback refused", extra={"user_id": user_id, "button": type(button).__name__})
            return Press(None, answer=shorten(f"Sorry, this is private. {your_id(user_id)}", MAX_ANSWER))
        if isinstance(button, callbacks.TopPage):
            page = button
            return Press(run_safely(lambda: self._market.page(page), "button:top"))
        if isinstance(button, callbacks.StockView):
            view = button
            return Press(run_safely(lambda: self._market.stock_view(view), "button:stock"))
        watch, started = button, []

        def start() -> Reply:
            reply = Reply(self._alerts.start_watch(chat_id, watch.symbol, watch.pct))
            started.append(watch.symbol)
            return reply

        reply = run_safely(start, "button:watch")  # a refusal (no data, no chat) comes as the message
        return Press(reply, edit=False, answer=f"Watching {watch.symbol} at {percent(-watch.pct, 0)}" if started else None)
