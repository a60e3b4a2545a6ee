"""The bot's commands: one small function per command, registered in one table.

A handler takes a ``Request`` and returns a ``Reply`` (HTML text and optional inline buttons).
Handlers raise domain errors (UnknownSymbol, NoReportYet, NoTradingAccount, BadArguments);
``dispatch`` turns those into friendly replies.
"""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

import pandas as pd

from shared.services import portfolio
from shared.services import reports as services
from shared.bootstrap import Parts
from shared.services import bot_state as state
from shared.bot.access import MARKET, OPEN, PRIVATE, is_allowed
from shared.bot.formatting import (
    MISSING,
    bold,
    code,
    escape,
    is_missing,
    link,
    number,
    percent,
    pre,
    shorten,
    stamp,
)
from shared.core.charts import chart_key, downsample, render_chart
from shared.errors import BrokerError, DipwatchError, NoReportYet, ObjectNotFound, UnknownSymbol
from shared.telemetry import logger
from shared.adapters.universe import find_symbol, normalise_symbol

#: The most rows one /top page shows.
MAX_PAGE = 25
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


class BadArguments(DipwatchError):
    """The command's arguments do not parse; the message says how to use it."""


@dataclass
class Request:
    """One command as the handlers see it."""

    parts: Parts
    chat_id: int
    user_id: int | None
    args: list[str] = field(default_factory=list)
    base_url: str = "http://127.0.0.1:5000/"


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


@dataclass(frozen=True)
class Command:
    """A registered command."""

    name: str
    handler: Callable[[Request], Reply]
    level: str
    usage: str
    summary: str
    aliases: tuple[str, ...] = ()


COMMANDS: dict[str, Command] = {}
_ALIASES: dict[str, str] = {}


def command(name: str, level: str, usage: str, summary: str, aliases: tuple[str, ...] = ()) -> Callable[[Callable[[Request], Reply]], Callable[[Request], Reply]]:
    """Register a handler under ``/name`` (and its aliases)."""

    def register(handler: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
        COMMANDS[name] = Command(name, handler, level, usage, summary, aliases)
        for alias in (name, *aliases):
            _ALIASES[alias] = name
        return handler

    return register


def resolve(name: str) -> Command | None:
    """The command for a name or alias (without the slash), or None."""
    target = _ALIASES.get(name.lower())
    return COMMANDS.get(target) if target else None


def suggest_commands(name: str) -> list[str]:
    """The registered command names closest to ``name``."""
    return difflib.get_close_matches(name.lower(), list(_ALIASES), n=2, cutoff=0.5)


# --- shared pieces ----------------------------------------------------------------------------


def _latest(parts: Parts) -> dict[str, Any]:
    return services.latest_summary(parts)


def _report(parts: Parts, latest: dict[str, Any]) -> tuple[date, pd.DataFrame]:
    return services.load_report(parts, date.fromisoformat(latest["as_of"]))


def _ranked(report: pd.DataFrame) -> pd.DataFrame:
    return report[report["rank"].notna()].sort_values("rank", kind="stable")


def _sectors(report: pd.DataFrame) -> list[str]:
    return sorted(str(s) for s in report["sector"].dropna().unique())


def _match_sector(query: str, sectors: list[str]) -> str:
    wanted = query.strip().lower()
    for test in (lambda s: s.lower() == wanted, lambda s: s.lower().startswith(wanted), lambda s: wanted in s.lower()):
        found = [sector for sector in sectors if test(sector)]
        if len(found) == 1:
            return found[0]
        if found:
            raise BadArguments(f"“{query}” matches several sectors: {', '.join(found)}.")
    raise BadArguments(f"No sector matches “{query}”. Sectors: {', '.join(sectors)}.")


def _int_arg(text: str, label: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise BadArguments(f"{label} must be a whole number, got “{text}”.") from None
    if not low <= value <= high:
        raise BadArguments(f"{label} must be between {low} and {high}.")
    return value


def _flags_text(flags: Any) -> str:
    return "" if is_missing(flags) else ", ".join(f for f in str(flags).split(";") if f)


# --- commands ---------------------------------------------------------------------------------


@command("start", OPEN, "/start", "what this bot does")
def start(request: Request) -> Reply:
    """Greet and list the commands."""
    intro = "👋 <b>dipwatch</b> ranks the Russell 1000 by how far each stock has fallen from its 180-day peak close."
    return Reply(f"{intro}\n\n{help_text(request)}")


@command("help", OPEN, "/help", "the commands")
def help_(request: Request) -> Reply:
    """List the commands this user may use."""
    return Reply(help_text(request))


def help_text(request: Request) -> str:
    """One line per command the user may use, and a note about the others."""
    settings = request.parts.settings
    lines, locked = [], 0
    for item in COMMANDS.values():
        if is_allowed(settings, item.level, request.user_id):
            lines.append(f"{escape(item.usage)} · {escape(item.summary)}")
        else:
            locked += 1
    if locked:
        lines.append(f"<i>{locked} more command(s) need access; ask the bot's owner.</i>")
    return "<b>Commands</b>\n" + "\n".join(lines)


def top_page(parts: Parts, offset: int, size: int, sector: str | None, day: date | None = None) -> Reply:
    """One page of the ranking (the latest, or ``day``'s), with ◀ ▶ buttons that page in place."""
    latest = _latest(parts)
    if day is None or day.isoformat() == latest["as_of"]:
        as_of, report = _report(parts, latest)
    else:
        # An older message's buttons keep paging the report it showed, stamped with its own day.
        as_of, report = services.load_report(parts, day)
        ranked_count = int(report["rank"].notna().sum())
        latest = dict(latest, as_of=day.isoformat(), ranked=ranked_count, excluded=len(report) - ranked_count)
    sectors = _sectors(report)
    ranked = _ranked(report)
    if sector is not None:
        ranked = ranked[ranked["sector"] == sector]
    total = len(ranked)
    offset = max(0, min(offset, max(total - 1, 0)))
    page = ranked.iloc[offset : offset + size]
    title = f"Top {offset + 1}–{offset + len(page)} of {total}" + (f" · {sector}" if sector else "")
    lines = [bold(title)]
    for row in page.itertuples(index=False):
        flag = " ⚠" if _flags_text(row.flags) else ""
        lines.append(
            f"{int(row.rank)}. {code(row.symbol)} {escape(percent(row.drawdown_pct, signed=False))} · "
            f"{int(row.days_since_peak)}d · {escape(shorten(str(row.name), 22))}{flag}"
        )
    if page.empty:
        lines.append("Nothing ranked here.")
    lines.append(stamp(latest))
    sector_code = str(sectors.index(sector)) if sector in sectors else "-"
    buttons = []
    if offset > 0:
        buttons.append(("◀", f"top:{as_of.isoformat()}:{max(0, offset - size)}:{size}:{sector_code}"))
    if offset + size < total:
        buttons.append(("▶", f"top:{as_of.isoformat()}:{offset + size}:{size}:{sector_code}"))
    return Reply("\n".join(lines), buttons)


def top_callback(parts: Parts, data: str) -> Reply:
    """The page a ◀ ▶ button names (``top:DATE:OFFSET:SIZE:SECTOR``)."""
    try:
        _kind, day_text, offset, size, sector_code = data.split(":")
        day = date.fromisoformat(day_text)
        _as_of, report = services.load_report(parts, day)
        sectors = _sectors(report)
        sector = None if sector_code == "-" else sectors[int(sector_code)]
        return top_page(parts, int(offset), max(1, min(int(size), MAX_PAGE)), sector, day)
    except (ValueError, IndexError, NoReportYet):
        raise BadArguments("That button is out of date; send /top again.") from None


@command("top", MARKET, "/top [N] [sector]", "the deepest drawdowns, N per page")
def top(request: Request) -> Reply:
    """The ranking, optionally for one sector."""
    args = list(request.args)
    size = 10
    if args and args[0].isdigit():
        size = _int_arg(args.pop(0), "N", 1, MAX_PAGE)
    sector = None
    if args:
        latest = _latest(request.parts)
        _as_of, report = _report(request.parts, latest)
        sector = _match_sector(" ".join(args), _sectors(report))
    return top_page(request.parts, 0, size, sector)


def _chart_text(parts: Parts, as_of: date, symbol: str) -> str:
    cache = parts.extras.setdefault("telegram_charts", {})
    document = cache.get(as_of)  # type: ignore[union-attr]
    if document is None:
        try:
            document = json.loads(parts.store.get(chart_key(as_of)))
        except ObjectNotFound:
            document = {}
        if document:
            cache.clear()  # type: ignore[union-attr]
            cache[as_of] = document  # type: ignore[index]
    points = document.get("symbols", {}).get(symbol) if document else None
    if points is not None:
        return render_chart(points, document.get("start"), document.get("end"))
    # A report from before chart objects existed: draw from the stored bars.
    closes = services.stock_detail(parts, symbol, as_of)["closes"]
    if closes.empty:
        return "no closes in the window"
    return render_chart(downsample(closes["close"].tolist()), closes["date"].iloc[0].strftime("%Y-%m-%d"), closes["date"].iloc[-1].strftime("%Y-%m-%d"))


def _context_value(row: dict[str, Any], column: str, kind: str) -> str:
    if column not in row:
        return MISSING
    value = row[column]
    if kind == "pct":
        return percent(value)
    if kind == "abs":
        return percent(value, signed=False)
    return number(value)


def stock_reply(parts: Parts, query: str) -> Reply:
    """The detail view of one symbol."""
    symbol = find_symbol(query, parts.universe)
    latest = _latest(parts)
    as_of, report = _report(parts, latest)
    rows = report[report["symbol"] == symbol]
    if rows.empty:
        raise NoReportYet(f"{symbol} has no bar dated {as_of.isoformat()}, so it is not in today's report.")
    row = rows.iloc[0].to_dict()
    rank = "unranked" if is_missing(row.get("rank")) else f"#{int(row['rank'])} of {int(report['rank'].notna().sum())}"
    peak_date = pd.Timestamp(row["peak_date"]).strftime("%Y-%m-%d")
    lines = [
        f"{bold(symbol)} · {escape(shorten(str(row.get('name') or ''), 40))}",
        f"{escape(row.get('sector') or 'Unknown')} · {escape(rank)}",
        "",
        f"close {bold(number(row['close']))} · peak {escape(number(row['peak_close']))} on {escape(peak_date)}",
        f"drawdown {bold(percent(row['drawdown_pct']))} · {int(row['days_since_peak'])} days since peak",
    ]
    trough = row.get("trough_close")
    if "trough_close" in row and not is_missing(trough):
        trough_date = row.get("trough_date")
        when = "" if is_missing(trough_date) else f" on {pd.Timestamp(trough_date).strftime('%Y-%m-%d')}"
        lines.append(f"low since peak {escape(number(trough))}{escape(when)}")
    context = [f"{label}: {_context_value(row, column, kind)}" for column, label, kind in CONTEXT_COLUMNS]
    lines += [escape(" · ".join(context[i : i + 3])) for i in range(0, len(context), 3)]
    if not is_missing(row.get("score_rank")):
        lines.append(f"score rank #{int(row['score_rank'])}")
    flags = _flags_text(row.get("flags"))
    lines.append(f"flags: {escape(flags)}" if flags else "flags: none")
    lines.append(pre(_chart_text(parts, as_of, symbol)))
    lines.append(stamp(latest))
    return Reply("\n".join(lines))


@command("stock", MARKET, "/stock SYMBOL", "one stock: drawdown, context, 180-day chart", aliases=("s",))
def stock(request: Request) -> Reply:
    """The detail view of one symbol."""
    if len(request.args) != 1:
        raise BadArguments("Usage: /stock SYMBOL, for example /stock AAPL")
    return stock_reply(request.parts, request.args[0])


@command("sectors", MARKET, "/sectors", "median drawdown per sector")
def sectors(request: Request) -> Reply:
    """Sectors by median drawdown, deepest first, with the share of stocks 20% or more down."""
    latest = _latest(request.parts)
    table = services.sector_summary(request.parts, date.fromisoformat(latest["as_of"]))
    lines = [bold("Sectors · median drawdown · share ≤ −20%")]
    for row in table.itertuples(index=False):
        lines.append(
            f"{escape(shorten(str(row.sector), 26))}: {bold(percent(row.median_drawdown_pct))} · "
            f"{escape(percent(row.share_below_20_pct, 0, signed=False))} of {int(row.count)}"
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


@command("changes", MARKET, "/changes", "what changed since the previous day")
def changes(request: Request) -> Reply:
    """Entries and exits of the top list, the biggest rank moves and new data flags."""
    latest = _latest(request.parts)
    found = services.report_changes(request.parts, date.fromisoformat(latest["as_of"]))
    return Reply("\n".join([bold(f"What changed · {found.get('as_of')}"), *changes_lines(found), stamp(latest)]))


@command("history", MARKET, "/history", "how past top-10 lists did afterwards")
def history(request: Request) -> Reply:
    """The track record: past top-10 lists against the universe median, per horizon."""
    latest = _latest(request.parts)
    record = services.track_record(request.parts)
    if record.empty:
        return Reply(f"No track record yet: it needs reports at least a month old.\n{stamp(latest)}")
    lines = [bold("Track record · top 10 vs universe median")]
    for horizon, group in record.groupby("horizon", sort=False):
        lines.append(
            f"{escape(horizon)}: {len(group)} list(s) · top {bold(percent(group['top_return_pct'].mean()))} · "
            f"median {escape(percent(group['universe_median_pct'].mean()))} · excess {bold(percent(group['excess_pct'].mean()))}"
        )
    lines.append("<i>latest lists:</i>")
    for row in record.sort_values("as_of", ascending=False).head(12).itertuples(index=False):
        as_of = pd.Timestamp(row.as_of).strftime("%Y-%m-%d")
        lines.append(f"{escape(as_of)} {escape(row.horizon)}: {escape(percent(row.top_return_pct))} vs {escape(percent(row.universe_median_pct))}")
    lines.append(stamp(latest))
    return Reply("\n".join(lines))


@command("download", MARKET, "/download [YYYY-MM-DD]", "a time-limited link to a report CSV")
def download(request: Request) -> Reply:
    """A signed, expiring link to the report CSV of a day (default: the latest)."""
    parts = request.parts
    latest = _latest(parts)
    day = date.fromisoformat(latest["as_of"])
    if request.args:
        try:
            day = date.fromisoformat(request.args[0])
        except ValueError:
            raise BadArguments(f"“{request.args[0]}” is not a date; use YYYY-MM-DD.") from None
    url = services.report_download_url(parts, day, request.base_url)
    minutes = parts.settings.link_ttl_seconds // 60
    lines = [f"📄 {link(url, f'report {day.isoformat()}.csv')}", f"<i>The link works for {minutes} minutes.</i>"]
    if day.isoformat() == latest["as_of"]:
        lines.append(stamp(latest))
    return Reply("\n".join(lines))


@command("status", MARKET, "/status", "the last collection: time, duration, coverage, failures")
def status(request: Request) -> Reply:
    """The last run's time, duration, coverage and failures."""
    state_ = services.status(request.parts)
    run = state_.get("last_run")
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
    latest = state_.get("latest_report")
    if latest:
        lines.append(stamp(latest))
    return Reply("\n".join(lines))


@command("account", PRIVATE, "/account", "the trading account")
def account(request: Request) -> Reply:
    """The Alpaca account's equity, cash and buying power."""
    info = portfolio.account_overview(request.parts)
    currency = escape(info.get("currency") or "")
    lines = [
        bold(f"Account · {info.get('status', '?')}"),
        f"equity {bold(number(info.get('equity')))} {currency}",
        f"today {escape(number(info.get('day_change')))} ({escape(percent(info.get('day_change_pct'), 2))})",
        f"cash {escape(number(info.get('cash')))} · buying power {escape(number(info.get('buying_power')))}",
    ]
    return Reply("\n".join(lines))


@command("positions", PRIVATE, "/positions", "open positions with their drawdown rank")
def positions(request: Request) -> Reply:
    """Open positions, each with its gain and the latest drawdown rank."""
    frame = portfolio.positions_with_ranks(request.parts)
    if frame.empty:
        return Reply("No open positions.")
    lines = [bold(f"{len(frame)} open position(s)")]
    for row in frame.head(40).itertuples(index=False):
        rank = MISSING if is_missing(row.rank) else f"#{int(row.rank)}"
        lines.append(
            f"{code(row.symbol)} {escape(number(row.qty, 0))} · {escape(number(row.market_value))} · "
            f"gain {escape(percent(row.gain_pct))} · rank {escape(rank)} ({escape(percent(row.drawdown_pct))})"
        )
    if len(frame) > 40:
        lines.append(f"<i>and {len(frame) - 40} more</i>")
    return Reply("\n".join(lines))


@command("monitor", PRIVATE, "/monitor", "the profit-taking check against the target")
def monitor(request: Request) -> Reply:
    """Whether the five best-gaining positions average the profit target."""
    check = portfolio.monitor(request.parts)
    if not check["top"]:
        return Reply("No open positions to monitor.")
    verdict = "🎯 target reached: consider taking profits" if check["reached"] else "not there yet"
    lines = [
        bold(f"Monitor · target {percent(check['target_pct'], 0, signed=False)}"),
        f"top {len(check['top'])} average gain {bold(percent(check['average_gain_pct']))} · {escape(verdict)}",
    ]
    lines += [f"{code(item['symbol'])} {escape(percent(item['gain_pct']))}" for item in check["top"]]
    return Reply("\n".join(lines))


@command("subscribe", PRIVATE, "/subscribe", "the daily digest after each collection")
def subscribe(request: Request) -> Reply:
    """Add this chat to the daily digest."""
    added = state.subscribe(request.parts, request.chat_id, request.parts.clock().isoformat())
    return Reply("✅ Subscribed: the digest arrives after each daily collection." if added else "You are already subscribed.")


@command("unsubscribe", PRIVATE, "/unsubscribe", "stop the daily digest")
def unsubscribe(request: Request) -> Reply:
    """Remove this chat from the daily digest."""
    removed = state.unsubscribe(request.parts, [request.chat_id])
    return Reply("Unsubscribed." if removed else "You were not subscribed.")


@command("watch", PRIVATE, "/watch SYMBOL PCT", "alert when SYMBOL is PCT% below its peak")
def watch(request: Request) -> Reply:
    """Alert this chat when a symbol's drawdown reaches −PCT%."""
    if len(request.args) != 2:
        raise BadArguments("Usage: /watch SYMBOL PCT, for example /watch AAPL 20")
    symbol = find_symbol(request.args[0], request.parts.universe)
    try:
        pct = abs(float(request.args[1].rstrip("%")))
    except ValueError:
        raise BadArguments(f"PCT must be a number, got “{request.args[1]}”.") from None
    if not 0 < pct < 100:
        raise BadArguments("PCT must be between 0 and 100.")
    state.set_watch(request.parts, request.chat_id, symbol, pct)
    return Reply(f"👀 Watching {code(symbol)}: you get one alert a day while its drawdown is {escape(percent(-pct))} or deeper.")


@command("unwatch", PRIVATE, "/unwatch SYMBOL", "stop watching SYMBOL")
def unwatch(request: Request) -> Reply:
    """Stop a watch."""
    if len(request.args) != 1:
        raise BadArguments("Usage: /unwatch SYMBOL")
    symbol = normalise_symbol(request.args[0])
    removed = state.remove_watch(request.parts, request.chat_id, symbol)
    return Reply(f"Stopped watching {code(symbol)}." if removed else f"You were not watching {code(symbol)}.")


@command("watches", PRIVATE, "/watches", "your watches")
def watches(request: Request) -> Reply:
    """This chat's watches."""
    items = state.watches(request.parts).get(request.chat_id, {})
    if not items:
        return Reply("No watches. Add one with /watch SYMBOL PCT.")
    lines = [bold(f"{len(items)} watch(es)")]
    for symbol, item in sorted(items.items()):
        sent = f" · last alert {item['last_sent']}" if item.get("last_sent") else ""
        lines.append(f"{code(symbol)} at {escape(percent(-float(item['pct'])))}{escape(sent)}")
    return Reply("\n".join(lines))


# --- dispatch ---------------------------------------------------------------------------------


def parse_command(text: str) -> tuple[str, list[str]] | None:
    """``"/top@dipwatch_bot 5 tech"`` -> ``("top", ["5", "tech"])``; None when not a command."""
    words = text.strip().split()
    if not words or not words[0].startswith("/") or len(words[0]) < 2:
        return None
    return words[0][1:].split("@", 1)[0].lower(), words[1:]


def dispatch(parts: Parts, text: str, chat_id: int, user_id: int | None, base_url: str = "http://127.0.0.1:5000/") -> Reply:
    """The reply to one message's text: access checks, the handler, friendly errors."""
    parsed = parse_command(text)
    if parsed is None:
        return Reply("Send /help to see what I can do.")
    name, args = parsed
    item = resolve(name)
    if item is None:
        hints = suggest_commands(name)
        hint = f" Did you mean {', '.join('/' + h for h in hints)}?" if hints else ""
        return Reply(f"I don't know /{escape(name)}.{escape(hint)} Send /help for the list.")
    if not is_allowed(parts.settings, item.level, user_id):
        logger.info("telegram command refused", extra={"command": item.name, "user_id": user_id, "chat_id": chat_id})
        return Reply("Sorry, this command is private. Ask the bot's owner to add your Telegram user id to the allowed list.")
    request = Request(parts=parts, chat_id=chat_id, user_id=user_id, args=args, base_url=base_url)
    return run_safely(lambda: item.handler(request), item.name)


def run_safely(action: Callable[[], Reply], label: str) -> Reply:
    """Run a handler; domain errors become friendly replies, anything else a short apology."""
    try:
        return action()
    except UnknownSymbol as error:
        hint = f" Did you mean {', '.join(error.suggestions)}?" if error.suggestions else ""
        return Reply(f"I don't know the symbol {code(error.symbol)}.{escape(hint)}")
    except (BadArguments, NoReportYet, portfolio.NoTradingAccount) as error:
        return Reply(escape(str(error)))
    except BrokerError as error:
        logger.warning("trading account unavailable", extra={"command": label, "error": str(error)})
        return Reply(escape(f"{error}. Please try again in a minute."))
    except Exception:  # noqa: BLE001 - the edge: log once, apologise, never fail the webhook
        logger.exception("telegram handler failed", extra={"command": label})
        return Reply("Sorry, something went wrong on my side. Please try again later.")
