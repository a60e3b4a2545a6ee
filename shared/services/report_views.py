"""Views derived from stored reports, built once per report and kept in memory, bounded by bytes.

A warm process answering ``/top`` or ``/stock`` should not group 10,000 companies' share classes,
sort 10,000 rows or copy the report on every request: it builds each view once and slices it. A
stored report is immutable (written once, sealed; a new day is a new key), so its key identifies
its bytes and a view derived from it never goes stale while kept. The bound is in bytes because a
view of 10,000 symbols is ten times one of 1,000. Concurrent first requests for a view (a threaded
server) build it once: the others wait for it.
"""
from __future__ import annotations

import dataclasses
import sys
import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar, cast

import numpy as np
import pandas as pd

#: Memory for derived views per process. A view of a 10,000-symbol report is ~5 MB (a sorted
#: ranking) and the ranking has a view per order and sector, so 48 MB keeps the ones in use.
VIEW_BYTES = 48 * 1024 * 1024

V = TypeVar("V")


def bytes_of(value: object) -> int:
    """Roughly the bytes ``value`` holds: frames and series deeply, containers with their items."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        used = value.memory_usage(index=True, deep=True)
        return int(used.sum()) if isinstance(used, pd.Series) else int(used)
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(bytes_of(key) + bytes_of(item) for key, item in value.items())
    if isinstance(value, (tuple, list, set, frozenset)):
        return sys.getsizeof(value) + sum(bytes_of(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sys.getsizeof(value) + sum(bytes_of(getattr(value, field.name)) for field in dataclasses.fields(value))
    return sys.getsizeof(value)


class ViewCache:
    """A thread-safe LRU of built views, bounded by their bytes; a view larger than the whole
    budget is built for its request and not kept. Views are shared: callers must not change them."""

    def __init__(self, max_bytes: int = VIEW_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Lock] = {}

    def _hit(self, key: Hashable) -> tuple[bool, object]:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return False, None
            self._items.move_to_end(key)
            return True, entry[0]

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        """The view kept under ``key``, or ``build()`` once (concurrent callers wait) and kept."""
        found, value = self._hit(key)
        if found:
            return cast(V, value)
        with self._lock:
            gate = self._building.setdefault(key, threading.Lock())
        with gate:
            found, value = self._hit(key)
            if found:
                return cast(V, value)
            try:
                built = build()
                self._keep(key, built)
            finally:
                with self._lock:
                    self._building.pop(key, None)
        return built

    def _keep(self, key: Hashable, value: object) -> None:
        size = bytes_of(value)
        with self._lock:
            if key in self._items:
                self.bytes -= self._items.pop(key)[1]
            if size > self.max_bytes:
                return
            self._items[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _key, (_value, evicted) = self._items.popitem(last=False)
                self.bytes -= evicted
