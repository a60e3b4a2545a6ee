"""What the bot pushes after a collection: the daily digest, watch alerts, the admin alert."""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

import pandas as pd

from shared.services import reports as services
from shared.bootstrap import Parts
from shared.services import bot_state as state
from shared.bot.commands import Reply, changes_lines
from shared.bot.formatting import bold, code, escape, percent, shorten, stamp
from shared.adapters.messenger import Forbidden, TelegramMessenger, messenger_for
from shared.bot.webhook import message_calls
from shared.telemetry import logger

#: Rows in the digest.
DIGEST_ROWS = 10


def digest_reply(parts: Parts) -> Reply:
    """The daily digest: the top rows of the latest report."""
    latest = services.latest_summary(parts)
    _day, report = services.load_report(parts, date.fromisoformat(latest["as_of"]))
    ranked = report[report["rank"].notna()].sort_values("rank", kind="stable").head(DIGEST_ROWS)
    lines = [bold(f"📉 dipwatch daily · top {len(ranked)}")]
    for row in ranked.itertuples(index=False):
        lines.append(f"{int(row.rank)}. {code(row.symbol)} {escape(percent(row.drawdown_pct, signed=False))} · {escape(shorten(str(row.name), 22))}")
    changes = latest.get("changes")
    if isinstance(changes, dict):
        lines += ["", bold("What changed"), *changes_lines(changes, limit=5)]
    lines.append(stamp(latest))
    return Reply("\n".join(lines))


def watch_alerts(parts: Parts, report: pd.DataFrame, as_of: date) -> list[tuple[int, str, Reply]]:
    """(chat, symbol, alert) for every watch whose threshold is reached and not yet sent for ``as_of``."""
    drawdowns = dict(zip(report["symbol"], report["drawdown_pct"]))
    alerts = []
    for chat_id, items in state.watches(parts).items():
        for symbol, item in items.items():
            drawdown = drawdowns.get(symbol)
            if drawdown is None or pd.isna(drawdown) or item.get("last_sent") == as_of.isoformat():
                continue
            if drawdown <= -float(item["pct"]):
                text = (
                    f"🔔 {code(symbol)} is {bold(percent(drawdown))} from its peak, past your "
                    f"{escape(percent(-float(item['pct'])))} watch. /stock {escape(symbol)}"
                )
                alerts.append((chat_id, symbol, Reply(text)))
    return alerts


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


def _broadcast(messenger: TelegramMessenger, targets: list[tuple[int, Reply]]) -> tuple[list[int], list[int]]:
    """Send each reply; (chats reached, chats that blocked the bot)."""
    calls, owners = [], []
    for chat_id, reply in targets:
        for call in message_calls(chat_id, reply):
            calls.append(call)
            owners.append(chat_id)
    results = messenger.call_many(calls)
    failed, blocked = set(), set()
    for chat_id, result in zip(owners, results):
        if isinstance(result, Exception):
            failed.add(chat_id)
            if isinstance(result, Forbidden):
                blocked.add(chat_id)
            logger.warning("telegram send failed", extra={"chat_id": chat_id, "error": str(result)[:200]})
    reached = sorted({chat for chat, _reply in targets} - failed)
    return reached, sorted(blocked)


def _always(_kind: str) -> bool:
    return True


def notify_after_collection(parts: Parts, summary: dict[str, Any], claim: Callable[[str], bool] = _always) -> dict[str, int]:
    """Send the admin alert (failed or partial run), the digest and the watch alerts.

    ``claim(kind)`` is asked before each kind goes out ("admin", "digest", "watches"); the
    scheduled job passes the session ledger's, so each goes out once per trading day whichever
    invocation sends it. Does nothing without ``TELEGRAM_BOT_TOKEN``. Never raises: a
    notification problem is logged and must not turn a good collection into a failed one.
    """
    messenger = messenger_for(parts)
    sent = {"admin": 0, "digest": 0, "watches": 0}
    if messenger is None:
        return sent
    try:
        admin = parts.settings.telegram_admin_chat
        if admin is not None and summary.get("outcome") in ("failed", "partial") and claim("admin"):
            reached, _blocked = _broadcast(messenger, [(admin, admin_reply(summary))])
            sent["admin"] = len(reached)
        if summary.get("outcome") == "failed":
            return sent
        as_of, report = services.load_report(parts, date.fromisoformat(summary["as_of"]))
        subscribers = state.subscribers(parts)
        if subscribers and claim("digest"):
            digest = digest_reply(parts)
            reached, blocked = _broadcast(messenger, [(chat, digest) for chat in subscribers])
            sent["digest"] = len(reached)
            if blocked:
                state.unsubscribe(parts, blocked)  # the user blocked the bot: stop trying
        alerts = watch_alerts(parts, report, as_of)
        if alerts and claim("watches"):
            reached, _blocked = _broadcast(messenger, [(chat, reply) for chat, _symbol, reply in alerts])
            done = [(chat, symbol) for chat, symbol, _reply in alerts if chat in set(reached)]
            state.mark_watches_sent(parts, done, as_of)
            sent["watches"] = len(done)
    except Exception:  # noqa: BLE001 - the edge of the notification step; logged once
        logger.exception("telegram notifications failed")
    logger.info("telegram notifications sent", extra=sent)
    return sent


def notify_latest_run(parts: Parts) -> dict[str, int]:
    """Notifications for the newest collection run, whatever its outcome (CLI and scheduled job)."""
    if not parts.settings.telegram_bot_token:
        return {"admin": 0, "digest": 0, "watches": 0}
    run = parts.archive.latest_run(kind="collect")
    return notify_after_collection(parts, run) if run is not None else {"admin": 0, "digest": 0, "watches": 0}


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


def notify_violations(parts: Parts, reply: Reply, claim: Callable[[str], bool] = _always) -> bool:
    """Tell the admin chat about broken rules (once per session with the ledger's ``claim``)."""
    messenger = messenger_for(parts)
    admin = parts.settings.telegram_admin_chat
    if messenger is None or admin is None or not claim("rules"):
        return False
    try:
        reached, _blocked = _broadcast(messenger, [(admin, reply)])
    except Exception:  # noqa: BLE001 - the edge of the notification step; logged once
        logger.exception("telegram rule alert failed")
        return False
    return bool(reached)
