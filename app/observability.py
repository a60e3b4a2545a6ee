"""The web edge's observability: each request logs with the Lambda request id; the webhook's metrics.

Zappa hands the Lambda context to the app in the WSGI environ (``lambda.context``); its keys go
on every log line of the request, as Powertools' ``inject_lambda_context`` does for the jobs.
Each webhook request publishes ``WebhookRequests``, ``WebhookLatency`` and ``WebhookErrors``
(1 when it answered 5xx or its command failed), and a command ``Commands`` with its name as the
``command`` dimension.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask, Response, g, request

from shared.telemetry import NAMESPACE, logger, metrics

_REQUEST_KEYS = ["function_name", "function_memory_size", "function_arn", "function_request_id", "cold_start", "path", "method"]
_state = {"cold": True}
_METRICS_LOCK = threading.Lock()


def note_command(name: str | None) -> None:
    """Record which bot command this webhook request carries."""
    g.command = name


def note_failure() -> None:
    """Record that this request's command failed (it was still answered, with an apology)."""
    g.failed = True


def _begin() -> None:
    g.started = time.perf_counter()
    keys: dict[str, Any] = {"path": request.path, "method": request.method}
    context = request.environ.get("lambda.context")
    if context is not None:
        keys.update(
            function_name=getattr(context, "function_name", None),
            function_memory_size=getattr(context, "memory_limit_in_mb", None),
            function_arn=getattr(context, "invoked_function_arn", None),
            function_request_id=getattr(context, "aws_request_id", None),
            cold_start=_state["cold"],
        )
        _state["cold"] = False
    logger.append_keys(**keys)


def _finish(response: Response) -> Response:
    if request.blueprint == "telegram":
        from aws_lambda_powertools.metrics import MetricUnit, single_metric

        elapsed_ms = (time.perf_counter() - float(g.get("started", time.perf_counter()))) * 1000
        failed = response.status_code >= 500 or bool(g.get("failed"))
        # Powertools' Metrics is one shared buffer: under a threaded server (waitress) another
        # request could flush this one's metrics first and leave this flush empty, which raises.
        # One request adds and flushes at a time (Lambda runs one request per process anyway).
        with _METRICS_LOCK:
            metrics.add_metric(name="WebhookRequests", unit="Count", value=1)
            metrics.add_metric(name="WebhookErrors", unit="Count", value=1 if failed else 0)
            metrics.add_metric(name="WebhookLatency", unit="Milliseconds", value=round(elapsed_ms, 2))
            metrics.flush_metrics()
        command = g.get("command")
        if command:
            with single_metric(name="Commands", unit=MetricUnit.Count, value=1, namespace=NAMESPACE, default_dimensions=metrics.default_dimensions) as metric:
                metric.add_dimension(name="command", value=str(command))
    return response


def _clear(_error: BaseException | None) -> None:
    logger.remove_keys(_REQUEST_KEYS)


def init_app(app: Flask) -> None:
    """Register the request hooks, and the redaction filter on Flask's own log handler."""
    from shared import redaction

    redaction.install(app.logger)
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_clear)
