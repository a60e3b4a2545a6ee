"""One ledger per NYSE session, in the Store: its collection runs, whether it is complete, and
which notifications went out.

``state/session-YYYY-MM-DD.json`` is a pointer, changed only by compare-and-swap, so two
invocations (a retry, a redelivered event, a manual invoke) never both claim the same
notification: whichever claims it first sends it, and nobody sends it again.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.adapters.archive import Archive


def _name(session: date) -> str:
    return f"session-{session.isoformat()}"


def read_ledger(archive: Archive, session: date) -> dict[str, Any]:
    """The session's ledger (empty when nothing ran for it yet)."""
    return archive.read_state(_name(session))


def is_complete(archive: Archive, session: date) -> bool:
    """Whether a run for ``session`` has completed (every symbol collected)."""
    return bool(read_ledger(archive, session).get("complete"))


def record_run(archive: Archive, session: date, run: dict[str, Any]) -> None:
    """Add one run (``run_id``, ``outcome`` and its cost fields) to the session's ledger."""

    def add(ledger: dict[str, Any]) -> dict[str, Any]:
        runs = [entry for entry in ledger.get("runs", []) if entry.get("run_id") != run.get("run_id")]
        complete = ledger.get("complete") or (run["run_id"] if run.get("outcome") == "complete" else None)
        return {**ledger, "session": session.isoformat(), "runs": [*runs, run], "complete": complete}

    archive.update_state(_name(session), add)


def claim(archive: Archive, session: date, kind: str, at: str) -> bool:
    """Claim the session's one ``kind`` notification; True for the one caller that gets it."""
    claimed = False

    def take(ledger: dict[str, Any]) -> dict[str, Any]:
        nonlocal claimed
        notified = dict(ledger.get("notified", {}))
        claimed = kind not in notified
        if claimed:
            notified[kind] = at
        return {**ledger, "session": session.isoformat(), "notified": notified}

    archive.update_state(_name(session), take)
    return claimed


def recent_runs(archive: Archive, session: date, days: int) -> list[dict[str, Any]]:
    """The runs recorded for the sessions in the ``days`` calendar days before ``session``."""
    first = session - timedelta(days=days)
    runs: list[dict[str, Any]] = []
    for key in archive.store.list("state/session-"):
        stamp = key.removeprefix("state/session-").removesuffix(".json")
        try:
            day = date.fromisoformat(stamp)
        except ValueError:
            continue
        if first <= day < session:
            runs += archive.read_state(_name(day)).get("runs", [])
    return runs
