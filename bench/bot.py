"""The bot's webhook on S3 (moto's server over HTTP, in its own process): /top and /stock, warm and in a fresh interpreter.

Collects the whole simulated Russell 1000 into a moto bucket, then:
- warm: one app per size, 100 webhook requests per command, server-side time per request (p50,
  p95), the runs of the two sizes taking turns;
- fresh: a new Python process per command, time from interpreter start to the first answer.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
import time
from datetime import date
from typing import Callable

from bench._harness import Section, percentile, serve_moto, start

_FRESH = r"""
import time, json, sys
started = time.perf_counter()
from app import create_app
app = create_app()
client = app.test_client()
ready = time.perf_counter()
update = {"update_id": time.time_ns() % 10**12, "message": {"message_id": 1, "date": 1790000000, "chat": {"id": 5, "type": "private"},
          "from": {"id": 5, "is_bot": False, "first_name": "B"}, "text": sys.argv[1]}}
response = client.post("/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "bench-secret"})
assert response.status_code == 200 and response.get_json()["method"] == "sendMessage", response.data[:200]
done = time.perf_counter()
print(json.dumps({"startup": ready - started, "first_request": done - ready, "total": done - started}))
"""

SECRET = "bench-secret"
REQUESTS = 100


def main(runs: int) -> Section:
    """Warm p50/p95 and fresh-interpreter first-request times, at 1,000 and 10,000 symbols."""
    import multiprocessing as mp

    # moto's server in a process of its own, as S3 is never in the app's interpreter: its request
    # handling does not take the interpreter lock from the requests being timed.
    moto_parent, moto_child = mp.Pipe()
    moto = mp.get_context("fork").Process(target=serve_moto, args=(moto_child,), daemon=True)
    moto.start()
    env = {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_parent.recv(), "DIPWATCH_STORAGE": "s3://dipwatch-bench/prod",
        "DIPWATCH_PUBLIC_BOT": "1", "TELEGRAM_WEBHOOK_SECRET": SECRET, "DIPWATCH_BOT_RATE": "600", "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    section = start(
        "bot",
        "bot: the Telegram webhook on S3 (moto's server over HTTP), 1,000 and 10,000 symbols",
        f"`python -m bench bot`. Simulated data for the universe collected into a moto bucket (moto's server in its own "
        f"process; the Russell 1000, then the "
        f"10,000 listed US equities of the emulator's asset list as a universe file); webhook updates through the "
        f"Flask app with the secret header, from random chats. Warm: one app per size, {REQUESTS} requests per command and run, the two sizes' runs taking turns, "
        "server-side time per request. Fresh: a new interpreter per command, time to its first answer.",
        runs,
    )
    import tempfile

    import boto3

    from shared.adapters.universe import universe_from_assets
    from tests.emulators.alpaca_assets import generate_assets

    boto3.client("s3").create_bucket(Bucket="dipwatch-bench")
    with tempfile.TemporaryDirectory() as scratch:
        wide = f"{scratch}/us_equity.csv"
        universe_from_assets(generate_assets()).to_csv(wide, index=False)
        sizes = ((1_000, ""), (10_000, wide))
        try:
            posts: dict[int, Callable[[str], float]] = {}
            for size, universe in sizes:
                _use_universe(size, universe)
                posts[size] = _warm_app()
            # The warm rounds of both sizes take turns: a noisy stretch of this shared machine
            # falls on both alike, and "unchanged from 1,000 to 10,000" compares like with like.
            for _ in range(runs):
                for size, _universe in sizes:
                    _warm_round(section, f"{size:,}", posts[size])
            for size, universe in sizes:
                _use_universe(size, universe)
                _fresh(section, f"{size:,}", runs)
        finally:
            moto_parent.send("stop")
            moto.join(timeout=10)
    return section


def _use_universe(size: int, universe: str) -> None:
    """Point the apps built next at the universe of ``size`` and its own prefix of the bucket."""
    os.environ.update({"DIPWATCH_STORAGE": f"s3://dipwatch-bench/u{size}", "DIPWATCH_UNIVERSE": universe})


def _warm_app() -> Callable[[str], float]:
    """Collect the simulated universe (the environment's) into the bucket; a function that posts
    one webhook command to a warm app on it and returns the server-side seconds."""
    from app import create_app
    from shared.bootstrap import bootstrap
    from shared.config import Settings

    container = bootstrap(Settings.from_env())
    container.collection.collect(date(2026, 11, 27))
    client = create_app(container=bootstrap(Settings.from_env())).test_client()
    symbols = container.universe["symbol"].tolist()
    ids = itertools.count(1)
    rng = random.Random(7)

    def post(text: str) -> float:
        if text == "/stock SYMBOL":
            text = f"/stock {rng.choice(symbols)}"
        update = {"update_id": next(ids), "message": {"message_id": 1, "date": 1790000000, "chat": {"id": rng.randint(1, 10**6), "type": "private"},
                  "from": {"id": 9, "is_bot": False, "first_name": "B"}, "text": text}}
        begin = time.perf_counter()
        response = client.post("/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        elapsed = time.perf_counter() - begin
        assert response.status_code == 200 and response.get_json()["method"] == "sendMessage"
        return elapsed

    post("/top")
    post(f"/stock {symbols[0]}")  # warm-up: the first read of the report and chart objects
    return post


def _warm_round(section: Section, tag: str, post: Callable[[str], float]) -> None:
    """One run of the warm figures: ``REQUESTS`` of each command, p50 and p95."""
    for label in ("/top 10", "/stock SYMBOL"):
        times = [post(label) * 1000 for _ in range(REQUESTS)]
        section.figure(f"{tag}: warm {label}, p50", "ms").add(percentile(times, 0.5))
        section.figure(f"{tag}: warm {label}, p95", "ms", target=50).add(percentile(times, 0.95))


def _fresh(section: Section, tag: str, runs: int) -> None:
    """The fresh-interpreter figures: a new process per command answers its first update."""
    from shared.bootstrap import bootstrap
    from shared.config import Settings

    symbols = bootstrap(Settings.from_env()).universe["symbol"].tolist()
    for _ in range(runs):
        for text in ("/top 10", f"/stock {symbols[len(symbols) // 2]}"):
            result = subprocess.run([sys.executable, "-c", _FRESH, text], capture_output=True, text=True, env={**os.environ}, timeout=120, check=True)
            numbers = json.loads(result.stdout.strip().splitlines()[-1])
            command = text.split()[0]
            section.figure(f"{tag}: fresh interpreter, first {command} request", "s").add(numbers["first_request"])
            section.figure(f"{tag}: fresh interpreter, imports + create_app + first {command}", "s", target=1.5).add(numbers["total"])
