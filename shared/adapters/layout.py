"""Where each of dipwatch's records lives in a Store, and how each kind is parsed back.

The keys are the user-facing storage layout (see ``shared.adapters.archive``).
"""
from __future__ import annotations

import functools
import io
import re
from datetime import date
from typing import Any, Callable

import pandas as pd

from shared.adapters.formats import bars_from_csv, json_document, report_from_csv
from shared.adapters.window_format import window_from_bytes
from shared.ports import Store

LATEST_KEY = "reports/latest.json"
DAY_KEY = re.compile(r"^(?P<kind>bars|reports|positions)/(?P<day>[^/.]*)\.csv$")
#: Every immutable object's key (anything else under these prefixes is stray).
IMMUTABLE_KEY = re.compile(
    r"^(bars/\d{4}-\d{2}-\d{2}\.csv|reports/\d{4}-\d{2}-\d{2}(\.changes\.json|\.csv)|charts/\d{4}-\d{2}-\d{2}\.json"
    r"|positions/\d{4}-\d{2}-\d{2}\.csv|runs/[^/]+\.json|omitted/\d{4}-\d{2}-\d{2}\.json|additions/\d{4}-\d{2}-\d{2}\.\d+\.csv"
    r"|windows/\d{4}-\d{2}-\d{2}\.bin)$"
)
ADDITION_KEY = re.compile(r"^additions/(?P<day>\d{4}-\d{2}-\d{2})\.(?P<n>\d+)\.csv$")


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


#: Where the window snapshots live, and how many days one is kept: only the newest is read, so
#: older ones expire (on S3 by the lifecycle rule ``ops bootstrap`` sets, on disk by the collection).
WINDOWS_PREFIX = "windows/"
WINDOW_SNAPSHOT_DAYS = 10


def window_key(day: date) -> str:
    """Key of the window snapshot a day's run wrote (derived from bars; see ``window_cache``)."""
    return f"{WINDOWS_PREFIX}{day.isoformat()}.bin"


def state_key(name: str) -> str:
    """Key of a small state document."""
    return f"state/{name}.json"


def positions_from_csv(data: bytes) -> pd.DataFrame:
    """Parse a stored positions snapshot (whole, with a symbol column)."""
    if data and not data.endswith(b"\n"):
        raise ValueError("the last row is cut short (no final newline)")
    frame = pd.read_csv(io.BytesIO(data), dtype={"symbol": str})
    if "symbol" not in frame.columns:
        raise ValueError("no symbol column")
    return frame


def parser_for(key: str) -> Callable[[bytes], Any]:
    """How the object at ``key`` is parsed, strictly, by its kind."""
    day = day_of(key)
    if key.startswith(("bars/", "additions/")) and key.endswith(".csv"):
        return functools.partial(bars_from_csv, day=day)
    if key.startswith("reports/") and key.endswith(".csv"):
        return report_from_csv
    if key.startswith("positions/"):
        return positions_from_csv
    if key.startswith("windows/"):
        return window_from_bytes
    return json_document


def day_of(key: str) -> date | None:
    match = re.match(r"^[a-z]+/(\d{4}-\d{2}-\d{2})[./]", key)
    try:
        return date.fromisoformat(match[1]) if match else None
    except ValueError:
        return None


def omitted_key(day: date) -> str:
    """Key of the symbols a day's bars were stored without (they kept failing)."""
    return f"omitted/{day.isoformat()}.json"


def addition_key(day: date, number: int) -> str:
    """Key of the ``number``-th addition to a day's bars (omitted symbols fetched later)."""
    return f"additions/{day.isoformat()}.{number}.csv"


def addition_keys(store: Store, days: list[date]) -> list[str]:
    """The additions stored for ``days``, in day and number order."""
    wanted = {day.isoformat() for day in days}
    matches = [ADDITION_KEY.match(key) for key in store.list("additions/")]
    return [match[0] for match in sorted((m for m in matches if m and m["day"] in wanted), key=lambda m: (m["day"], int(m["n"])))]
