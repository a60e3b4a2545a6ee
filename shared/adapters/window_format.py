"""The window snapshot's bytes: stored bars in compact columns, read back exactly as the CSVs parse.

A snapshot (``windows/YYYY-MM-DD.bin``) is a derived cache of the ``bars/`` and ``additions/``
objects a run read, never the source of truth (see ``shared.services.window_cache``). Layout:
``MAGIC``, the JSON header's length (4 bytes, little-endian), the JSON header, then each column's
raw little-endian bytes in the order the header lists them.

Rows are sorted by symbol, then date. Symbols are a sorted list and a row count each; dates a
code into the list of days. A price column is stored as integers scaled by ``10**scale`` only when
that gives back every float64 bit for bit (checked as it is written), else as float64; a missing
price is the integer type's minimum. So the frame read back equals the frame written, and a
report built from it equals one built from the CSVs.
"""
from __future__ import annotations

import json
import struct
import sys
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, cast

import numpy as np
import pandas as pd

from shared.core.bars import BAR_COLUMNS

MAGIC = b"DIPWATCH WINDOW\n"
FORMAT = 1
_PRICES = ("open", "high", "low", "close")
#: Decimal places tried, in order, for a price column stored as integers.
_SCALES = (0, 2, 4, 6, 8)
_I32 = np.iinfo(np.int32)
_DTYPES = {"<i4", "<i8", "<f8", "<u2", "<u4"}
_ALIGN = 8


@dataclass(frozen=True)
class WindowSnapshot:
    """A parsed snapshot: its header (days, symbols, the sources it was built from) and columns."""

    as_of: str
    days: list[date]
    symbols: list[str]
    #: The stored object each day's rows came from, and its version when they were read.
    sources: dict[str, str]
    counts: np.ndarray
    day_codes: np.ndarray
    encoded: dict[str, tuple[np.ndarray, int | None]]

    def bars(self, days: Iterable[date] | None = None) -> pd.DataFrame:
        """The bars frame of ``days`` (all when None): canonical dtypes, sorted by symbol, date."""
        stamps = np.array([np.datetime64(day.isoformat(), "ns") for day in self.days], dtype="datetime64[ns]")
        keep: np.ndarray | slice = slice(None)
        if days is not None:
            wanted = set(days)
            held = np.array([day in wanted for day in self.days], dtype=bool)
            if not held.all():
                keep = held[self.day_codes] if len(held) else np.zeros(len(self.day_codes), dtype=bool)
        names = np.empty(len(self.symbols), dtype=object)
        names[:] = [sys.intern(symbol) for symbol in self.symbols]
        columns: dict[str, Any] = {
            "symbol": pd.Series(np.repeat(names, self.counts)[keep], dtype=object),
            "date": stamps[self.day_codes[keep]] if len(stamps) else np.array([], dtype="datetime64[ns]"),
        }
        for name in (*_PRICES, "volume"):
            values, scale = self.encoded[name]
            columns[name] = _decode(values[keep], scale) if name != "volume" else values[keep].astype(np.int64)
        return pd.DataFrame(columns, columns=BAR_COLUMNS)


def _decode(values: np.ndarray, scale: int | None) -> np.ndarray:
    if scale is None:
        return values.astype(np.float64)
    out = values.astype(np.float64) / 10.0**scale
    out[values == np.iinfo(values.dtype).min] = np.nan
    return out


#: Values a scale is first tried on: a scale that fails on them fails on the column, cheaply.
_SAMPLE = 4096


def _scaled(finite: np.ndarray, scale: int) -> np.ndarray | None | bool:
    """``finite`` as int32 scaled by ``10**scale`` if that gives back every float64 bit for bit;
    None if not; False if the values are too large for this scale (and so for every larger one)."""
    scaled = np.round(finite * 10.0**scale)
    if len(finite) and not np.abs(scaled).max() < _I32.max:
        return False  # too large (or not finite)
    whole = scaled.astype(np.int32)
    back = whole / 10.0**scale  # exactly as read back
    return whole if np.array_equal(back, finite) and np.array_equal(np.signbit(back), np.signbit(finite)) else None


#: Rows scaled at a time: a column of millions is checked without float64 copies of itself.
_CHUNK = 1 << 18


def _scaled_into(finite: np.ndarray, scale: int, out: np.ndarray) -> bool | None:
    """``_scaled`` of ``finite`` a chunk at a time, written into ``out``: True when every value
    fits, else the first chunk's None or False."""
    for start in range(0, len(finite), _CHUNK):
        whole = _scaled(finite[start : start + _CHUNK], scale)
        if whole is None or isinstance(whole, bool):
            return None if whole is None else False
        out[start : start + len(whole)] = whole
    return True


def _encode_prices(values: np.ndarray) -> tuple[np.ndarray, int | None]:
    """The smallest exact integer form of a float64 column, or the column itself. Each scale is
    tried on a sample first: the scales that do not fit are turned down cheaply. (A chunk found
    too large after another was found inexact ends at the float64 form too: a chunk too large
    for one scale is for every larger one.)"""
    present = ~np.isnan(values)
    finite = values if bool(present.all()) else values[present]
    for scale in _SCALES:
        sample = _scaled(finite[:_SAMPLE], scale) if len(finite) > _SAMPLE else True
        if sample is False:
            break  # every larger scale is larger still
        if sample is None:
            continue
        whole = np.empty(len(finite), dtype="<i4")
        fits = _scaled_into(finite, scale, whole)
        if fits is False:
            break
        if fits is None:
            continue
        if finite is values:
            return whole, scale
        out = np.full(len(values), _I32.min, dtype="<i4")
        out[present] = whole
        return out, scale
    return values.astype("<f8"), None


def _sorted_codes(bars: pd.DataFrame) -> tuple[np.ndarray, list[str]] | None:
    """Codes of ``bars``' symbols and the sorted symbols, when the rows are already grouped by
    symbol in ascending order (as a run's window is): found from the runs, without hashing."""
    symbols = bars["symbol"].to_numpy(dtype=object)
    if not len(symbols):
        return None
    starts = np.flatnonzero(np.r_[True, symbols[1:] != symbols[:-1]])
    names = symbols[starts].tolist()
    if not all(type(name) is str for name in names) or any(a >= b for a, b in zip(names, names[1:])):
        return None
    return np.repeat(np.arange(len(starts), dtype=np.int32), np.diff(np.r_[starts, len(symbols)])), names


def window_to_bytes(bars: pd.DataFrame, as_of: date, sources: dict[str, str]) -> bytes:
    """The snapshot of canonical ``bars`` (any row order; one row per symbol and date).

    Each column is encoded and appended to the body in turn, and let go: the columns of a
    window of 10,000 symbols are not held beside the whole snapshot (a ``bytearray``, which
    every store takes as bytes)."""
    known = _sorted_codes(bars)
    codes, symbols = known if known is not None else pd.factorize(bars["symbol"], sort=True)
    day_codes, day_values = pd.factorize(bars["date"], sort=True)
    in_order = known is not None and bool((np.diff(day_codes)[np.diff(codes) == 0] > 0).all())
    order: np.ndarray | slice = slice(None) if in_order else np.lexsort((day_codes, codes))
    if not in_order and bool(((np.diff(codes[order]) == 0) & (np.diff(day_codes[order]) == 0)).any()):
        raise ValueError("a (symbol, date) appears twice")
    header: dict[str, Any] = {
        "format": FORMAT,
        "as_of": as_of.isoformat(),
        "rows": len(bars),
        "days": [day.date().isoformat() for day in pd.DatetimeIndex(day_values)],
        "symbols": [str(symbol) for symbol in symbols],
        "sources": dict(sorted(sources.items())),
        "fields": [{"name": name, "dtype": "<f8", "items": len(symbols) if name == "counts" else len(bars), "scale": None} for name in _FIELDS],
    }
    # Room for the longest header these columns can have (every scale null): the columns are
    # appended after it, then moved up to the real header's end, in place.
    room = len(_prefix(header))
    fields: list[dict[str, Any]] = []
    body = bytearray(room)

    def append(name: str, values: np.ndarray, scale: int | None = None) -> None:
        fields.append({"name": name, "dtype": values.dtype.str, "items": len(values), "scale": scale})
        body.extend(np.ascontiguousarray(values).data.cast("B"))
        body.extend(_padding(values.nbytes))

    append("counts", np.bincount(codes, minlength=len(symbols)).astype("<u4"))
    append("day_codes", day_codes[order].astype("<u2" if len(day_values) < 2**16 else "<u4"))
    del codes, day_codes
    for name in _PRICES:
        append(name, *_encode_prices(bars[name].to_numpy(dtype=np.float64)[order]))
    volume = bars["volume"].to_numpy(dtype=np.int64)[order]
    fits = len(volume) == 0 or (volume.min() > _I32.min and volume.max() <= _I32.max)
    append("volume", volume.astype("<i4" if fits else "<i8"))
    prefix = _prefix({**header, "fields": fields})
    columns = len(body) - room
    with memoryview(body) as view:  # a forward move (memmove): the body is never copied whole
        view[len(prefix) : len(prefix) + columns] = view[room:]
        view[: len(prefix)] = prefix
    del body[len(prefix) + columns :]
    # Not copied into a bytes object either: hashing, files, S3 bodies and comparisons take it.
    return cast(bytes, body)


_FIELDS = ("counts", "day_codes", *_PRICES, "volume")


def _prefix(header: dict[str, Any]) -> bytes:
    """``MAGIC``, the header's length and the header, padded to a multiple of 8."""
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += _padding(len(MAGIC) + 4 + len(text))
    return MAGIC + struct.pack("<I", len(text)) + text


def _padding(size: int) -> bytes:
    """Spaces that take ``size`` bytes up to a multiple of 8: every column starts aligned."""
    return b" " * (-size % _ALIGN)


def window_from_bytes(data: bytes) -> WindowSnapshot:
    """Parse a snapshot strictly; raises ValueError on anything it was not written as."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
        raise ValueError("not a window snapshot")
    (length,) = struct.unpack_from("<I", data, len(MAGIC))
    start = len(MAGIC) + 4 + length
    header = json.loads(data[len(MAGIC) + 4 : start])
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError("unknown snapshot format")
    rows, symbols, days, sources = int(header["rows"]), list(header["symbols"]), [date.fromisoformat(day) for day in header["days"]], header["sources"]
    if not all(isinstance(symbol, str) and symbol for symbol in symbols) or symbols != sorted(set(symbols)) or days != sorted(set(days)):
        raise ValueError("symbols or days are not sorted and unique")
    if not isinstance(sources, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in sources.items()):
        raise ValueError("sources are not a map of keys to versions")
    arrays: dict[str, tuple[np.ndarray, int | None]] = {}
    for field in header["fields"]:
        if not isinstance(field, dict):
            raise ValueError("a field is not described")
        dtype, items = np.dtype(str(field["dtype"])), int(field["items"])
        scale = field.get("scale")
        if field["dtype"] not in _DTYPES or items < 0 or not (scale is None or (scale in _SCALES and field["dtype"] == "<i4")):
            raise ValueError(f"field {field.get('name')!r} has an unexpected type")
        arrays[str(field["name"])] = (np.frombuffer(data, dtype=dtype, count=items, offset=start), scale)
        start += items * dtype.itemsize
        start += -start % _ALIGN
    if start != len(data) or set(arrays) != {"counts", "day_codes", *_PRICES, "volume"}:
        raise ValueError("the columns do not fill the snapshot")
    counts, day_codes = arrays.pop("counts")[0], arrays.pop("day_codes")[0]
    if len(counts) != len(symbols) or int(counts.sum()) != rows or any(len(values) != rows for values, _scale in arrays.values()):
        raise ValueError("the columns' lengths do not match the rows")
    if rows and (int(day_codes.max()) >= len(days) or bool((counts == 0).any())):
        raise ValueError("a day code or symbol count is out of range")
    steps = np.diff(day_codes.astype(np.int64))
    boundary = np.zeros(len(steps), dtype=bool)
    boundary[np.cumsum(counts)[:-1] - 1] = True
    if bool(((steps <= 0) & ~boundary).any()):
        raise ValueError("a symbol's days are not in order, or one appears twice")
    return WindowSnapshot(str(header["as_of"]), days, symbols, dict(sources), counts, day_codes, arrays)
