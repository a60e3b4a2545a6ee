"""The stage's CloudWatch metric alarms, in four families, each notifying the stage's SNS topic.

The metrics are the ones the function publishes as EMF log lines (namespace ``dipwatch``, one
dimension ``service`` = the stage's ``POWERTOOLS_SERVICE_NAME``), plus Lambda's own.
Baselines such as "twice the 7-day median" are computed by the job from the stored run manifests
and published as ratios (``...VsMedian``), since an alarm cannot take a median over days.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NAMESPACE = "dipwatch"

#: Every dipwatch metric an alarm watches, by family (the job and the web edge publish them).
ALARMED_METRICS = {
    "errors": ("RunsFailed", "WebhookRequests", "WebhookErrors"),
    "performance": ("WebhookLatency", "RunDurationVsMedian"),
    "cost": ("AlpacaRequestsVsMedian", "S3RequestsVsMedian", "GBSecondsVsMedian"),
    "business": ("Coverage", "CollectionOverdue", "PositionsBeyondStop", "MonitorTargetReached"),
}


@dataclass(frozen=True)
class AlarmTarget:
    """What the alarms watch and whom they tell."""

    prefix: str  # dipwatch-prod
    function_name: str
    service: str  # the metrics' ``service`` dimension
    topic_arn: str


def _own(target: AlarmTarget, name: str, metric: str, statistic: str, operator: str, threshold: float, period: int = 3600, periods: int = 1, **extra: Any) -> dict[str, Any]:
    """An alarm on one of dipwatch's own metrics."""
    stat = {"ExtendedStatistic": statistic} if statistic.startswith("p") else {"Statistic": statistic}
    return {
        "AlarmName": f"{target.prefix}-{name}",
        "Namespace": NAMESPACE,
        "MetricName": metric,
        "Dimensions": [{"Name": "service", "Value": target.service}],
        "Period": period,
        "EvaluationPeriods": periods,
        "DatapointsToAlarm": periods,
        "Threshold": float(threshold),
        "ComparisonOperator": operator,
        "TreatMissingData": "notBreaching",
        **stat,
        **extra,
    }


def _lambda(target: AlarmTarget, name: str, metric: str) -> dict[str, Any]:
    """An alarm on Lambda's own metric for the function: any occurrence in 5 minutes."""
    return {
        "AlarmName": f"{target.prefix}-{name}",
        "Namespace": "AWS/Lambda",
        "MetricName": metric,
        "Dimensions": [{"Name": "FunctionName", "Value": target.function_name}],
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }


def _webhook_error_rate(target: AlarmTarget) -> dict[str, Any]:
    """Webhook errors over 5% of requests, in three 5-minute periods running."""
    def metric(metric_id: str, name: str) -> dict[str, Any]:
        return {
            "Id": metric_id,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {"Namespace": NAMESPACE, "MetricName": name, "Dimensions": [{"Name": "service", "Value": target.service}]},
                "Period": 300,
                "Stat": "Sum",
            },
        }

    return {
        "AlarmName": f"{target.prefix}-webhook-error-rate",
        "Metrics": [
            metric("errors", "WebhookErrors"),
            metric("requests", "WebhookRequests"),
            {"Id": "rate", "Expression": "100 * errors / requests", "Label": "webhook error rate (%)", "ReturnData": True},
        ],
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 3,
        "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }


def alarm_specs(target: AlarmTarget) -> list[dict[str, Any]]:
    """Every alarm of the stage, as ``put_metric_alarm`` arguments (notifying ``target.topic_arn``)."""
    at_least = "GreaterThanOrEqualToThreshold"
    over = "GreaterThanThreshold"
    specs = [
        # errors
        _own(target, "collector-failed", "RunsFailed", "Sum", at_least, 1),
        _webhook_error_rate(target),
        _lambda(target, "lambda-errors", "Errors"),
        _lambda(target, "lambda-throttles", "Throttles"),
        # performance degradation
        _own(target, "webhook-p95", "WebhookLatency", "p95", over, 1000, period=300, periods=3),
        _own(target, "run-duration", "RunDurationVsMedian", "Maximum", over, 2),
        # cost anomalies
        _own(target, "alpaca-requests", "AlpacaRequestsVsMedian", "Maximum", over, 3),
        _own(target, "s3-requests", "S3RequestsVsMedian", "Maximum", over, 3),
        _own(target, "gb-seconds", "GBSecondsVsMedian", "Maximum", over, 3),
        # business rule violations
        _own(target, "coverage", "Coverage", "Minimum", "LessThanThreshold", 95),
        # Every scheduled invocation (three a day, every day) says whether a due session lacks
        # a complete collection. 26 hours running without a good datapoint (overdue, or no
        # invocation at all: missing data breaches) is a day without a successful collection.
        _own(target, "collection-overdue", "CollectionOverdue", "Maximum", at_least, 1, periods=26, TreatMissingData="breaching"),
        _own(target, "position-beyond-stop", "PositionsBeyondStop", "Maximum", at_least, 1),
        _own(target, "monitor-target", "MonitorTargetReached", "Maximum", at_least, 1),
    ]
    for spec in specs:
        spec["AlarmDescription"] = f"dipwatch {target.prefix}: {spec['AlarmName'].removeprefix(target.prefix + '-')}"
        spec["ActionsEnabled"] = True
        spec["AlarmActions"] = [target.topic_arn]
        spec["OKActions"] = [target.topic_arn]
    return specs
