"""The daily collection on simulated data for the whole Russell 1000: first run, rerun, next day.

Each run is a fresh process on fresh local storage, so its peak RSS is the collector's own.
"""
from __future__ import annotations

import os
import tempfile
from datetime import date

from bench._harness import Section, in_fresh_process, peak_rss_mb, start, timed

FIRST = date(2026, 11, 25)
NEXT = date(2026, 11, 27)


def _run() -> dict[str, float]:
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    from shared.bootstrap import bootstrap
    from shared.config import Settings

    with tempfile.TemporaryDirectory() as root:
        container = bootstrap(Settings(storage=root, market_data="sim"))
        first, first_s = timed(lambda: container.collection.collect(FIRST))
        _, rerun_s = timed(lambda: container.collection.collect(FIRST))
        _, next_s = timed(lambda: container.collection.collect(NEXT))
    return {"symbols": first.universe, "ranked": first.ranked, "first_s": first_s, "rerun_s": rerun_s, "next_s": next_s, "rss_mb": peak_rss_mb()}


def main(runs: int) -> Section:
    section = start(
        "collector",
        "collector: simulated data, whole Russell 1000, local storage",
        "`python -m bench collector`. A first run (the 180-day window: 125 sessions simulated and stored, the report), "
        "a rerun the same day (nothing new), and the next trading day (one new session).",
        runs,
    )
    for _ in range(runs):
        result = in_fresh_process(_run)
        section.figure("first run, 180-day window", "s").add(result["first_s"])
        section.figure("rerun, same day (no-op)", "s").add(result["rerun_s"])
        section.figure("next trading day (incremental)", "s").add(result["next_s"])
        section.figure("peak RSS of the process", "MB", target=200).add(result["rss_mb"])
    return section
