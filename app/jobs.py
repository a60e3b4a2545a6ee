"""Scheduled entry points for Zappa's events. Each takes Zappa's ``(event, context)``.

``collect_daily`` is scheduled at 10:00, 11:00 and 12:00 UTC every day. From 06:00 New York on a
trading day it collects the previous session, and the later slots retry until that session is
complete (see ``shared.core.schedule``). By hand, ``zappa invoke prod app.jobs.collect_daily``
collects the last completed session unless it is already complete; add ``"force": true`` to
the event to collect it again anyway.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from shared.bootstrap import bootstrap
from shared.config import Settings
from shared.core.run_metrics import OUTCOME_METRICS
from shared.services.morning import heartbeat, run_morning
from shared.telemetry import logger, metrics


def _notify(parts: Any):  # noqa: ANN202 - the bot's pushes, bound to this invocation's parts
    def notify(summary: dict[str, Any], violations: dict[str, Any], coverage: float | None, claim: Any) -> None:
        from shared.bot.notifications import notify_after_collection, notify_violations, violations_reply

        notify_after_collection(parts, summary, claim)
        reply = violations_reply(violations, coverage, parts.settings.stop_pct)
        if reply is not None:
            notify_violations(parts, reply, claim)

    return notify


def _when(event: dict[str, Any], scheduled: bool, clock: Callable[[], datetime]) -> datetime:
    """The scheduled time of the event (EventBridge's ``time``), else now."""
    if scheduled and event.get("time"):
        return datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")).astimezone(timezone.utc)
    return clock()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def collect_daily(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    """The morning collection (see the module docstring); returns what it did."""
    event = event or {}
    scheduled = event.get("detail-type") == "Scheduled Event"
    outcome = "failed"
    try:
        parts = bootstrap(Settings.from_env())
        at = _when(event, scheduled, parts.clock)
        logger.append_keys(command="collect_daily", scheduled_at=at.isoformat())
        memory = int(getattr(context, "memory_limit_in_mb", 0) or 0)
        result = run_morning(parts, at, scheduled=scheduled, force=bool(event.get("force")), memory_mb=memory, notify=_notify(parts))
        outcome = result.outcome
        for name, unit, value in result.metrics:
            metrics.add_metric(name=name, unit=unit, value=value)
        if scheduled:
            metrics.add_metric(name="CollectionOverdue", unit="Count", value=heartbeat(parts, at))
        logger.info(f"collect_daily: {outcome}", extra={"outcome": outcome, "reason": result.reason, "as_of": str(result.session)})
        return result.reply()
    finally:
        metrics.add_metric(name=OUTCOME_METRICS[outcome], unit="Count", value=1)  # exactly one, exceptions included
