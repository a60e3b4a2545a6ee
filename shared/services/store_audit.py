"""``store check``: verify every object of the store, and with ``repair`` mend what it finds.

Every immutable object is read as its kind is read: seal (SHA-256, rows) and strict parse, and
against the seal its run's manifest lists. An object written before seals is checked by its
structure alone ("unsealed"; a repair seals it once it parses). Found and repaired:
- corrupt objects: moved to ``quarantine/`` with a note; bars are fetched again, a report (and
  what changed, and its chart) rebuilt from verified bars by collecting its day again;
- days stored for a session that was not complete yet (``--as-of`` in the future, or before
  the close, by earlier versions): moved to quarantine, then fetched or rebuilt once complete;
- ``latest.json`` that does not parse, or points past the newest valid report: pointed at it;
- temporary files killed writers left behind (older than an hour): removed.
Stray keys that name no day are reported and left alone.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

from shared.adapters.archive import LATEST_KEY, Archive
from shared.adapters.formats import parsed
from shared.adapters.layout import IMMUTABLE_KEY, day_of, parser_for
from shared.adapters.object_keys import QUARANTINE, STALE_TEMPORARY_SECONDS, Seal
from shared.core.trading_calendar import last_completed_session, session_complete_at
from shared.errors import CorruptObject, DipwatchError, ObjectNotFound
from shared.services.collection import Collection
from shared.services.latest_pointer import newest_valid_report, rebuilt_document

_POINTERS = ("state/",)


@dataclass
class Findings:
    """What a check found (and, with repair, did)."""

    verified: int = 0
    sealed: int = 0
    unsealed: list[str] = field(default_factory=list)
    corrupt: dict[str, str] = field(default_factory=dict)
    future: dict[str, str] = field(default_factory=dict)
    stray: list[str] = field(default_factory=list)
    quarantined: int = 0
    latest: str = "ok"
    repaired: list[str] = field(default_factory=list)
    unrepaired: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        """Corrupt objects, future days and a bad pointer, not yet repaired."""
        found = len(self.corrupt) + len(self.future) + self.latest.startswith(("ahead", "corrupt"))
        return len(self.unrepaired) if self.repaired or self.unrepaired else found

    def lines(self, location: str) -> list[str]:
        """One line per finding, then the summary line."""
        out = [f"corrupt: {key}: {reason}" for key, reason in sorted(self.corrupt.items())]
        out += [f"future: {key}: {reason}" for key, reason in sorted(self.future.items())]
        out += [f"stray (ignored): {key}" for key in self.stray]
        out += [f"unsealed (written before seals; verified by structure): {key}" for key in self.unsealed[:5]]
        out += [f"unsealed: … and {len(self.unsealed) - 5} more"] if len(self.unsealed) > 5 else []
        out += [f"latest.json: {self.latest}"] if self.latest != "ok" else []
        out += [f"repaired: {line}" for line in self.repaired] + [f"not repaired: {line}" for line in self.unrepaired]
        out.append(
            f"store check {location}: {self.verified} objects verified ({self.sealed} sealed, {len(self.unsealed)} unsealed)"
            f" · {len(self.corrupt)} corrupt · {len(self.future)} future · {len(self.stray)} stray"
            f" · latest {self.latest.split(':')[0]} · {self.quarantined} in quarantine"
            + (f" · {len(self.repaired)} repaired, {len(self.unrepaired)} not" if self.repaired or self.unrepaired else "")
        )
        return out


class StoreAudit:
    """Checks a store's objects, and repairs them through the collection."""

    def __init__(self, archive: Archive, collection: Collection, clock: Callable[[], datetime]) -> None:
        self._set_aside: dict[str, str] = {}
        self._archive = archive
        self._collection = collection
        self._clock = clock

    def check(self, repair: bool = False) -> Findings:
        """Verify every object; with ``repair``, mend what was found (see the module docstring)."""
        found = Findings()
        self._set_aside = {}  # key -> when its last copy went to quarantine
        hashes: dict[str, str] = {}
        last = last_completed_session(self._clock())
        for key in self._archive.store.list(""):
            if key.startswith(QUARANTINE):
                found.quarantined += key.endswith(".note.json")
                original, _, stamp = key[len(QUARANTINE) :].removesuffix(".note.json").rpartition(".")
                self._set_aside[original] = max(stamp, self._set_aside.get(original, ""))
            elif IMMUTABLE_KEY.match(key):
                self._verify(key, found, hashes, last)
            elif key != LATEST_KEY and not key.startswith(_POINTERS):
                found.stray.append(key)
        self._check_manifests(found, hashes)
        self._check_latest(found)
        if repair:
            self._repair(found, last)
        return found

    def _verify(self, key: str, found: Findings, hashes: dict[str, str], last: date) -> None:
        day = day_of(key)
        if day is None and not key.startswith("runs/"):
            found.stray.append(key)  # a key shaped like a day that names none (2026-13-45)
            return
        try:
            data, metadata = self._archive.store.get_with_metadata(key)
            seal = Seal.from_metadata(key, metadata)
            if seal is not None:
                seal.verify(key, data)
            value = parsed(key, data, parser_for(key))
            rows = len(value) if hasattr(value, "columns") else 1
            if seal is not None and rows != seal.rows:
                raise CorruptObject(key, f"{rows} rows, but it was written with {seal.rows}")
        except ObjectNotFound:
            return  # moved or replaced while we looked
        except CorruptObject as error:
            found.corrupt[key] = str(error).split(": ", 1)[-1]
            return
        found.verified += 1
        hashes[key] = hashlib.sha256(data).hexdigest()
        if seal is None:
            found.unsealed.append(key)
        else:
            found.sealed += 1
        if day is not None and day > last and not key.startswith("runs/"):
            found.future[key] = f"{day.isoformat()} is after the last completed session, {last.isoformat()}"

    def _check_manifests(self, found: Findings, hashes: dict[str, str]) -> None:
        """Each object against the seal its run's manifest lists; days written too early."""
        for key in [key for key in hashes if key.startswith("runs/")]:
            run = self._archive.read_run(key)
            for listed, seal in (run.get("objects") or {}).items():
                if listed in hashes and isinstance(seal, dict) and hashes[listed] != seal.get("sha256"):
                    found.corrupt[listed] = f"SHA-256 differs from the one run {run.get('run_id')} wrote"
            started = str(run.get("started_at") or "")
            days = list(run.get("days_written") or []) + ([str(run["as_of"])] if run.get("report_written") else [])
            for day in days:
                if started and datetime.fromisoformat(started) < session_complete_at(date.fromisoformat(day)):
                    stamp = datetime.fromisoformat(started).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
                    for object_key in (f"bars/{day}.csv", f"reports/{day}.csv", f"reports/{day}.changes.json", f"charts/{day}.json"):
                        # Not if the run's object went to quarantine since: this one came later.
                        if object_key in hashes and self._set_aside.get(object_key, "") < stamp:
                            found.future.setdefault(object_key, f"stored by run {run.get('run_id')} before its session completed")

    def _check_latest(self, found: Findings) -> None:
        try:
            pointed = str(self._archive.read_latest()["as_of"])
        except ObjectNotFound:
            return
        except CorruptObject as error:
            found.latest = f"corrupt: {error}"
            return
        newest = newest_valid_report(self._archive, self._clock())
        if newest is None or pointed > newest.isoformat():
            found.latest = f"ahead: points at {pointed}, past the newest valid report ({newest or 'none'})"
        elif pointed < newest.isoformat():
            # A run killed between its report and the pointer: the next run moves it (not a fault).
            found.latest = f"behind: points at {pointed}, the newest valid report is {newest.isoformat()}"

    def _repair(self, found: Findings, last: date) -> None:
        removed = self._archive.store.sweep_temporary(STALE_TEMPORARY_SECONDS)
        if removed:
            found.repaired.append(f"removed {removed} temporary file(s) left by killed writers")
        redo: set[date] = set()
        refetch: set[date] = set()
        for key, reason in sorted({**found.future, **found.corrupt}.items()):
            moved = self._archive.quarantine(key, reason, "repaired by store check")
            found.repaired.append(f"{key} moved to {moved}")
            day = day_of(key)
            if day is not None and day <= last and key.startswith(("bars/", "reports/", "charts/")):
                (refetch if key.startswith("bars/") else redo).add(day)
        for key in found.unsealed:
            data = self._archive.store.get(key)
            value = parsed(key, data, parser_for(key))
            self._archive.write_sealed(key, data, len(value) if hasattr(value, "columns") else 1)
        for day in sorted(refetch - redo):
            self._redo(found, f"bars of {day}", functools.partial(self._refetch, day))
        for day in sorted(redo):
            self._redo(found, f"report of {day}", functools.partial(self._rebuild, day))
        newest = newest_valid_report(self._archive, self._clock())
        if found.latest != "ok" and newest is not None:
            self._archive.write_latest(rebuilt_document(self._archive, newest), newest)
            found.repaired.append(f"latest.json points at {newest.isoformat()}")
        elif found.latest != "ok":
            moved = self._archive.quarantine(LATEST_KEY, found.latest, "no valid report to point at")
            found.repaired.append(f"latest.json moved to {moved}: no valid report to point at")

    def _refetch(self, day: date) -> str:
        return self._collection.backfill(start=day, end=day).line()

    def _rebuild(self, day: date) -> str:
        return self._collection.collect(day).line()

    def _redo(self, found: Findings, what: str, action: Callable[[], str]) -> None:
        try:
            found.repaired.append(f"{what}: {action()}")
        except DipwatchError as error:
            found.unrepaired.append(f"{what}: {error}")
