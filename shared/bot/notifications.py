"""What the bot pushes after a collection: the daily digest, watch alerts, the admin alert."""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

import pandas as pd
from telegram.error import Forbidden

from shared.bot import callbacks, tables
from shared.bot.formatting import bold, escape, fit_parts, named, percent, plural, shorten, source_label, stamp, stock_command, wrap_items
from shared.bot.changes_view import changes_lines
from shared.bot.views import EDGE_MARK, Reply
from shared.bot.webhook import message_calls
from shared.core.analytics import ranked_rows
from shared.core.share_classes import group_share_classes
from shared.ports import BotCall, Messenger
from shared.services.bot_state import BotState
from shared.services.reports import Reports
from shared.telemetry import logger

NOTHING_SENT = {"admin": 0, "digest": 0, "watches": 0}
#: An alert for a (chat, symbol): the symbol, its drawdown and the watch's threshold.
WatchHit = tuple[str, float, float]


def digest_reply(latest: dict[str, Any], report: pd.DataFrame, rows: int) -> Reply:
    """The daily digest: the top ``rows`` of the latest report as a table (a button per symbol)
    and what changed, with the source in the header and the stamp at the end."""
    ranked = group_share_classes(ranked_rows(report)).head(rows)
    day = date.fromisoformat(str(latest["as_of"]))
    header = fit_parts([f"📉 dipwatch daily · {day:%a %d %b}", source_label(latest.get("source"))])
    lines = [bold(line) for line in header]
    lines.append(tables.ranking_table(ranked, 1, callbacks.DEFAULT_SORT, with_rank=False))
    lines += tables.table_notes(ranked, latest)
    changes = latest.get("changes")
    if isinstance(changes, dict):
        lines += [bold("What changed"), *changes_lines(changes, limit=5)]
    lines.append(stamp(latest))
    back = callbacks.TopPage(day, 0, rows)
    return Reply("\n".join(lines), tables.symbol_buttons(ranked["symbol"].tolist(), back))


def watch_alert(hits: list[WatchHit], summary: dict[str, Any], edges: frozenset[str] = frozenset()) -> Reply:
    """One chat's watch alerts of a day, together in one dated message with the source stamp; a
    symbol of ``edges`` (peak at the window's edge) is marked and the mark explained."""
    day = date.fromisoformat(str(summary["as_of"]))
    lines = [bold(f"🔔 {plural(len(hits), 'watch', 'watches')} hit · {day:%a %d %b}")]
    for symbol, drawdown, pct in sorted(hits, key=lambda hit: hit[1]):
        mark = EDGE_MARK if symbol in edges else ""
        lines.append(escape(f"{stock_command(symbol)} {percent(drawdown)}{mark} · past {percent(-pct)}"))
    lines += tables.edge_note(summary) if edges & {hit[0] for hit in hits} else []
    lines.append(stamp(summary))
    return Reply("\n".join(lines))


def _absent(run: dict[str, Any] | None) -> set[str]:
    """The symbols a run has no row for: missing (no bar) or failed (the source did not answer)."""
    return set(run.get("missing") or []) | set(run.get("failed") or {}) if run else set()


def admin_reply(summary: dict[str, Any], previous: dict[str, Any] | None = None) -> Reply | None:
    """The admin alert about a run, naming what changed since ``previous`` (the run before it):
    newly missing or failed symbols, and recovered ones, never the same names again. None when
    there is nothing new: the same symbols absent with the same outcome, or a first complete run.
    A failed run is always told."""
    outcome, failed = summary.get("outcome"), dict(summary.get("failed") or {})
    absent, before = _absent(summary), _absent(previous)
    new, recovered, still = sorted(absent - before), sorted(before - absent), sorted(absent & before)
    if outcome != "failed":
        if previous is None and outcome == "complete":
            return None
        if previous is not None and not (new or recovered) and previous.get("outcome") == outcome:
            return None
    icon = "✅" if outcome == "complete" else "⚠️"
    lines = [bold(f"{icon} collection {outcome} · {summary.get('as_of')}")]
    lines += [escape(line) for line in fit_parts([f"ranked {summary.get('ranked')}/{summary.get('universe')}", source_label(summary.get("source"))])]
    first = previous is None
    if previous is not None:
        lines.append(escape(f"since the run for {previous.get('as_of')}:"))
    groups = (
        ("failed" if first else "newly failed", [s for s in new if s in failed]),
        ("missing" if first else "newly missing", [s for s in new if s not in failed]),
        ("recovered", recovered),
    )
    for label, symbols in groups:
        if symbols:
            lines += [escape(line) for line in wrap_items(named(symbols), lead=f"{label} {len(symbols)}:")]
    if still:
        lines.append(escape(f"still absent {len(still)}, as before"))
    reasons = sorted({str(failed[s]) for s in new if s in failed})
    lines += [escape(f"· {shorten(reason, 38)}") for reason in reasons[:3]]
    if summary.get("error"):
        lines.append(f"error: {escape(shorten(str(summary['error']), 500))}")
    return Reply("\n".join(lines))


def violations_reply(violations: dict[str, Any], coverage_pct: float | None, stop_pct: float) -> Reply | None:
    """The admin alert about broken rules after a collection, or None when all is well."""
    lines = []
    if coverage_pct is not None and coverage_pct < 95.0:
        lines.append(escape(f"coverage {coverage_pct:.1f}%, below 95%"))
    for item in violations.get("beyond_stop", []):
        lines.append(escape(f"{stock_command(item['symbol'])} {percent(item['gain_pct'])} · past the {percent(-stop_pct)} stop"))
    if violations.get("monitor_reached"):
        lines += ["/monitor target reached:", escape(f"the best five average {percent(violations.get('average_gain_pct'))}")]
    if not lines:
        return None
    return Reply("\n".join([bold("🚨 dipwatch rules"), *lines]))


def _always(_kind: str) -> bool:
    return True


#: ``claim(kind)``: whether this caller may send the ``kind`` notification ("admin", "digest",
#: "watches", "rules"). The scheduled job passes the session ledger's, so each goes out once
#: per trading day whichever invocation sends it.
Claim = Callable[[str], bool]


class Notifier:
    """Sends the notifications of a collection through the messenger."""

    def __init__(self, messenger: Messenger | None, reports: Reports, state: BotState, *, admin_chat: int | None, digest_rows: int, stop_pct: float = 20.0) -> None:
        self.stop_pct = stop_pct
        self._messenger = messenger
        self._reports = reports
        self._state = state
        self._admin_chat = admin_chat
        self._digest_rows = digest_rows

    def watch_alerts(self, report: pd.DataFrame, summary: dict[str, Any]) -> list[tuple[int, list[str], Reply]]:
        """(chat, symbols, alert) for every chat with watches whose threshold is reached and not
        yet alerted for the report's day: one message per chat."""
        as_of = str(summary["as_of"])
        drawdowns = {str(symbol): float(drawdown) for symbol, drawdown in zip(report["symbol"], report["drawdown_pct"]) if pd.notna(drawdown)}
        edges = tables.edge_symbols(report)
        alerts: list[tuple[int, list[str], Reply]] = []
        for chat_id, items in self._state.watches().items():
            hits: list[WatchHit] = []
            for symbol, item in items.items():
                drawdown = drawdowns.get(symbol)
                if drawdown is not None and item.get("last_sent") != as_of and drawdown <= -float(item["pct"]):
                    hits.append((symbol, drawdown, float(item["pct"])))
            if hits:
                alerts.append((chat_id, [hit[0] for hit in hits], watch_alert(hits, summary, edges)))
        return alerts

    def _broadcast(self, messenger: Messenger, targets: list[tuple[int, Reply]]) -> tuple[list[int], list[int]]:
        """Send each reply; (chats reached, chats that blocked the bot)."""
        calls: list[BotCall] = []
        owners: list[int] = []
        for chat_id, reply in targets:
            for call in message_calls(chat_id, reply):
                calls.append(call)
                owners.append(chat_id)
        failed, blocked = set(), set()
        for chat_id, result in zip(owners, messenger.call_many(calls)):
            if isinstance(result, Exception):
                failed.add(chat_id)
                if isinstance(result, Forbidden):
                    blocked.add(chat_id)
                logger.warning("telegram send failed", extra={"chat_id": chat_id, "error": str(result)[:200]})
        reached = sorted({chat for chat, _reply in targets} - failed)
        return reached, sorted(blocked)

    def after_collection(self, summary: dict[str, Any], claim: Claim = _always) -> dict[str, int]:
        """Send the admin alert (what changed since the previous run, see ``admin_reply``), the
        digest and the watch alerts, each only if ``claim`` grants it.

        Does nothing without ``TELEGRAM_BOT_TOKEN``. Never raises: a notification problem is logged
        and must not turn a good collection into a failed one.
        """
        messenger = self._messenger
        sent = dict(NOTHING_SENT)
        if messenger is None:
            return sent
        try:
            admin = admin_reply(summary, self._reports.previous_collection(summary)) if self._admin_chat is not None else None
            if self._admin_chat is not None and admin is not None and claim("admin"):
                reached, _blocked = self._broadcast(messenger, [(self._admin_chat, admin)])
                sent["admin"] = len(reached)
            if summary.get("outcome") == "failed":
                return sent
            as_of, report = self._reports.load_report(date.fromisoformat(summary["as_of"]))
            subscribers = self._state.subscribers()
            if subscribers and claim("digest"):
                latest = self._reports.latest_summary()
                _day, latest_report = self._reports.load_report(date.fromisoformat(str(latest["as_of"])))
                digest = digest_reply(latest, latest_report, self._digest_rows)
                reached, blocked = self._broadcast(messenger, [(chat, digest) for chat in subscribers])
                sent["digest"] = len(reached)
                if blocked:
                    self._state.unsubscribe(blocked)  # the user blocked the bot: stop trying
            alerts = self.watch_alerts(report, summary)
            if alerts and claim("watches"):
                reached, _blocked = self._broadcast(messenger, [(chat, reply) for chat, _symbols, reply in alerts])
                done = [(chat, symbol) for chat, symbols, _reply in alerts if chat in set(reached) for symbol in symbols]
                self._state.mark_watches_sent(done, as_of)
                sent["watches"] = len(done)
        except Exception:  # noqa: BLE001 - the edge of the notification step; logged once
            logger.exception("telegram notifications failed")
        logger.info("telegram notifications sent", extra=sent)
        return sent

    def after_rules(self, violations: dict[str, Any], coverage_pct: float | None, claim: Claim = _always) -> bool:
        """Tell the admin chat about broken rules (if any, and if ``claim`` grants it); never raises."""
        reply = violations_reply(violations, coverage_pct, self.stop_pct)
        if reply is None or self._messenger is None or self._admin_chat is None or not claim("rules"):
            return False
        try:
            reached, _blocked = self._broadcast(self._messenger, [(self._admin_chat, reply)])
        except Exception:  # noqa: BLE001 - the edge of the notification step; logged once
            logger.exception("telegram rule alert failed")
            return False
        return bool(reached)

    def after_latest_run(self) -> dict[str, int]:
        """Notifications for the newest collection run, whatever its outcome (CLI and scheduled job)."""
        if self._messenger is None:
            return dict(NOTHING_SENT)
        run = self._reports.last_collection()
        return self.after_collection(run) if run is not None else dict(NOTHING_SENT)
