"""A report as people read it: filtered, sorted, paged, and rounded to what its numbers mean.

Pure functions over a report frame (``shared.core.analytics.REPORT_COLUMNS`` and any columns
added later); the web pages, the JSON API and its CSV export share them.

Grouped, a company's share classes take one row, its most traded class's, with the others named
in ``other_classes``. Sorting never mixes the ranked rows with the excluded ones: ranked rows come first in the
chosen order, then the excluded rows in the same order. Empty values sort last.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from shared.core.quality import FLAG_NAMES, explode_flags
from shared.core.share_classes import group_share_classes

#: Sort keys: name -> (column, ascending by default). The default puts the dip-buyer's end first:
#: the deepest drawdown, the best score, the longest time since the peak, the worst returns.
SORT_KEYS: dict[str, tuple[str, bool]] = {
    "rank": ("rank", True),
    "drawdown": ("drawdown_pct", True),
    "score": ("score", False),
    "days_since_peak": ("days_since_peak", False),
    "ret_1d": ("ret_1d_pct", True),
    "ret_5d": ("ret_5d_pct", True),
    "ret_20d": ("ret_20d_pct", True),
    "symbol": ("symbol", True),
}
#: ``flag=none`` keeps the rows without any flag.
NO_FLAG = "none"
#: Price columns keep cents, or four decimals below a dollar (sub-dollar quotes have them).
PRICE_COLUMNS = ("close", "peak_close", "trough_close")
#: Unitless ratios shown to two decimals, like the percentages.
RATIO_COLUMNS = ("score", "drawdown_vol")


@dataclass(frozen=True)
class ReportQuery:
    """What to show of a report. ``limit`` None means every matching row."""

    sort: str = "rank"
    descending: bool | None = None  # None: the key's natural order (SORT_KEYS)
    sector: str | None = None
    flag: str | None = None
    offset: int = 0
    limit: int | None = None
    grouped: bool = False  # one row per company (see shared.core.share_classes)

    @property
    def is_descending(self) -> bool:
        """The direction in effect."""
        return (not SORT_KEYS[self.sort][1]) if self.descending is None else self.descending


@dataclass(frozen=True)
class ReportPage:
    """One page of a filtered and sorted report, with what the filters may choose from."""

    rows: pd.DataFrame
    total: int  # rows matching the filters, over all pages
    query: ReportQuery
    sectors: list[str] = field(default_factory=list)  # every sector in the report, sorted
    flags: list[str] = field(default_factory=list)  # every flag in the report, in FLAG_NAMES order first

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page, or None on the last one."""
        end = self.query.offset + len(self.rows)
        return end if end < self.total else None

    @property
    def previous_offset(self) -> int | None:
        """The offset of the previous page, or None on the first one."""
        if self.query.offset <= 0:
            return None
        return max(0, self.query.offset - (self.query.limit or self.query.offset))


def report_sectors(report: pd.DataFrame) -> list[str]:
    """The report's sectors, sorted."""
    return sorted(str(sector) for sector in report["sector"].dropna().unique())


def report_flags(report: pd.DataFrame) -> list[str]:
    """The flags present in the report: known ones in ``FLAG_NAMES`` order, then others by name."""
    present = set(explode_flags(report["flags"].reset_index(drop=True)).astype(str))
    return [name for name in FLAG_NAMES if name in present] + sorted(present - set(FLAG_NAMES))


def has_flag(flags: pd.Series, flag: str) -> pd.Series:
    """True where ``flags`` (``;``-joined strings) holds ``flag``; ``NO_FLAG`` matches the empty ones."""
    if flag == NO_FLAG:
        return flags.fillna("").astype(str).str.strip() == ""
    names = explode_flags(flags.reset_index(drop=True))
    hit = (names == flag).groupby(level=0).any().reindex(range(len(flags)), fill_value=False)
    return pd.Series(hit.to_numpy(dtype=bool), index=flags.index)


def sort_report(report: pd.DataFrame, sort: str, descending: bool) -> pd.DataFrame:
    """Ranked rows first, each group in ``sort``'s order (empty values last); ties by symbol."""
    column = SORT_KEYS[sort][0]
    if column not in report:
        column = "rank"
    unranked = report["rank"].isna().astype(int).rename("_unranked")
    keyed = report.assign(_unranked=unranked)
    by = ["_unranked", column] if column == "symbol" else ["_unranked", column, "symbol"]
    ascending = [True, not descending] + ([True] if column != "symbol" else [])
    ordered = keyed.sort_values(by, ascending=ascending, kind="stable", na_position="last")
    return ordered.drop(columns="_unranked").reset_index(drop=True)


def view_report(report: pd.DataFrame, query: ReportQuery) -> ReportPage:
    """The rows of ``report`` that ``query`` selects, sorted, grouped by company when the query
    asks (each company at its leading class's place) and cut to its page."""
    selected = report
    if query.sector is not None:
        selected = selected[selected["sector"].str.casefold() == query.sector.casefold()]
    if query.flag is not None:
        selected = selected[has_flag(selected["flags"], query.flag)]
    ordered = sort_report(selected, query.sort, query.is_descending)
    if query.grouped:
        ordered = group_share_classes(ordered).reset_index(drop=True)
    end = None if query.limit is None else query.offset + query.limit
    return ReportPage(
        rows=ordered.iloc[query.offset : end].reset_index(drop=True),
        total=len(ordered),
        query=query,
        sectors=report_sectors(report),
        flags=report_flags(report),
    )


def round_prices(values: pd.Series) -> pd.Series:
    """Prices to cents, or to four decimals below one dollar."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return pd.Series(np.where(numbers.abs() >= 1, numbers.round(2), numbers.round(4)), index=values.index)


def round_to_meaning(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every number rounded to what it means: prices to cents (four decimals
    below a dollar), percentages (``*_pct``) and ratios to two decimals. Other columns unchanged."""
    changes: dict[str, pd.Series] = {}
    for column in frame.columns:
        name = str(column)
        if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_integer_dtype(frame[column]):
            continue
        if name in PRICE_COLUMNS or name.endswith("_close") or name.endswith("_price"):
            changes[name] = round_prices(frame[column])
        elif name.endswith("_pct") or name in RATIO_COLUMNS:
            changes[name] = frame[column].round(2)
    return frame.assign(**changes)


def compact_dollars(value: float) -> str:
    """Dollars as people say them: ``$1.2B``, ``$34.5M``, ``$980.0K``, ``$512``."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"${value / size:,.1f}{suffix}"
    return f"${value:,.0f}"


def _plain(value: object) -> object:
    """A frame cell as JSON: dates and (midnight) timestamps as YYYY-MM-DD, NaN and NA as None, numpy scalars as Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def to_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """``frame``'s rows as JSON-ready dicts (see ``_plain``), columns in order."""
    columns = [str(column) for column in frame.columns]
    return [dict(zip(columns, map(_plain, row))) for row in frame.itertuples(index=False, name=None)]
