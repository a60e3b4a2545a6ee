"""The archive: dipwatch's records (bars, reports, manifests, pointers) laid out over a Store.

Layout (the user-facing contract):
- ``bars/YYYY-MM-DD.csv``: one immutable object per trading day, all symbols;
- ``reports/YYYY-MM-DD.csv``: one immutable ranked report per as-of day, with
  ``reports/YYYY-MM-DD.changes.json`` (what changed) and ``charts/YYYY-MM-DD.json`` (the chart
  points) next to it;
- ``reports/latest.json``: the mutable pointer and summary;
- ``runs/<UTC timestamp>.json``: run manifests, written last (the commit point);
- ``positions/YYYY-MM-DD.csv``: daily positions snapshots;
- ``state/<name>.json``: small mutable state (subscriptions, watches).

Every object read back that does not parse raises ``CorruptObject`` naming its key.
"""
from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any, Callable, Iterable, TypeVar

import pandas as pd

from shared.adapters.parsed_cache import ParsedCache
from shared.adapters.formats import (
    bars_csv_by_day,
    bars_from_csv,
    bars_to_csv,
    json_bytes,
    json_document,
    parsed,
    positions_to_csv,
    report_from_csv,
    report_to_csv,
)
from shared.core.bars import empty_bars, normalise_bars
from shared.errors import ObjectNotFound, PointerConflict
from shared.ports import MUST_NOT_EXIST, Store

LATEST_KEY = "reports/latest.json"
_DAY_KEY = re.compile(r"^(?P<kind>bars|reports|positions)/(?P<day>\d{4}-\d{2}-\d{2})\.csv$")
_READ_THREADS = 8
#: Objects written at once: local fsyncs and S3 PUTs overlap (a backfill writes ~125 days).
_WRITE_THREADS = 8
#: Memory for parsed immutable objects per Archive (a warm Lambda serves them without I/O).
#: Bounded in bytes, not entries: a report of the Russell 1000 is ~1 MB parsed, a window of its
#: bars ~13 MB, a window of 10,000 symbols ~130 MB (not kept). 96 MB leaves a 512 MB Lambda room.
CACHE_BYTES = 96 * 1024 * 1024
#: Compare-and-swap attempts on a pointer before giving up.
_SWAP_ATTEMPTS = 5

T = TypeVar("T")


def bars_key(day: date) -> str:
    """Key of a day's bars."""
    return f"bars/{day.isoformat()}.csv"


def report_key(day: date) -> str:
    """Key of a day's report."""
    return f"reports/{day.isoformat()}.csv"


def changes_key(day: date) -> str:
    """Key of what changed in a day's report against the previous one."""
    return f"reports/{day.isoformat()}.changes.json"


def chart_key(day: date) -> str:
    """Key of a day's chart object."""
    return f"charts/{day.isoformat()}.json"


def positions_key(day: date) -> str:
    """Key of a day's positions snapshot."""
    return f"positions/{day.isoformat()}.csv"


def state_key(name: str) -> str:
    """Key of a small state document."""
    return f"state/{name}.json"


class Archive:
    """Reads and writes dipwatch's records through a Store."""

    def __init__(self, store: Store, cache_bytes: int = CACHE_BYTES) -> None:
        self.store = store
        self._cache = ParsedCache(cache_bytes)

    def _read(self, key: str, parse: Callable[[bytes], T]) -> T:
        """A parsed object; raises ObjectNotFound or CorruptObject."""
        return parsed(key, self.store.get(key), parse)

    def _read_cached(self, key: str, parse: Callable[[bytes], pd.DataFrame]) -> pd.DataFrame:
        """A parsed immutable frame, from memory after the first read (the caller must not change it)."""
        cached = self._cache.get(key)
        if isinstance(cached, pd.DataFrame):
            return cached
        frame = self._read(key, parse)
        self._cache.put(key, frame)
        return frame

    # --- days ---------------------------------------------------------------------------------

    def stored_days(self, kind: str) -> list[date]:
        """The days that have a ``kind`` object (bars, reports or positions), ascending."""
        days = []
        for key in self.store.list(f"{kind}/"):
            match = _DAY_KEY.match(key)
            if match and match["kind"] == kind:
                days.append(date.fromisoformat(match["day"]))
        return sorted(days)

    # --- bars ---------------------------------------------------------------------------------

    def write_bars(self, day: date, bars: pd.DataFrame) -> bool:
        """Store a day's bars; True if written, False if the same bytes were there already."""
        return self.store.put_immutable(bars_key(day), bars_to_csv(bars))

    def read_bars(self, days: Iterable[date]) -> pd.DataFrame:
        """The stored bars of ``days`` (days without an object are skipped), in one frame.

        The result is a fresh frame the caller may change; a repeated read of the same stored
        days is served from memory.
        """
        keys = tuple(bars_key(day) for day in days)
        cached = self._cache.get(keys)
        if isinstance(cached, pd.DataFrame):
            return cached.copy()
        found = self._read_many(list(keys))
        frames = [frame for frame in found if frame is not None]
        if not frames:
            return empty_bars()
        complete = len(frames) == len(found)
        del found
        bars = normalise_bars(pd.concat(frames, ignore_index=True))
        del frames
        if complete:  # a missing day may appear later: no caching
            self._cache.put(keys, bars)
        # A copy only when the cache keeps the frame: a wide window is served as it is, once.
        return bars.copy() if self._cache.get(keys) is bars else bars

    def write_bars_days(self, bars: pd.DataFrame) -> list[date]:
        """Store each day's bars of ``bars`` (several objects at once); the days newly written."""
        with ThreadPoolExecutor(max_workers=_WRITE_THREADS) as pool:
            pending = [(day, pool.submit(self.store.put_immutable, bars_key(day), data)) for day, data in bars_csv_by_day(bars)]
            return [day for day, written in pending if written.result()]

    def _read_many(self, keys: list[str]) -> list[pd.DataFrame | None]:
        # Days are not cached one by one: the assembled window is (when it fits), and a run that
        # reads 200 days once should not hold them twice.
        def read(key: str) -> pd.DataFrame | None:
            try:
                return self._read(key, bars_from_csv)
            except ObjectNotFound:
                return None

        if len(keys) <= 1:
            return [read(key) for key in keys]
        with ThreadPoolExecutor(max_workers=_READ_THREADS) as pool:
            return list(pool.map(read, keys))

    # --- reports, what changed, charts ----------------------------------------------------------

    def write_report(self, day: date, report: pd.DataFrame) -> bool:
        """Store a day's report (immutable)."""
        return self.store.put_immutable(report_key(day), report_to_csv(report))

    def read_report(self, day: date) -> pd.DataFrame:
        """A stored report (a fresh frame); raises ObjectNotFound."""
        return self._read_cached(report_key(day), report_from_csv).copy()

    def previous_report_day(self, day: date) -> date | None:
        """The newest day before ``day`` that has a report, if any."""
        earlier = [stored for stored in self.stored_days("reports") if stored < day]
        return earlier[-1] if earlier else None

    def write_changes(self, day: date, changes: dict[str, Any]) -> bool:
        """Store what changed in a day's report (immutable, like the report)."""
        return self.store.put_immutable(changes_key(day), json_bytes(changes))

    def read_changes(self, day: date) -> dict[str, Any]:
        """What changed in a day's report, as stored; raises ObjectNotFound."""
        return self._read(changes_key(day), json_document)

    def write_chart(self, day: date, document: dict[str, Any]) -> bool:
        """Store a day's chart points (immutable), as compact deterministic JSON."""
        return self.store.put_immutable(chart_key(day), json.dumps(document, sort_keys=True, separators=(",", ":")).encode())

    def read_chart(self, day: date) -> dict[str, Any]:
        """A day's chart points; raises ObjectNotFound."""
        return self._read(chart_key(day), json_document)

    # --- positions ----------------------------------------------------------------------------

    def write_positions(self, day: date, positions: pd.DataFrame) -> bool:
        """Store a day's positions snapshot (immutable)."""
        return self.store.put_immutable(positions_key(day), positions_to_csv(positions))

    # --- pointers and manifests ---------------------------------------------------------------

    def read_latest(self) -> dict[str, Any]:
        """The latest-report summary; raises ObjectNotFound before the first run."""
        return self._read(LATEST_KEY, json_document)

    def write_latest(self, summary: dict[str, Any]) -> None:
        """Point ``latest.json`` at a report, unless it already points at that day or a later one
        (the first run of a day stands; a rerun rewrites nothing)."""

        def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
            if current is not None and str(current.get("as_of", "")) >= summary["as_of"]:
                return None
            return summary

        self._swap(LATEST_KEY, change)

    def write_manifest(self, manifest: dict[str, Any]) -> str:
        """Store a run manifest under ``runs/<run_id>.json`` and return its key."""
        key = f"runs/{manifest['run_id']}.json"
        self.store.put_immutable(key, json_bytes(manifest))
        return key

    def list_runs(self) -> list[str]:
        """Run manifest keys, oldest first."""
        return [key for key in self.store.list("runs/") if key.endswith(".json")]

    def read_run(self, key: str) -> dict[str, Any]:
        """One run manifest."""
        return self._read(key, json_document)

    def latest_run(self, kind: str | None = None) -> dict[str, Any] | None:
        """The newest run manifest (of ``kind``, if given), or None if there is none."""
        for key in reversed(self.list_runs()):
            run = self.read_run(key)
            if kind is None or run.get("kind") == kind:
                return run
        return None

    # --- small mutable state ------------------------------------------------------------------

    def read_state(self, name: str) -> dict[str, Any]:
        """A state document (empty when absent)."""
        try:
            return self._read(state_key(name), json_document)
        except ObjectNotFound:
            return {}

    def update_state(self, name: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        """Apply ``change`` to a state document with compare-and-swap, retrying on conflict."""
        updated: dict[str, Any] = {}

        def swap(current: dict[str, Any] | None) -> dict[str, Any]:
            nonlocal updated
            updated = change(current or {})
            return updated

        self._swap(state_key(name), swap)
        return updated

    def _swap(self, key: str, change: Callable[[dict[str, Any] | None], dict[str, Any] | None]) -> None:
        """Replace the JSON document at ``key`` with ``change(current)`` (None: leave it), by
        compare-and-swap on its ETag; retried when another writer got there first."""
        for _attempt in range(_SWAP_ATTEMPTS):
            try:
                data, etag = self.store.get_with_etag(key)
                current: dict[str, Any] | None = parsed(key, data, json_document)
            except ObjectNotFound:
                current, etag = None, MUST_NOT_EXIST
            updated = change(current)
            if updated is None:
                return
            try:
                self.store.put_pointer(key, json_bytes(updated), expected_etag=etag)
                return
            except PointerConflict:
                continue
        raise PointerConflict(f"{key} kept changing; gave up after {_SWAP_ATTEMPTS} attempts")
