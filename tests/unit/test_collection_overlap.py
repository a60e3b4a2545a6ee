"""The bars request leaves before the run's other work starts: that work shares one interpreter
with the request's thread, and every moment it holds it delays the request's departure."""
from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path
from typing import Callable, Sequence

from shared.adapters.local_store import LocalStore
from shared.adapters.market_data import FetchResult, SimulatedMarketData
from shared.bootstrap import bootstrap
from shared.config import Settings
from shared.services.collection import DEPARTURE_WAIT_SECONDS
from tests.conftest import AS_OF, fixed_clock

HISTORY_END = date(2026, 11, 25)
READ_PREFIXES = ("bars/", "windows/", "reports/")


class Timeline:
    """Events in the order they happen, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[str] = []
        self.recording = False

    def add(self, event: str) -> None:
        with self._lock:
            if self.recording:
                self.events.append(event)

    def first(self, prefix: str) -> int:
        return next(index for index, event in enumerate(self.events) if event.startswith(prefix))


class ReadRecordingStore(LocalStore):
    """A local store that puts each read of stored bars, snapshots and reports on the timeline."""

    def __init__(self, root: Path, timeline: Timeline) -> None:
        super().__init__(root)
        self._timeline = timeline

    def _note(self, key: str) -> None:
        if key.startswith(READ_PREFIXES):
            self._timeline.add(f"read {key}")

    def get(self, key: str) -> bytes:
        self._note(key)
        return super().get(key)

    def get_with_etag(self, key: str) -> tuple[bytes, str]:
        self._note(key)
        return super().get_with_etag(key)

    def get_with_metadata(self, key: str) -> tuple[bytes, dict[str, str]]:
        self._note(key)
        return super().get_with_metadata(key)


class SlowDeparture:
    """Simulated bars whose request takes ``before_sent`` seconds to go out and then says so
    (``announce``), or never says so; it answers ``after_sent`` seconds later."""

    label = "simulated"

    def __init__(self, timeline: Timeline, before_sent: float, after_sent: float, announce: bool = True) -> None:
        self._sim = SimulatedMarketData()
        self._timeline = timeline
        self.before_sent, self.after_sent, self.announce = before_sent, after_sent, announce

    def fetch_bars(self, symbols: Sequence[str], start: date, end: date, sent: Callable[[], None] | None = None) -> FetchResult:
        time.sleep(self.before_sent)
        self._timeline.add("sent")
        if sent is not None and self.announce:
            sent()
        time.sleep(self.after_sent)
        self._timeline.add("answered")
        return self._sim.fetch_bars(symbols, start, end)


def _daily_run(settings: Settings, tmp_path: Path, source: SlowDeparture, timeline: Timeline) -> None:
    """A run for the next session over stored history, with only its own events on the timeline."""
    container = bootstrap(settings, store=ReadRecordingStore(tmp_path / "store", timeline), market_data=source, clock=fixed_clock)
    container.collection.collect(HISTORY_END)
    timeline.recording = True
    summary = container.collection.collect(AS_OF)
    assert summary.outcome == "complete" and summary.days_fetched == [AS_OF.isoformat()]


def test_stored_bars_and_the_previous_report_are_read_once_the_request_is_out(settings: Settings, tmp_path: Path) -> None:
    timeline = Timeline()
    _daily_run(settings, tmp_path, SlowDeparture(timeline, before_sent=0.1, after_sent=0.1), timeline)
    reads = [event for event in timeline.events if event.startswith("read ")]
    assert any(event.startswith("read reports/") for event in reads) and any(event.startswith(("read bars/", "read windows/")) for event in reads)
    assert timeline.first("sent") < timeline.first("read ")  # nothing was read while the request was leaving
    assert timeline.first("read ") < timeline.first("answered")  # and the reading overlaps the wait


def test_a_source_that_never_says_it_sent_holds_the_run_back_only_briefly(settings: Settings, tmp_path: Path) -> None:
    timeline = Timeline()
    _daily_run(settings, tmp_path, SlowDeparture(timeline, before_sent=0.0, after_sent=DEPARTURE_WAIT_SECONDS + 1.0, announce=False), timeline)
    assert timeline.first("read ") < timeline.first("answered")  # read while the answer was awaited
