"""The ports: small interfaces the services depend on. Adapters implement them, and so do the
fakes in ``tests/fakes.py``.

- ``Store``: where dipwatch keeps its objects (``LocalStore``, ``S3Store``);
- ``MarketData``: a source of daily bars (simulated, CSV replay, Alpaca);
- ``Broker``: read-only access to the user's trading account (Alpaca);
- ``Messenger``: Telegram Bot API calls (python-telegram-bot);
- ``SplitAnnouncements``: a broker's announced stock splits (Alpaca's corporate actions).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping, Protocol, Sequence

import numpy as np
import pandas as pd

#: ``expected_etag`` value that means "the pointer must not exist yet".
MUST_NOT_EXIST = ""

#: Columns of ``Broker.positions()``; numbers are floats, ``unrealized_plpc`` a fraction (0.25 = +25%).
POSITION_COLUMNS = [
    "symbol",
    "qty",
    "side",
    "avg_entry_price",
    "current_price",
    "market_value",
    "cost_basis",
    "unrealized_pl",
    "unrealized_plpc",
]

#: A Bot API method call: ``{"method": "sendMessage", "chat_id": ..., ...}``.
BotCall = dict[str, Any]


class Store(Protocol):
    """Where dipwatch keeps its objects.

    Data objects (bars, reports, manifests, snapshots) are immutable: the first write wins,
    writing the same bytes again is a no-op, different bytes are an error. Pointers
    (``reports/latest.json``, ``state/*.json``) change whole, with a compare-and-swap on the ETag.
    Keys are ``/``-separated relative paths such as ``reports/2026-11-27.csv``.
    """

    #: Human-readable location, for logs and status pages (never contains secrets).
    location: str

    def get(self, key: str) -> bytes:
        """The object's bytes; raises ObjectNotFound."""
        ...

    def get_with_etag(self, key: str) -> tuple[bytes, str]:
        """The object's bytes and ETag; raises ObjectNotFound."""
        ...

    def get_with_metadata(self, key: str) -> tuple[bytes, dict[str, str]]:
        """The object's bytes and the metadata written with it (``{}`` if none); raises ObjectNotFound."""
        ...

    def exists(self, key: str) -> bool:
        """Whether the key exists."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Every key that starts with ``prefix``, sorted."""
        ...

    def versions(self, prefix: str) -> dict[str, str]:
        """Every key that starts with ``prefix``, each with a token that changes whenever the
        object at the key is replaced (S3: its ETag; on disk: inode, size and modification time)."""
        ...

    def put_immutable(self, key: str, data: bytes, metadata: Mapping[str, str] | None = None) -> bool:
        """Create a data object with ``metadata`` (its seal). True if written, False if the same
        bytes were already there.

        Raises ImmutableObjectError if the key holds different bytes.
        """
        ...

    def quarantine(self, key: str, note: bytes) -> str:
        """Move a corrupt object under ``quarantine/`` (never deleted), with ``note`` beside it
        saying why; returns its new key. Raises ObjectNotFound if it is gone already."""
        ...

    def sweep_temporary(self, max_age_seconds: float) -> int:
        """Remove what killed writers left behind (older than ``max_age_seconds``); how many."""
        ...

    def expire(self, prefix: str, max_age_seconds: float) -> int:
        """Remove the objects under ``prefix`` (a derived cache's, never history) stored more than
        ``max_age_seconds`` ago, with their seals; how many. S3 leaves it to a lifecycle rule."""
        ...

    def put_pointer(self, key: str, data: bytes, expected_etag: str | None = None) -> str:
        """Replace a mutable pointer atomically and return its new ETag.

        ``expected_etag`` None writes unconditionally; MUST_NOT_EXIST requires that the key is
        absent; any other value must equal the current ETag, else PointerConflict.
        """
        ...

    def presigned_url(self, key: str, expires_in: int) -> str | None:
        """A time-limited URL that downloads ``key`` directly, or None if the store has none."""
        ...


@dataclass
class FetchResult:
    """What a fetch returned: the bars, the symbols that failed, and counters for the manifest.

    One symbol's failure never fails the whole fetch: it is recorded in ``failed`` (transient,
    retry next run) or ``unknown`` (the source does not know the symbol).
    """

    bars: pd.DataFrame
    failed: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    #: The bars already rendered as day-object rows while the fetch waited, if the source did.
    rendered: RenderedDays | None = None


class RenderedDays(Protocol):
    """Rows of day objects rendered ahead (``shared.adapters.day_rows.DayRows``)."""

    def day_rows(self, day: date, bars: pd.DataFrame) -> bytes | None:
        """The CSV rows of ``bars`` (one day's, canonical) if rendered exactly so, or None."""
        ...

    def rows_for(self, day: date, symbols: np.ndarray, values: np.ndarray) -> bytes | None:
        """``day_rows`` of one day's bars as their symbols and 64-bit price and volume patterns."""
        ...


class MarketData(Protocol):
    """A source of daily bars (see ``shared.core.bars``)."""

    #: Short label shown next to anything computed from this source ("simulated", "alpaca", "csv").
    @property
    def label(self) -> str: ...

    def fetch_bars(self, symbols: Sequence[str], start: date, end: date, sent: Callable[[], None] | None = None) -> FetchResult:
        """Daily bars for ``symbols`` dated in [start, end], both inclusive. ``sent`` is called
        once the source's first requests are on their way (a local source: at once), so that a
        caller can hold its own work back until then: a request that waits for the interpreter
        behind the caller's work waits for its answer that much longer."""
        ...


class SplitAnnouncements(Protocol):
    """A broker's announced stock splits, to confirm splits found in raw prices."""

    def splits(self, symbols: Sequence[str], start: date, end: date) -> pd.DataFrame:
        """``symbol, ex_date, ratio`` (new shares per old share) for ex-dates in [start, end]."""
        ...


class Broker(Protocol):
    """Read-only trading-account access."""

    def account(self) -> dict[str, Any]:
        """Account fields (status, currency, cash, equity, last_equity, buying_power, ...), money as floats."""
        ...

    def positions(self) -> pd.DataFrame:
        """Open positions with ``POSITION_COLUMNS``."""
        ...


class Messenger(Protocol):
    """Telegram Bot API calls."""

    def call(self, call: BotCall, timeout: float | None = None) -> Any:
        """Make one call and return its result; raises on failure."""
        ...

    def call_many(self, calls: list[BotCall]) -> list[Any]:
        """Make many calls; each result is the call's result or the exception it raised."""
        ...

    def close(self) -> None:
        """Release the connection (idempotent)."""
        ...


class UpdateMarkers(Protocol):
    """Which Telegram update ids were handled: one create-only marker per id, so concurrent
    deliveries never contend for a shared object (``LocalMarkers``, ``StoreMarkers``)."""

    def claim(self, update_id: int) -> bool:
        """Record ``update_id``; False if it was recorded before (a redelivery)."""
        ...
