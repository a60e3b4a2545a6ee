"""``reports/latest.json`` follows the newest valid report.

A valid report is stored, verifies, and is of a completed session. A pointer ahead of every
valid report (a future day an earlier version stored, a report since quarantined, or garbage)
is repaired by the next run: pointed at the newest valid report, rebuilt from that report and
the manifest of the run that wrote it.
"""
from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from typing import Any

from shared.adapters.archive import Archive, report_key
from shared.adapters.object_keys import Seal
from shared.core.trading_calendar import last_completed_session
from shared.errors import CorruptObject, ObjectNotFound
from shared.services.runs import RunSummary, latest_document
from shared.telemetry import logger


def newest_valid_report(archive: Archive, now: datetime) -> date | None:
    """The newest stored report of a completed session that verifies, if any."""
    last = last_completed_session(now)
    for day in reversed(archive.stored_days("reports")):
        if day > last:
            continue
        try:
            if not _stored_as_written(archive, report_key(day)):
                archive.read_report(day)
        except (CorruptObject, ObjectNotFound):
            continue
        return day
    return None


def _stored_as_written(archive: Archive, key: str) -> bool:
    """Whether ``key`` holds what this archive wrote: the seal it wrote, and bytes that match
    it (else raises CorruptObject). A report the run has just written and sealed is verified
    without being parsed again; any other is read in full."""
    written = archive.seals.get(key)
    if written is None:
        return False
    data, metadata = archive.store.get_with_metadata(key)
    if Seal.from_metadata(key, metadata) != written:
        return False
    written.verify(key, data)
    return True


def _pointed_day(archive: Archive) -> str | None:
    try:
        return str(archive.read_latest()["as_of"])
    except (ObjectNotFound, CorruptObject):
        return None


def point_latest(archive: Archive, document: dict[str, Any], now: datetime) -> None:
    """Point ``latest.json`` at ``document`` (a run's report) unless a newer valid report holds
    it, and repair a pointer that is ahead of every valid report."""
    newest = newest_valid_report(archive, now)
    archive.write_latest(document, newest)
    if newest is None or document["as_of"] == newest.isoformat():
        return
    pointed = _pointed_day(archive)
    if pointed is None or pointed > newest.isoformat():
        logger.warning("latest.json was ahead of every valid report; pointing it at the newest", extra={"was": pointed, "now": newest.isoformat()})
        archive.write_latest(rebuilt_document(archive, newest), newest)


def rebuilt_document(archive: Archive, day: date) -> dict[str, Any]:
    """The ``latest.json`` document of a stored report, from the manifest of the run that wrote it."""
    key = report_key(day)
    known = {field.name for field in fields(RunSummary)}
    summary = RunSummary(run_id="repaired", as_of=day.isoformat(), kind="collect", source="", started_at="", report_key=key)
    for run_key in reversed(archive.list_runs()):
        run = archive.read_run(run_key)
        if run.get("report_key") == key and run.get("outcome") != "failed":
            summary = RunSummary(**{name: value for name, value in run.items() if name in known})
            break
    try:
        changes: dict[str, Any] | None = archive.read_changes(day)
    except (ObjectNotFound, CorruptObject):
        changes = None
    return latest_document(summary, archive.read_report(day), changes)
