"""Bars written as the CSV rows of their day objects, while a fetch still waits on the network.

A backfill of 10,000 symbols stores 1.25 million bars as 125 day objects. Writing their rows
costs seconds of CPU; a fetch spends most of its time waiting for the rate limit. So each
chunk's bars are rendered as soon as they arrive (``DayRows.add``, from the fetch's threads),
and storing a day later joins its rendered parts (``DayRows.day_rows``) instead of formatting.

Rows are byte for byte what pandas' ``to_csv`` writes (``shared.adapters.formats``): floats in
their shortest round-trip form (numpy's and Python's ``repr`` agree), empty for NaN; anything
the fast path does not cover (a symbol that would need quoting, a missing date) is left to pandas.
A day's parts are used only when they hold exactly the rows being stored, symbols and values
(a fingerprint): anything else (a symbol dropped, a bar changed) is formatted from the frame,
so rendering ahead can only save time, never change a byte.
"""
from __future__ import annotations

import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from shared.telemetry import logger

#: Symbols the csv module writes as they are (no delimiter, quote, space or line break).
_PLAIN = re.compile(r"^[A-Za-z0-9._/^-]+$")
_PRICES = ("open", "high", "low", "close")


#: ".0", ".0001", ..., ".9999": the decimals of a price in ten-thousandths, as ``repr`` ends it.
_DECIMALS = np.array(["." + (f"{i:04d}".rstrip("0") or "0") for i in range(10_000)], dtype=object)


def _float_text(values: np.ndarray) -> list[str]:
    """Floats as pandas writes them: the shortest round-trip text (``repr``), empty for NaN.

    Prices in whole ten-thousandths (nearly all of them) are written from integers: when
    ``k / 10,000`` is exactly ``x`` and ``x < 1e11``, the decimal k·10⁻⁴ has at most 15 digits, so it
    is the only decimal that short which rounds to ``x``, and ``repr`` writes it, trailing zeros cut.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN are written by repr below
        scaled = np.rint(values * 10_000.0)
        exact = np.isfinite(values) & ~np.signbit(values) & (values < 1e11) & (scaled / 10_000.0 == values)
    units = np.where(exact, scaled, 0.0).astype(np.int64)
    text = list(map(str.__add__, map(str, (units // 10_000).tolist()), _DECIMALS[units % 10_000].tolist()))
    for i in np.flatnonzero(~exact).tolist():
        text[i] = "" if np.isnan(values[i]) else repr(float(values[i]))
    return text


def render_lines(bars: pd.DataFrame) -> list[str] | None:
    """Each row of a canonical bars frame (``shared.core.bars``) as its CSV line (no newline),
    or None when a value needs what only pandas' writer does (quoting, a missing date)."""
    if bars.empty:
        return []
    symbols = bars["symbol"].tolist()
    if not all(isinstance(symbol, str) and _PLAIN.match(symbol) for symbol in set(symbols)):
        return None
    codes, days = pd.factorize(bars["date"])
    if (codes < 0).any():
        return None
    day_text = np.asarray(pd.DatetimeIndex(days).strftime("%Y-%m-%d"), dtype=object)[codes].tolist()
    prices = [_float_text(bars[column].to_numpy(dtype=np.float64)) for column in _PRICES]
    volumes = list(map(str, bars["volume"].tolist()))
    return list(map(",".join, zip(symbols, day_text, *prices, volumes)))


def bar_values(bars: pd.DataFrame, order: np.ndarray | None = None) -> np.ndarray:
    """The prices and volumes of ``bars`` (of its rows in ``order``, when given), one row per
    bar, as 64-bit patterns."""
    pick: np.ndarray | slice = slice(None) if order is None else order
    values = np.empty((len(bars) if order is None else len(order), len(_PRICES) + 1), dtype=np.int64)
    for i, column in enumerate(_PRICES):
        values[:, i] = bars[column].to_numpy(dtype=np.float64).view(np.int64)[pick]
    values[:, -1] = bars["volume"].to_numpy(dtype=np.int64)[pick]
    return values


def _digest(values: np.ndarray) -> int:
    """A fingerprint of rows of ``bar_values``, bit for bit: the interpreter's keyed 64-bit hash
    (SipHash) of their bytes. Parts never leave the process, so its per-process key does not
    matter. Unlike hashlib, it keeps the interpreter lock: storing checks thousands of parts while
    writer threads run, and each hash that let the lock go waited for it back (0.2 s of a
    1,000-symbol backfill)."""
    return hash(np.ascontiguousarray(values).tobytes())


@dataclass(frozen=True)
class _Part:
    """One chunk's rows of one day: its symbols in order, a fingerprint of its values, its rows."""

    symbols: tuple[str, ...]
    digest: int
    rows: bytes


class DayRows:
    """Rendered parts of day objects, added chunk by chunk from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: dict[date, list[_Part]] = {}
        self._behind: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    def add_behind(self, bars: pd.DataFrame) -> None:
        """``add`` on a thread of its own, so the caller goes on at once: a request's thread
        sends its next request instead of rendering while the network sits idle. ``settle``
        waits for what is behind."""
        with self._lock:
            if self._behind is None:
                self._behind = ThreadPoolExecutor(max_workers=1, thread_name_prefix="day-rows")
            self._pending.append(self._behind.submit(self.add, bars))

    def settle(self) -> int:
        """Wait until every ``add_behind`` is done; how many failed. A failed one only loses its
        parts: the days it held are formatted from their frames when stored."""
        with self._lock:
            behind, pending = self._behind, self._pending
            self._behind, self._pending = None, []
        if behind is not None:
            behind.shutdown(wait=True)
        failed = [error for error in (future.exception() for future in pending) if error is not None]
        if failed:
            logger.warning("could not render some bars ahead; their days are formatted when stored", extra={"failed": len(failed), "error": repr(failed[0])[:200]})
        return len(failed)

    def add(self, bars: pd.DataFrame) -> None:
        """Render the rows of ``bars`` (canonical, sorted by symbol then date) and keep them by day."""
        lines = render_lines(bars)
        if not lines:
            return
        stamps = bars["date"].to_numpy().view(np.int64)
        order = np.argsort(stamps, kind="stable")  # by day, each day's rows in symbol order
        edges = np.flatnonzero(np.r_[True, stamps[order][1:] != stamps[order][:-1], True]).tolist()
        symbols = np.asarray(bars["symbol"].to_numpy(), dtype=object)
        values = bar_values(bars)
        parts = []
        for a, b in zip(edges[:-1], edges[1:]):
            rows = order[a:b]
            text = "\n".join([lines[i] for i in rows.tolist()]) + "\n"
            part = _Part(tuple(symbols[rows].tolist()), _digest(values[rows]), text.encode())
            parts.append((pd.Timestamp(stamps[rows[0]]).date(), part))
        with self._lock:
            for day, part in parts:
                self._parts.setdefault(day, []).append(part)

    def day_rows(self, day: date, bars: pd.DataFrame) -> bytes | None:
        """The rows of ``bars`` (one day's canonical bars, in symbol order) if the rendered parts
        of ``day`` hold exactly them, symbols and values; else None. Either way the parts of
        ``day`` are let go: a day is stored once."""
        return self.rows_for(day, np.asarray(bars["symbol"].to_numpy(), dtype=object), bar_values(bars))

    def rows_for(self, day: date, symbols: np.ndarray, values: np.ndarray) -> bytes | None:
        """``day_rows`` of one day's bars given as their ``symbols`` (in order) and their
        ``bar_values``: the caller slices a whole fetch's arrays, not a frame a day."""
        with self._lock:  # a day is stored once: its parts are let go (asked again, None)
            parts = sorted(self._parts.pop(day, []), key=lambda part: part.symbols[0])
        if not parts or sum(len(part.symbols) for part in parts) != len(symbols):
            return None
        first = 0
        for part in parts:
            last = first + len(part.symbols)
            if part.symbols != tuple(symbols[first:last].tolist()) or _digest(values[first:last]) != part.digest:
                return None
            first = last
        return b"".join(part.rows for part in parts)
