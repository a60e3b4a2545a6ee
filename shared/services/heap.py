"""The garbage collector during a run: what lived before the run is not scanned again and again.

A collector run allocates millions of small objects (parsed JSON bars, strings); every so many
allocations CPython's cyclic collector walks the objects of the oldest generation, which hold
the whole start-up (pandas, the SDK, the universe): some 100,000 objects, 70-120 ms a walk on
this machine's daily run. ``gc.freeze`` moves the objects alive at the start of a run out of
those walks for its duration; they are still freed by reference counting as before, and
``gc.unfreeze`` hands them back to the collector when the outermost run ends.
"""
from __future__ import annotations

import functools
import gc
import threading
from typing import Callable, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_depth = 0


def _enter() -> None:
    global _depth
    with _lock:
        if _depth == 0:
            gc.freeze()
        _depth += 1


def _leave() -> None:
    global _depth
    with _lock:
        _depth -= 1
        if _depth == 0:
            gc.unfreeze()


def older_objects_frozen(run: Callable[P, R]) -> Callable[P, R]:
    """``run`` with the objects alive when it starts left out of the collector's walks."""

    @functools.wraps(run)
    def frozen(*args: P.args, **kwargs: P.kwargs) -> R:
        _enter()
        try:
            return run(*args, **kwargs)
        finally:
            _leave()

    return frozen
