"""The bot's replies as HTML: pure functions from plain data to a ``Reply``.

Every dynamic string goes through ``shared.bot.formatting``'s escaping. Data lines fit a phone:
at most ``LINE_WIDTH`` characters outside ``<pre>``, ``PRE_WIDTH`` inside. Symbols in text are
``/s_SYMBOL`` commands, so one tap opens ``/stock``. The tables are in ``shared.bot.tables``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from shared.bot import callbacks
from shared.bot.formatting import (
    MISSING,
    bold,
    escape,
    fit_parts,
    is_missing,
    link,
    local_time,
    named,
    number,
    percent,
    plural,
    pre,
    shorten,
    source_label,
    stamp,
    stock_command,
    wrap_items,
)
from shared.core.charts import render_chart, short_date
from shared.core.context import EDGE_SESSIONS
from shared.core.report_view import compact_dollars
from shared.services.stocks import Chart, StockRow

#: Context columns of the report shown by /stock: (column, label, kind).
CONTEXT_COLUMNS = [
    ("ret_1d_pct", "1 day", "pct"),
    ("ret_5d_pct", "5 days", "pct"),
    ("ret_20d_pct", "20 days", "pct"),
    ("dist_ma50_pct", "vs 50-day avg", "pct"),
    ("dist_ma200_pct", "vs 200-day avg", "pct"),
    ("volatility_pct", "volatility (yr)", "abs"),
    ("drawdown_vol", "drawdown / vol", "ratio"),
    ("rebound_pct", "rebound from low", "pct"),
    ("drawdown_52w_pct", "vs 52-week high", "pct"),
    ("drawdown_stored_pct", "vs stored high", "pct"),
    ("dollar_volume_20d", "$ volume (20d)", "money"),
    ("score", "score", "ratio"),  # last: its rank is added beside it
]
#: Marks a drawdown whose peak is at the window's edge (``peak_at_window_edge``).
EDGE_MARK = "†"
#: The most positions /positions lists.
MAX_POSITIONS = 40
#: The drawdown the /stock "watch" button sets, in percent.
WATCH_BUTTON_PCT = 20

#: An inline button: (label, callback_data).
Button = tuple[str, str]


@dataclass
class Reply:
    """HTML text and optional rows of inline buttons."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)

    def reply_markup(self) -> dict[str, Any] | None:
        """The inline keyboard as Bot API JSON (python-telegram-bot's types), or None without buttons."""
        rows = [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in self.buttons if row]
        return InlineKeyboardMarkup(rows).to_dict() if rows else None


APOLOGY = Reply("Sorry, something went wrong on my side. Please try again later.")


def flags_text(flags: Any) -> str:
    """A report's ``flags`` cell as a readable list ('' when none)."""
    return "" if is_missing(flags) else ", ".join(f for f in str(flags).split(";") if f)


def _context_value(row: dict[str, Any], column: str, kind: str) -> str:
    if column not in row:
        return MISSING
    value = row[column]
    if kind == "pct":
        return percent(value)
    if kind == "abs":
        return percent(value, signed=False)
    if kind == "money":
        return MISSING if is_missing(value) else compact_dollars(float(value))
    return number(value)


def context_table(row: dict[str, Any]) -> str:
    """The context columns as a two-column ``<pre>`` table."""
    values = [(label, _context_value(row, column, kind)) for column, label, kind in CONTEXT_COLUMNS]
    if not is_missing(row.get("score_rank")):
        values[-1] = ("score", f"{values[-1][1]} (#{int(row['score_rank'])})")
    width = max(len(label) for label, _value in values) + 1
    return pre("\n".join(f"{label.ljust(width)}{value.rjust(12)}" for label, value in values))


def edge_lines(row: dict[str, Any], latest: dict[str, Any]) -> list[str]:
    """When the peak is at the window's edge: what the drawdown then is, in plain words."""
    if not at_edge(row):
        return []
    days = latest.get("lookback_days")
    span = f"its {days}-day return" if days else "the window's return"
    text = f"{EDGE_MARK} The peak is in the window's first {EDGE_SESSIONS} sessions, so {percent(row['drawdown_pct'])} is {span}, not a fall from a high."
    return [escape(line) for line in wrap_items(text.split())]


def longer_view_lines(row: dict[str, Any]) -> list[str]:
    """The 52-week high and the highest stored close, each with its day (reports before them: none)."""
    lines = []
    if "high_52w_close" in row:
        if is_missing(row.get("high_52w_close")):
            lines.append("no 52-week high: under a year stored")
        else:
            lines.append(f"52-week high {number(row['high_52w_close'])} on {short_date(row.get('high_52w_date'))}")
    if not is_missing(row.get("stored_high_close")):
        lines.append(f"stored high {number(row['stored_high_close'])} on {short_date(row.get('stored_high_date'))}")
        if not is_missing(row.get("stored_first_date")):
            lines.append(f"(bars stored since {short_date(row['stored_first_date'])})")
    return [escape(line) for line in lines]


def at_edge(row: dict[Any, Any]) -> bool:
    """Whether a report row's peak is at the window's edge (reports before the column: no)."""
    value = row.get("peak_at_window_edge")
    return not is_missing(value) and str(value).lower() in ("true", "1", "1.0")


def stock(found: StockRow, chart: Chart | None, latest: dict[str, Any], back: callbacks.TopPage | None = None) -> Reply:
    """The detail view of one symbol: the numbers, the context and the window's chart (its high
    label is the stated peak, in the same format), with refresh, watch and back buttons."""
    row, symbol = found.row, found.symbol
    rank = "unranked" if is_missing(row.get("rank")) else f"#{int(row['rank'])} of {found.ranked}"
    days = int(row["days_since_peak"])
    lines = [
        f"{bold(symbol)} · {escape(shorten(str(row.get('name') or ''), 37 - len(symbol)))}",
        *(escape(line) for line in fit_parts([str(row.get("sector") or "Unknown"), rank])),
        *(escape(line) for line in (wrap_items([stock_command(other) for other in found.other_classes], lead="also listed:") if found.other_classes else [])),
        f"close {bold(number(row['close']))} · drawdown {bold(percent(row['drawdown_pct']))}",
        *(escape(line) for line in fit_parts([f"peak {number(row['peak_close'])} on {short_date(row['peak_date'])}", "today" if days == 0 else f"{plural(days, 'day')} ago"])),
    ]
    trough = row.get("trough_close")
    if not is_missing(trough):
        when = "" if is_missing(row.get("trough_date")) else f" on {short_date(row['trough_date'])}"
        lines.append(escape(f"low since peak {number(trough)}{when}"))
    lines += edge_lines(row, latest) + longer_view_lines(row)
    lines.append(context_table(row))
    flags = flags_text(row.get("flags"))
    lines += [escape(line) for line in fit_parts([f"flags: {flag}" if i == 0 else flag for i, flag in enumerate(flags.split(", "))], separator=", ")] if flags else ["flags: none"]
    if chart is None:
        lines.append(pre("no closes in the window"))
    else:
        drawn = render_chart(chart.points, chart.start, chart.end, label=number)
        adjusted = "\nsplit-adjusted, as the drawdown" if chart.split_adjusted else ""
        lines.append(pre(f"{drawn}\npeak {short_date(row['peak_date'])} · last {number(row['close'])}{adjusted}"))
    lines.append(stamp(latest))
    buttons = [
        ("↻ Refresh", callbacks.encode(callbacks.StockView(symbol, back))),
        (f"👀 Watch −{WATCH_BUTTON_PCT}%", callbacks.encode(callbacks.WatchButton(symbol, WATCH_BUTTON_PCT))),
    ]
    back_page = back or callbacks.TopPage(found.as_of, 0, 10)
    return Reply("\n".join(lines), [buttons, [("◀ Back to the list", callbacks.encode(back_page))]])


def download(url: str, day: date, minutes: int, latest: dict[str, Any] | None) -> Reply:
    """A link to a report CSV; ``latest`` (for the stamp) when the day is the latest report's."""
    lines = [f"📄 {link(url, f'report {day.isoformat()}.csv')}", f"<i>The link works for {minutes} minutes.</i>"]
    if latest is not None:
        lines.append(stamp(latest))
    return Reply("\n".join(lines))


def _symbols(label: str, symbols: list[str]) -> list[str]:
    return [escape(line) for line in wrap_items(named(symbols), lead=f"{label} {len(symbols)}:")]


def run_lines(run: dict[str, Any], now: datetime) -> list[str]:
    """A run's time (New York), duration, source, coverage, and the missing and failed symbols by
    name (the first ten of each)."""
    lines = [
        escape(f"{local_time(run.get('finished_at') or run.get('started_at'), now)}, {number(run.get('duration_s'), 0)} s"),
        *(escape(line) for line in fit_parts([f"as of {run.get('as_of')}", source_label(run.get("source"))])),
        *(escape(line) for line in fit_parts([f"ranked {run.get('ranked')}/{run.get('universe')}", f"excluded {run.get('excluded')}"])),
    ]
    missing, failed = list(run.get("missing") or []), dict(run.get("failed") or {})
    if missing:
        lines += _symbols("missing", missing)
    if failed:
        lines += _symbols("failed", list(failed))
        reasons = sorted(set(str(reason) for reason in failed.values()))
        lines += [escape(f"· {shorten(reason, 38)}") for reason in reasons[:3]]
    if run.get("error"):
        lines.append(f"error: {escape(shorten(str(run['error']), 300))}")
    return lines


def status(state: dict[str, Any], now: datetime) -> Reply:
    """The last run: when (New York time), how long, the source, coverage, and which symbols are
    missing or failed."""
    run = state.get("last_run")
    if run is None:
        return Reply("No collection has run yet.")
    lines = [bold(f"Last run: {run.get('outcome')}"), *run_lines(run, now)]
    latest = state.get("latest_report")
    if latest:
        lines.append(stamp(latest))
    return Reply("\n".join(lines))


def version(release: str, build: str, source: str, store: str, run: dict[str, Any] | None, now: datetime) -> Reply:
    """``/version``: the release and build, the data source and store, and the last run."""
    lines = [bold(f"dipwatch {release}"), escape(f"build {shorten(build, 34)}"), escape(f"source {source_label(source)}")]
    lines.append(escape(f"store {store if len(store) <= 34 else '…' + store[-33:]}"))  # the tail names the source
    if run is None:
        lines.append("no collection has run yet")
    else:
        when = local_time(run.get("finished_at") or run.get("started_at"), now)
        lines += [escape(line) for line in fit_parts([f"last run {run.get('outcome')}", when, f"as of {run.get('as_of')}"])]
    return Reply("\n".join(lines))


def account(info: dict[str, Any]) -> Reply:
    """The account's equity, today's change, cash and buying power."""
    currency = info.get("currency") or ""
    lines = [
        bold(f"Account · {info.get('status', '?')}"),
        f"equity {bold(number(info.get('equity')))} {escape(currency)}",
        escape(f"today {number(info.get('day_change'))} ({percent(info.get('day_change_pct'), 2)})"),
        *(escape(line) for line in fit_parts([f"cash {number(info.get('cash'))}", f"buying power {number(info.get('buying_power'))}"])),
    ]
    return Reply("\n".join(lines))


def positions(frame: pd.DataFrame, latest: dict[str, Any] | None, edge_note: list[str] | None = None) -> Reply:
    """Open positions, largest first, each with its gain, value and latest drawdown rank
    (``EDGE_MARK`` and then ``edge_note`` under the list when a peak is at the window's edge)."""
    if frame.empty:
        return Reply("No open positions.")
    value = number(frame["market_value"].sum(), 0)
    lines = [bold(f"{plural(len(frame), 'position')} · {value}")]
    shown = frame.head(MAX_POSITIONS).to_dict(orient="records")
    for row in shown:
        rank = "unranked" if is_missing(row["rank"]) else f"#{int(row['rank'])} {percent(row['drawdown_pct'])}{EDGE_MARK if at_edge(row) else ''}"
        parts = [f"{stock_command(row['symbol'])} {percent(row['gain_pct'])}", number(row["market_value"]), rank]
        lines += [escape(line) for line in fit_parts(parts)]
    if len(frame) > MAX_POSITIONS:
        lines.append(f"<i>and {len(frame) - MAX_POSITIONS} more</i>")
    lines += (edge_note or []) if any(at_edge(row) and not is_missing(row["rank"]) for row in shown) else []
    if latest is not None:
        lines.append(stamp(latest))
    return Reply("\n".join(lines))


def monitor(check: dict[str, Any]) -> Reply:
    """Whether the five best-gaining positions average the profit target."""
    if not check["top"]:
        return Reply("No open positions to monitor.")
    verdict = "🎯 target reached" if check["reached"] else "not there yet"
    lines = [
        bold(f"Monitor · target {percent(check['target_pct'], 0, signed=False)}"),
        *(escape(line) for line in fit_parts([f"top {len(check['top'])} average {percent(check['average_gain_pct'])}", verdict])),
    ]
    if check["reached"]:
        lines.append("Consider taking profits.")
    lines += [escape(f"{stock_command(item['symbol'])} {percent(item['gain_pct'])}") for item in check["top"]]
    return Reply("\n".join(lines))


def watches(
    items: dict[str, dict[str, Any]], drawdowns: dict[str, float], latest: dict[str, Any] | None, edges: frozenset[str] = frozenset(), edge_note: list[str] | None = None
) -> Reply:
    """A chat's watches, each with its threshold, the current drawdown (``EDGE_MARK`` for a symbol
    of ``edges``, with ``edge_note`` under the list) and the last alert."""
    if not items:
        return Reply("No watches. Add one with /watch SYMBOL PCT.")
    lines = [bold(plural(len(items), "watch", "watches"))]
    for symbol, item in sorted(items.items()):
        now = drawdowns.get(symbol)
        mark = EDGE_MARK if symbol in edges else ""
        parts = [f"{stock_command(symbol)} at {percent(-float(item['pct']))}", f"now {percent(now)}{mark}" if now is not None else "no data"]
        if item.get("last_sent"):
            parts.append(f"alerted {item['last_sent']}")
        lines += [escape(line) for line in fit_parts(parts)]
    lines += (edge_note or []) if edges & set(items) & set(drawdowns) else []
    if latest is not None:
        lines.append(stamp(latest))
    return Reply("\n".join(lines))
