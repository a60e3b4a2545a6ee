"""What the bot pushes after a collection: the daily digest, watch alerts, the admin alert."""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

import pandas as pd
from telegram.error import Forbidden

from shared.bot.formatting import bold, code, escape, percent, shorten, stamp
from shared.bot.views import Reply, changes_lines
from shared.bot.webhook import message_calls
from shared.core.analytics import ranked_rows
from shared.ports import BotCall, Messenger
from shared.services.bot_state import BotState
from shared.services.reports import Reports
from shared.telemetry import logger

NOTHING_SENT = {"admin": 0, "digest": 0, "watches": 0}


def digest_reply(latest: dict[str, Any], report: pd.DataFrame, rows: int) -> Reply:
    """The daily digest: the top ``rows`` of the latest report and what changed."""
    ranked = ranked_rows(report).head(rows)
    lines = [bold(f"📉 dipwatch daily · top {len(ranked)}")]
    for row in ranked.to_dict(orient="records"):
        lines.append(f"{int(row['rank'])}. {code(row['symbol'])} {escape(percent(row['drawdown_pct'], signed=False))} · {escape(shorten(str(row['name']), 22))}")
    changes = latest.get("changes")
    if isinstance(changes, dict):
        lines += ["", bold("What changed"), *changes_lines(changes, limit=5)]
    lines.append(stamp(latest))
    return Reply("\n".join(lines))


def watch_alert(symbol: str, drawdown: float, pct: float) -> Reply:
    """The alert for a watch whose threshold is reached."""
    return Reply(
        f"🔔 {code(symbol)} is {bold(percent(drawdown))} from its peak, past your {escape(percent(-pct))} watch. /stock {escape(symbol)}"
    )


def admin_reply(summary: dict[str, Any]) -> Reply:
    """The admin alert about a failed or partial run."""
    lines = [
        bold(f"⚠️ dipwatch collection {summary.get('outcome')} for {summary.get('as_of')}"),
        escape(f"ranked {summary.get('ranked')}/{summary.get('universe')} · missing {len(summary.get('missing') or [])} · failed {len(summary.get('failed') or {})}"),
    ]
    failed = list((summary.get("failed") or {}).items())[:10]
    lines += [f"{code(symbol)} {escape(shorten(str(reason), 80))}" for symbol, reason in failed]
    if summary.get("error"):
        lines.append(f"error: {escape(shorten(str(summary['error']), 500))}")
    return Reply("\n".join(lines))


def violations_reply(violations: dict[str, Any], coverage_pct: float | None, stop_pct: float) -> Reply | None:
    """The admin alert about broken rules after a collection, or None when all is well."""
    lines = []
    if coverage_pct is not None and coverage_pct < 95.0:
        lines.append(escape(f"coverage {coverage_pct:.1f}% of the universe, below 95%"))
    for item in violations.get("beyond_stop", []):
        lines.append(f"{code(item['symbol'])} {escape(percent(item['gain_pct']))} · past the {escape(percent(-stop_pct))} stop")
    if violations.get("monitor_reached"):
        lines.append(escape(f"/monitor target reached: the best five average {percent(violations.get('average_gain_pct'))}"))
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

    def watch_alerts(self, report: pd.DataFrame, as_of: date) -> list[tuple[int, str, Reply]]:
        """(chat, symbol, alert) for every watch whose threshold is reached and not yet sent for ``as_of``."""
        drawdowns = {str(symbol): float(drawdown) for symbol, drawdown in zip(report["symbol"], report["drawdown_pct"]) if pd.notna(drawdown)}
        alerts: list[tuple[int, str, Reply]] = []
        for chat_id, items in self._state.watches().items():
            for symbol, item in items.items():
                drawdown = drawdowns.get(symbol)
                if drawdown is None or item.get("last_sent") == as_of.isoformat():
                    continue
                if drawdown <= -float(item["pct"]):
                    alerts.append((chat_id, symbol, watch_alert(symbol, drawdown, float(item["pct"]))))
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
        """Send the admin alert (failed or partial run), the digest and the watch alerts, each
        only if ``claim`` grants it.

        Does nothing without ``TELEGRAM_BOT_TOKEN``. Never raises: a notification problem is logged
        and must not turn a good collection into a failed one.
        """
        messenger = self._messenger
        sent = dict(NOTHING_SENT)
        if messenger is None:
            return sent
        try:
            if self._admin_chat is not None and summary.get("outcome") in ("failed", "partial") and claim("admin"):
                reached, _blocked = self._broadcast(messenger, [(self._admin_chat, admin_reply(summary))])
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
            alerts = self.watch_alerts(report, as_of)
            if alerts and claim("watches"):
                reached, _blocked = self._broadcast(messenger, [(chat, reply) for chat, _symbol, reply in alerts])
                done = [(chat, symbol) for chat, symbol, _reply in alerts if chat in set(reached)]
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
