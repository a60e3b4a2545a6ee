"""The day's snapshot of the trading account's positions, taken during a collection.

The positions are asked for while the run waits on the network for its bars, and stored at its
end. The account is optional to the collection: a failure is logged and noted in the manifest,
never raised.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from shared.adapters.archive import Archive, positions_key
from shared.errors import ImmutableObjectError
from shared.ports import Broker
from shared.telemetry import logger


def account_positions(broker: Broker | None) -> pd.DataFrame | Exception | None:
    """The account's open positions, the error that prevented them, or None (no account)."""
    if broker is None:
        return None
    try:
        return broker.positions()
    except Exception as error:  # noqa: BLE001 - the account is optional to the collection: noted, not raised
        return error


def store_positions(archive: Archive, day: date, positions: pd.DataFrame | Exception | None) -> str:
    """Store the day's ``positions``; the snapshot's key, "" when no account is configured, or
    why it was not stored. The first snapshot of a day is kept: positions move during the day,
    and history is not rewritten."""
    if positions is None:
        return ""
    try:
        if isinstance(positions, Exception):
            raise positions
        written = archive.write_positions(day, positions)
        return positions_key(day) if written else f"{positions_key(day)} (already stored)"
    except ImmutableObjectError:
        return f"{positions_key(day)} (kept the day's first snapshot)"
    except Exception as error:  # noqa: BLE001 - the account is optional to the collection: logged, noted in the manifest
        logger.warning("positions snapshot failed", extra={"error": str(error)})
        return f"not stored: {error}"
