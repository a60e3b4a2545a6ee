"""Domain errors. The core raises these; the edges map them to HTTP codes, bot replies or exit codes."""
from __future__ import annotations


class DipwatchError(Exception):
    """Base class of every error dipwatch raises on purpose."""


class ConfigError(DipwatchError):
    """A setting is missing or malformed. The message names the variable."""


class BadInput(DipwatchError):
    """The caller's input does not parse or is out of range; the message says how to fix it."""


class StorageError(DipwatchError):
    """The store could not complete an operation."""


class ObjectNotFound(StorageError):
    """The key does not exist in the store."""


class ImmutableObjectError(StorageError):
    """An attempt to rewrite an immutable object with different bytes."""


class PointerConflict(StorageError):
    """A pointer changed under us (its ETag no longer matches)."""


class MarketDataError(DipwatchError):
    """The market-data source failed as a whole (not one symbol)."""


class BrokerError(DipwatchError):
    """The trading account could not be read (the broker refused or is unreachable)."""


class UnknownSymbol(DipwatchError):
    """The symbol is not in the universe."""

    def __init__(self, symbol: str, suggestions: list[str] | None = None) -> None:
        self.symbol = symbol
        self.suggestions = suggestions or []
        hint = f" Did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"Unknown symbol {symbol!r}.{hint}")


class NoReportYet(DipwatchError):
    """No report has been collected yet (or none for the requested date)."""


class NothingCollected(DipwatchError):
    """The collector produced no ranked symbols at all."""
