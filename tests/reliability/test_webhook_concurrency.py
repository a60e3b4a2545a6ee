"""Concurrent deliveries answered: 40 at once (``set-webhook`` registers max_connections 40)
against the webhook served by waitress on loopback, with S3 through moto's server mode.

Every delivery is answered without an apology, every subscription and watch is kept, and a
redelivery of any of them to another instance of the app is ignored: each update id is its own create-only marker, and each
chat's state its own document, so no two deliveries of different chats write the same object.
"""
from __future__ import annotations

import itertools
import threading
import time
from typing import Any, Callable, Iterator

import boto3
import pytest
import requests
from botocore.config import Config
from waitress.server import create_server

from app import create_app
from shared.adapters.storage import S3Store
from shared.adapters.update_markers import MARKERS_PREFIX
from shared.bootstrap import Container, bootstrap
from shared.config import Settings
from tests.bot.conftest import SECRET, callback_update, message_update
from tests.conftest import REGION, fixed_clock
from tests.reliability.figures import record

CONCURRENT = 40
ROUNDS = 5
APOLOGY = "something went wrong"
BUCKET = "reliability-webhook"
FIRST_CHAT = 5_000_000
_chats = itertools.count(FIRST_CHAT)


def _client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, config=Config(max_pool_connections=CONCURRENT + 10))


def _serve(container: Container) -> tuple[str, Callable[[], None]]:
    """``container``'s app served by waitress with 40 threads; its URL and how to stop it."""
    server = create_server(create_app(container=container), host="127.0.0.1", port=0, threads=CONCURRENT)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def stop() -> None:
        server.close()
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]
        thread.join(10)
        container.close()

    return f"http://127.0.0.1:{server.effective_port}", stop  # type: ignore[union-attr]


@pytest.fixture
def served(bot_settings: Settings, moto_server: str, aws_env: None) -> Iterator[tuple[str, str, Container]]:
    """Two instances of the app (as two Lambda instances would be) over one S3 store holding one
    collection, each served by waitress with 40 threads: their URLs and the first's container."""
    client = _client(moto_server)
    if BUCKET not in [bucket["Name"] for bucket in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket=BUCKET)
    prefix = f"run-{time.time_ns()}"
    chats = frozenset(range(FIRST_CHAT, FIRST_CHAT + 10_000))  # every chat of the test may use every command
    settings = bot_settings.with_overrides(storage=f"s3://{BUCKET}/{prefix}", telegram_allowed_users=chats)
    bootstrap(settings, store=S3Store(BUCKET, prefix, client=client), clock=fixed_clock).collection.collect()
    container = bootstrap(settings, store=S3Store(BUCKET, prefix, client=client), clock=fixed_clock)
    first, stop_first = _serve(container)
    second, stop_second = _serve(bootstrap(settings, store=S3Store(BUCKET, prefix, client=client), clock=fixed_clock))
    yield first, second, container
    stop_first()
    stop_second()


def _round(update_id: int) -> list[dict[str, Any]]:
    """40 updates of 40 different chats: subscriptions, watches, reads and ◀ ▶ presses."""
    updates = []
    for number in range(CONCURRENT):
        chat = next(_chats)
        kind = number % 4
        if kind == 0:
            updates.append(message_update("/subscribe", chat, update_id=update_id + number))
        elif kind == 1:
            updates.append(message_update("/watch KO 15", chat, update_id=update_id + number))
        elif kind == 2:
            updates.append(message_update(["/top", "/help", "/stock AAPL"][number % 3], chat, update_id=update_id + number))
        else:
            updates.append(callback_update("top:2026-11-27:2:2:-", chat, f"q{update_id + number}", update_id + number))
    return updates


def _deliver(url: str, updates: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """Post ``updates`` all at once, one connection each; (status, answer or None) per update."""
    barrier = threading.Barrier(len(updates))
    results: list[tuple[int, Any]] = [(0, None)] * len(updates)

    def post(index: int) -> None:
        with requests.Session() as session:
            barrier.wait()
            response = session.post(f"{url}/telegram/webhook", json=updates[index], headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=60)
            results[index] = (response.status_code, response.json() if response.content else None)

    threads = [threading.Thread(target=post, args=(index,)) for index in range(len(updates))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_forty_concurrent_deliveries_get_no_apology_and_lose_nothing(served: tuple[str, str, Container]) -> None:
    url, other_instance, container = served
    delivered, apologies, unanswered, refused, statuses = 0, 0, 0, 0, set()
    subscribed, watching = set(), set()
    rounds = [_round(10**9 + 100 * number) for number in range(ROUNDS)]
    started = time.perf_counter()
    for updates in rounds:
        for update, (status, answer) in zip(updates, _deliver(url, updates)):
            delivered += 1
            statuses.add(status)
            unanswered += answer is None
            apologies += answer is not None and APOLOGY in str(answer.get("text", ""))
            refused += answer is not None and "private" in str(answer.get("text", ""))
            text = update.get("message", {}).get("text")
            chat = (update.get("message") or update["callback_query"]["message"])["chat"]["id"]
            subscribed |= {chat} if text == "/subscribe" else set()
            watching |= {chat} if text == "/watch KO 15" else set()
    elapsed = time.perf_counter() - started
    redelivered = _deliver(other_instance, rounds[0])  # to another instance: only the markers know
    record(
        "concurrent deliveries",
        f"{ROUNDS} rounds of {CONCURRENT} at once ({delivered} updates, {elapsed:.1f} s) through waitress and moto's S3 server: "
        f"statuses {sorted(statuses)}, apologies {apologies}, unanswered {unanswered}; redelivered to another instance {len(redelivered)}, answered again "
        f"{sum(answer is not None for _status, answer in redelivered)}",
    )
    assert statuses == {200} and apologies == 0 and unanswered == 0 and refused == 0
    assert set(container.bot_state.subscribers()) >= subscribed and len(subscribed) == ROUNDS * CONCURRENT // 4
    watches = container.bot_state.watches()
    assert all(watches[chat]["KO"]["pct"] == 15 for chat in watching)
    assert all(status == 200 and answer is None for status, answer in redelivered)
    assert len(container.store.list(MARKERS_PREFIX)) == delivered
