"""The day's snapshot of the trading account's positions, taken during a collection.

The positions are asked for while the run waits on the network for its bars, and stored at its
end. The account is optional to the collection: a failure is logged and noted in the manifest,
never raised.
"""
from __future__ import annotations

from datetime import date
from typing import Callable

import pandas as pd

from shared.adapters.archive import Archive, positions_key
from shared.errors import ImmutableObjectError
from shared.telemetry import logger


def store_positions(archive: Archive, day: date, positions: Callable[[], pd.DataFrame] | None) -> str:
    """Store the day's positions, as ``positions()`` gives them (the result of the request sent
    earlier, or its error); the snapshot's key, "" when no account is configured, or why it was
    not stored. The first snapshot of a day is kept: positions move during the day, and history
    is not rewritten."""
    if positions is None:
        return ""
    try:
        written = archive.write_positions(day, positions())
        return positions_key(day) if written else f"{positions_key(day)} (already stored)"
    except ImmutableObjectError:
        return f"{positions_key(day)} (kept the day's first snapshot)"
    except Exception as error:  # noqa: BLE001 - the account is optional to the collection: logged, noted in the manifest
        logger.warning("positions snapshot failed", extra={"error": str(error)})
        return f"not stored: {error}"
