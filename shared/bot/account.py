"""Account commands: the trading account, its positions and the profit-taking monitor."""
from __future__ import annotations

from shared.bot import views
from shared.bot.access import PRIVATE
from shared.bot.registry import Command, Request
from shared.bot.views import Reply
from shared.services.portfolio import Portfolio


class AccountCommands:
    """The commands that read the user's Alpaca account (private)."""

    def __init__(self, portfolio: Portfolio) -> None:
        self._portfolio = portfolio

    def commands(self) -> list[Command]:
        """This group's entries of the command table."""
        return [
            Command("account", self.account, PRIVATE, "/account", "the trading account"),
            Command("positions", self.positions, PRIVATE, "/positions", "open positions with their drawdown rank"),
            Command("monitor", self.monitor, PRIVATE, "/monitor", "the profit-taking check against the target"),
        ]

    def account(self, _request: Request) -> Reply:
        """The Alpaca account's equity, cash and buying power."""
        return views.account(self._portfolio.account_overview())

    def positions(self, _request: Request) -> Reply:
        """Open positions, each with its gain and the latest drawdown rank."""
        return views.positions(self._portfolio.positions_with_ranks())

    def monitor(self, _request: Request) -> Reply:
        """Whether the five best-gaining positions average the profit target."""
        return views.monitor(self._portfolio.monitor())
