"""Days stored without some symbols, and the additions that bring those symbols later.

When the same symbols keep failing (three runs in a row) or a day is three sessions old, the day
is stored without them: first ``omitted/YYYY-MM-DD.json`` lists them, then the day's bars. A
later fetch that gets them stores ``additions/YYYY-MM-DD.<n>.csv``; the day's object is never
rewritten, and ``Archive.read_bars`` merges the additions into it.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

import pandas as pd

from shared.adapters.archive import Archive
from shared.adapters.formats import bars_to_csv, json_bytes, json_document
from shared.adapters.layout import addition_key, addition_keys, day_of, omitted_key, parser_for
from shared.errors import ImmutableObjectError


class Omissions:
    """The omitted symbols of stored days, and their additions, in an archive."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    def write_omitted(self, day: date, symbols: dict[str, str]) -> bool:
        """Record the symbols (and why) a day's bars are stored without; written before the day."""
        return self._archive.write_sealed(omitted_key(day), json_bytes({"day": day.isoformat(), "symbols": dict(sorted(symbols.items()))}), 1)

    def omitted(self, days: Iterable[date]) -> dict[date, set[str]]:
        """Of ``days``, those stored without some symbols that no addition has brought yet."""
        wanted = set(days)
        result: dict[date, set[str]] = {}
        for key in self._archive.store.list("omitted/"):
            day = day_of(key)
            if day in wanted and day is not None:
                result[day] = set(self._archive.read_verified(key, json_document).get("symbols", {}))
        for key in addition_keys(self._archive.store, list(result)):
            day = day_of(key)
            if day is not None:
                result[day] -= set(self._archive.read_verified(key, parser_for(key))["symbol"])
        return {day: symbols for day, symbols in result.items() if symbols}

    def write_addition(self, day: date, bars: pd.DataFrame) -> str | None:
        """Store bars of omitted symbols as the day's next addition (the day is never rewritten)."""
        existing = addition_keys(self._archive.store, [day])
        key = addition_key(day, len(existing) + 1)
        try:
            self._archive.write_sealed(key, bars_to_csv(bars), len(bars))
        except ImmutableObjectError:
            return None  # another run added the same number first: the next run tries again
        return key
