"""The morning job: one invocation of the scheduled collector, from slot to metrics.

A scheduled invocation collects in a slot at or after 06:00 New York on a trading day (see
``shared.core.schedule``) unless its session is already complete; a manual one (``zappa invoke
prod app.jobs.collect_daily``) collects the last completed session unless it is complete, and
``force`` collects it again anyway. Notifications go out once per session through the session
ledger's claims. Every invocation ends with exactly one outcome: complete, partial, failed or
skipped, also when the collection raised.
"""
from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable

from shared.bootstrap import Parts
from shared.core.run_metrics import BASELINE_DAYS, OUTCOME_METRICS, business_metrics, cost_ratios
from shared.core.schedule import due_session, morning_slot
from shared.core.trading_calendar import last_completed_session
from shared.errors import NothingCollected
from shared.services import session_ledger as ledger
from shared.services.collection import RunSummary, collect
from shared.services.portfolio import rule_violations
from shared.telemetry import logger

BUSINESS_UNITS = {"SymbolsRanked": "Count", "MedianDrawdown": "Percent", "SymbolsDown20": "Count", "Coverage": "Percent"}
#: ``notify(summary, violations, coverage_pct, claim)``: the bot's pushes after a collection.
Notify = Callable[[dict[str, Any], dict[str, Any], "float | None", Callable[[str], bool]], object]


@dataclass
class MorningResult:
    """What one invocation did, and the metrics it publishes: (name, unit, value)."""

    outcome: str  # complete | partial | failed | skipped
    session: date | None
    reason: str
    line: str = ""
    metrics: list[tuple[str, str, float]] = field(default_factory=list)

    def reply(self) -> dict[str, Any]:
        """The invocation's return value (Zappa prints it for ``zappa invoke``)."""
        return {"outcome": self.outcome, "as_of": self.session.isoformat() if self.session else None, "reason": self.reason, "line": self.line}


def _store_requests(parts: Parts) -> float:
    return float(getattr(parts.store, "requests", 0))


def _collected(parts: Parts, session: date, summary: RunSummary, started: float, memory_mb: int, notify: Notify, at: datetime) -> MorningResult:
    """Ledger, notifications and metrics after a collection that produced a summary."""
    duration = time.monotonic() - started
    cost = {
        "duration_s": round(duration, 3),
        "alpaca_requests": float(summary.fetch.get("requests", 0)),
        "s3_requests": _store_requests(parts),
        "gb_seconds": round(memory_mb / 1024 * duration, 3),
    }
    history = [run for run in ledger.recent_runs(parts.archive, session, BASELINE_DAYS) if run.get("outcome") in ("complete", "partial")]
    ledger.record_run(parts.archive, session, {"run_id": summary.run_id, "outcome": summary.outcome, "at": at.isoformat(), **cost})
    metrics = [
        ("RunDuration", "Seconds", cost["duration_s"]),
        ("PeakMemory", "Megabytes", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        ("AlpacaRequests", "Count", cost["alpaca_requests"]),
        ("S3Requests", "Count", cost["s3_requests"]),
        ("GBSeconds", "None", cost["gb_seconds"]),
    ]
    metrics += [(name, "None", value) for name, value in cost_ratios(cost, history).items()]
    coverage = None
    violations: dict[str, Any] = {"beyond_stop": [], "monitor_reached": False}
    if summary.outcome != "failed":
        report = parts.archive.read_report(session)
        business = business_metrics(report, summary.universe)
        coverage = business["Coverage"]
        metrics += [(name, BUSINESS_UNITS[name], value) for name, value in business.items()]
        try:
            violations = rule_violations(parts)
        except Exception as error:  # noqa: BLE001 - the account is optional to the collection
            logger.warning("rule check failed", extra={"error": str(error)[:200]})
        metrics += [
            ("PositionsBeyondStop", "Count", float(len(violations["beyond_stop"]))),
            ("MonitorTargetReached", "Count", float(bool(violations["monitor_reached"]))),
        ]
    notify(summary.manifest(), violations, coverage, lambda kind: ledger.claim(parts.archive, session, kind, at.isoformat()))
    return MorningResult(summary.outcome, session, "collected", summary.line(), metrics)


def run_morning(parts: Parts, at: datetime, *, scheduled: bool, force: bool, memory_mb: int, notify: Notify) -> MorningResult:
    """One invocation at ``at``: decide, collect, record, notify; never more than one outcome."""
    started = time.monotonic()
    session: date | None
    if scheduled:
        slot = morning_slot(at)
        session, reason = slot.session, slot.reason
    else:
        session, reason = last_completed_session(at), "invoked by hand"
    result: MorningResult
    try:
        if session is None:
            result = MorningResult("skipped", None, reason)
        elif not force and ledger.is_complete(parts.archive, session):
            result = MorningResult("skipped", session, f"{session} is already complete")
        else:
            try:
                summary = collect(parts, session)
            except NothingCollected as error:
                summary = RunSummary(**{**(parts.archive.latest_run(kind="collect") or {}), "outcome": "failed", "error": str(error)})
            result = _collected(parts, session, summary, started, memory_mb, notify, at)
    except Exception as error:
        # The collection (or the ledger) raised: the run is failed, recorded and told once.
        if session is not None:
            failed = {"run_id": f"error-{at.isoformat()}", "outcome": "failed", "at": at.isoformat(), "error": str(error)[:500]}
            try:
                ledger.record_run(parts.archive, session, failed)
                notify({**failed, "as_of": session.isoformat(), "kind": "collect"}, {}, None, lambda kind: ledger.claim(parts.archive, session, kind, at.isoformat()))
            except Exception:  # noqa: BLE001 - the store itself may be what failed
                logger.exception("could not record the failed run")
        logger.exception("morning run failed", extra={"session": str(session)})
        raise
    return result


def heartbeat(parts: Parts, at: datetime) -> float:
    """``CollectionOverdue``: 1 when the session due by ``at`` has no complete collection."""
    return 0.0 if ledger.is_complete(parts.archive, due_session(at)) else 1.0


__all__ = ["MorningResult", "OUTCOME_METRICS", "heartbeat", "run_morning"]
