"""The bot's webhook on S3 (moto's server over HTTP): /top and /stock, warm and in a fresh interpreter.

Collects the whole simulated Russell 1000 into a moto bucket, then:
- warm: one app, 100 webhook requests per command, server-side time per request (p50, p95);
- fresh: a new Python process per command, time from interpreter start to the first answer.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date

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


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    """Print warm p50/p95 and fresh-interpreter first-request times."""
    import boto3
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://{host}:{port}", "DIPWATCH_STORAGE": "s3://dipwatch-bench/prod",
        "DIPWATCH_PUBLIC_BOT": "1", "TELEGRAM_WEBHOOK_SECRET": SECRET, "DIPWATCH_BOT_RATE": "600",
    }
    os.environ.update(env)
    try:
        from app import create_app
        from shared.bootstrap import bootstrap
        from shared.config import Settings

        boto3.client("s3").create_bucket(Bucket="dipwatch-bench")
        container = bootstrap(Settings.from_env())
        started = time.perf_counter()
        container.collection.collect(date(2026, 11, 27))
        print(f"{'collect to S3 (setup)':<34} {time.perf_counter() - started:6.2f} s")

        client = create_app(container=bootstrap(Settings.from_env())).test_client()
        symbols = container.universe["symbol"].tolist()
        ids = itertools.count(1)
        rng = random.Random(7)

        def post(text: str) -> float:
            update = {"update_id": next(ids), "message": {"message_id": 1, "date": 1790000000, "chat": {"id": rng.randint(1, 10**6), "type": "private"},
                      "from": {"id": 9, "is_bot": False, "first_name": "B"}, "text": text}}
            begin = time.perf_counter()
            response = client.post("/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            elapsed = time.perf_counter() - begin
            assert response.status_code == 200 and response.get_json()["method"] == "sendMessage"
            return elapsed

        post("/top")
        post(f"/stock {symbols[0]}")  # warm-up: the first read of the report and chart objects
        for label, make in (("/top 10", lambda: "/top 10"), ("/stock SYMBOL", lambda: f"/stock {rng.choice(symbols)}")):
            times = [post(make()) * 1000 for _ in range(REQUESTS)]
            print(f"{'warm ' + label:<34} p50 {statistics.median(times):5.1f} ms   p95 {_percentile(times, 0.95):5.1f} ms   ({REQUESTS} requests)")

        for text in ("/top 10", f"/stock {symbols[len(symbols) // 2]}"):
            result = subprocess.run([sys.executable, "-c", _FRESH, text], capture_output=True, text=True, env={**os.environ}, timeout=120, check=False)
            if result.returncode != 0:
                print(f"fresh {text}: failed: {result.stderr[-500:]}")
                continue
            numbers = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"{'fresh ' + text.split()[0]:<34} first request {numbers['first_request']:5.2f} s   (import + create_app {numbers['startup']:4.2f} s, total {numbers['total']:4.2f} s)")
    finally:
        server.stop()
