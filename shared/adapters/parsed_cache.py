"""An in-memory cache of parsed immutable objects, bounded by bytes, not entries.

A warm process (a Lambda serving the bot) keeps reports and windows of bars it has parsed, so a
repeated read costs no I/O. The bound is in bytes because objects differ by a hundredfold: a
day's report of the Russell 1000 is ~1 MB parsed, a window of 10,000 symbols' bars ~130 MB.
"""
from __future__ import annotations

import sys
import threading
from collections import OrderedDict

import pandas as pd


def _size(item: object) -> int:
    """Bytes a parsed object holds, strings included (frames exactly, anything else roughly)."""
    if isinstance(item, pd.DataFrame):
        return int(item.memory_usage(index=True, deep=True).sum())
    return sys.getsizeof(item)


class ParsedCache:
    """A thread-safe LRU of parsed immutable objects, bounded by their bytes. Safe because they
    never change; an object larger than the whole budget is not kept."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[object, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            self._items.move_to_end(key)
            return entry[0]

    def put(self, key: object, item: object) -> None:
        size = _size(item)
        with self._lock:
            if key in self._items:
                self.bytes -= self._items.pop(key)[1]
            if size > self.max_bytes:
                return
            self._items[key] = (item, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _key, (_item, evicted) = self._items.popitem(last=False)
                self.bytes -= evicted
