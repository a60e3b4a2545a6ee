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
from typing import Callable, Hashable, TypeVar, cast

import numpy as np
import pandas as pd

from shared.adapters.parsed_cache import ParsedCache

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


class _Kept:
    """A view as the byte-bounded cache keeps it: ``sys.getsizeof`` of it is the view's bytes."""

    __slots__ = ("value", "size")

    def __init__(self, value: object) -> None:
        self.value = value
        self.size = bytes_of(value)

    def __sizeof__(self) -> int:
        return self.size


class ViewCache:
    """Built views in a ``ParsedCache`` (a thread-safe LRU bounded by bytes; a view larger than
    the whole budget is built for its request and not kept), each built once however many
    requests ask for it at the same time. Views are shared: callers must not change them."""

    def __init__(self, max_bytes: int = VIEW_BYTES) -> None:
        self._kept = ParsedCache(max_bytes)
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Lock] = {}

    @property
    def max_bytes(self) -> int:
        return self._kept.max_bytes

    @property
    def bytes(self) -> int:
        """The bytes of the views kept now."""
        return self._kept.bytes

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        """The view kept under ``key``, or ``build()`` once (concurrent callers wait) and kept."""
        kept = self._kept.get(key)
        if isinstance(kept, _Kept):
            return cast(V, kept.value)
        with self._lock:
            gate = self._building.setdefault(key, threading.Lock())
        with gate:
            kept = self._kept.get(key)
            if isinstance(kept, _Kept):
                return cast(V, kept.value)
            try:
                built = build()
                self._kept.put(key, _Kept(built))
            finally:
                with self._lock:
                    self._building.pop(key, None)
        return built
