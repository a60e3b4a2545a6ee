"""Alpaca over real HTTP: requests, time and memory of a backfill and a daily run, and two baselines.

The emulator runs in its own process with 100 ms latency per request and Alpaca's 200/min
budget, serving simulated bars for the universe. Each dipwatch run is a fresh process (so its
peak RSS is the collector's own) on fresh storage: a 180-day backfill, the report on that day
(not timed), then the next day's run (timed). The baselines run in the same run, on the same
emulator, with the real SDK as a user would call it:
- one request per symbol (``get_bars(symbol, ...)``): its requests, and the time that many
  requests take under Alpaca's 200/min at the least (run with the limit lifted, so as not to
  wait minutes for a number that is arithmetic);
- 100 symbols a request with ``limit=10000``, which stops after one page: its requests and the
  bars it silently loses.
"""
from __future__ import annotations

import math
import multiprocessing as mp
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from multiprocessing.connection import Connection
from typing import Any

from bench._harness import Section, in_fresh_process, peak_rss_mb, start

LATENCY = 0.1
BUDGET = 200  # Alpaca's free-plan requests per minute, enforced by the emulator
END = date(2026, 11, 25)
NEXT = date(2026, 11, 27)
BACKFILL_DAYS = 180
SHORTCUT_CHUNK = 100
BASELINE_WORKERS = 4


def _universe(size: int) -> tuple[Any, list[dict[str, Any]]]:
    """The universe of a run and the asset list the emulator serves: the packaged Russell 1000,
    or the emulator's listing of 10,000 (what ``alpaca:us_equity`` reads)."""
    from shared.adapters.universe import load_universe, universe_from_assets
    from tests.emulators.alpaca_assets import generate_assets

    assets = generate_assets(tradable=max(size, 1_000))
    return (load_universe() if size == 1_000 else universe_from_assets(assets)), assets


def _serve(conn: Connection, size: int) -> None:
    """The emulator's process: serve the universe's bars and answer control messages."""
    from shared.adapters.market_data import SimulatedMarketData
    from tests.emulators.alpaca import AlpacaEmulator

    universe, assets = _universe(size)
    data = SimulatedMarketData(dict(zip(universe["symbol"], universe["sector"])))
    bars = data.fetch_bars(universe["symbol"].tolist(), END - timedelta(days=BACKFILL_DAYS + 30), NEXT).bars
    with AlpacaEmulator(bars, assets=assets) as emulator:
        emulator.faults.latency = LATENCY
        emulator.faults.per_minute = BUDGET
        conn.send((emulator.url, emulator.key_id, emulator.secret_key))
        while True:
            message = conn.recv()
            if message == "stop":
                break
            if message == "count":
                seen = emulator.data_requests()
                conn.send({"requests": len(seen), "429": sum(r.status == 429 for r in seen), "max_url": max((r.url_bytes for r in seen), default=0)})
                emulator.requests.clear()
            elif message[0] == "faults":  # ("faults", latency, per_minute): also a fresh minute
                emulator.faults.latency, emulator.faults.per_minute = message[1], message[2]
                emulator._window = (0, 0)
                emulator.requests.clear()
                conn.send("ok")
            elif message[0] == "bars":  # ("bars", start, end): how many bars the range holds
                stamps = emulator.bars["date"]
                conn.send(int(stamps.between(message[1], message[2]).sum()))


def _ask(conn: Connection, message: Any) -> Any:
    conn.send(message)
    return conn.recv()


def _container(root: str, url: str, key: str, secret: str, size: int) -> Any:
    """The collector's container on ``root``, warmed: the asset list (alpaca:us_equity), the SDK's
    import and the calendar's first load are paid before any clock starts, as by any process."""
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    from shared.bootstrap import bootstrap
    from shared.config import ALPACA_US_EQUITY, Settings
    from shared.core.trading_calendar import trading_days

    settings = Settings(
        storage=root, market_data="alpaca", universe_path=None if size == 1_000 else ALPACA_US_EQUITY,
        alpaca_key_id=key, alpaca_secret_key=secret, alpaca_base_url=url, alpaca_data_url=url,
    )
    container = bootstrap(settings)
    container.universe
    container.market_data
    trading_days(END - timedelta(days=400), NEXT)
    return container


def _backfill_run(conn: Connection, root: str, url: str, key: str, secret: str, size: int) -> dict[str, float]:
    """A fresh process: the timed backfill, then the first report (not timed)."""
    
    container = _container(root, url, key, secret, size)
    _ask(conn, "count")
    started = time.perf_counter()
    summary = container.collection.backfill(end=END, days=BACKFILL_DAYS)
    backfill_s = time.perf_counter() - started
    backfilled = _ask(conn, "count")
    assert summary.outcome == "complete", summary.line()
    stored = sum(len(container.archive.read_bars([date.fromisoformat(day)])) for day in summary.days_written)
    rss = peak_rss_mb()
    container.collection.collect(END)
    _ask(conn, "count")
    return {
        "backfill_s": backfill_s,
        "backfill_requests": backfilled["requests"],
        "max_url": backfilled["max_url"],
        "floor": summary.fetch.get("minimum_requests", 0),
        "bars_stored": stored,
        "backfill_rss_mb": rss,
    }


def _daily_run(conn: Connection, root: str, url: str, key: str, secret: str, size: int) -> dict[str, float]:
    """A fresh process, as the scheduled job is: the next day's run over the stored history."""

    container = _container(root, url, key, secret, size)
    _ask(conn, "count")
    started = time.perf_counter()
    daily = container.collection.collect(NEXT)
    daily_s = time.perf_counter() - started
    counted = _ask(conn, "count")
    assert daily.outcome == "complete", daily.line()
    return {"daily_s": daily_s, "daily_requests": counted["requests"], "rss_mb": peak_rss_mb()}


def _dipwatch_run(conn: Connection, url: str, key: str, secret: str, size: int) -> dict[str, float]:
    """One run on fresh storage: the backfill's process, then the daily run's."""
    import shutil

    root = tempfile.mkdtemp(prefix="dipwatch-bench-")
    try:
        result = in_fresh_process(_backfill_run, conn, root, url, key, secret, size)
        result.update(in_fresh_process(_daily_run, conn, root, url, key, secret, size))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return result


def _sdk(url: str, key: str, secret: str) -> Any:
    """The SDK's client as a user builds it (the data URL comes from the environment)."""
    from alpaca_trade_api.rest import REST

    os.environ["APCA_API_DATA_URL"] = url
    return REST(key_id=key, secret_key=secret, base_url=url, api_version="v2")


def _start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _end(day: date) -> str:
    return f"{day.isoformat()}T23:59:59Z"


def _bars_of(frame: Any) -> int:
    return 0 if frame is None else len(frame)


def _per_symbol_baseline(url: str, key: str, secret: str, symbols: list[str], first: date, last: date) -> int:
    """One request per symbol, four at a time: the bars received."""
    from alpaca_trade_api.rest import TimeFrame

    def fetch(chunk: list[str]) -> int:
        client = _sdk(url, key, secret)
        return sum(_bars_of(client.get_bars(symbol, TimeFrame.Day, _start(first), _end(last), adjustment="split", feed="sip").df) for symbol in chunk)

    chunks = [symbols[i::BASELINE_WORKERS] for i in range(BASELINE_WORKERS)]
    with ThreadPoolExecutor(BASELINE_WORKERS) as pool:
        return sum(pool.map(fetch, chunks))


def _shortcut_baseline(url: str, key: str, secret: str, symbols: list[str], first: date, last: date) -> int:
    """100 symbols a request with ``limit=10000``: the SDK stops after one page. The bars received."""
    from alpaca_trade_api.rest import TimeFrame

    client = _sdk(url, key, secret)
    received = 0
    for i in range(0, len(symbols), SHORTCUT_CHUNK):
        chunk = symbols[i : i + SHORTCUT_CHUNK]
        received += _bars_of(client.get_bars(chunk, TimeFrame.Day, _start(first), _end(last), adjustment="split", feed="sip", limit=10_000).df)
    return received


def forced_seconds(requests: int, per_minute: int = BUDGET) -> float:
    """The least time ``requests`` take under a per-minute limit: a full minute per ``per_minute``
    requests after the first batch (fixed windows, each spent at once)."""
    return max(0, math.ceil(requests / per_minute) - 1) * 60.0


def rate_limit_seconds(requests: int, per_minute: int = 180) -> float:
    """The time dipwatch's own budget needs for ``requests``: its burst at once, the rest at
    ``per_minute`` (180, with a burst of 20, so that no minute exceeds Alpaca's 200)."""
    from shared.adapters.alpaca import burst_for

    return max(0, requests - burst_for(per_minute)) / (per_minute / 60)


#: Universe sizes measured, and the targets that differ between them.
SIZES = (1_000, 10_000)


def _measure(section: Section, size: int, runs: int) -> dict[str, float]:
    """Every figure of one universe size; returns the medians used for the growth notes."""
    from shared.core.trading_calendar import trading_days

    parent, child = mp.Pipe()
    server = mp.get_context("fork").Process(target=_serve, args=(child, size), daemon=True)
    server.start()
    url, key, secret = parent.recv()
    symbols = _universe(size)[0]["symbol"].tolist()
    first, last = END - timedelta(days=BACKFILL_DAYS - 1), END
    sessions = len(trading_days(first, last))
    total = _ask(parent, ("bars", first.isoformat(), last.isoformat()))
    small = size == 1_000
    tag = f"{len(symbols):,}"
    section.notes.append(f"{tag} symbols: backfill of {sessions} sessions = {total:,} bars" + ("" if small else " (the universe read from the emulator's asset list as `alpaca:us_equity`)") + ".")
    figure = section.figure
    floor = figure(f"{tag}: backfill requests, floor ⌈bars ÷ 10,000⌉", "requests")
    requests = figure(f"{tag}: backfill requests", "requests")
    ratio = figure(f"{tag}: backfill requests ÷ floor", "×", target=1.05)
    backfill_s = figure(f"{tag}: backfill wall time", "s", target=2.0 if small else None)
    forced = figure(f"{tag}: time the 180/min budget forces on those requests", "s")
    over_forced = None if small else figure(f"{tag}: backfill wall time ÷ time the budget forces", "×", target=1.10)
    lost = figure(f"{tag}: backfill bars lost", "bars", target=0)
    daily_requests = figure(f"{tag}: daily run requests", "requests", target=2 if small else None)
    daily_s = figure(f"{tag}: daily run wall time (fetch, store, report)", "s", target=0.5 if small else 5.0)
    rss = figure(f"{tag}: collector peak RSS (the daily run's process)", "MB", target=200 if small else 400)
    backfill_rss = figure(f"{tag}: backfill peak RSS (its own process)", "MB")
    longest = figure(f"{tag}: longest request URL", "bytes", target=8000)
    per_symbol = figure(f"{tag}: baseline one request per symbol: requests", "requests")
    per_symbol_ratio = figure(f"{tag}: baseline one request per symbol: requests ÷ dipwatch's", "×")
    per_symbol_time = figure(f"{tag}: baseline one request per symbol: time forced by 200/min", "s", note="at the least")
    per_symbol_time_ratio = figure(f"{tag}: baseline one request per symbol: forced time ÷ dipwatch's backfill time", "×")
    shortcut = figure(f"{tag}: baseline 100 a request, limit=10000: requests", "requests")
    shortcut_ratio = figure(f"{tag}: baseline 100 a request, limit=10000: requests ÷ dipwatch's", "×")
    shortcut_lost = figure(f"{tag}: baseline 100 a request, limit=10000: bars silently lost", "bars")
    shortcut_lost_share = figure(f"{tag}: baseline 100 a request, limit=10000: share of bars lost", "%")
    try:
        for run in range(runs):
            _ask(parent, ("faults", LATENCY, BUDGET))
            result = _dipwatch_run(parent, url, key, secret, size)
            floor.add(result["floor"])
            requests.add(result["backfill_requests"])
            ratio.add(result["backfill_requests"] / result["floor"])
            backfill_s.add(result["backfill_s"])
            forced.add(rate_limit_seconds(result["backfill_requests"]))
            if over_forced is not None:
                over_forced.add(result["backfill_s"] / rate_limit_seconds(result["backfill_requests"]))
            lost.add(total - result["bars_stored"])
            daily_requests.add(result["daily_requests"])
            daily_s.add(result["daily_s"])
            rss.add(result["rss_mb"])
            backfill_rss.add(result["backfill_rss_mb"])
            longest.add(result["max_url"])

            _ask(parent, ("faults", 0.0, None))
            received = _per_symbol_baseline(url, key, secret, symbols, first, last)
            counted = _ask(parent, "count")["requests"]
            assert received == total, f"the per-symbol baseline got {received} of {total} bars"
            per_symbol.add(counted)
            per_symbol_ratio.add(counted / result["backfill_requests"])
            per_symbol_time.add(forced_seconds(counted))
            per_symbol_time_ratio.add(forced_seconds(counted) / result["backfill_s"])

            _ask(parent, ("faults", LATENCY, BUDGET))
            received = _shortcut_baseline(url, key, secret, symbols, first, last)
            counted = _ask(parent, "count")["requests"]
            shortcut.add(counted)
            shortcut_ratio.add(counted / result["backfill_requests"])
            shortcut_lost.add(total - received)
            shortcut_lost_share.add(100 * (total - received) / total)
            print(f"  {tag}, run {run + 1}/{runs}: backfill {result['backfill_requests']} requests in {result['backfill_s']:.2f} s, daily {result['daily_s']:.2f} s, RSS {result['rss_mb']:.0f} MB", flush=True)
    finally:
        parent.send("stop")
        server.join(timeout=10)
    return {"backfill requests": requests.median, "backfill wall time": backfill_s.median, "daily run requests": daily_requests.median,
            "daily run wall time": daily_s.median, "collector peak RSS": rss.median}


def main(runs: int) -> Section:
    """Measure dipwatch and both baselines ``runs`` times per universe size, one emulator each."""
    section = start(
        "alpaca",
        "alpaca: backfill and daily run over real HTTP, 1,000 and 10,000 symbols",
        f"`python -m bench alpaca`. Emulator at {LATENCY * 1000:.0f} ms latency and {BUDGET} requests/min, serving simulated bars; "
        f"backfill = {BACKFILL_DAYS} calendar days to {END}; daily run = the next session ({NEXT}) with its report. Each dipwatch run is "
        "a fresh process on fresh storage. Baselines with the real SDK on the same emulator, in the same run.",
        runs,
    )
    small, large = (_measure(section, size, runs) for size in SIZES)
    growth = ", ".join(f"{name} × {large[name] / small[name]:.1f}" for name in small if small[name])
    section.notes.append(f"From 1,000 to 10,000 symbols (ratio of medians): {growth}.")
    section.notes.append(
        "The floor is ⌈bars ÷ 10,000⌉, Alpaca's page limit; dipwatch sizes each request to fill whole pages "
        "(symbols per request ≈ 10,000 ÷ sessions, URL ≤ 8,000 bytes; see `shared/adapters/bar_requests.py`). "
        "The one-request-per-symbol baseline runs with the limit lifted; its time is what 200/min forces on its requests."
    )
    return section
