"""Scheduled entry points for Zappa's events. Each takes Zappa's ``(event, context)``.

``collect_daily`` is scheduled at 10:00, 11:00 and 12:00 UTC every day. From 06:00 New York on a
trading day it collects the previous session, and the later slots retry until that session is
complete (see ``shared.core.schedule``). By hand, ``zappa invoke prod app.jobs.collect_daily``
collects the last completed session unless it is already complete; ``"force": true`` in the
event collects it again anyway.

An uncaught exception is logged once through the redacting logger, then re-raised as
``JobFailed`` with a masked message and no chained traceback: the Lambda runtime prints what a
handler raises to CloudWatch, and a token inside a library's error message must not get there.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from shared.bootstrap import Container, bootstrap
from shared.core.run_metrics import OUTCOME_METRICS
from shared.redaction import redact
from shared.telemetry import logger, metrics


class JobFailed(RuntimeError):
    """A scheduled job failed; the message is masked (see ``shared.redaction``)."""


def scheduled_time(event: dict[str, Any]) -> datetime | None:
    """The slot of an EventBridge scheduled event (its ``time``), None for any other event."""
    if event.get("detail-type") != "Scheduled Event" or not event.get("time"):
        return None
    return datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")).astimezone(timezone.utc)


def daily_collection(container: Container, event: dict[str, Any], memory_mb: int = 0) -> dict[str, Any]:
    """One invocation with ``container``'s parts; publishes its metrics and returns what it did."""
    slot = scheduled_time(event)
    at = slot or container.clock()
    logger.append_keys(command="collect_daily", scheduled_at=at.isoformat())
    result = container.morning.run(at, scheduled=slot is not None, force=bool(event.get("force")), memory_mb=memory_mb)
    for name, unit, value in result.metrics:
        metrics.add_metric(name=name, unit=unit, value=value)
    if slot is not None:
        metrics.add_metric(name="CollectionOverdue", unit="Count", value=container.morning.heartbeat(at))
    logger.info(f"collect_daily: {result.outcome}", extra={"outcome": result.outcome, "reason": result.reason, "session": str(result.session)})
    return result.reply()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def collect_daily(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    """The morning collection (see the module docstring); exactly one outcome metric, even on error."""
    outcome = "failed"
    container = None
    try:
        container = bootstrap()
        reply = daily_collection(container, event or {}, int(getattr(context, "memory_limit_in_mb", 0) or 0))
        outcome = str(reply["outcome"])
        return reply
    except Exception as error:  # noqa: BLE001 - the job's edge: log masked, re-raise masked
        logger.exception("collect_daily failed")
        raise JobFailed(redact(f"collect_daily failed: {type(error).__name__}: {error}")) from None
    finally:
        metrics.add_metric(name=OUTCOME_METRICS[outcome], unit="Count", value=1)
        if container is not None:
            container.close()
