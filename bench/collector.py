"""The daily collection on simulated data for the whole Russell 1000: first run, rerun, next day."""
from __future__ import annotations

import resource
import tempfile
import time
from datetime import date

from shared.bootstrap import bootstrap
from shared.config import Settings


def _timed(label: str, action) -> None:  # noqa: ANN001 - a thunk
    started = time.perf_counter()
    summary = action()
    elapsed = time.perf_counter() - started
    print(f"{label:<34} {elapsed:6.2f} s   ranked {summary.ranked}/{summary.universe}, {len(summary.days_written)} new day(s)")


def main() -> None:
    """Print wall times and the process's peak RSS."""
    with tempfile.TemporaryDirectory() as root:
        container = bootstrap(Settings(storage=root, market_data="sim"))
        _timed("first run (180-day window)", lambda: container.collection.collect(date(2026, 11, 25)))
        _timed("rerun, same day (no-op)", lambda: container.collection.collect(date(2026, 11, 25)))
        _timed("next trading day (incremental)", lambda: container.collection.collect(date(2026, 11, 27)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak RSS':<34} {peak_mb:6.0f} MB")
