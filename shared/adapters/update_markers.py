"""Handled Telegram update ids, one create-only marker each (the ``UpdateMarkers`` port).

A marker is ``state/updates/<update_id>``, created only if absent: on S3 a PUT with
``If-None-Match: *`` (through ``Store.put_immutable``), on a local disk ``open(O_CREAT|O_EXCL)``.
Whoever creates it answers the update; a redelivery finds it and is ignored. No two deliveries
ever write the same object, so 40 at once never retry or conflict. Telegram redelivers an update
for at most 24 hours, so markers expire: on S3 by the lifecycle rule ``flask ops bootstrap``
sets on the stage's ``state/updates/`` prefix, locally by ``LocalMarkers.prune``.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable

from shared.ports import Store, UpdateMarkers

#: Where the markers live in a store.
MARKERS_PREFIX = "state/updates/"
#: Markers older than this are removed (Telegram stops redelivering after 24 hours).
MARKER_TTL_SECONDS = 2 * 24 * 3600
#: A local store is pruned at most this often per process.
PRUNE_EVERY_SECONDS = 3600


class StoreMarkers:
    """Markers as create-only objects in a Store (S3: a conditional PUT, If-None-Match)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def claim(self, update_id: int) -> bool:
        return self._store.put_immutable(f"{MARKERS_PREFIX}{int(update_id)}", b"")


class LocalMarkers:
    """Markers as files under a local store's root, created with O_EXCL and pruned by age."""

    def __init__(self, root: str | Path, ttl_seconds: float = MARKER_TTL_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self.directory = Path(root) / MARKERS_PREFIX
        self._ttl = ttl_seconds
        self._clock = clock
        self._pruned_at: float | None = None
        self._lock = threading.Lock()

    def claim(self, update_id: int) -> bool:
        self._prune_now_and_then()
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(self.directory / str(int(update_id)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        os.close(handle)
        return True

    def prune(self) -> int:
        """Remove markers older than the TTL; how many were removed."""
        if not self.directory.is_dir():
            return 0
        oldest = self._clock() - self._ttl
        removed = 0
        for path in self.directory.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < oldest:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # pruned by another process meanwhile
                continue
        return removed

    def _prune_now_and_then(self) -> None:
        with self._lock:
            now = self._clock()
            if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY_SECONDS:
                return
            self._pruned_at = now
        self.prune()


def open_markers(store: Store) -> UpdateMarkers:
    """The markers for ``store``: files with O_EXCL for a local directory, else create-only objects."""
    from shared.adapters.storage import LocalStore

    if isinstance(store, LocalStore):
        return LocalMarkers(store.root)
    return StoreMarkers(store)
