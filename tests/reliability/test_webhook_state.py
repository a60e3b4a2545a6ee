"""The bot's state under concurrency: create-only update markers (local O_EXCL files, S3
conditional PUTs on moto's server), their expiry, and per-chat documents that keep what the
earlier shared documents held."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from shared.adapters.archive import Archive
from shared.adapters.storage import LocalStore, S3Store
from shared.adapters.update_markers import MARKERS_PREFIX, LocalMarkers, StoreMarkers, open_markers
from shared.services.bot_state import BotState, chat_name
from tests.fakes import FakeTime


def test_local_markers_are_created_once_even_by_racing_threads(tmp_path: Path) -> None:
    markers = LocalMarkers(tmp_path)
    results: list[bool] = []
    barrier = threading.Barrier(16)

    def claim() -> None:
        barrier.wait()
        results.append(markers.claim(42))

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 15 + [True]
    assert markers.claim(43) and not markers.claim(43)


def test_local_markers_older_than_their_ttl_are_pruned(tmp_path: Path) -> None:
    clock = FakeTime(start=1_000_000.0)
    markers = LocalMarkers(tmp_path, ttl_seconds=3600, clock=clock.time)
    for update_id in range(5):
        markers.claim(update_id)
    old = markers.directory / "0"
    os.utime(old, (clock.time() - 7200, clock.time() - 7200))
    assert markers.prune() == 1 and not old.exists() and len(list(markers.directory.iterdir())) == 4
    clock.sleep(7200.0)
    for path in markers.directory.iterdir():
        os.utime(path, (clock.time() - 3601, clock.time() - 3601))
    markers.claim(99)  # the first claim an hour after the last pruning prunes again
    assert sorted(path.name for path in markers.directory.iterdir()) == ["99"]


def test_s3_markers_are_conditional_puts(server_s3: Any) -> None:
    server_s3.create_bucket(Bucket="reliability-markers")
    store = S3Store("reliability-markers", "prod", client=server_s3)
    markers = open_markers(store)
    assert isinstance(markers, StoreMarkers)
    assert markers.claim(7) and not markers.claim(7) and markers.claim(8)
    assert store.list(MARKERS_PREFIX) == [f"{MARKERS_PREFIX}7", f"{MARKERS_PREFIX}8"]
    assert isinstance(open_markers(LocalStore("/tmp/x")), LocalMarkers)


def test_state_of_the_earlier_shared_documents_is_kept_per_chat(tmp_path: Path) -> None:
    archive = Archive(LocalStore(tmp_path))
    archive.update_state("telegram-subscribers", lambda _doc: {"chats": {"1": {"since": "2026-01-01"}, "2": {"since": "2026-01-02"}}})
    archive.update_state("telegram-watches", lambda _doc: {"chats": {"1": {"KO": {"pct": 10.0, "last_sent": None}}, "-100": {"AAPL": {"pct": 5.0, "last_sent": None}}}})
    state = BotState(archive, LocalMarkers(tmp_path))
    assert state.subscribers() == [1, 2]
    assert state.watches() == {1: {"KO": {"pct": 10.0, "last_sent": None}}, -100: {"AAPL": {"pct": 5.0, "last_sent": None}}}
    state.set_watch(1, "MSFT", 20.0)  # chat 1's first change copies what the shared documents said
    assert archive.read_state(chat_name(1)) == {"subscribed": {"since": "2026-01-01"}, "watches": {"KO": {"pct": 10.0, "last_sent": None}, "MSFT": {"pct": 20.0, "last_sent": None}}}
    assert state.unsubscribe([2, 3]) == 1 and state.subscribers() == [1]
    assert not state.subscribe(1, "2026-12-01") and state.subscribe(-100, "2026-12-01")
    assert state.remove_watch(-100, "AAPL") and not state.remove_watch(-100, "AAPL")
    assert state.chat_watches(-100) == {} and state.chat_watches(1)["MSFT"]["pct"] == 20.0


def test_chats_changed_at_once_each_keep_their_change(tmp_path: Path) -> None:
    state = BotState(Archive(LocalStore(tmp_path)), LocalMarkers(tmp_path))
    barrier = threading.Barrier(40)

    def change(chat: int) -> None:
        barrier.wait()
        state.subscribe(chat, "2026-12-01")
        state.set_watch(chat, "KO", 15.0)

    threads = [threading.Thread(target=change, args=(chat,)) for chat in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state.subscribers() == list(range(40)) and len(state.watches()) == 40
