"""The bot's tables: the ranking (``/top`` pages and the digest), ``/sectors`` and ``/history``,
each an aligned ``<pre>`` block no wider than ``PRE_WIDTH``, and ``/daily``'s lists.

Symbols in a table open ``/stock`` through inline buttons (a ``<pre>`` block cannot hold a
tappable command); symbols in text lines are ``/s_SYMBOL`` commands.
"""
from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from shared.bot import callbacks
from shared.bot.formatting import PRE_WIDTH, bold, escape, fit_parts, is_missing, number, percent, pre, shorten, stamp, stock_command, wrap_items
from shared.bot.views import EDGE_MARK, Button, Reply, at_edge
from shared.core.charts import short_date
from shared.core.context import EDGE_SESSIONS
from shared.core.glossary import SURVIVORSHIP_CAVEAT
from shared.core.share_classes import OTHER_CLASSES, other_classes_of

#: How each /top order sorts the ranked rows: (column, ascending). Ties go by drawdown rank.
SORT_COLUMNS = {
    "drawdown": ("rank", True),
    "score": ("score_rank", True),
    "days": ("days_since_peak", False),
    "ret5": ("ret_5d_pct", True),
    "ret20": ("ret_20d_pct", True),
}
#: The table column that shows each order's value: (header, column, kind).
_METRIC = {
    "drawdown": ("days", "days_since_peak", "days"),
    "days": ("days", "days_since_peak", "days"),
    "score": ("score", "score", "number"),
    "ret5": ("5d", "ret_5d_pct", "pct"),
    "ret20": ("20d", "ret_20d_pct", "pct"),
}
_TITLES = {"drawdown": "", "score": "by score", "days": "longest since peak", "ret5": "weakest 5 days", "ret20": "weakest 20 days"}
#: Sector names short enough for a phone's table and buttons.
SHORT_SECTORS = {
    "Information Technology": "Info Tech",
    "Communication Services": "Comm Services",
    "Consumer Discretionary": "Discretionary",
    "Consumer Staples": "Staples",
}
#: Symbol buttons per keyboard row.
BUTTONS_PER_ROW = 5
FLAG_MARK = "*"


def short_sector(name: Any) -> str:
    """A sector's name as a table or a button shows it."""
    text = str(name)
    return SHORT_SECTORS.get(text, shorten(text, 13))


def pre_table(rows: Sequence[Sequence[str]], left: Sequence[bool], drop: Sequence[int] = (), notes: dict[int, str] | None = None) -> str:
    """Plain-text rows aligned in columns (``left[i]``: left-aligned), escaped in a ``<pre>``.
    While a line would be wider than ``PRE_WIDTH``, the columns in ``drop`` are left out, in
    order (a value is never cut); a table still too wide keeps its lines whole. ``notes[i]``
    is a line of its own under row ``i``, indented."""
    keep = list(range(len(left)))

    def width(columns: list[int]) -> int:
        return sum(max(len(row[i]) for row in rows) for i in columns) + len(columns) - 1

    for column in drop:
        if width(keep) <= PRE_WIDTH:
            break
        keep.remove(column)
    widths = {i: max(len(row[i]) for row in rows) for i in keep}
    lines = []
    for index, row in enumerate(rows):
        lines.append(" ".join(row[i].ljust(widths[i]) if left[i] else row[i].rjust(widths[i]) for i in keep).rstrip())
        if notes and index in notes:
            lines += [f"  {line}" for line in wrap_items(notes[index].split(), PRE_WIDTH - 2)]
    return pre("\n".join(lines))


def _metric(row: dict[Any, Any], column: str, kind: str) -> str:
    value = row[column] if column in row else None
    if value is None or is_missing(value):
        return "—"
    if kind == "days":
        return f"{int(value)}d"
    return percent(value) if kind == "pct" else number(value, 1)


def sort_ranked(ranked: pd.DataFrame, sort: str) -> pd.DataFrame:
    """The ranked rows in a /top order (rows without the value last)."""
    column, ascending = SORT_COLUMNS[sort]
    if column not in ranked.columns:
        return ranked.iloc[0:0]
    return ranked.sort_values([column, "rank"], ascending=[ascending, True], na_position="last", kind="stable")


def ranking_table(rows: pd.DataFrame, first: int, sort: str, with_rank: bool) -> str:
    """Rows numbered from ``first``, with the overall drawdown rank beside each when the list is a
    sector's or in another order, the drawdown (``EDGE_MARK`` when the peak is at the window's
    edge), and the value the list is sorted by. A company's other share classes are named under
    its row ("also UAA")."""
    header, column, kind = _METRIC[sort]
    table = [["#", *(["rank"] if with_rank else []), "symbol", "drawdown", header]]
    notes: dict[int, str] = {}
    for position, row in enumerate(rows.to_dict(orient="records"), start=first):
        flagged = not is_missing(row.get("flags"))
        symbol = f"{row['symbol']}{FLAG_MARK if flagged else ''}"
        rank = [f"#{int(row['rank'])}"] if with_rank else []
        drawdown = percent(row["drawdown_pct"]) + (EDGE_MARK if at_edge(row) else " ")
        table.append([str(position), *rank, symbol, drawdown, _metric(row, column, kind)])
        others = other_classes_of(row.get(OTHER_CLASSES))
        if others:
            notes[len(table) - 1] = "also " + " ".join(others)
    left = [False, *([False] if with_rank else []), True, False, False]
    return pre_table(table, left, drop=[1] if with_rank else [], notes=notes)  # at 10,000 symbols a deep page may lose the rank


def edge_symbols(report: pd.DataFrame) -> frozenset[str]:
    """The symbols of ``report`` whose peak is at the window's edge (none in a report stored
    before that column)."""
    if "peak_at_window_edge" not in report:
        return frozenset()
    rows = report.loc[:, ["symbol", "peak_at_window_edge"]].to_dict(orient="records")
    return frozenset(str(row["symbol"]) for row in rows if at_edge(row))


def edge_note(latest: dict[str, Any]) -> list[str]:
    """What ``EDGE_MARK`` beside a drawdown means, in plain words."""
    days = latest.get("lookback_days")
    span = f"its {days}-day return" if days else "the window's return"
    text = f"{EDGE_MARK} peak in the window's first {EDGE_SESSIONS} sessions: the figure is {span}, not a fall from a high"
    return [escape(line) for line in wrap_items(text.split())]


def table_notes(rows: pd.DataFrame, latest: dict[str, Any]) -> list[str]:
    """The lines under a ranking table that say what its marks mean, for the marks it shows."""
    records = rows.to_dict(orient="records")
    lines = []
    if any(not is_missing(row.get("flags")) for row in records):
        lines.append(escape(f"{FLAG_MARK} data flag: tap for details"))
    if any(at_edge(row) for row in records):
        lines += edge_note(latest)
    if any(other_classes_of(row.get(OTHER_CLASSES)) for row in records):
        lines += [escape(line) for line in wrap_items("also: the company's other share classes, less traded".split())]
    return lines


def symbol_buttons(symbols: Sequence[str], back: callbacks.TopPage | None) -> list[list[Button]]:
    """One button per symbol, opening its ``/stock`` (with ``back`` for its "back" button)."""
    buttons = [(symbol, callbacks.encode(callbacks.StockView(symbol, back))) for symbol in symbols]
    return [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]


def top_page(ranked: pd.DataFrame, page: callbacks.TopPage, sector: str | None, latest: dict[str, Any]) -> Reply:
    """One page of the ranked rows (already filtered to ``sector`` and sorted), with a button per
    symbol and ◀ ▶ buttons."""
    total = len(ranked)
    offset = max(0, min(page.offset, max(total - 1, 0)))
    rows = ranked.iloc[offset : offset + page.size]
    span = f"{offset + 1}–{offset + len(rows)} of {total}"
    title = fit_parts([part for part in (f"{short_sector(sector)} · {span}" if sector else f"Top {span}", _TITLES[page.sort]) if part])
    lines = [bold(line) for line in title]
    if rows.empty:
        lines.append("Nothing ranked here.")
    else:
        lines.append(ranking_table(rows, offset + 1, page.sort, with_rank=sector is not None or page.sort != callbacks.DEFAULT_SORT))
        lines += table_notes(rows, latest)
    lines.append(stamp(latest))
    here = callbacks.TopPage(page.day, offset, page.size, page.sector, page.sort)
    keyboard = symbol_buttons(rows["symbol"].tolist(), here)
    nav = []
    if offset > 0:
        nav.append(("◀", callbacks.encode(callbacks.TopPage(page.day, max(0, offset - page.size), page.size, page.sector, page.sort))))
    if offset + page.size < total:
        nav.append(("▶", callbacks.encode(callbacks.TopPage(page.day, offset + page.size, page.size, page.sector, page.sort))))
    return Reply("\n".join(lines), [*keyboard, *([nav] if nav else [])])


def daily(days: list[tuple[str, pd.DataFrame]], rows: int, latest: dict[str, Any]) -> Reply:
    """``/daily``: the top ``rows`` of each report, newest first, each symbol a ``/s_`` command."""
    lines = [bold(f"Top {rows} of the last {len(days)} report(s)")]
    marked = False
    for day, ranked in days:
        lines.append(bold(f"{pd.Timestamp(day):%a %d %b %Y}"))
        for row in ranked.head(rows).to_dict(orient="records"):
            mark = EDGE_MARK if at_edge(row) else ""
            marked = marked or bool(mark)
            lines.append(escape(f"{int(row['rank'])} {stock_command(row['symbol'])} {percent(row['drawdown_pct'])}{mark} · {int(row['days_since_peak'])}d"))
    lines += edge_note(latest) if marked else []
    lines.append(stamp(latest))
    return Reply("\n".join(lines))


def sectors(table: pd.DataFrame, sector_names: list[str], day: Any, latest: dict[str, Any]) -> Reply:
    """Sectors by median drawdown, deepest first, with the share 20% or more down; a button per
    sector opens its ranking."""
    rows = [["sector", "median", "≤−20%", "n"]]
    for row in table.to_dict(orient="records"):
        rows.append([short_sector(row["sector"]), percent(row["median_drawdown_pct"]), percent(row["share_below_20_pct"], 0, signed=False), str(int(row["count"]))])
    buttons = []
    for name in table["sector"]:
        if name in sector_names:
            page = callbacks.TopPage(day, 0, 10, sector_names.index(name))
            buttons.append((short_sector(name), callbacks.encode(page)))
    keyboard = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    text = "\n".join([bold("Sectors by median drawdown"), pre_table(rows, [True, False, False, False]), stamp(latest)])
    return Reply(text, keyboard)


def history(record: pd.DataFrame, latest: dict[str, Any]) -> Reply:
    """The track record: past top-10 lists against the universe median, per horizon."""
    if record.empty:
        return Reply("\n".join(["No track record yet: it needs", "reports at least a month old.", stamp(latest)]))
    # The caveat comes first: the numbers below read too good without it.
    summary = [["", "lists", "top", "median", "excess"]]
    for horizon, group in record.groupby("horizon", sort=False):
        summary.append(
            [str(horizon), str(len(group)), percent(group["top_return_pct"].mean()), percent(group["universe_median_pct"].mean()), percent(group["excess_pct"].mean())]
        )
    recent = [["list of", "after", "top", "median"]]
    for row in record.sort_values("as_of", ascending=False).head(12).to_dict(orient="records"):
        recent.append([short_date(row["as_of"]), str(row["horizon"]), percent(row["top_return_pct"]), percent(row["universe_median_pct"])])
    lines = [
        bold("Track record"),
        escape("Top 10 lists vs the universe median"),
        *(f"<i>{escape(line)}</i>" for line in wrap_items(SURVIVORSHIP_CAVEAT.split())),
        pre_table(summary, [True, False, False, False, False]),
        bold("Latest lists"),
        pre_table(recent, [True, True, False, False]),
        stamp(latest),
    ]
    return Reply("\n".join(lines))
