"""The archive: dipwatch's records (bars, reports, manifests, pointers) laid out over a Store.

Layout (the user-facing contract):
- ``bars/YYYY-MM-DD.csv``: one immutable object per trading day, all symbols;
- ``reports/YYYY-MM-DD.csv``: one immutable ranked report per as-of day, with
  ``reports/YYYY-MM-DD.changes.json`` (what changed) and ``charts/YYYY-MM-DD.json`` (the chart
  points) next to it;
- ``reports/latest.json``: the mutable pointer and summary;
- ``runs/<UTC timestamp>.json``: run manifests, written last (the commit point);
- ``positions/YYYY-MM-DD.csv``: daily positions snapshots;
- ``state/<name>.json``: small mutable state (subscriptions, watches);
- ``omitted/YYYY-MM-DD.json`` and ``additions/YYYY-MM-DD.<n>.csv``: symbols a day's bars were
  stored without, and their bars when a later fetch got them (readers merge them into the day);
- ``quarantine/<key>.<stamp>``: corrupt objects moved aside, each with a ``.note.json``.

Every immutable object is written with its seal (SHA-256 and rows: S3 metadata, or a local
sidecar) and every read checks it, then parses strictly. An object that fails either raises
``CorruptObject`` naming its key; one written before seals is checked by its structure alone.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, TypeVar

import pandas as pd

from shared.adapters.formats import bars_csv_by_day, bars_from_csv, bars_to_csv, json_bytes, json_document, latest_pointer, parsed
from shared.adapters.formats import positions_to_csv, report_from_csv, report_to_csv
from shared.adapters.layout import DAY_KEY, LATEST_KEY, addition_keys, bars_key, changes_key, chart_key, parser_for, positions_key
from shared.adapters.layout import report_key, state_key
from shared.adapters.object_keys import Seal, quarantine_key
from shared.adapters.parsed_cache import ParsedCache
from shared.core.bars import empty_bars, normalise_bars
from shared.errors import CorruptObject, ObjectNotFound, PointerConflict
from shared.ports import MUST_NOT_EXIST, RenderedDays, Store
from shared.telemetry import logger

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
__all__ = ["Archive", "LATEST_KEY", "bars_from_csv", "bars_key", "bars_to_csv", "changes_key", "chart_key", "positions_key", "report_from_csv", "report_key", "report_to_csv", "state_key"]


def _rows(value: object) -> int:
    return len(value) if isinstance(value, pd.DataFrame) else 1


class Archive:
    """Reads and writes dipwatch's records through a Store."""

    def __init__(self, store: Store, cache_bytes: int = CACHE_BYTES) -> None:
        self.store = store
        self._cache = ParsedCache(cache_bytes)
        #: The seal of every immutable object this archive wrote (a run's manifest lists its own).
        self.seals: dict[str, Seal] = {}
        self._warned: set[str] = set()

    def write_sealed(self, key: str, data: bytes, rows: int) -> bool:
        """Store an immutable object with its seal; True if written, False if already there."""
        seal = Seal.of(data, rows)
        written = self.store.put_immutable(key, data, seal.metadata())
        self.seals[key] = seal
        return written

    def read_verified(self, key: str, parse: Callable[[bytes], T]) -> T:
        """A verified, parsed immutable object; raises ObjectNotFound or CorruptObject."""
        data, metadata = self.store.get_with_metadata(key)
        seal = Seal.from_metadata(key, metadata)
        if seal is not None:
            seal.verify(key, data)
        value = parsed(key, data, parse)
        if seal is not None and _rows(value) != seal.rows:
            raise CorruptObject(key, f"{_rows(value)} rows, but it was written with {seal.rows}")
        return value

    def _read_pointer(self, key: str, parse: Callable[[bytes], T]) -> T:
        """A parsed mutable document (no seal: it changes); raises ObjectNotFound or CorruptObject."""
        return parsed(key, self.store.get(key), parse)

    def _read_cached(self, key: str, parse: Callable[[bytes], pd.DataFrame]) -> pd.DataFrame:
        """A parsed immutable frame, from memory after the first read (the caller must not change it)."""
        cached = self._cache.get(key)
        if isinstance(cached, pd.DataFrame):
            return cached
        frame = self.read_verified(key, parse)
        self._cache.put(key, frame)
        return frame

    def stored_days(self, kind: str) -> list[date]:
        """The days that have a ``kind`` object (bars, reports or positions), ascending. A key
        that names no real day (``bars/2026-13-45.csv``) is not ours: ignored, with a warning."""
        return self.days_among(kind, self.store.list(f"{kind}/"))

    def days_among(self, kind: str, keys: Iterable[str]) -> list[date]:
        """The days that have a ``kind`` object among ``keys`` (a listing already made),
        ascending; stray keys ignored with a warning, as by ``stored_days``."""
        days = []
        for key in keys:
            match = DAY_KEY.match(key)
            if not match or match["kind"] != kind:
                continue
            try:
                days.append(date.fromisoformat(match["day"]))
            except ValueError:
                if key not in self._warned:
                    self._warned.add(key)
                    logger.warning("ignoring a stray key that names no day", extra={"key": key})
        return sorted(days)

    # --- bars ---------------------------------------------------------------------------------

    def write_bars(self, day: date, bars: pd.DataFrame) -> bool:
        """Store a day's bars; True if written, False if the same bytes were there already."""
        return self.write_sealed(bars_key(day), bars_to_csv(bars), len(bars))

    def read_bars(self, days: Iterable[date]) -> pd.DataFrame:
        """The stored bars of ``days`` (days without an object are skipped), with any additions
        to them merged in, in one frame; raises CorruptObject naming the first corrupt object.

        The result is a fresh frame the caller may change; a repeated read of the same stored
        objects is served from memory.
        """
        wanted = list(days)
        keys = tuple(bars_key(day) for day in wanted) + tuple(addition_keys(self.store, wanted))
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

    def write_bars_days(self, bars: pd.DataFrame, rendered: RenderedDays | None = None) -> list[date]:
        """Store each day's bars of ``bars`` (several objects at once); the days newly written.
        ``rendered``: the fetch's rows rendered ahead (see ``shared.adapters.day_rows``)."""
        with ThreadPoolExecutor(max_workers=_WRITE_THREADS) as pool:
            pending = [(day, pool.submit(self.write_sealed, bars_key(day), data, data.count(b"\n") - 1)) for day, data in bars_csv_by_day(bars, rendered)]
            return [day for day, written in pending if written.result()]

    def _read_many(self, keys: list[str]) -> list[pd.DataFrame | None]:
        # Days are not cached one by one: the assembled window is (when it fits), and a run that
        # reads 200 days once should not hold them twice.
        def read(key: str) -> pd.DataFrame | None:
            try:
                frame: pd.DataFrame = self.read_verified(key, parser_for(key))
                return frame
            except ObjectNotFound:
                return None

        if len(keys) <= 1:
            return [read(key) for key in keys]
        with ThreadPoolExecutor(max_workers=_READ_THREADS) as pool:
            return list(pool.map(read, keys))

    # --- corrupt objects ------------------------------------------------------------------------

    def quarantine(self, key: str, reason: str, action: str) -> str | None:
        """Move a corrupt object to ``quarantine/`` with a note; its new key, or None if gone."""
        note = {"key": key, "reason": reason, "action": action, "quarantined_at": datetime.now(timezone.utc).isoformat()}
        try:
            moved = self.store.quarantine(key, json_bytes(note))
        except ObjectNotFound:
            return None
        logger.warning("moved a corrupt object to quarantine", extra={"key": key, "quarantine": moved, "reason": reason})
        return moved

    # --- reports, what changed, charts ----------------------------------------------------------

    def write_report(self, day: date, report: pd.DataFrame) -> bool:
        """Store a day's report (immutable)."""
        return self.write_sealed(report_key(day), report_to_csv(report), len(report))

    def read_report(self, day: date) -> pd.DataFrame:
        """A stored report (a fresh frame); raises ObjectNotFound."""
        return self._read_cached(report_key(day), report_from_csv).copy()

    def previous_report_day(self, day: date) -> date | None:
        """The newest day before ``day`` that has a report, if any."""
        earlier = [stored for stored in self.stored_days("reports") if stored < day]
        return earlier[-1] if earlier else None

    def write_changes(self, day: date, changes: dict[str, Any]) -> bool:
        """Store what changed in a day's report (immutable, like the report)."""
        return self.write_sealed(changes_key(day), json_bytes(changes), 1)

    def read_changes(self, day: date) -> dict[str, Any]:
        """What changed in a day's report, as stored; raises ObjectNotFound."""
        return self.read_verified(changes_key(day), json_document)

    def write_chart(self, day: date, document: dict[str, Any]) -> bool:
        """Store a day's chart points (immutable), as compact deterministic JSON."""
        return self.write_sealed(chart_key(day), json.dumps(document, sort_keys=True, separators=(",", ":")).encode(), 1)

    def read_chart(self, day: date) -> dict[str, Any]:
        """A day's chart points; raises ObjectNotFound."""
        return self.read_verified(chart_key(day), json_document)

    def write_positions(self, day: date, positions: pd.DataFrame) -> bool:
        """Store a day's positions snapshot (immutable)."""
        return self.write_sealed(positions_key(day), positions_to_csv(positions), len(positions))

    # --- pointers and manifests ---------------------------------------------------------------

    def read_latest(self) -> dict[str, Any]:
        """The latest-report summary; raises ObjectNotFound before the first run."""
        return self._read_pointer(LATEST_KEY, latest_pointer)

    def write_latest(self, summary: dict[str, Any], newest_valid: date | None = None) -> None:
        """Point ``latest.json`` at a report, unless it already points at that day or a later one
        (the first run of a day stands; a rerun rewrites nothing) that is not past
        ``newest_valid``, the newest valid report; a corrupt pointer is replaced."""
        newest = newest_valid.isoformat() if newest_valid is not None else None

        def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
            pointed = None if current is None else str(current.get("as_of", ""))
            if pointed is not None and pointed >= summary["as_of"] and not (newest is not None and pointed > newest == summary["as_of"]):
                return None
            return summary

        self._swap(LATEST_KEY, change)

    def write_manifest(self, manifest: dict[str, Any]) -> str:
        """Store a run manifest under ``runs/<run_id>.json`` and return its key."""
        key = f"runs/{manifest['run_id']}.json"
        self.write_sealed(key, json_bytes(manifest), 1)
        return key

    def list_runs(self) -> list[str]:
        """Run manifest keys, oldest first."""
        return [key for key in self.store.list("runs/") if key.endswith(".json")]

    def read_run(self, key: str) -> dict[str, Any]:
        """One run manifest."""
        return self.read_verified(key, json_document)

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
            return self._read_pointer(state_key(name), json_document)
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
                current: dict[str, Any] | None = parsed(key, data, latest_pointer if key == LATEST_KEY else json_document)
            except ObjectNotFound:
                current, etag = None, MUST_NOT_EXIST
            except CorruptObject as error:
                # A pointer is replaced, not moved: a copy goes to quarantine, then the swap.
                self.write_sealed(quarantine_key(key), data, 1)
                logger.warning("replacing a corrupt pointer", extra={"key": key, "error": str(error)})
                current = None
            updated = change(current)
            if updated is None:
                return
            try:
                self.store.put_pointer(key, json_bytes(updated), expected_etag=etag)
                return
            except PointerConflict:
                continue
        raise PointerConflict(f"{key} kept changing; gave up after {_SWAP_ATTEMPTS} attempts")
