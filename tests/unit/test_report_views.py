"""The cache of views derived from reports: built once, bounded by bytes, one build under
concurrent first requests, a failed build not kept."""
from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest

from shared.services.report_views import ViewCache, bytes_of


def frame_of(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"symbol": [f"S{i:05d}" for i in range(rows)], "value": np.arange(rows, dtype=float)})


def test_a_view_is_built_once_and_shared() -> None:
    cache = ViewCache(10_000_000)
    built: list[str] = []

    def build() -> pd.DataFrame:
        built.append("x")
        return frame_of(10)

    first = cache.get("a", build)
    assert cache.get("a", build) is first and built == ["x"]
    assert cache.get("b", build) is not first and built == ["x", "x"]


def test_bytes_count_frames_deeply_and_containers_with_their_items() -> None:
    frame = frame_of(1_000)
    assert bytes_of(frame) == int(frame.memory_usage(index=True, deep=True).sum()) > 50_000  # the strings too
    assert bytes_of((frame, {"k": frame["value"]})) > bytes_of(frame) + bytes_of(frame["value"]) - 1
    assert bytes_of(np.zeros(1_000)) == 8_000


def test_the_bound_in_bytes_is_kept_least_recently_used_first() -> None:
    one = bytes_of(frame_of(1_000))
    cache = ViewCache(3 * one + one // 2)
    for key in "abc":
        cache.get(key, lambda: frame_of(1_000))
    cache.get("a", lambda: pytest.fail("a is kept"))  # a is now the most recent
    cache.get("d", lambda: frame_of(1_000))  # evicts b, the least recently used
    assert 3 * one <= cache.bytes <= cache.max_bytes
    rebuilt: list[str] = []
    cache.get("b", lambda: rebuilt.append("b") or frame_of(1_000))
    assert rebuilt == ["b"]
    cache.get("a", lambda: pytest.fail("a is kept"))


def test_a_view_larger_than_the_budget_is_served_but_not_kept() -> None:
    cache = ViewCache(1_000)
    built: list[int] = []
    for _ in range(2):
        assert len(cache.get("big", lambda: built.append(1) or frame_of(500))) == 500
    assert built == [1, 1] and cache.bytes == 0


def test_concurrent_first_requests_build_once() -> None:
    cache = ViewCache(10_000_000)
    calls: list[int] = []
    start = threading.Barrier(8)
    seen: list[object] = []

    def build() -> pd.DataFrame:
        calls.append(1)
        time.sleep(0.05)
        return frame_of(100)

    def request() -> None:
        start.wait()
        seen.append(cache.get("view", build))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1] and len(seen) == 8 and all(view is seen[0] for view in seen)


def test_a_failed_build_is_not_kept() -> None:
    cache = ViewCache(10_000_000)

    def fail() -> pd.DataFrame:
        raise LookupError("no report")

    with pytest.raises(LookupError):
        cache.get("view", fail)
    assert len(cache.get("view", lambda: frame_of(3))) == 3 and cache.bytes > 0
