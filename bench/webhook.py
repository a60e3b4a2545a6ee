"""The Telegram webhook under concurrency, served by waitress (a production WSGI server) on loopback.

Three processes: moto's S3 server, the app under waitress (its default four worker threads, as
a long-running deployment would serve it), and 20 client threads that post webhook updates for
20 seconds, each update from a new chat: ``/top``, ``/stock SYMBOL`` and ◀ ▶ page buttons
(callback queries on a ``/top`` message). Reported per run: p50, p95 and p99 of the time to the
webhook's answer, updates answered per second, errors (not HTTP 200, or no answer) and
apologies ("Sorry, something went wrong"), which issue 11 fixed.
"""
from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import random
import threading
import time
from datetime import date
from multiprocessing.connection import Connection
from typing import Any

from bench._harness import Section, percentile, serve_moto, start

SECRET = "bench-secret"
CLIENTS = 20
SECONDS = 20.0
AS_OF = date(2026, 11, 27)
APOLOGY = "Sorry, something went wrong"
#: The mix of updates: (kind, weight).
MIX = (("top", 0.4), ("stock", 0.4), ("page", 0.2))


def _environment(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "DIPWATCH_STORAGE": "s3://dipwatch-bench/prod",
        "DIPWATCH_PUBLIC_BOT": "1",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "DIPWATCH_BOT_RATE": "600",
        "POWERTOOLS_LOG_LEVEL": "CRITICAL",  # the failures are counted here, not printed
    }


def _serve(conn: Connection, endpoint: str) -> None:
    """Collect the Russell 1000 into the bucket, then serve the app with waitress."""
    os.environ.update(_environment(endpoint))
    import logging

    import boto3
    from waitress.server import create_server

    from app import create_app
    from shared.bootstrap import bootstrap
    from shared.config import Settings

    logging.getLogger("waitress").setLevel(logging.ERROR)
    boto3.client("s3").create_bucket(Bucket="dipwatch-bench")
    container = bootstrap(Settings.from_env())
    container.collection.collect(AS_OF)
    app = create_app(container=bootstrap(Settings.from_env()))
    server = create_server(app, host="127.0.0.1", port=0)
    conn.send((f"http://127.0.0.1:{server.effective_port}", container.universe["symbol"].tolist()))  # type: ignore[union-attr]
    server.run()


def _update(update_id: int, chat: int, kind: str, symbol: str) -> dict[str, Any]:
    user = {"id": chat, "is_bot": False, "first_name": "B"}
    chat_object = {"id": chat, "type": "private"}
    if kind == "page":
        message = {"message_id": 7, "date": 1790000000, "chat": chat_object, "text": "top"}
        query = {"id": str(update_id), "from": user, "chat_instance": "1", "message": message, "data": f"top:{AS_OF.isoformat()}:10:10:-"}
        return {"update_id": update_id, "callback_query": query}
    text = "/top" if kind == "top" else f"/stock {symbol}"
    return {"update_id": update_id, "message": {"message_id": 1, "date": 1790000000, "chat": chat_object, "from": user, "text": text}}


def _load(url: str, symbols: list[str], seed: int) -> dict[str, Any]:
    """Run the clients for SECONDS; per-update latencies and outcome counts."""
    import requests

    ids = itertools.count(seed * 10**7)
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"errors": 0, "unanswered": 0, "apologies": 0, "updates": 0}
    deadline = time.perf_counter() + SECONDS

    def client(number: int) -> None:
        rng = random.Random(seed * 100 + number)
        session = requests.Session()
        kinds, weights = zip(*MIX)
        while time.perf_counter() < deadline:
            with lock:
                update_id = next(ids)
            update = _update(update_id, 10**6 + update_id, rng.choices(kinds, weights)[0], rng.choice(symbols))
            begin = time.perf_counter()
            answered, text = False, ""
            try:
                response = session.post(f"{url}/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=30)
                ok = response.status_code == 200
                if ok and response.content:
                    answered, text = True, str(response.json().get("text", ""))
            except (requests.RequestException, ValueError):
                ok = False
            elapsed = time.perf_counter() - begin
            with lock:
                latencies.append(elapsed * 1000)
                counts["updates"] += 1
                counts["errors"] += not ok
                counts["unanswered"] += ok and not answered
                counts["apologies"] += APOLOGY in text

    threads = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"latencies": latencies, **counts}


def main(runs: int) -> Section:
    section = start(
        "webhook",
        f"webhook under load: {CLIENTS} concurrent clients for {SECONDS:.0f} s, waitress on loopback, S3 on moto's server",
        "`python -m bench webhook`. " + " ".join((__doc__ or "").split("\n\n")[1].split()),
        runs,
    )
    moto_parent, moto_child = mp.Pipe()
    moto = mp.get_context("fork").Process(target=serve_moto, args=(moto_child,), daemon=True)
    moto.start()
    endpoint = moto_parent.recv()
    app_parent, app_child = mp.Pipe()
    server = mp.get_context("spawn").Process(target=_serve, args=(app_child, endpoint), daemon=True)
    server.start()
    try:
        url, symbols = app_parent.recv()
        _load(url, symbols, seed=0)  # warm-up: the app's first reads of the report and charts
        for run in range(runs):
            result = _load(url, symbols, seed=run + 1)
            latencies, updates = result["latencies"], result["updates"]
            section.figure("p50", "ms").add(percentile(latencies, 0.50))
            section.figure("p95", "ms").add(percentile(latencies, 0.95))
            section.figure("p99", "ms").add(percentile(latencies, 0.99))
            section.figure("updates answered per second", "1/s").add(updates / SECONDS)
            section.figure("errors (not HTTP 200)", "updates", target=0).add(result["errors"])
            section.figure("answered 200 with no message (update dropped)", "updates", target=0).add(result["unanswered"])
            section.figure("apologies", "updates", target=0).add(result["apologies"])
            section.figure("apologies, share of updates", "%", target=0).add(100 * result["apologies"] / max(1, updates))
            print(f"  run {run + 1}/{runs}: {updates} updates, p95 {percentile(latencies, 0.95):.0f} ms, {result['apologies']} apologies", flush=True)
    finally:
        server.terminate()
        server.join(timeout=10)
        moto_parent.send("stop")
        moto.join(timeout=10)
    section.notes.append(
        "An apology is the bot's answer when handling an update raised; issue 11 (reliability) fixed the ones "
        "this load provoked (34 updates, 8.4%, before it), so none is expected."
    )
    return section
