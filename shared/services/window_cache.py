"""The window snapshot: the one object a daily run reads instead of ~250 days of CSV.

Each collection writes ``windows/<as_of>.bin``, a new immutable, sealed object: the stored bars
of its history it read (not the day it fetches: the snapshot is written while that day's request
is on the network, and the next run reads that one day's object beside it) in compact columns
(``shared.adapters.window_format``), with the key and version of every ``bars/`` and
``additions/`` object they came from. The next run reads the newest snapshot up to its day in
one GET, verified like every sealed object, and takes from it only the days whose objects are
listed now exactly as they were then (same keys, same versions). Any other day (new, replaced
after a quarantine, with a new addition) is read from its CSV as before, so the bars a run sees
are the stored ones, snapshot or not, and so is its report.

The CSVs stay the source of truth and are never rewritten: a snapshot is a copy, rebuilt by the
next run when missing, stale or corrupt. A corrupt one is moved to quarantine with a note (the
run reads the CSVs instead); one that cannot be written is logged and the run goes on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from shared.adapters.archive import Archive
from shared.adapters.layout import ADDITION_KEY, WINDOWS_PREFIX, bars_key, day_of, window_key
from shared.adapters.window_format import WindowSnapshot, window_from_bytes, window_to_bytes
from shared.core.bars import empty_bars
from shared.errors import CorruptObject, ObjectNotFound, StorageError
from shared.services.runs import RunSummary
from shared.telemetry import logger

_SOURCES = ("bars/", "additions/")


@dataclass
class Sources:
    """The ``bars/`` and ``additions/`` objects stored, each with its version, grouped by day."""

    versions: dict[str, str] = field(default_factory=dict)

    def by_day(self) -> dict[date, dict[str, str]]:
        days: dict[date, dict[str, str]] = {}
        for key, version in self.versions.items():
            day = day_of(key)
            if day is not None and (key == bars_key(day) or ADDITION_KEY.match(key)):
                days.setdefault(day, {})[key] = version
        return days

    def bars_days(self) -> set[date]:
        """The days that have a bars object."""
        return {day for key in self.versions if (day := day_of(key)) is not None and key == bars_key(day)}


class WindowCache:
    """Reads the days a snapshot holds unchanged, and writes each run's snapshot."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    def sources(self) -> Sources:
        """What is stored now (one LIST per prefix)."""
        versions: dict[str, str] = {}
        for prefix in _SOURCES:
            versions.update(self._archive.store.versions(prefix))
        return Sources(versions)

    def trusted(self, days: list[date], now: Sources, as_of: date, summary: RunSummary) -> tuple[pd.DataFrame, set[date]]:
        """The bars of the days of ``days`` that the newest snapshot up to ``as_of`` holds from
        exactly the objects stored now, and those days (none without a usable snapshot)."""
        snapshot = self._newest(as_of, summary)
        if snapshot is None:
            return empty_bars(), set()
        then = Sources(snapshot.sources).by_day()
        current = now.by_day()
        held = set(snapshot.days)
        good = {day for day in days if day in held and day in then and then[day] == current.get(day)}
        return (snapshot.bars(good) if good else empty_bars()), good

    def _newest(self, as_of: date, summary: RunSummary) -> WindowSnapshot | None:
        keys = [key for key in self._archive.store.list(WINDOWS_PREFIX) if (day := day_of(key)) is not None and day <= as_of and key == window_key(day)]
        if not keys:
            return None
        try:
            snapshot: WindowSnapshot = self._archive.read_verified(keys[-1], window_from_bytes)
            return snapshot
        except ObjectNotFound:
            return None
        except CorruptObject as error:
            moved = self._archive.quarantine(keys[-1], str(error), "the run read the bars objects; its own snapshot replaces it")
            summary.quarantined.append(moved or keys[-1])
            return None

    def write(self, as_of: date, bars: pd.DataFrame, read: Sources) -> str | None:
        """Store the snapshot of ``bars``, read from the stored objects ``read`` listed (each
        day carries the versions listed before it was read), unless the day has one already (a
        rerun adds none). Its key, or None when it was not written (logged when it failed)."""
        key = window_key(as_of)
        try:
            if self._archive.store.exists(key):
                return None
            before = read.by_day()
            days = {stamp.date() for stamp in pd.DatetimeIndex(bars["date"].unique())}
            versions: dict[str, str] = {}
            for day in days:
                versions.update(before.get(day, {}))
            if not days <= Sources(versions).bars_days():
                logger.warning("window snapshot not written: some of its days have no stored object", extra={"key": key})
                return None
            self._archive.write_sealed(key, window_to_bytes(bars, as_of, versions), 1)
            return key
        except (StorageError, OSError, ValueError) as error:  # full, read-only, or another collector's snapshot of other days
            logger.warning("window snapshot not written; the next run reads the bars objects", extra={"key": key, "error": str(error)})
            return None
