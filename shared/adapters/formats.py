"""How dipwatch's records are written as bytes and read back.

Writing is deterministic (same frame, same bytes), which is what makes a rerun a no-op on
immutable objects. Reading raises ``CorruptObject`` naming the key when the bytes do not parse
as what the key says they are.
"""
from __future__ import annotations

import io
import json
from typing import Any, Callable, TypeVar

import pandas as pd

from shared.core.bars import BAR_COLUMNS, normalise_bars
from shared.errors import CorruptObject

T = TypeVar("T")


def parsed(key: str, data: bytes, parse: Callable[[bytes], T]) -> T:
    """``parse(data)``, or CorruptObject naming ``key`` when the bytes do not parse."""
    try:
        return parse(data)
    except (ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError) as error:
        # pandas' ParserError and json's JSONDecodeError are ValueErrors.
        raise CorruptObject(key, f"{type(error).__name__}: {str(error)[:200]}") from error


def bars_to_csv(bars: pd.DataFrame) -> bytes:
    """Deterministic CSV bytes for a bars frame."""
    frame = normalise_bars(bars).assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d"))
    return str(frame.to_csv(index=False, lineterminator="\n")).encode()


def bars_from_csv(data: bytes) -> pd.DataFrame:
    """Parse a stored bars object."""
    frame = pd.read_csv(io.BytesIO(data), dtype={"symbol": str}, keep_default_na=False, na_values=[""])
    return normalise_bars(frame.loc[:, BAR_COLUMNS])


def report_to_csv(report: pd.DataFrame) -> bytes:
    """Deterministic CSV bytes for a report; ``rank`` is empty for unranked rows."""
    frame = report.assign(peak_date=pd.to_datetime(report["peak_date"]).dt.strftime("%Y-%m-%d"))
    if "trough_date" in frame:
        frame = frame.assign(trough_date=pd.to_datetime(frame["trough_date"]).dt.strftime("%Y-%m-%d"))
    return str(frame.to_csv(index=False, lineterminator="\n", float_format="%.10g")).encode()


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


def positions_to_csv(positions: pd.DataFrame) -> bytes:
    """CSV bytes for a positions snapshot."""
    return str(positions.to_csv(index=False, lineterminator="\n")).encode()


def json_bytes(payload: dict[str, Any]) -> bytes:
    """Deterministic, readable JSON bytes for a document."""
    return (json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n").encode()


def json_document(data: bytes) -> dict[str, Any]:
    """Parse a JSON document; it must be an object."""
    document = json.loads(data)
    if not isinstance(document, dict):
        raise ValueError(f"expected a JSON object, found {type(document).__name__}")
    return document
