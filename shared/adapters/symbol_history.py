"""One symbol's stored bars over many days, without parsing whole days.

A symbol page's chart needs one row from each of about 330 ``bars/YYYY-MM-DD.csv`` objects (the
window and the 200 sessions its longer average reads). Parsing every day in full costs seconds;
finding the symbol's line in each object's bytes costs milliseconds. Objects are read in
parallel; a day without an object, or without the symbol, is skipped. Each object's seal is
checked (a mismatch raises ``CorruptObject``), and additions to a day (symbols it was stored
without, fetched later) are read like days.
"""
from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Iterable

import pandas as pd

from shared.adapters.formats import bars_from_csv, parsed
from shared.adapters.layout import addition_keys, bars_key
from shared.adapters.object_keys import Seal
from shared.core.bars import BAR_COLUMNS, empty_bars, normalise_bars
from shared.errors import ObjectNotFound
from shared.ports import Store

_READ_THREADS = 8


class SymbolHistory:
    """Reads one symbol's rows out of the stored day objects of bars."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _row(self, key: str, line: re.Pattern[bytes], symbol: str) -> tuple[bytes, bytes] | None:
        """The object's CSV header and the symbol's line in it, or None."""
        try:
            data, metadata = self._store.get_with_metadata(key)
        except ObjectNotFound:
            return None
        seal = Seal.from_metadata(key, metadata)
        if seal is not None:
            seal.verify(key, data)
        header, _, _body = data.partition(b"\n")
        if not header.startswith(b"symbol,"):
            # Not the layout this reader expects: parse the day in full instead.
            frame = parsed(key, data, bars_from_csv)
            rows = frame[frame["symbol"] == symbol].assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d"))
            text = rows.to_csv(index=False, header=False, lineterminator="\n").encode().rstrip(b"\n")
            return (",".join(BAR_COLUMNS).encode(), text) if len(rows) else None
        found = line.search(data)
        return None if found is None else (header.rstrip(b"\r"), found.group(0).rstrip(b"\r"))

    def bars(self, symbol: str, days: Iterable[date]) -> pd.DataFrame:
        """``symbol``'s bars on ``days`` (``BAR_COLUMNS``), sorted by date."""
        line = re.compile(rb"^" + re.escape(symbol.encode()) + rb",[^\n]*$", re.M)
        wanted = list(days)
        keys = [bars_key(day) for day in wanted] + addition_keys(self._store, wanted)
        with ThreadPoolExecutor(max_workers=_READ_THREADS) as pool:
            found = [row for row in pool.map(lambda key: self._row(key, line, symbol), keys) if row is not None]
        by_header: dict[bytes, list[bytes]] = {}
        for header, row in found:
            by_header.setdefault(header, []).append(row)
        frames = [
            pd.read_csv(io.BytesIO(b"\n".join([header, *rows])), dtype={"symbol": str}, keep_default_na=False, na_values=[""])
            for header, rows in by_header.items()
        ]
        if not frames:
            return empty_bars()
        return normalise_bars(pd.concat(frames, ignore_index=True).loc[:, BAR_COLUMNS])
