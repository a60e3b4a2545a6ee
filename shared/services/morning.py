"""The morning job: one invocation of the scheduled collector, from slot to metrics.

A scheduled invocation collects in a slot at or after 06:00 New York on a trading day (see
``shared.core.schedule``) unless its session is already complete; a manual one (``zappa invoke
prod app.jobs.collect_daily``) collects the last completed session unless it is complete, and
``force`` collects it again anyway. Notifications go out once per session through the session
ledger's claims. Every invocation ends with exactly one outcome: complete, partial, failed or
skipped (the edge publishes ``failed`` when this raises).
"""
from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Protocol

from shared.adapters.archive import Archive
from shared.core.run_metrics import BASELINE_DAYS, business_metrics, cost_ratios
from shared.core.schedule import due_session, morning_slot
from shared.core.trading_calendar import last_completed_session
from shared.errors import NothingCollected
from shared.services import session_ledger as ledger
from shared.services.collection import Collection
from shared.services.portfolio import Portfolio
from shared.services.runs import RunSummary
from shared.telemetry import logger

BUSINESS_UNITS = {"SymbolsRanked": "Count", "MedianDrawdown": "Percent", "SymbolsDown20": "Count", "Coverage": "Percent"}
Claim = Callable[[str], bool]


class Notifications(Protocol):
    """What the bot pushes after a collection (implemented by ``shared.bot.notifications.Notifier``)."""

    def after_collection(self, summary: dict[str, Any], claim: Claim) -> object: ...

    def after_rules(self, violations: dict[str, Any], coverage_pct: float | None, claim: Claim) -> object: ...


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


class Morning:
    """The scheduled collection with its ledger, notifications and metrics."""

    def __init__(
        self,
        collection: Collection,
        archive: Archive,
        portfolio: Portfolio,
        notifications: Callable[[], Notifications],
        store_requests: Callable[[], float],
        *,
        stop_pct: float,
    ) -> None:
        self._collection = collection
        self._archive = archive
        self._portfolio = portfolio
        self._notifications = notifications  # built on first use: it loads the Telegram client
        self._store_requests = store_requests
        self.stop_pct = stop_pct

    def run(self, at: datetime, *, scheduled: bool, force: bool, memory_mb: int) -> MorningResult:
        """One invocation at ``at``: decide, collect, record, notify."""
        started = time.monotonic()
        if scheduled:
            slot = morning_slot(at)
            session, reason = slot.session, slot.reason
        else:
            session, reason = last_completed_session(at), "invoked by hand"
        if session is None:
            return MorningResult("skipped", None, reason)
        if not force and ledger.is_complete(self._archive, session):
            return MorningResult("skipped", session, f"{session} is already complete")
        claim = self._claim(session, at)
        try:
            try:
                summary = self._collection.collect(session)
            except NothingCollected as error:
                manifest = self._archive.latest_run(kind="collect") or {}
                summary = RunSummary(**{**manifest, "outcome": "failed", "error": str(error)})
            return self._after(session, summary, started, memory_mb, claim, at)
        except Exception as error:
            # The run is failed: recorded and told once, then the edge reports the exception.
            failed = {"run_id": f"error-{at.isoformat()}", "outcome": "failed", "at": at.isoformat(), "error": str(error)[:500]}
            try:
                ledger.record_run(self._archive, session, failed)
                self._notifications().after_collection({**failed, "as_of": session.isoformat(), "kind": "collect"}, claim)
            except Exception:  # noqa: BLE001 - the store itself may be what failed
                logger.exception("could not record the failed run")
            raise

    def heartbeat(self, at: datetime) -> float:
        """``CollectionOverdue``: 1 when the session due by ``at`` has no complete collection."""
        return 0.0 if ledger.is_complete(self._archive, due_session(at)) else 1.0

    def _claim(self, session: date, at: datetime) -> Claim:
        return lambda kind: ledger.claim(self._archive, session, kind, at.isoformat())

    def _after(self, session: date, summary: RunSummary, started: float, memory_mb: int, claim: Claim, at: datetime) -> MorningResult:
        """Ledger, metrics and notifications after a collection that produced a summary."""
        duration = time.monotonic() - started
        cost = {
            "duration_s": round(duration, 3),
            "alpaca_requests": float(summary.fetch.get("requests", 0)),
            "s3_requests": self._store_requests(),
            "gb_seconds": round(memory_mb / 1024 * duration, 3),
        }
        recent = ledger.recent_runs(self._archive, session, BASELINE_DAYS)
        history = [run for run in recent if run.get("outcome") in ("complete", "partial")]
        ledger.record_run(self._archive, session, {"run_id": summary.run_id, "outcome": summary.outcome, "at": at.isoformat(), **cost})
        metrics = [
            ("RunDuration", "Seconds", cost["duration_s"]),
            ("PeakMemory", "Megabytes", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            ("AlpacaRequests", "Count", cost["alpaca_requests"]),
            ("S3Requests", "Count", cost["s3_requests"]),
            ("GBSeconds", "None", cost["gb_seconds"]),
        ]
        metrics += [(name, "None", value) for name, value in cost_ratios(cost, history).items()]
        notifications = self._notifications()
        notifications.after_collection(summary.manifest(), claim)
        if summary.outcome != "failed":
            business = business_metrics(self._archive.read_report(session), summary.universe)
            metrics += [(name, BUSINESS_UNITS[name], value) for name, value in business.items()]
            violations = self._violations()
            metrics += [
                ("PositionsBeyondStop", "Count", float(len(violations["beyond_stop"]))),
                ("MonitorTargetReached", "Count", float(bool(violations["monitor_reached"]))),
            ]
            notifications.after_rules(violations, business["Coverage"], claim)
        return MorningResult(summary.outcome, session, "collected", summary.line(), metrics)

    def _violations(self) -> dict[str, Any]:
        try:
            return self._portfolio.rule_violations(self.stop_pct)
        except Exception as error:  # noqa: BLE001 - the account is optional to the collection
            logger.warning("rule check failed", extra={"error": str(error)[:200]})
            return {"beyond_stop": [], "monitor_reached": False, "average_gain_pct": None}
