"""The score's backtest on the real bars: ``make backtest`` (``python -m bench.backtest``).

For every report day from 2022-09-01 to 2023-09-29 (the period the score was chosen on) it
builds the day's report from the bars up to that day (the same ``build_report`` the collector
runs), then follows the top 10 and top 25 by score and by drawdown rank, and the universe median,
for 21 and 63 sessions (``shared.core.backtest``). It prints the tables README shows: the groups,
then the score against the drawdown rank with a standard error; then the same for the
out-of-sample days 2023-10-02 to 2024-02-29 (not used to choose the score; the bars end in
March 2024, so its 63-session returns stop in early December 2023).

    python -m bench.backtest [--bars FILE] [--universe DATED_FILE] [--start D] [--end D]
                             [--oos-start D] [--oos-end D] [--no-oos]

``--bars`` defaults to ../shared/data/daily_bars.csv.gz (the project's reference data); forward
returns use its ``adj_close`` (dividends in) where the file has one. ``--universe`` takes a dated
universe file (see README: point-in-time members); without it every symbol of the file counts,
which is today's constituents applied to the past (survivorship: failed names are missing).
Not a benchmark: ``python -m bench`` does not run it.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd

from shared.adapters.universe import load_dated_universe, members_on
from shared.core.analytics import build_report
from shared.core.backtest import pick_returns, score_against_drawdown, summarise
from shared.core.trading_calendar import trading_days

DEFAULT_BARS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "daily_bars.csv.gz"
LOOKBACK_DAYS = 180


def read_bars(path: Path) -> pd.DataFrame:
    """The bars file (``ticker`` or ``symbol``; ``adj_close`` kept when present), by symbol and date."""
    frame = pd.read_csv(path).rename(columns={"ticker": "symbol"})
    frame = frame.assign(date=pd.to_datetime(frame["date"]), symbol=frame["symbol"].astype(str))
    return frame.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)


def run(bars: pd.DataFrame, start: date, end: date, members: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For the report days in [start, end]: the summary table of ``shared.core.backtest`` and
    the score against the drawdown rank."""
    columns = ["symbol", "date", "open", "high", "low", "close", "volume"]
    prices = bars.loc[:, columns]
    universe = pd.DataFrame({"symbol": sorted(prices["symbol"].unique())}).assign(name="", sector="Unknown")
    days = trading_days(start, end)
    reports = [build_report(prices, universe, day.date(), LOOKBACK_DAYS).assign(as_of=day) for day in days]
    ranked = pd.concat(reports, ignore_index=True).loc[:, ["as_of", "symbol", "rank", "score_rank"]]
    closes = bars.pivot(index="date", columns="symbol", values="adj_close" if "adj_close" in bars else "close")
    picks = pick_returns(ranked, closes, members)
    return summarise(picks), score_against_drawdown(picks)


def markdown(table: pd.DataFrame) -> str:
    """The table as README shows it (percent with two decimals, shares as percent)."""
    lines = [
        "| group | days | mean 21-session return | excess over median | beat the median | days | mean 63-session return | excess over median | beat the median |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for group, row in table.iterrows():
        beat21 = "" if pd.isna(row["beat_share_21"]) or group == "universe median" else f"{row['beat_share_21'] * 100:.0f}%"
        beat63 = "" if pd.isna(row["beat_share_63"]) or group == "universe median" else f"{row['beat_share_63'] * 100:.0f}%"
        lines.append(
            f"| {group} | {int(row['days_21'])} | {row['mean_return_pct_21']:+.2f}% | {row['excess_pct_21']:+.2f} | {beat21} "
            f"| {int(row['days_63'])} | {row['mean_return_pct_63']:+.2f}% | {row['excess_pct_63']:+.2f} | {beat63} |"
        )
    return "\n".join(lines)


def versus(table: pd.DataFrame) -> str:
    """The score against the drawdown rank as README shows it (points, ± one standard error)."""
    lines = ["| score's top n minus drawdown's top n | days | 21 sessions | days | 63 sessions |", "|---|---|---|---|---|"]
    for size in table.index.get_level_values("size").unique():
        cells = []
        for horizon in (21, 63):
            row = table.loc[(size, horizon)]
            error = "" if pd.isna(row["standard_error"]) else f" ± {row['standard_error']:.2f}"
            cells.append(f"{int(row['days'])} | {row['difference']:+.2f}{error}")
        lines.append(f"| top {size} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bars", type=Path, default=DEFAULT_BARS)
    parser.add_argument("--universe", type=Path, help="a dated universe file (symbol,start,end or date,symbol)")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2022, 9, 1))
    parser.add_argument("--end", type=date.fromisoformat, default=date(2023, 9, 29))
    parser.add_argument("--oos-start", type=date.fromisoformat, default=date(2023, 10, 2))
    parser.add_argument("--oos-end", type=date.fromisoformat, default=date(2024, 2, 29))
    parser.add_argument("--no-oos", action="store_true", help="skip the out-of-sample days")
    args = parser.parse_args(argv)
    if not args.bars.exists():
        print(f"no bars file at {args.bars}: pass --bars", file=sys.stderr)
        return 2
    started = time.monotonic()
    bars = read_bars(args.bars)
    periods = [("report days", args.start, args.end)] + ([] if args.no_oos else [("out of sample", args.oos_start, args.oos_end)])
    for label, start, end in periods:
        dated = load_dated_universe(args.universe) if args.universe else None
        members = members_on(dated, trading_days(start, end)) if dated is not None else None
        table, against = run(bars, start, end, members)
        print(f"{label}: {start} to {end}\n\n{markdown(table)}\n\n{versus(against)}\n")
    print(f"{time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
