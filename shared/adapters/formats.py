"""How dipwatch's records are written as bytes and read back.

Writing is deterministic (same frame, same bytes), which is what makes a rerun a no-op on
immutable objects. Reading raises ``CorruptObject`` naming the key when the bytes do not parse
as what the key says they are.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date
from typing import Any, Callable, Iterator, TypeVar

import numpy as np
import pandas as pd

from shared.adapters.day_rows import bar_values, render_lines
from shared.core.bars import BAR_COLUMNS, normalise_bars
from shared.errors import CorruptObject
from shared.ports import RenderedDays

T = TypeVar("T")


def parsed(key: str, data: bytes, parse: Callable[[bytes], T]) -> T:
    """``parse(data)``, or CorruptObject naming ``key`` when the bytes do not parse."""
    try:
        return parse(data)
    except (ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError, RecursionError) as error:
        # pandas' ParserError and json's JSONDecodeError are ValueErrors.
        raise CorruptObject(key, f"{type(error).__name__}: {str(error)[:200]}") from error


def bars_to_csv(bars: pd.DataFrame) -> bytes:
    """Deterministic CSV bytes for a bars frame."""
    frame = normalise_bars(bars).assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d"))
    return str(frame.to_csv(index=False, lineterminator="\n")).encode()


def bars_csv_by_day(bars: pd.DataFrame, rendered: RenderedDays | None = None) -> Iterator[tuple[date, bytes]]:
    """Each day's object, byte for byte what ``bars_to_csv`` writes for that day's rows, in date
    order. A day's rows come from ``rendered`` when it holds exactly them (rendered while the
    fetch waited), else they are formatted here. The frame is cut into days once, as arrays:
    a backfill's 125 days are not 125 frames."""
    frame = normalise_bars(bars)
    if frame.empty:
        return
    header = ",".join(BAR_COLUMNS).encode() + b"\n"
    stamps = frame["date"].to_numpy().view(np.int64)
    order = np.argsort(stamps, kind="stable")  # by day; within a day, symbol order is kept
    stamps = stamps[order]
    edges = np.flatnonzero(np.r_[True, stamps[1:] != stamps[:-1], True]).tolist()
    symbols = np.asarray(frame["symbol"].to_numpy(), dtype=object)
    by_day: pd.DataFrame | None = None  # sorted by day once, on the first day not rendered ahead
    for a, b in zip(edges[:-1], edges[1:]):
        day = pd.Timestamp(stamps[a]).date()
        # A day's values are gathered for its check alone: all at once, they would be 40 bytes
        # a bar (50 MB for 10,000 symbols) held through the writes.
        rows = order[a:b]
        found = None if rendered is None else rendered.rows_for(day, symbols[rows], bar_values(frame, rows))
        if found is None:
            by_day = frame.take(order) if by_day is None else by_day
            found = _day_rows(by_day.iloc[a:b])
        yield day, header + found


def _day_rows(part: pd.DataFrame) -> bytes:
    lines = render_lines(part)
    if lines is not None:
        return ("\n".join(lines) + "\n").encode()
    text = str(part.assign(date=part["date"].dt.strftime("%Y-%m-%d")).to_csv(index=False, lineterminator="\n"))
    return text.partition("\n")[2].encode()


_BAR_HEADER = ",".join(BAR_COLUMNS).encode()
_BAR_DTYPES: dict[str, Any] = {"symbol": str, "date": str, "open": float, "high": float, "low": float, "close": float, "volume": "int64"}
#: The columns every stored report has (the user-facing contract), and how each must parse.
REPORT_REQUIRED = ("rank", "symbol", "name", "sector", "close", "peak_close", "peak_date", "drawdown_pct", "days_since_peak", "flags")
_REPORT_NUMBERS = ("close", "peak_close", "drawdown_pct", "days_since_peak")


def _whole(data: bytes) -> None:
    """Every object we write ends with a newline: one that does not was cut short."""
    if data and not data.endswith(b"\n"):
        raise ValueError("the last row is cut short (no final newline)")


def _iso_dates(values: pd.Series, column: str) -> pd.Series:
    """Strictly ``YYYY-MM-DD`` (empty allowed where the caller says so)."""
    try:
        return pd.to_datetime(values, format="%Y-%m-%d")
    except (ValueError, TypeError) as error:
        raise ValueError(f"column {column} holds a value that is not a YYYY-MM-DD date ({error})") from None


def bars_from_csv(data: bytes, day: date | None = None) -> pd.DataFrame:
    """Parse a stored bars object strictly: exactly ``BAR_COLUMNS`` (in any order), typed values, one row per
    (symbol, date), and (when ``day`` is given) only rows of that day. Raises ValueError."""
    header, _, _rest = data.partition(b"\n")
    columns = header.rstrip(b"\r").split(b",")
    if len(columns) != len(BAR_COLUMNS) or {column.decode(errors="replace") for column in columns} != set(BAR_COLUMNS):
        raise ValueError(f"columns are {header[:120].decode(errors='replace')!r}, not {_BAR_HEADER.decode()!r}")
    _whole(data)
    frame = pd.read_csv(io.BytesIO(data), dtype=_BAR_DTYPES, keep_default_na=False, na_values={column: [""] for column in ("open", "high", "low", "close")})
    if (frame["symbol"] == "").any():
        raise ValueError("a row has no symbol")
    frame["date"] = _iso_dates(frame["date"], "date")
    if day is not None and not (frame["date"] == pd.Timestamp(day)).all():
        raise ValueError(f"holds rows not dated {day.isoformat()}")
    if frame.duplicated(["symbol", "date"]).any():
        raise ValueError("a (symbol, date) appears twice")
    # One string object per symbol across all days read (sys.intern): a window of 10,000 symbols
    # holds 10,000 strings, not two million, and their hashes are computed once for every groupby.
    frame["symbol"] = [sys.intern(str(symbol)) for symbol in frame["symbol"].tolist()]
    return normalise_bars(frame.loc[:, BAR_COLUMNS])


def _date_columns(report: pd.DataFrame) -> list[str]:
    """A report's day columns (``peak_date``, ``trough_date``, ...): named ``*_date``."""
    return [str(column) for column in report.columns if str(column).endswith("_date")]


def _ten_digits(values: pd.Series) -> list[str]:
    """A float column as ``to_csv(float_format="%.10g")`` writes it (NaN empty), formatted in one
    pass: pandas formats each value through several calls, a third of a 10,000-row report's time."""
    floats = values.to_numpy(dtype=float)
    text = list(map("%.10g".__mod__, floats.tolist()))
    for i in np.flatnonzero(np.isnan(floats)).tolist():
        text[i] = ""
    return text


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _cells(column: pd.Series) -> list[str] | None:
    """A column's cells as ``to_csv`` writes them (missing values empty), or None for a type
    this does not cover (left to pandas)."""
    dtype = column.dtype
    if dtype == np.dtype(bool):
        return ["True" if value else "False" for value in column.tolist()]
    if dtype.kind in "iu":  # numpy integers, and nullable ones (pd.NA empty)
        return ["" if value is pd.NA else str(value) for value in column.tolist()]
    if dtype.kind == "f":
        return _ten_digits(column)
    if dtype.kind in "OU" or isinstance(dtype, pd.StringDtype):
        values = column.tolist()
        if all(type(value) is str for value in values):
            return values
        if all(type(value) is str or _missing(value) for value in values):
            return ["" if _missing(value) else value for value in values]
    return None


def _quoted(values: list[str]) -> list[str]:
    """``values`` as the csv module writes them: a field holding a comma, a quote or a line break
    is quoted (by the csv module itself, so its rules apply exactly)."""
    whole = "\0".join(values)
    if not any(mark in whole for mark in _SPECIAL):
        return values
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    out = []
    for value in values:
        if any(mark in value for mark in _SPECIAL):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([value])
            value = buffer.getvalue()[:-1]
        out.append(value)
    return out


_SPECIAL = (",", '"', "\n", "\r")


def report_to_csv(report: pd.DataFrame) -> bytes:
    """Deterministic CSV bytes for a report; ``rank`` is empty for unranked rows. Byte for byte
    what ``to_csv(index=False)`` writes with floats as ``%.10g`` and days as ``YYYY-MM-DD``, built
    a column at a time (pandas' writer takes a second for 10,000 rows of 30 columns)."""
    dates = {column: pd.to_datetime(report[column]).dt.strftime("%Y-%m-%d") for column in _date_columns(report)}
    cells = [dates[str(column)].astype(object).fillna("").tolist() if str(column) in dates else _cells(report[column]) for column in report.columns]
    if len(report.columns) < 2 or report.columns.duplicated().any() or any(column is None for column in cells):
        floats = {str(column): _ten_digits(report[column]) for column in report.columns if report[column].dtype.kind == "f" and column not in dates}
        return str(report.assign(**dates, **floats).to_csv(index=False, lineterminator="\n")).encode()
    columns = [_quoted(column) for column in cells if column is not None]
    lines = [",".join(_quoted([str(name) for name in report.columns])), *map(",".join, zip(*columns))]
    return ("\n".join(lines) + "\n").encode()


def report_from_csv(data: bytes) -> pd.DataFrame:
    """Parse a stored report strictly: the contract's columns, one row per symbol, typed values
    (``rank`` a whole number or empty). Raises ValueError."""
    _whole(data)
    frame = pd.read_csv(io.BytesIO(data), dtype={"symbol": str, "name": str, "sector": str, "flags": str}, keep_default_na=False, na_values=[""])
    missing = [column for column in REPORT_REQUIRED if column not in frame.columns]
    if missing or frame.columns.duplicated().any():
        raise ValueError(f"columns are {list(frame.columns)[:20]}, missing {missing}")
    if frame["symbol"].isna().any() or frame["symbol"].duplicated().any():
        raise ValueError("a row has no symbol, or a symbol appears twice")
    for column in _REPORT_NUMBERS:
        frame[column] = pd.to_numeric(frame[column], errors="raise")
    frame = frame.assign(**{column: _iso_dates(frame[column], column) for column in _date_columns(frame) if column != "peak_date"})
    if "score_rank" in frame:
        frame = frame.assign(score_rank=frame["score_rank"].astype("Int64"))
    return frame.assign(
        rank=frame["rank"].astype("Int64"),
        peak_date=_iso_dates(frame["peak_date"], "peak_date"),
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


def latest_pointer(data: bytes) -> dict[str, Any]:
    """Parse ``reports/latest.json``: an object naming a valid ``as_of`` day (and its report)."""
    document = json_document(data)
    as_of = document.get("as_of")
    if not isinstance(as_of, str) or not isinstance(document.get("report", ""), str):
        raise ValueError("lacks a string as_of, or its report is not a key")
    date.fromisoformat(as_of)
    if not isinstance(document.get("top", []), list):
        raise ValueError("its top rows are not a list")
    return document
