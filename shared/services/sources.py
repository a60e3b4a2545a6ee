"""One source per store: a collection never adds one market-data source's bars to another's.

Stored bars are one immutable object per day for all symbols, and a run fetches only the days
that are not stored yet, so a second source collected into the same store would silently rank
the first source's days. The run manifests record each run's source; the first run decides.
"""
from __future__ import annotations

from shared.adapters.archive import Archive
from shared.errors import MixedSources


def recorded_source(archive: Archive) -> str | None:
    """The market-data source of the store's newest run, or None for a new store."""
    run = archive.latest_run()
    source = None if run is None else run.get("source")
    return str(source) if source else None


def check_source(archive: Archive, source: str) -> None:
    """Refuse (MixedSources) to collect ``source`` into a store that holds another source's data."""
    recorded = recorded_source(archive)
    if recorded is not None and recorded != source:
        raise MixedSources(
            f"the store {archive.store.location} holds {recorded} data, and collecting {source} data into it "
            "would mix the two; use that source, or give this one its own store (leave DIPWATCH_STORAGE "
            "unset for ./var/data/<source>, or point it at a new location)"
        )
