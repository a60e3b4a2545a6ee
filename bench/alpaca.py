"""Alpaca over real HTTP: full backfill of the Russell 1000 (180 days) and a daily run.

The emulator runs in a child process with 100 ms latency per request and Alpaca's 200/min
budget, so the peak RSS printed is the collector's own.
"""
from __future__ import annotations

import math
import multiprocessing as mp
import resource
import tempfile
import time
from datetime import date, timedelta

LATENCY = 0.1
BUDGET = 200
END = date(2026, 11, 25)
NEXT = date(2026, 11, 27)


def _serve(conn) -> None:  # noqa: ANN001 - a Pipe end
    from shared.adapters.market_data import SimulatedMarketData
    from shared.adapters.universe import load_universe
    from tests.emulators.alpaca import AlpacaEmulator

    universe = load_universe()
    data = SimulatedMarketData(dict(zip(universe["symbol"], universe["sector"])))
    bars = data.fetch_bars(universe["symbol"].tolist(), END - timedelta(days=200), NEXT).bars
    with AlpacaEmulator(bars) as emulator:
        emulator.faults.latency = LATENCY
        emulator.faults.per_minute = BUDGET
        conn.send((emulator.url, emulator.key_id, emulator.secret_key))
        while conn.recv() == "count":
            requests = emulator.data_requests()
            conn.send({"requests": len(requests), "429": sum(r.status == 429 for r in requests)})
            emulator.requests.clear()


def main() -> None:
    """Print requests, the page-limit minimum, wall times and peak RSS."""
    from shared.adapters.alpaca import PAGE_LIMIT
    from shared.bootstrap import bootstrap
    from shared.config import Settings
    from shared.core.trading_calendar import trading_days

    parent, child = mp.Pipe()
    server = mp.get_context("fork").Process(target=_serve, args=(child,), daemon=True)
    server.start()
    url, key, secret = parent.recv()
    with tempfile.TemporaryDirectory() as root:
        settings = Settings(
            storage=root,
            market_data="alpaca",
            alpaca_key_id=key,
            alpaca_secret_key=secret,
            alpaca_base_url=url,
            alpaca_data_url=url,
        )
        container = bootstrap(settings)
        symbols = len(container.universe)
        days = len(trading_days(END - timedelta(days=179), END))
        minimum = math.ceil(symbols * days / PAGE_LIMIT)

        started = time.perf_counter()
        summary = container.collection.backfill(end=END, days=180)
        wall = time.perf_counter() - started
        parent.send("count")
        counts = parent.recv()
        print(f"full backfill: {symbols} symbols x {days} days = {symbols * days} bars, outcome {summary.outcome}")
        print(f"  requests {counts['requests']} (429s {counts['429']}), minimum {minimum}, ratio {counts['requests'] / minimum:.2f}")
        print(f"  pages {summary.fetch.get('pages')}, bytes {summary.fetch.get('bytes')}, wall {wall:.2f} s")

        container.collection.collect(END)
        parent.send("count")
        parent.recv()
        started = time.perf_counter()
        daily = container.collection.collect(NEXT)
        wall = time.perf_counter() - started
        parent.send("count")
        counts = parent.recv()
        print(f"daily run {NEXT}: {daily.outcome}, {len(daily.days_written)} new day(s), requests {counts['requests']}, wall {wall:.2f} s")
    parent.send("stop")
    server.join(timeout=10)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the collector process: {peak_mb:.0f} MB")
