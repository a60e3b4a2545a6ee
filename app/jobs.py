"""Scheduled entry points for Zappa's events. Each takes Zappa's ``(event, context)``."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from shared.bootstrap import Container, bootstrap
from shared.core.trading_calendar import NEW_YORK, is_trading_day
from shared.errors import NothingCollected
from shared.telemetry import logger, metrics

#: The collector is scheduled at 10:00 and 11:00 UTC; only the one that is 6 AM in New York runs.
RUN_HOUR_NEW_YORK = 6


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def collect_daily(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    """Run the daily collection at 6 AM New York time on trading days; return the summary."""
    container = bootstrap()
    try:
        return daily_collection(container, event or {})
    finally:
        container.close()


def daily_collection(container: Container, event: dict[str, Any]) -> dict[str, Any]:
    """The scheduled collection with ``container``'s parts: skipped unless it is 6 AM on a New York
    trading day (or the event says ``force``), then the collection and its notifications."""
    logger.append_keys(command="collect_daily")
    local = container.clock().astimezone(NEW_YORK)
    if not event.get("force") and (local.hour != RUN_HOUR_NEW_YORK or not is_trading_day(local.date())):
        logger.info("skipped: not 6 AM on a New York trading day", extra={"local_time": local.isoformat()})
        metrics.add_metric(name="RunsSkipped", unit=MetricUnit.Count, value=1)
        return {"skipped": True, "local_time": local.isoformat()}
    try:
        summary = container.collection.collect()
    except NothingCollected as error:
        metrics.add_metric(name="RunsFailed", unit=MetricUnit.Count, value=1)
        return {"outcome": "failed", "error": str(error)}
    finally:
        container.notifier.after_latest_run()  # digest, watches, and the admin alert for a failed or partial run
    metrics.add_metric(name="SymbolsRanked", unit=MetricUnit.Count, value=summary.ranked)
    metrics.add_metric(name="SymbolsMissing", unit=MetricUnit.Count, value=len(summary.missing))
    metrics.add_metric(name="SymbolsFailed", unit=MetricUnit.Count, value=len(summary.failed))
    metrics.add_metric(name="RunSeconds", unit=MetricUnit.Seconds, value=summary.duration_s)
    return {"outcome": summary.outcome, "line": summary.line(), "as_of": summary.as_of}
