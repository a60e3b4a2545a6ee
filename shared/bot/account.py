"""Account commands: the trading account, its positions and the profit-taking monitor."""
from __future__ import annotations

from shared.bot import tables, views
from shared.bot.access import PRIVATE
from shared.bot.registry import ACCOUNT_GROUP, Command, Request
from shared.bot.views import Reply
from shared.errors import NoReportYet
from shared.services.portfolio import Portfolio
from shared.services.reports import Reports


class AccountCommands:
    """The commands that read the user's Alpaca account (private)."""

    def __init__(self, portfolio: Portfolio, reports: Reports) -> None:
        self._portfolio = portfolio
        self._reports = reports

    def commands(self) -> list[Command]:
        """This group's entries of the command table."""
        return [
            Command("account", self.account, PRIVATE, "/account", "the trading account", group=ACCOUNT_GROUP),
            Command("positions", self.positions, PRIVATE, "/positions", "open positions with their drawdown rank", group=ACCOUNT_GROUP),
            Command("monitor", self.monitor, PRIVATE, "/monitor", "the profit-taking check against the target", group=ACCOUNT_GROUP),
        ]

    def account(self, _request: Request) -> Reply:
        """The Alpaca account's equity, cash and buying power."""
        return views.account(self._portfolio.account_overview())

    def positions(self, _request: Request) -> Reply:
        """Open positions, each with its gain and the latest drawdown rank."""
        positions = self._portfolio.positions_with_ranks()
        try:
            latest = self._reports.latest_summary()
        except NoReportYet:
            latest = None  # no ranks to stamp
        return views.positions(positions, latest, tables.edge_note(latest or {}))

    def monitor(self, _request: Request) -> Reply:
        """Whether the five best-gaining positions average the profit target."""
        return views.monitor(self._portfolio.monitor())
