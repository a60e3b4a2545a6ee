"""Domain errors. The core and the services raise these; the edges map them.

The web maps ``BadInput`` to 400, ``InvalidLink`` to 403, ``NotFound`` (an unknown symbol or
day) to 404 and ``CorruptObject`` to a logged 500 that names the key; the bot turns them into
replies. Anything else is logged once at the edge and answered with 500 or an apology.
"""
from __future__ import annotations


class DipwatchError(Exception):
    """Base class of every error dipwatch raises on purpose."""


class ConfigError(DipwatchError):
    """A setting is missing or malformed. The message names the variable."""


class SettingError(ConfigError):
    """One setting's value is invalid: ``variable`` names it, ``problem`` says what is wrong."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable} {problem}")
        self.variable = variable
        self.problem = problem


class BadInput(DipwatchError):
    """The caller's input does not parse or is out of range; the message says how to fix it."""


class NotFound(DipwatchError):
    """What the caller asked for does not exist."""


class UnknownSymbol(NotFound):
    """The symbol is not in the universe."""

    def __init__(self, symbol: str, suggestions: list[str] | None = None) -> None:
        self.symbol = symbol
        self.suggestions = suggestions or []
        hint = f" Did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"Unknown symbol {symbol!r}.{hint}")


class NoReportYet(NotFound):
    """No report has been collected yet (or none for the requested day)."""


class InvalidLink(DipwatchError):
    """A download token that is tampered with, malformed or expired."""


class NoTradingAccount(DipwatchError):
    """No broker is configured (no Alpaca keys)."""


class StorageError(DipwatchError):
    """The store could not complete an operation."""


class ObjectNotFound(StorageError):
    """The key does not exist in the store."""


class CorruptObject(StorageError):
    """A stored object does not parse as what its key says it is."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"stored object {key} is corrupt: {reason}")
        self.key = key


class ImmutableObjectError(StorageError):
    """An attempt to rewrite an immutable object with different bytes."""


class PointerConflict(StorageError):
    """A pointer changed under us (its ETag no longer matches)."""


class MarketDataError(DipwatchError):
    """The market-data source failed as a whole (not one symbol)."""


class BrokerError(DipwatchError):
    """The trading account could not be read (the broker refused or is unreachable)."""


class NothingCollected(DipwatchError):
    """The collector produced no ranked symbols at all."""


class MixedSources(ConfigError):
    """The store holds another market-data source's data; collecting into it would mix the two."""
