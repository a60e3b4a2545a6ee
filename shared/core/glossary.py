"""What dipwatch's flags and columns mean, in words people read on a page or in the API docs.

A flag or column added later without an entry here still shows, under a label made from its name.
"""
from __future__ import annotations

#: Each data-quality flag, said plainly (see ``shared.core.quality`` for the exact checks).
FLAG_MEANINGS: dict[str, str] = {
    "missing_bars": "A trading session in the window has no bar for this stock.",
    "stale": "The last bar is older than the report's day, or repeats the bar before it exactly.",
    "bad_price": "A bar has an impossible price (empty, zero or negative, or outside its day's range); excluded from the ranking.",
    "zero_volume": "A bar in the window traded no shares.",
    "split_suspect": "A one-day jump looks like a stock split in raw prices, but neither the volume nor an announcement confirms it; excluded from the ranking while it is in the window.",
    "split_adjusted": "A stock split in the raw prices was confirmed (by the volume or the broker's announcement) and undone for this report: earlier prices divided by the ratio; the stock stays ranked.",
    "outlier_return": "One day's move is far outside this stock's usual range.",
    "short_history": "The stock's first bar comes after the window's start (a new listing, or history not yet stored).",
    "peak_at_window_edge": (
        "The peak is in the window's first 5 sessions: the stock was already falling when the window began, so the "
        "drawdown is the window's return (about 6 months), not the distance from a high. See the 52-week figures."
    ),
}

#: Column -> (short label for a table header, longer description).
COLUMNS: dict[str, tuple[str, str]] = {
    "rank": ("Rank", "1 is the deepest drawdown among ranked stocks; empty when excluded."),
    "symbol": ("Symbol", "The ticker; share classes written with a dot (BRK.B)."),
    "name": ("Name", "The company's name."),
    "sector": ("Sector", "The GICS sector."),
    "close": ("Close", "The close on the report's day."),
    "peak_close": ("Peak", "The highest close in the window."),
    "peak_date": ("Peak date", "The latest day the peak close was reached."),
    "drawdown_pct": ("Drawdown", "How far the close is below the peak, in percent."),
    "days_since_peak": ("Days", "Calendar days since the peak."),
    "flags": ("Flags", "Data-quality flags."),
    "ret_1d_pct": ("1 day", "Return over the last session, in percent."),
    "ret_5d_pct": ("5 days", "Return over the last 5 sessions, in percent."),
    "ret_20d_pct": ("20 days", "Return over the last 20 sessions, in percent."),
    "dist_ma50_pct": ("vs 50-day avg", "The close against its 50-session average, in percent."),
    "dist_ma200_pct": ("vs 200-day avg", "The close against its 200-session average, in percent."),
    "volatility_pct": ("Volatility", "Annualised volatility of daily returns in the window, in percent."),
    "drawdown_vol": ("Drawdown / vol", "The drawdown in units of annual volatility."),
    "trough_close": ("Trough", "The lowest close since the peak."),
    "trough_date": ("Trough date", "The latest day of the trough close."),
    "rebound_pct": ("Rebound", "How far the close is above the trough, in percent."),
    "score": ("Score", "The composite score: deep drawdowns that have stopped falling score highest."),
    "score_rank": ("Score rank", "1 is the highest score among ranked stocks."),
    "peak_at_window_edge": ("Peak at window edge", FLAG_MEANINGS["peak_at_window_edge"]),
    "high_52w_close": ("52-week high", "The highest close of the last 52 weeks; empty until 52 weeks of bars are stored."),
    "high_52w_date": ("52-week high date", "The latest day of the 52-week high close."),
    "drawdown_52w_pct": ("From 52-week high", "How far the close is below the 52-week high, in percent."),
    "stored_high_close": ("Highest stored close", "The highest close dipwatch has stored for the stock, from the first stored day on."),
    "stored_high_date": ("Highest stored date", "The latest day of the highest stored close."),
    "drawdown_stored_pct": ("From stored high", "How far the close is below the highest stored close, in percent."),
    "stored_first_date": ("Stored since", "The first day the highest stored close covers."),
    "dollar_volume_20d": ("Dollar volume (20d)", "The average of close × volume over the last 20 sessions, in dollars."),
    "other_classes": ("Other classes", "The company's other share classes, less traded, when share classes are grouped."),
}


def flag_meaning(flag: str) -> str:
    """What ``flag`` means, or its name in words when it has no entry."""
    return FLAG_MEANINGS.get(flag, flag.replace("_", " ").capitalize() + ".")


def column_label(column: str) -> str:
    """A short header for ``column``."""
    if column in COLUMNS:
        return COLUMNS[column][0]
    words = column.removesuffix("_pct").replace("_", " ")
    return words[:1].upper() + words[1:]


def column_description(column: str) -> str:
    """What ``column`` holds, or an empty string when it has no entry."""
    return COLUMNS.get(column, ("", ""))[1]


#: Said wherever the track record is shown: why its numbers flatter.
SURVIVORSHIP_CAVEAT = (
    "The universe is today's members. Companies that were dropped from it, merged away or went bankrupt are not in "
    "the stored history, so the worst outcomes of past dips are missing and these returns read too good."
)
