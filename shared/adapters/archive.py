"""The archive: dipwatch's records (bars, reports, manifests, pointers) laid out over a Store.

Layout (the user-facing contract):
- ``bars/YYYY-MM-DD.csv``: one immutable object per trading day, all symbols;
- ``reports/YYYY-MM-DD.csv``: one immutable ranked report per as-of day;
- ``reports/latest.json``: the mutable pointer and summary;
- ``runs/<UTC timestamp>.json``: run manifests, written last (the commit point);
- ``positions/YYYY-MM-DD.csv``: daily positions snapshots;
- ``state/<name>.json``: small mutable state (subscriptions, watches).
"""
from __future__ import annotations

import io
import json
import re
import sys
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any, Callable, Iterable, Iterator

import pandas as pd

from shared.core.analytics import REPORT_COLUMNS
from shared.errors import ObjectNotFound, PointerConflict
from shared.adapters.market_data import BAR_COLUMNS, empty_bars, normalise_bars
from shared.adapters.storage import MUST_NOT_EXIST, Store

LATEST_KEY = "reports/latest.json"
_DAY_KEY = re.compile(r"^(?P<kind>bars|reports|positions)/(?P<day>\d{4}-\d{2}-\d{2})\.csv$")
_READ_THREADS = 8
#: Objects written at once: local fsyncs and S3 PUTs overlap (a backfill writes ~125 days).
_WRITE_THREADS = 8
#: Memory for parsed immutable objects per Archive (a warm Lambda serves them without I/O).
#: Bounded in bytes, not entries: one day of 10,000 symbols' bars is ~1 MB parsed, a window of
#: them ~130 MB, a report of the Russell 1000 ~1 MB. 96 MB leaves a 512 MB Lambda room to work.
CACHE_BYTES = 96 * 1024 * 1024


def _size(frame: pd.DataFrame) -> int:
    """Bytes a parsed frame holds, strings included."""
    return int(frame.memory_usage(index=True, deep=True).sum())


class _FrameCache:
    """A thread-safe LRU of parsed immutable objects, bounded by their bytes. Safe because they
    never change; a frame larger than the whole budget is not kept."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._frames: OrderedDict[object, tuple[pd.DataFrame, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> pd.DataFrame | None:
        with self._lock:
            entry = self._frames.get(key)
            if entry is None:
                return None
            self._frames.move_to_end(key)
            return entry[0]

    def put(self, key: object, frame: pd.DataFrame) -> None:
        size = _size(frame)
        with self._lock:
            if key in self._frames:
                self.bytes -= self._frames.pop(key)[1]
            if size > self.max_bytes:
                return
            self._frames[key] = (frame, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _key, (_frame, evicted) = self._frames.popitem(last=False)
                self.bytes -= evicted


def bars_key(day: date) -> str:
    """Key of a day's bars."""
    return f"bars/{day.isoformat()}.csv"


def report_key(day: date) -> str:
    """Key of a day's report."""
    return f"reports/{day.isoformat()}.csv"


def changes_key(day: date) -> str:
    """Key of what changed in a day's report against the previous one."""
    return f"reports/{day.isoformat()}.changes.json"


def positions_key(day: date) -> str:
    """Key of a day's positions snapshot."""
    return f"positions/{day.isoformat()}.csv"


def bars_to_csv(bars: pd.DataFrame) -> bytes:
    """Deterministic CSV bytes for a bars frame (same frame, same bytes)."""
    frame = normalise_bars(bars).assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d"))
    return frame.to_csv(index=False, lineterminator="\n").encode()


#: Rows formatted at once when writing many days: bounds the memory of a wide backfill.
_FORMAT_ROWS = 100_000


def bars_csv_by_day(bars: pd.DataFrame) -> Iterator[tuple[date, bytes]]:
    """Each day's object, byte for byte what ``bars_to_csv`` writes for that day's rows, in date
    order. Days are formatted a batch at a time (one ``to_csv`` per ~100,000 rows, not one per
    day), so a backfill of 125 days costs a few calls and little memory."""
    frame = normalise_bars(bars)
    if frame.empty:
        return
    by_day = frame.sort_values("date", kind="stable")  # stable: each day keeps the symbol order
    del frame
    sizes = by_day.groupby("date", sort=True).size()
    first = 0
    batch: list[tuple[date, int]] = []
    for stamp, size in [*sizes.items(), (None, 0)]:
        rows = sum(count for _day, count in batch)
        if batch and (stamp is None or rows + int(size) > _FORMAT_ROWS):
            part = by_day.iloc[first : first + rows]
            text = part.assign(date=part["date"].dt.strftime("%Y-%m-%d")).to_csv(index=False, lineterminator="\n")
            header, _, body = text.partition("\n")
            lines = body.split("\n")
            start = 0
            for day, count in batch:
                yield day, "\n".join([header, *lines[start : start + count], ""]).encode()
                start += count
            first += rows
            batch = []
        if stamp is not None:
            batch.append((pd.Timestamp(stamp).date(), int(size)))


def bars_from_csv(data: bytes) -> pd.DataFrame:
    """Parse a stored bars object."""
    frame = pd.read_csv(io.BytesIO(data), dtype={"symbol": str}, keep_default_na=False, na_values=[""])
    # One string object per symbol across all days read (sys.intern): a window of 10,000 symbols
    # holds 10,000 strings, not two million, and their hashes are computed once for every groupby.
    frame["symbol"] = [sys.intern(symbol) for symbol in frame["symbol"].tolist()]
    return normalise_bars(frame.loc[:, BAR_COLUMNS])


def report_to_csv(report: pd.DataFrame) -> bytes:
    """Deterministic CSV bytes for a report; ``rank`` is empty for unranked rows."""
    frame = report.assign(peak_date=pd.to_datetime(report["peak_date"]).dt.strftime("%Y-%m-%d"))
    if "trough_date" in frame:
        frame = frame.assign(trough_date=pd.to_datetime(frame["trough_date"]).dt.strftime("%Y-%m-%d"))
    return frame.to_csv(index=False, lineterminator="\n", float_format="%.10g").encode()


def report_from_csv(data: bytes) -> pd.DataFrame:
    """Parse a stored report."""
    frame = pd.read_csv(io.BytesIO(data), dtype={"symbol": str, "name": str, "sector": str, "flags": str}, keep_default_na=False, na_values=[""])
    if "trough_date" in frame:
        frame = frame.assign(trough_date=pd.to_datetime(frame["trough_date"]))
    if "score_rank" in frame:
        frame = frame.assign(score_rank=frame["score_rank"].astype("Int64"))
    return frame.assign(
        rank=frame["rank"].astype("Int64"),
        peak_date=pd.to_datetime(frame["peak_date"]),
        flags=frame["flags"].fillna(""),
        name=frame["name"].fillna(""),
    )


def _json_bytes(payload: dict[str, Any]) -> bytes:
    return (json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n").encode()


class Archive:
    """Reads and writes dipwatch's records through a Store."""

    def __init__(self, store: Store, cache_bytes: int = CACHE_BYTES) -> None:
        self.store = store
        self._cache = _FrameCache(cache_bytes)

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

    def write_bars_days(self, bars: pd.DataFrame) -> list[date]:
        """Store each day's bars of ``bars`` (several objects at once); the days newly written."""
        with ThreadPoolExecutor(max_workers=_WRITE_THREADS) as pool:
            pending = [(day, pool.submit(self.store.put_immutable, bars_key(day), data)) for day, data in bars_csv_by_day(bars)]
            return [day for day, written in pending if written.result()]

    def read_bars(self, days: Iterable[date]) -> pd.DataFrame:
        """The stored bars of ``days`` (days without an object are skipped), in one frame.

        The result is a fresh frame the caller may change; a repeated read of the same stored
        days is served from memory.
        """
        keys = tuple(bars_key(day) for day in days)
        cached = self._cache.get(keys)
        if cached is not None:
            return cached.copy()
        found = self._read_many(list(keys), bars_from_csv)
        frames = [frame for frame in found if frame is not None]
        if not frames:
            return empty_bars()
        complete = all(frame is not None for frame in found)
        del found
        bars = normalise_bars(pd.concat(frames, ignore_index=True))
        del frames
        if complete:  # a missing day may appear later: no caching
            self._cache.put(keys, bars)
        # A copy only when the cache keeps the frame: a wide window is served as it is, once.
        return bars.copy() if self._cache.get(keys) is bars else bars

    def _read_many(self, keys: list[str], parse: Callable[[bytes], pd.DataFrame]) -> list[pd.DataFrame | None]:
        # Days are not cached one by one: the assembled window is (when it fits), and a run that
        # reads 200 days once should not hold them twice.
        def read(key: str) -> pd.DataFrame | None:
            try:
                return parse(self.store.get(key))
            except ObjectNotFound:
                return None

        if len(keys) <= 1:
            return [read(key) for key in keys]
        with ThreadPoolExecutor(max_workers=_READ_THREADS) as pool:
            return list(pool.map(read, keys))

    # --- reports ------------------------------------------------------------------------------

    def write_report(self, day: date, report: pd.DataFrame) -> bool:
        """Store a day's report (immutable)."""
        return self.store.put_immutable(report_key(day), report_to_csv(report))

    def read_report(self, day: date) -> pd.DataFrame:
        """A stored report (a fresh frame); raises ObjectNotFound."""
        key = report_key(day)
        report = self._cache.get(key)
        if report is None:
            report = report_from_csv(self.store.get(key))
            self._cache.put(key, report)
        return report.copy()

    def report_bytes(self, day: date) -> bytes:
        """A stored report's raw CSV bytes; raises ObjectNotFound."""
        return self.store.get(report_key(day))

    def write_changes(self, day: date, changes: dict[str, Any]) -> bool:
        """Store what changed in a day's report (immutable, like the report)."""
        return self.store.put_immutable(changes_key(day), _json_bytes(changes))

    def read_changes(self, day: date) -> dict[str, Any]:
        """What changed in a day's report, as stored; raises ObjectNotFound."""
        return json.loads(self.store.get(changes_key(day)))

    # --- positions ----------------------------------------------------------------------------

    def write_positions(self, day: date, positions: pd.DataFrame) -> bool:
        """Store a day's positions snapshot (immutable)."""
        return self.store.put_immutable(positions_key(day), positions.to_csv(index=False, lineterminator="\n").encode())

    # --- pointers and manifests ---------------------------------------------------------------

    def read_latest(self) -> dict[str, Any]:
        """The latest-report summary; raises ObjectNotFound before the first run."""
        return json.loads(self.store.get(LATEST_KEY))

    def write_latest(self, summary: dict[str, Any]) -> None:
        """Point ``latest.json`` at a report, unless it already points at that day or a later one.

        Compare-and-swap on the ETag, so a concurrent writer is never silently overwritten.
        """
        for _attempt in range(3):
            try:
                current, etag = self.store.get_with_etag(LATEST_KEY)
            except ObjectNotFound:
                current, etag = None, MUST_NOT_EXIST
            if current is not None and json.loads(current).get("as_of", "") >= summary["as_of"]:
                return  # the first run of a day stands; a rerun rewrites nothing
            try:
                self.store.put_pointer(LATEST_KEY, _json_bytes(summary), expected_etag=etag)
                return
            except PointerConflict:
                continue
        raise PointerConflict(f"{LATEST_KEY} kept changing; gave up after 3 attempts")

    def write_manifest(self, manifest: dict[str, Any]) -> str:
        """Store a run manifest under ``runs/<run_id>.json`` and return its key."""
        key = f"runs/{manifest['run_id']}.json"
        self.store.put_immutable(key, _json_bytes(manifest))
        return key

    def list_runs(self) -> list[str]:
        """Run manifest keys, oldest first."""
        return [key for key in self.store.list("runs/") if key.endswith(".json")]

    def read_run(self, key: str) -> dict[str, Any]:
        """One run manifest."""
        return json.loads(self.store.get(key))

    def latest_run(self, kind: str | None = None) -> dict[str, Any] | None:
        """The newest run manifest (of ``kind``, if given), or None if there is none."""
        for key in reversed(self.list_runs()):
            run = self.read_run(key)
            if kind is None or run.get("kind") == kind:
                return run
        return None

    # --- small mutable state ------------------------------------------------------------------

    def read_state(self, name: str) -> tuple[dict[str, Any], str]:
        """A state document and its ETag (empty document and MUST_NOT_EXIST when absent)."""
        try:
            data, etag = self.store.get_with_etag(f"state/{name}.json")
        except ObjectNotFound:
            return {}, MUST_NOT_EXIST
        return json.loads(data), etag

    def update_state(self, name: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        """Apply ``change`` to a state document with compare-and-swap, retrying on conflict."""
        for _attempt in range(5):
            current, etag = self.read_state(name)
            updated = change(current)
            try:
                self.store.put_pointer(f"state/{name}.json", _json_bytes(updated), expected_etag=etag)
                return updated
            except PointerConflict:
                continue
        raise PointerConflict(f"state/{name}.json kept changing; gave up after 5 attempts")


__all__ = ["Archive", "REPORT_COLUMNS", "LATEST_KEY", "bars_key", "report_key", "changes_key", "positions_key"]
