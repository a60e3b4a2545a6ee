"""What the store-and-collection fault tests share: a store of each kind, raw access that goes
around the Store (as a disk fault or a hand edit would), what a clean run stores, and the
figures the suite prints (cases tried, failures, data lost).

Not a conftest: these tests import what they use, so this file is theirs alone.
"""
from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from shared.adapters.storage import LocalStore, S3Store
from shared.bootstrap import Container, bootstrap
from shared.config import Settings
from shared.ports import Store
from tests.conftest import AS_OF, fixed_clock

#: Figures per test module: cases tried, failures found, objects lost. Printed after each module.
FIGURES: dict[str, Counter[str]] = {}


def record(module: str, cases: int = 1, failures: int = 0, lost: int = 0) -> None:
    """Count ``cases`` tried by ``module``, the ``failures`` among them and the objects ``lost``."""
    counter = FIGURES.setdefault(module.rsplit(".", 1)[-1], Counter())
    counter.update(cases=cases, failures=failures, lost=lost)


@pytest.fixture(scope="module", autouse=True)
def print_figures(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the module: its figures and the suite's running totals, on the terminal."""
    yield
    name = request.module.__name__.rsplit(".", 1)[-1]
    own = FIGURES.get(name, Counter())
    total: Counter[str] = sum(FIGURES.values(), Counter())
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    line = (
        f"reliability figures {name}: {own['cases']} cases tried, {own['failures']} failures, {own['lost']} data lost"
        f" (store suite so far: {total['cases']} cases, {total['failures']} failures, {total['lost']} data lost)"
    )
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """An empty store: a local directory, or a bucket prefix on moto."""
    return empty_store(request.param, request, tmp_path)


def empty_store(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """An empty store of ``kind`` (local or s3)."""
    if kind == "local":
        return LocalStore(tmp_path / "store")
    request.getfixturevalue("mocked_aws")
    client = boto3.client("s3", region_name="us-east-1")
    bucket = f"dipwatch-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return S3Store(bucket, "dipwatch", client=client)


#: A short window keeps every case fast (about 20 sessions a collection); the faults are the same.
LOOKBACK_DAYS = 30


def wired(settings: Settings, store: Store, **parts: Any) -> Container:
    """A container over ``store`` with the fixed clock (last completed session: ``AS_OF``)."""
    parts.setdefault("clock", fixed_clock)
    return bootstrap(settings.with_overrides(lookback_days=LOOKBACK_DAYS), store=store, **parts)


def raw_put(store: Store, key: str, data: bytes) -> None:
    """Overwrite ``key`` around the Store's rules, without a seal (as before seals), ignoring
    immutability: a fault or a hand edit, not a write."""
    if isinstance(store, LocalStore):
        path = store.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        (path.parent / f".{path.name}.seal").unlink(missing_ok=True)
    else:
        assert isinstance(store, S3Store)
        store._client.put_object(Bucket=store.bucket, Key=store._key(key), Body=data)


def raw_put_keeping_seal(store: Store, key: str, data: bytes) -> None:
    """Overwrite ``key``'s bytes and leave its seal as it was (what a disk fault does)."""
    if isinstance(store, LocalStore):
        (store.root / key).write_bytes(data)
    else:
        assert isinstance(store, S3Store)
        metadata = store.get_with_metadata(key)[1]
        store._client.put_object(Bucket=store.bucket, Key=store._key(key), Body=data, Metadata=metadata)


def snapshot(store: Store, prefixes: tuple[str, ...] = ("bars/", "reports/", "charts/", "additions/", "omitted/")) -> dict[str, str]:
    """SHA-256 of every data object under ``prefixes`` (the pointer aside)."""
    return {
        key: hashlib.sha256(store.get(key)).hexdigest()
        for prefix in prefixes
        for key in store.list(prefix)
        if key != "reports/latest.json"
    }


def lost(before: dict[str, str], store: Store) -> int:
    """Objects of ``before`` that are gone or changed, unless their bytes are kept in quarantine."""
    after = snapshot(store)
    kept = {hashlib.sha256(store.get(key)).hexdigest() for key in store.list("quarantine/") if not key.endswith((".note.json", ".seal"))}
    return sum(1 for key, digest in before.items() if after.get(key) != digest and digest not in kept)


def audit_clean(container: Container) -> Any:
    """``store check`` of the container's store, asserted clean: nothing corrupt or future, the
    pointer not corrupt nor ahead (behind is what a run stopped before it leaves: the next moves it)."""
    found = container.store_audit.check()
    assert not found.corrupt and not found.future and found.problems == 0, found.lines(container.store.location)
    return found


def reference_report(settings: Settings, tmp_path: Path, day: date = AS_OF) -> bytes:
    """The report bytes a clean run stores for ``day``."""
    container = wired(settings, LocalStore(tmp_path / f"reference-{uuid.uuid4().hex[:6]}"))
    container.collection.collect(day)
    return container.store.get(f"reports/{day.isoformat()}.csv")


def cross_section(cases: list[str], on_s3: int = 2) -> list[tuple[str, str]]:
    """Every case on a local store, and the first ``on_s3`` of them on S3 (slower under moto)."""
    return [("local", case) for case in cases] + [("s3", case) for case in cases[:on_s3]]
