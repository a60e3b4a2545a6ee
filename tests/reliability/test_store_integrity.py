"""Integrity you can verify: every immutable object sealed and checked, strict parsing, corrupt
objects quarantined and fetched again or rebuilt, garbage in ``latest.json`` named (issue 11,
item 2). Each case runs on a local directory and on S3 (moto)."""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest

from app import create_app
from shared.adapters.storage import LocalStore, S3Store
from shared.errors import CorruptObject
from tests.conftest import AS_OF, morning_after
from tests.reliability.store_kit import (  # noqa: F401 - fixtures
    audit_clean,
    cross_section,
    empty_store,
    lost,
    print_figures,
    raw_put,
    raw_put_keeping_seal,
    record,
    snapshot,
    store,
    wired,
)

REPORT = f"reports/{AS_OF.isoformat()}.csv"
BARS = f"bars/{AS_OF.isoformat()}.csv"


@pytest.fixture
def collected(settings, store):  # noqa: ANN001, ANN201
    """A store after one clean collection, its container, and the report it stored."""
    container = wired(settings, store)
    container.collection.collect()
    return container, store.get(REPORT)


def seal_of(store, key: str) -> dict[str, str]:  # noqa: ANN001
    """The seal as the store keeps it: S3 metadata, or the local sidecar."""
    if isinstance(store, S3Store):
        return store._client.head_object(Bucket=store.bucket, Key=store._key(key))["Metadata"]
    sidecar = store.root / key
    return json.loads((sidecar.parent / f".{sidecar.name}.seal").read_text())


def test_every_immutable_object_carries_its_seal_three_times(collected) -> None:
    container, _report = collected
    store = container.store
    run = container.archive.latest_run("collect")
    keys = [key for key in store.list("") if key.startswith(("bars/", "reports/", "charts/")) and key != "reports/latest.json"]
    assert keys and set(keys) <= set(run["objects"])
    for key in keys:
        data = store.get(key)
        digest = hashlib.sha256(data).hexdigest()
        rows = len(data.splitlines()) - 1 if key.endswith(".csv") else 1
        assert seal_of(store, key) == {"sha256": digest, "rows": str(rows)}
        assert run["objects"][key] == {"sha256": digest, "rows": rows}
    record(__name__, cases=len(keys))


def test_seals_do_not_change_how_days_are_listed(collected) -> None:
    container, _report = collected
    days = container.archive.stored_days("bars")
    assert len(days) == len(container.store.list("bars/")) and days[-1] == AS_OF
    if isinstance(container.store, LocalStore):
        assert sorted(path.name for path in (container.store.root / "bars").glob("*.csv")) == [f"{day}.csv" for day in days]
    record(__name__)


# --- corrupt bars: quarantined with a note, fetched again, the report unchanged -----------------


def _cut_mid_row(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def _cut_at_row(data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    return b"".join(lines[: len(lines) // 2])


def _duplicate_row(data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    return b"".join([*lines, lines[1]])


def _duplicate_changed(data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    return b"".join([*lines, lines[1].replace(b",", b",9", 1)[:-1] + b"\n"])


def _flip_a_digit(data: bytes) -> bytes:
    at = data.index(b".") + 1
    return data[:at] + (b"1" if data[at : at + 1] != b"1" else b"2") + data[at + 1 :]


def _stray_column(data: bytes) -> bytes:
    return b"\n".join(line + b",x" for line in data.split(b"\n") if line) + b"\n"


def _text_price(data: bytes) -> bytes:
    header, first, rest = data.split(b"\n", 2)
    fields = first.split(b",")
    fields[5] = b"twelve"
    return b"\n".join([header, b",".join(fields), rest])


FAULTS = {"cut mid-row": _cut_mid_row, "cut at a row": _cut_at_row, "duplicated row": _duplicate_row, "duplicated, changed": _duplicate_changed, "digit flipped": _flip_a_digit, "stray column": _stray_column, "text price": _text_price}


#: Every fault on a local store, sealed and legacy; S3 (slower under moto) takes a cross-section.
BARS_CASES = [("local", fault, sealed) for fault in FAULTS for sealed in (True, False)] + [
    ("s3", "cut mid-row", True),
    ("s3", "cut at a row", True),
    ("s3", "duplicated row", False),
    ("s3", "text price", True),
]


@pytest.mark.parametrize(("kind", "fault", "sealed"), BARS_CASES, ids=[f"{k}-{f}-{'sealed' if s else 'legacy'}" for k, f, s in BARS_CASES])
def test_a_corrupt_bars_object_is_quarantined_and_fetched_again(settings, request, tmp_path: Path, kind: str, fault: str, sealed: bool) -> None:
    store = empty_store(kind, request, tmp_path)
    container = wired(settings, store)
    container.collection.collect(AS_OF)
    clean_report = store.get(REPORT)
    day = container.archive.stored_days("bars")[-3]
    key = f"bars/{day.isoformat()}.csv"
    good = store.get(key)
    before = snapshot(store)
    bad = FAULTS[fault](good)
    (raw_put_keeping_seal if sealed else raw_put)(store, key, bad)  # legacy: as if written before seals
    if not sealed and fault in ("cut at a row", "digit flipped"):
        # Without a seal a clean cut at a row or a changed digit parses: only a seal can tell.
        assert container.archive.read_bars([day]) is not None
        record(__name__)
        return
    with pytest.raises(CorruptObject, match=key):
        wired(settings, store).archive.read_bars([day])
    rerun = wired(settings, store).collection.collect(AS_OF)
    assert any(moved.startswith(f"quarantine/{key}.") for moved in rerun.quarantined)
    assert store.get(key) == good  # fetched again: the very bytes of the clean run
    assert store.get(REPORT) == clean_report
    notes = [k for k in store.list("quarantine/") if k.startswith(f"quarantine/{key}.") and k.endswith(".note.json")]
    assert notes and "corrupt" in json.loads(store.get(notes[0]))["reason"]
    assert store.get(notes[0].removesuffix(".note.json")) == bad  # kept, never deleted
    data_lost = lost(before, store)
    record(__name__, lost=data_lost)
    assert data_lost == 0
    audit_clean(wired(settings, store))


# --- corrupt reports and derived objects: refused on the read side, rebuilt by a collection ------


@pytest.mark.parametrize(("kind", "fault"), cross_section(["cut mid-row", "cut at a row", "duplicated row", "digit flipped"], on_s3=1))
def test_a_corrupt_report_is_a_logged_500_naming_the_key_and_is_rebuilt(settings, request, tmp_path, kind: str, fault: str, caplog: pytest.LogCaptureFixture) -> None:
    container = wired(settings, empty_store(kind, request, tmp_path))
    container.collection.collect()
    clean = container.store.get(REPORT)
    raw_put_keeping_seal(container.store, REPORT, FAULTS[fault](clean))
    fresh = wired(settings, container.store)
    client = create_app(container=fresh).test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/api/reports/{AS_OF.isoformat()}")
    assert response.status_code == 500 and REPORT in response.get_data(as_text=True)
    assert any(getattr(entry, "key", None) == REPORT for entry in caplog.records)
    # The next day's run builds nothing on it: no immutable changes object compared with garbage.
    later = wired(settings, container.store, clock=lambda: morning_after(AS_OF.replace(day=30)))
    next_day = later.collection.collect(AS_OF.replace(day=30))
    assert next_day.changes_key == "" and not container.store.exists("reports/2026-11-30.changes.json")
    # Collecting the day again moves it to quarantine and rebuilds it from verified bars.
    again = wired(settings, container.store, clock=lambda: morning_after(AS_OF.replace(day=30))).collection.collect(AS_OF)
    assert any(key.startswith(f"quarantine/{REPORT}.") for key in again.quarantined)
    assert container.store.get(REPORT) == clean
    record(__name__, cases=3)
    audit_clean(later)


@pytest.mark.parametrize("key", [f"charts/{AS_OF.isoformat()}.json", f"reports/{AS_OF.isoformat()}.changes.json"])
def test_a_corrupt_derived_object_is_refused_then_rebuilt(collected, settings, key: str) -> None:
    container, _clean = collected
    good = container.store.get(key)
    raw_put_keeping_seal(container.store, key, good[: len(good) // 2])
    found = wired(settings, container.store).store_audit.check()
    assert key in found.corrupt
    wired(settings, container.store).collection.collect(AS_OF)
    assert container.store.get(key) == good
    record(__name__)


# --- latest.json ---------------------------------------------------------------------------------

GARBAGE = {
    "a JSON list": b"[1, 2, 3]\n",
    "cut short": b'{"as_of": "2026-11-27", "rep',
    "binary": bytes(range(256)),
    "empty": b"",
    "no day": b'{"report": "reports/2026-11-27.csv"}',
    "not a day": b'{"as_of": "garbage", "report": "reports/2026-11-27.csv"}',
    "a number": b'{"as_of": 20261127}',
    "deep": b'{"as_of": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "top not a list": b'{"as_of": "2026-11-27", "top": "x"}',
}


@pytest.mark.parametrize(("kind", "garbage"), cross_section(list(GARBAGE)))
def test_garbage_in_latest_json_is_corrupt_object_naming_it_and_the_next_run_repairs_it(settings, request, tmp_path, kind: str, garbage: str) -> None:
    container = wired(settings, empty_store(kind, request, tmp_path))
    container.collection.collect()
    raw_put(container.store, "reports/latest.json", GARBAGE[garbage])
    fresh = wired(settings, container.store)
    with pytest.raises(CorruptObject, match="reports/latest.json"):
        fresh.archive.read_latest()
    for path in ("/api/status", "/api/reports/latest", "/"):
        response = create_app(container=wired(settings, container.store)).test_client().get(path)
        assert response.status_code == 500 and "reports/latest.json" in response.get_data(as_text=True), path
    assert fresh.store_audit.check().latest.startswith("corrupt")
    wired(settings, container.store).collection.collect(AS_OF)
    assert fresh.archive.read_latest()["as_of"] == AS_OF.isoformat()
    assert [key for key in container.store.list("quarantine/reports/") if key.startswith("quarantine/reports/latest.json.")]
    record(__name__, cases=4)


# --- stray keys, legacy objects, seals themselves -----------------------------------------------


def test_stray_keys_are_ignored_with_a_warning_and_never_fail_collect(settings, store, caplog: pytest.LogCaptureFixture) -> None:
    for key in ("bars/2026-13-45.csv", "bars/notes.txt", "bars/0000-00-00.csv", "reports/2026-02-30.csv", "bars/README"):
        raw_put(store, key, b"whatever\n")
    container = wired(settings, store)
    with caplog.at_level(logging.WARNING):
        summary = container.collection.collect()
    assert summary.outcome == "complete"
    assert any(getattr(entry, "key", None) == "bars/2026-13-45.csv" for entry in caplog.records)
    found = container.store_audit.check()
    assert "bars/2026-13-45.csv" in found.stray and not found.corrupt
    record(__name__, cases=5)


def test_objects_written_before_seals_are_read_and_sealed_by_repair(settings, store) -> None:
    container = wired(settings, store)
    container.collection.collect()
    legacy = wired(settings, store)
    keys = [key for key in store.list("") if key.startswith(("bars/", "reports/", "charts/", "runs/")) and key != "reports/latest.json"]
    for key in keys:  # as an earlier version wrote them: the same bytes, no seal
        data = store.get(key)
        if isinstance(store, LocalStore):
            path = store.root / key
            (path.parent / f".{path.name}.seal").unlink()
        else:
            store._client.put_object(Bucket=store.bucket, Key=store._key(key), Body=data)
    found = legacy.store_audit.check()
    assert set(found.unsealed) == set(keys) and not found.corrupt
    assert len(legacy.reports.load_report()[1]) == 8
    assert legacy.collection.collect().outcome == "complete"
    if isinstance(store, LocalStore):
        legacy.store_audit.check(repair=True)
        assert legacy.store_audit.check().unsealed == []
    record(__name__, cases=len(keys))


def test_a_garbled_seal_is_corrupt(collected) -> None:
    container, _clean = collected
    store = container.store
    if isinstance(store, LocalStore):
        path = store.root / BARS
        (path.parent / f".{path.name}.seal").write_text("{not json")
    else:
        data = store.get(BARS)
        store._client.put_object(Bucket=store.bucket, Key=store._key(BARS), Body=data, Metadata={"sha256": "0" * 64, "rows": "many"})
    with pytest.raises(CorruptObject, match=BARS):
        container.archive.read_verified(BARS, lambda data: data)
    record(__name__)


def test_store_check_repairs_everything_at_once_and_loses_nothing(collected, settings) -> None:
    container, clean = collected
    store = container.store
    before = snapshot(store)
    days = container.archive.stored_days("bars")
    raw_put_keeping_seal(store, f"bars/{days[2]}.csv", b"symbol,date\n")
    raw_put_keeping_seal(store, f"bars/{days[5]}.csv", _duplicate_row(store.get(f"bars/{days[5]}.csv")))
    raw_put_keeping_seal(store, REPORT, _cut_mid_row(clean))
    raw_put(store, "reports/latest.json", b"[]")
    fresh = wired(settings, store)
    found = fresh.store_audit.check()
    assert len(found.corrupt) == 3 and found.latest.startswith("corrupt") and found.problems == 4
    repaired = fresh.store_audit.check(repair=True)
    assert not repaired.unrepaired, repaired.lines(store.location)
    audit_clean(wired(settings, store))
    assert store.get(REPORT) == clean and snapshot(store) == before
    data_lost = lost(before, store)
    record(__name__, cases=4, lost=data_lost)
    assert data_lost == 0


def test_store_check_cli_prints_what_it_found(collected, settings) -> None:
    container, clean = collected
    raw_put_keeping_seal(container.store, REPORT, _cut_mid_row(clean))
    runner = create_app(container=wired(settings, container.store)).test_cli_runner()
    found = runner.invoke(args=["store", "check"])
    assert found.exit_code == 1 and f"corrupt: {REPORT}" in found.output and "1 corrupt" in found.output.splitlines()[-1]
    repaired = runner.invoke(args=["store", "check", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    clean_check = runner.invoke(args=["store", "check"])
    assert clean_check.exit_code == 0 and "0 corrupt · 0 future" in clean_check.output
    record(__name__, cases=3)
