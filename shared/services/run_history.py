"""The runs as people read them: outcome, coverage, missing symbols by name, requests and 429s,
and which run (and so which source) made a given day's report.

Manifests are immutable, so each one is parsed once per process and kept.
"""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from shared.adapters.archive import Archive
from shared.errors import ObjectNotFound

#: Manifests kept parsed in memory (a few kilobytes each).
_MANIFESTS_KEPT = 4096
#: Manifests read at once from the store.
_READ_THREADS = 8
#: A path or storage URL in a message: two or more slash-separated segments, maybe after a scheme or drive.
_PATH = re.compile(r"(?:[A-Za-z][\w+.-]*:/?)?(?:[\\/][^\s'\"\\/:]+){2,}")


#: A manifest's symbol lists, which replies show as counts (``missing_symbols`` etc. carry them in full).
COUNTED = ("missing", "failed", "unknown")
#: Manifest fields the web never shows (the positions snapshot is account data).
_PRIVATE = ("positions",)


def counted(run: dict[str, Any]) -> dict[str, Any]:
    """A run manifest with its symbol lists replaced by their lengths."""
    return {**run, **{name: len(run.get(name) or ()) for name in COUNTED}}


def without_paths(message: str) -> str:
    """``message`` with each file system path cut to its last segment (the web shows no machine paths)."""
    return _PATH.sub(lambda match: re.split(r"[\\/]", match.group(0))[-1], message)


@dataclass(frozen=True)
class MissingSymbol:
    """A universe symbol a run could not rank, with its company name and why."""

    symbol: str
    name: str
    reason: str = ""


@dataclass(frozen=True)
class RunView:
    """One run manifest, shaped for a page or a JSON reply."""

    run_id: str
    kind: str
    as_of: str
    source: str
    outcome: str
    started_at: str
    finished_at: str
    duration_s: float
    universe: int
    ranked: int
    excluded: int
    missing: list[MissingSymbol] = field(default_factory=list)
    failed: list[MissingSymbol] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    days_written: int = 0
    requests: int | None = None
    rate_limited: int | None = None
    error: str = ""
    manifest: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def coverage_pct(self) -> float:
        """Ranked symbols as a percentage of the universe (0 for a backfill)."""
        return round(100.0 * self.ranked / self.universe, 1) if self.universe else 0.0

    def as_json(self) -> dict[str, Any]:
        """The reply of ``/api/runs``: the manifest with its symbol lists as counts (as always),
        the lists themselves under ``*_symbols``, and coverage, requests and 429s; no account
        data and no machine path."""
        reply = {key: value for key, value in counted(self.manifest).items() if key not in _PRIVATE}
        reply.update(
            error=self.error,
            coverage_pct=self.coverage_pct,
            requests=self.requests,
            rate_limited=self.rate_limited,
            missing_symbols=[item.symbol for item in self.missing],
            failed_symbols={item.symbol: item.reason for item in self.failed},
        )
        return reply


def _count(stats: dict[str, Any], name: str) -> int | None:
    value = stats.get(name)
    return None if value is None else int(value)


def run_view(manifest: dict[str, Any], names: dict[str, str]) -> RunView:
    """A manifest as a RunView; ``names`` maps symbols to company names."""
    failed = manifest.get("failed") or {}
    stats = manifest.get("fetch") or {}
    return RunView(
        run_id=str(manifest.get("run_id", "")),
        kind=str(manifest.get("kind", "collect")),
        as_of=str(manifest.get("as_of", "")),
        source=str(manifest.get("source", "")),
        outcome=str(manifest.get("outcome", "failed")),
        started_at=str(manifest.get("started_at", "")),
        finished_at=str(manifest.get("finished_at", "")),
        duration_s=float(manifest.get("duration_s") or 0.0),
        universe=int(manifest.get("universe") or 0),
        ranked=int(manifest.get("ranked") or 0),
        excluded=int(manifest.get("excluded") or 0),
        missing=[MissingSymbol(symbol, names.get(symbol, "")) for symbol in manifest.get("missing") or []],
        failed=[MissingSymbol(symbol, names.get(symbol, ""), without_paths(str(reason))) for symbol, reason in sorted(failed.items())],
        unknown=[str(symbol) for symbol in manifest.get("unknown") or []],
        days_written=len(manifest.get("days_written") or []),
        requests=_count(stats, "requests"),
        rate_limited=_count(stats, "rate_limited"),
        error=without_paths(str(manifest.get("error") or "")),
        manifest=manifest,
    )


class RunHistory:
    """The stored run manifests, newest first, with company names for the symbols they list."""

    def __init__(self, archive: Archive, universe: pd.DataFrame) -> None:
        self._archive = archive
        self._names = dict(zip(universe["symbol"], universe["name"]))
        self._manifests: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _manifest(self, key: str) -> dict[str, Any]:
        with self._lock:
            cached = self._manifests.get(key)
        if cached is not None:
            return cached
        manifest = self._archive.read_run(key)
        with self._lock:
            if len(self._manifests) >= _MANIFESTS_KEPT:
                self._manifests.pop(next(iter(self._manifests)))
            self._manifests[key] = manifest
        return manifest

    def _manifests_of(self, keys: list[str]) -> list[dict[str, Any]]:
        """The manifests of ``keys``, in order; those not yet in memory are read in parallel."""
        with self._lock:
            unread = [key for key in keys if key not in self._manifests]
        if len(unread) > 1:
            with ThreadPoolExecutor(max_workers=_READ_THREADS) as pool:
                list(pool.map(self._manifest, unread))
        return [self._manifest(key) for key in keys]

    def recent(self, limit: int, kind: str | None = None) -> list[RunView]:
        """The newest ``limit`` runs (of ``kind``, if given), newest first."""
        keys = self._archive.list_runs()[::-1]
        views: list[RunView] = []
        for start in range(0, len(keys), limit):
            for manifest in self._manifests_of(keys[start : start + limit]):
                if kind is None or manifest.get("kind") == kind:
                    views.append(run_view(manifest, self._names))
            if len(views) >= limit:
                break
        return views[:limit]

    def newest_collection(self) -> RunView | None:
        """The newest collection, whatever its outcome."""
        found = self.recent(1, kind="collect")
        return found[0] if found else None

    def by_id(self, run_id: str) -> RunView | None:
        """The run with this id, or None when its manifest is not stored."""
        try:
            return run_view(self._manifest(f"runs/{run_id}.json"), self._names)
        except ObjectNotFound:
            return None

    def report_run(self, day: date) -> RunView | None:
        """The run that wrote the report of ``day``: the oldest successful collection of that day
        (history is never rewritten, so a later run of the same day kept its report)."""
        candidates = [
            manifest
            for manifest in self._manifests_of(self._archive.list_runs())
            if manifest.get("kind") == "collect" and manifest.get("as_of") == day.isoformat() and manifest.get("outcome") != "failed"
        ]
        return run_view(candidates[0], self._names) if candidates else None
