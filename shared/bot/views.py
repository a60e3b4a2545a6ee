"""The bot's replies as HTML: pure functions from plain data to a ``Reply``.

Every dynamic string goes through ``shared.bot.formatting``'s escaping. The handlers fetch the
data; these functions only lay it out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from shared.bot import callbacks
from shared.bot.formatting import MISSING, bold, code, escape, is_missing, link, number, percent, pre, shorten, stamp
from shared.core.charts import render_chart
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
    ("score", "score", "ratio"),
]
#: The most positions /positions lists.
MAX_POSITIONS = 40


@dataclass
class Reply:
    """HTML text and an optional row of inline buttons ``(label, callback_data)``."""

    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def reply_markup(self) -> dict[str, Any] | None:
        """The inline keyboard as Bot API JSON, or None without buttons."""
        if not self.buttons:
            return None
        return {"inline_keyboard": [[{"text": label, "callback_data": data} for label, data in self.buttons]]}


APOLOGY = Reply("Sorry, something went wrong on my side. Please try again later.")


def flags_text(flags: Any) -> str:
    """A report's ``flags`` cell as a readable list ('' when none)."""
    return "" if is_missing(flags) else ", ".join(f for f in str(flags).split(";") if f)


def top_page(ranked: pd.DataFrame, page: callbacks.TopPage, sector: str | None, latest: dict[str, Any]) -> Reply:
    """One page of the ranked rows (already filtered to ``sector``), with ◀ ▶ buttons."""
    total = len(ranked)
    offset = max(0, min(page.offset, max(total - 1, 0)))
    rows = ranked.iloc[offset : offset + page.size]
    title = f"Top {offset + 1}–{offset + len(rows)} of {total}" + (f" · {sector}" if sector else "")
    lines = [bold(title)]
    for row in rows.to_dict(orient="records"):
        flag = " ⚠" if flags_text(row["flags"]) else ""
        lines.append(
            f"{int(row['rank'])}. {code(row['symbol'])} {escape(percent(row['drawdown_pct'], signed=False))} · "
            f"{int(row['days_since_peak'])}d · {escape(shorten(str(row['name']), 22))}{flag}"
        )
    if rows.empty:
        lines.append("Nothing ranked here.")
    lines.append(stamp(latest))
    buttons = []
    if offset > 0:
        buttons.append(("◀", callbacks.encode(callbacks.TopPage(page.day, max(0, offset - page.size), page.size, page.sector))))
    if offset + page.size < total:
        buttons.append(("▶", callbacks.encode(callbacks.TopPage(page.day, offset + page.size, page.size, page.sector))))
    return Reply("\n".join(lines), buttons)


def _context_value(row: dict[str, Any], column: str, kind: str) -> str:
    if column not in row:
        return MISSING
    value = row[column]
    if kind == "pct":
        return percent(value)
    if kind == "abs":
        return percent(value, signed=False)
    return number(value)


def stock(stock: StockRow, chart: Chart | None, latest: dict[str, Any]) -> Reply:
    """The detail view of one symbol: the numbers, the context and the window's chart."""
    row = stock.row
    rank = "unranked" if is_missing(row.get("rank")) else f"#{int(row['rank'])} of {stock.ranked}"
    peak_date = pd.Timestamp(row["peak_date"]).strftime("%Y-%m-%d")
    lines = [
        f"{bold(stock.symbol)} · {escape(shorten(str(row.get('name') or ''), 40))}",
        f"{escape(row.get('sector') or 'Unknown')} · {escape(rank)}",
        "",
        f"close {bold(number(row['close']))} · peak {escape(number(row['peak_close']))} on {escape(peak_date)}",
        f"drawdown {bold(percent(row['drawdown_pct']))} · {int(row['days_since_peak'])} days since peak",
    ]
    trough = row.get("trough_close")
    if "trough_close" in row and not is_missing(trough):
        trough_date: Any = row.get("trough_date")
        when = "" if is_missing(trough_date) else f" on {pd.Timestamp(trough_date).strftime('%Y-%m-%d')}"
        lines.append(f"low since peak {escape(number(trough))}{escape(when)}")
    context = [f"{label}: {_context_value(row, column, kind)}" for column, label, kind in CONTEXT_COLUMNS]
    lines += [escape(" · ".join(context[i : i + 3])) for i in range(0, len(context), 3)]
    if not is_missing(row.get("score_rank")):
        lines.append(f"score rank #{int(row['score_rank'])}")
    flags = flags_text(row.get("flags"))
    lines.append(f"flags: {escape(flags)}" if flags else "flags: none")
    lines.append(pre("no closes in the window" if chart is None else render_chart(chart.points, chart.start, chart.end)))
    lines.append(stamp(latest))
    return Reply("\n".join(lines))


def sectors(table: pd.DataFrame, latest: dict[str, Any]) -> Reply:
    """Sectors by median drawdown, deepest first, with the share of stocks 20% or more down."""
    lines = [bold("Sectors · median drawdown · share ≤ −20%")]
    for row in table.to_dict(orient="records"):
        lines.append(
            f"{escape(shorten(str(row['sector']), 26))}: {bold(percent(row['median_drawdown_pct']))} · "
            f"{escape(percent(row['share_below_20_pct'], 0, signed=False))} of {int(row['count'])}"
        )
    lines.append(stamp(latest))
    return Reply("\n".join(lines))


def changes_lines(changes: dict[str, Any], limit: int = 10) -> list[str]:
    """What changed since the previous report, as reply lines (shared with the digest)."""
    if not changes.get("previous"):
        return ["No earlier report to compare with yet."]
    lines = [f"since {escape(changes['previous'])} (top {escape(changes.get('top_n', '?'))}):"]
    entered, left = changes.get("entered") or [], changes.get("left") or []
    lines.append("entered: " + (" ".join(code(s) for s in entered[:limit]) if entered else "none"))
    lines.append("left: " + (" ".join(code(s) for s in left[:limit]) if left else "none"))
    moves = [m for m in changes.get("rank_moves") or [] if not is_missing(m.get("change")) and m.get("change")]
    for move in moves[:limit]:
        arrow = "▲" if int(move["change"]) > 0 else "▼"
        lines.append(f"{arrow} {code(move['symbol'])} #{escape(move.get('previous_rank'))} → #{escape(move.get('rank'))}")
    for item in (changes.get("new_flags") or [])[:limit]:
        lines.append(f"⚠ {code(item['symbol'])} {escape(', '.join(item.get('flags') or []))}")
    return lines


def changes(found: dict[str, Any], latest: dict[str, Any]) -> Reply:
    """Entries and exits of the top list, the biggest rank moves and new data flags."""
    return Reply("\n".join([bold(f"What changed · {found.get('as_of')}"), *changes_lines(found), stamp(latest)]))


def history(record: pd.DataFrame, latest: dict[str, Any]) -> Reply:
    """The track record: past top-10 lists against the universe median, per horizon."""
    if record.empty:
        return Reply(f"No track record yet: it needs reports at least a month old.\n{stamp(latest)}")
    lines = [bold("Track record · top 10 vs universe median")]
    for horizon, group in record.groupby("horizon", sort=False):
        lines.append(
            f"{escape(horizon)}: {len(group)} list(s) · top {bold(percent(group['top_return_pct'].mean()))} · "
            f"median {escape(percent(group['universe_median_pct'].mean()))} · excess {bold(percent(group['excess_pct'].mean()))}"
        )
    lines.append("<i>latest lists:</i>")
    for row in record.sort_values("as_of", ascending=False).head(12).to_dict(orient="records"):
        as_of = pd.Timestamp(row["as_of"]).strftime("%Y-%m-%d")
        lines.append(f"{escape(as_of)} {escape(row['horizon'])}: {escape(percent(row['top_return_pct']))} vs {escape(percent(row['universe_median_pct']))}")
    lines.append(stamp(latest))
    return Reply("\n".join(lines))


def download(url: str, day: date, minutes: int, latest: dict[str, Any] | None) -> Reply:
    """A link to a report CSV; ``latest`` (for the stamp) when the day is the latest report's."""
    lines = [f"📄 {link(url, f'report {day.isoformat()}.csv')}", f"<i>The link works for {minutes} minutes.</i>"]
    if latest is not None:
        lines.append(stamp(latest))
    return Reply("\n".join(lines))


def status(state: dict[str, Any]) -> Reply:
    """The last run's time, duration, coverage and failures."""
    run = state.get("last_run")
    if run is None:
        return Reply("No collection has run yet.")
    lines = [
        bold(f"Last run: {run.get('outcome')}"),
        f"as of {escape(run.get('as_of'))} · finished {escape(run.get('finished_at') or '?')}",
        f"took {escape(number(run.get('duration_s'), 1))} s · source {escape(run.get('source') or '?')}",
        f"ranked {escape(run.get('ranked'))}/{escape(run.get('universe'))} · excluded {escape(run.get('excluded'))}"
        f" · missing {escape(run.get('missing'))} · failed {escape(run.get('failed'))}",
    ]
    if run.get("error"):
        lines.append(f"error: {escape(shorten(str(run['error']), 300))}")
    latest = state.get("latest_report")
    if latest:
        lines.append(stamp(latest))
    return Reply("\n".join(lines))


def account(info: dict[str, Any]) -> Reply:
    """The account's equity, today's change, cash and buying power."""
    currency = escape(info.get("currency") or "")
    lines = [
        bold(f"Account · {info.get('status', '?')}"),
        f"equity {bold(number(info.get('equity')))} {currency}",
        f"today {escape(number(info.get('day_change')))} ({escape(percent(info.get('day_change_pct'), 2))})",
        f"cash {escape(number(info.get('cash')))} · buying power {escape(number(info.get('buying_power')))}",
    ]
    return Reply("\n".join(lines))


def positions(frame: pd.DataFrame) -> Reply:
    """Open positions, each with its gain and the latest drawdown rank."""
    if frame.empty:
        return Reply("No open positions.")
    lines = [bold(f"{len(frame)} open position(s)")]
    for row in frame.head(MAX_POSITIONS).to_dict(orient="records"):
        rank = MISSING if is_missing(row["rank"]) else f"#{int(row['rank'])}"
        lines.append(
            f"{code(row['symbol'])} {escape(number(row['qty'], 0))} · {escape(number(row['market_value']))} · "
            f"gain {escape(percent(row['gain_pct']))} · rank {escape(rank)} ({escape(percent(row['drawdown_pct']))})"
        )
    if len(frame) > MAX_POSITIONS:
        lines.append(f"<i>and {len(frame) - MAX_POSITIONS} more</i>")
    return Reply("\n".join(lines))


def monitor(check: dict[str, Any]) -> Reply:
    """Whether the five best-gaining positions average the profit target."""
    if not check["top"]:
        return Reply("No open positions to monitor.")
    verdict = "🎯 target reached: consider taking profits" if check["reached"] else "not there yet"
    lines = [
        bold(f"Monitor · target {percent(check['target_pct'], 0, signed=False)}"),
        f"top {len(check['top'])} average gain {bold(percent(check['average_gain_pct']))} · {escape(verdict)}",
    ]
    lines += [f"{code(item['symbol'])} {escape(percent(item['gain_pct']))}" for item in check["top"]]
    return Reply("\n".join(lines))
